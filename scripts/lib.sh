# SPDX-License-Identifier: GPL-2.0
# Shared settings for the kpool scripts; sourced, never run.

# shellcheck disable=SC2034
KPOOL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KPOOL_CACHE=${KPOOL_CACHE:-$HOME/.cache/kpool}
KPOOL_OUT=${KPOOL_OUT:-$KPOOL_ROOT/.out}
JOBS=${JOBS:-$(nproc)}

# Debian metapackages that name the target kernels; versions are resolved
# through them, never hard-coded.
declare -A KPOOL_IMAGE_PKG=(
	[6.1]=linux-image-amd64
	[6.12]=linux-image-6.12-amd64
	[6.12-rt]=linux-image-6.12-rt-amd64
)
declare -A KPOOL_HEADERS_PKG=(
	[6.1]=linux-headers-amd64
	[6.12]=linux-headers-6.12-amd64
	[6.12-rt]=linux-headers-6.12-rt-amd64
)
KPOOL_STOCK_KERNELS=(6.1 6.12 6.12-rt)
KPOOL_SOURCE_PKG=linux-source-6.12

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

log() {
	echo "==> $*" >&2
}

# The package a metapackage depends on, e.g. linux-image-6.1.0-28-amd64.
resolve_metapackage() {
	apt-cache depends "$1" 2>/dev/null |
		awk '/Depends: linux-(image|headers)-[0-9]/ { print $2; exit }'
}

# The version of an installed (or else candidate) Debian package.
package_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null ||
		apt-cache policy "$1" | awk '/Candidate:/ { print $2 }'
}

# The unpacked linux-source tree (for checkpatch and the debug kernel);
# its .kpool-version file names the package version it was unpacked from.
KPOOL_SOURCE_TREE=$KPOOL_CACHE/src/$KPOOL_SOURCE_PKG
