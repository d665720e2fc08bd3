#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--kernel K] [--objpool-kernel K|none] [--cpus N] [--rounds R]
#          [--pairs N] [--workloads w1,w2,...] [--no-icount] [--update]
#
# make bench: build kpool and its benchmark (bench/) for a Debian kernel
# (6.1 by default), boot it in QEMU and write a report:
#
#  1. wall time: multi-threaded TCG with N vCPUs (--cpus, default 2) and
#     tsc=reliable; workloads w1-w9 (see bench/main.c and bench/REPORT.md)
#  2. instruction counts: one vCPU under -icount shift=0 (the guest's
#     time-stamp counter advances by one per instruction); w1, w2, w5, w8
#  3. objpool: where kernel K has no lib/objpool (6.1), w9 (kpool against
#     objpool, which must share a boot) runs in a third, wall-time boot of
#     --objpool-kernel (default 6.12; "none" skips it)
#
# Every boot gets the same kernel arguments (BOOT_ARGS below). --workloads
# runs only the listed workloads (for development: the report then says
# NOT MEASURED for the others). Results go to $KPOOL_OUT/bench/<timestamp>/
# (raw CSV, guest logs, REPORT.md, plots/*.png); $KPOOL_OUT/bench/latest
# points to the last run. The host's load average before and after each
# boot is recorded: other work on the host distorts wall times (most of all
# W3, W4 and W9), never instruction counts. --update copies the report and
# its plots to bench/REPORT.md and bench/plots/ for committing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=6.1 objpool_kernel=6.12 cpus=2 rounds=7 pairs=20000 icount=1 update=0
workloads=
usage="usage: bench.sh [--kernel K] [--objpool-kernel K|none] [--cpus N] [--rounds R] [--pairs N] [--workloads w1,w2,...] [--no-icount] [--update]"
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--objpool-kernel) objpool_kernel=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--pairs) pairs=$2; shift 2 ;;
	--workloads) workloads=$2; shift 2 ;;
	--no-icount) icount=0; shift ;;
	--update) update=1; shift ;;
	*) die "$usage" ;;
	esac
done
[ "$rounds" -ge 7 ] || log "warning: fewer than 7 rounds ($rounds)"
[ -z "$workloads" ] || [ "$update" -eq 0 ] ||
	die "--update needs every workload (no --workloads)"

# wanted WORKLOAD: no --workloads, or it is listed
wanted() {
	[ -z "$workloads" ] || [[ ",$workloads," == *",$1,"* ]]
}

# Same for every candidate and every boot: no zeroing on allocation or
# free (kpool's pools have no KPOOL_F_ZERO but kpool_zero), a big log
# buffer for the results.
BOOT_ARGS="tsc=reliable init_on_alloc=0 init_on_free=0 log_buf_len=8M"
BOOT_ARGS+=" kpool_bench.rounds=$rounds kpool_bench.pairs=$pairs"
[ -z "$workloads" ] || BOOT_ARGS+=" kpool_bench.workloads=$workloads"

out=$KPOOL_OUT/bench/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
start=$SECONDS

"$KPOOL_ROOT/scripts/deps.sh"

# Every boot measures one snapshot of the tree, taken now: builds, guest
# plans and the report come from it, whatever changes in the tree
# meanwhile. $out/source names it.
snap=$out/snapshot
rsync -a --delete --exclude=.git --exclude=.out "$KPOOL_ROOT/" "$snap/"
{
	git -C "$KPOOL_ROOT" log -1 --format='%h %s' 2>/dev/null || echo unknown
	git -C "$KPOOL_ROOT" status --porcelain -- '*.c' '*.h' 2>/dev/null |
		awk '$1 != "??" { print $2 }' | tr '\n' ' '
} >"$out/source"

# build KERNEL DIR: kpool, kpool_bench and kpool_ubench for KERNEL under
# DIR, packed into DIR/initramfs.gz; sets vmlinuz and kdir.
build() {
	local k=$1 dir=$2 src
	read -r _ vmlinuz kdir _ < <("$KPOOL_ROOT/scripts/kernels.sh" "$k")
	[ -n "$kdir" ] || die "no kernel $k"
	log "building kpool and kpool_bench against $kdir"
	"$snap/scripts/build.sh" "$kdir" "$dir/build"
	src=$dir/build/src
	make -C "$src/bench" KDIR="$kdir" KPOOL_DIR="$src" W=1 C=1 modules \
		>"$dir/bench-build.log" 2>&1 ||
		{ tail -n 30 "$dir/bench-build.log" >&2; die "kpool_bench does not build"; }
	if grep -E ': (warning|error):' "$dir/bench-build.log" >&2; then
		die "kpool_bench has build warnings (see $dir/bench-build.log)"
	fi
	mkdir -p "$dir/tools"
	make -s -C "$src/bench" ubench
	cp "$src/bench/kpool_ubench" "$dir/tools/"
	"$snap/scripts/initramfs.sh" "$dir/initramfs.gz" "$src" "$dir/tools"
}

vmlinuz='' kdir=''
build "$kernel" "$out"
src=$out/build/src

# boot MODE VMLINUZ INITRAMFS ARGS VM_OPTIONS...: one guest with BOOT_ARGS
# plus ARGS; its result lines to $out/MODE.csv, its settings to
# $out/MODE.info.
status=0
boot() {
	local mode=$1 image=$2 initrd=$3 args=$4 t0=$SECONDS
	shift 4
	log "guest: $mode ($*)"
	cut -d' ' -f1 /proc/loadavg >"$out/$mode.load"
	"$snap/scripts/vm.sh" --mem 2048 --timeout 1500 "$@" \
		--append "$BOOT_ARGS $args" \
		"$image" "$initrd" bench "$out/$mode" || status=1
	grep -a -o 'kpool_bench,csv,.*' "$out/$mode/results.log" | tr -d '\r' |
		sed 's/^kpool_bench,csv,//' >"$out/$mode.csv" || true
	grep -a -o 'kpool_bench,info,.*' "$out/$mode/results.log" | tr -d '\r' |
		sed 's/^kpool_bench,info,//' >"$out/$mode.info" || true
	cut -d' ' -f1 /proc/loadavg >>"$out/$mode.load"
	log "guest: $mode done in $((SECONDS - t0))s"
}
# W9 needs objpool in the same boot: where kernel K has none (objpool
# exports objpool_init() where it exists), it runs in a boot of its own.
objpool_boot=0
if wanted w9 && [ "$objpool_kernel" != none ] &&
	! grep -q -w objpool_init "$kdir/Module.symvers"; then
	objpool_boot=1
fi
wall_args=kpool_bench.mode=wall
[ "$objpool_boot" -eq 0 ] || wall_args+=" kpool_bench.skip=w9"
boot wall "$vmlinuz" "$out/initramfs.gz" "$wall_args" --smp "$cpus"
# Instruction counts do not vary from run to run: one run per measurement.
if [ "$icount" -eq 1 ]; then
	boot icount "$vmlinuz" "$out/initramfs.gz" \
		"kpool_bench.mode=icount kpool_bench.repeat=1" --icount --smp 1
fi
if [ "$objpool_boot" -eq 1 ]; then
	echo "$objpool_kernel" >"$out/objpool_kernel"
	mkdir -p "$out/objpool-kernel"
	build "$objpool_kernel" "$out/objpool-kernel"
	boot objpool "$vmlinuz" "$out/objpool-kernel/initramfs.gz" \
		"kpool_bench.mode=wall kpool_bench.workloads=w9" --smp "$cpus"
fi

# Where kpool's instructions go: its hit paths, disassembled.
objdump -dr --no-show-raw-insn "$src/kpool.ko" >"$out/kpool.dis"
objdump -dr --no-show-raw-insn "$src/kpool_set.ko" >"$out/kpool_set.dis"
objdump -dr --no-show-raw-insn "$src/kpool_dev.ko" >"$out/kpool_dev.dis"
echo "$BOOT_ARGS" >"$out/boot_args"
echo "$kernel" >"$out/kernel"

log "writing the report"
python3 "$snap/scripts/bench-report.py" "$out" || status=1
ln -sfn "$(basename "$out")" "$KPOOL_OUT/bench/latest"
if [ "$update" -eq 1 ] && [ $status -eq 0 ]; then
	mkdir -p "$KPOOL_ROOT/bench/plots"
	cp "$out"/plots/*.png "$KPOOL_ROOT/bench/plots/"
	cp "$out/REPORT.md" "$KPOOL_ROOT/bench/REPORT.md"
fi
log "report: ${out#"$KPOOL_ROOT"/}/REPORT.md ($((SECONDS - start))s)"
sed -n '/^## Targets/,/^## /p' "$out/REPORT.md" | sed '$d'
exit $status
