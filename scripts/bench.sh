#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--kernel K] [--cpus N] [--rounds R] [--pairs N] [--no-icount]
#
# make bench: build kpool and its benchmark (bench/) for a Debian kernel
# (6.1 by default), boot it twice in QEMU and write a report:
#
#  1. wall time: multi-threaded TCG with N vCPUs (--cpus, default 2) and
#     tsc=reliable; workloads w1-w8 (see bench/main.c and bench/REPORT.md)
#  2. instruction counts: one vCPU under -icount shift=0 (the guest's
#     time-stamp counter advances by one per instruction); w1, w2, w5, w8
#
# Both boots get the same kernel arguments (BOOT_ARGS below). Results go to
# .out/bench/<timestamp>/ (raw CSV, guest logs, REPORT.md, plots/*.png);
# .out/bench/latest points to the last run. The host's load average
# before and after each boot is recorded: other work on the host distorts
# wall times (most of all W3 and W4), never instruction counts. --update copies the report and
# its plots to bench/REPORT.md and bench/plots/ for committing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=6.1 cpus=2 rounds=7 pairs=20000 icount=1 update=0
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--pairs) pairs=$2; shift 2 ;;
	--no-icount) icount=0; shift ;;
	--update) update=1; shift ;;
	*) die "usage: bench.sh [--kernel K] [--cpus N] [--rounds R] [--pairs N] [--no-icount] [--update]" ;;
	esac
done
[ "$rounds" -ge 7 ] || log "warning: fewer than 7 rounds ($rounds)"

# Same for every candidate and both boots: no zeroing on allocation or free
# (kpool's blocks are not zeroed either), a big log buffer for the results.
BOOT_ARGS="tsc=reliable init_on_alloc=0 init_on_free=0 log_buf_len=8M"
BOOT_ARGS+=" kpool_bench.rounds=$rounds kpool_bench.pairs=$pairs"

out=$KPOOL_OUT/bench/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out/tools"
start=$SECONDS

"$KPOOL_ROOT/scripts/deps.sh"
read -r _ vmlinuz kdir < <("$KPOOL_ROOT/scripts/kernels.sh" "$kernel")
log "building kpool and kpool_bench against $kdir"
"$KPOOL_ROOT/scripts/build.sh" "$kdir" "$out/build"
src=$out/build/src
make -C "$src/bench" KDIR="$kdir" KPOOL_DIR="$src" W=1 C=1 modules \
	>"$out/bench-build.log" 2>&1 ||
	{ tail -n 30 "$out/bench-build.log" >&2; die "kpool_bench does not build"; }
if grep -E ': (warning|error):' "$out/bench-build.log" >&2; then
	die "kpool_bench has build warnings (see $out/bench-build.log)"
fi
make -s -C "$src/bench" ubench
cp "$src/bench/kpool_ubench" "$out/tools/"
"$KPOOL_ROOT/scripts/initramfs.sh" "$out/initramfs.gz" "$src" "$out/tools"

# boot MODE ARGS VM_OPTIONS...: one guest with BOOT_ARGS plus ARGS; its
# result lines to $out/MODE.csv, its settings to $out/MODE.info.
status=0
boot() {
	local mode=$1 args=$2 t0=$SECONDS
	shift 2
	log "guest: $mode ($*)"
	cut -d' ' -f1 /proc/loadavg >"$out/$mode.load"
	"$KPOOL_ROOT/scripts/vm.sh" --mem 2048 --timeout 1500 "$@" \
		--append "$BOOT_ARGS kpool_bench.mode=$mode $args" \
		"$vmlinuz" "$out/initramfs.gz" bench "$out/$mode" || status=1
	grep -a -o 'kpool_bench,csv,.*' "$out/$mode/results.log" | tr -d '\r' |
		sed 's/^kpool_bench,csv,//' >"$out/$mode.csv" || true
	grep -a -o 'kpool_bench,info,.*' "$out/$mode/results.log" | tr -d '\r' |
		sed 's/^kpool_bench,info,//' >"$out/$mode.info" || true
	cut -d' ' -f1 /proc/loadavg >>"$out/$mode.load"
	log "guest: $mode done in $((SECONDS - t0))s"
}
boot wall "" --smp "$cpus"
# Instruction counts do not vary from run to run: one run per measurement.
[ "$icount" -eq 0 ] || boot icount kpool_bench.repeat=1 --icount --smp 1

# Where kpool's instructions go: its fast paths, disassembled.
objdump -dr --no-show-raw-insn "$src/kpool.ko" >"$out/kpool.dis"
pahole -C kpool_chunk "$src/kpool.ko" 2>/dev/null | awk '/size:/ { print $3 }' |
	tr -d , >"$out/kpool_chunk.size" || true
echo "$BOOT_ARGS" >"$out/boot_args"
echo "$kernel" >"$out/kernel"

log "writing the report"
python3 "$KPOOL_ROOT/scripts/bench-report.py" "$out" || status=1
ln -sfn "$(basename "$out")" "$KPOOL_OUT/bench/latest"
if [ "$update" -eq 1 ] && [ $status -eq 0 ]; then
	mkdir -p "$KPOOL_ROOT/bench/plots"
	cp "$out"/plots/*.png "$KPOOL_ROOT/bench/plots/"
	cp "$out/REPORT.md" "$KPOOL_ROOT/bench/REPORT.md"
fi
log "report: ${out#"$KPOOL_ROOT"/}/REPORT.md ($((SECONDS - start))s)"
sed -n '/^## Targets/,/^## /p' "$out/REPORT.md" | sed '$d'
exit $status
