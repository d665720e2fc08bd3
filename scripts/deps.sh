#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages kpool's build and test matrix needs, if any
# is missing (gcc-multilib: the user-space tools are also built -m32, for
# the compat ioctl path; dkms: README's DKMS commands are checked in a
# throwaway tree). Idempotent: does nothing (and needs no root) when all
# are there. The newest kernel and its source come from Debian unstable
# and are never installed: scripts/kernels.sh and scripts/source.sh fetch
# them into the cache.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

packages=(
	build-essential gcc-multilib bc bison flex libelf-dev libssl-dev dwarves kmod cpio
	xz-utils zstd rsync python3 dpkg-dev
	qemu-system-x86 busybox-static gnuplot-nox dkms
)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
# The headers a metapackage names now must be there too (the archive moves
# to new ABIs; scripts/kernels.sh fetches the images that match them).
# Installing the metapackage brings them.
for k in "${KPOOL_BOOKWORM_KERNELS[@]}"; do
	meta=${KPOOL_HEADERS_PKG[$k]}
	installed "$meta" && installed "$(resolve_metapackage "$meta")" || missing+=("$meta")
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
