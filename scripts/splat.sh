#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# splat.sh LOG...
# splat.sh --expect SPEC LOG
#
# Fail (exit 1) if a guest log shows a kernel splat: BUG, WARNING, Oops,
# KASAN/UBSAN/KCSAN reports, lockdep reports, kmemleak leaks, DEBUG_OBJECTS
# and DEBUG_LIST reports, sleeping in atomic context, hung tasks, soft
# lockups, RCU stalls, panics or any call trace. Prints the excerpt around
# each splat.
#
# With --expect (the negative controls) it is the other way round: for
# each control named in SPEC ("CONTROL REGEX" lines, see
# scripts/guest/plans/negative.expect), every REGEX must match a line of
# LOG between "kpool-negative: begin CONTROL" and "kpool-negative: end
# CONTROL", and outside those stretches there must be no splat. Prints one
# KTAP result per control and one for the rest; exit 1 if any failed.
set -uo pipefail

pattern='BUG:|kernel BUG at|WARNING:|Oops|KASAN:|UBSAN:|KCSAN:|ODEBUG:|list_add corruption|list_del corruption|general protection fault|Kernel panic|possible recursive locking|possible circular locking|inconsistent lock state|lock held when returning|suspicious RCU usage|unreferenced object|suspected memory leak|sleeping function called from invalid context|blocked for more than|soft lockup|hard LOCKUP|detected stall|Call Trace:'
mark='kpool-negative:'

# stretch CONTROL LOG: the lines of LOG between the control's marks.
stretch() {
	awk -v b="$mark begin $1" -v e="$mark end $1" '
		index($0, b) { on = 1 } on { print } index($0, e) { on = 0 }' "$2"
}

# outside LOG: the lines of LOG outside every control's marks.
outside() {
	awk -v b="$mark begin " -v e="$mark end " '
		index($0, b) { on = 1 } !on { print } index($0, e) { on = 0 }' "$1"
}

# expect SPEC LOG
expect() {
	local spec=$1 log=$2 n=0 failed=0 name control regex missing text
	echo "# expected reports in $log"
	for name in $(awk '!/^#/ && NF && !seen[$1]++ { print $1 }' "$spec"); do
		n=$((n + 1))
		missing=
		text=$(stretch "$name" "$log")
		while read -r control regex; do
			[ "$control" = "$name" ] || continue
			grep -a -q -E -- "$regex" <<<"$text" || missing="$missing '$regex'"
		done < <(grep -v '^#' "$spec")
		if ! grep -a -q -F "$mark begin $name" "$log"; then
			echo "not ok $n control $name reported # it never ran"
			failed=1
		elif [ -n "$missing" ]; then
			echo "not ok $n control $name reported # missing:$missing"
			head -n 60 <<<"$text" | sed 's/^/# /'
			failed=1
		else
			echo "ok $n control $name reported"
		fi
	done
	n=$((n + 1))
	text=$(outside "$log")
	if grep -a -q -E "$pattern" <<<"$text"; then
		echo "not ok $n no splat outside the controls"
		grep -a -n -E -A 25 "$pattern" <<<"$text" | head -n 80 | sed 's/^/# /'
		failed=1
	else
		echo "ok $n no splat outside the controls"
	fi
	return $failed
}

if [ "${1:-}" = --expect ]; then
	[ $# -eq 3 ] || { echo "usage: splat.sh --expect SPEC LOG" >&2; exit 2; }
	expect "$2" "$3"
	exit
fi

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
