# SPDX-License-Identifier: GPL-2.0
# Debug kernel: a pool's fail_grow debugfs knobs, the fail-nth sweep of
# every /dev/kpool ioctl (kpool_failnth) with every allocation and user copy
# a fault site (arm_fail_nth), then (if the boot's last plan) a kmemleak
# scan. The sweep of kpool's API entry points is a KUnit suite
# (kpool_failnth in kpool_test.ko): the debug plan runs it, armed the same
# way.
. /plans/common.sh
. /plans/lib-debug.sh

# until_match POOL FILE LINE: until the pool's debugfs FILE has LINE (10 s
# at most).
until_match() {
	local d
	for _ in $(seq 100); do
		d=$(pool_dir "$1") && grep -qx "$3" "$d/$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# A pool's fail_grow fault_attr (debugfs): armed for one fault, it fails
# one growth, counted; the allocation retries and gets its block.
fail_grow_attr() {
	local st=/tmp/fg.stats
	rm -f $st
	{
		echo 'create fg --size 1024'
		until_match fg fail_grow/times 1 &&
			echo 100 >"$(pool_dir fg)/fail_grow/probability" &&
			echo 'alloc fg 1' && until_match fg stats 'allocs: 1' &&
			cp "$(pool_dir fg)/stats" $st
	} | kpoolctl run - >/dev/null
	cat $st || return 1
	grep -qx 'faults_injected: 1' $st && grep -qx 'grow_failures: 1' $st &&
		grep -qx 'blocks_in_use: 1' $st
}

kmemleak_begin
step "arm fail-nth sites" arm_fail_nth
load_modules kpool kpool_set kpool_dev
step "fail_grow debugfs knobs" fail_grow_attr
step "ioctl failnth" kpool_failnth
unload_modules kpool_dev kpool_set kpool
kmemleak_end kmemleak
finish
