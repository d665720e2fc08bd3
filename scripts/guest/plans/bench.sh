# SPDX-License-Identifier: GPL-2.0
# make bench (guest side): load kpool and /dev/kpool, run each workload of
# kpool_bench.ko and kpool_ubench, print every result line
# ("kpool_bench,csv,...") and the guest's settings ("kpool_bench,info,...").
#
# Kernel command line (set by scripts/bench.sh):
#   kpool_bench.mode=wall|icount   wall: every workload; icount: the
#                                  single-CPU ones (instruction counts)
#   kpool_bench.workloads=w1,w5,.. only these (of those the mode runs;
#                                  w9 brings w9miss, the cost of its misses)
#   kpool_bench.skip=w9,..         not these
#   kpool_bench.NAME=VALUE         passed to every insmod of kpool_bench
#   kpool_bench.sizes=A,B,...      also the sizes of kpool_ubench
. /plans/common.sh

mode=wall
only=
skip=
params=
sizes="16 64 256 1024 4096"
ubench_args=
for arg in $(cat /proc/cmdline); do
	case $arg in
	kpool_bench.mode=*) mode=${arg#*=} ;;
	kpool_bench.workloads=*) only=",${arg#*=}," ;;
	kpool_bench.skip=*) skip=",${arg#*=}," ;;
	kpool_bench.sizes=*) sizes=$(echo "${arg#*=}" | tr , ' ')
		params="$params ${arg#kpool_bench.}" ;;
	kpool_bench.rounds=*) ubench_args="$ubench_args -r ${arg#*=}"
		params="$params ${arg#kpool_bench.}" ;;
	kpool_bench.pairs=*) ubench_args="$ubench_args -n ${arg#*=}"
		params="$params ${arg#kpool_bench.}" ;;
	kpool_bench.repeat=*) ubench_args="$ubench_args -R ${arg#*=}"
		params="$params ${arg#kpool_bench.}" ;;
	kpool_bench.*) params="$params ${arg#kpool_bench.}" ;;
	esac
done

info() {
	echo "kpool_bench,info,$1,$2"
}

# load WORKLOAD: insmod kpool_bench for WORKLOAD; its kernel log lines
# (results, errors) to stdout.
load() {
	local rc=0

	dmesg -c >/dev/null
	# shellcheck disable=SC2086
	insmod /kpool/kpool_bench.ko workload="$1" $params || rc=$?
	dmesg | grep -a -o 'kpool_bench,.*'
	return $rc
}

# bench WORKLOAD: run one workload (kpool_bench does it at load).
bench() {
	load "$1" || return 1
	rmmod kpool_bench
}

# w7: the module keeps one cache per size; read SLUB's geometry of each
# (a kernel without /sys/kernel/slab leaves it to the report to compute).
memory() {
	local d rc=0

	load w7 || return 1
	for d in /sys/kernel/slab/kpool_bench_w7-*; do
		[ -f "$d/objs_per_slab" ] || continue
		echo "kpool_bench,csv,w7sysfs,${d##*-},$(cat "$d/objs_per_slab"),$(cat "$d/order"),$(cat "$d/slab_size"),$(cat "$d/object_size")"
	done
	rmmod kpool_bench || rc=1
	return $rc
}

info mode "$mode"
info kernel "$(uname -r)"
info cmdline "$(cat /proc/cmdline)"
info cpus "$(grep -c ^processor /proc/cpuinfo)"
info cpu_model "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
info clocksource "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
for v in /sys/devices/system/cpu/vulnerabilities/*; do
	[ -f "$v" ] && info "vuln_${v##*/}" "$(cat "$v")"
done

# wanted WORKLOAD: run it (listed in kpool_bench.workloads, or no such
# list; and not listed in kpool_bench.skip).
wanted() {
	{ [ -z "$only" ] || [ "${only#*,"$1",}" != "$only" ]; } &&
		[ "${skip#*,"$1",}" = "$skip" ]
}

load_modules kpool kpool_set kpool_dev
if [ "$mode" = icount ]; then
	workloads="w1 w2 w5 w8 w9miss w10"
else
	workloads="w1 w2 w3 w4 w5 w6 w7 w8 w9 w10"
fi
for w in $workloads; do
	wanted "${w%miss}" || continue
	case $w in
	w5)
		# shellcheck disable=SC2086
		step w5 kpool_ubench $ubench_args $sizes
		;;
	w7) step w7 memory ;;
	*) step "$w" bench "$w" ;;
	esac
done
unload_modules kpool_dev kpool_set kpool
finish
