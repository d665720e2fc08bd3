# SPDX-License-Identifier: GPL-2.0
# Debug kernel, negative controls: kpool_negative.ko (built only with
# KPOOL_NEGATIVE=y) does one deliberate bug per insmod, and the kernel's
# detectors must report each. The plan marks each control's stretch of the
# kernel log ("kpool-negative: begin NAME" ... "end NAME"); the host checks
# the console for each control's report (negative.expect, splat.sh
# --expect). Lockdep goes first: any KASAN report taints the kernel and
# turns lock debugging off. The guest boots with kasan_multi_shot (every
# KASAN report, not only the first), kmemleak.verbose=1 (leaks printed to
# the console at the scan) and without panic_on_warn.
. /plans/common.sh

mark() {
	echo "kpool-negative: $*" >/dev/kmsg
}

# control NAME: load the module for one control, let it run, unload it.
control() {
	mark "begin $1"
	insmod /kpool/kpool_negative.ko control="$1" &&
		if [ "$1" = leak ]; then kmemleak_scan >/dev/null; fi
	rmmod kpool_negative
	local rc=$?
	mark "end $1"
	return $rc
}

echo clear >"$kmemleak"
load_modules kpool
for c in irqlock leak uaf overflow; do
	step "control $c ran" control $c
done
unload_modules kpool
finish
