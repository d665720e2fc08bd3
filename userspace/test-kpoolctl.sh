#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# test-kpoolctl.sh [KPOOLCTL] - kpoolctl's command line where no kpool
# device is needed or present: help texts, usage errors (exit 2) and a
# missing or wrong device (exit 3). KTAP output; exit 0 iff all passed.
# Run by `make test`; never touches /dev/kpool when a missing path is given.

ctl=${1:-./kpoolctl}
nodev=/nonexistent/kpool
n=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# case NAME STATUS PATTERN -- ARGS...: kpoolctl ARGS must exit with STATUS
# and print (stdout and stderr) something matching the extended regex.
case_() {
	name=$1 want=$2 pattern=$3
	shift 4
	n=$((n + 1))
	"$ctl" "$@" >"$out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ] && grep -Eq -- "$pattern" "$out"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "# kpoolctl $*: exit $got (want $want), output:"
		sed 's/^/#   /' "$out"
		failed=$((failed + 1))
	fi
}

echo "KTAP version 1"
echo "1..49"
case_ "--help lists the verbs and exit codes" 0 "Exit status" -- --help
case_ "help VERB" 0 "Usage: kpoolctl .* create NAME" -- help create
case_ "no verb: usage on stderr" 2 "Usage: kpoolctl" --
case_ "unknown verb" 2 "unknown verb 'frobnicate'" -- frobnicate
case_ "unknown global option" 2 "unknown option '--frob'" -- --frob list
case_ "--version" 0 "kpoolctl [0-9.]+ \\(kpool ABI 1\\)" -- --version
for verb in list stats info version create destroy alloc free write read \
	shrink fault watch run; do
	case_ "$verb --help" 0 "Usage: kpoolctl \\[--json\\] \\[--device PATH\\] $verb" -- \
		--device "$nodev" "$verb" --help
done
case_ "missing device: exit 3 with a hint" 3 "cannot open $nodev: No such file.*modprobe kpool_dev" -- \
	--device "$nodev" list
case_ "not a kpool device: exit 3" 3 "not a kpool device" -- --device /dev/null list
case_ "usage errors come before the device" 2 "create: --size is required" -- \
	--device "$nodev" create foo
case_ "bad number" 2 "bad size '12Q'" -- --device "$nodev" create foo --size 12Q
case_ "name too long" 2 "too long" -- --device "$nodev" create \
	aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --size 64
case_ "missing option argument" 2 "option '--size' needs an argument" -- \
	--device "$nodev" create foo --size
case_ "fault needs a setting" 2 "give --every N, --probability PPM or --off" -- \
	--device "$nodev" fault 1
case_ "probability out of range" 2 "bad --probability '1000001'" -- \
	--device "$nodev" fault 1 --probability 1000001
case_ "set --help lists the subcommands" 0 "info SET +statistics" -- set --help
for sub in create destroy alloc free write read info list; do
	case_ "set $sub --help" 0 "Usage: kpoolctl \\[--json\\] \\[--device PATH\\] set $sub" -- \
		--device "$nodev" set "$sub" --help
done
case_ "set: missing subcommand" 2 "missing subcommand" -- set
case_ "set: unknown subcommand" 2 "unknown subcommand 'frob'" -- set frob
case_ "set create needs --max-size" 2 "set create: --max-size is required" -- \
	--device "$nodev" set create s
case_ "set create: name too long" 2 "too long \\(at most 23 bytes\\)" -- \
	--device "$nodev" set create aaaaaaaaaaaaaaaaaaaaaaaa --max-size 64
case_ "set create: bad spacing" 2 "bad spacing 'x'" -- \
	--device "$nodev" set create s --max-size 64 --spacing x
case_ "set alloc: bad size" 2 "bad size '1Q'" -- --device "$nodev" set alloc 1 1Q
case_ "set alloc: count 0" 2 "count must be at least 1" -- \
	--device "$nodev" set alloc 1 64 0
case_ "set info: missing device" 3 "cannot open $nodev" -- --device "$nodev" set info 1
case_ "--help: HANDLE is a number as alloc printed it, or @N" 0 \
	"HANDLE is a handle as alloc printed" -- --help
case_ "free --help: @N is the Nth block the session allocated" 0 \
	"\\(the Nth block the session allocated" -- --device "$nodev" free --help
case_ "@N outside a session: usage error before the device" 2 \
	"'@1': @references work only in a session" -- --device "$nodev" write 1 @1 0 x
case_ "read: a bad handle before the device" 2 "bad handle '0x1G0'" -- \
	--device "$nodev" read 1 0x1G0 0 4
[ "$failed" -eq 0 ]
