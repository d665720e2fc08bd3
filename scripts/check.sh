#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - kpool's whole test matrix; what `make check` and CI run.
#
#  1. dependencies (Debian packages)
#  2. each guest kernel (Debian 12's 6.1, 6.12, 6.12-rt; Debian unstable's
#     newest series and its -rt, e.g. 7.2 and 7.2-rt, resolved at run time
#     by scripts/newest.sh; the debug kernels built from the newest
#     series' linux-source: "debug" with KASAN, "debug-rt" the same on
#     PREEMPT_RT) and a W=1 + sparse build of kpool against it; Kconfig
#     must take every line of the KCSAN flavour's fragments (built only by
#     `make soak KERNEL=kcsan`)
#  3. checkpatch --strict on every project source file, and the static
#     hardening checks of /dev/kpool
#  4. the static user-space tools, and what README.md shows a user typing
#     that needs no guest (scripts/readme.py: make, make example, DKMS in a
#     throwaway tree, kpoolctl --help), for 6.1 and the newest kernel
#  5. the stock guests: insmod, user-space suites, rmmod; the 6.1 guest
#     then runs make demo's session (plan demo) and every kpoolctl command
#     README.md shows (plan readme, generated from README.md)
#  6. the debug guest, one boot with two NUMA nodes, running plans kunit
#     (the KUnit suites, kpool_numa and the fail-nth sweep of the API among
#     them), debug (the user-space suites, a fuzz run), hotplug (CPUs
#     offline and online under load), failnth (the fail-nth sweep of every
#     ioctl) and soak (60 s of everything at once), then one kmemleak
#     scan for the boot
#  7. the RT debug guest: the KUnit suites, the conformance suite, a short
#     stress beside the hardirq user, the fuzzer (without debug_pagealloc);
#     both debug guests boot before the stock guests and run beside them
#  8. the negative controls: a guest of their own where the debug kernel
#     must report each deliberate bug of kpool_negative.ko (built and booted
#     in the background too, beside the debug guests)
#
# STAGES="PATTERN..." runs only the stages whose key (the name with '-' for
# spaces: kernel-6.1, build-debug-rt, checkpatch, guest-6.1, guest-debug,
# ...) matches one of the shell patterns, and the stages they need; deps
# always runs. Stages marked "named only" below run only when a pattern
# matches them. STAGES=quick is the development loop of `make check-quick`:
# every kernel and build, checkpatch, the stock 6.1 guest and the debug
# guest's KUnit suites (stage guest-debug-kunit, named only). STAGES=list
# prints the keys.
#
# Every stage runs, whatever failed before it (only a failed dependency
# install stops the run). Each stage is a test case; a guest stage also
# contributes the KTAP cases its guest ran. The last line is
# "N passed, N failed" over all individual cases, after the failed ones
# (at most 20). Logs: .out/check/.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

newest=$("$KPOOL_ROOT/scripts/newest.sh") || exit 1
stock_kernels=("${KPOOL_BOOKWORM_KERNELS[@]}" "$newest" "$newest-rt")

out=$KPOOL_OUT/check
# The debug guests' kernel command line. The hung-task detector waits 10
# minutes, not 2: under TCG one KUnit case (the fail-nth sweep of set
# creation) keeps insmod waiting for minutes on a loaded host.
debug_boot="kmemleak=on debug_pagealloc=on panic_on_warn=1 sysctl.kernel.hung_task_timeout_secs=600"
# The debug guest: two NUMA nodes, one CPU and half the memory each
debug_vm=(--smp 2 --numa 2 --mem 2048)
kernels=("${stock_kernels[@]}" debug debug-rt)
ktap=$out/all.ktap

# Every stage key in the order of the run; NAMED_ONLY ones run only when
# STAGES names them.
keys=(deps)
for k in "${kernels[@]}"; do
	keys+=("kernel-$k" "build-$k")
done
keys+=(kconfig-kcsan checkpatch hardening-lint userspace userspace-unit readme)
for k in "${stock_kernels[@]}"; do
	keys+=("guest-$k")
done
keys+=(guest-debug-kunit guest-debug guest-debug-rt negative-controls)
named_only=" guest-debug-kunit "
quick="kernel-* build-* checkpatch guest-6.1 guest-debug-kunit"

# What a stage needs: stages it cannot run without.
declare -A prereq=([userspace-unit]=userspace [negative-controls]="build-debug userspace"
	[readme]="kernel-6.1 kernel-$newest userspace")
for k in "${kernels[@]}"; do
	prereq[build-$k]=kernel-$k
	prereq[guest-$k]="build-$k userspace"
done
prereq[guest-debug-kunit]=${prereq[guest-debug]}

# The stages to run: those STAGES matches (all but the named-only ones
# without STAGES) and, recursively, what they need.
declare -A want=([deps]=1)
want_stage() {
	local p
	[ -n "${want[$1]:-}" ] && return
	want[$1]=1
	for p in ${prereq[$1]:-}; do
		want_stage "$p"
	done
}
patterns=${STAGES:-}
[ "$patterns" = quick ] && patterns=$quick
if [ "$patterns" = list ]; then
	for key in "${keys[@]}"; do
		echo "$key${prereq[$key]:+ (needs ${prereq[$key]})}$([[ $named_only == *" $key "* ]] && echo ', named only')"
	done
	exit 0
fi
for key in "${keys[@]}"; do
	if [ -z "$patterns" ]; then
		[[ $named_only == *" $key "* ]] || want_stage "$key"
		continue
	fi
	for p in $patterns; do
		# shellcheck disable=SC2053
		[[ $key == $p ]] && want_stage "$key"
	done
done
[ -z "$patterns" ] || [ ${#want[@]} -gt 1 ] || die "STAGES='$STAGES' matches no stage (STAGES=list)"

rm -rf "$out"
mkdir -p "$out"
# A run is cold when it fills the cache (kernels fetched, trees prepared,
# debug kernels built): the entries stamped after this file.
touch "$out/.start"
: >"$ktap"
summary=()
rows=()
declare -A passed
check_start=$SECONDS

# stage NAME COMMAND...: run one host stage as one test case, if it is one
# of the stages to run (its key: NAME with '-' for spaces). The KTAP the
# stage's cases wrote to $stage_ktap ($out/KEY.ktap) joins the totals
# ahead of the stage's own result.
stage() {
	local name=$1 start=$SECONDS slog result
	shift
	[ -n "${want[${name// /-}]:-}" ] || return 0
	slog=$out/${name//[^A-Za-z0-9.-]/_}.log
	stage_ktap=$out/${name// /-}.ktap
	log "$name"
	if "$@" >"$slog" 2>&1; then
		result=ok
		passed[$name]=1
	else
		result="not ok"
		tail -n 40 "$slog" | sed 's/^/    /' >&2
	fi
	[ ! -f "$stage_ktap" ] || cat "$stage_ktap" >>"$ktap"
	printf '# stage: %s\n%s %d %s\n' "$name" "$result" ${#summary[@]} "$name" >>"$ktap"
	summary+=("$(printf '%-28s %-7s %5ss  %s' "$name" "${result/not ok/FAIL}" \
		$((SECONDS - start)) "${slog#"$KPOOL_ROOT"/}")")
	rows+=("| $name | ${result/not ok/FAIL} | $((SECONDS - start)) s |")
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

# kpool's modules for one kernel; kbuild runs JOBS compilers (and sparse).
build() {
	needs "kernel $1" &&
		MAKEFLAGS="-j$JOBS" "$KPOOL_ROOT/scripts/build.sh" "$(kernel_field "$1" 3)" "$out/build-$1" &&
		hitpath "$1"
}

# The inline hit paths of kpool.h, as kpool.ko instantiates them, have no
# stack frame and make no call (scripts/hitpath.py), on every kernel whose
# hit path is the inline one: not on PREEMPT_RT (out of line by design),
# nor under KASAN or KCSAN (instrumented). On the first kernel, the same
# check must reject a build with frame pointers (every function gets a
# frame), or it could not fail.
hitpath() {
	local kdir cfg ko=$out/build-$1/src/kpool.ko
	kdir=$(kernel_field "$1" 3)
	cfg=$(grep -oE '^CONFIG_(PREEMPT_RT|KASAN|KCSAN)=y' "$kdir/.config" | tr '\n' ' ')
	if [ -n "$cfg" ]; then
		echo "hit path: not checked on this kernel ($cfg)"
		return 0
	fi
	python3 "$KPOOL_ROOT/scripts/hitpath.py" check "$ko" || return 1
	[ "$1" = "${stock_kernels[0]}" ] || return 0
	KCFLAGS=-fno-omit-frame-pointer MAKEFLAGS="-j$JOBS" \
		"$KPOOL_ROOT/scripts/build.sh" "$kdir" "$out/build-$1-frame" >/dev/null || return 1
	if python3 "$KPOOL_ROOT/scripts/hitpath.py" check \
		"$out/build-$1-frame/src/kpool.ko" >/dev/null 2>&1; then
		echo "hit path: the check passed a build with frame pointers"
		return 1
	fi
	echo "hit path: a build with frame pointers is rejected, as it must be"
}

# Kconfig takes every line of a debug flavour's fragments (no build).
kconfig() {
	"$KPOOL_ROOT/scripts/debug-kernel.sh" --config-only "$1"
}

# checkpatch --strict on every C file, JOBS files at a time (one report
# per file, joined in order). kpool.h lists the state fields of struct
# kpool_stats once, as an X-macro (KPOOL_STATE), and the uapi header the
# counters (KPOOL_IOC_STATS_EVENTS): checkpatch's rules for ordinary macros
# are waived there, and only there; kpool.h includes the uapi header, whose
# name ends as its own (EMBEDDED_FILENAME, waived there); the version tests
# of kpool_compat.h, the one place for them, are waived there.
checkpatch() {
	local dir=$out/checkpatch src
	src=$("$KPOOL_ROOT/scripts/source.sh") || return 1
	mkdir -p "$dir"
	(cd "$KPOOL_ROOT" &&
		git ls-files --cached --others --exclude-standard -- '*.c' '*.h' |
		xargs -P "$JOBS" -I{} sh -c 'ign=
			case $2 in kpool.h|include/uapi/linux/kpool.h)
				ign="--ignore COMPLEX_MACRO,MACRO_ARG_REUSE,MULTISTATEMENT_MACRO_USE_DO_WHILE,TRAILING_SEMICOLON,MACRO_ARG_UNUSED"
			esac
			[ "$2" = kpool.h ] && ign="$ign,EMBEDDED_FILENAME"
			[ "$2" = kpool_compat.h ] && ign="--ignore LINUX_VERSION_CODE"
			report=$3/$(echo "$2" | tr / _).txt
			perl "$1/scripts/checkpatch.pl" --strict --no-tree $ign \
				--terse --show-types -f "$2" >"$report"
			# 0: clean, 1: reports; anything else: it did not run
			[ $? -gt 1 ] || echo "checked: $2" >>"$report"' \
			sh "$src" {} "$dir")
	cat "$dir"/*.txt | grep -v '^checked: ' | tee "$out/checkpatch.txt"
	[ "$(cat "$dir"/*.txt | grep -c '^checked: ')" -eq "$(ls "$dir" | wc -l)" ] ||
		{ echo "checkpatch did not check every file"; return 1; }
	! grep -q -E ': (ERROR|WARNING|CHECK):' "$out/checkpatch.txt"
}

userspace() {
	make -C "$KPOOL_ROOT/userspace" && mkdir -p "$out/tools" &&
		make -C "$KPOOL_ROOT/userspace" install DESTDIR="$out/tools"
}

# The host-side unit tests of the tools' pure parts (KTAP).
userspace_unit() {
	needs userspace && make -s -C "$KPOOL_ROOT/userspace" test | tee -a "$stage_ktap"
}

# guest NAME KERNEL PLAN [vm.sh options]: boot KERNEL with kpool's modules
# for it (those of the build in $GUEST_BUILD if set) and the tools, run
# PLAN (plans separated by commas run one after the other in the same
# boot; plan readme is generated from README.md); the guest's KTAP joins
# the totals. Logs in guest-NAME.
guest() {
	local dir=$out/guest-$1 kernel=$2 plan=$3 rc=0 extra=()
	shift 3
	needs "build $kernel" userspace || return 1
	mkdir -p "$dir"
	if [[ ,$plan, == *,readme,* ]]; then
		python3 "$KPOOL_ROOT/scripts/readme.py" guest-plan "$dir/readme.sh" || return 1
		extra=("$dir/readme.sh")
	fi
	"$KPOOL_ROOT/scripts/initramfs.sh" "$dir/initramfs.gz" \
		"${GUEST_BUILD:-$out/build-$kernel}/src" "$out/tools" "${extra[@]}" || return 1
	"$KPOOL_ROOT/scripts/vm.sh" "$@" "$(kernel_field "$kernel" 2)" "$dir/initramfs.gz" \
		"$plan" "$dir" || rc=$?
	grep -a -v '^KPOOL-' "$dir/results.log" >>"$stage_ktap"
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
	KPOOL_NEGATIVE=y MAKEFLAGS="-j$JOBS" "$KPOOL_ROOT/scripts/build.sh" \
		"$(kernel_field debug 3)" "$build" || return 1
	GUEST_BUILD=$build guest debug-negative debug negative --mem 2048 --timeout 900 \
		--expect "$KPOOL_ROOT/scripts/guest/plans/negative.expect" \
		--append "kmemleak=on debug_pagealloc=on kasan_multi_shot kmemleak.verbose=1"
}

# What README.md shows a user typing that needs no guest, on 6.1 and the
# newest kernel (scripts/readme.py: KTAP, each case named by its line).
readme() {
	local k specs=()
	needs userspace || return 1
	for k in 6.1 "$newest"; do
		specs+=("$k=$(kernel_field "$k" 3):$(kernel_field "$k" 4)")
	done
	python3 "$KPOOL_ROOT/scripts/readme.py" host "$out/readme" "${specs[@]}" |
		tee -a "$stage_ktap" | sed -n '/^ok/!p'
}

# The static items of the /dev/kpool hardening checklist; the self-test
# first proves that every rule fires.
hardening_lint() {
	"$KPOOL_ROOT/scripts/hardening-lint.sh" --self-test &&
		"$KPOOL_ROOT/scripts/hardening-lint.sh"
}

# count_cases: leaf KTAP results (a result line directly after deeper ones
# summarises its subtests and is not counted again). A stage's own result
# comes after the "# stage:" line that closes the KTAP its guest wrote. The
# failed leaves go to $out/failed.txt, a "STAGE: SUITE / CASE" line each.
count_cases() {
	awk -v failed_txt="$out/failed.txt" '
	function title(line) {
		sub(/^ *(not )?ok [0-9]+ *(- )?/, "", line)
		sub(/ *#.*$/, "", line)
		return line
	}
	/^# stage:/ {
		stage = substr($0, 10)
		for (i = 1; i <= nbad; i++)
			print stage ": " path[i] >failed_txt
		nbad = 0; have = 0; own = 1
		next
	}
	/^ *(not )?ok [0-9]/ {
		indent = match($0, /[^ ]/) - 1
		if (have && prev > indent) {
			for (i = 1; i <= nbad; i++)
				if (at[i] > indent) {
					path[i] = title($0) " / " path[i]
					at[i] = indent
				}
			prev = indent
			next
		}
		prev = indent; have = 1
		if ($0 ~ /# *SKIP/) skipped++
		else if ($0 ~ /^ *not ok/) {
			failed++
			if (own)
				print stage >failed_txt
			else {
				path[++nbad] = title($0)
				at[nbad] = indent
			}
		} else passed++
		own = 0
	}
	END { printf "%d %d %d\n", passed, failed, skipped }' "$ktap"
}

# Host stages that only compile or read run in the background, all at
# once (the kernels and kpool's builds, one chain per kernel, and
# checkpatch), so that they overlap one another, and so do the debug
# guests and the negative controls (below); each stage then collects its
# job's output and status, in order (its time is the wait).
background() {
	local key=$1
	shift
	(stage_ktap=$out/$key.ktap
	 "$@" >"$out/$key.bg" 2>&1; echo $? >"$out/$key.rc") &
}

collect() {
	while [ ! -f "$out/$1.rc" ]; do
		sleep 1
	done
	cat "$out/$1.bg"
	return "$(cat "$out/$1.rc")"
}

# kernel_and_build KERNEL: the kernel, then (if it came) kpool's build,
# as the background jobs kernel-KERNEL and build-KERNEL.
kernel_and_build() {
	local rc=0
	kernel "$1" >"$out/kernel-$1.bg" 2>&1 || rc=$?
	echo $rc >"$out/kernel-$1.rc"
	if [ $rc -eq 0 ]; then
		passed["kernel $1"]=1
		build "$1" >"$out/build-$1.bg" 2>&1 || rc=$?
	else
		echo "skipped: stage 'kernel $1' failed" >"$out/build-$1.bg"
	fi
	echo $rc >"$out/build-$1.rc"
}

stage deps "$KPOOL_ROOT/scripts/deps.sh"
[ -n "${passed[deps]:-}" ] || die "cannot install the dependencies; nothing else can run"
for k in "${kernels[@]}"; do
	[ -n "${want[build-$k]:-}" ] && kernel_and_build "$k" &
done
[ -n "${want[checkpatch]:-}" ] && background checkpatch checkpatch
for k in "${kernels[@]}"; do
	if [ -n "${want[build-$k]:-}" ]; then
		stage "kernel $k" collect "kernel-$k"
		stage "build $k" collect "build-$k"
	else
		stage "kernel $k" kernel "$k"
	fi
done
stage "kconfig kcsan" kconfig kcsan
stage checkpatch collect checkpatch
stage "hardening lint" hardening_lint
stage userspace userspace
stage "userspace unit" userspace_unit
[ -n "${want[readme]:-}" ] && background readme readme
# The two debug guests, the longest stages, boot first and run in the
# background beside the stock guests and each other: much of a guest's
# time one vCPU waits for the other (single-threaded suites), so guests
# share the host's CPUs well. The RT guest boots without debug_pagealloc
# (guest debug has it): it is about locking and contexts, and the page
# checks cost it minutes.
[ -n "${want[guest-debug-rt]:-}" ] &&
	background guest-debug-rt guest debug-rt debug-rt kunit,rt --smp 2 --mem 2048 \
		--timeout 2400 --append "${debug_boot/debug_pagealloc=on /}"
[ -n "${want[guest-debug]:-}" ] &&
	background guest-debug guest debug debug kunit,debug,hotplug,failnth,soak \
		"${debug_vm[@]}" --timeout 3600 --append "$debug_boot kpool.soak=60"
[ -n "${want[negative-controls]:-}" ] && background negative-controls negative_controls
for k in "${stock_kernels[@]}"; do
	plans=stock
	[ "$k" = 6.1 ] && plans=stock,demo,readme
	stage "guest $k" guest "$k" "$k" "$plans" --mem 1024 --timeout 900
done
stage "guest debug-kunit" guest debug-kunit debug kunit "${debug_vm[@]}" --timeout 1800 \
	--append "$debug_boot"
stage "guest debug" collect guest-debug
stage "guest debug-rt" collect guest-debug-rt
stage "negative controls" collect negative-controls
stage readme collect readme

: >"$out/failed.txt"
read -r npass nfail nskip < <(count_cases)
made=$(find "$KPOOL_CACHE" -maxdepth 3 -name .kpool-done -newer "$out/.start" | wc -l)
cache=warm
[ "$made" -eq 0 ] || cache=cold
echo
echo "kpool check summary"
printf '  %s\n' "${summary[@]}"
echo "  total: $((SECONDS - check_start)) s${STAGES:+ (STAGES=$STAGES)}, $cache cache ($made entries made)"
echo "  cases: $npass passed, $nfail failed, $nskip skipped (KTAP: $ktap)"
# The run as a table for README.md (scripts/readme.py sync check-CACHE).
total=$((SECONDS - check_start))
{
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $cache cache ($made entries made)${STAGES:+, STAGES=$STAGES}:" \
		"**$((total / 60)) min $((total % 60)) s** ($total s), $npass cases passed," \
		"$nfail failed, $nskip skipped. Kernels: $(awk '{ printf "%s%s = %s", (NR > 1 ? ", " : ""), $1, $4 }' "$out/kernels.txt" 2>/dev/null)."
	echo
	echo "| stage | result | time |"
	echo "| --- | --- | ---: |"
	printf '%s\n' "${rows[@]}"
} >"$out/summary.md"
echo "  times as a table: $out/summary.md (scripts/readme.py sync check-$cache $out/summary.md)"
# the failed cases last, where a log's tail shows them
[ "$nfail" -eq 0 ] || head -n 20 "$out/failed.txt" | sed 's/^/  failed: /'
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
