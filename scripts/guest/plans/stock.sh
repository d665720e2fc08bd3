# SPDX-License-Identifier: GPL-2.0
# Stock Debian kernel: load kpool, its device and the example consumer,
# run the user-space suites, unload everything.
. /plans/common.sh

load_modules kpool kpool_dev kpool_example
userspace_suites
unload_modules kpool_example kpool_dev kpool
finish
