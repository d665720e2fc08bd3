#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--kernel K] [--second-kernel K|none] [--cpus N] [--rounds R]
#          [--pairs N] [--workloads w1,w2,...] [--no-icount] [--update]
#
# make bench: build kpool and its benchmark (bench/) for two Debian
# kernels, boot each in QEMU and write one report:
#
#   --kernel K          the kernel every target is judged on (default: the
#                       newest, Debian unstable's, scripts/newest.sh)
#   --second-kernel K   a second kernel measured the same way, reported in
#                       a section of its own (default 6.1, Debian 12's;
#                       "none" skips it)
#
# Each kernel gets two boots (same kernel arguments, BOOT_ARGS below):
#
#  1. wall time: multi-threaded TCG with N vCPUs (--cpus, default 2) and
#     tsc=reliable; workloads w1-w10 (see bench/main.c and
#     bench/REPORT.md), w9 (kpool against lib/objpool) among them where
#     the kernel has objpool (6.7+). The second kernel's boot leaves out
#     SECOND_WALL_SKIP (below) to save time: no target is judged on them.
#  2. instruction counts: one vCPU under -icount shift=0 (the guest's
#     time-stamp counter advances by one per instruction); w1, w2, w5, w8,
#     w9miss (the cost of a W9 miss), w10
#
# The wall-time boots run one at a time, nothing else of the benchmark
# beside them; the icount boots, whose counts the host's load cannot
# change, run side by side afterwards. --workloads runs only the listed
# workloads (for development: the report then says NOT MEASURED for the
# others). Results go to $KPOOL_OUT/bench/<timestamp>/ (per kernel
# K/: raw CSV, guest logs, disassembly; REPORT.md and plots/*.png at the
# top); $KPOOL_OUT/bench/latest points to the last run. The host's load
# average before and after each boot is recorded: other work on the host
# distorts wall times (most of all W3, W4 and W9), never instruction
# counts. --update copies the report and its plots to bench/REPORT.md and
# bench/plots/ for committing, and README's figures from it (scripts/
# readme.py sync bench-headline, bench-targets).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Left out of the second kernel's wall-time boot, to save time: the
# producer/consumer ring (a long wall-time workload that no target reads)
# and w9, whose objpool the default second kernel (6.1) lacks.
SECOND_WALL_SKIP=w3,w9

kernel='' second=6.1 cpus=2 rounds=7 pairs=20000 icount=1 update=0
workloads=
usage="usage: bench.sh [--kernel K] [--second-kernel K|none] [--cpus N] [--rounds R] [--pairs N] [--workloads w1,w2,...] [--no-icount] [--update]"
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--second-kernel) second=$2; shift 2 ;;
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
if [ "$update" -eq 1 ] &&
	{ [ -n "$workloads" ] || [ "$icount" -eq 0 ] || [ "$second" = none ]; }; then
	die "--update needs every workload, the icount boots and the second kernel (no --workloads, --no-icount or --second-kernel none)"
fi

"$KPOOL_ROOT/scripts/deps.sh"
[ -n "$kernel" ] || kernel=$("$KPOOL_ROOT/scripts/newest.sh")
[ "$second" != "$kernel" ] ||
	die "--second-kernel $second is --kernel too (another one, or none)"
kernels=("$kernel")
[ "$second" = none ] || kernels+=("$second")

# Same for every candidate and every boot: no zeroing on allocation or
# free (kpool's pools have no KPOOL_F_ZERO but kpool_zero), a big log
# buffer for the results.
BOOT_ARGS="tsc=reliable init_on_alloc=0 init_on_free=0 log_buf_len=8M"
BOOT_ARGS+=" kpool_bench.rounds=$rounds kpool_bench.pairs=$pairs"
[ -z "$workloads" ] || BOOT_ARGS+=" kpool_bench.workloads=$workloads"

out=$KPOOL_OUT/bench/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
start=$SECONDS

# Every boot measures one snapshot of the tree, taken now: builds, guest
# plans and the report come from it, whatever changes in the tree
# meanwhile. $out/source names it.
snap=$out/snapshot
rsync -a --delete --exclude=.git --exclude=.out "$KPOOL_ROOT/" "$snap/"
{
	git -C "$KPOOL_ROOT" log -1 --format='%h %s' 2>/dev/null || echo unknown
	{ git -C "$KPOOL_ROOT" status --porcelain -- '*.c' '*.h' 2>/dev/null || true; } |
		awk '$1 != "??" { print $2 }' | tr '\n' ' '
} >"$out/source"
echo "$BOOT_ARGS" >"$out/boot_args"
printf '%s\n' "${kernels[@]}" >"$out/kernels"

# build KERNEL: kpool, kpool_bench and kpool_ubench for KERNEL under
# $out/KERNEL, packed into its initramfs.gz; its image, Debian release,
# configuration and disassembly (kpool.ko, kpool_set.ko, kpool_dev.ko: the
# report's profile) beside them.
build() {
	local k=$1 dir=$out/$1 vmlinuz kdir release src m
	read -r _ vmlinuz kdir release < <("$KPOOL_ROOT/scripts/kernels.sh" "$k")
	[ -n "$kdir" ] || die "no kernel $k"
	mkdir -p "$dir/tools"
	echo "$k" >"$dir/kernel"
	echo "$release" >"$dir/release"
	if [ -n "${KPOOL_HEADERS_PKG[$k]:-}" ]; then
		echo "Debian 12" >"$dir/distro"
	else
		echo "Debian unstable" >"$dir/distro"
	fi
	ln -sfn "$vmlinuz" "$dir/vmlinuz"
	cp "$kdir/.config" "$dir/config"
	log "building kpool and kpool_bench against $kdir"
	"$snap/scripts/build.sh" "$kdir" "$dir/build"
	src=$dir/build/src
	make -C "$src/bench" KDIR="$kdir" KPOOL_DIR="$src" W=1 C=1 \
		CHECK="$("$KPOOL_ROOT/scripts/sparse.sh")" modules >"$dir/bench-build.log" 2>&1 ||
		{ tail -n 30 "$dir/bench-build.log" >&2; die "kpool_bench does not build against $kdir"; }
	if grep -E ': (warning|error):|sparse is not available' "$dir/bench-build.log" >&2; then
		die "kpool_bench has build warnings (see $dir/bench-build.log)"
	fi
	make -s -C "$src/bench" ubench
	cp "$src/bench/kpool_ubench" "$dir/tools/"
	"$snap/scripts/initramfs.sh" "$dir/initramfs.gz" "$src" "$dir/tools"
	for m in kpool kpool_set kpool_dev; do
		objdump -dr --no-show-raw-insn "$src/$m.ko" >"$dir/$m.dis"
	done
}

# boot KERNEL MODE ARGS VM_OPTIONS...: one guest of KERNEL with BOOT_ARGS
# plus ARGS; its result lines to $out/KERNEL/MODE.csv, its settings to
# MODE.info, the host's load average before and after it to MODE.load,
# its seconds to MODE.seconds. Fails when the guest failed.
boot() {
	local k=$1 mode=$2 args=$3 dir=$out/$1 t0=$SECONDS rc=0
	shift 3
	log "guest: $k $mode ($*)"
	cut -d' ' -f1 /proc/loadavg >"$dir/$mode.load"
	"$snap/scripts/vm.sh" --mem 2048 --timeout 1500 "$@" \
		--append "$BOOT_ARGS $args" \
		"$dir/vmlinuz" "$dir/initramfs.gz" bench "$dir/$mode" || rc=1
	grep -a -o 'kpool_bench,csv,.*' "$dir/$mode/results.log" | tr -d '\r' |
		sed 's/^kpool_bench,csv,//' >"$dir/$mode.csv" || true
	grep -a -o 'kpool_bench,info,.*' "$dir/$mode/results.log" | tr -d '\r' |
		sed 's/^kpool_bench,info,//' >"$dir/$mode.info" || true
	cut -d' ' -f1 /proc/loadavg >>"$dir/$mode.load"
	echo $((SECONDS - t0)) >"$dir/$mode.seconds"
	log "guest: $k $mode done in $((SECONDS - t0))s"
	return $rc
}

for k in "${kernels[@]}"; do
	build "$k"
done
status=0
wall_args=kpool_bench.mode=wall
boot "$kernel" wall "$wall_args" --smp "$cpus" || status=1
if [ "$second" != none ]; then
	boot "$second" wall "$wall_args kpool_bench.skip=$SECOND_WALL_SKIP" \
		--smp "$cpus" || status=1
fi
# Instruction counts do not vary from run to run: one run per measurement.
if [ "$icount" -eq 1 ]; then
	pids=()
	for k in "${kernels[@]}"; do
		boot "$k" icount "kpool_bench.mode=icount kpool_bench.repeat=1" \
			--icount --smp 1 &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || status=1
	done
fi

log "writing the report"
python3 "$snap/scripts/bench-report.py" "$out" || status=1
ln -sfn "$(basename "$out")" "$KPOOL_OUT/bench/latest"
if [ "$update" -eq 1 ] && [ $status -eq 0 ]; then
	mkdir -p "$KPOOL_ROOT/bench/plots"
	rm -f "$KPOOL_ROOT"/bench/plots/*.png
	cp "$out"/plots/*.png "$KPOOL_ROOT/bench/plots/"
	cp "$out/REPORT.md" "$KPOOL_ROOT/bench/REPORT.md"
	for block in bench-headline bench-targets; do
		"$KPOOL_ROOT/scripts/readme.py" sync $block "$KPOOL_ROOT/bench/REPORT.md"
	done
	log "README.md: headline and targets from bench/REPORT.md"
fi
log "report: ${out#"$KPOOL_ROOT"/}/REPORT.md ($((SECONDS - start))s)"
sed -n '/^## Targets/,/^## /p' "$out/REPORT.md" | sed '$d'
exit $status
