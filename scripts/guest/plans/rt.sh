# SPDX-License-Identifier: GPL-2.0
# PREEMPT_RT debug kernel (after the kunit plan): the conformance suite,
# then a short stress (STRESS_SECONDS, default 20, a worker per CPU,
# injected faults) beside kpool_hrtimer, whose callback allocates and frees
# in hardirq context (a hard hrtimer: not threaded on RT), then the fuzzer
# (FUZZ_ITERATIONS, default 30000, at most FUZZ_SECONDS, default 30),
# then (if the boot's last plan) a kmemleak scan.
. /plans/common.sh
. /plans/lib-debug.sh

cpus=$(nproc --all)
kmemleak_begin
load_modules kpool kpool_set kpool_dev kpool_example
step conformance kpool_conform
step "insmod kpool_hrtimer" insmod /kpool/kpool_hrtimer.ko
step stress kpool_stress --threads "$cpus" --seconds "${STRESS_SECONDS:-20}" --pools 3 \
	--fault-ppm 20000
step "rmmod kpool_hrtimer" hrtimer_done
step fuzz kpool_fuzz --seed "${FUZZ_SEED:-1}" --iterations "${FUZZ_ITERATIONS:-30000}" \
	--seconds "${FUZZ_SECONDS:-30}"
step "only the example pool left" only_pool example
step "example pool balances" balanced example
unload_modules kpool_example kpool_dev kpool_set kpool
kmemleak_end kmemleak
finish
