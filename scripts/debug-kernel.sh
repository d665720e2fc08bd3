#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the kpool debug kernel from Debian's linux-source-6.12:
# tinyconfig + scripts/debug.config. The build tree is cached under
# $KPOOL_CACHE/debug-<source version>-<fragment hash>/build and is usable as
# KDIR for out-of-tree modules (it has run `make modules` for
# Module.symvers). Prints the build directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fragment=$KPOOL_ROOT/scripts/debug.config
src=$("$KPOOL_ROOT/scripts/source.sh")
version=$(cat "$src/.kpool-version")
hash=$(sha256sum "$fragment" | cut -c1-12)
build=$KPOOL_CACHE/debug-$version-$hash/build

# One build at a time: a second caller waits, then finds it done.
mkdir -p "$KPOOL_CACHE"
exec 9>"$KPOOL_CACHE/debug-kernel.lock"
flock 9
if [ -f "$build/.kpool-done" ]; then
	echo "$build"
	exit 0
fi

log "building the debug kernel in $build (first run only; ~6-10 min on 2 cores)"
rm -rf "$build"
mkdir -p "$build"
kmake() {
	make -C "$src" O="$build" ARCH=x86_64 -j"$JOBS" "$@" >>"$build/build.log" 2>&1 ||
		{ tail -n 40 "$build/build.log" >&2; die "debug kernel: make $* failed"; }
}
kmake tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$fragment" \
	>>"$build/build.log" 2>&1
kmake olddefconfig

# Every line of the fragment must have survived olddefconfig.
missing=$(grep -E '^(CONFIG_[A-Z0-9_]+=.*|# CONFIG_[A-Z0-9_]+ is not set)$' "$fragment" |
	grep -vxF -f "$build/.config" || true)
[ -z "$missing" ] || die "debug.config options not taken by Kconfig:
$missing"

kmake bzImage modules
touch "$build/.kpool-done"
echo "$build"
