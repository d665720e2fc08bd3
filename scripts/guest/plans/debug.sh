# SPDX-License-Identifier: GPL-2.0
# Debug kernel (KASAN, lockdep, kmemleak): the user-space suites with
# injected faults and a fuzz run (FUZZ_ITERATIONS, default 100000, at
# most FUZZ_SECONDS, default 30: the stock guests run the 100,000, here
# the detectors watch what half a minute reaches; the soak fuzzes a minute
# more), the node in the statistics, then (if the boot's last plan) a
# kmemleak scan. The KUnit suites are the kunit plan.
. /plans/common.sh
. /plans/lib-debug.sh

# A pool made for any node says so in its statistics.
stats_node() {
	grep -x 'node: -1' /sys/kernel/debug/kpool/example/stats
}

kmemleak_begin
load_modules kpool kpool_set kpool_dev kpool_example
step "stats show the node" stats_node
FUZZ_ITERATIONS=${FUZZ_ITERATIONS:-100000} FUZZ_SECONDS=${FUZZ_SECONDS:-30} userspace_suites
unload_modules kpool_example kpool_dev kpool_set kpool
kmemleak_end kmemleak
finish
