# makepkg 6.0.2's create_package, in two phases, run as the build user (never as root: the
# package tree is the build's). The metadata text is made by the agent from the parsed PKGBUILD
# (agent/package/package-info.ts); everything that touches the tree is makepkg's own code.
#   facts CONF PKGDIR
#       prints, NUL-separated: PKGEXT, PACKAGER, the tree's size (makepkg's dirsize), the
#       fakeroot version line, then BUILDENV, OPTIONS and the installed packages, each as a
#       count followed by its elements
#   archive CONF PKGDIR EPOCH [INSTALL] [CHANGELOG]
#       writes .PKGINFO and .BUILDINFO (from RBEE_PKGINFO, RBEE_BUILDINFO), the .INSTALL and
#       .CHANGELOG files, sets every mtime to EPOCH, writes .MTREE and prints the compressed
#       package on stdout
# Owners are root:root in the archive, as fakeroot makes them for makepkg.

set -o pipefail
LIBRARY=${LIBRARY:-/usr/share/makepkg}
export LC_ALL=C

rbee_load_conf() {
	local restore
	restore=$(for var in PKGEXT PACKAGER; do [[ -v $var ]] && printf '%s=%s\n' "$var" "${!var@Q}"; done)
	# shellcheck disable=SC1090
	source "$1" || { printf 'Cannot read %s\n' "$1" >&2; exit 1; }
	eval "$restore"
	PACKAGER=${PACKAGER:-"Unknown Packager"}
	PKGEXT=${PKGEXT:-.pkg.tar.gz}
}

# makepkg's list_package_files: every path, sorted in C order, dotfiles included.
rbee_list_package_files() {
	(
		export LC_COLLATE=C
		shopt -s dotglob globstar
		printf '%s\0' **/*
	)
}

rbee_count() {
	printf '%s\0' "$#"
	(( $# )) && printf '%s\0' "$@"
	return 0
}

rbee_facts() {
	rbee_load_conf "$1"
	cd "$2" || exit 1
	# shellcheck disable=SC1091
	source "$LIBRARY/util/dirsize.sh"
	local installed=()
	if command -v pacman >/dev/null; then
		# makepkg's write_buildinfo: name-version-arch of every installed package.
		installed=($(pacman -Qi 2>/dev/null | awk -F': ' '
			/^Name .*/ {printf "%s", $2}
			/^Version .*/ {printf "-%s", $2}
			/^Architecture .*/ {print "-"$2}
		'))
	fi
	printf '%s\0' "$PKGEXT" "$PACKAGER" "$(dirsize)" "$(fakeroot -v 2>/dev/null)"
	rbee_count "${BUILDENV[@]}"
	rbee_count "${OPTIONS[@]}"
	rbee_count "${installed[@]}"
}

rbee_archive() {
	rbee_load_conf "$1"
	local epoch=$3 install=$4 changelog=$5
	cd "$2" || exit 1
	# shellcheck disable=SC1091
	source "$LIBRARY/util/compress.sh"
	rm -f .PKGINFO .BUILDINFO .MTREE .INSTALL .CHANGELOG
	printf '%s' "$RBEE_PKGINFO" > .PKGINFO || exit 1
	printf '%s' "$RBEE_BUILDINFO" > .BUILDINFO || exit 1
	if [[ -n $changelog ]]; then
		cp "$changelog" .CHANGELOG || { printf 'Failed to add changelog file to package.\n' >&2; exit 1; }
		chmod 644 .CHANGELOG
	fi
	if [[ -n $install ]]; then
		cp "$install" .INSTALL || { printf 'Failed to add install file to package.\n' >&2; exit 1; }
		chmod 644 .INSTALL
	fi
	find . -exec touch -h -d "@$epoch" {} +
	rbee_list_package_files | bsdtar --uid 0 --gid 0 --uname root --gname root -cnf - \
		--format=mtree \
		--options='!all,use-set,type,uid,gid,mode,time,size,md5,sha256,link' \
		--null --files-from - --exclude .MTREE | gzip -c -f -n > .MTREE || exit 1
	touch -d "@$epoch" .MTREE
	rbee_list_package_files | bsdtar --uid 0 --gid 0 --uname root --gname root \
		--no-fflags --no-read-sparse -cnf - --null --files-from - | compress_as "$PKGEXT"
}

umask 0022
case $1 in
	facts) rbee_facts "$2" "$3" ;;
	archive) rbee_archive "$2" "$3" "$4" "$5" "$6" ;;
	*) printf 'create-package: unknown phase %s\n' "$1" >&2; exit 2 ;;
esac
