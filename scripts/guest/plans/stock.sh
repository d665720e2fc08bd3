# SPDX-License-Identifier: GPL-2.0
# Stock Debian kernel: load kpool, its device and the example consumer,
# run the user-space suites, unload everything.
. /plans/common.sh

# The tracepoints fire: a pool's life seen through tracefs.
tracepoints() {
	local t=/sys/kernel/tracing event
	mount -t tracefs tracefs $t 2>/dev/null
	echo 1 >$t/events/kpool/enable || return 1
	printf 'create tp --size 64\nalloc tp 40\nfree tp all\nshrink tp\ndestroy tp\n' |
		kpoolctl run - >/dev/null
	echo 0 >$t/events/kpool/enable
	for event in kpool_alloc kpool_free kpool_grow kpool_shrink; do
		grep -q " $event:" $t/trace || { echo "# no $event event"; return 1; }
	done
}

load_modules kpool kpool_dev kpool_example
step tracepoints tracepoints
userspace_suites
unload_modules kpool_example kpool_dev kpool
finish
