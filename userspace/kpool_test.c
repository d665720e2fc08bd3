// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_test - code shared by the KTAP test tools (see kpool_test.h).
 */
#define _GNU_SOURCE
#include <getopt.h>

#include "kpool_test.h"

int kt_parse_args(int argc, char **argv, bool with_list,
		  void (*help)(FILE *f), struct kt_args *a)
{
	/* without @with_list, from the second entry on */
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "device", required_argument, NULL, 'd' },
		{ "filter", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int opt;

	while ((opt = getopt_long(argc, argv, with_list ? "d:lf:h" : "d:f:h",
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

int kt_open(const char *device)
{
	int fd = kp_open(device);

	if (fd < 0)
		ktap_diag("cannot open %s: %s",
			  device ? device : KP_DEFAULT_DEVICE, kp_strerror(fd));
	return fd;
}
