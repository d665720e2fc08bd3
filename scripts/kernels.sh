#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh KERNEL...   (6.1, 6.12, 6.12-rt, debug, debug-rt, kcsan)
#
# Make each guest kernel available and print one line per kernel:
#   KERNEL VMLINUZ KDIR
# Stock kernels are Debian's, resolved through their metapackages: the
# image is unpacked from its .deb into the cache (no installing needed) at
# exactly the version of the installed headers, so modules built against
# KDIR load into VMLINUZ. "debug" (KASAN), "debug-rt" (the same on
# PREEMPT_RT) and "kcsan" (KCSAN instead of KASAN) are built from source
# (debug-kernel.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

stock_kernel() {
	local kernel=$1 headers abi version dir
	headers=$(resolve_metapackage "${KPOOL_HEADERS_PKG[$kernel]}")
	[ -n "$headers" ] || die "cannot resolve ${KPOOL_HEADERS_PKG[$kernel]}"
	abi=${headers#linux-headers-}
	version=$(dpkg-query -W -f='${Version}' "$headers" 2>/dev/null) ||
		die "$headers is not installed (run scripts/deps.sh)"
	dir=$KPOOL_CACHE/kernels/$abi-$version
	if [ ! -f "$dir/vmlinuz" ]; then
		log "fetching linux-image-$abi $version"
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp"
		(cd "$dir.tmp" && apt-get download -q -o APT::Sandbox::User=root "linux-image-$abi=$version" >/dev/null)
		dpkg-deb -x "$dir.tmp"/linux-image-*.deb "$dir.tmp/root"
		cp "$dir.tmp/root/boot/vmlinuz-$abi" "$dir.tmp/vmlinuz"
		rm -rf "$dir.tmp/root" "$dir.tmp"/*.deb
		rm -rf "$dir"
		mv "$dir.tmp" "$dir"
	fi
	echo "$kernel $dir/vmlinuz /usr/src/linux-headers-$abi"
}

# debug_kernel KERNEL FLAVOUR
debug_kernel() {
	local build
	build=$("$KPOOL_ROOT/scripts/debug-kernel.sh" "$2")
	echo "$1 $build/arch/x86/boot/bzImage $build"
}

for kernel in "$@"; do
	case $kernel in
	debug) debug_kernel debug kasan ;;
	debug-rt) debug_kernel debug-rt rt ;;
	kcsan) debug_kernel kcsan kcsan ;;
	*) [ -n "${KPOOL_HEADERS_PKG[$kernel]:-}" ] || die "unknown kernel '$kernel'"
	   stock_kernel "$kernel" ;;
	esac
done
