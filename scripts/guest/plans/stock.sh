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

# pool_stat POOL FIELD: one statistic of a pool (empty while there is no pool)
pool_stat() {
	kpoolctl --json stats "$1" 2>/dev/null | tr ',' '\n' |
		sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"
}

# Memory pressure (drop_caches runs every shrinker) gives back the free
# chunks of a pool that a session keeps open meanwhile.
shrinker() {
	local fifo=/tmp/shrinker.fifo before after
	mkfifo $fifo
	kpoolctl run $fifo >/dev/null &
	exec 3>$fifo
	printf 'create sh --size 1024\nalloc sh 2000\nfree sh all\n' >&3
	for _ in $(seq 60); do
		[ "$(pool_stat sh frees)" = 2000 ] && break
		sleep 0.5
	done
	before=$(pool_stat sh chunks)
	echo 2 >/proc/sys/vm/drop_caches
	after=$(pool_stat sh chunks)
	exec 3>&-
	wait
	rm -f $fifo
	echo "# chunks before $before, after memory pressure $after"
	[ -n "$after" ] && [ "$after" -lt "$before" ]
}

load_modules kpool kpool_dev kpool_example
step tracepoints tracepoints
step shrinker shrinker
userspace_suites
unload_modules kpool_example kpool_dev kpool
finish
