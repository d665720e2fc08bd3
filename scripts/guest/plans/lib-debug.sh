# SPDX-License-Identifier: GPL-2.0
# Sourced (after common.sh) by the plans of the debug kernels: helpers
# shared by the KUnit, RT, hotplug and soak plans. Not a plan itself.

# KUnit ran at insmod; its results are KTAP documents in debugfs.
kunit_results() {
	local r rc=0 suites=0
	for r in /sys/kernel/debug/kunit/*/results; do
		[ -f "$r" ] || continue
		suites=$((suites + 1))
		cat "$r"
		grep -q '^not ok' "$r" && rc=1
	done
	[ $suites -gt 0 ] || { echo "# no KUnit results: no suite ran"; return 1; }
	return $rc
}

# suite_ran SUITE: KUnit suite SUITE ran every case, none skipped.
suite_ran() {
	local r=/sys/kernel/debug/kunit/$1/results
	[ -f "$r" ] || { echo "# suite $1 did not run"; return 1; }
	if grep -q '# SKIP' "$r"; then
		grep '# SKIP' "$r"
		return 1
	fi
	grep -q '^ok' "$r"
}

# Fail page allocations of the tasks that ask for it (make-it-fail): the
# KUnit reserve test does, around its own allocations only.
arm_fail_page_alloc() {
	local d=/sys/kernel/debug/fail_page_alloc
	echo Y >$d/task-filter && echo 100 >$d/probability && echo 1 >$d/interval &&
		echo -1 >$d/times && echo 0 >$d/verbose
}

disarm_fail_page_alloc() {
	echo 0 >/sys/kernel/debug/fail_page_alloc/probability
}

# nr_nodes: NUMA nodes with memory.
nr_nodes() {
	local n
	n=$(cat /sys/devices/system/node/has_memory 2>/dev/null)
	case $n in
	'' | 0) echo 1 ;;
	*-*) echo $((${n#*-} - ${n%-*} + 1)) ;;
	*) echo "$n" | tr , '\n' | wc -l ;;
	esac
}

# pool_dir POOL: a pool's debugfs directory (that of a pool made through
# /dev/kpool is named POOL@ID).
pool_dir() {
	local d
	for d in /sys/kernel/debug/kpool/"$1" /sys/kernel/debug/kpool/"$1"@*; do
		[ -d "$d" ] && { echo "$d"; return 0; }
	done
	return 1
}

# pool_stat POOL FIELD: one line of a pool's debugfs statistics.
pool_stat() {
	local d
	d=$(pool_dir "$1") && sed -n "s/^$2: //p" "$d/stats" 2>/dev/null
}

# balanced POOL: no block in use, allocations and frees agree.
balanced() {
	local in_use allocs frees
	in_use=$(pool_stat "$1" blocks_in_use)
	allocs=$(pool_stat "$1" allocs)
	frees=$(pool_stat "$1" frees)
	echo "# pool $1: in use $in_use, allocs $allocs, frees $frees"
	[ "$in_use" = 0 ] && [ -n "$allocs" ] && [ "$allocs" = "$frees" ]
}

# hrtimer_field NAME: one number of kpool_hrtimer's summary line (0 if none).
hrtimer_field() {
	local n
	n=$(dmesg | grep 'kpool_hrtimer: summary:' | tail -n 1 |
		sed -n "s/.* $1 \([0-9]*\).*/\1/p")
	echo "${n:-0}"
}

# Unload kpool_hrtimer: it ran, lost nothing and left no block in use.
hrtimer_done() {
	rmmod kpool_hrtimer || return 1
	dmesg | grep 'kpool_hrtimer: summary:' | tail -n 1 | sed 's/^/# /'
	[ "$(hrtimer_field 'irq allocs')" -gt 0 ] && [ "$(hrtimer_field 'thread ops')" -gt 0 ] &&
		[ "$(hrtimer_field 'bad blocks')" = 0 ] && [ "$(hrtimer_field 'in use')" = 0 ]
}
