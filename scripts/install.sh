#!/bin/sh
# rbee agent installer. The edge serves this file with its own address filled in:
#   curl -fsSL https://EDGE/install.sh | sh -s -- --enrol rbe_... --trust-key MCowBQYDK2VwAyEA...
# --trust-key is the fleet's public key itself (the base64 line of fleet.pub, or a .pub file),
# carried by the one-liner and never fetched from the edge: the agent must be able to refuse what
# a compromised edge sends, so its trust cannot come from that edge.
# It downloads the agent (one JavaScript file) from that edge, checks its sha256 against the
# edge's /agent/version and the download's header, puts it in --prefix (default /opt/rbee),
# enrols this machine (its hive token goes to <state>/hive.token, mode 0600, never into argv),
# writes the service (systemd unit or launchd daemon) and starts it.
# Exit codes: 75 temporary (download failed: retry), 77 refused (enrolment token unknown, used
# up, expired or revoked), 78 configuration (bad flag, no node >= 20, checksum mismatch).
set -eu

# The whole script is one brace group: sh parses it to the closing brace before running a line,
# so a download cut short runs nothing, and an early refusal does not close the pipe on curl
# while it is still writing ("curl: (23) Failed writing body" after the refusal).
{
RBEE_EDGE_DEFAULT=''

edge=$RBEE_EDGE_DEFAULT
prefix=/opt/rbee
state=''
enrol_token=${RBEE_ENROL_TOKEN:-}
enrol_file=''
machine_id=''
user=root
unit_dir=''
install_root=''
no_start=''
keys_given=''
allow_unsigned=''
allow_upgrades=''
trust_keys=0
node=${RBEE_NODE:-}

say() { printf 'rbee install: %s\n' "$*" >&2; }
die() { code=$1; shift; say "$*"; exit "$code"; }

usage() {
  cat <<'USAGE'
usage: install.sh [--enrol rbe_... | --enrol-file FILE] (--trust-key KEY... | --allow-unsigned)
                  [--edge URL] [--prefix /opt/rbee] [--state DIR] [--machine-id ID]
                  [--user root] [--install-root DIR] [--unit-dir DIR] [--no-start]
                  [--allow-agent-upgrades]
KEY is the fleet public key: the base64 line of fleet.pub (MCowBQYDK2VwAyEA...), or a .pub
file; repeatable. The enrolment token may also come from $RBEE_ENROL_TOKEN; node from
$RBEE_NODE or PATH.
USAGE
}

while [ $# -gt 0 ]; do
  case $1 in
    --enrol) [ $# -ge 2 ] || die 78 "--enrol needs a value"; enrol_token=$2; shift 2 ;;
    --enrol-file) [ $# -ge 2 ] || die 78 "--enrol-file needs a value"; enrol_file=$2; shift 2 ;;
    --edge) [ $# -ge 2 ] || die 78 "--edge needs a value"; edge=$2; shift 2 ;;
    --prefix) [ $# -ge 2 ] || die 78 "--prefix needs a value"; prefix=$2; shift 2 ;;
    --state) [ $# -ge 2 ] || die 78 "--state needs a value"; state=$2; shift 2 ;;
    --machine-id) [ $# -ge 2 ] || die 78 "--machine-id needs a value"; machine_id=$2; shift 2 ;;
    --user) [ $# -ge 2 ] || die 78 "--user needs a value"; user=$2; shift 2 ;;
    --install-root) [ $# -ge 2 ] || die 78 "--install-root needs a value"; install_root=$2; shift 2 ;;
    --unit-dir) [ $# -ge 2 ] || die 78 "--unit-dir needs a value"; unit_dir=$2; shift 2 ;;
    --no-start) no_start=1; shift ;;
    --trust-key) [ $# -ge 2 ] || die 78 "--trust-key needs a value"
      case $2 in *[!A-Za-z0-9+/=._-]*) die 78 "--trust-key $2: only base64 text or a plain path" ;; esac
      keys_given="$keys_given $2"; shift 2 ;;
    --allow-unsigned) allow_unsigned=1; shift ;;
    --allow-agent-upgrades) allow_upgrades=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die 78 "unknown option \"$1\"" ;;
  esac
done

[ -n "$edge" ] || die 78 "--edge URL is required (the edge this script came from)"
edge=${edge%/}
if [ -z "$state" ]; then
  if [ "$prefix" = /opt/rbee ]; then state=/var/lib/rbee; else state=$prefix/state; fi
fi
[ -n "$keys_given" ] || [ -n "$allow_unsigned" ] ||
  die 78 "NO_TRUSTED_KEY: give --trust-key (the fleet public key: the enrolment one-liner carries it), or --allow-unsigned to run whatever the edge sends"
# Without an enrolment token, a machine enrolled before keeps its hive token.
[ -n "$enrol_token" ] || [ -n "$enrol_file" ] || [ -f "$state/hive.token" ] ||
  die 78 "--enrol rbe_... is required (create one: POST /api/enrolment-tokens, or the dashboard)"

# node >= 20: the agent is one JavaScript file.
[ -n "$node" ] || node=$(command -v node || true)
[ -n "$node" ] || die 78 "node (>= 20) is not installed: install it first (e.g. apt-get install nodejs)"
"$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  die 78 "$node is $("$node" --version), the agent needs node >= 20"

fetch() { # fetch URL FILE [HEADERS-FILE]
  if command -v curl >/dev/null 2>&1; then
    if [ $# -ge 3 ]; then curl -fsSL -D "$3" -o "$2" "$1"; else curl -fsSL -o "$2" "$1"; fi
  elif command -v wget >/dev/null 2>&1; then
    if [ $# -ge 3 ]; then wget -q -S -O "$2" "$1" 2>"$3"; else wget -q -O "$2" "$1"; fi
  else
    die 78 "neither curl nor wget is installed"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

umask 022
mkdir -p "$prefix"
tmp=$(mktemp -d "$prefix/.install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The fleet keys, as PEM files for install-service (which checks each and keeps a copy).
mkdir "$tmp/keys"
for key in $keys_given; do
  trust_keys=$((trust_keys + 1))
  if printf '%s' "$key" | grep -Eq '^MCowBQYDK2VwAyEA[A-Za-z0-9+/]{43}=$'; then
    printf -- '-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n' "$key" >"$tmp/keys/$trust_keys.pub"
  elif [ -f "$key" ] && [ -r "$key" ]; then
    cp "$key" "$tmp/keys/$trust_keys.pub"
  else
    die 78 "--trust-key $key is neither a fleet public key (the base64 line of fleet.pub: 60 characters starting MCowBQYDK2VwAyEA) nor a readable .pub file"
  fi
done

fetch "$edge/agent/version" "$tmp/version.json" || die 75 "cannot fetch $edge/agent/version"
want=$(sed -n 's/.*"sha256":"\([0-9a-f]\{64\}\)".*/\1/p' "$tmp/version.json")
version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' "$tmp/version.json")
[ -n "$want" ] || die 75 "$edge/agent/version did not name a sha256"
fetch "$edge/agent/rbee-agent.mjs" "$tmp/rbee-agent.mjs" "$tmp/headers" ||
  die 75 "cannot download $edge/agent/rbee-agent.mjs"
header=$(tr -d '\r' <"$tmp/headers" | sed -n 's/^ *[Xx]-[Rr]bee-[Aa]gent-[Ss]ha256: *\([0-9a-f]*\).*/\1/p' | tail -n 1)
got=$(sha256_of "$tmp/rbee-agent.mjs")
[ "$got" = "$want" ] ||
  die 78 "checksum mismatch: the download has sha256 $got, $edge/agent/version says $want; nothing installed"
[ -z "$header" ] || [ "$header" = "$want" ] ||
  die 78 "checksum mismatch: the download's header says $header, $edge/agent/version says $want; nothing installed"
chmod 0755 "$tmp/rbee-agent.mjs"
mv -f "$tmp/rbee-agent.mjs" "$prefix/rbee-agent.mjs"
say "agent $version ($got) in $prefix/rbee-agent.mjs"

mkdir -p "$state"
chmod 0711 "$state"
if [ -n "$enrol_token" ] || [ -n "$enrol_file" ]; then
  set -- enrol --edge "$edge" --state "$state"
  [ -z "$enrol_file" ] || set -- "$@" --enrol-file "$enrol_file"
  [ -z "$machine_id" ] || set -- "$@" --machine-id "$machine_id"
  # The token goes to the agent through its environment, not its command line.
  RBEE_ENROL_TOKEN=$enrol_token "$node" "$prefix/rbee-agent.mjs" "$@" || exit $?
fi

set -- install-service --edge "$edge" --prefix "$prefix" --state "$state" --user "$user" --node "$node"
[ -z "$unit_dir" ] || set -- "$@" --unit-dir "$unit_dir"
[ -z "$install_root" ] || set -- "$@" --install-root "$install_root"
[ -z "$no_start" ] || set -- "$@" --no-start
[ -z "$allow_unsigned" ] || set -- "$@" --allow-unsigned
[ -z "$allow_upgrades" ] || set -- "$@" --allow-agent-upgrades
n=1
while [ "$n" -le "$trust_keys" ]; do
  set -- "$@" --trust-key "$tmp/keys/$n.pub"
  n=$((n + 1))
done
"$node" "$prefix/rbee-agent.mjs" "$@" || exit $?
say "done: the agent runs as a service (logs: journalctl -u rbee-agent)"
}
