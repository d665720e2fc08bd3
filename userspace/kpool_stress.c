// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_stress - many threads hammering /dev/kpool at once, verifying data.
 *
 * N worker threads share one open file and P pools created through it.
 * Each worker keeps its own set of live blocks and, at random, allocates
 * (single and batched), writes a whole block with a pattern derived from
 * its pool, handle and a per-write sequence number, reads a block (or a
 * random slice of it) back and compares it with the pattern (a block never
 * written must read as zeros), frees (single and batched, checking every
 * status), and now and then reads STATS/LIST/INFO or shrinks a pool while
 * the others work. Extra threads each open their own file, create a pool,
 * use it, check that the shared pools refuse them (-EPERM) and close the
 * file, sometimes with blocks still allocated, sometimes after destroying
 * the pool, or closing the file, while a racer thread allocates, writes,
 * reads and frees in it.
 *
 * At the end every worker frees what it holds, and each pool's STATS must
 * show no block in use and exactly the allocations and frees the workers
 * counted. Prints totals and one KTAP result; exit 0 on success.
 *
 * With --fault-ppm P, faults are injected throughout: every pool fails
 * its growth with probability P per million (the FAULT ioctl) and, where
 * the kernel has the debugfs knobs of fail_page_alloc and failslab, the
 * worker threads' own allocations in the kernel (task-filter, make-it-fail)
 * fail with probability P / 10000 percent (at least 1 %). An ioctl may
 * then fail with ENOMEM where it allocates: the workers count it and keep
 * their blocks, and the final checks still hold. The knobs are restored
 * at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpool_lib.h"

#define MAX_THREADS	64
#define MAX_POOLS	16
#define MAX_BATCH_OP	32	/* largest batch a worker allocates or frees */
#define FIND_TRIES	100	/* LISTs tried while faults make them fail */
#define MAX_LIVE	512	/* blocks one worker holds at most */
#define MAX_ERRORS	8	/* failures described in detail */
#define DEFAULT_FD_CAP	(64ull << 20)
#define FAULT_DIR	"/sys/kernel/debug/"
#define FAULT_PPM_MAX	1000000	/* kpool_ioc_fault.probability_ppm */

/* Block sizes the pools cycle through (odd ones too). */
static const u32 block_sizes[] = { 64, 24, 200, 4096, 100, 1024, 8, 520 };

struct options {
	unsigned int threads;
	unsigned int seconds;
	unsigned int pools;
	unsigned int fd_threads;
	u32 fault_ppm;
	u64 seed;
	const char *device;
};

struct pool {
	u32 id;
	u32 block_size;
	char name[KPOOL_IOC_NAME_LEN];
};

/* Shared, read-only while the workers run (but for the atomics). */
struct shared {
	const struct options *opt;
	int fd;
	struct pool pools[MAX_POOLS];
	unsigned int nr_pools;
	u32 max_live;		/* per worker */
	bool kernel_faults;	/* fail_page_alloc and failslab armed */
	u64 kernel_injected;	/* the faults they injected */
	atomic_bool stop;
	atomic_uint failures;
};

struct counters {
	u64 ops;
	u64 allocs[MAX_POOLS];	/* blocks, by pool */
	u64 frees[MAX_POOLS];
	u64 enomem[MAX_POOLS];	/* allocations refused for memory */
	u64 free_enomem, reader_enomem;	/* other calls failed by injection */
	u64 alloc_calls, batch_allocs, free_calls, batch_frees;
	u64 writes, reads, verified_bytes, zero_reads;
	u64 double_frees;		/* refused as they must be */
	u64 readers, shrinks;
	u64 fd_cycles, fd_closes_with_blocks, eperm_checks;
	u64 races, race_ops;		/* DESTROY racing another thread */
	u64 close_races;		/* of them, close() instead of DESTROY */
};

struct live {
	u32 handle;
	u16 pool;
	bool written;
	u32 seq;			/* of the last write */
};

struct worker {
	struct shared *sh;
	unsigned int index;
	pthread_t thread;
	u64 rng;
	struct live *live;
	u32 nr_live;
	u32 seq;
	unsigned char *buf, *want;	/* one block each, largest size */
	int fail_fd;			/* its /proc/thread-self/make-it-fail */
	struct counters c;
};

/* ---- failures ----------------------------------------------------------- */

static __printf(2, 3) void failure(struct shared *sh, const char *fmt, ...)
{
	unsigned int n = atomic_fetch_add(&sh->failures, 1);
	char text[256];
	va_list ap;

	atomic_store(&sh->stop, true);
	if (n >= MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ktap_diag("FAIL: %s", text);
}

/* ---- patterns ----------------------------------------------------------- */

/* The content of a block of @pool after write @seq through @handle. */
static void fill_pattern(unsigned char *buf, u32 len, u32 pool,
			 u32 handle, u32 seq)
{
	u64 s = kp_rand_seed(((u64)handle << 32) ^ seq ^ ((u64)pool << 56));
	u32 i = 0;
	u64 w;

	for (; i + 8 <= len; i += 8) {
		w = kp_rand(&s);
		memcpy(buf + i, &w, 8);
	}
	w = kp_rand(&s);
	for (; i < len; i++, w >>= 8)
		buf[i] = (unsigned char)w;
}

static void report_mismatch(struct worker *w, const struct live *l,
			    u32 off, u32 len, const char *what)
{
	u32 i;

	for (i = 0; i < len && w->buf[i] == w->want[off + i]; i++)
		;
	failure(w->sh, "thread %u: pool %u handle %u: %s at %u: 0x%02x, not 0x%02x (write #%u)",
		w->index, w->sh->pools[l->pool].id, l->handle, what, off + i,
		w->buf[i], w->want[off + i], l->seq);
}

/* ---- worker operations --------------------------------------------------- */

static bool check_ret(struct worker *w, const char *op, u32 pool, int ret,
		      int want)
{
	if (ret == want)
		return true;
	failure(w->sh, "thread %u: %s on pool %u: %s, expected %s",
		w->index, op, w->sh->pools[pool].id, kp_errname(ret),
		kp_errname(want));
	return false;
}

static void op_alloc(struct worker *w, bool batch)
{
	u32 room = w->sh->max_live - w->nr_live, handles[MAX_BATCH_OP];
	u32 pool = kp_rand_below(&w->rng, w->sh->nr_pools), n = 1, i;
	int ret;

	if (!room)
		return;
	if (batch)
		n = 2 + kp_rand_below(&w->rng, MAX_BATCH_OP - 1);
	if (n > room)
		n = room;
	ret = kp_alloc(w->sh->fd, w->sh->pools[pool].id, n, handles);
	w->c.alloc_calls++;
	if (ret == -ENOMEM) {
		w->c.enomem[pool]++;
		return;
	}
	if (!check_ret(w, "ALLOC", pool, ret, 0))
		return;
	w->c.batch_allocs += n > 1;
	w->c.allocs[pool] += n;
	for (i = 0; i < n; i++)
		w->live[w->nr_live++] = (struct live){ handles[i], (u16)pool, false, 0 };
}

/* A random block this worker holds, and its pool in *@p; NULL if none. */
static struct live *pick_live(struct worker *w, struct pool **p)
{
	struct live *l;

	if (!w->nr_live)
		return NULL;
	l = &w->live[kp_rand_below(&w->rng, w->nr_live)];
	*p = &w->sh->pools[l->pool];
	return l;
}

/* What @l must hold, into w->want: its last pattern, or zeros. */
static void expect_block(struct worker *w, const struct live *l,
			 const struct pool *p)
{
	if (l->written)
		fill_pattern(w->want, p->block_size, l->pool, l->handle, l->seq);
	else
		memset(w->want, 0, p->block_size);
}

static void op_write(struct worker *w)
{
	struct pool *p;
	struct live *l = pick_live(w, &p);

	if (!l)
		return;
	l->seq = ++w->seq;
	fill_pattern(w->buf, p->block_size, l->pool, l->handle, l->seq);
	if (!check_ret(w, "WRITE", l->pool,
		       kp_write(w->sh->fd, p->id, l->handle, 0, w->buf,
				p->block_size), 0))
		return;
	l->written = true;
	w->c.writes++;
}

/* Read the whole block or a random slice and compare. */
static void op_read(struct worker *w)
{
	u32 off = 0, len;
	struct pool *p;
	struct live *l = pick_live(w, &p);

	if (!l)
		return;
	len = p->block_size;
	if (kp_rand_below(&w->rng, 2)) {
		off = kp_rand_below(&w->rng, p->block_size);
		len = 1 + kp_rand_below(&w->rng, p->block_size - off);
	}
	if (!check_ret(w, "READ", l->pool,
		       kp_read(w->sh->fd, p->id, l->handle, off, w->buf, len), 0))
		return;
	w->c.reads++;
	expect_block(w, l, p);
	w->c.zero_reads += !l->written;
	if (memcmp(w->buf, w->want + off, len))
		report_mismatch(w, l, off, len,
				l->written ? "data differs" : "fresh block not zeroed");
	w->c.verified_bytes += len;
}

/* Verify a block completely before it is freed. */
static bool verify_block(struct worker *w, const struct live *l)
{
	struct pool *p = &w->sh->pools[l->pool];

	if (!check_ret(w, "READ", l->pool,
		       kp_read(w->sh->fd, p->id, l->handle, 0, w->buf,
			       p->block_size), 0))
		return false;
	expect_block(w, l, p);
	if (memcmp(w->buf, w->want, p->block_size)) {
		report_mismatch(w, l, 0, p->block_size, "data differs before free");
		return false;
	}
	w->c.reads++;
	w->c.verified_bytes += p->block_size;
	return true;
}

/*
 * An injected fault: the call failed with ENOMEM where it allocates, which
 * only happens while faults are injected.
 */
static bool injected(const struct worker *w, int ret)
{
	return ret == -ENOMEM && w->sh->opt->fault_ppm;
}

/* Free up to @max blocks of one pool (verified first); a batch if > 1. */
static void op_free(struct worker *w, u32 max)
{
	u32 handles[MAX_BATCH_OP], pool, n = 0, i, freed = 0;
	struct live taken[MAX_BATCH_OP];
	s32 status[MAX_BATCH_OP];
	int ret;

	if (!w->nr_live)
		return;
	pool = w->live[kp_rand_below(&w->rng, w->nr_live)].pool;
	/* take blocks of that pool, swapping them out of the live table */
	for (i = 0; i < w->nr_live && n < max; ) {
		if (w->live[i].pool != pool) {
			i++;
			continue;
		}
		if (!verify_block(w, &w->live[i]))
			return;
		taken[n] = w->live[i];
		handles[n++] = w->live[i].handle;
		w->live[i] = w->live[--w->nr_live];
	}
	memset(status, 0x7f, sizeof(status));
	ret = kp_free(w->sh->fd, w->sh->pools[pool].id, n, handles, status, &freed);
	w->c.free_calls++;
	if (injected(w, ret)) {
		/* FREE allocates before it frees anything: the blocks stay */
		w->c.free_enomem++;
		for (i = 0; i < n; i++)
			w->live[w->nr_live++] = taken[i];
		return;
	}
	if (!check_ret(w, "FREE", pool, ret, 0))
		return;
	for (i = 0; i < n; i++)
		if (status[i])
			failure(w->sh, "thread %u: FREE returned 0 but status[%u] = %d",
				w->index, i, status[i]);
	if (freed != n)
		failure(w->sh, "thread %u: FREE freed %u of %u",
			w->index, freed, n);
	w->c.batch_frees += n > 1;
	w->c.frees[pool] += n;
	/* a handle once freed is unknown: freeing it again must fail */
	if (!kp_rand_below(&w->rng, 8)) {
		ret = kp_free(w->sh->fd, w->sh->pools[pool].id, 1, handles, NULL, NULL);
		if (injected(w, ret))
			w->c.free_enomem++;
		else if (check_ret(w, "second FREE", pool, ret, -ENOENT))
			w->c.double_frees++;
	}
}

/* STATS, LIST or INFO while the other threads change things. */
static void op_reader(struct worker *w)
{
	u32 pool = kp_rand_below(&w->rng, w->sh->nr_pools), n, bpc, i;
	struct kpool_ioc_pool_entry *e;
	struct kpool_ioc_stats st;
	u32 *map;
	int ret;

	w->c.readers++;
	switch (kp_rand_below(&w->rng, 3)) {
	case 0:
		/*
		 * Occupancy is exact only in a quiet pool (kpool.h): while
		 * others work, only the pool's identity can be checked.
		 */
		ret = kp_stats(w->sh->fd, w->sh->pools[pool].id, &st);
		if (injected(w, ret))
			w->c.reader_enomem++;
		else if (check_ret(w, "STATS", pool, ret, 0) &&
			 (st.pool_id != w->sh->pools[pool].id ||
			  st.block_size != w->sh->pools[pool].block_size))
			failure(w->sh, "STATS of pool %u: id %u, block size %llu",
				w->sh->pools[pool].id, st.pool_id, st.block_size);
		break;
	case 1:
		ret = kp_list(w->sh->fd, &e, &n);
		if (injected(w, ret))
			w->c.reader_enomem++;
		else if (check_ret(w, "LIST", pool, ret, 0))
			free(e);
		break;
	default:
		ret = kp_info(w->sh->fd, w->sh->pools[pool].id, &map, &n, &bpc);
		if (injected(w, ret)) {
			w->c.reader_enomem++;
			break;
		}
		if (!check_ret(w, "INFO", pool, ret, 0))
			break;
		for (i = 0; i < n; i++) {
			if (map[i] > bpc)
				failure(w->sh, "INFO: chunk %u has %u blocks in use of %u",
					i, map[i], bpc);
		}
		free(map);
		break;
	}
}

static void op_shrink(struct worker *w)
{
	u32 pool = kp_rand_below(&w->rng, w->sh->nr_pools);
	u64 pages;

	if (check_ret(w, "SHRINK", pool,
		      kp_shrink(w->sh->fd, w->sh->pools[pool].id, &pages), 0))
		w->c.shrinks++;
}

/*
 * Let the kernel's fault injection fail this thread's allocations, or not.
 * The file stays open in between: opening it to switch injection off could
 * itself be failed by the injection.
 */
static void make_it_fail(struct worker *w, bool on)
{
	if (!w->sh->kernel_faults)
		return;
	if (on)
		w->fail_fd = open("/proc/thread-self/make-it-fail",
				  O_WRONLY | O_CLOEXEC);
	if (w->fail_fd < 0 || write(w->fail_fd, on ? "1" : "0", 1) != 1)
		failure(w->sh, "thread %u: cannot set make-it-fail", w->index);
	if (!on && w->fail_fd >= 0)
		close(w->fail_fd);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	u32 r;

	make_it_fail(w, true);
	while (!atomic_load_explicit(&w->sh->stop, memory_order_relaxed)) {
		w->c.ops++;
		r = kp_rand_below(&w->rng, 1000);
		if (r < 150)
			op_alloc(w, false);
		else if (r < 250)
			op_alloc(w, true);
		else if (r < 500)
			op_write(w);
		else if (r < 750)
			op_read(w);
		else if (r < 850)
			op_free(w, 1);
		else if (r < 950)
			op_free(w, MAX_BATCH_OP);
		else if (r < 998)
			op_reader(w);
		else
			op_shrink(w);
	}
	make_it_fail(w, false);
	/* leave nothing behind */
	while (w->nr_live && !atomic_load(&w->sh->failures))
		op_free(w, MAX_BATCH_OP);
	return NULL;
}

/* ---- threads with their own open file ------------------------------------ */

/*
 * A thread racing a DESTROY: it allocates, writes, reads back and frees
 * blocks of @pool through @fd until told to stop, while the owner of the
 * file destroys the pool under it, or closes the file (dup2() of /dev/null
 * over @fd, so the number is never reused by another file: release() then
 * runs when the racer's ioctl in flight, if any, ends). An ALLOC that
 * starts after DESTROY has returned must fail; errors the race explains
 * (the pool or its handles gone, the pool id reused by another file, the
 * file replaced by /dev/null) are expected; anything else, and data that
 * differs, is a failure.
 */
struct racer {
	struct worker *w;
	int fd;
	u32 pool;
	u32 size;
	atomic_bool destroyed;		/* set once DESTROY has returned */
	atomic_bool closing;		/* set before the file is closed */
	atomic_bool stop;
	pthread_t thread;
	u64 ops;
	unsigned char buf[4096], back[4096];
};

static bool race_explains(int ret)
{
	return ret == -ENOENT || ret == -EPERM || ret == -ENOMEM;
}

static void racer_check(struct racer *r, const char *op, int ret)
{
	if (ret == -ENOTTY && atomic_load(&r->closing))
		return;
	if (ret && !race_explains(ret))
		failure(r->w->sh, "racer %u: %s: %s", r->w->index, op,
			kp_errname(ret));
}

/* Write, read back and compare @n blocks; then free them. */
static void racer_use(struct racer *r, const u32 *h, u32 n)
{
	u32 i;
	int ret;

	for (i = 0; i < n; i++) {
		fill_pattern(r->buf, r->size, 0xfe, h[i], (u32)r->ops);
		ret = kp_write(r->fd, r->pool, h[i], 0, r->buf, r->size);
		racer_check(r, "WRITE", ret);
		if (ret)
			continue;
		ret = kp_read(r->fd, r->pool, h[i], 0, r->back, r->size);
		racer_check(r, "READ", ret);
		if (!ret && memcmp(r->buf, r->back, r->size))
			failure(r->w->sh, "racer %u: data differs", r->w->index);
	}
	racer_check(r, "FREE", kp_free(r->fd, r->pool, n, h, NULL, NULL));
}

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	bool after_destroy;
	u32 h[4], n;
	int ret;

	while (!atomic_load(&r->stop)) {
		n = 1 + r->ops++ % ARRAY_SIZE(h);
		after_destroy = atomic_load(&r->destroyed);
		ret = kp_alloc(r->fd, r->pool, n, h);
		if (!ret && after_destroy)
			failure(r->w->sh, "racer %u: ALLOC succeeded on a destroyed pool",
				r->w->index);
		racer_check(r, "ALLOC", ret);
		if (!ret)
			racer_use(r, h, n);
	}
	return NULL;
}

/* Close @fd, keeping its number taken: 0 or -errno. */
static int close_keeping_number(int fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), ret = 0;

	if (null < 0 || dup2(null, fd) < 0)
		ret = -errno;
	if (null >= 0)
		close(null);
	return ret;
}

/* DESTROY pool @c of @fd, or close @fd, while a racer uses it. */
static void end_under_racer(struct worker *w, int fd,
			    const struct kpool_ioc_create *c, bool close_file)
{
	struct racer *r = calloc(1, sizeof(*r));
	int ret;

	if (!r) {
		failure(w->sh, "fd thread %u: out of memory", w->index);
		return;
	}
	r->w = w;
	r->fd = fd;
	r->pool = c->pool_id;
	r->size = (u32)c->block_size;
	if (pthread_create(&r->thread, NULL, racer_main, r)) {
		failure(w->sh, "fd thread %u: cannot start a racer", w->index);
		free(r);
		return;
	}
	usleep(kp_rand_below(&w->rng, 2000));
	atomic_store(&r->closing, close_file);
	ret = close_file ? close_keeping_number(fd) : kp_destroy(fd, c->pool_id);
	atomic_store(&r->destroyed, true);
	if (ret)
		failure(w->sh, "fd thread %u: %s under a racer: %s", w->index,
			close_file ? "close" : "DESTROY", kp_errname(ret));
	usleep(1000);
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	w->c.races++;
	w->c.close_races += close_file;
	w->c.race_ops += r->ops;
	free(r);
}

/* Allocate, write and verify @n blocks of a file's own pool. */
static int fd_use_pool(struct worker *w, int fd, u32 pool, u32 size,
		       u32 *handles, u32 n)
{
	u32 i;
	int ret = kp_alloc(fd, pool, n, handles);

	if (ret && ret != -ENOMEM)
		failure(w->sh, "fd thread %u: ALLOC %u: %s", w->index, n,
			kp_errname(ret));
	for (i = 0; !ret && i < n; i++) {
		fill_pattern(w->buf, size, 0xff, handles[i], w->seq);
		ret = kp_write(fd, pool, handles[i], 0, w->buf, size);
		if (!ret)
			ret = kp_read(fd, pool, handles[i], 0, w->want, size);
		if (ret)
			failure(w->sh, "fd thread %u: WRITE/READ: %s", w->index,
				kp_errname(ret));
		else if (memcmp(w->buf, w->want, size))
			failure(w->sh, "fd thread %u: data differs", w->index);
	}
	return ret;
}

/*
 * One open-use-close cycle. The file ends in one of four ways: blocks
 * freed and pool destroyed; closed with blocks out (release() cleans up);
 * the pool destroyed, or the file closed, while a racer thread uses it.
 * Returns false on a failure.
 */
static bool fd_cycle(struct worker *w)
{
	u32 size = block_sizes[kp_rand_below(&w->rng, ARRAY_SIZE(block_sizes))];
	struct kpool_ioc_create c = {
		.block_size = size,
		.order = KPOOL_IOC_ORDER_AUTO,
	};
	u32 handles[MAX_BATCH_OP], shared_pool, n, id, i;
	u32 ending = kp_rand_below(&w->rng, 4);
	int fd, ret;

	fd = kp_open(w->sh->opt->device);
	if (fd < 0) {
		failure(w->sh, "fd thread %u: open: %s", w->index, kp_strerror(fd));
		return false;
	}
	snprintf(c.name, sizeof(c.name), "ksf%d-%u-%u", (int)getpid(),
		 w->index, w->seq++);
	ret = kp_create(fd, &c);
	if (!ret)
		ret = kp_fault(fd, c.pool_id, 0, w->sh->opt->fault_ppm);
	if (ret) {
		failure(w->sh, "fd thread %u: CREATE/FAULT %s: %s", w->index, c.name,
			kp_errname(ret));
		close(fd);
		return false;
	}
	/* the shared pools belong to another file */
	shared_pool = kp_rand_below(&w->rng, w->sh->nr_pools);
	ret = kp_alloc(fd, w->sh->pools[shared_pool].id, 1, handles);
	if (ret != -EPERM)
		failure(w->sh, "fd thread %u: ALLOC on another file's pool: %s, expected EPERM",
			w->index, kp_errname(ret));
	w->c.eperm_checks++;
	n = 1 + kp_rand_below(&w->rng, MAX_BATCH_OP);
	ret = fd_use_pool(w, fd, c.pool_id, size, handles, n);
	if (!ret && ending == 0) {
		ret = kp_free(fd, c.pool_id, n, handles, NULL, NULL);
		if (!ret)
			ret = kp_destroy(fd, c.pool_id);
		if (ret)
			failure(w->sh, "fd thread %u: FREE/DESTROY: %s", w->index,
				kp_errname(ret));
	} else if (ending >= 2) {
		end_under_racer(w, fd, &c, ending == 3);
	}
	w->c.fd_closes_with_blocks += ending == 1;
	close(fd);
	/*
	 * release() destroyed the pool. LIST itself may meet a fault, or
	 * pools created faster than it sizes its buffer (EAGAIN): try again.
	 */
	for (i = 0; i < FIND_TRIES; i++) {
		ret = kp_find_pool(w->sh->fd, c.name, &id);
		if (!injected(w, ret) && ret != -EAGAIN)
			break;
	}
	if (!ret)
		failure(w->sh, "fd thread %u: pool %s outlived its file", w->index,
			c.name);
	else if (ret != -ENOENT)
		failure(w->sh, "fd thread %u: LIST after closing %s: %s", w->index,
			c.name, kp_errname(ret));
	w->c.fd_cycles++;
	return !atomic_load(&w->sh->failures);
}

static void *fd_thread_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load_explicit(&w->sh->stop, memory_order_relaxed))
		if (!fd_cycle(w))
			break;
	return NULL;
}

/* ---- kernel fault injection ------------------------------------------------ */

/* A debugfs knob of fail_page_alloc or failslab, and its value before. */
struct knob {
	const char *path;	/* under FAULT_DIR */
	const char *value;	/* NULL: the probability in percent */
	char saved[32];
};

#define KNOB(p, v)	{ .path = p, .value = v }
/* "times" counts down with every fault injected: what is left tells */
#define FAULT_TIMES	1000000000ull
#define FAULT_TIMES_STR	"1000000000"

static struct knob knobs[] = {
	KNOB("fail_page_alloc/task-filter", "Y"),
	KNOB("fail_page_alloc/probability", NULL),
	KNOB("fail_page_alloc/interval", "1"),
	KNOB("fail_page_alloc/times", FAULT_TIMES_STR),
	KNOB("fail_page_alloc/verbose", "0"),
	KNOB("fail_page_alloc/ignore-gfp-wait", "N"),
	KNOB("fail_page_alloc/min-order", "0"),
	KNOB("failslab/task-filter", "Y"),
	KNOB("failslab/probability", NULL),
	KNOB("failslab/interval", "1"),
	KNOB("failslab/times", FAULT_TIMES_STR),
	KNOB("failslab/verbose", "0"),
	KNOB("failslab/ignore-gfp-wait", "N"),
};

/* Set a knob to @buf, or read it into @buf (@len bytes) without "\n". */
static bool knob_io(const char *path, char *buf, size_t len, bool set)
{
	char full[128];
	ssize_t n;
	int fd;

	snprintf(full, sizeof(full), FAULT_DIR "%s", path);
	fd = open(full, (set ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = set ? write(fd, buf, strlen(buf)) : read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	if (!set) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
	return true;
}

/* Put the first @n knobs back as they were. */
static void restore_knobs(size_t n)
{
	while (n--)
		knob_io(knobs[n].path, knobs[n].saved, 0, true);
}

/* Faults fail_page_alloc and failslab injected since arm_knobs(). */
static u64 kernel_faults_injected(void)
{
	static const char *const times[] = {
		"fail_page_alloc/times", "failslab/times",
	};
	u64 injected = 0;
	char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(times); i++)
		if (knob_io(times[i], buf, sizeof(buf), false))
			injected += FAULT_TIMES - strtoull(buf, NULL, 10);
	return injected;
}

/* Arm both for make-it-fail tasks; false (nothing changed) if impossible. */
static bool arm_knobs(u32 ppm)
{
	char percent[16], value[32];
	size_t i;

	snprintf(percent, sizeof(percent), "%u", ppm / 10000 ? ppm / 10000 : 1);
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(value, sizeof(value), "%s",
			 knobs[i].value ? knobs[i].value : percent);
		if (!knob_io(knobs[i].path, knobs[i].saved,
			     sizeof(knobs[i].saved), false) ||
		    !knob_io(knobs[i].path, value, 0, true)) {
			restore_knobs(i);
			return false;
		}
	}
	return true;
}

/* ---- setup, final checks, main ---------------------------------------------- */

static bool create_pools(struct shared *sh, u64 seed)
{
	unsigned int i;
	int ret;

	for (i = 0; i < sh->opt->pools; i++) {
		struct kpool_ioc_create c = {
			.block_size = block_sizes[(seed + i) % ARRAY_SIZE(block_sizes)],
			.order = KPOOL_IOC_ORDER_AUTO,
			.min_blocks = i % 2 ? 16 : 0,
			.flags = i % 3 == 2 ? KPOOL_IOC_F_DEBUG : 0,
		};

		snprintf(c.name, sizeof(c.name), "ks%d-%u", (int)getpid(), i);
		ret = kp_create(sh->fd, &c);
		if (!ret)
			ret = kp_fault(sh->fd, c.pool_id, 0, sh->opt->fault_ppm);
		if (ret) {
			ktap_diag("CREATE/FAULT %s: %s", c.name, kp_strerror(ret));
			return false;
		}
		sh->pools[i].id = c.pool_id;
		sh->pools[i].block_size = (u32)c.block_size;
		memcpy(sh->pools[i].name, c.name, sizeof(c.name));
		sh->nr_pools++;
	}
	return true;
}

/* Blocks per worker so that all of them stay well under the file's cap. */
static u32 live_limit(const struct options *opt)
{
	u64 cap = DEFAULT_FD_CAP, per;
	FILE *f = fopen("/sys/module/kpool_dev/parameters/max_bytes_per_fd", "r");
	unsigned long long v;

	if (f) {
		if (fscanf(f, "%llu", &v) == 1)
			cap = v;
		fclose(f);
	}
	/* a quarter of the cap, divided by the largest block (+ bookkeeping) */
	per = cap / 4 / opt->threads / (4096 + 128);
	if (per > MAX_LIVE)
		per = MAX_LIVE;
	return per < MAX_BATCH_OP ? MAX_BATCH_OP : (u32)per;
}

/* struct counters holds nothing but u64: add them up one by one. */
static void sum_counters(struct counters *t, const struct counters *c)
{
	const u64 *src = (const u64 *)c;
	u64 *dst = (u64 *)t;
	size_t i;

	for (i = 0; i < sizeof(*c) / sizeof(u64); i++)
		dst[i] += src[i];
}

/*
 * Injected faults, summed over the shared pools: kpool's growth faults
 * (faults_injected) and the ENOMEM the workers saw. A probability that
 * injected nothing in 20 / p growth attempts (a chance of e^-20) is not
 * working.
 */
static bool check_faults(const struct shared *sh, const struct counters *t,
			 u64 injected, u64 attempts)
{
	u32 ppm = sh->opt->fault_ppm;
	u64 alloc_enomem = 0;
	size_t i;

	if (!ppm)
		return true;
	for (i = 0; i < MAX_POOLS; i++)
		alloc_enomem += t->enomem[i];
	printf("# faults: %u ppm, %s; %llu growth faults injected in %llu growth attempts;",
	       ppm, sh->kernel_faults ? "fail_page_alloc and failslab armed" :
	       "kpool's FAULT only", injected, attempts);
	if (sh->kernel_faults)
		printf(" %llu page/slab faults injected;", sh->kernel_injected);
	printf(" ENOMEM seen: %llu ALLOC, %llu FREE, %llu LIST/INFO\n",
	       alloc_enomem, t->free_enomem, t->reader_enomem);
	if (!injected && attempts * ppm >= 20ull * 1000000) {
		ktap_diag("FAIL: no growth fault injected in %llu attempts", attempts);
		return false;
	}
	return true;
}

/*
 * After the run: each pool empty, its counters equal to ours. A refused
 * batch allocation takes blocks and gives them back (all or nothing), so
 * it counts in allocs and frees alike: then only the difference between
 * the pool's counters and ours must be the same for both.
 */
static bool final_checks(struct shared *sh, const struct counters *t)
{
	u64 injected = 0, attempts = 0;
	struct kpool_ioc_stats st;
	bool ok = true;
	unsigned int i;
	int ret;

	for (i = 0; i < sh->nr_pools; i++) {
		ret = kp_stats(sh->fd, sh->pools[i].id, &st);
		if (ret) {
			ktap_diag("FAIL: STATS %s: %s", sh->pools[i].name, kp_strerror(ret));
			ok = false;
			continue;
		}
		printf("# pool %s: %u-byte blocks, %llu allocs, %llu frees, %llu in use,",
		       sh->pools[i].name, sh->pools[i].block_size, st.allocs, st.frees,
		       st.blocks_in_use);
		printf(" %llu chunks, high watermark %llu, %llu grows, %llu cache hits\n",
		       st.chunks, st.high_watermark, st.grows, st.cache_hits);
		if (st.blocks_in_use || st.allocs != st.frees ||
		    st.allocs < t->allocs[i] ||
		    st.allocs - t->allocs[i] != st.frees - t->frees[i] ||
		    (!t->enomem[i] && st.allocs != t->allocs[i])) {
			printf("# FAIL: pool %s: STATS in use %llu, allocs %llu, frees %llu; "
			       "threads counted allocs %llu, frees %llu\n",
			       sh->pools[i].name, st.blocks_in_use, st.allocs, st.frees,
			       t->allocs[i], t->frees[i]);
			ok = false;
		}
		if (st.err_double_free || st.err_foreign || st.err_misaligned ||
		    st.err_poison || st.err_redzone) {
			ktap_diag("FAIL: pool %s: error counters not zero", sh->pools[i].name);
			ok = false;
		}
		if (st.faults_injected > st.grow_failures) {
			ktap_diag("FAIL: pool %s: %llu faults injected, %llu growths failed",
				  sh->pools[i].name, st.faults_injected, st.grow_failures);
			ok = false;
		}
		injected += st.faults_injected;
		attempts += st.grows + st.grow_failures;
	}
	return ok && check_faults(sh, t, injected, attempts);
}

/* Destroy the pools, close the file, and check they are gone. */
static bool teardown(struct shared *sh)
{
	bool ok = true;
	unsigned int i;
	u32 id;
	int fd, ret;

	for (i = 0; i < sh->nr_pools; i++) {
		ret = kp_destroy(sh->fd, sh->pools[i].id);
		if (ret) {
			ktap_diag("FAIL: DESTROY %s: %s", sh->pools[i].name, kp_strerror(ret));
			ok = false;
		}
	}
	close(sh->fd);
	fd = kp_open(sh->opt->device);
	if (fd < 0)
		return false;
	for (i = 0; i < sh->nr_pools; i++) {
		if (kp_find_pool(fd, sh->pools[i].name, &id) != -ENOENT) {
			ktap_diag("FAIL: pool %s still listed", sh->pools[i].name);
			ok = false;
		}
	}
	close(fd);
	return ok;
}

static void print_totals(const struct counters *t, double secs,
			 unsigned int nthreads)
{
	u64 allocs = 0, frees = 0, enomem = 0;
	size_t i;

	for (i = 0; i < MAX_POOLS; i++) {
		allocs += t->allocs[i];
		frees += t->frees[i];
		enomem += t->enomem[i];
	}
	printf("# %llu operations in %.1f s by %u threads (%.0f/s)\n",
	       t->ops, secs, nthreads, secs > 0 ? t->ops / secs : 0.0);
	printf("# blocks allocated %llu (%llu calls, %llu batched, %llu ENOMEM),",
	       allocs, t->alloc_calls, t->batch_allocs, enomem);
	printf(" freed %llu (%llu calls, %llu batched)\n", frees, t->free_calls,
	       t->batch_frees);
	printf("# writes %llu, reads %llu (%llu of never-written blocks), %llu bytes verified\n",
	       t->writes, t->reads, t->zero_reads, t->verified_bytes);
	printf("# double frees refused %llu, STATS/LIST/INFO %llu, shrinks %llu\n",
	       t->double_frees, t->readers, t->shrinks);
	printf("# extra files: %llu open/close cycles (%llu closed with blocks out),",
	       t->fd_cycles, t->fd_closes_with_blocks);
	printf(" %llu EPERM checks, %llu DESTROYs or closes (%llu closes) raced by %llu calls\n",
	       t->eperm_checks, t->races, t->close_races, t->race_ops);
}

static void print_help(FILE *f)
{
	fprintf(f,
		"Usage: kpool_stress [--threads N] [--seconds S] [--pools P] [--fds F]\n"
		"                    [--fault-ppm P] [--seed X] [--device PATH]\n"
		"\n"
		"N threads (default 4) for S seconds (default 10) allocate, write,\n"
		"verify and free blocks of P pools (default 3) on one open file,\n"
		"while F more threads (default 1) cycle through files of their own.\n"
		"--fault-ppm P injects faults with probability P per million (see\n"
		"the top of kpool_stress.c; default 0).\n"
		"Prints totals and one KTAP result; exit 0 on success, 1 on a\n"
		"failure, 2 on a usage error, 3 if the device cannot be opened.\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	const struct kp_option opts[] = {
		{ "threads", 't', .u32 = &o->threads, .max = MAX_THREADS,
		  .nonzero = true },
		{ "seconds", 's', .u32 = &o->seconds, .max = 86400 },
		{ "pools", 'p', .u32 = &o->pools, .max = MAX_POOLS, .nonzero = true },
		{ "fds", 'f', .u32 = &o->fd_threads, .max = MAX_THREADS },
		{ "fault-ppm", 'F', .u32 = &o->fault_ppm, .max = FAULT_PPM_MAX },
		{ "seed", 'S', .u64 = &o->seed },
		{ "device", 'd', .str = &o->device },
	};

	return kp_parse_options("kpool_stress", argc, argv, opts,
				ARRAY_SIZE(opts), print_help);
}

static struct worker *new_workers(struct shared *sh, unsigned int n,
				  unsigned int first_index)
{
	struct worker *w = calloc(n ? n : 1, sizeof(*w));
	unsigned int i;

	for (i = 0; w && i < n; i++) {
		w[i].sh = sh;
		w[i].index = first_index + i;
		w[i].rng = kp_rand_seed(sh->opt->seed * 1000003 + first_index + i);
		w[i].live = calloc(sh->max_live, sizeof(*w[i].live));
		w[i].buf = malloc(4096);
		w[i].want = malloc(4096);
		if (!w[i].live || !w[i].buf || !w[i].want)
			return NULL;
	}
	return w;
}

int main(int argc, char **argv)
{
	struct options opt = { .threads = 4, .seconds = 10, .pools = 3,
			       .fd_threads = 1, .seed = kp_default_seed() };
	struct shared sh = { .opt = &opt };
	struct worker *workers, *fdw;
	struct counters total = { 0 };
	unsigned int i;
	double start, secs;
	struct ktap t;
	bool ok;
	int ret = parse_options(argc, argv, &opt);

	if (ret >= 0)
		return ret;
	ktap_begin(&t, 1);
	ktap_diag("kpool_stress --threads %u --seconds %u --pools %u --fds %u --fault-ppm %u",
		  opt.threads, opt.seconds, opt.pools, opt.fd_threads, opt.fault_ppm);
	ktap_diag("seed %llu", opt.seed);
	sh.fd = kp_open(opt.device);
	if (sh.fd < 0) {
		ktap_diag("cannot open %s: %s", opt.device ? opt.device : KP_DEFAULT_DEVICE,
			  kp_strerror(sh.fd));
		ktap_result(&t, false, "kpool_stress");
		return 3;
	}
	sh.max_live = live_limit(&opt);
	workers = new_workers(&sh, opt.threads, 0);
	fdw = new_workers(&sh, opt.fd_threads, opt.threads);
	if (!workers || !fdw || !create_pools(&sh, opt.seed)) {
		ktap_diag("setup failed");
		ktap_result(&t, false, "kpool_stress");
		return 1;
	}
	sh.kernel_faults = opt.fault_ppm && arm_knobs(opt.fault_ppm);
	start = kp_now();
	for (i = 0; i < opt.threads; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]))
			failure(&sh, "cannot start thread %u", i);
	for (i = 0; i < opt.fd_threads; i++)
		if (pthread_create(&fdw[i].thread, NULL, fd_thread_main, &fdw[i]))
			failure(&sh, "cannot start fd thread %u", i);
	while (!atomic_load(&sh.stop) && kp_now() - start < opt.seconds)
		usleep(50000);
	atomic_store(&sh.stop, true);
	for (i = 0; i < opt.threads; i++) {
		pthread_join(workers[i].thread, NULL);
		sum_counters(&total, &workers[i].c);
	}
	for (i = 0; i < opt.fd_threads; i++) {
		pthread_join(fdw[i].thread, NULL);
		sum_counters(&total, &fdw[i].c);
	}
	if (sh.kernel_faults) {
		sh.kernel_injected = kernel_faults_injected();
		restore_knobs(ARRAY_SIZE(knobs));
	}
	secs = kp_now() - start;
	print_totals(&total, secs, opt.threads + opt.fd_threads);
	ok = !atomic_load(&sh.failures);
	if (ok)
		ok = final_checks(&sh, &total);
	ok &= teardown(&sh);
	if (atomic_load(&sh.failures) > MAX_ERRORS)
		ktap_diag("%u failures in all", atomic_load(&sh.failures));
	ktap_result(&t, ok, "kpool_stress: %u threads, %u s, %u pools, seed %llu",
		    opt.threads, opt.seconds, opt.pools, opt.seed);
	return ktap_end(&t);
}
