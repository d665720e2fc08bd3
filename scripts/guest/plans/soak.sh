# SPDX-License-Identifier: GPL-2.0
# Debug kernels (KASAN or KCSAN flavour): the soak. For kpool.soak=SECONDS
# (default 60), all at once: kpool_stress with a worker on every CPU and
# probabilistic fault injection (kpool's growth faults through FAULT,
# fail_page_alloc and failslab for its workers), its extra threads churning
# pools through files of their own (created, used, closed with blocks out,
# destroyed under a racer); the fuzzer; the fail-nth sweep of every ioctl;
# and kpool_hrtimer.ko allocating and freeing in hardirq context next to a
# process-context user of the same pool, its growth failing at random too.
# Then kpool's counters must be back to zero and (if the boot's last
# plan) two kmemleak scans find nothing, whatever the boot's plans did.
# "KPOOL-SOAK NAME=VALUE" lines carry the totals to the host
# (scripts/soak.sh); the host fails the soak on any kernel report.
. /plans/common.sh
. /plans/lib-debug.sh

seconds=60
seed=1
for arg in $(cat /proc/cmdline); do
	case $arg in
	kpool.soak=*) seconds=${arg#kpool.soak=} ;;
	kpool.seed=*) seed=${arg#kpool.seed=} ;;
	esac
done
cpus=$(grep -c '^processor' /proc/cpuinfo)
fault_ppm=20000
out=/tmp/soak
mkdir -p $out

# background NAME COMMAND...: start COMMAND, its output into $out/NAME.
background() {
	local name=$1
	shift
	"$@" >"$out/$name" 2>&1 &
	echo $! >"$out/$name.pid"
}

# finished NAME: wait for it to end (in this shell: a step runs in a
# pipeline's subshell, whose children the background jobs are not).
finished() {
	wait "$(cat "$out/$1.pid")"
	echo $? >"$out/$1.rc"
}

# collect NAME: its output and exit status.
collect() {
	cat "$out/$1"
	return "$(cat "$out/$1.rc")"
}

# number NAME SED-EXPRESSION: a number from a tool's output (0 if none).
number() {
	local n
	n=$(sed -n "$2" "$out/$1" | tail -n 1)
	echo "${n:-0}"
}

# The KCSAN flavour proves its detector at boot.
kcsan_selftest() {
	dmesg | grep 'kcsan: selftest:' || { echo "# no KCSAN self-test ran"; return 1; }
	dmesg | grep -q -E 'kcsan: selftest: ([0-9]+)/\1 tests passed'
}

# example_idle: the example module's pool has no block in use.
example_idle() {
	grep -x 'blocks_in_use: 0' /sys/kernel/debug/kpool/example/stats
}

# no_pools: kpool has no pool left at all.
no_pools() {
	only_pool ''
}

echo "# soak: $seconds s, $cpus CPUs, seed $seed, faults $fault_ppm ppm"
kmemleak_begin
[ -e /sys/kernel/debug/kcsan ] && step "KCSAN self-test" kcsan_selftest
step "arm fail-nth sites" arm_fail_nth
load_modules kpool kpool_set kpool_dev kpool_example
step "insmod kpool_hrtimer" insmod /kpool/kpool_hrtimer.ko fault_ppm=$fault_ppm

background stress kpool_stress --threads "$cpus" --fds 2 --pools 4 --seconds "$seconds" \
	--fault-ppm $fault_ppm --seed "$seed"
background fuzz kpool_fuzz --threads 2 --seconds "$seconds" --iterations 1000000000 \
	--seed "$seed"
background failnth kpool_failnth
for tool in stress fuzz failnth; do
	finished $tool
done
step stress collect stress
step fuzz collect fuzz
step "fail-nth sweep" collect failnth

step "rmmod kpool_hrtimer" hrtimer_done
step "only the example pool left" only_pool example
step "example pool idle" example_idle
unload_modules kpool_example kpool_dev kpool_set
step "no pool left" no_pools
unload_modules kpool
kmemleak_end "two kmemleak scans"

hrtimer_ops=$(($(hrtimer_field 'irq allocs') + $(hrtimer_field 'irq frees') +
	$(hrtimer_field 'thread ops')))
echo "KPOOL-SOAK seconds=$seconds"
echo "KPOOL-SOAK stress_ops=$(number stress 's/^# \([0-9]*\) operations in.*/\1/p')"
echo "KPOOL-SOAK hrtimer_ops=$hrtimer_ops"
echo "KPOOL-SOAK fuzz_ioctls=$(number fuzz 's/^# \([0-9]*\) ioctls in.*/\1/p')"
echo "KPOOL-SOAK growth_faults=$(($(number stress 's/.* \([0-9]*\) growth faults injected.*/\1/p') +
	$(hrtimer_field 'faults injected')))"
echo "KPOOL-SOAK kernel_faults=$(number stress 's/.* \([0-9]*\) page\/slab faults injected.*/\1/p')"
echo "KPOOL-SOAK stress_enomem=$(number stress 's/.*ENOMEM seen: \([0-9]*\) ALLOC, \([0-9]*\) FREE, \([0-9]*\) LIST.*/\1 \2 \3/p' |
	awk '{ print $1 + $2 + $3 }')"
echo "KPOOL-SOAK fault_sites=$(number failnth 's/^# failnth total sites=\([0-9]*\).*/\1/p')"
finish
