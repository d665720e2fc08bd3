# SPDX-License-Identifier: GPL-2.0
# make demo: a narrated kpoolctl session on a freshly booted guest.
set -e

say() {
	echo
	echo "### $*"
}

say "load kpool, its /dev/kpool interface and the example consumer module"
insmod /kpool/kpool.ko
insmod /kpool/kpool_set.ko
insmod /kpool/kpool_dev.ko
insmod /kpool/kpool_example.ko
dmesg | grep -E 'kpool(_dev|_example)?: ' | sed 's/^\[[^]]*\] //'

say "kpoolctl: every pool on the system (the example module owns one)"
kpoolctl list

say "a pool of 256-byte blocks, driven from one kpoolctl session"
kpoolctl run - <<'SESSION'
create demo --size 256 --min 8 --max 1024
alloc demo 100
write demo @1 0 "hello from user space"
read demo @1 0 21
stats demo
info demo
free demo all
shrink demo
stats demo
destroy demo
SESSION

say "a pool set: requests of any size up to 4 KiB, each served by the smallest size class that fits"
kpoolctl run - <<'SESSION'
set create msgs --max-size 4096
set alloc msgs 100 4
set alloc msgs 3000 2
set write msgs @1 0 "variable size"
set read msgs @1 0 13
set list
set info msgs
set free msgs all
set destroy msgs
SESSION

say "the pool is gone with its session; the example's pool remains"
kpoolctl list

say "unload everything"
rmmod kpool_example kpool_dev kpool_set kpool
echo "done"
