# SPDX-License-Identifier: GPL-2.0
# Debug kernels: the KUnit suites of kpool_test.ko, the fail-nth sweep of
# the API entry points among them (armed as for the ioctl sweep), then (if
# the boot's last plan) a kmemleak scan. On a guest with two NUMA nodes (check.sh boots the debug
# guest so) the kpool_numa suite must have run every case, none skipped.
. /plans/common.sh
. /plans/lib-debug.sh

echo "# NUMA nodes with memory: $(nr_nodes)"
kmemleak_begin
step "arm fail_page_alloc" arm_fail_page_alloc
step "arm fail-nth sites" arm_fail_nth
load_modules kpool kpool_set kpool_test
step kunit kunit_results
[ "$(nr_nodes)" -ge 2 ] && step "kpool_numa ran on 2 nodes" suite_ran kpool_numa
unload_modules kpool_test kpool_set kpool
step "disarm fail_page_alloc" disarm_fail_page_alloc
kmemleak_end kmemleak
finish
