# SPDX-License-Identifier: GPL-2.0
# Debug kernels: CPU hotplug under load. Every CPU that can go offline is
# taken offline and brought back, in a loop, for HOTPLUG_SECONDS (default
# 30) while kpool_stress runs a worker per CPU (with injected faults) and
# kpool_hrtimer allocates and frees in hardirq context (its growth faults
# are the soak's). Then every pool's
# counters balance, the stress pools are gone, and a magazine is not
# stranded by its CPU's death: blocks freed on a CPU that then goes offline
# are back in the depot, so a shrink gives back every chunk.
. /plans/common.sh
. /plans/lib-debug.sh

seconds=${HOTPLUG_SECONDS:-30}
cpus=$(nproc --all)
sysfs=/sys/devices/system/cpu
out=/tmp/hotplug
mkdir -p $out

# The CPUs that can be taken offline (CPU 0 cannot on x86).
hotpluggable() {
	local f
	for f in $sysfs/cpu[0-9]*/online; do
		[ -f "$f" ] || continue
		f=${f%/online}
		echo "${f##*/cpu}"
	done
}

# set_online CPU 0|1
set_online() {
	echo "$2" >"$sysfs/cpu$1/online"
}

# Offline and online every hotpluggable CPU in turn while the stress runs;
# at least one cycle a CPU must have happened.
cycle_cpus() {
	local cycles=0 cpu list
	list=$(hotpluggable)
	[ -n "$list" ] || { echo "# no CPU can go offline"; return 1; }
	while kill -0 "$(cat $out/stress.pid)" 2>/dev/null; do
		for cpu in $list; do
			set_online "$cpu" 0 || return 1
			sleep 0.2
			set_online "$cpu" 1 || return 1
			cycles=$((cycles + 1))
		done
	done
	echo "# $cycles offline/online cycles of CPUs" $list
	[ $cycles -ge 2 ]
}

# The stress's output and exit status (a step runs in a pipeline's
# subshell: the stress is waited for by the plan's shell, see below).
stress_result() {
	cat $out/stress
	return "$(cat $out/stress.rc)"
}

# Every pool left balances: nothing in use, as many frees as allocations.
all_balanced() {
	local d rc=0
	for d in /sys/kernel/debug/kpool/*/; do
		d=${d%/}
		balanced "${d##*/}" || rc=1
	done
	return $rc
}

# Blocks freed by a task on CPU $1 stay in that CPU's magazine; the CPU
# goes offline, and a shrink (which drains only the online CPUs) must give
# back every chunk: the dead CPU's magazine was drained into the depot.
dead_magazine() {
	local cpu=$1 fifo=$out/session chunks_before chunks_after
	mkfifo $fifo
	taskset -c "$cpu" kpoolctl run $fifo >$out/session.log 2>&1 &
	exec 3>$fifo
	printf 'create mag --size 256\nalloc mag 100\nfree mag all\n' >&3
	for _ in $(seq 100); do
		[ "$(pool_stat mag frees)" = 100 ] && break
		sleep 0.2
	done
	chunks_before=$(pool_stat mag chunks)
	set_online "$cpu" 0
	printf 'shrink mag\n' >&3
	for _ in $(seq 100); do
		[ "$(pool_stat mag shrinks)" != 0 ] && break
		sleep 0.2
	done
	sleep 1
	chunks_after=$(pool_stat mag chunks)
	balanced mag
	local rc=$?
	set_online "$cpu" 1
	exec 3>&-
	wait
	rm -f $fifo
	echo "# chunks: $chunks_before after 100 frees on CPU $cpu, $chunks_after after it died and a shrink"
	[ $rc -eq 0 ] && [ -n "$chunks_before" ] && [ "$chunks_before" -gt 0 ] &&
		[ "$chunks_after" = 0 ]
}

echo "# hotplug: $seconds s, $cpus CPUs, hotpluggable:" $(hotpluggable)
kmemleak_begin
load_modules kpool kpool_set kpool_dev kpool_example
step "insmod kpool_hrtimer" insmod /kpool/kpool_hrtimer.ko
kpool_stress --threads "$cpus" --fds 2 --pools 3 --seconds "$seconds" --fault-ppm 20000 \
	>$out/stress 2>&1 &
echo $! >$out/stress.pid
step "CPUs offline and online under load" cycle_cpus
wait "$(cat $out/stress.pid)"
echo $? >$out/stress.rc
step stress stress_result
step "rmmod kpool_hrtimer" hrtimer_done
step "only the example pool left" only_pool example
step "every pool balances" all_balanced
step "dead CPU's magazine drained" dead_magazine "$(hotpluggable | head -n 1)"
step "only the example pool left" only_pool example
unload_modules kpool_example kpool_dev kpool_set kpool
kmemleak_end kmemleak
finish
