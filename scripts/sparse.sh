#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sparse.sh: print the path of a sparse that the newest kernel accepts.
#
# Kbuild runs sparse (C=1) only if scripts/checker-valid.sh passes, and the
# newest kernels' check needs __typeof_unqual__, which Debian 12's sparse
# 0.6.4 lacks: kbuild then skips the check with a note ("sparse is not
# available or not up to date") and a W=1 C=1 build passes unchecked. So
# the sparse binary is built (once, in the cache) from Debian unstable's
# source package (scripts/newest.sh lists its sources); it serves every
# kernel of the matrix. Only the checker itself is built: the source's
# other tools and their dependencies are not needed. Debian's patches only
# adapt its own build (gcc-16, --as-needed), so they are left out; apt
# checked the source package against unstable's signed index, so
# dpkg-source need not look for its uploader's key.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$KPOOL_ROOT/scripts/newest.sh" >/dev/null
version=$(sid_apt apt-cache showsrc sparse | awk '/^Version:/ { print $2; exit }')
[ -n "$version" ] || die "Debian unstable has no sparse source package"
dir=$KPOOL_CACHE/sparse-$version

build_sparse() {
	local dir=$1
	log "building sparse $version from Debian unstable's source"
	(cd "$dir" && sid_apt apt-get source --download-only "sparse=$version" >/dev/null &&
		dpkg-source --no-check --skip-patches -x ./*.dsc src >/dev/null)
	make -C "$dir/src" -j"$JOBS" sparse >"$dir/build.log" 2>&1 ||
		{ tail -n 20 "$dir/build.log" >&2; return 1; }
	mkdir "$dir/bin"
	cp "$dir/src/sparse" "$dir/bin/"
	rm -rf "$dir/src" "$dir"/*.dsc "$dir"/*.tar.*
}

cache_entry "$dir" build_sparse || die "cannot build sparse $version"
echo "$dir/bin/sparse"
