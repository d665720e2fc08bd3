#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# soak.sh [SECONDS] [KERNEL]     (make soak DURATION=SECONDS KERNEL=...)
#
# The soak (scripts/guest/plans/soak.sh) for SECONDS of load (default 600)
# on a debug kernel: "debug" (KASAN, the default) or "kcsan" (KCSAN
# instead of KASAN). Builds kpool's modules (testmods/ included) and the
# tools, boots the guest, and prints the totals: operations, ioctls fuzzed,
# faults injected, fault sites reached and kernel reports (there must be
# none; KCSAN's data races are listed with the functions they name).
# SEED=N in the environment repeats a run's random choices. Exit status 0
# only if the guest passed with no report. Logs: .out/soak-KERNEL/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

seconds=${1:-600} kernel=${2:-debug}
# the tools' seed: SEED from the environment, else a new one each run
seed=${SEED:-$RANDOM}
case $kernel in debug | kcsan) ;; *) die "KERNEL must be debug or kcsan, not '$kernel'" ;; esac
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || die "DURATION must be seconds, not '$seconds'"
out=$KPOOL_OUT/soak-$kernel
guest=$out/guest

# The first line of each kernel report (splat.sh decides pass or fail),
# allocation failure warnings included (their stack dumps are splats).
reports='BUG:|kernel BUG at|WARNING:|Oops|UBSAN:|ODEBUG:|list_add corruption|list_del corruption|Kernel panic|unreferenced object|blocked for more than|detected stall|page allocation failure|vmalloc error'

# value NAME: a total the guest reported (0 if it did not).
value() {
	local v
	v=$(tr -d '\r' <"$guest/results.log" | sed -n "s/^KPOOL-SOAK $1=//p" | tail -n 1)
	echo "${v:-0}"
}

totals() {
	local nreports
	nreports=$(grep -a -c -E "$reports" "$guest/console.log" || true)
	echo
	echo "kpool soak totals ($kernel kernel, $(value seconds) s of load, seed $seed)"
	printf '  %-20s %s\n' \
		operations "$(($(value stress_ops) + $(value hrtimer_ops))) (kpool_stress $(value stress_ops), kpool_hrtimer $(value hrtimer_ops))" \
		"ioctls fuzzed" "$(value fuzz_ioctls)" \
		"faults injected" "$(value growth_faults) pool growth faults (kpool's counters), $(value kernel_faults) page/slab allocation faults (fail_page_alloc, failslab); $(value stress_enomem) ENOMEM returned to kpool_stress (fail_page_alloc, failslab and growth faults)" \
		"fault sites reached" "$(value fault_sites) (kpool_failnth sweep of every ioctl)" \
		reports "$nreports"
	if grep -a -q 'BUG: KCSAN:' "$guest/console.log"; then
		echo
		echo "KCSAN data races:"
		awk '/BUG: KCSAN:/ { on = 1 } on { print } on && /^\[[ 0-9.]*\] =+$/ { on = 0 }' \
			"$guest/console.log" | grep -a -E 'BUG: KCSAN|by task|^\[[ 0-9.]*\]  [a-z_0-9.]+\+0x' |
			sed 's/^\[[ 0-9.]*\] /  /'
	fi
}

rm -rf "$out"
mkdir -p "$out/tools"
read -r _ vmlinuz kdir _ < <("$KPOOL_ROOT/scripts/kernels.sh" "$kernel")
log "building kpool and the tools for the $kernel kernel"
"$KPOOL_ROOT/scripts/build.sh" "$kdir" "$out/build"
make -C "$KPOOL_ROOT/userspace" >"$out/userspace.log" 2>&1 &&
	make -C "$KPOOL_ROOT/userspace" install DESTDIR="$out/tools" >>"$out/userspace.log" 2>&1 ||
	die "the tools do not build (see $out/userspace.log)"
"$KPOOL_ROOT/scripts/initramfs.sh" "$out/initramfs.gz" "$out/build/src" "$out/tools"

append="kmemleak=on debug_pagealloc=on kpool.soak=$seconds kpool.seed=$seed"
# KCSAN reports every race it sees: no panic at the first
[ "$kernel" = kcsan ] || append="$append panic_on_warn=1"
log "soaking for ${seconds}s on the $kernel kernel (logs: $out)"
rc=0
"$KPOOL_ROOT/scripts/vm.sh" --mem 2048 --timeout $((seconds * 2 + 1800)) --append "$append" \
	"$vmlinuz" "$out/initramfs.gz" soak "$guest" || rc=1
totals
exit $rc
