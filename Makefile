# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of kpool. Kbuild lists the objects; this file only
# drives kbuild and the project's scripts.
#
#   make [KDIR=<kernel build dir>]   build the modules (default: running kernel)
#   make install                     modules_install into the running kernel
#   make userspace                   static user-space tools (userspace/)
#   make example                     the example consumer module (samples/)
#   make check                       the whole test matrix in QEMU guests
#   make check STAGES="PATTERN..."   only the stages named (STAGES=list lists them)
#   make check-quick                 the development loop: builds, checkpatch,
#                                    the 6.1 guest, the debug guest's KUnit suites
#   make demo                        a scripted kpoolctl session in a 6.1 guest
#   make vm                          an interactive shell in the test guest
#   make bench                       the benchmark in QEMU guests (bench/REPORT.md)
#   make soak [DURATION=s] [KERNEL=debug|kcsan]
#                                    the soak on a debug kernel (600 s, KASAN)
#   make clean

KDIR ?= /lib/modules/$(shell uname -r)/build
KERNEL ?= 6.1
DURATION ?= 600

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

userspace:
	$(MAKE) -C userspace

example: modules
	$(MAKE) -C samples/kpool_example KDIR=$(KDIR) KPOOL_DIR=$(CURDIR)

check:
	STAGES="$(STAGES)" scripts/check.sh

check-quick:
	STAGES=quick scripts/check.sh

demo:
	scripts/demo.sh

vm:
	scripts/vm-shell.sh $(KERNEL)

bench:
	scripts/bench.sh $(BENCH_ARGS)

# KERNEL defaults to debug here, not to the file's 6.1
soak:
	scripts/soak.sh $(DURATION) $(if $(filter file,$(origin KERNEL)),debug,$(KERNEL))

clean: clean-modules
	$(MAKE) -C samples/kpool_example KDIR=$(KDIR) clean
	$(MAKE) -C userspace clean
	$(MAKE) -C bench KDIR=$(KDIR) clean
	rm -rf .out

clean-modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

.PHONY: all modules install userspace example check check-quick demo vm bench soak clean clean-modules
