# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest test plans: each step is one KTAP test case. A step
# that prints KTAP of its own (a test program, KUnit results) has that
# output indented beneath it as a subtest, so the host counts its cases
# and not the step.
set -o pipefail
step=0
failures=0

echo "KTAP version 1"

# now_s: whole seconds since boot.
now_s() {
	local up rest

	read -r up rest </proc/uptime
	echo "${up%.*}"
}

# step NAME COMMAND...: run COMMAND as test case NAME, with a diagnostic
# line giving the seconds it took (where a guest's time goes).
step() {
	local name=$1 rc start
	shift
	step=$((step + 1))
	start=$(now_s)
	"$@" 2>&1 | sed 's/^/    /'
	rc=$?
	echo "    # $name: $(($(now_s) - start)) s"
	if [ $rc -eq 0 ]; then
		echo "ok $step $name"
	else
		echo "not ok $step $name # exit status $rc"
		failures=$((failures + 1))
	fi
	return $rc
}

load_modules() {
	for m in "$@"; do
		step "insmod $m" insmod "/kpool/$m.ko"
	done
}

unload_modules() {
	for m in "$@"; do
		step "rmmod $m" rmmod "$m"
	done
}

# The user-space suites, against the loaded kpool and kpool_dev.
userspace_suites() {
	step conformance kpool_conform
	# 2 % of growths fail, and on debug kernels 2 % of the workers' kernel
	# allocations (fail_page_alloc, failslab)
	step stress kpool_stress --threads 4 --seconds "${STRESS_SECONDS:-10}" --pools 3 \
		--fault-ppm "${STRESS_FAULT_PPM:-20000}"
	step fuzz kpool_fuzz --seed "${FUZZ_SEED:-1}" --iterations "${FUZZ_ITERATIONS:-100000}" \
		--seconds "${FUZZ_SECONDS:-120}"
	step "only the example pool left" only_pool example
}

# only_pool NAME: kpool has no pool but NAME (the suites left nothing).
only_pool() {
	local left
	left=$(ls /sys/kernel/debug/kpool 2>/dev/null | grep -v -x "$1")
	[ -z "$left" ] || { echo "# pools left: $left"; return 1; }
}

# Debug kernels: make every allocation a fault site of the fail-nth
# sweeps (failslab and fail_page_alloc do not ignore GFP_KERNEL, highmem
# nor order 0) and let no injected fault print (no stack dump). The
# knobs' probabilities are left alone: fail-nth injects regardless.
arm_fail_nth() {
	local d=/sys/kernel/debug f rc=0
	for f in failslab fail_page_alloc fail_usercopy; do
		# fail_usercopy needs CONFIG_FAULT_INJECTION_USERCOPY
		[ $f = fail_usercopy ] && [ ! -d $d/$f ] && continue
		echo 0 >$d/$f/verbose || rc=1
	done
	for f in failslab fail_page_alloc; do
		echo N >$d/$f/ignore-gfp-wait || rc=1
	done
	echo N >$d/fail_page_alloc/ignore-gfp-highmem &&
		echo 0 >$d/fail_page_alloc/min-order || rc=1
	return $rc
}

# Debug kernels: kmemleak reports nothing. Objects must be older than
# kmemleak's minimum age before they count.
kmemleak=/sys/kernel/debug/kmemleak
kmemleak_scan() {
	sleep 6
	echo scan >"$kmemleak"
	echo scan >"$kmemleak"
	if [ -s "$kmemleak" ]; then
		cat "$kmemleak"
		return 1
	fi
}

# A boot's plans share one kmemleak window (a scan costs a debug guest
# half a minute): the first plan forgets what the boot itself leaked, the
# last one scans as step NAME, after every plan ran; the kernel's own
# periodic scans in between keep what they find listed until then.
kmemleak_begin() {
	[ "${KPOOL_FIRST_PLAN:-1}" = 1 ] && echo clear >"$kmemleak"
}

kmemleak_end() {
	[ "${KPOOL_LAST_PLAN:-1}" = 1 ] && step "$1" kmemleak_scan
}

finish() {
	echo "1..$step"
	[ $failures -eq 0 ]
}
