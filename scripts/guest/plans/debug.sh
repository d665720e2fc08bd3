# SPDX-License-Identifier: GPL-2.0
# Debug kernel (KUnit, KASAN, lockdep, kmemleak): the KUnit suites (the
# kpool_failnth sweep among them), then the user-space suites with a long
# fuzz run, then a kmemleak scan.
. /plans/common.sh

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

# Fail page allocations of the tasks that ask for it (make-it-fail): the
# KUnit reserve test does, around its own allocations only.
arm_fail_page_alloc() {
	local d=/sys/kernel/debug/fail_page_alloc
	echo Y >$d/task-filter && echo 100 >$d/probability && echo 1 >$d/interval &&
		echo -1 >$d/times && echo 0 >$d/verbose
}

echo clear >"$kmemleak"
step "arm fail_page_alloc" arm_fail_page_alloc
step "arm fail-nth sites" arm_fail_nth
load_modules kpool kpool_set kpool_test
step kunit kunit_results
unload_modules kpool_test
load_modules kpool_dev kpool_example
FUZZ_ITERATIONS=300000 FUZZ_SECONDS=600 userspace_suites
unload_modules kpool_example kpool_dev kpool_set kpool
step kmemleak kmemleak_scan
finish
