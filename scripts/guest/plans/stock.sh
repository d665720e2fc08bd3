# SPDX-License-Identifier: GPL-2.0
# Stock Debian kernel: load kpool and its device, let a file take the names
# the example consumer asks for and load it all the same, run the
# user-space suites (also unprivileged, and 32-bit through the compat ioctl
# path), unload everything.
. /plans/common.sh

# The tracepoints fire: a pool's life seen through tracefs.
tracepoints() {
	local t=/sys/kernel/tracing event
	mount -t tracefs tracefs $t 2>/dev/null
	echo 1 >$t/events/kpool/enable || return 1
	# one block freed alone (kpool_free()), the others in a batch
	printf 'create tp --size 64\nalloc tp 40\nfree tp @1\nfree tp all\nshrink tp\ndestroy tp\n' |
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
	# a user pool's directory is NAME@ID
	cat $d/dbg@*/leaks
	grep -q '^pool dbg: chunk 0 block [0-9]* allocated by [a-z_]' $d/dbg@*/leaks || rc=1
	session_close
	return $rc
}

# Both "example" pools are listed: the file's and the module's.
two_examples() {
	local n
	n=$(kpoolctl list | grep -c '^ *[0-9]*  example ')
	kpoolctl list | grep ' example '
	[ "$n" -eq 2 ]
}

# The suite as an unprivileged user: kpool_dev reloaded with the device
# opened up by its mode parameter, then as it was.
unprivileged_conformance() {
	local rc=0
	rmmod kpool_dev && insmod /kpool/kpool_dev.ko mode=0666 || return 1
	# the initramfs root is the builder's temporary directory (0700)
	chmod 0755 /
	ls -l /dev/kpool
	kpool_conform --uid 65534 || rc=1
	rmmod kpool_dev && insmod /kpool/kpool_dev.ko || rc=1
	return $rc
}

load_modules kpool kpool_set kpool_dev
# A user pool and set named as the example's pool take nothing from it.
session_open 'create example --size 64\nset create example --max-size 64\n'
step "a file's pool takes the name 'example'" wait_stat example block_size 64
load_modules kpool_example
step "both 'example' pools listed" two_examples
session_close
# the example frees one block with kpool_free_rcu(): counted, then free
step "example's kpool_free_rcu() in STATS" wait_stat example blocks_rcu_pending 0
step "example's rcu_frees" test "$(pool_stat example rcu_frees)" = 1
step tracepoints tracepoints
step shrinker shrinker
step debugfs debugfs_files
userspace_suites
step "conformance, unprivileged (uid 65534, mode=0666)" unprivileged_conformance
step "conformance, 32-bit through compat_ptr_ioctl" kpool_conform32
step "only the example pool left, again" only_pool example
unload_modules kpool_example kpool_dev kpool_set kpool
finish
