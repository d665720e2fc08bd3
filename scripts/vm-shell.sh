#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-shell.sh [KERNEL]   (6.1 by default; 6.12, 6.12-rt, the newest (7.2), 7.2-rt, debug)
#
# An interactive shell in the test guest with kpool's modules (in /kpool)
# and tools (in /bin) for KERNEL. `reboot -f` ends it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=${1:-6.1}
out=$KPOOL_OUT/vm-$kernel
read -r _ vmlinuz kdir _ < <("$KPOOL_ROOT/scripts/kernels.sh" "$kernel")
"$KPOOL_ROOT/scripts/build.sh" "$kdir" "$out/build"
make -s -C "$KPOOL_ROOT/userspace"
make -s -C "$KPOOL_ROOT/userspace" install DESTDIR="$out/tools"
"$KPOOL_ROOT/scripts/initramfs.sh" "$out/initramfs.gz" "$out/build/src" "$out/tools"
exec qemu-system-x86_64 -accel tcg,thread=multi -m 1024 -smp 2 \
	-kernel "$vmlinuz" -initrd "$out/initramfs.gz" \
	-append "console=ttyS0 kpool.plan=shell" -nographic -no-reboot
