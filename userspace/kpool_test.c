// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_test - code shared by the KTAP test tools (see kpool_test.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <unistd.h>

#include "kpool_test.h"

int kt_parse_args(int argc, char **argv, bool with_list,
		  void (*help)(FILE *f), struct kt_args *a)
{
	/* without @with_list, from the second entry on */
	const struct kp_option opts[] = {
		{ "list", 'l', .given = &a->list },
		{ "device", 'd', .str = &a->device },
		{ "filter", 'f', .str = &a->filter },
		{ "uid", 'u', .u32 = &a->uid, .max = UINT32_MAX - 1,
		  .given = &a->drop },
	};

	return kp_parse_options(NULL, argc, argv, opts + !with_list,
				ARRAY_SIZE(opts) - !with_list, help);
}

int kt_drop_privileges(const struct kt_args *a)
{
	if (!a->drop)
		return 0;
	if (setgroups(0, NULL) || setgid(a->uid) || setuid(a->uid)) {
		ktap_diag("cannot become uid %u: %s", a->uid, kp_strerror(-errno));
		return -errno;
	}
	return 0;
}

int kt_open(const char *device)
{
	int fd = kp_open(device);

	if (fd < 0)
		ktap_diag("cannot open %s: %s",
			  device ? device : KP_DEFAULT_DEVICE, kp_strerror(fd));
	return fd;
}
