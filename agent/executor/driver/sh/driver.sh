# The build driver: runs a PKGBUILD the way makepkg 6.0.2 does, in three phases.
#   info     source makepkg.conf and the PKGBUILD, dump what the executor needs to fd 3
#   build    prepare(), pkgver(), build(), check(), in one shell as makepkg runs them
#   package  package() or each package_<name>() and tidy_install, in a child shell (makepkg
#            re-runs itself under fakeroot here, so globals set by build() are gone, but
#            exported variables are inherited)
# Step markers go to both pipes through fds 97 and 98, copies of stdout and stderr taken at
# start, so a function that redirects its own output cannot lose them. The executor orders
# a step event after every line written before its marker on either pipe.
# Expects from the generated header: rbee_nonce rbee_driver rbee_faked_ask rbee_startdir
# rbee_conf rbee_machine rbee_carch RUN_CHECK rbee_reproducible, and rbee_default_conf().

exec 97>&1 98>&2
rbee_marks=0

# One marker: id, kind (S start, E end, F failure), step, function, package, extra fields.
rbee_mark() {
	local IFS=$'\t'
	(( ++rbee_marks ))
	printf '\0rbee:%s:%s\t%s\n' "$rbee_nonce" "$rbee_marks" "$*" >&97
	printf '\0rbee:%s:%s\t%s\n' "$rbee_nonce" "$rbee_marks" "$*" >&98
}

# The ERR trap of a PKGBUILD function: makepkg's error_function. In a subshell only leave it,
# the failing subshell then trips the trap of its parent.
rbee_fail() {
	local status=$1
	if (( BASH_SUBSHELL )); then
		exit "$status"
	fi
	rbee_mark F "$rbee_step" "$rbee_fn" "$rbee_pkg" "$status"
	exit "$status"
}

# makepkg's run_function_safe and run_function: errexit and errtrace with an ERR trap,
# localised to this call, starting in $srcdir.
rbee_call() {
	local restoretrap restoreshopt
	restoreshopt=$(shopt -p)
	local -
	shopt -o -s errexit errtrace
	restoretrap=$(trap -p ERR)
	trap 'rbee_fail "$?"' ERR
	cd "$srcdir" || exit 1
	"$1"
	trap - ERR
	eval "$restoretrap"
	eval "$restoreshopt"
}

# Runs one PKGBUILD function as a step: rbee_run <function> <step> [package].
rbee_run() {
	rbee_fn=$1 rbee_step=$2 rbee_pkg=$3
	rbee_mark S "$rbee_step" "$rbee_fn" "$rbee_pkg"
	rbee_call "$rbee_fn"
	rbee_mark E "$rbee_step" "$rbee_fn" "$rbee_pkg" 0
}

# makepkg's load_makepkg_config: the system file (or Debian's defaults where there is none)
# and the user's own, with CARCH from the environment winning as in makepkg.
rbee_load_config() {
	local restore_envvars
	restore_envvars=$(
		for var in PKGDEST SRCDEST SRCPKGDEST LOGDEST BUILDDIR PKGEXT SRCEXT GPGKEY PACKAGER CARCH; do
			[[ -v $var ]] && printf '%s=%s\n' "$var" "${!var@Q}"
		done
	)
	if [[ -n $rbee_conf ]]; then
		rbee_source_safe "$rbee_conf"
		local xdg_dir="${XDG_CONFIG_HOME:-$HOME/.config}/pacman"
		if [[ $rbee_conf = /etc/makepkg.conf ]]; then
			if [[ -r $xdg_dir/makepkg.conf ]]; then
				rbee_source_safe "$xdg_dir/makepkg.conf"
			elif [[ -r $HOME/.makepkg.conf ]]; then
				rbee_source_safe "$HOME/.makepkg.conf"
			fi
		fi
	else
		CARCH=$rbee_machine
		CHOST="$rbee_machine-linux-gnu"
		rbee_default_conf
	fi
	eval "$restore_envvars"
	if [[ -n $rbee_carch ]]; then
		CARCH=$rbee_carch
	fi
}

# makepkg's source_safe: PKGBUILDs are sourced with extglob off.
rbee_source_safe() {
	local shellopts
	shellopts=$(shopt -p extglob)
	shopt -u extglob
	if ! source "$@"; then
		printf '%s\n' "Failed to source $1" >&2
		exit 1
	fi
	eval "$shellopts"
}

# Sources the PKGBUILD. After pkgver() changed the version, sources it the way makepkg's
# update_pkgver leaves it (pkgver= and pkgrel=1 rewritten), without writing the file.
rbee_source_pkgbuild() {
	unset pkgname arch backup checkdepends conflicts depends groups license makedepends \
		noextract optdepends options provides replaces source validpgpkeys \
		changelog epoch install pkgbase pkgdesc pkgrel pkgver url
	unset {ck,md5,sha1,sha224,sha256,sha384,sha512,b2}sums
	unset -f pkgver prepare build check package "${!package_@}"
	unset "${!makedepends_@}" "${!depends_@}" "${!source_@}" "${!checkdepends_@}"
	unset "${!optdepends_@}" "${!conflicts_@}" "${!provides_@}" "${!replaces_@}"
	unset "${!cksums_@}" "${!md5sums_@}" "${!sha1sums_@}" "${!sha224sums_@}"
	unset "${!sha256sums_@}" "${!sha384sums_@}" "${!sha512sums_@}" "${!b2sums_@}"
	if [[ -n $rbee_newpkgver ]]; then
		local -a buildfile
		mapfile -t buildfile < "$BUILDFILE"
		buildfile=("${buildfile[@]/#pkgver=*([^ ])/pkgver=$rbee_newpkgver}")
		buildfile=("${buildfile[@]/#pkgrel=*([^ ])/pkgrel=1}")
		rbee_source_safe <(printf '%s\n' "${buildfile[@]}")
	else
		rbee_source_safe "$BUILDFILE"
	fi
	pkgbase=${pkgbase:-${pkgname[0]}}
	srcdir="$startdir/src"
	pkgdirbase="$startdir/pkg"
	pkgdir="$pkgdirbase/$pkgbase"
}

# Writes one variable to fd 3 as NUL-separated fields: name, element count (-1 when unset),
# elements.
rbee_dump() {
	local rbee_name
	for rbee_name in "$@"; do
		if declare -p "$rbee_name" &>/dev/null; then
			local -n rbee_ref=$rbee_name
			printf '%s\0%s\0' "$rbee_name" "${#rbee_ref[@]}" >&3
			(( ${#rbee_ref[@]} )) && printf '%s\0' "${rbee_ref[@]}" >&3
			unset -n rbee_ref
		else
			printf '%s\0-1\0' "$rbee_name" >&3
		fi
	done
	return 0
}

rbee_phase_info() {
	rbee_load_config
	rbee_source_pkgbuild
	local -a rbee_functions
	mapfile -t rbee_functions < <(compgen -A function)
	rbee_dump CARCH CHOST pkgname pkgbase pkgver pkgrel epoch arch options noextract \
		source "source_$CARCH" rbee_functions
	local a
	for a in ck md5 sha1 sha224 sha256 sha384 sha512 b2; do
		rbee_dump "${a}sums" "${a}sums_$CARCH"
	done
}

rbee_phase_build() {
	rbee_load_config
	# The info phase already showed what sourcing prints; makepkg's main shell sources once.
	rbee_source_pkgbuild >/dev/null 2>&1
	cd "$srcdir" || exit 1
	if have_function prepare && [[ $RUN_PREPARE != n ]]; then
		rbee_run prepare prepare
	fi
	if (( rbee_reproducible )); then
		find "$srcdir" -exec touch -h -d @$SOURCE_DATE_EPOCH {} +
	fi
	if have_function pkgver; then
		rbee_fn=pkgver rbee_step=pkgver rbee_pkg=
		rbee_mark S pkgver pkgver ''
		local newpkgver status
		newpkgver=$(rbee_call pkgver)
		status=$?
		if (( status )); then
			rbee_mark F pkgver pkgver '' "$status"
			exit "$status"
		fi
		if [[ -z $newpkgver || $newpkgver = *[[:space:]/:-]* || $newpkgver = *[![:ascii:]]* ]]; then
			rbee_mark F pkgver pkgver '' 1 "pkgver() generated an invalid version: $newpkgver"
			exit 1
		fi
		if [[ $newpkgver != "$pkgver" ]]; then
			rbee_newpkgver=$newpkgver
			rbee_source_pkgbuild
		fi
		rbee_mark E pkgver pkgver '' 0 "$pkgver" "$pkgrel"
	fi
	rm -rf "$pkgdirbase"
	mkdir -p "$pkgdirbase"
	chmod a-srw "$pkgdirbase"
	cd "$startdir" || exit 1
	prepare_buildenv
	if have_function build; then
		rbee_run build build
	fi
	if have_function check; then
		if [[ $RUN_CHECK = 'y' ]] || { ! check_buildenv "check" "n" && [[ $RUN_CHECK != "n" ]]; }; then
			rbee_run check check
		fi
	fi
	cd "$startdir" || exit 1
	rbee_enter_fakeroot "$BASH" "$rbee_driver" package "$rbee_newpkgver"
	exit
}

# makepkg's enter_fakeroot. fakeroot's own faked daemonizes into a session of its own, out of
# reach of a cancel, so this shell starts faked itself (in the foreground, in the build's
# process group, reaped here) and hands fakeroot its key through the rbee_faked_ask script.
# Without fakeroot installed (or with fakeroot turned off) the package phase runs as is.
rbee_enter_fakeroot() {
	local faked status
	faked=$(command -v faked-sysv || command -v faked)
	if [[ -z $rbee_faked_ask || -z $faked ]] || ! type -p fakeroot >/dev/null; then
		"$@"
		return
	fi
	local key=$(( (RANDOM << 16 | RANDOM << 1 | RANDOM & 1) % 2147483646 + 1 ))
	"$faked" --foreground --key "$key" </dev/null >/dev/null &
	local pid=$!
	RBEE_FAKED_KEY_PID="$key:$pid" fakeroot -f "$rbee_faked_ask" -- "$@"
	status=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return "$status"
}

# makepkg's backup_package_variables and restore_package_variables, for split packages.
rbee_backup_package_variables() {
	local var
	for var in pkgdesc arch url license groups depends optdepends provides conflicts replaces \
		backup options install changelog; do
		local indirect="${var}_backup"
		eval "${indirect}=(\"\${$var[@]}\")"
	done
}

rbee_restore_package_variables() {
	local var
	for var in pkgdesc arch url license groups depends optdepends provides conflicts replaces \
		backup options install changelog; do
		local indirect="${var}_backup"
		if [[ -n ${!indirect} ]]; then
			eval "${var}=(\"\${$indirect[@]}\")"
		else
			unset ${var}
		fi
	done
}

# makepkg's run_single_packaging, with tidy_install and lint_package as the tidy step.
rbee_single_packaging() {
	local pkgdir="$pkgdirbase/$pkgname"
	mkdir "$pkgdir"
	if [[ -n $1 ]] || have_function package; then
		rbee_run "package${1:+_$1}" package "$pkgname"
	fi
	local -a rbee_ops=() rbee_warnings=() rbee_errors=()
	rbee_mark S tidy '' "$pkgname"
	tidy_install
	local linted=0
	lint_package || linted=1
	# Lists travel in one marker field, joined with the unit separator (never in output).
	local IFS=$'\x1f'
	if (( linted )); then
		rbee_mark F tidy '' "$pkgname" 1 "${rbee_errors[*]}"
		exit 1
	fi
	rbee_mark E tidy '' "$pkgname" 0 "${rbee_ops[*]}" "${rbee_warnings[*]}"
}

rbee_phase_package() {
	unset RBEE_FAKED_KEY_PID
	rbee_newpkgver=$1
	# Marker ids go on from the build phase's; a new shell starts its count here.
	rbee_marks=100000
	rbee_load_config
	rbee_source_pkgbuild
	prepare_buildenv
	chmod 755 "$pkgdirbase"
	if (( ${#pkgname[@]} > 1 )) || have_function "package_${pkgname}"; then
		local pkgname_backup=("${pkgname[@]}")
		rbee_backup_package_variables
		for pkgname in "${pkgname_backup[@]}"; do
			rbee_single_packaging "$pkgname"
			rbee_restore_package_variables
		done
		pkgname=("${pkgname_backup[@]}")
	else
		rbee_single_packaging
	fi
}

umask 0022
shopt -s extglob
unset CDPATH GREP_OPTIONS
export TEXTDOMAIN='pacman-scripts' TEXTDOMAINDIR='/usr/share/locale' COMMAND_MODE='legacy'
startdir=$rbee_startdir
BUILDFILE="$startdir/PKGBUILD"
rbee_newpkgver=

case $1 in
	info) rbee_phase_info ;;
	build) rbee_phase_build ;;
	package) rbee_phase_package "$2" ;;
	*) printf 'rbee driver: unknown phase %s\n' "$1" >&2; exit 2 ;;
esac
