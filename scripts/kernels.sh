#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernels.sh KERNEL...   (6.1, 6.12, 6.12-rt, the newest series and its
#                         -rt, e.g. 7.2 and 7.2-rt, debug, debug-rt, kcsan)
#
# Make each guest kernel available and print one line per kernel:
#   KERNEL VMLINUZ KDIR RELEASE
# Every kernel lands in the cache once (scripts/lib.sh: cache_entry), safe
# when several jobs ask for it at once:
#  - Debian 12's kernels, resolved through their metapackages: the image
#    is unpacked from its .deb at exactly the version of the installed
#    headers (deps.sh), so modules built against KDIR (those headers) load
#    into VMLINUZ;
#  - the newest series, Debian unstable's (scripts/newest.sh): its
#    linux-binary .deb gives the image; its headers were built with a
#    compiler and C library newer than Debian 12's, so KDIR is a tree
#    prepared from linux-source-SERIES with Debian's .config and
#    `make modules_prepare KERNELRELEASE=<Debian's>` under the machine's
#    gcc, with Debian's Module.symvers: modules built there load into
#    Debian's binary kernel;
#  - "debug" (KASAN), "debug-rt" (the same on PREEMPT_RT) and "kcsan"
#    (KCSAN instead of KASAN), built from the newest series' source
#    (debug-kernel.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bookworm_kernel() {
	local kernel=$1 headers abi version dir
	headers=$(resolve_metapackage "${KPOOL_HEADERS_PKG[$kernel]}")
	[ -n "$headers" ] || die "cannot resolve ${KPOOL_HEADERS_PKG[$kernel]}"
	abi=${headers#linux-headers-}
	version=$(dpkg-query -W -f='${Version}' "$headers" 2>/dev/null) ||
		die "$headers is not installed (run scripts/deps.sh)"
	dir=$KPOOL_CACHE/kernels/$abi-$version
	cache_entry "$dir" fetch_bookworm "$abi" "$version" ||
		die "kernel $kernel: cannot fetch linux-image-$abi $version"
	echo "$kernel $dir/vmlinuz /usr/src/linux-headers-$abi $abi"
}

fetch_bookworm() {
	local abi=$1 version=$2 dir=$3
	log "fetching linux-image-$abi $version"
	(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root \
		"linux-image-$abi=$version" >/dev/null)
	dpkg-deb -x "$dir"/linux-image-*.deb "$dir/root"
	cp "$dir/root/boot/vmlinuz-$abi" "$dir/vmlinuz"
	rm -rf "$dir/root" "$dir"/*.deb
}

sid_kernel() {
	local kernel=$1 flavour=$2 abi version dir
	read -r abi version < <(sid_newest "$flavour")
	[ "$(series "$abi")" = "${kernel%-rt}" ] ||
		die "unknown kernel '$kernel' (Debian unstable's newest is $(series "$abi"))"
	dir=$KPOOL_CACHE/kernels/$abi-$version
	cache_entry "$dir" prepare_sid "$abi" "$version" ||
		die "kernel $kernel: cannot fetch and prepare $abi $version"
	echo "$kernel $dir/vmlinuz $dir/build $abi"
}

prepare_sid() {
	local abi=$1 version=$2 dir=$3 src headers build=$3/build
	src=$("$KPOOL_ROOT/scripts/source.sh" "$(series "$abi")")
	log "fetching $abi $version and preparing its build tree"
	sid_download "$dir" "linux-binary-$abi=$version" "linux-headers-$abi=$version"
	dpkg-deb -x "$dir"/linux-binary-*.deb "$dir/root"
	dpkg-deb -x "$dir"/linux-headers-*.deb "$dir/root"
	cp "$dir/root/usr/lib/modules/$abi/vmlinuz" "$dir/vmlinuz"
	headers=$dir/root/usr/src/linux-headers-$abi
	mkdir -p "$build"
	# Debian's signing keys are not ours: modules stay unsigned (they
	# taint the kernel, nothing else)
	sed -e 's/^\(CONFIG_SYSTEM_TRUSTED_KEYS\|CONFIG_SYSTEM_REVOCATION_KEYS\|CONFIG_MODULE_SIG_KEY\)=.*/\1=""/' \
		"$headers/.config" >"$build/.config"
	{
		make -C "$src" O="$build" olddefconfig &&
			make -C "$src" O="$build" -j"$JOBS" modules_prepare KERNELRELEASE="$abi"
	} >"$dir/prepare.log" 2>&1 || { tail -n 30 "$dir/prepare.log" >&2; return 1; }
	cp "$headers/Module.symvers" "$build/"
	rm -rf "$dir/root" "$dir"/*.deb
}

# debug_kernel KERNEL FLAVOUR
debug_kernel() {
	local build
	build=$("$KPOOL_ROOT/scripts/debug-kernel.sh" "$2")
	echo "$1 $build/arch/x86/boot/bzImage $build $(cat "$build/include/config/kernel.release")"
}

for kernel in "$@"; do
	case $kernel in
	debug) debug_kernel debug kasan ;;
	debug-rt) debug_kernel debug-rt rt ;;
	kcsan) debug_kernel kcsan kcsan ;;
	*-rt) if [ -n "${KPOOL_HEADERS_PKG[$kernel]:-}" ]; then
		      bookworm_kernel "$kernel"
	      else
		      sid_kernel "$kernel" -rt
	      fi ;;
	*) if [ -n "${KPOOL_HEADERS_PKG[$kernel]:-}" ]; then
		   bookworm_kernel "$kernel"
	   else
		   sid_kernel "$kernel" ""
	   fi ;;
	esac
done
