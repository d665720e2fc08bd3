#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - build kpool for Debian's 6.1 kernel, boot it in a QEMU guest,
# load kpool, /dev/kpool and the example consumer, and run the scripted
# kpoolctl session of scripts/guest/plans/demo.sh, printing what happens.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$KPOOL_ROOT/scripts/deps.sh"
out=$KPOOL_OUT/demo
read -r _ vmlinuz kdir _ < <("$KPOOL_ROOT/scripts/kernels.sh" 6.1)
log "building kpool against $kdir"
"$KPOOL_ROOT/scripts/build.sh" "$kdir" "$out/build"
make -s -C "$KPOOL_ROOT/userspace"
make -s -C "$KPOOL_ROOT/userspace" install DESTDIR="$out/tools"
"$KPOOL_ROOT/scripts/initramfs.sh" "$out/initramfs.gz" "$out/build/src" "$out/tools"
log "booting Debian 6.1 in QEMU (TCG) and running the demo"
rc=0
"$KPOOL_ROOT/scripts/vm.sh" --timeout 300 "$vmlinuz" "$out/initramfs.gz" demo "$out" || rc=$?
grep -a -v '^KPOOL-' "$out/results.log"
echo
if [ $rc -eq 0 ]; then
	log "demo finished; kernel log: ${out#"$KPOOL_ROOT"/}/console.log"
else
	log "demo FAILED; kernel log: ${out#"$KPOOL_ROOT"/}/console.log"
fi
exit $rc
