#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# newest.sh: print the newest kernel series Debian unstable ships (e.g.
# 7.2), the one scripts/kernels.sh fetches as the stock kernels "SERIES"
# and "SERIES-rt" and the debug kernels are built from.
#
# Unstable keeps only its newest kernel, so nothing is pinned: the
# metapackages are resolved anew, from package lists refreshed at most
# once every KPOOL_SID_MAX_AGE seconds (default 3600), under a lock, in a
# private apt state under $KPOOL_CACHE/apt-sid (sources, lists and cache of
# its own; the machine's package sources are never changed). The archive
# is the one the machine's bookworm packages come from. Without the
# network the lists already there serve, with a warning.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

max_age=${KPOOL_SID_MAX_AGE:-3600}

refresh() {
	local mirror stamp=$KPOOL_SID/lists/.kpool-updated
	[ -f "$stamp" ] && [ $(($(date +%s) - $(stat -c %Y "$stamp"))) -lt "$max_age" ] &&
		return 0
	mirror=$(apt-cache policy 2>/dev/null |
		awk '$3 == "bookworm/main" && $4 == "amd64" { print $2; exit }')
	mkdir -p "$KPOOL_SID/lists/partial" "$KPOOL_SID/cache/archives/partial"
	for type in deb deb-src; do
		echo "$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror:-http://deb.debian.org/debian} sid main"
	done >"$KPOOL_SID/sources.list"
	if sid_apt apt-get update >"$KPOOL_SID/update.log" 2>&1; then
		touch "$stamp"
	elif [ -f "$stamp" ]; then
		log "warning: cannot refresh unstable's package lists; using those of $(date -r "$stamp")"
	else
		cat "$KPOOL_SID/update.log" >&2
		die "cannot fetch Debian unstable's package lists (for the newest kernel)"
	fi
}

mkdir -p "$KPOOL_SID"
(
	flock 9
	refresh
) 9>"$KPOOL_SID.lock"
read -r abi _ < <(sid_newest "")
series "$abi"
