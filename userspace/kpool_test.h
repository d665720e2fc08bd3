/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpool_test - what the KTAP tools that issue every /dev/kpool command
 * (kpool_conform, kpool_failnth) share: a buffer for any command's
 * argument, their common command line and opening the device.
 */
#ifndef KPOOL_TEST_H
#define KPOOL_TEST_H

#include <stdbool.h>
#include <stdio.h>

#include "kpool_lib.h"

/* The ABI's largest argument struct size. */
#define KT_MAX_ARG_SIZE		4096u

/*
 * The argument of any command, built in place by a tool's per-command
 * preparation; @raw leaves room for a struct and a tail past the ABI's
 * largest size.
 */
union kt_arg {
	struct kpool_ioc_version version;
	struct kpool_ioc_create create;
	struct kpool_ioc_pool pool;
	struct kpool_ioc_alloc alloc;
	struct kpool_ioc_free free;
	struct kpool_ioc_rw rw;
	struct kpool_ioc_stats stats;
	struct kpool_ioc_list list;
	struct kpool_ioc_info info;
	struct kpool_ioc_fault fault;
	struct kpool_ioc_set_create set_create;
	struct kpool_ioc_set set;
	struct kpool_ioc_set_alloc set_alloc;
	struct kpool_ioc_set_info set_info;
	unsigned char raw[2 * KT_MAX_ARG_SIZE];
};

/* The command line the tools share. */
struct kt_args {
	const char *device;	/* --device PATH; NULL: KP_DEFAULT_DEVICE */
	const char *filter;	/* --filter TEXT; NULL: none */
	bool list;		/* --list, for the tools that take it */
	bool drop;		/* --uid given */
	unsigned int uid;	/* --uid UID: run as this user and group */
};

/*
 * Parse --device, --filter, --uid, --help and, with @with_list, --list
 * into @a;
 * @help prints the tool's usage. Returns -1 to go on, or the exit status:
 * 0 after --help, 2 for a bad option.
 */
int kt_parse_args(int argc, char **argv, bool with_list,
		  void (*help)(FILE *f), struct kt_args *a);

/*
 * --uid: become user and group @a->uid with no supplementary groups and
 * no capabilities left. 0, or -errno (with a diagnostic).
 */
int kt_drop_privileges(const struct kt_args *a);

/* kp_open(@device), or a KTAP diagnostic and -errno. */
int kt_open(const char *device);

#endif /* KPOOL_TEST_H */
