#!/bin/bash
# Reads NUL-separated source entries on stdin and prints, for each, what makepkg makes of it:
# protocol, filename, fragment and query (util/source.sh), then the VCS reference kind and
# value as source/<vcs>.sh reads them, and the fragment they read them from. Fields end in \037, records in \036.
source /usr/share/makepkg/util/source.sh
while IFS= read -r -d '' netfile; do
  proto=$(get_protocol "$netfile")
  case $proto in
    git|fossil) fragment=$(get_uri_fragment "$netfile") ;;
    *) fragment=${netfile#*#}; [[ $fragment = "$netfile" ]] && fragment= ;;
  esac
  kind=${fragment%%=*}
  if [[ $proto = bzr ]]; then value=${fragment#*=}; else value=${fragment##*=}; fi
  [[ $fragment = *=* ]] || value=
  printf '%s\037' "$proto" "$(get_filename "$netfile")" "$(get_uri_fragment "$netfile")" \
    "$(get_uri_query "$netfile")" "$kind" "$value" "$fragment"
  printf '\036'
done
