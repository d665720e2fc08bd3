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

# A kpoolctl session kept open on a FIFO, so its pools outlive one command.
session=/tmp/session.fifo
session_open() {
	mkfifo $session
	kpoolctl run $session >/dev/null &
	exec 3>$session
	printf "$1" >&3
}

session_close() {
	exec 3>&-
	wait
	rm -f $session
}

# wait_stat POOL FIELD VALUE: until the session got that far (30 s at most).
wait_stat() {
	for _ in $(seq 60); do
		[ "$(pool_stat "$1" "$2")" = "$3" ] && return 0
		sleep 0.5
	done
	return 1
}

# Memory pressure (drop_caches runs every shrinker) gives back the free
# chunks of a pool.
shrinker() {
	local before after
	session_open 'create sh --size 1024\nalloc sh 2000\nfree sh all\n'
	wait_stat sh frees 2000
	before=$(pool_stat sh chunks)
	echo 2 >/proc/sys/vm/drop_caches
	after=$(pool_stat sh chunks)
	session_close
	echo "# chunks before $before, after memory pressure $after"
	[ -n "$after" ] && [ "$after" -lt "$before" ]
}

# debugfs shows every pool's statistics and, for a debug pool, each block
# out with its allocation site.
debugfs_files() {
	local d=/sys/kernel/debug/kpool rc=0
	grep -qx 'block_size: 128' $d/example/stats || rc=1
	session_open 'create dbg --size 64 --debug\nalloc dbg 1\n'
	wait_stat dbg allocs 1
	cat $d/dbg/leaks
	grep -q '^pool dbg: chunk 0 block [0-9]* allocated by [a-z_]' $d/dbg/leaks || rc=1
	session_close
	return $rc
}

load_modules kpool kpool_set kpool_dev kpool_example
step tracepoints tracepoints
step shrinker shrinker
step debugfs debugfs_files
userspace_suites
unload_modules kpool_example kpool_dev kpool_set kpool
finish
