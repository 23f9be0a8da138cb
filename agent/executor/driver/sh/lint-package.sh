# makepkg 6.0.2's lint_package (libmakepkg lint_package/*.sh, GPL-2.0-or-later), run after
# tidy_install as makepkg does. Errors (a dotfile in the package root, a path with a newline)
# fail the build; warnings (references to $srcdir or $pkgdir, backup entries not in the
# package) are collected in rbee_warnings for the tidy step event instead of printed.

warn_build_references() {
	local refs var
	for var in srcdir pkgdir; do
		mapfile -t refs < <(find "$pkgdir" -type f -exec grep -l "${!var}" {} +)
		if (( ${#refs} > 0 )); then
			rbee_warnings+=("Package contains reference to \$$var: ${refs[*]#"$pkgdir/"}")
		fi
	done
	return 0
}

check_dotfiles() {
	local ret=0 f
	local shellopts=$(shopt -p nullglob)
	shopt -s nullglob
	for f in "$pkgdir"/.*; do
		[[ ${f##*/} == . || ${f##*/} == .. ]] && continue
		rbee_errors+=("Dotfile found in package root '$f'")
		ret=1
	done
	eval "$shellopts"
	return $ret
}

lint_file_names() {
	local ret=0 paths
	mapfile -t paths < <(find "$pkgdir" -name \*$'\n'\*)
	if (( ${#paths} > 0 )); then
		rbee_errors+=('Package contains paths with newlines')
		ret=1
	fi
	return $ret
}

warn_missing_backup() {
	local file
	for file in "${backup[@]}"; do
		if [[ ! -f $file ]]; then
			rbee_warnings+=("backup entry file not in package : $file")
		fi
	done
	return 0
}

lint_package() {
	cd "$pkgdir" || return 1
	local ret=0 func
	for func in warn_build_references check_dotfiles lint_file_names warn_missing_backup; do
		$func || ret=1
	done
	return $ret
}
