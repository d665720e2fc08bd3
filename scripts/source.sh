#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# source.sh [SERIES]: unpack Debian unstable's linux-source-SERIES (default:
# the newest series, scripts/newest.sh) into the cache, once per package
# version, and print the tree's path. The tree is for checkpatch, the
# debug kernels and the prepared build trees of the newest stock kernels;
# builds use it read-only (O=).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

series=${1:-$("$KPOOL_ROOT/scripts/newest.sh")}
pkg=linux-source-$series
version=$(sid_apt apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
[ -n "$version" ] && [ "$version" != "(none)" ] || die "Debian unstable has no $pkg"
tree=$KPOOL_CACHE/src/$pkg-$version

unpack() {
	local dir=$1
	log "fetching and unpacking $pkg $version"
	sid_download "$dir" "$pkg=$version"
	dpkg-deb --fsys-tarfile "$dir"/"$pkg"_*.deb |
		tar -xO --wildcards "./usr/src/$pkg.tar.*" |
		tar -xJ -C "$dir" --strip-components=1
	rm "$dir"/"$pkg"_*.deb
	echo "$version" >"$dir/.kpool-version"
}

cache_entry "$tree" unpack || die "cannot unpack $pkg $version"
echo "$tree"
