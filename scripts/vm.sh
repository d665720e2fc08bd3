#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh [options] VMLINUZ INITRAMFS PLAN LOGDIR
#
# Boot a QEMU guest (TCG) that runs test plan PLAN (scripts/guest/plans)
# and ends itself. LOGDIR gets console.log (kernel log, first serial port)
# and results.log (the plan's output, second serial port). Exit status 0
# only when the plan reported rc=0 and the kernel log has no splat (with
# --expect: has every report SPEC expects, and no other splat).
#
#   --smp N         vCPUs (default 2)
#   --mem MB        guest memory (default 1024)
#   --numa N        N NUMA nodes, each with an equal share of the vCPUs and
#                   of the memory (N must divide both)
#   --timeout S     hard limit for the whole guest (default 900)
#   --append ARGS   extra kernel command line
#   --icount        deterministic mode: -icount shift=0,sleep=off and
#                   single-threaded TCG (the guest TSC counts instructions)
#   --kvm           use KVM instead of TCG (only when asked: KVM guests hang
#                   on some hosts)
#   --expect SPEC   negative controls: the kernel log must show the reports
#                   SPEC lists (splat.sh --expect), whose KTAP results are
#                   appended to results.log
set -euo pipefail
. "$(dirname "$0")/lib.sh"

smp=2 mem=1024 numa=1 timeout=900 append= expect= accel=(-accel tcg,thread=multi)
while [ $# -gt 0 ]; do
	case $1 in
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--numa) numa=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--icount) accel=(-icount shift=0,sleep=off -accel tcg,thread=single); shift ;;
	--kvm) accel=(-accel kvm -cpu host); shift ;;
	--expect) expect=$2; shift 2 ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 4 ] || die "usage: vm.sh [options] VMLINUZ INITRAMFS PLAN LOGDIR"
kernel=$1 initrd=$2 plan=$3 logdir=$4
mkdir -p "$logdir"
console=$logdir/console.log results=$logdir/results.log

# The NUMA topology: node i has vCPUs i*smp/N ... and mem/N MB of RAM; each
# node is a socket of its own (nodes sharing a socket's last-level cache
# make the kernel warn about the topology).
cpu_topology=$smp
topology=()
if [ "$numa" -gt 1 ]; then
	[ $((smp % numa)) -eq 0 ] && [ $((mem % numa)) -eq 0 ] ||
		die "--numa $numa must divide --smp $smp and --mem $mem"
	per_cpu=$((smp / numa))
	cpu_topology=$smp,sockets=$numa,cores=$per_cpu,threads=1
	for ((i = 0; i < numa; i++)); do
		cpus=$((i * per_cpu))
		[ "$per_cpu" -eq 1 ] || cpus=$cpus-$((cpus + per_cpu - 1))
		topology+=(-object "memory-backend-ram,id=mem$i,size=$((mem / numa))M"
			-numa "node,nodeid=$i,cpus=$cpus,memdev=mem$i")
	done
fi
: >"$console"
: >"$results"

boot() {
	timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
		"${accel[@]}" -m "$mem" -smp "$cpu_topology" "${topology[@]}" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 kpool.plan=$plan $append" \
		-display none -monitor none -no-reboot \
		-serial "file:$console" -serial "file:$results"
}

# Whether the boot reached the plan with a clean kernel log up to it
# ("kpool: plan" is the first line of kpool's in it).
booted_clean() {
	grep -q '^KPOOL-BEGIN' "$results" || return 1
	sed '/kpool: plan /,$d' "$console" >"$logdir/boot.log"
	"$KPOOL_ROOT/scripts/splat.sh" "$logdir/boot.log" >/dev/null 2>&1
}

# A guest that dies before its plan begins, or splats before it (nothing
# of kpool's is loaded yet), hit an emulator flake: multi-threaded TCG
# racing the kernel's own code patching at boot, or an initcall starved
# into a soft lockup while the host's cores are busy. Boot it again, at
# most twice, keeping the log; a third such boot fails as it is.
for attempt in 1 2 3; do
	status=0
	boot || status=$?
	booted_clean && break
	[ $attempt -lt 3 ] || break
	echo "vm: the guest died or splatted before plan $plan began; booting it again" >&2
	mv "$console" "$logdir/console-boot$attempt.log"
done
rm -f "$logdir/boot.log"

if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "vm: guest timed out after ${timeout}s (plan $plan)" >&2
	tail -n 30 "$console" >&2
	exit 1
fi
[ "$status" -eq 0 ] || { echo "vm: qemu exited with $status" >&2; exit 1; }

verdict=0
if [ -n "$expect" ]; then
	if ! "$KPOOL_ROOT/scripts/splat.sh" --expect "$expect" "$console" >"$logdir/expect.ktap"; then
		echo "vm: the kernel log lacks expected reports or has others:" >&2
		grep -a -v '^ok' "$logdir/expect.ktap" >&2
		verdict=1
	fi
	cat "$logdir/expect.ktap" >>"$results"
else
	"$KPOOL_ROOT/scripts/splat.sh" "$console" "$results" || verdict=1
fi
if ! grep -q '^KPOOL-RESULT rc=0' "$results"; then
	echo "vm: plan $plan did not pass ($(grep -a '^KPOOL-RESULT' "$results" || echo 'no result: the guest died')):" >&2
	grep -a -E '^ *not ok|^KPOOL-RESULT' "$results" >&2 || tail -n 30 "$console" >&2
	verdict=1
fi
exit $verdict
