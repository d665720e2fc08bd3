/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpool_conform - what the files of the conformance suite share: the
 * fixture a case runs in, the checks that say what differed, the helpers
 * every case uses, and the case tables (kpool_conform.c runs them).
 */
#ifndef KPOOL_CONFORM_H
#define KPOOL_CONFORM_H

#include <stdbool.h>

#include "kpool_lib.h"
#include "kpool_test.h"

/* The first published size of every argument struct (ABI version 1). */
#define V1_SIZE(type)		((u32)sizeof(type))
/* A pool id no pool has. */
#define NO_SUCH_POOL		0xfffffff0u

enum result { PASS, FAIL, SKIP };

/* What a case needs of the system; the runner skips it otherwise. */
enum need {
	NEED_ADMIN = 1 << 0,		/* CAP_SYS_ADMIN */
	NEED_KERNEL_POOL = 1 << 1,	/* a kernel module's pool listed */
	NEED_USERFAULTFD = 1 << 2,	/* userfaultfd() for kernel faults */
	NEED_TWO_CPUS = 1 << 3,		/* two CPUs this process may run on */
};

struct pool_spec {
	u64 block_size;
	u32 flags;
	u32 min_blocks;
	u32 max_blocks;
	u64 align;
};

/* A module parameter a case runs with: /sys/module/@module/parameters/@name. */
struct param {
	const char *module;
	const char *name;
	u64 value;
};

struct fx;

/**
 * struct tcase - one case and the fixture it runs in
 * @name: its KTAP name.
 * @fn: the case; PASS, FAIL, or SKIP with fx->skip_reason.
 * @arg: fx->arg while it runs.
 * @needs: enum need bits.
 * @param: the parameter set for the case (and restored), if @param.name.
 * @pool: a pool of fx->fd made for the case (fx->pool) if @pool.block_size,
 *	destroyed after it.
 * @blocks: blocks of that pool allocated for the case (fx->h[]).
 * @pool2: a second pool likewise (fx->pool2), with @blocks2 (fx->h2[]).
 */
struct tcase {
	const char *name;
	enum result (*fn)(struct fx *fx);
	const void *arg;
	unsigned int needs;
	struct param param;
	struct pool_spec pool;
	u32 blocks;
	struct pool_spec pool2;
	u32 blocks2;
};

/* State shared by all cases, and each case's fixture. */
struct fx {
	int fd;			/* the main open file */
	int fd2;		/* a second open file of the same process */
	long page;
	unsigned char *edge;	/* a read-write page followed by @none */
	unsigned char *none;	/* a PROT_NONE page */
	unsigned char *ro;	/* a page made read-only after it is filled */
	unsigned int seq;	/* for unique pool names */
	bool cap_sys_admin;
	bool have_kernel_pool;
	u32 kernel_pool;
	int cpus[2];		/* two CPUs this process may run on, or -1 */
	const char *skip_reason;
	/* the running case and its fixture (struct tcase) */
	const struct tcase *tc;
	const void *arg;	/* tc->arg */
	u32 pool;		/* tc->pool made: its id (ids are not 0) */
	u32 *h;			/* tc->blocks handles of it */
	u32 pool2;		/* ...and of tc->pool2 */
	u32 *h2;
	bool param_set;		/* tc->param set: restore param_saved */
	u64 param_saved;
};

/* ---- checks: each says what differed, on which line ------------------------ */

bool want_ret(int line, const char *expr, int got, int want);
bool check_true(int line, const char *expr, bool ok);
bool check_u64(int line, const char *expr, u64 got, u64 want);

/* The call's return (0 or -errno) must be @err. */
#define WANT(expr, err)		want_ret(__LINE__, #expr, (expr), (err))
#define CHECK(cond)		check_true(__LINE__, #cond, (cond))
#define CHECK_EQ(expr, want)	check_u64(__LINE__, #expr, (expr), (want))

static inline enum result verdict(bool ok)
{
	return ok ? PASS : FAIL;
}

static inline enum result skip(struct fx *fx, const char *why)
{
	fx->skip_reason = why;
	return SKIP;
}

/* ---- helpers ---------------------------------------------------------------- */

void unique_name(struct fx *fx, char name[KPOOL_IOC_NAME_LEN]);
bool pool_new_spec(struct fx *fx, int fd, const struct pool_spec *s, u32 *id);
bool pool_new(struct fx *fx, int fd, u64 block_size, u32 *id);
/* STATS of pool @id through @fd; false (with a diagnostic) on error. */
bool stats_of(int fd, u32 id, struct kpool_ioc_stats *st);
/* blocks_in_use of pool @id as seen through @fd; UINT64_MAX on error. */
u64 in_use(int fd, u32 id);
bool pool_listed(int fd, u32 id);
/* Read or set kpool_dev's parameter @name; false if it cannot be. */
bool read_param(const char *name, u64 *v);
bool write_param(const char *name, u64 v);
/* Fill @len bytes with a pattern derived from @seed. */
void pattern(unsigned char *buf, size_t len, u32 seed);
/*
 * What the @n pools @ids of @fd pin by STATS (pages and metadata, into
 * *@held) and are charged (*@charged); false (with a diagnostic) if a
 * pool's charge does not cover what it holds.
 */
bool pinned_by(int fd, const u32 *ids, u32 n, long page, u64 *held,
	       u64 *charged);
/* Set the case's parameter (struct tcase.param) back to what it was. */
bool param_restore(struct fx *fx);
/* NULL if userfaultfd() serves kernel faults here, else why not. */
const char *uffd_unavailable(void);

/* ---- the case tables -------------------------------------------------------- */

/* kpool_conform_race.c: cases of threads, CPUs and faulting user pages. */
extern const struct tcase race_cases[];
extern const size_t nr_race_cases;

#endif /* KPOOL_CONFORM_H */
