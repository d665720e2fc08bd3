#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages kpool's build and test matrix needs, if any
# is missing. Idempotent: does nothing (and needs no root) when all are
# there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

packages=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio
	xz-utils zstd rsync python3 sparse
	qemu-system-x86 busybox-static gnuplot-nox
	"$KPOOL_SOURCE_PKG"
)
for k in "${KPOOL_STOCK_KERNELS[@]}"; do
	packages+=("${KPOOL_HEADERS_PKG[$k]}")
done

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	die "missing Debian packages: ${missing[*]}
run as root, or: sudo apt-get install ${missing[*]}"
fi
log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
