# SPDX-License-Identifier: GPL-2.0
# Debug kernel (KUnit, KASAN, lockdep, kmemleak): the KUnit suites, then
# the user-space suites with a long fuzz run, then a kmemleak scan.
. /plans/common.sh

kmemleak=/sys/kernel/debug/kmemleak

# KUnit ran at insmod; its results are KTAP documents in debugfs.
kunit_results() {
	local r rc=0
	for r in /sys/kernel/debug/kunit/*/results; do
		cat "$r"
		grep -q '^not ok' "$r" && rc=1
	done
	return $rc
}

# Objects must be older than kmemleak's minimum age before they count.
kmemleak_scan() {
	sleep 6
	echo scan >"$kmemleak"
	echo scan >"$kmemleak"
	if [ -s "$kmemleak" ]; then
		cat "$kmemleak"
		return 1
	fi
}

echo clear >"$kmemleak"
load_modules kpool kpool_test
step kunit kunit_results
unload_modules kpool_test
load_modules kpool_dev kpool_example
FUZZ_ITERATIONS=1000000 FUZZ_SECONDS=900 userspace_suites
unload_modules kpool_example kpool_dev kpool
step kmemleak kmemleak_scan
finish
