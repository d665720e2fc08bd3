// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_test - code shared by the KTAP test tools (see kpool_test.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <unistd.h>

#include "kpool_test.h"

int kt_parse_args(int argc, char **argv, bool with_list,
		  void (*help)(FILE *f), struct kt_args *a)
{
	/* without @with_list, from the second entry on */
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "device", required_argument, NULL, 'd' },
		{ "filter", required_argument, NULL, 'f' },
		{ "uid", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int opt;

	while ((opt = getopt_long(argc, argv, with_list ? "d:lf:u:h" : "d:f:u:h",
				  with_list ? longopts : longopts + 1, NULL)) != -1) {
		switch (opt) {
		case 'd':
			a->device = optarg;
			break;
		case 'l':
			a->list = true;
			break;
		case 'f':
			a->filter = optarg;
			break;
		case 'u':
			if (kp_parse_u32(optarg, UINT32_MAX - 1, &a->uid)) {
				help(stderr);
				return 2;
			}
			a->drop = true;
			break;
		case 'h':
			help(stdout);
			return 0;
		default:
			help(stderr);
			return 2;
		}
	}
	return -1;
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
