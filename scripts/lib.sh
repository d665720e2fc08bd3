# SPDX-License-Identifier: GPL-2.0
# Shared settings for the kpool scripts; sourced, never run.

# shellcheck disable=SC2034
KPOOL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KPOOL_CACHE=${KPOOL_CACHE:-$HOME/.cache/kpool}
KPOOL_OUT=${KPOOL_OUT:-$KPOOL_ROOT/.out}
JOBS=${JOBS:-$(nproc)}

# Debian 12's kernels: metapackages that name them (installed by deps.sh);
# versions are resolved through them, never hard-coded.
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
KPOOL_BOOKWORM_KERNELS=(6.1 6.12 6.12-rt)

# The newest kernel is Debian unstable's, resolved at run time through its
# metapackages (linux-image-amd64 and linux-image-rt-amd64: flavours "" and
# "-rt") and fetched with a private apt state of its own under the cache: the
# machine's own package sources are never touched. Its series (e.g. 7.2)
# names the stock kernels "7.2" and "7.2-rt"; the debug kernels are built
# from that series' linux-source.
KPOOL_SID=$KPOOL_CACHE/apt-sid

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

# cache_entry DIR COMMAND...: make the cache entry DIR once, however many
# jobs ask for it at the same time. The first one takes DIR.lock, empties
# DIR and runs COMMAND... DIR; DIR/.kpool-done marks it whole only once
# COMMAND succeeded. Every other caller waits for the lock and then finds
# it whole; a half-made DIR (a killed job) is made again from scratch.
cache_entry() {
	local dir=$1
	shift
	[ -f "$dir/.kpool-done" ] && return 0
	mkdir -p "$(dirname "$dir")"
	(
		flock 9
		[ -f "$dir/.kpool-done" ] && exit 0
		rm -rf "$dir"
		mkdir -p "$dir"
		"$@" "$dir" && touch "$dir/.kpool-done"
	) 9>"$dir.lock"
}

# sid_apt apt-get|apt-cache ARGS...: apt on Debian unstable's part of the
# archive the machine uses, with a sources list, state and cache of its own.
sid_apt() {
	local tool=$1
	shift
	"$tool" -q -o Dir::Etc::SourceList="$KPOOL_SID/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$KPOOL_SID/lists" \
		-o Dir::Cache="$KPOOL_SID/cache" -o Dir::State::status=/dev/null \
		-o APT::Sandbox::User=root "$@"
}

# sid_download DIR PACKAGE=VERSION...: the .debs into DIR.
sid_download() {
	local dir=$1
	shift
	(cd "$dir" && sid_apt apt-get download "$@" >/dev/null)
}

# sid_newest FLAVOUR: "ABI VERSION" of the kernel that unstable's
# metapackage for FLAVOUR ("" or -rt) names now, e.g.
# "7.2.13+deb14-amd64 7.2.13-1". The lists come from scripts/newest.sh.
sid_newest() {
	local image abi meta=linux-image$1-amd64
	image=$(sid_apt apt-cache depends "$meta" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$image" ] || die "cannot resolve unstable's $meta (scripts/newest.sh refreshes the lists)"
	abi=${image#linux-image-}
	echo "$abi $(sid_apt apt-cache policy "$image" | awk '/Candidate:/ { print $2 }')"
}

# series ABI: 7.2 for 7.2.13+deb14-amd64.
series() {
	echo "$1" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'
}
