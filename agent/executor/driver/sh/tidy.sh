# makepkg 6.0.2's tidy_install (libmakepkg tidy/*.sh, GPL-2.0-or-later), for the driver:
# the same operations in the same order (docs, emptydirs, libtool, purge, staticlibs, then
# strip and zipman), driven by OPTIONS from makepkg.conf and the PKGBUILD's options. The one
# change: instead of printing makepkg's msg2 lines, each operation that runs is recorded in
# rbee_ops, which becomes the `operations` of the tidy step event.
# With Debian's defaults (!debug) strip_file only strips; with options=(debug) it also moves
# symbols to pkg/<pkgbase>-debug as makepkg does (needs debugedit).

tidy_docs() {
	if check_option "docs" "n" && [[ -n ${DOC_DIRS[*]} ]]; then
		rbee_ops+=(docs)
		rm -rf -- ${DOC_DIRS[@]}
	fi
}

tidy_emptydirs() {
	if check_option "emptydirs" "n"; then
		rbee_ops+=(emptydirs)
		find . -depth -type d -exec rmdir '{}' \; 2>/dev/null
	fi
}

tidy_libtool() {
	if check_option "libtool" "n"; then
		rbee_ops+=(libtool)
		find . ! -type d -name "*.la" -exec rm -f -- '{}' +
	fi
}

tidy_purge() {
	if check_option "purge" "y" && [[ -n ${PURGE_TARGETS[*]} ]]; then
		rbee_ops+=(purge)
		local pt
		for pt in "${PURGE_TARGETS[@]}"; do
			if [[ ${pt} = "${pt//\/}" ]]; then
				find . ! -type d -name "${pt}" -exec rm -f -- '{}' +
			else
				rm -f ${pt}
			fi
		done
	fi
}

tidy_staticlibs() {
	if check_option "staticlibs" "n"; then
		rbee_ops+=(staticlibs)
		local l
		while IFS= read -rd '' l; do
			if [[ -f "${l%.a}.so" || -h "${l%.a}.so" ]]; then
				rm "$l"
			fi
		done < <(find . ! -type d -name "*.a" -print0)
	fi
}

build_id() {
	LANG=C readelf -n "$1" | sed -n '/Build ID/ { s/.*: //p; q; }'
}

source_files() {
	LANG=C debugedit --no-recompute-build-id \
		--base-dir "${srcdir}" \
		--dest-dir "${dbgsrcdir}/${pkgbase}" \
		--list-file /dev/stdout "$1" \
		| sort -zu | tr '\0' '\n'
}

strip_file() {
	local binary=$1; shift

	if check_option "debug" "y"; then
		local bid=$(build_id "$binary")
		if [[ -n "$bid" ]]; then
			if [[ -f "$dbgdir/.build-id/${bid:0:2}/${bid:2}.debug" ]]; then
				return
			fi
		elif [[ -f "$dbgdir/$binary.debug" ]]; then
			return
		fi

		local file dest t
		while IFS= read -r t; do
			file="${srcdir}/${t}"
			dest="${dbgsrc}/${t}"
			if [[ -f "$file" ]] && ! [[ -f $dest ]]; then
				mkdir -p "${dest%/*}"
				cp -- "$file" "$dest"
			fi
		done < <(source_files "$binary")

		mkdir -p "$dbgdir/${binary%/*}"
		if ! objcopy --only-keep-debug "$binary" "$dbgdir/$binary.debug" 2>/dev/null; then
			return
		fi

		local tempfile=$(mktemp "$binary.XXXXXX")
		objcopy --add-gnu-debuglink="$dbgdir/${binary#/}.debug" "$binary" "$tempfile"
		cat "$tempfile" > "$binary"
		rm "$tempfile"

		while IFS= read -rd '' file ; do
			if [[ "${binary}" -ef "${file}" && ! -f "$dbgdir/${file}.debug" ]]; then
				mkdir -p "$dbgdir/${file%/*}"
				ln "$dbgdir/${binary}.debug" "$dbgdir/${file}.debug"
			fi
		done < <(find . -type f -perm -u+w -print0 2>/dev/null)

		if [[ -n "$bid" ]]; then
			local target
			mkdir -p "$dbgdir/.build-id/${bid:0:2}"

			target="../../../../../${binary#./}"
			target="${target/..\/..\/usr\/lib\/}"
			target="${target/..\/usr\/}"
			ln -s "$target" "$dbgdir/.build-id/${bid:0:2}/${bid:2}"

			target="../../${binary#./}.debug"
			ln -s "$target" "$dbgdir/.build-id/${bid:0:2}/${bid:2}.debug"
		fi
	fi

	local tempfile=$(mktemp "$binary.XXXXXX")
	if strip "$@" "$binary" -o "$tempfile"; then
		cat "$tempfile" > "$binary"
	fi
	rm -f "$tempfile"
}

strip_lto() {
	local binary=$1;
	local tempfile=$(mktemp "$binary.XXXXXX")
	if strip -R .gnu.lto_* -R .gnu.debuglto_* -N __gnu_lto_v1 "$binary" -o "$tempfile"; then
		cat "$tempfile" > "$binary"
	fi
	rm -f "$tempfile"
}

tidy_strip() {
	if check_option "strip" "y"; then
		rbee_ops+=(strip)
		[[ -z ${STRIP_SHARED+x} ]] && STRIP_SHARED="-S"
		[[ -z ${STRIP_STATIC+x} ]] && STRIP_STATIC="-S"

		if check_option "debug" "y"; then
			dbgdir="$pkgdirbase/$pkgbase-debug/usr/lib/debug"
			dbgsrcdir="${DBGSRCDIR:-/usr/src/debug}"
			dbgsrc="$pkgdirbase/$pkgbase-debug$dbgsrcdir"
			mkdir -p "$dbgdir" "$dbgsrc"
		fi

		local binary strip_flags
		find . -type f -perm -u+w -print0 2>/dev/null | while IFS= read -rd '' binary ; do
			local STRIPLTO=0
			case "$(LC_ALL=C readelf -h "$binary" 2>/dev/null)" in
				*Type:*'DYN (Shared object file)'*)
					strip_flags="$STRIP_SHARED";;
				*Type:*'DYN (Position-Independent Executable file)'*)
					strip_flags="$STRIP_SHARED";;
				*Type:*'EXEC (Executable file)'*)
					strip_flags="$STRIP_BINARIES";;
				*Type:*'REL (Relocatable file)'*)
					if ar t "$binary" &>/dev/null; then
						strip_flags="$STRIP_STATIC"
						STRIPLTO=1
					elif [[ $binary = *'.ko' ]]; then
						strip_flags="$STRIP_SHARED"
					else
						continue
					fi
					;;
				*)
					continue ;;
			esac
			strip_file "$binary" ${strip_flags}
			(( STRIPLTO )) && strip_lto "$binary"
		done
	fi
}

tidy_zipman() {
	if check_option "zipman" "y" && [[ -n ${MAN_DIRS[*]} ]]; then
		rbee_ops+=(zipman)
		local file files inode link
		while read -rd ' ' inode; do
			IFS= read -r file
			find "${MAN_DIRS[@]}" -type l -print0 2>/dev/null |
			while IFS= read -rd '' link ; do
				if [[ "${file}" -ef "${link}" ]] ; then
					rm -f "$link" "${link}.gz"
					if [[ ${file%/*} = "${link%/*}" ]]; then
						ln -s -- "${file##*/}.gz" "${link}.gz"
					else
						ln -s -- "/${file}.gz" "${link}.gz"
					fi
				fi
			done
			if [[ -z ${files[$inode]} ]]; then
				files[$inode]=$file
				gzip -9 -n -f "$file"
			else
				rm -f "$file"
				ln "${files[$inode]}.gz" "${file}.gz"
				chmod 644 "${file}.gz"
			fi
		done < <(find "${MAN_DIRS[@]}" -type f \! -name "*.gz" \! -name "*.bz2" \
			-exec stat -c '%i %n' '{}' + 2>/dev/null)
	fi
}

tidy_install() {
	cd "$pkgdir" || return 1
	local func
	for func in tidy_docs tidy_emptydirs tidy_libtool tidy_purge tidy_staticlibs; do
		$func
	done
	for func in tidy_strip tidy_zipman; do
		$func
	done
}
