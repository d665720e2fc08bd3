#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - kpool's whole test matrix; what `make check` and CI run.
#
#  1. dependencies (Debian packages)
#  2. each guest kernel (Debian's 6.1, 6.12, 6.12-rt; the debug kernel built
#     from linux-source-6.12) and a W=1 + sparse build of kpool against it
#  3. checkpatch --strict on every project source file
#  4. the static user-space tools
#  5. stock 6.1, 6.12, 6.12-rt guests: insmod, user-space suites, rmmod
#  6. the debug kernel (KUnit, KASAN, lockdep, kmemleak): build, then a guest
#     running the KUnit suites, the user-space suites and a kmemleak scan
#  7. the fail-nth sweep of every ioctl on the debug kernel (that of the API
#     entry points is a KUnit suite of step 6), and the static hardening
#     checks of /dev/kpool
#  8. the negative controls: a guest of their own where the debug kernel
#     must report each deliberate bug of kpool_negative.ko
#  9. a short soak (60 s of load, scripts/soak.sh has the long one)
#
# Every stage runs, whatever failed before it (only a failed dependency
# install stops the run). Each stage is a test case; a guest stage also
# contributes the KTAP cases its guest ran. The last line is
# "N passed, N failed" over all individual cases. Logs: .out/check/.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$KPOOL_OUT/check
# The debug guests' kernel command line
debug_boot="kmemleak=on debug_pagealloc=on panic_on_warn=1"
ktap=$out/all.ktap
rm -rf "$out"
mkdir -p "$out"
: >"$ktap"
summary=()
declare -A passed

# stage NAME COMMAND...: run one host stage as one test case.
stage() {
	local name=$1 start=$SECONDS slog result
	shift
	slog=$out/${name//[^A-Za-z0-9.-]/_}.log
	log "$name"
	if "$@" >"$slog" 2>&1; then
		result=ok
		passed[$name]=1
	else
		result="not ok"
		tail -n 40 "$slog" | sed 's/^/    /' >&2
	fi
	printf '# stage: %s\n%s %d %s\n' "$name" "$result" ${#summary[@]} "$name" >>"$ktap"
	summary+=("$(printf '%-28s %-7s %5ss  %s' "$name" "${result/not ok/FAIL}" \
		$((SECONDS - start)) "${slog#"$KPOOL_ROOT"/}")")
}

# needs STAGE...: fail (with a reason) unless every STAGE passed.
needs() {
	local s
	for s in "$@"; do
		[ -n "${passed[$s]:-}" ] || { echo "skipped: stage '$s' failed"; return 1; }
	done
}

kernel() {
	"$KPOOL_ROOT/scripts/kernels.sh" "$1" | tee -a "$out/kernels.txt"
}

kernel_field() {
	awk -v k="$1" -v f="$2" '$1 == k { print $f }' "$out/kernels.txt"
}

build() {
	needs "kernel $1" && "$KPOOL_ROOT/scripts/build.sh" "$(kernel_field "$1" 3)" "$out/build-$1"
}

checkpatch() {
	local files
	files=$(git -C "$KPOOL_ROOT" ls-files --cached --others --exclude-standard -- '*.c' '*.h')
	(cd "$KPOOL_ROOT" && perl "$KPOOL_SOURCE_TREE/scripts/checkpatch.pl" --strict --no-tree \
		--terse --show-types -f $files) | tee "$out/checkpatch.txt"
	! grep -q -E ': (ERROR|WARNING|CHECK):' "$out/checkpatch.txt"
}

userspace() {
	make -C "$KPOOL_ROOT/userspace" && mkdir -p "$out/tools" &&
		make -C "$KPOOL_ROOT/userspace" install DESTDIR="$out/tools"
}

# The host-side unit tests of the tools' pure parts (KTAP).
userspace_unit() {
	needs userspace && make -s -C "$KPOOL_ROOT/userspace" test | tee -a "$ktap"
}

# guest KERNEL PLAN [vm.sh options]: boot KERNEL with kpool's modules for it
# (those of the build in $GUEST_BUILD if set) and the tools, run PLAN; the
# guest's KTAP joins the totals. Logs in guest-KERNEL (guest-KERNEL-PLAN
# for plans other than stock and debug).
guest() {
	local kernel=$1 plan=$2 dir=$out/guest-$1 rc=0
	shift 2
	case $plan in stock | debug) ;; *) dir=$dir-$plan ;; esac
	needs "build $kernel" userspace || return 1
	mkdir -p "$dir"
	"$KPOOL_ROOT/scripts/initramfs.sh" "$dir/initramfs.gz" \
		"${GUEST_BUILD:-$out/build-$kernel}/src" "$out/tools" || return 1
	"$KPOOL_ROOT/scripts/vm.sh" "$@" "$(kernel_field "$kernel" 2)" "$dir/initramfs.gz" \
		"$plan" "$dir" || rc=$?
	grep -a -v '^KPOOL-' "$dir/results.log" >>"$ktap"
	cat "$dir/results.log"
	return $rc
}

# The negative controls: kpool built again with KPOOL_NEGATIVE=y (the only
# build that has kpool_negative.ko) for a guest of its own, without
# panic_on_warn, which passes only if the debug kernel reports every
# deliberate bug (vm.sh --expect).
negative_controls() {
	local build=$out/build-debug-negative
	needs "build debug" || return 1
	KPOOL_NEGATIVE=y "$KPOOL_ROOT/scripts/build.sh" "$(kernel_field debug 3)" "$build" ||
		return 1
	GUEST_BUILD=$build guest debug negative --mem 2048 --timeout 900 \
		--expect "$KPOOL_ROOT/scripts/guest/plans/negative.expect" \
		--append "kmemleak=on debug_pagealloc=on kasan_multi_shot kmemleak.verbose=1"
}

# The static items of the /dev/kpool hardening checklist; the self-test
# first proves that every rule fires.
hardening_lint() {
	"$KPOOL_ROOT/scripts/hardening-lint.sh" --self-test &&
		"$KPOOL_ROOT/scripts/hardening-lint.sh"
}

# count_cases: leaf KTAP results (a result line directly after deeper ones
# summarises its subtests and is not counted again).
count_cases() {
	awk '
	/^# stage:/ { have = 0; next }
	/^ *(not )?ok [0-9]/ {
		indent = match($0, /[^ ]/) - 1
		if (have && prev > indent) { prev = indent; next }
		prev = indent; have = 1
		if ($0 ~ /# *SKIP/) skipped++
		else if ($0 ~ /^ *not ok/) failed++
		else passed++
	}
	END { printf "%d %d %d\n", passed, failed, skipped }' "$ktap"
}

stage deps "$KPOOL_ROOT/scripts/deps.sh"
[ -n "${passed[deps]:-}" ] || die "cannot install the dependencies; nothing else can run"
for k in "${KPOOL_STOCK_KERNELS[@]}" debug; do
	stage "kernel $k" kernel "$k"
	stage "build $k" build "$k"
done
stage checkpatch checkpatch
stage "hardening lint" hardening_lint
stage userspace userspace
stage "userspace unit" userspace_unit
for k in "${KPOOL_STOCK_KERNELS[@]}"; do
	stage "guest $k" guest "$k" stock --mem 1024 --timeout 900
done
stage "guest debug" guest debug debug --mem 2048 --timeout 3600 \
	--append "$debug_boot"
stage "fail-nth sweep" guest debug failnth --mem 2048 --timeout 1800 \
	--append "kmemleak=on panic_on_warn=1"
stage "negative controls" negative_controls
stage soak guest debug soak --mem 2048 --timeout 1800 --append "$debug_boot kpool.soak=60"

read -r npass nfail nskip < <(count_cases)
echo
echo "kpool check summary"
printf '  %s\n' "${summary[@]}"
echo "  cases: $npass passed, $nfail failed, $nskip skipped (KTAP: $ktap)"
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
