#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh KDIR OUTDIR
#
# Build kpool's modules (and, where the kernel has CONFIG_KUNIT, the KUnit
# module) plus the example consumer against KDIR, with W=1 and sparse (the
# one scripts/sparse.sh provides), in a private copy of the tree under
# OUTDIR (so builds for several kernels never share objects). Fails on any
# compiler or sparse warning, and when kbuild skipped sparse; the full log
# is OUTDIR/build.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: build.sh KDIR OUTDIR"
kdir=$1 out=$2
[ -f "$kdir/Makefile" ] || die "no kernel build tree at $kdir"
sparse=$("$KPOOL_ROOT/scripts/sparse.sh")
mkdir -p "$out"
rsync -a --delete --exclude=.git --exclude=.out --exclude=userspace \
	"$KPOOL_ROOT/" "$out/src/"
log=$out/build.log
{
	make -C "$kdir" M="$out/src" W=1 C=1 CHECK="$sparse" modules
	make -C "$out/src/samples/kpool_example" KDIR="$kdir" KPOOL_DIR="$out/src" W=1 C=1 \
		CHECK="$sparse"
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "build against $kdir failed"; }

if grep -E ': (warning|error):|sparse is not available' "$log" >&2; then
	die "build against $kdir has warnings (see $log)"
fi
