#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# splat.sh LOG...
#
# Fail (exit 1) if a guest log shows a kernel splat: BUG, WARNING, Oops,
# KASAN/UBSAN/KCSAN reports, lockdep reports, kmemleak leaks, sleeping in
# atomic context, hung tasks, soft lockups, panics or any call trace.
# Prints the excerpt around each splat.
set -uo pipefail

pattern='BUG:|WARNING:|Oops|KASAN:|UBSAN:|KCSAN:|general protection fault|Kernel panic|possible recursive locking|possible circular locking|inconsistent lock state|lock held when returning|suspicious RCU usage|unreferenced object|suspected memory leak|sleeping function called from invalid context|blocked for more than|soft lockup|hard LOCKUP|Call Trace:'

found=0
for log in "$@"; do
	[ -f "$log" ] || continue
	if grep -a -q -E "$pattern" "$log"; then
		echo "splat in $log:" >&2
		grep -a -n -E -A 25 "$pattern" "$log" | head -n 80 >&2
		found=1
	fi
done
exit $found
