# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest test plans: each step is one KTAP test case. A step
# that prints KTAP of its own (a test program, KUnit results) has that
# output indented beneath it as a subtest, so the host counts its cases
# and not the step.
set -o pipefail
step=0
failures=0

echo "KTAP version 1"

# step NAME COMMAND...: run COMMAND as test case NAME.
step() {
	local name=$1 rc
	shift
	step=$((step + 1))
	"$@" 2>&1 | sed 's/^/    /'
	rc=$?
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
	step stress kpool_stress --threads 4 --seconds "${STRESS_SECONDS:-10}" --pools 3
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

finish() {
	echo "1..$step"
	[ $failures -eq 0 ]
}
