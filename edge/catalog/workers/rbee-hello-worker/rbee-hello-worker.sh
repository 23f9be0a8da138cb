#!/usr/bin/env bash
# rbee-hello-worker: the offline demo worker. It answers prompts by echoing them,
# which is enough to show that an install through rbee fleet produced a working program.
set -euo pipefail
version="@VERSION@"
config="${RBEE_HELLO_CONFIG:-/etc/rbee/hello-worker.conf}"
greeting="Hello from rbee"
[ -r "$config" ] && . "$config"
case "${1:-}" in
  --version) echo "rbee-hello-worker $version" ;;
  --help|-h) echo "usage: rbee-hello-worker [--version] [PROMPT...]" ;;
  *) echo "$greeting: ${*:-(no prompt)}" ;;
esac
