#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hardening-lint.sh [--self-test] [FILE]
#
# The static items of the /dev/kpool hardening checklist, checked in FILE
# (default kpool_dev.c; %px in every C file of the tree). Each rule prints
# the offending lines and the run fails if any rule does:
#
#   nospec     the command table is indexed only through array_index_nospec()
#   capable    capabilities are checked against the opener's credentials
#              (file_ns_capable()), never capable()/ns_capable() or the
#              credentials of current
#   warn       no WARN*() or BUG*() (guests run with panic_on_warn; bad input
#              is reported with pr_warn_ratelimited()); BUILD_BUG_ON is fine
#   refcount   references are taken with refcount_inc_not_zero() under the
#              lookup's lock, never refcount_inc()
#   alloc      no multiplication in a kmalloc/kzalloc/kvmalloc/vmalloc size
#              (kcalloc, kvcalloc, array_size(), struct_size() check overflow)
#   gfp        every pool user space creates takes KPOOL_DEV_POOL_GFP, which
#              includes __GFP_ZERO
#   px         no %px anywhere (kernel addresses never reach a log)
#
# --self-test proves that every rule fires: each is run on a copy of FILE
# with one offending line added and must fail there.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# Lines of the file on stdin that match the extended regex $1, minus those
# that match $2 (if given), with their line numbers.
offending() {
	grep -n -E "$1" | { if [ -n "${2:-}" ]; then grep -v -E "$2"; else cat; fi; }
}

# The file without comments (a rule mentioned in a comment is no use).
code() {
	sed -e 's://.*$::' -e 's:/\*.*\*/::g' "$1" |
		awk '/\/\*/ { skip = 1 } !skip { print } /\*\// { skip = 0 }'
}

rule_nospec() {
	code "$1" | offending 'kpool_dev_cmds\[[^]]' 'kpool_dev_cmds\[array_index_nospec\('
}

rule_capable() {
	code "$1" | offending '(^|[^_a-z])(ns_)?capable\(|has_capability|current_cred\(|current_(e|fs)?uid\(|current->cred'
}

rule_warn() {
	code "$1" | offending '(^|[^_A-Z])(WARN|WARN_ON|WARN_ON_ONCE|WARN_ONCE|BUG|BUG_ON)\('
}

rule_refcount() {
	code "$1" | offending '(^|[^_a-z])(refcount_inc|kref_get)\('
}

rule_alloc() {
	code "$1" | sed -E 's/sizeof\(\*[a-z_>.-]+\)/sizeof(x)/g' |
		offending '(^|[^_a-z])(kmalloc|kzalloc|kvmalloc|kvzalloc|vmalloc|vzalloc)\([^;]*\*'
}

rule_gfp() {
	code "$1" | offending '\.gfp *=' '\.gfp *= *KPOOL_DEV_POOL_GFP,'
	# not grep -q: an early exit would fail the pipeline (pipefail)
	code "$1" | grep -E '#define KPOOL_DEV_POOL_GFP.*__GFP_ZERO' >/dev/null ||
		echo "KPOOL_DEV_POOL_GFP without __GFP_ZERO"
}

rule_px() {
	local f
	for f in "$@"; do
		grep -n -H '%px' "$f"
	done
}

rules=(nospec capable warn refcount alloc gfp)

# lint FILE [C FILES for px]: 0 iff no rule finds anything.
lint() {
	local file=$1 r out rc=0
	shift
	for r in "${rules[@]}" px; do
		if [ "$r" = px ]; then
			out=$(rule_px "$@")
		else
			out=$("rule_$r" "$file")
		fi
		if [ -n "$out" ]; then
			echo "hardening-lint: rule $r:"
			echo "$out" | sed 's/^/    /'
			rc=1
		fi
	done
	return $rc
}

# An offending line for each rule, added to a copy of the file.
declare -A bad_line=(
	[nospec]='static u32 bad(unsigned int nr) { return kpool_dev_cmds[nr].size; }'
	[capable]='static bool bad(void) { return capable(CAP_SYS_ADMIN); }'
	[warn]='static void bad(void) { WARN_ON(1); }'
	[refcount]='static void bad(struct kpool_dev_block *b) { refcount_inc(&b->ref); }'
	[alloc]='static void *bad(size_t n) { return kvmalloc(n * 8, GFP_KERNEL); }'
	[gfp]='static struct kpool_params bad = { .gfp = __GFP_ACCOUNT, };'
	[px]='static void bad(void *p) { pr_info("%px\n", p); }'
)

self_test() {
	local file=$1 tmp r rc=0
	if ! lint "$file" "$file" >/dev/null; then
		echo "self-test: $file does not pass to begin with"
		return 1
	fi
	tmp=$(mktemp --suffix=.c)
	for r in "${rules[@]}" px; do
		{ cat "$file"; echo "${bad_line[$r]}"; } >"$tmp"
		if [[ $(lint "$tmp" "$tmp") == *"rule $r:"* ]]; then
			echo "ok: rule $r fires"
		else
			echo "FAIL: rule $r does not fire on: ${bad_line[$r]}"
			rc=1
		fi
	done
	rm -f "$tmp"
	return $rc
}

self=
if [ "${1:-}" = --self-test ]; then
	self=1
	shift
fi
file=${1:-$KPOOL_ROOT/kpool_dev.c}
[ -f "$file" ] || die "no $file"
if [ -n "$self" ]; then
	self_test "$file"
	exit
fi
mapfile -t cfiles < <(git -C "$KPOOL_ROOT" ls-files --cached --others --exclude-standard \
	-- '*.c' '*.h' | sed "s:^:$KPOOL_ROOT/:")
lint "$file" "${cfiles[@]}" && echo "hardening-lint: $file clean (${#rules[@]} rules + px in ${#cfiles[@]} files)"
