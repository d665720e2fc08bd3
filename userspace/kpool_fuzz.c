// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_fuzz - seeded random ioctl sequences against /dev/kpool.
 *
 * Each iteration picks an open file and a command number (mostly valid
 * ones; also unknown numbers, other magics, other size and direction
 * bits), builds an argument struct with random and boundary values (sizes
 * 0, 1, first - 1, exact, + 8 with a zero or non-zero tail, 4096, 4097,
 * huge; pool ids and handles that are live, stale, of other files, of a
 * kernel pool or random; counts 0, 1, max, max + 1, UINT32_MAX; flags and
 * padding with random bits; offsets and lengths around the block size),
 * places it normally, misaligned, at the end of a page, in a read-only
 * page, or passes a NULL, unmapped, kernel or non-canonical pointer, and
 * issues the ioctl. Files are closed and reopened at random, so pools and
 * handles go stale and release() runs with blocks out. Pool sets get the
 * same treatment: SET_* commands with random sizes, spacings and reserves,
 * set ids and handles of pools and sets mixed up, READ/WRITE of set blocks.
 *
 * The fuzzer never hands the kernel a pointer to memory it cares about:
 * every pointer is into a per-thread arena followed by a PROT_NONE guard
 * page, into a read-only page, or invalid by construction. A few rules of
 * the ABI are checked on every call (unknown command -> ENOTTY, bad
 * argument pointer -> EFAULT, size below the first version -> EINVAL,
 * size above 4096 -> E2BIG, non-zero tail -> E2BIG), and errnos outside
 * the ABI's set are reported. At the end the device must still answer
 * VERSION and LIST, and after all files are closed none of the fuzzer's
 * pools may be left. Prints iterations, errno frequencies per command and
 * one KTAP result.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kpool_lib.h"

#define MAX_THREADS	16
#define NR_FILES	3		/* open files shared by all threads */
#define POOL_SLOTS	32		/* pool ids remembered per file */
#define HANDLE_SLOTS	512		/* handles remembered per file */
#define SLICE_SIZE	(1024u * 1024)	/* per-thread arena, then a guard page */
#define DATA_OFFSET	(64u * 1024)	/* where pointed-to buffers start */
#define ARG_AREA	(2 * 4096u)	/* arguments live in the first pages */
#define MAX_ERRNO	140
#define REOPEN_ONE_IN	20000		/* chance per iteration of a reopen */
#define STALL_SECONDS	120		/* no progress this long: hung */
#define MAX_REPORTS	10		/* ABI violations described in detail */
#define MAX_ARG_SIZE	4096u
#define RO_STRIDE	512		/* prebuilt structs in the read-only pages */
#define RO_PAGES	3
#define SET_SLOTS	16		/* set ids remembered per file */
/* handle_pools[] entries of set blocks: the set id with this bit */
#define SET_HANDLE	0x80000000u

enum cmd_index {
	CMD_VERSION, CMD_CREATE, CMD_DESTROY, CMD_ALLOC, CMD_FREE, CMD_WRITE,
	CMD_READ, CMD_SHRINK, CMD_STATS, CMD_LIST, CMD_INFO, CMD_FAULT,
	CMD_SET_CREATE, CMD_SET_DESTROY, CMD_SET_ALLOC, CMD_SET_FREE,
	CMD_SET_INFO, CMD_SET_LIST,
	NR_CMDS,
	CMD_BAD = NR_CMDS,	/* statistics slot of unknown numbers */
};

struct cmd {
	const char *name;
	unsigned long number;
	u32 size;		/* the size built against */
	u32 v1;			/* the first published size, if smaller */
};

static const struct cmd cmds[NR_CMDS] = {
	[CMD_VERSION] = { "VERSION", KPOOL_IOC_VERSION, sizeof(struct kpool_ioc_version) },
	[CMD_CREATE] = { "CREATE", KPOOL_IOC_CREATE, sizeof(struct kpool_ioc_create),
			 KP_V1_CREATE },
	[CMD_DESTROY] = { "DESTROY", KPOOL_IOC_DESTROY, sizeof(struct kpool_ioc_pool) },
	[CMD_ALLOC] = { "ALLOC", KPOOL_IOC_ALLOC, sizeof(struct kpool_ioc_alloc) },
	[CMD_FREE] = { "FREE", KPOOL_IOC_FREE, sizeof(struct kpool_ioc_free) },
	[CMD_WRITE] = { "WRITE", KPOOL_IOC_WRITE, sizeof(struct kpool_ioc_rw) },
	[CMD_READ] = { "READ", KPOOL_IOC_READ, sizeof(struct kpool_ioc_rw) },
	[CMD_SHRINK] = { "SHRINK", KPOOL_IOC_SHRINK, sizeof(struct kpool_ioc_pool) },
	[CMD_STATS] = { "STATS", KPOOL_IOC_STATS, sizeof(struct kpool_ioc_stats),
			KP_V1_STATS },
	[CMD_LIST] = { "LIST", KPOOL_IOC_LIST, sizeof(struct kpool_ioc_list) },
	[CMD_INFO] = { "INFO", KPOOL_IOC_INFO, sizeof(struct kpool_ioc_info) },
	[CMD_FAULT] = { "FAULT", KPOOL_IOC_FAULT, sizeof(struct kpool_ioc_fault) },
	[CMD_SET_CREATE] = { "SET_CREATE", KPOOL_IOC_SET_CREATE,
			     sizeof(struct kpool_ioc_set_create) },
	[CMD_SET_DESTROY] = { "SET_DESTROY", KPOOL_IOC_SET_DESTROY,
			      sizeof(struct kpool_ioc_set) },
	[CMD_SET_ALLOC] = { "SET_ALLOC", KPOOL_IOC_SET_ALLOC,
			    sizeof(struct kpool_ioc_set_alloc) },
	[CMD_SET_FREE] = { "SET_FREE", KPOOL_IOC_SET_FREE, sizeof(struct kpool_ioc_free) },
	[CMD_SET_INFO] = { "SET_INFO", KPOOL_IOC_SET_INFO,
			   sizeof(struct kpool_ioc_set_info), KP_V1_SET_INFO },
	[CMD_SET_LIST] = { "SET_LIST", KPOOL_IOC_SET_LIST, sizeof(struct kpool_ioc_list) },
};

/*
 * How often each valid command is picked, in parts of 1000 (they add up
 * to 1000). Pools must live long enough for blocks to be allocated, used
 * and freed; and a CREATE or DESTROY that succeeds costs a hundred cheap
 * calls on a debug kernel: both are picked rarely.
 */
static const u16 cmd_weights[NR_CMDS] = {
	[CMD_VERSION] = 60, [CMD_CREATE] = 12, [CMD_DESTROY] = 4,
	[CMD_ALLOC] = 150, [CMD_FREE] = 150, [CMD_WRITE] = 160,
	[CMD_READ] = 160, [CMD_SHRINK] = 10, [CMD_STATS] = 60,
	[CMD_LIST] = 30, [CMD_INFO] = 40, [CMD_FAULT] = 50,
	[CMD_SET_CREATE] = 6, [CMD_SET_DESTROY] = 3, [CMD_SET_ALLOC] = 45,
	[CMD_SET_FREE] = 45, [CMD_SET_INFO] = 10, [CMD_SET_LIST] = 5,
};

/* The errnos the ABI allows; anything else is reported. */
static const int allowed_errnos[] = {
	EINVAL, E2BIG, EFAULT, ENOENT, EPERM, ENOTTY, ENOMEM, ENOSPC, EEXIST,
	EBUSY,
};

struct options {
	u64 seed;
	u64 iterations;
	unsigned int seconds;
	unsigned int threads;
	const char *device;
};

/* An open file shared by the threads and what is known about it. */
struct file {
	/* read: an ioctl on @fd is in flight; write: close and reopen */
	pthread_rwlock_t lock;
	int fd;
	atomic_uint pool_ids[POOL_SLOTS];		/* live or stale */
	atomic_uint pool_sizes[POOL_SLOTS];	/* their block sizes */
	atomic_uint pool_cursor;
	atomic_uint handles[HANDLE_SLOTS];
	atomic_uint handle_pools[HANDLE_SLOTS];	/* or set | SET_HANDLE */
	atomic_uint handle_cursor;
	atomic_uint set_ids[SET_SLOTS];		/* live or stale */
	atomic_uint set_cursor;
};

struct fuzz {
	const struct options *opt;
	struct file files[NR_FILES];
	unsigned char *ro;		/* read-only pages of prebuilt structs */
	unsigned char *none;		/* a PROT_NONE page */
	bool have_kernel_pool;
	u32 kernel_pool;
	char prefix[16];		/* of every pool name that can be valid */
	atomic_ullong done;		/* iterations, all threads */
	atomic_bool stop;
	atomic_uint reports;
	atomic_ullong violations;
};

struct thread {
	struct fuzz *fz;
	unsigned int index;
	pthread_t pthread;
	u64 rng;
	unsigned char *slice;		/* SLICE_SIZE bytes, guard page after */
	u32 name_seq;
	u64 reopens;
	u64 counts[NR_CMDS + 1][MAX_ERRNO + 1];
	double seconds[NR_CMDS + 1];	/* spent in the calls */
};

/* How one call was built, for the ABI checks and the bookkeeping. */
struct call {
	unsigned int cmd;	/* CMD_BAD for an unknown number */
	unsigned long number;
	void *arg;
	bool readable;		/* @arg points to mapped memory */
	bool in_slice;		/* ... writable, in this thread's arena */
	bool tail_mapped;	/* all @size bytes are mapped */
	bool tail_nonzero;	/* bytes past the first size are not all 0 */
	u32 size;
	u32 built;		/* bytes written at @arg, to clear after */
};

/* ---- randomness helpers --------------------------------------------------- */

static inline u32 rnd(struct thread *t, u32 n)
{
	return kp_rand_below(&t->rng, n);
}

/* True with probability @percent %. */
static inline bool chance(struct thread *t, u32 percent)
{
	return rnd(t, 100) < percent;
}

static inline u64 rnd64(struct thread *t)
{
	return kp_rand(&t->rng);
}

/* A value from @vals, or with probability 1/(n+1) a random one. */
static u64 pick_u64(struct thread *t, const u64 *vals, u32 n)
{
	u32 i = rnd(t, n + 1);

	return i < n ? vals[i] : rnd64(t) >> rnd(t, 64);
}

/*
 * A count: mostly small, often a boundary; the full batch only now and
 * then, as thousands of blocks per call would make every call slow.
 */
static u32 pick_count(struct thread *t)
{
	static const u64 vals[] = {
		0, 1, 2, 3, 8, 16, 64, KPOOL_IOC_MAX_BATCH + 1, UINT32_MAX,
		1u << 31, 1u << 16,
	};

	if (!rnd(t, 2000))
		return KPOOL_IOC_MAX_BATCH;
	return (u32)pick_u64(t, vals, ARRAY_SIZE(vals));
}

/* Mostly 0; sometimes random bits. */
static u32 pick_flags(struct thread *t)
{
	if (chance(t, 90))
		return 0;
	return chance(t, 50) ? 1u << rnd(t, 32) : (u32)rnd64(t);
}

/* ---- pointers ---------------------------------------------------------------- */

enum ptr_kind {
	PTR_VALID, PTR_NULL, PTR_UNMAPPED, PTR_MISALIGNED, PTR_READ_ONLY,
	PTR_PAGE_END, PTR_KERNEL, PTR_NONCANONICAL,
};

/*
 * A pointer for an embedded field: into the data part of the arena (valid
 * or misaligned), right before the guard page, or bad by construction.
 * Whatever the kernel writes through it lands in the arena or faults.
 */
static u64 pick_ptr(struct thread *t, void *valid)
{
	u32 r = rnd(t, 100);

	if (r < 90)
		return (uintptr_t)valid;
	switch ((enum ptr_kind)(r % 8)) {
	case PTR_NULL:
		return 0;
	case PTR_UNMAPPED:
		return (uintptr_t)t->fz->none + rnd(t, 4096);
	case PTR_MISALIGNED:
		return (uintptr_t)valid + 1 + rnd(t, 7);
	case PTR_READ_ONLY:
		return (uintptr_t)t->fz->ro;
	case PTR_PAGE_END:
		return (uintptr_t)t->slice + SLICE_SIZE - 1 - rnd(t, 64);
	case PTR_KERNEL:
		return 0xffff800000000000ULL | (rnd64(t) & 0x00007ffffffffff8ULL);
	case PTR_NONCANONICAL:
		return 0x0000800000000000ULL | (rnd64(t) & 0x00007ffffffff000ULL);
	default:
		return (uintptr_t)valid;
	}
}

/* ---- what the files hold ------------------------------------------------------ */

static void remember_pool(struct file *f, u32 id, u32 block_size)
{
	u32 i = atomic_fetch_add_explicit(&f->pool_cursor, 1,
					       memory_order_relaxed) % POOL_SLOTS;

	atomic_store_explicit(&f->pool_ids[i], id, memory_order_relaxed);
	atomic_store_explicit(&f->pool_sizes[i], block_size, memory_order_relaxed);
}

static void remember_handles(struct file *f, u32 pool, const u32 *h,
			     u32 n)
{
	u32 i, slot;

	for (i = 0; i < n; i++) {
		slot = atomic_fetch_add_explicit(&f->handle_cursor, 1,
						 memory_order_relaxed) % HANDLE_SLOTS;
		atomic_store_explicit(&f->handles[slot], h[i], memory_order_relaxed);
		atomic_store_explicit(&f->handle_pools[slot], pool, memory_order_relaxed);
	}
}

static u32 pick_pool(struct thread *t, struct file *f, u32 *block_size);

static void remember_set(struct file *f, u32 id)
{
	u32 i = atomic_fetch_add_explicit(&f->set_cursor, 1,
					       memory_order_relaxed) % SET_SLOTS;

	atomic_store_explicit(&f->set_ids[i], id, memory_order_relaxed);
}

/* A set id: of this file (maybe stale), another file's, a pool's, odd. */
static u32 pick_set(struct thread *t, struct file *f)
{
	struct file *other = &t->fz->files[rnd(t, NR_FILES)];
	u32 cursor = atomic_load_explicit(&f->set_cursor, memory_order_relaxed);
	u32 r = rnd(t, 100), bs;
	u32 slot = chance(t, 80) ? (cursor + SET_SLOTS - 1 - rnd(t, 4)) % SET_SLOTS :
		   rnd(t, SET_SLOTS);

	if (r < 80)
		return atomic_load_explicit(&f->set_ids[slot], memory_order_relaxed);
	if (r < 88)
		return atomic_load_explicit(&other->set_ids[slot], memory_order_relaxed);
	if (r < 94)
		return pick_pool(t, f, &bs);
	return r & 1 ? 0 : (u32)rnd64(t) >> rnd(t, 32);
}

/* A slot of @f's pool table: mostly one of the most recent pools. */
static u32 pick_pool_slot(struct thread *t, struct file *f)
{
	u32 cursor = atomic_load_explicit(&f->pool_cursor, memory_order_relaxed);

	if (chance(t, 80))
		return (cursor + POOL_SLOTS - 1 - rnd(t, 6)) % POOL_SLOTS;
	return rnd(t, POOL_SLOTS);
}

/* A pool id: of this file (maybe stale), another file's, the kernel's, odd. */
static u32 pick_pool(struct thread *t, struct file *f, u32 *block_size)
{
	struct file *other = &t->fz->files[rnd(t, NR_FILES)];
	u32 r = rnd(t, 100), slot = pick_pool_slot(t, f);

	*block_size = 64;
	if (r < 75 || (r < 85 && other == f)) {
		*block_size = atomic_load_explicit(&f->pool_sizes[slot], memory_order_relaxed);
		return atomic_load_explicit(&f->pool_ids[slot], memory_order_relaxed);
	}
	if (r < 85)
		return atomic_load_explicit(&other->pool_ids[slot], memory_order_relaxed);
	if (r < 90 && t->fz->have_kernel_pool)
		return t->fz->kernel_pool;
	if (r < 95)
		return r & 1 ? 0 : UINT32_MAX;
	return (u32)rnd64(t) >> rnd(t, 32);
}

/* A handle and, through @pool, the pool it was allocated from. */
static u32 pick_handle(struct thread *t, struct file *f, u32 *pool)
{
	u32 cursor = atomic_load_explicit(&f->handle_cursor, memory_order_relaxed);
	u32 slot = chance(t, 70) ?
		(cursor + HANDLE_SLOTS - 1 - rnd(t, 64)) % HANDLE_SLOTS :
		rnd(t, HANDLE_SLOTS);

	*pool = atomic_load_explicit(&f->handle_pools[slot], memory_order_relaxed);
	if (chance(t, 90))
		return atomic_load_explicit(&f->handles[slot], memory_order_relaxed);
	return chance(t, 50) ? 0 : (u32)rnd64(t) >> rnd(t, 32);
}

/* ---- building each command's argument ------------------------------------------ */

static void *data_area(struct thread *t)
{
	return t->slice + DATA_OFFSET;
}

static void build_name(struct thread *t, char name[KPOOL_IOC_NAME_LEN])
{
	u32 r = rnd(t, 100), i, len;

	memset(name, 0, KPOOL_IOC_NAME_LEN);
	if (r < 70) {		/* unique and valid */
		snprintf(name, KPOOL_IOC_NAME_LEN, "%s%u-%u", t->fz->prefix,
			 t->index, t->name_seq++);
	} else if (r < 80) {	/* a few shared names: EEXIST */
		snprintf(name, KPOOL_IOC_NAME_LEN, "%sdup%u", t->fz->prefix, r % 4);
	} else if (r < 85) {	/* no terminating NUL */
		memset(name, 'x', KPOOL_IOC_NAME_LEN);
	} else if (r < 90) {	/* empty, or a leading dot */
		if (r & 1)
			snprintf(name, KPOOL_IOC_NAME_LEN, ".%s", t->fz->prefix);
	} else {		/* the prefix, then random bytes */
		len = (u32)strlen(t->fz->prefix);
		memcpy(name, t->fz->prefix, len);
		for (i = len; i < KPOOL_IOC_NAME_LEN - 1 - rnd(t, 8); i++)
			name[i] = (char)(1 + rnd(t, 255));
	}
}

static void build_create(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_create *c = arg;
	static const u64 sizes[] = {
		8, 16, 24, 64, 64, 100, 512, 4096, 9000, 8, 64, 200, 65536,
		262145, 0, 1, 7, 1ULL << 40, UINT64_MAX,
	};
	static const u64 aligns[] = {
		0, 0, 0, 0, 8, 64, 4096, 8192, 3, 1ULL << 63,
	};
	/*
	 * Reserves and caps: small ones, and ones past every file's limit
	 * (a reserve just under the limit takes seconds to build and tear
	 * down on a debug kernel, and proves nothing the small ones do not).
	 */
	static const u64 reserves[] = { 0, 0, 0, 0, 1, 16, 100, 1u << 24, UINT32_MAX };
	static const u64 orders[] = {
		(u32)KPOOL_IOC_ORDER_AUTO, (u32)KPOOL_IOC_ORDER_AUTO,
		(u32)KPOOL_IOC_ORDER_AUTO, 0, 1, 3, 7, 8, 31, (u32)-2,
	};

	(void)f;	/* builders[] gives every builder the file */
	c->flags = chance(t, 80) ? 0 : chance(t, 50) ? KPOOL_IOC_F_DEBUG : pick_flags(t);
	/* the largest blocks are rare: every READ/WRITE of one copies 256 KiB */
	c->block_size = rnd(t, 100) ? pick_u64(t, sizes, ARRAY_SIZE(sizes)) : 262144;
	c->align = pick_u64(t, aligns, ARRAY_SIZE(aligns));
	c->min_blocks = (u32)pick_u64(t, reserves, ARRAY_SIZE(reserves));
	c->max_blocks = (u32)pick_u64(t, reserves, ARRAY_SIZE(reserves));
	c->order = (s32)pick_u64(t, orders, ARRAY_SIZE(orders));
	c->pool_id = (u32)rnd64(t);	/* output only */
	build_name(t, c->name);
}

static void build_alloc(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_alloc *a = arg;
	u32 bs;

	a->pool_id = pick_pool(t, f, &bs);
	a->count = chance(t, 75) ? 1 + rnd(t, 4) : pick_count(t);
	a->flags = pick_flags(t);
	/* a bad pointer costs an allocation and its undoing: not too often */
	a->handles = chance(t, 50) ? (uintptr_t)data_area(t) : pick_ptr(t, data_area(t));
}

static void build_free(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_free *fr = arg;
	u32 *h = data_area(t), n, i, pool, ignored;

	h[0] = pick_handle(t, f, &pool);
	fr->pool_id = chance(t, 85) ? pool : pick_pool(t, f, &ignored);
	fr->count = chance(t, 50) ? 1 : chance(t, 70) ? 2 + rnd(t, 7) : pick_count(t);
	n = fr->count < 64 ? fr->count : 64;
	for (i = 1; i < n; i++)
		h[i] = pick_handle(t, f, &ignored);
	fr->flags = pick_flags(t);
	fr->handles = pick_ptr(t, h);
	fr->status = chance(t, 50) ? 0 : pick_ptr(t, (char *)h + 32768);
	fr->freed = (u32)rnd64(t);		/* output only */
	fr->pad = chance(t, 95) ? 0 : (u32)rnd64(t) | 1;
}

static void build_rw(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_rw *rw = arg;
	static const u64 huge[] = { UINT64_MAX, 1ULL << 32, 1ULL << 63 };
	u32 pool, bs = 64, slot;

	rw->handle = pick_handle(t, f, &pool);
	rw->flags = pick_flags(t);
	if (pool & SET_HANDLE && chance(t, 90)) {
		/* a set block: its set, mostly; sizes up to a page */
		rw->pool_id = chance(t, 85) ? pool & ~SET_HANDLE : pick_set(t, f);
		rw->flags = chance(t, 90) ? KPOOL_IOC_RW_F_SET : rw->flags;
		bs = 8u << rnd(t, 10);
	} else {
		/* the handle's pool, whose block size is known if remembered */
		rw->pool_id = chance(t, 85) ? pool : pick_pool(t, f, &bs);
	}
	for (slot = 0; slot < POOL_SLOTS; slot++) {
		if (atomic_load_explicit(&f->pool_ids[slot], memory_order_relaxed) == rw->pool_id) {
			bs = atomic_load_explicit(&f->pool_sizes[slot], memory_order_relaxed);
			break;
		}
	}
	if (bs > 262144)
		bs = 262144;
	switch (rnd(t, 6)) {
	case 0:
		rw->offset = 0;
		rw->len = bs;
		break;
	case 1:
		rw->offset = rnd(t, bs + 1);
		rw->len = rnd(t, bs - rw->offset + 1);
		break;
	case 2:
		rw->offset = bs;
		rw->len = rnd(t, 2);
		break;
	case 3:
		rw->offset = rnd(t, bs + 1);
		rw->len = bs - rw->offset + 1;
		break;
	case 4:
		rw->offset = huge[rnd(t, ARRAY_SIZE(huge))];
		rw->len = rnd(t, 3);
		break;
	default:
		rw->offset = rnd(t, 2);
		rw->len = huge[rnd(t, ARRAY_SIZE(huge))];
		break;
	}
	rw->buf = pick_ptr(t, data_area(t));
}

static void build_list(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_list *l = arg;
	static const u64 entry_sizes[] = {
		64, 64, 64, 64, 0, 63, 65, 128, 4096, 4097,
	};

	(void)f;	/* builders[] gives every builder the file */
	l->count = chance(t, 60) ? rnd(t, 16) : pick_count(t);
	l->entry_size = (u32)pick_u64(t, entry_sizes, ARRAY_SIZE(entry_sizes));
	l->pad = chance(t, 95) ? 0 : (u32)rnd64(t) | 1;
	l->entries = pick_ptr(t, data_area(t));
}

static void build_info(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_info *in = arg;
	u32 bs;

	in->pool_id = pick_pool(t, f, &bs);
	in->nr_chunks = chance(t, 60) ? rnd(t, 64) : pick_count(t);
	in->blocks_per_chunk = (u32)rnd64(t);	/* output only */
	in->map = pick_ptr(t, data_area(t));
}

static void build_fault(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_fault *fa = arg;
	static const u64 ppms[] = { 0, 0, 0, 1, 1000, 500000, 1000000, 1000001 };
	u32 bs;

	fa->pool_id = pick_pool(t, f, &bs);
	/* mostly off: failing growth everywhere would starve everything else */
	fa->every_nth = chance(t, 70) ? 0 : rnd(t, 10);
	fa->probability_ppm = (u32)pick_u64(t, ppms, ARRAY_SIZE(ppms));
}

static void build_set_create(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_set_create *c = arg;
	static const u64 mins[] = { 1, 1, 8, 100, 4096, 0, 65536, UINT64_MAX };
	static const u64 maxs[] = {
		64, 256, 1024, 4096, 4096, 65536, 65537, 0, 7, UINT64_MAX,
	};
	static const u64 aligns[] = { 0, 0, 0, 8, 64, 4096, 3, 8192, 1ULL << 40 };
	static const u64 spacings[] = { 0, 0, 1, 4, 8, 16, 3, 32, UINT32_MAX };
	/* reserves past every file's limit, small ones, none mostly */
	static const u64 reserves[] = { 0, 0, 0, 0, 0, 1, 4, 1u << 20, UINT32_MAX };

	(void)f;	/* builders[] gives every builder the file */
	c->set_id = (u32)rnd64(t);	/* output only */
	build_name(t, c->name);
	if (chance(t, 40)) {	/* a valid set, so that sets live */
		c->min_size = 1;
		c->max_size = 4096;
		return;
	}
	c->flags = chance(t, 85) ? 0 : chance(t, 50) ? KPOOL_IOC_F_DEBUG : pick_flags(t);
	c->min_size = pick_u64(t, mins, ARRAY_SIZE(mins));
	c->max_size = pick_u64(t, maxs, ARRAY_SIZE(maxs));
	c->align = pick_u64(t, aligns, ARRAY_SIZE(aligns));
	c->classes_per_doubling = (u32)pick_u64(t, spacings, ARRAY_SIZE(spacings));
	c->min_blocks = (u32)pick_u64(t, reserves, ARRAY_SIZE(reserves));
	c->max_blocks = (u32)pick_u64(t, reserves, ARRAY_SIZE(reserves));
}

static void build_set_alloc(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_set_alloc *a = arg;
	static const u64 sizes[] = { 1, 8, 9, 64, 100, 1000, 4096, 0, 65537, UINT64_MAX };

	a->set_id = pick_set(t, f);
	a->bytes = chance(t, 60) ? 1 + rnd(t, 4096) : pick_u64(t, sizes, ARRAY_SIZE(sizes));
	a->count = chance(t, 75) ? 1 + rnd(t, 4) : pick_count(t);
	a->flags = pick_flags(t);
	a->handles = chance(t, 50) ? (uintptr_t)data_area(t) : pick_ptr(t, data_area(t));
	a->block_size = rnd64(t);	/* output only */
}

/* SET_FREE: FREE's builder, with the set of the first handle if any. */
static void build_set_free(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_free *fr = arg;

	build_free(t, f, fr);
	if (fr->pool_id & SET_HANDLE)
		fr->pool_id &= ~SET_HANDLE;
	else if (chance(t, 50))
		fr->pool_id = pick_set(t, f);
}

static void build_set_info(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_set_info *in = arg;
	static const u64 class_sizes[] = { 64, 64, 64, 0, 63, 65, 128, 4096, 4097 };

	in->set_id = pick_set(t, f);
	in->nr_classes = chance(t, 60) ? rnd(t, 130) : pick_count(t);
	in->class_size = (u32)pick_u64(t, class_sizes, ARRAY_SIZE(class_sizes));
	in->classes = pick_ptr(t, data_area(t));
	in->allocs = rnd64(t);		/* output only */
}

static void build_pool(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_pool *p = arg;
	u32 bs;

	p->pool_id = pick_pool(t, f, &bs);
	p->result = rnd64(t);
}

static void build_stats(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_stats *st = arg;
	u32 bs;

	st->pool_id = pick_pool(t, f, &bs);
}

static void build_set(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_set *s = arg;

	s->set_id = pick_set(t, f);
}

static void build_set_list(struct thread *t, struct file *f, void *arg)
{
	struct kpool_ioc_list *l = arg;

	build_list(t, f, l);
	l->entry_size += 8;	/* 72 */
}

/* Random fields for each command's struct (VERSION: nothing but the size). */
static void (*const builders[NR_CMDS])(struct thread *t, struct file *f,
				       void *arg) = {
	[CMD_CREATE] = build_create,
	[CMD_DESTROY] = build_pool,
	[CMD_ALLOC] = build_alloc,
	[CMD_FREE] = build_free,
	[CMD_WRITE] = build_rw,
	[CMD_READ] = build_rw,
	[CMD_SHRINK] = build_pool,
	[CMD_STATS] = build_stats,
	[CMD_LIST] = build_list,
	[CMD_INFO] = build_info,
	[CMD_FAULT] = build_fault,
	[CMD_SET_CREATE] = build_set_create,
	[CMD_SET_DESTROY] = build_set,
	[CMD_SET_ALLOC] = build_set_alloc,
	[CMD_SET_FREE] = build_set_free,
	[CMD_SET_INFO] = build_set_info,
	[CMD_SET_LIST] = build_set_list,
};

/* The struct of command @cmd with random fields, its size set to exact. */
static void build_struct(struct thread *t, struct file *f, unsigned int cmd,
			 void *buf)
{
	if (builders[cmd])
		builders[cmd](t, f, buf);
	memcpy(buf, &cmds[cmd].size, sizeof(u32));
}

/* A command by cmd_weights[]. */
static unsigned int pick_cmd(struct thread *t)
{
	u32 r = rnd(t, 1000);
	unsigned int i;

	for (i = 0; i < NR_CMDS - 1 && r >= cmd_weights[i]; i++)
		r -= cmd_weights[i];
	return i;
}

/* An unknown number: another magic, or a number past the last command. */
static unsigned long bad_number(struct thread *t)
{
	unsigned int type = rnd(t, 256), nr = rnd(t, 256);

	if (chance(t, 50) || type == KPOOL_IOC_MAGIC)
		return _IOC(rnd(t, 4), KPOOL_IOC_MAGIC, NR_CMDS + rnd(t, 256 - NR_CMDS),
			    rnd(t, 1 << _IOC_SIZEBITS));
	return _IOC(rnd(t, 4), type, nr, rnd(t, 1 << _IOC_SIZEBITS));
}

/* The command's number, sometimes with other direction and size bits. */
static unsigned long valid_number(struct thread *t, unsigned int cmd)
{
	if (chance(t, 90))
		return cmds[cmd].number;
	return _IOC(rnd(t, 4), KPOOL_IOC_MAGIC, _IOC_NR(cmds[cmd].number),
		    rnd(t, 1 << _IOC_SIZEBITS));
}

static u32 pick_size(struct thread *t, u32 first, bool *tail_nonzero)
{
	*tail_nonzero = false;
	switch (rnd(t, 24)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return first - 1;
	case 3:
		return first + 8;
	case 4:
		*tail_nonzero = true;
		return first + 8;
	case 5:
		return MAX_ARG_SIZE;
	case 6:
		return MAX_ARG_SIZE + 1;
	case 7:
		return UINT32_MAX;
	case 8:
		return first + rnd(t, MAX_ARG_SIZE - first + 1);
	default:
		return first;
	}
}

/*
 * Build the call: number, struct, size, and where the struct lives. The
 * arena's argument pages are all zero outside @c->built bytes.
 */
static void build_call(struct thread *t, struct file *f, struct call *c)
{
	unsigned char tmp[sizeof(struct kpool_ioc_stats) + 16] = { 0 };
	u32 first, len, r;
	unsigned char *at;

	memset(c, 0, sizeof(*c));
	if (chance(t, 3)) {
		c->cmd = CMD_BAD;
		c->number = bad_number(t);
		c->arg = t->slice;
		c->readable = true;
		c->in_slice = true;
		return;
	}
	c->cmd = pick_cmd(t);
	c->number = valid_number(t, c->cmd);
	first = cmds[c->cmd].size;
	r = rnd(t, 100);
	if (r < 3) {			/* bad pointers to the struct itself */
		c->arg = (void *)(uintptr_t)(r == 0 ? 0 : r == 1 ?
			 (uintptr_t)t->fz->none :
			 0xffff888000000000ULL + (rnd64(t) & 0xfffff000));
		return;
	}
	if (r < 6) {			/* a prebuilt struct in a read-only page */
		c->arg = t->fz->ro + c->cmd * RO_STRIDE;
		c->readable = true;
		c->tail_mapped = true;
		c->size = first;
		return;
	}
	build_struct(t, f, c->cmd, tmp);
	c->size = pick_size(t, first, &c->tail_nonzero);
	memcpy(tmp, &c->size, sizeof(c->size));
	len = first;
	if (c->size > first && c->size <= first + 8)
		len = c->size;
	if (c->tail_nonzero)
		tmp[first + rnd(t, 8)] = (unsigned char)(1 + rnd(t, 255));
	if (r < 12) {			/* ending at the guard page */
		at = t->slice + SLICE_SIZE - len;
		c->tail_mapped = c->size <= len;
	} else {			/* in the argument pages, maybe misaligned */
		at = t->slice + (r < 20 ? 1 + rnd(t, 7) : 0);
		c->tail_mapped = true;
	}
	memcpy(at, tmp, len);
	c->arg = at;
	c->built = len;
	c->readable = true;
	c->in_slice = true;
}

/* ---- checks and bookkeeping ------------------------------------------------------ */

static __printf(2, 3) void violation(struct thread *t, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	atomic_fetch_add(&t->fz->violations, 1);
	if (atomic_fetch_add(&t->fz->reports, 1) >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ktap_diag("VIOLATION: %s", text);
}

static bool errno_allowed(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(allowed_errnos); i++)
		if (allowed_errnos[i] == err)
			return true;
	return false;
}

/* The ABI's rules that follow from the number, the pointer and the size. */
static void check_abi(struct thread *t, const struct call *c, int ret)
{
	const char *name = c->cmd == CMD_BAD ? "bad number" : cmds[c->cmd].name;
	int want = 1;	/* no prediction */

	if (c->cmd == CMD_BAD)
		want = -ENOTTY;
	else if (!c->readable)
		want = -EFAULT;
	else if (c->size < (cmds[c->cmd].v1 ? cmds[c->cmd].v1 : cmds[c->cmd].size))
		want = -EINVAL;
	else if (c->size < cmds[c->cmd].size)
		want = 1;	/* an older struct: accepted as far as the ABI goes */
	else if (c->size > MAX_ARG_SIZE)
		want = -E2BIG;
	else if (c->tail_nonzero && c->tail_mapped)
		want = -E2BIG;
	if (want != 1 && ret != want)
		violation(t, "%s (nr 0x%lx, size %u): %s, expected %s",
			  name, c->number, c->size, kp_errname(ret), kp_errname(want));
	if (ret && !errno_allowed(-ret))
		violation(t, "%s (nr 0x%lx, size %u): errno %s is not in the ABI",
			  name, c->number, c->size, kp_errname(ret));
}

/* Learn pools and handles from calls that succeeded. */
static void learn(struct thread *t, struct file *f, const struct call *c)
{
	struct kpool_ioc_set_create sc;
	struct kpool_ioc_set_alloc sa;
	struct kpool_ioc_create cr;
	struct kpool_ioc_alloc a;

	if (!c->in_slice)
		return;
	if (c->cmd == CMD_CREATE) {
		memcpy(&cr, c->arg, sizeof(cr));
		remember_pool(f, cr.pool_id, (u32)cr.block_size);
	} else if (c->cmd == CMD_ALLOC) {
		memcpy(&a, c->arg, sizeof(a));
		if (a.handles == (uintptr_t)data_area(t) && a.count <= 64)
			remember_handles(f, a.pool_id, data_area(t), a.count);
	} else if (c->cmd == CMD_SET_CREATE) {
		memcpy(&sc, c->arg, sizeof(sc));
		remember_set(f, sc.set_id);
	} else if (c->cmd == CMD_SET_ALLOC) {
		memcpy(&sa, c->arg, sizeof(sa));
		if (sa.handles == (uintptr_t)data_area(t) && sa.count <= 64)
			remember_handles(f, sa.set_id | SET_HANDLE, data_area(t),
					 sa.count);
	}
}

static int reopen(struct thread *t, struct file *f)
{
	int fd = kp_open(t->fz->opt->device);

	pthread_rwlock_wrlock(&f->lock);
	close(f->fd);
	f->fd = fd;
	pthread_rwlock_unlock(&f->lock);
	t->reopens++;
	return fd;
}

static void *thread_main(void *arg)
{
	struct thread *t = arg;
	struct fuzz *fz = t->fz;
	struct call c;
	struct file *f;
	double start;
	int ret, slot;

	while (!atomic_load_explicit(&fz->stop, memory_order_relaxed)) {
		if (atomic_fetch_add_explicit(&fz->done, 1, memory_order_relaxed) >=
		    fz->opt->iterations)
			break;
		f = &fz->files[rnd(t, NR_FILES)];
		if (!rnd(t, REOPEN_ONE_IN) && reopen(t, f) < 0) {
			violation(t, "reopen failed");
			break;
		}
		pthread_rwlock_rdlock(&f->lock);
		build_call(t, f, &c);
		start = kp_now();
		ret = kp_ioctl(f->fd, c.number, c.arg);
		t->seconds[c.cmd] += kp_now() - start;
		if (!ret)
			learn(t, f, &c);
		pthread_rwlock_unlock(&f->lock);
		check_abi(t, &c, ret);
		slot = -ret > MAX_ERRNO ? MAX_ERRNO : -ret;
		t->counts[c.cmd][slot]++;
		if (c.built)
			memset(c.arg, 0, c.built);
	}
	return NULL;
}

/* ---- setup ----------------------------------------------------------------------- */

/* Prebuilt structs (size = first size) for the read-only page. */
static_assert(NR_CMDS * RO_STRIDE <= RO_PAGES * 4096 &&
	      sizeof(struct kpool_ioc_stats) <= RO_STRIDE,
	      "the prebuilt structs must fit the read-only page");

static void fill_read_only_page(struct fuzz *fz, unsigned char *page)
{
	struct kpool_ioc_create *c = (void *)(page + CMD_CREATE * RO_STRIDE);
	struct kpool_ioc_list *l = (void *)(page + CMD_LIST * RO_STRIDE);
	unsigned int i;

	for (i = 0; i < NR_CMDS; i++)
		memcpy(page + i * RO_STRIDE, &cmds[i].size, sizeof(u32));
	/* a valid CREATE: the pool must be undone when the copy-out faults */
	c->block_size = 64;
	c->order = KPOOL_IOC_ORDER_AUTO;
	snprintf(c->name, sizeof(c->name), "%sro", fz->prefix);
	l->entry_size = sizeof(struct kpool_ioc_pool_entry);
}

static bool map_memory(struct fuzz *fz, struct thread *threads, unsigned int n)
{
	size_t page = sysconf(_SC_PAGESIZE), slice = SLICE_SIZE + page;
	unsigned char *m;
	unsigned int i;

	m = mmap(NULL, (RO_PAGES + 1) * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return false;
	fz->ro = m;
	fz->none = m + RO_PAGES * page;
	fill_read_only_page(fz, fz->ro);
	if (mprotect(fz->ro, RO_PAGES * page, PROT_READ) ||
	    mprotect(fz->none, page, PROT_NONE))
		return false;
	m = mmap(NULL, n * slice, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return false;
	for (i = 0; i < n; i++) {
		threads[i].slice = m + i * slice;
		if (mprotect(threads[i].slice + SLICE_SIZE, page, PROT_NONE))
			return false;
	}
	return true;
}

static void find_kernel_pool(struct fuzz *fz, int fd)
{
	struct kpool_ioc_pool_entry *e;
	u32 n, i;

	if (kp_list(fd, &e, &n))
		return;
	for (i = 0; i < n; i++) {
		if (e[i].owner == KPOOL_OWNER_KERNEL) {
			fz->kernel_pool = e[i].pool_id;
			fz->have_kernel_pool = true;
		}
	}
	free(e);
}

static bool open_files(struct fuzz *fz)
{
	unsigned int i, j;

	for (i = 0; i < NR_FILES; i++) {
		struct file *f = &fz->files[i];

		pthread_rwlock_init(&f->lock, NULL);
		f->fd = kp_open(fz->opt->device);
		if (f->fd < 0) {
			ktap_diag("cannot open %s: %s",
				  fz->opt->device ? fz->opt->device : KP_DEFAULT_DEVICE,
				  kp_strerror(f->fd));
			return false;
		}
		for (j = 0; j < POOL_SLOTS; j++)
			f->pool_sizes[j] = 64;
	}
	find_kernel_pool(fz, fz->files[0].fd);
	return true;
}

/* ---- the end: summary and the device's health ---------------------------------------- */

static void print_summary(const struct thread *threads, unsigned int n)
{
	static u64 total[NR_CMDS + 1][MAX_ERRNO + 1];
	u64 all[MAX_ERRNO + 1] = { 0 }, calls, sum = 0;
	double secs[NR_CMDS + 1] = { 0 };
	unsigned int i, c, e;

	for (i = 0; i < n; i++) {
		for (c = 0; c <= NR_CMDS; c++) {
			secs[c] += threads[i].seconds[c];
			for (e = 0; e <= MAX_ERRNO; e++)
				total[c][e] += threads[i].counts[c][e];
		}
	}
	printf("# command      calls  us/call: results\n");
	for (c = 0; c <= NR_CMDS; c++) {
		calls = 0;
		for (e = 0; e <= MAX_ERRNO; e++) {
			calls += total[c][e];
			all[e] += total[c][e];
		}
		printf("# %-10s %9llu %7.1f:", c == CMD_BAD ? "bad nr" : cmds[c].name,
		       calls, calls ? 1e6 * secs[c] / (double)calls : 0.0);
		for (e = 0; e <= MAX_ERRNO; e++)
			if (total[c][e])
				printf(" %s %llu", e == MAX_ERRNO ? "other" :
				       kp_errname(e), total[c][e]);
		putchar('\n');
	}
	for (e = 0; e <= MAX_ERRNO; e++)
		sum += all[e];
	printf("# errno frequencies over %llu calls:\n", sum);
	for (e = 0; e <= MAX_ERRNO; e++)
		if (all[e])
			printf("#   %-8s %10llu  %5.1f%%\n",
			       e == MAX_ERRNO ? "other" : kp_errname(e), all[e],
			       100.0 * (double)all[e] / (double)(sum ? sum : 1));
}

/*
 * After every file is closed: VERSION, LIST, and none of our pools left
 * (every name the fuzzer gives that can be valid starts with its prefix).
 */
static bool device_healthy(struct fuzz *fz)
{
	struct kpool_ioc_pool_entry *e;
	char name[KPOOL_IOC_NAME_LEN + 1];
	struct kpool_ioc_version v;
	bool ok = true;
	u32 n, i;
	int fd, ret;

	for (i = 0; i < NR_FILES; i++)
		close(fz->files[i].fd);
	fd = kp_open(fz->opt->device);
	if (fd < 0) {
		ktap_diag("reopen after the run: %s", kp_strerror(fd));
		return false;
	}
	ret = kp_version(fd, &v);
	if (ret || v.abi_version != KPOOL_ABI_VERSION) {
		ktap_diag("VERSION after the run: %s, ABI %u", kp_errname(ret),
			  v.abi_version);
		ok = false;
	}
	ret = kp_list(fd, &e, &n);
	if (ret) {
		ktap_diag("LIST after the run: %s", kp_errname(ret));
		close(fd);
		return false;
	}
	for (i = 0; i < n; i++) {
		kp_name(name, e[i].name);
		if (!strncmp(name, fz->prefix, strlen(fz->prefix))) {
			ktap_diag("pool %u (%s) left behind", e[i].pool_id, name);
			ok = false;
		}
	}
	free(e);
	close(fd);
	return ok;
}

static void print_help(FILE *f)
{
	fprintf(f,
		"Usage: kpool_fuzz [--seed X] [--iterations N] [--seconds S] [--threads T]\n"
		"                  [--device PATH]\n"
		"\n"
		"Random ioctls against /dev/kpool until N iterations (default 100000)\n"
		"or S seconds (default 300) are done, by T threads (default 2) sharing\n"
		"%d open files. Prints the errno frequencies and one KTAP result:\n"
		"ok if no ABI rule was broken and the device still works. Exit 0 on\n"
		"success, 1 on failure, 2 on a usage error, 3 without a device.\n",
		NR_FILES);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	const struct kp_option opts[] = {
		{ "seed", 's', .u64 = &o->seed },
		{ "iterations", 'n', .u64 = &o->iterations },
		{ "seconds", 't', .u32 = &o->seconds, .max = 7 * 86400 },
		{ "threads", 'T', .u32 = &o->threads, .max = MAX_THREADS,
		  .nonzero = true },
		{ "device", 'd', .str = &o->device },
	};

	return kp_parse_options("kpool_fuzz", argc, argv, opts, ARRAY_SIZE(opts),
				print_help);
}

/* Until the iterations or the time are used up; false if a call hangs. */
static bool wait_until_done(struct fuzz *fz, double start)
{
	u64 last = 0, now_done;
	double last_progress = start;

	for (;;) {
		usleep(100000);
		now_done = atomic_load(&fz->done);
		if (now_done >= fz->opt->iterations)
			return true;
		if (fz->opt->seconds && kp_now() - start >= fz->opt->seconds) {
			atomic_store(&fz->stop, true);
			return true;
		}
		if (now_done != last) {
			last = now_done;
			last_progress = kp_now();
		} else if (kp_now() - last_progress > STALL_SECONDS) {
			ktap_diag("no progress for %d s after %llu ioctls: a call does not return",
				  STALL_SECONDS, now_done);
			return false;
		}
	}
}

/* Calls made by all threads; their reopens summed into threads[0]. */
static u64 total_calls(struct thread *threads, unsigned int n)
{
	unsigned int i, c, e;
	u64 calls = 0;

	for (i = 0; i < n; i++) {
		for (c = 0; c <= NR_CMDS; c++)
			for (e = 0; e <= MAX_ERRNO; e++)
				calls += threads[i].counts[c][e];
		if (i)
			threads[0].reopens += threads[i].reopens;
	}
	return calls;
}

int main(int argc, char **argv)
{
	struct options opt = { .seed = kp_default_seed(), .iterations = 100000,
			       .seconds = 300, .threads = 2 };
	static struct fuzz fz;
	struct thread *threads;
	double start, secs;
	struct ktap t;
	unsigned int i;
	u64 calls;
	bool ok;
	int ret = parse_options(argc, argv, &opt);

	if (ret >= 0)
		return ret;
	ktap_begin(&t, 1);
	ktap_diag("kpool_fuzz --seed %llu --iterations %llu --seconds %u --threads %u",
		  opt.seed, opt.iterations, opt.seconds, opt.threads);
	fz.opt = &opt;
	snprintf(fz.prefix, sizeof(fz.prefix), "kf%d-", (int)getpid());
	threads = calloc(opt.threads, sizeof(*threads));
	if (!threads || !map_memory(&fz, threads, opt.threads) || !open_files(&fz)) {
		ktap_result(&t, false, "kpool_fuzz: setup");
		return fz.files[0].fd < 0 ? 3 : 1;
	}
	start = kp_now();
	for (i = 0; i < opt.threads; i++) {
		threads[i].fz = &fz;
		threads[i].index = i;
		threads[i].rng = kp_rand_seed(opt.seed * 7919 + i);
		if (pthread_create(&threads[i].pthread, NULL, thread_main, &threads[i])) {
			ktap_result(&t, false, "kpool_fuzz: cannot start threads");
			return 1;
		}
	}
	if (!wait_until_done(&fz, start)) {
		ktap_result(&t, false, "kpool_fuzz: hung, seed %llu", opt.seed);
		_exit(1);	/* the hung thread cannot be joined */
	}
	for (i = 0; i < opt.threads; i++)
		pthread_join(threads[i].pthread, NULL);
	secs = kp_now() - start;
	calls = total_calls(threads, opt.threads);
	ktap_diag("%llu ioctls in %.1f s (%.0f/s), %u threads, files reopened %llu times",
		  calls, secs, secs > 0 ? calls / secs : 0.0, opt.threads,
		  threads[0].reopens);
	print_summary(threads, opt.threads);
	ok = device_healthy(&fz);
	if (atomic_load(&fz.violations)) {
		ktap_diag("%llu ABI violations", atomic_load(&fz.violations));
		ok = false;
	}
	ktap_result(&t, ok, "kpool_fuzz: %llu ioctls, seed %llu%s", calls,
		    opt.seed, ok ? ", device healthy" : "");
	free(threads);
	return ktap_end(&t);
}
