// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_ubench - workload w5 of kpool's benchmark: the cost per block of
 * allocating and freeing blocks from user space through /dev/kpool, one
 * block per ioctl ("single": an ALLOC and a FREE per block) and
 * KPOOL_UBENCH_BATCH blocks per ioctl ("batch64"), and a bare ioctl round
 * trip for comparison ("version": KPOOL_IOC_VERSION, one per "block").
 * Loops are timed at their boundaries only, after a warm-up, but for the
 * split of the single path: one more loop of it times each ioctl on its
 * own, to say what an ALLOC ("alloc1") and a FREE ("free1") cost; a
 * measurement is the fastest of REPEAT runs; the modes take turns within
 * each round.
 *
 * usage: kpool_ubench [-r ROUNDS] [-R REPEAT] [-n BLOCKS] [-w WARMUP] SIZE...
 *
 * Prints one line per measurement:
 *   kpool_bench,csv,w5,SIZE,MODE,ROUND,BLOCKS,NS,CYCLES
 * (MODE single, batch64, version, alloc1 or free1; BLOCKS counts ioctls
 * for version, alloc1 and free1)
 * CYCLES is the time-stamp counter (x86-64; 0 elsewhere), which counts
 * instructions in a QEMU guest started with -icount shift=0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <linux/kpool.h>

#define KPOOL_UBENCH_BATCH	64

enum ubench_mode { MODE_SINGLE, MODE_BATCH, MODE_VERSION, NR_MODES };

static const char *const mode_names[NR_MODES] = {
	"single", "batch64", "version",
};

static const __u32 mode_batch[NR_MODES] = { 1, KPOOL_UBENCH_BATCH, 1 };

struct ubench {
	int fd;
	__u32 pool;
	unsigned int rounds;
	unsigned int repeat;
	__u64 blocks;
	__u64 warmup;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __u64 cycles(void)
{
#if defined(__x86_64__)
	__u32 lo, hi;

	asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	return (__u64)hi << 32 | lo;
#else
	return 0;
#endif
}

static int alloc_blocks(const struct ubench *ub, __u32 n, __u32 *h)
{
	struct kpool_ioc_alloc a = {
		.size = sizeof(a),
		.pool_id = ub->pool,
		.count = n,
		.handles = (__u64)(unsigned long)h,
	};

	return ioctl(ub->fd, KPOOL_IOC_ALLOC, &a);
}

static int free_blocks(const struct ubench *ub, __u32 n, __u32 *h)
{
	struct kpool_ioc_free f = {
		.size = sizeof(f),
		.pool_id = ub->pool,
		.count = n,
		.handles = (__u64)(unsigned long)h,
	};

	if (ioctl(ub->fd, KPOOL_IOC_FREE, &f))
		return -1;
	return f.freed == n ? 0 : -1;
}

/* @n bare round trips: VERSION, the cheapest command. */
static int version_loop(const struct ubench *ub, __u64 n)
{
	struct kpool_ioc_version v = { .size = sizeof(v) };

	while (n--)
		if (ioctl(ub->fd, KPOOL_IOC_VERSION, &v))
			return -1;
	return 0;
}

/* Allocate and free @blocks blocks the way @mode says. */
static int run_loop(const struct ubench *ub, __u64 blocks,
		    enum ubench_mode mode)
{
	__u32 batch = mode_batch[mode];
	__u32 h[KPOOL_UBENCH_BATCH];
	__u64 done;

	if (mode == MODE_VERSION)
		return version_loop(ub, blocks);
	for (done = 0; done < blocks; done += batch)
		if (alloc_blocks(ub, batch, h) || free_blocks(ub, batch, h))
			return -1;
	return 0;
}

/*
 * The single path once more, each ALLOC and each FREE timed on its own:
 * @cyc and @ns get their sums ([0] ALLOC, [1] FREE).
 */
static int split_loop(const struct ubench *ub, __u64 blocks, __u64 *cyc,
		      __u64 *ns)
{
	__u64 c0, c1, c2, t0, t1, t2;
	__u32 h;

	memset(cyc, 0, 2 * sizeof(*cyc));
	memset(ns, 0, 2 * sizeof(*ns));
	while (blocks--) {
		t0 = now_ns();
		c0 = cycles();
		if (alloc_blocks(ub, 1, &h))
			return -1;
		c1 = cycles();
		t1 = now_ns();
		if (free_blocks(ub, 1, &h))
			return -1;
		c2 = cycles();
		t2 = now_ns();
		cyc[0] += c1 - c0;
		cyc[1] += c2 - c1;
		ns[0] += t1 - t0;
		ns[1] += t2 - t1;
	}
	return 0;
}

static void print_line(__u64 size, const char *mode, unsigned int round,
		       __u64 blocks, __u64 ns, __u64 cyc)
{
	printf("kpool_bench,csv,w5,%llu,%s,%u,%llu,%llu,%llu\n",
	       (unsigned long long)size, mode, round,
	       (unsigned long long)blocks, (unsigned long long)ns,
	       (unsigned long long)cyc);
}

/* The split of the single path: the fastest of REPEAT runs. */
static int measure_split(const struct ubench *ub, __u64 size,
			 unsigned int round)
{
	__u64 cyc[2], ns[2], best_cyc[2] = { 0 }, best_ns[2] = { 0 };
	unsigned int run, i;

	for (run = 0; run < ub->repeat; run++) {
		if (split_loop(ub, ub->blocks, cyc, ns))
			return -1;
		for (i = 0; i < 2; i++) {
			if (!run || cyc[i] < best_cyc[i])
				best_cyc[i] = cyc[i];
			if (!run || ns[i] < best_ns[i])
				best_ns[i] = ns[i];
		}
	}
	print_line(size, "alloc1", round, ub->blocks, best_ns[0], best_cyc[0]);
	print_line(size, "free1", round, ub->blocks, best_ns[1], best_cyc[1]);
	return 0;
}

/* One timed run of @blocks blocks. */
static int timed_run(const struct ubench *ub, __u64 blocks,
		     enum ubench_mode mode, __u64 *ns, __u64 *cyc)
{
	__u64 t0, t1, c0, c1;

	t0 = now_ns();
	c0 = cycles();
	if (run_loop(ub, blocks, mode))
		return -1;
	c1 = cycles();
	t1 = now_ns();
	*ns = t1 - t0;
	*cyc = c1 - c0;
	return 0;
}

static int measure(const struct ubench *ub, __u64 size, enum ubench_mode mode,
		   unsigned int round)
{
	__u32 batch = mode_batch[mode];
	__u64 blocks = ub->blocks / batch * batch;
	__u64 ns, cyc, best_ns = 0, best_cyc = 0;
	unsigned int run;

	if (run_loop(ub, ub->warmup / batch * batch, mode))
		return -1;
	for (run = 0; run < ub->repeat; run++) {
		if (timed_run(ub, blocks, mode, &ns, &cyc))
			return -1;
		if (!run || ns < best_ns) {
			best_ns = ns;
			best_cyc = cyc;
		}
	}
	print_line(size, mode_names[mode], round, blocks, best_ns, best_cyc);
	return 0;
}

static int create_pool(struct ubench *ub, __u64 size)
{
	struct kpool_ioc_create c = {
		.size = sizeof(c),
		.block_size = size,
		.order = KPOOL_IOC_ORDER_AUTO,
	};

	snprintf(c.name, sizeof(c.name), "ubench-%llu",
		 (unsigned long long)size);
	if (ioctl(ub->fd, KPOOL_IOC_CREATE, &c))
		return -1;
	ub->pool = c.pool_id;
	return 0;
}

static int destroy_pool(const struct ubench *ub)
{
	struct kpool_ioc_pool p = { .size = sizeof(p), .pool_id = ub->pool };

	return ioctl(ub->fd, KPOOL_IOC_DESTROY, &p);
}

static int bench_size(struct ubench *ub, __u64 size)
{
	unsigned int round, j;
	int ret = 0;

	if (create_pool(ub, size)) {
		perror("kpool_ubench: CREATE");
		return -1;
	}
	for (round = 0; round < ub->rounds && !ret; round++) {
		for (j = 0; j < NR_MODES && !ret; j++)
			ret = measure(ub, size, (j + round) % NR_MODES, round);
		if (!ret)
			ret = measure_split(ub, size, round);
	}
	if (ret)
		perror("kpool_ubench: ALLOC/FREE/VERSION");
	if (destroy_pool(ub)) {
		perror("kpool_ubench: DESTROY");
		ret = -1;
	}
	return ret;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: kpool_ubench [-r ROUNDS] [-R REPEAT] [-n BLOCKS] [-w WARMUP] SIZE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct ubench ub = {
		.rounds = 7, .repeat = 3, .blocks = 20000, .warmup = 2048,
	};
	int opt, i, ret = 0;

	while ((opt = getopt(argc, argv, "r:R:n:w:")) != -1) {
		switch (opt) {
		case 'r':
			ub.rounds = strtoul(optarg, NULL, 0);
			break;
		case 'R':
			ub.repeat = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			ub.blocks = strtoull(optarg, NULL, 0);
			break;
		case 'w':
			ub.warmup = strtoull(optarg, NULL, 0);
			break;
		default:
			print_usage();
		}
	}
	if (optind == argc || !ub.rounds || !ub.repeat ||
	    ub.blocks < KPOOL_UBENCH_BATCH)
		print_usage();
	ub.fd = open("/dev/kpool", O_RDWR | O_CLOEXEC);
	if (ub.fd < 0) {
		perror("kpool_ubench: /dev/kpool");
		return 1;
	}
	for (i = optind; i < argc && !ret; i++)
		ret = bench_size(&ub, strtoull(argv[i], NULL, 0));
	close(ub.fd);
	return ret ? 1 : 0;
}
