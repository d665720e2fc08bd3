// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_conform_race - the conformance cases of threads, CPUs and user
 * pages that fault slowly:
 *  - two threads freeing the same handles;
 *  - READ, WRITE and ALLOC whose user memory is a userfaultfd page that is
 *    not there yet, while another thread frees the block, destroys its
 *    pool, closes the file or issues other commands: none of them may wait
 *    for the fault (the file's lock is never held across a user access
 *    that may fault), and once the fault is resolved the copy completes and
 *    the block goes back to its pool;
 *  - blocks freed on one CPU and allocated again on another: the file
 *    never holds more than max_bytes_per_fd, and every pool's charge
 *    covers what it holds after every call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "kpool_conform.h"

/* ---- two threads free the same handles ------------------------------------ */

#define RACE_HANDLES	256
#define RACE_ROUNDS	16

/* One of two threads freeing the same handles one by one. */
struct free_racer {
	int fd;
	u32 pool;
	const u32 *handles;
	int ret[RACE_HANDLES];
	pthread_barrier_t *start;
};

static void *free_racer_main(void *arg)
{
	struct free_racer *r = arg;
	u32 i;

	pthread_barrier_wait(r->start);
	for (i = 0; i < RACE_HANDLES; i++)
		r->ret[i] = kp_free(r->fd, r->pool, 1, &r->handles[i], NULL, NULL);
	return NULL;
}

/* Both threads free every handle: one must win, the other get ENOENT. */
static bool free_race_round(struct fx *fx, u32 *h, pthread_barrier_t *start,
			    u64 *second_wins)
{
	struct free_racer r[2] = {
		{ fx->fd, fx->pool, h, { 0 }, start },
		{ fx->fd, fx->pool, h, { 0 }, start },
	};
	pthread_t t;
	bool ok = true;
	u32 i;

	if (!WANT(kp_alloc(fx->fd, fx->pool, RACE_HANDLES, h), 0))
		return false;
	if (pthread_create(&t, NULL, free_racer_main, &r[1])) {
		kp_free(fx->fd, fx->pool, RACE_HANDLES, h, NULL, NULL);
		return false;
	}
	free_racer_main(&r[0]);
	pthread_join(t, NULL);
	for (i = 0; i < RACE_HANDLES; i++) {
		if (!r[0].ret[i] == !r[1].ret[i] ||
		    r[0].ret[i] + r[1].ret[i] != -ENOENT) {
			ktap_diag("handle %u: FREE returned %s and %s", h[i],
				  kp_errname(r[0].ret[i]), kp_errname(r[1].ret[i]));
			ok = false;
		}
		*second_wins += !r[1].ret[i];
	}
	return ok;
}

static enum result t_free_race(struct fx *fx)
{
	pthread_barrier_t start;
	u64 second_wins = 0;
	u32 h[RACE_HANDLES], round;
	bool ok = true;

	pthread_barrier_init(&start, NULL, 2);
	for (round = 0; round < RACE_ROUNDS && ok; round++)
		ok &= free_race_round(fx, h, &start, &second_wins);
	pthread_barrier_destroy(&start);
	ok &= CHECK_EQ(in_use(fx->fd, fx->pool), 0);
	ktap_diag("%u handles, each freed by two threads: the second won %llu",
		  RACE_HANDLES * RACE_ROUNDS, second_wins);
	return verdict(ok);
}

/* ---- calls in threads of their own ------------------------------------------ */

/* How long a call that must not wait for a user fault may take. */
#define PROMPT_MS	10000

/* A call run in a thread of its own, to see whether it returns in time. */
struct bg {
	int (*fn)(void *arg);
	void *arg;
	int ret;
	bool done;		/* under @lock */
	pthread_mutex_t lock;	/* @done */
	pthread_cond_t cond;	/* @done became true */
	pthread_t thread;
};

static void *bg_main(void *p)
{
	struct bg *b = p;
	int ret = b->fn(b->arg);

	pthread_mutex_lock(&b->lock);
	b->ret = ret;
	b->done = true;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static bool bg_start(struct bg *b, int (*fn)(void *arg), void *arg)
{
	*b = (struct bg){ .fn = fn, .arg = arg };
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	if (!pthread_create(&b->thread, NULL, bg_main, b))
		return true;
	ktap_diag("cannot start a thread");
	return false;
}

/* Has the call returned within @ms milliseconds? */
static bool bg_returns_within(struct bg *b, int ms)
{
	struct timespec until;
	bool done;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&b->lock);
	while (!b->done &&
	       pthread_cond_timedwait(&b->cond, &b->lock, &until) != ETIMEDOUT)
		;
	done = b->done;
	pthread_mutex_unlock(&b->lock);
	return done;
}

/* Wait for the call to return; its return value. */
static int bg_join(struct bg *b)
{
	pthread_join(b->thread, NULL);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	return b->ret;
}

/* ---- userfaultfd ------------------------------------------------------------- */

/*
 * A page registered with a userfaultfd for missing pages: an access to it,
 * the kernel's copy_{to,from}_user() included, waits until the case
 * resolves the fault (uffd_resolve()) or closes the userfaultfd.
 */
struct uffd_page {
	int uffd;
	unsigned char *page;
	size_t size;
};

/* A userfaultfd that handles kernel faults too (not UFFD_USER_MODE_ONLY). */
static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK), err;

	if (fd < 0)
		return -errno;
	if (!ioctl(fd, UFFDIO_API, &api))
		return fd;
	err = -errno;
	close(fd);
	return err;
}

const char *uffd_unavailable(void)
{
	static char why[128];
	static int known;	/* 1: available, -1: not */
	int fd;

	if (!known) {
		fd = uffd_open();
		known = fd >= 0 ? 1 : -1;
		if (fd >= 0)
			close(fd);
		else
			snprintf(why, sizeof(why), "no userfaultfd for kernel faults: %s%s",
				 kp_strerror(fd),
				 fd == -EPERM ? " (vm.unprivileged_userfaultfd is 0)" : "");
	}
	return known > 0 ? NULL : why;
}

static bool uffd_page_new(struct uffd_page *u, long page)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	u->size = page;
	u->uffd = uffd_open();
	u->page = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)u->page;
	reg.range.len = page;
	if (u->uffd >= 0 && u->page != MAP_FAILED &&
	    !ioctl(u->uffd, UFFDIO_REGISTER, &reg))
		return true;
	ktap_diag("cannot set up a userfaultfd page: %s", kp_strerror(-errno));
	if (u->page != MAP_FAILED)
		munmap(u->page, page);
	if (u->uffd >= 0)
		close(u->uffd);
	return false;
}

/* Let an access still waiting fail (EFAULT): close the userfaultfd. */
static void uffd_release(struct uffd_page *u)
{
	if (u->uffd >= 0)
		close(u->uffd);
	u->uffd = -1;
}

static void uffd_page_free(struct uffd_page *u)
{
	uffd_release(u);
	munmap(u->page, u->size);
}

/* Wait for another thread's access to fault on the page. */
static bool uffd_wait_fault(struct uffd_page *u)
{
	struct pollfd p = { .fd = u->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&p, 1, PROMPT_MS) == 1 &&
	    read(u->uffd, &msg, sizeof(msg)) == sizeof(msg) &&
	    msg.event == UFFD_EVENT_PAGEFAULT)
		return true;
	ktap_diag("the call never faulted on the userfaultfd page");
	return false;
}

/* Bring the page in, filled with @byte: the access waiting goes on. */
static bool uffd_resolve(struct uffd_page *u, unsigned char byte)
{
	unsigned char *src = malloc(u->size);
	struct uffdio_copy copy = {
		.dst = (uintptr_t)u->page,
		.src = (uintptr_t)src,
		.len = u->size,
	};
	bool ok = src && (memset(src, byte, u->size), !ioctl(u->uffd, UFFDIO_COPY, &copy));

	free(src);
	return CHECK(ok);
}

/* ---- READ, WRITE and ALLOC on a faulting page -------------------------------- */

/* What another thread does while the copy waits for its page. */
enum race_with {
	RACE_FREE,	/* FREE of the block being copied */
	RACE_OTHERS,	/* other commands of the file */
	RACE_DESTROY,	/* DESTROY of the block's pool */
	RACE_CLOSE,	/* close() of the file */
};

/* One case: a READ or WRITE of a block of a pool or a set. */
struct uffd_case {
	bool read;
	bool set;
	enum race_with with;
};

/* The blocks and the page of one such case. */
struct uffd_race {
	const struct uffd_case *uc;
	struct fx *fx;
	int fd;			/* the file (RACE_CLOSE: one of its own) */
	u32 id;			/* the pool or set */
	u32 h[2];		/* h[0] is copied, h[1] stands by */
	struct uffd_page u;
	struct kpool_ioc_stats before;
};

#define RACE_BLOCK	64

/* READ or WRITE of h[0] through the page, faulting (the background call). */
static int race_copy(void *arg)
{
	struct uffd_race *r = arg;
	struct kpool_ioc_rw rw = {
		.size = sizeof(rw),
		.pool_id = r->id,
		.handle = r->h[0],
		.flags = r->uc->set ? KPOOL_IOC_RW_F_SET : 0,
		.len = RACE_BLOCK,
		.buf = (uintptr_t)r->u.page,
	};

	return kp_ioctl(r->fd, r->uc->read ? KPOOL_IOC_READ : KPOOL_IOC_WRITE, &rw);
}

static int race_free(struct uffd_race *r, int fd, u32 *h)
{
	if (r->uc->set)
		return kp_set_free(fd, r->id, 1, h, NULL, NULL);
	return kp_free(fd, r->id, 1, h, NULL, NULL);
}

static int race_read(struct uffd_race *r, u32 h, void *buf)
{
	if (r->uc->set)
		return kp_set_read(r->fd, r->id, h, 0, buf, RACE_BLOCK);
	return kp_read(r->fd, r->id, h, 0, buf, RACE_BLOCK);
}

/* The blocks of the pool or set in use, by STATS or SET_INFO. */
static u64 race_in_use(struct uffd_race *r)
{
	struct kpool_ioc_set_class *cl;
	struct kpool_ioc_set_info in;

	if (!r->uc->set)
		return in_use(r->fd, r->id);
	if (kp_set_info(r->fd, r->id, &in, &cl))
		return UINT64_MAX;
	free(cl);
	return in.blocks_in_use;
}

/* RACE_FREE: the handle dies at once, its block waits for the copy. */
static int with_free(void *arg)
{
	struct uffd_race *r = arg;
	unsigned char buf[RACE_BLOCK];
	bool ok;

	ok = WANT(race_free(r, r->fd, &r->h[0]), 0);
	ok &= WANT(race_read(r, r->h[0], buf), -ENOENT);
	ok &= WANT(race_free(r, r->fd, &r->h[0]), -ENOENT);
	/* still out of its pool while the copy runs */
	ok &= CHECK_EQ(race_in_use(r), 2);
	return ok ? 0 : -EIO;
}

/* RACE_OTHERS: every other command of the file goes on. */
static int with_others(void *arg)
{
	struct uffd_race *r = arg;
	struct kpool_ioc_pool_entry *e;
	unsigned char buf[RACE_BLOCK];
	u32 h2, other, set, *map, nr, bpc;
	u64 pages;
	bool ok;

	ok = WANT(kp_alloc(r->fd, r->fx->pool, 1, &h2), 0);
	ok &= WANT(kp_write(r->fd, r->fx->pool, h2, 0, "x", 1), 0);
	ok &= WANT(kp_read(r->fd, r->fx->pool, h2, 0, buf, 1), 0);
	ok &= WANT(kp_free(r->fd, r->fx->pool, 1, &h2, NULL, NULL), 0);
	ok &= WANT(race_read(r, r->h[1], buf), 0);
	ok &= CHECK(race_in_use(r) == 2);
	ok &= WANT(kp_shrink(r->fd, r->fx->pool, &pages), 0);
	ok &= WANT(kp_fault(r->fd, r->fx->pool, 0, 0), 0);
	if (WANT(kp_info(r->fd, r->fx->pool, &map, &nr, &bpc), 0))
		free(map);
	if (WANT(kp_list(r->fd, &e, &nr), 0))
		free(e);
	ok &= pool_new(r->fx, r->fd, 32, &other) && !kp_destroy(r->fd, other);
	ok &= WANT(kp_find_set(r->fd, "none such", &set), -ENOENT);
	return ok ? 0 : -EIO;
}

/* RACE_DESTROY: DESTROY runs; the handles of the pool die at once. */
static int with_destroy(void *arg)
{
	struct uffd_race *r = arg;
	unsigned char buf[RACE_BLOCK];
	int ret;

	/* until the DESTROY of the other thread got that far */
	while (!(ret = race_read(r, r->h[1], buf)))
		usleep(1000);
	return ret == -ENOENT ? 0 : ret;
}

static int destroy_call(void *arg)
{
	struct uffd_race *r = arg;

	return kp_destroy(r->fd, r->id);
}

/* RACE_CLOSE: close() returns; release() waits for the copy's end. */
static int with_close(void *arg)
{
	struct uffd_race *r = arg;

	close(r->fd);
	return pool_listed(r->fx->fd, r->id) ? 0 : -ENOENT;
}

static int (*const race_with_fn[])(void *arg) = {
	[RACE_FREE] = with_free,
	[RACE_OTHERS] = with_others,
	[RACE_DESTROY] = with_destroy,
	[RACE_CLOSE] = with_close,
};

static const char *const race_with_name[] = {
	[RACE_FREE] = "FREE of its handle",
	[RACE_OTHERS] = "other commands of the file",
	[RACE_DESTROY] = "DESTROY of its pool",
	[RACE_CLOSE] = "close() of the file",
};

/* The pool (the case's) or a small set, and its two blocks. */
static bool race_setup(struct uffd_race *r)
{
	struct kpool_ioc_set_create sc = { .min_size = 1, .max_size = RACE_BLOCK };
	struct fx *fx = r->fx;

	r->fd = fx->fd;
	r->id = fx->pool;
	if (r->uc->with == RACE_CLOSE) {
		r->fd = kp_open(NULL);
		if (r->fd < 0 || !pool_new(fx, r->fd, RACE_BLOCK, &r->id))
			return false;
	}
	if (r->uc->set) {
		unique_name(fx, sc.name);
		if (!WANT(kp_set_create(r->fd, &sc), 0))
			return false;
		r->id = sc.set_id;
		return WANT(kp_set_alloc(r->fd, r->id, RACE_BLOCK, 2, r->h, NULL), 0);
	}
	return WANT(kp_alloc(r->fd, r->id, 2, r->h), 0) &&
	       stats_of(r->fd, r->id, &r->before);
}

/* After the race: the copy's outcome, and every block where it belongs. */
static bool race_after(struct uffd_race *r, int copied)
{
	struct kpool_ioc_stats st;
	bool ok;

	/* the copy completes, or fails cleanly on a freed handle */
	ok = copied == 0 || want_ret(__LINE__, "READ/WRITE", copied, -ENOENT);
	if (r->uc->read && !copied)
		ok &= CHECK(r->u.page[0] == 0 && r->u.page[RACE_BLOCK - 1] == 0);
	switch (r->uc->with) {
	case RACE_FREE:
		ok &= CHECK_EQ(race_in_use(r), 1);
		if (!r->uc->set && stats_of(r->fd, r->id, &st))
			ok &= CHECK_EQ(st.frees - r->before.frees, 1);
		ok &= WANT(race_free(r, r->fd, &r->h[1]), 0);
		ok &= CHECK_EQ(race_in_use(r), 0);
		break;
	case RACE_OTHERS:
		ok &= CHECK_EQ(race_in_use(r), 2);
		break;
	case RACE_DESTROY:
		ok &= CHECK(!pool_listed(r->fd, r->id));
		ok &= WANT(kp_stats(r->fd, r->id, &st), -ENOENT);
		break;
	case RACE_CLOSE:
		/* release() ran when the copy ended: nothing of the file left */
		ok &= CHECK(!pool_listed(r->fx->fd, r->id));
		break;
	}
	if (r->uc->set && r->uc->with != RACE_CLOSE) {
		race_free(r, r->fd, r->h);
		race_free(r, r->fd, r->h + 1);
		ok &= WANT(kp_set_destroy(r->fd, r->id), 0);
	}
	return ok;
}

/*
 * A READ or WRITE of a block through a userfaultfd page that is not there
 * waits in the kernel; meanwhile another thread's FREE, other commands,
 * DESTROY or close() must not wait for it (none holds the file's lock
 * across the fault), and once the page comes the copy completes and the
 * block goes back to its pool.
 */
static enum result t_uffd_copy(struct fx *fx)
{
	struct uffd_race r = { .uc = fx->arg, .fx = fx };
	bool ok, destroying = false;
	struct bg copy, with, destroy;
	int copied;

	if (!race_setup(&r) || !uffd_page_new(&r.u, fx->page))
		return FAIL;
	if (!bg_start(&copy, race_copy, &r)) {
		uffd_page_free(&r.u);
		return FAIL;
	}
	ok = uffd_wait_fault(&r.u);
	if (ok && r.uc->with == RACE_DESTROY) {
		destroying = bg_start(&destroy, destroy_call, &r);
		ok = destroying;
	}
	if (ok && bg_start(&with, race_with_fn[r.uc->with], &r)) {
		if (!bg_returns_within(&with, PROMPT_MS)) {
			ktap_diag("%s waited for the fault", race_with_name[r.uc->with]);
			ok = false;
		}
		if (!uffd_resolve(&r.u, 0x5a))
			uffd_release(&r.u);
		ok &= want_ret(__LINE__, race_with_name[r.uc->with], bg_join(&with), 0);
	} else {
		ok = false;
		uffd_release(&r.u);
	}
	copied = bg_join(&copy);
	if (destroying)
		ok &= WANT(bg_join(&destroy), 0);
	ok = ok && race_after(&r, copied);
	uffd_page_free(&r.u);
	return verdict(ok);
}

/* ALLOC's handles array: other commands go on while it faults. */
static int alloc_call(void *arg)
{
	struct uffd_race *r = arg;

	return kp_alloc(r->fd, r->id, 4, (u32 *)r->u.page);
}

/*
 * An ALLOC whose handles array is a userfaultfd page that is not there:
 * FREE and STATS of the file do not wait for the fault, and once it is
 * resolved the ALLOC hands out four working handles.
 */
static enum result t_uffd_alloc(struct fx *fx)
{
	static const struct uffd_case uc = { .with = RACE_OTHERS };
	struct uffd_race r = { .uc = &uc, .fx = fx, .fd = fx->fd, .id = fx->pool };
	struct bg alloc, with;
	u32 h[4];
	bool ok;

	if (!WANT(kp_alloc(fx->fd, fx->pool, 2, r.h), 0) ||
	    !uffd_page_new(&r.u, fx->page))
		return FAIL;
	if (!bg_start(&alloc, alloc_call, &r)) {
		uffd_page_free(&r.u);
		return FAIL;
	}
	ok = uffd_wait_fault(&r.u) && bg_start(&with, with_others, &r);
	if (ok) {
		if (!bg_returns_within(&with, PROMPT_MS)) {
			ktap_diag("other commands waited for ALLOC's fault");
			ok = false;
		}
		if (!uffd_resolve(&r.u, 0))
			uffd_release(&r.u);
		ok &= WANT(bg_join(&with), 0);
	} else {
		uffd_release(&r.u);
	}
	ok &= WANT(bg_join(&alloc), 0);
	memcpy(h, r.u.page, sizeof(h));
	ok = ok && WANT(kp_write(fx->fd, fx->pool, h[3], 0, "x", 1), 0) &&
	     WANT(kp_free(fx->fd, fx->pool, 4, h, NULL, NULL), 0);
	ok &= CHECK_EQ(in_use(fx->fd, fx->pool), 2);
	uffd_page_free(&r.u);
	return verdict(ok);
}

static const struct uffd_case uffd_cases[] = {
	{ false, false, RACE_FREE }, { true, false, RACE_FREE },
	{ false, true, RACE_FREE }, { true, true, RACE_FREE },
	{ false, false, RACE_OTHERS }, { true, true, RACE_OTHERS },
	{ false, false, RACE_DESTROY }, { true, false, RACE_DESTROY },
	{ false, false, RACE_CLOSE }, { true, false, RACE_CLOSE },
};

/* ---- blocks freed on one CPU, allocated on another --------------------------- */

#define XCPU_BLOCK	(256 * 1024)
#define XCPU_BLOCKS	32
/* The most the case pins; it skips above. */
#define XCPU_MAX_CAP	(256ULL << 20)

static bool run_on(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return CHECK(!sched_setaffinity(0, sizeof(set), &set));
}

/*
 * After every call: each of the @n pools of @fd is charged at least what
 * it holds (pages and metadata), and the file holds, and is charged, at
 * most @cap.
 */
static bool charges_hold(int fd, const u32 *ids, u32 n, long page, u64 cap,
			 const char *after)
{
	u64 held, charged;
	bool ok;

	ok = pinned_by(fd, ids, n, page, &held, &charged);
	if (held > cap || charged > cap) {
		ktap_diag("%u pools hold %llu bytes, are charged %llu, cap %llu",
			  n, held, charged, cap);
		ok = false;
	}
	if (!ok)
		ktap_diag("after %s", after);
	return ok;
}

/*
 * Per pool of 256 KiB blocks: ALLOC 32 on one CPU, FREE them (they wait in
 * that CPU's magazine), ALLOC 32 on another, which grows the pool although
 * the file is charged for 32 blocks already. The charges must follow:
 * until the cap refuses an ALLOC, the file never holds more than
 * max_bytes_per_fd and each pool's charge covers what it holds.
 */
static enum result t_charge_cross_cpu(struct fx *fx)
{
	u32 ids[XCPU_MAX_CAP / (XCPU_BLOCKS * XCPU_BLOCK) + 2], h[XCPU_BLOCKS];
	u32 n = 0, max;
	cpu_set_t saved;
	bool ok = true;
	int fd, ret = 0;
	u64 cap;

	if (!read_param("max_bytes_per_fd", &cap) || cap > XCPU_MAX_CAP)
		return skip(fx, "max_bytes_per_fd not readable, or above 256 MiB");
	max = cap / (XCPU_BLOCKS * XCPU_BLOCK) + 2;
	if (sched_getaffinity(0, sizeof(saved), &saved))
		return FAIL;
	fd = kp_open(NULL);
	while (fd >= 0 && ok && !ret && n < max && pool_new(fx, fd, XCPU_BLOCK, &ids[n])) {
		n++;
		ok &= run_on(fx->cpus[0]);
		ret = kp_alloc(fd, ids[n - 1], XCPU_BLOCKS, h);
		ok &= charges_hold(fd, ids, n, fx->page, cap, "ALLOC on the first CPU");
		if (ret)
			break;
		ok &= WANT(kp_free(fd, ids[n - 1], XCPU_BLOCKS, h, NULL, NULL), 0);
		ok &= charges_hold(fd, ids, n, fx->page, cap, "FREE");
		ok &= run_on(fx->cpus[1]);
		ret = kp_alloc(fd, ids[n - 1], XCPU_BLOCKS, h);
		ok &= charges_hold(fd, ids, n, fx->page, cap, "ALLOC on the second CPU");
	}
	ktap_diag("%u pools of %u blocks of %u KiB on CPUs %d and %d, cap %llu MiB",
		  n, XCPU_BLOCKS, XCPU_BLOCK >> 10, fx->cpus[0], fx->cpus[1], cap >> 20);
	/* the cap must have refused an ALLOC before the pools ran out */
	ok &= CHECK(fd >= 0) && WANT(ret, -ENOMEM);
	sched_setaffinity(0, sizeof(saved), &saved);
	if (fd >= 0)
		close(fd);
	return verdict(ok);
}

/* ---- the table ------------------------------------------------------------------ */

#define UFFD_CASE(idx, title)						\
	{ .name = (title), .fn = t_uffd_copy, .arg = &uffd_cases[idx],	\
	  .needs = NEED_USERFAULTFD, .pool = { .block_size = RACE_BLOCK } }

const struct tcase race_cases[] = {
	{ .name = "hardening: two threads FREE the same handles, one wins each",
	  .fn = t_free_race, .pool = { .block_size = 64 } },
	UFFD_CASE(0, "userfaultfd: WRITE waits for its page, FREE of its block does not"),
	UFFD_CASE(1, "userfaultfd: READ waits for its page, FREE of its block does not"),
	UFFD_CASE(2, "userfaultfd: WRITE to a set's block waits, SET_FREE of it does not"),
	UFFD_CASE(3, "userfaultfd: READ of a set's block waits, SET_FREE of it does not"),
	UFFD_CASE(4, "userfaultfd: WRITE waits for its page, the file's other commands do not"),
	UFFD_CASE(5, "userfaultfd: READ of a set's block waits, the file's other commands do not"),
	UFFD_CASE(6, "userfaultfd: WRITE waits, DESTROY kills the pool's handles at once"),
	UFFD_CASE(7, "userfaultfd: READ waits, DESTROY kills the pool's handles at once"),
	UFFD_CASE(8, "userfaultfd: WRITE waits, close() returns, release() after the copy"),
	UFFD_CASE(9, "userfaultfd: READ waits, close() returns, release() after the copy"),
	{ .name = "userfaultfd: ALLOC's handles wait for their page, other commands do not",
	  .fn = t_uffd_alloc, .needs = NEED_USERFAULTFD,
	  .pool = { .block_size = RACE_BLOCK } },
	{ .name = "charge: blocks freed on one CPU, allocated on another, within the cap",
	  .fn = t_charge_cross_cpu, .needs = NEED_TWO_CPUS },
};

const size_t nr_race_cases = ARRAY_SIZE(race_cases);
