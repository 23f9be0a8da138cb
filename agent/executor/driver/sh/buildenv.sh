# makepkg 6.0.2's prepare_buildenv and option helpers (libmakepkg util/option.sh,
# util/util.sh and buildenv/*.sh, GPL-2.0-or-later), so a PKGBUILD sees the same flags.

in_opt_array() {
	local needle=$1; shift
	local i opt
	for (( i = $#; i > 0; i-- )); do
		opt=${!i}
		if [[ $opt = "$needle" ]]; then
			return 0
		elif [[ $opt = "!$needle" ]]; then
			return 1
		fi
	done
	return 127
}

check_opt_array() {
	local option=$1 expected=$2; shift 2
	in_opt_array "$option" "$@"
	case $? in
		0) [[ $expected = y ]]; return ;;
		1) [[ $expected = n ]]; return ;;
	esac
	return 127
}

check_option() {
	check_opt_array "$@" "${OPTIONS[@]}" "${options[@]}"
}

check_buildenv() {
	check_opt_array "$@" "${BUILDENV[@]}"
}

check_buildoption() {
	check_opt_array "$@" "${BUILDENV[@]}" "${options[@]}"
}

have_function() {
	declare -f "$1" >/dev/null
}

in_array() {
	local needle=$1; shift
	local item
	for item in "$@"; do
		[[ $item = "$needle" ]] && return 0
	done
	return 1
}

buildenv_buildflags() {
	if check_option "buildflags" "n"; then
		unset CPPFLAGS CFLAGS DEBUG_CFLAGS CXXFLAGS DEBUG_CXXFLAGS LDFLAGS LTOFLAGS RUSTFLAGS DEBUG_RUSTFLAGS
	fi
}

using_ccache=0

buildenv_ccache() {
	if check_buildoption "ccache" "y"; then
		if [ -d /usr/lib/ccache/bin ]; then
			export PATH="/usr/lib/ccache/bin:$PATH"
			using_ccache=1
		fi
	fi
}

buildenv_distcc() {
	if check_buildoption "distcc" "y"; then
		if (( using_ccache )); then
			if [[ " $CCACHE_PREFIX " != *" distcc "* ]]; then
				export CCACHE_PREFIX="${CCACHE_PREFIX:+$CCACHE_PREFIX }distcc"
			fi
			export CCACHE_BASEDIR="$srcdir"
		elif [[ -d /usr/lib/distcc/bin ]]; then
			export PATH="/usr/lib/distcc/bin:$PATH"
		fi
		export DISTCC_HOSTS
	fi
}

buildenv_debugflags() {
	if check_option "debug" "y" && ! check_option "buildflags" "n"; then
		DEBUG_CFLAGS+=" -ffile-prefix-map=$srcdir=${DBGSRCDIR:-/usr/src/debug}/${pkgbase}"
		DEBUG_CXXFLAGS+=" -ffile-prefix-map=$srcdir=${DBGSRCDIR:-/usr/src/debug}/${pkgbase}"
		DEBUG_RUSTFLAGS+=" --remap-path-prefix=$srcdir=${DBGSRCDIR:-/usr/src/debug}/${pkgbase}"
		CFLAGS+=" $DEBUG_CFLAGS"
		CXXFLAGS+=" $DEBUG_CXXFLAGS"
		RUSTFLAGS+=" $DEBUG_RUSTFLAGS"
	fi
}

buildenv_lto() {
	if check_option "lto" "y" && ! check_option "buildflags" "n"; then
		CFLAGS+=" ${LTOFLAGS:--flto}"
		CXXFLAGS+=" ${LTOFLAGS:--flto}"
		LDFLAGS+=" ${LTOFLAGS:--flto}"
	fi
}

buildenv_makeflags() {
	if check_option "makeflags" "n"; then
		unset MAKEFLAGS
	fi
}

prepare_buildenv() {
	local func
	for func in buildenv_buildflags buildenv_ccache buildenv_distcc buildenv_debugflags buildenv_lto buildenv_makeflags; do
		$func
	done
	export CPPFLAGS CFLAGS CXXFLAGS LDFLAGS RUSTFLAGS MAKEFLAGS CHOST
}
