#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh OUTPUT MODULE_DIR TOOLS_DIR [PLAN...]
#
# Pack the guest's initramfs: busybox-static, the guest /init, the test
# plans (scripts/guest/plans, and each generated PLAN file), every *.ko
# under MODULE_DIR (into /kpool) and every executable in TOOLS_DIR (into
# /bin).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 3 ] || die "usage: initramfs.sh OUTPUT MODULE_DIR TOOLS_DIR [PLAN...]"
output=$1 modules=$2 tools=$3
shift 3
busybox=/bin/busybox
dpkg-query -W busybox-static >/dev/null 2>&1 || die "busybox-static is not installed"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,kpool,plans}
cp "$busybox" "$root/bin/busybox"
cp "$KPOOL_ROOT/scripts/guest/init" "$root/init"
cp "$KPOOL_ROOT"/scripts/guest/plans/*.sh "$@" "$root/plans/"
find "$modules" -name '*.ko' -exec cp {} "$root/kpool/" \;
find "$tools" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/bin/" \;
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$output"
