#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack Debian's linux-source-6.12 into the cache (once per package
# version). Prints the tree's path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

version=$(package_version "$KPOOL_SOURCE_PKG")
[ -n "$version" ] || die "$KPOOL_SOURCE_PKG is not installed (run scripts/deps.sh)"
stamp=$KPOOL_SOURCE_TREE/.kpool-version

if [ "$(cat "$stamp" 2>/dev/null)" != "$version" ]; then
	tarball=$(ls /usr/src/"$KPOOL_SOURCE_PKG".tar.* 2>/dev/null | head -n 1)
	[ -n "$tarball" ] || die "no /usr/src/$KPOOL_SOURCE_PKG.tar.*"
	log "unpacking $tarball ($version)"
	rm -rf "$KPOOL_SOURCE_TREE" "$KPOOL_SOURCE_TREE.tmp"
	mkdir -p "$KPOOL_SOURCE_TREE.tmp"
	tar -xf "$tarball" -C "$KPOOL_SOURCE_TREE.tmp" --strip-components=1
	echo "$version" >"$KPOOL_SOURCE_TREE.tmp/.kpool-version"
	mv "$KPOOL_SOURCE_TREE.tmp" "$KPOOL_SOURCE_TREE"
fi
echo "$KPOOL_SOURCE_TREE"
