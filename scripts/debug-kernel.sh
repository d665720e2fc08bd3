#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [--config-only] [FLAVOUR]
#
# Build (once) a kpool debug kernel from Debian unstable's linux-source of
# the newest series (scripts/source.sh): tinyconfig + scripts/debug.config
# (FLAVOUR kasan, the default), or
# tinyconfig + scripts/debug.config + scripts/debug-FLAVOUR.config merged on
# top of it (FLAVOUR kcsan: KCSAN instead of KASAN; rt: PREEMPT_RT). The
# build tree is cached under $KPOOL_CACHE/<name>-<source version>-<fragments
# hash>/build (name "debug" for kasan, "debug-rt" for rt, else FLAVOUR) and
# is usable as KDIR for out-of-tree modules (it has run `make modules` for
# Module.symvers). Prints the build directory. Several jobs may ask for the
# same kernel at once: one builds it, the others wait for it
# (scripts/lib.sh: cache_entry); an interrupted build is started again.
#
# --config-only: only prove that Kconfig takes every line of the fragments
# (tinyconfig, merge, olddefconfig in a scratch directory; seconds, no
# build, nothing cached).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

config_only=
if [ "${1:-}" = --config-only ]; then
	config_only=y
	shift
fi
flavour=${1:-kasan}
fragments=("$KPOOL_ROOT/scripts/debug.config")
case $flavour in
kasan) name=debug ;;
rt) name=debug-rt ;;
*) name=$flavour ;;
esac
[ "$flavour" = kasan ] || fragments+=("$KPOOL_ROOT/scripts/debug-$flavour.config")
[ -f "${fragments[-1]}" ] || die "no debug kernel flavour '$flavour'"
src=$("$KPOOL_ROOT/scripts/source.sh")
version=$(cat "$src/.kpool-version")
hash=$(cat "${fragments[@]}" | sha256sum | cut -c1-12)
kmake() {
	make -C "$src" O="$build" ARCH=x86_64 -j"$JOBS" "$@" >>"$build/build.log" 2>&1 ||
		{ tail -n 40 "$build/build.log" >&2; die "debug kernel: make $* failed"; }
}

configure() {
	kmake tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "${fragments[@]}" \
		>>"$build/build.log" 2>&1
	kmake olddefconfig
}

# The fragments as merged: a later fragment's line for a symbol replaces
# the earlier ones.
merged() {
	grep -h -E '^(CONFIG_[A-Z0-9_]+=.*|# CONFIG_[A-Z0-9_]+ is not set)$' "${fragments[@]}" |
		awk '{ sym = $1 == "#" ? $2 : substr($1, 1, index($1, "=") - 1) }
		     !(sym in line) { order[n++] = sym } { line[sym] = $0 }
		     END { for (i = 0; i < n; i++) print line[order[i]] }'
}

# Every merged line must have survived olddefconfig; "is not set" is also
# met by a symbol that Kconfig left out (its menu is off).
taken() {
	local sym
	case $1 in
	"# "*) sym=${1#\# }; ! grep -q "^${sym%% *}=" "$build/.config" ;;
	*) grep -qxF "$1" "$build/.config" ;;
	esac
}
# Kconfig took every line of the fragments, or die naming those it did not.
check_taken() {
	local missing
	missing=$(merged | while IFS= read -r line; do
		if ! taken "$line"; then echo "$line"; fi
	done)
	[ -z "$missing" ] || die "$flavour debug kernel: options not taken by Kconfig:
$missing"
}

if [ -n "$config_only" ]; then
	build=$(mktemp -d)
	trap 'rm -rf "$build"' EXIT
	configure
	check_taken
	echo "$flavour debug kernel: Kconfig takes all $(merged | wc -l) lines of ${fragments[*]##*/}"
	exit 0
fi

# build_in DIR: the kernel in DIR/build.
build_in() {
	build=$1/build
	mkdir -p "$build"
	log "building the $flavour debug kernel in $build (first run only; 10-15 min on 2 cores)"
	configure
	check_taken
	kmake bzImage modules
}

entry=$KPOOL_CACHE/$name-$version-$hash
cache_entry "$entry" build_in || die "cannot build the $flavour debug kernel"
echo "$entry/build"
