// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture and helpers shared by the kpool KUnit suites.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/dcache.h>
#include <linux/delay.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kasan.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "kpool_geometry.h"
#include "kpool_registry.h"
#include "kpool_test.h"

/* Pins the KUnit thread of the case: see the header comment. */
static void kt_pin_to_this_cpu(struct kunit *test)
{
	int ret;

	ret = set_cpus_allowed_ptr(current,
				   cpumask_of(raw_smp_processor_id()));
	KUNIT_EXPECT_EQ(test, ret, 0);
}

int kt_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct kt_fixture),
				   GFP_KERNEL);
	if (!test->priv)
		return -ENOMEM;
	kt_pin_to_this_cpu(test);
	return 0;
}

static void kt_release(struct kunit *test, struct kt_pool *kp)
{
	int ret;

	if (!kp->pool)
		return;
	kt_free_slots(kp, 0, kp->nr_slots);
	ret = kpool_destroy(kp->pool);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "pool left behind by the case");
	kp->pool = NULL;
}

void kt_exit(struct kunit *test)
{
	struct kt_fixture *fx = test->priv;
	unsigned int i;

	for (i = 0; i < fx->nr_pools; i++)
		kt_release(test, &fx->pools[i]);
}

/**
 * kt_params_init - parameters of a plain pool
 * @p: filled in.
 * @name: pool name.
 * @block_size: bytes per block.
 *
 * Natural alignment, no reserve, no cap, any node, automatic order.
 */
void kt_params_init(struct kpool_params *p, const char *name,
		    size_t block_size)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->block_size = block_size;
	p->node = NUMA_NO_NODE;
	p->order = KPOOL_ORDER_AUTO;
}

/**
 * kt_unique_name - a pool name no other live pool has
 * @test: the case; the name lives as long as it.
 * @base: readable part of the name.
 *
 * A pool leaked by an earlier failed case must not turn every later
 * creation into -EEXIST, so names carry a sequence number.
 */
const char *kt_unique_name(struct kunit *test, const char *base)
{
	static atomic_t seq = ATOMIC_INIT(0);
	char *name;

	name = kunit_kzalloc(test, KPOOL_NAME_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, name);
	snprintf(name, KPOOL_NAME_LEN, "kt%d_%s", atomic_inc_return(&seq),
		 base);
	return name;
}

/**
 * kt_create_errno - create a pool that must not exist
 * @p: parameters.
 *
 * Return: the error kpool_create() gave, or 0 after destroying the pool it
 * wrongly created.
 */
int kt_create_errno(const struct kpool_params *p)
{
	struct kpool *pool = kpool_create(p);

	if (IS_ERR(pool))
		return PTR_ERR(pool);
	if (pool)
		kpool_destroy(pool);
	return 0;
}

/**
 * kt_create - create a pool owned by the case
 * @test: the case.
 * @p: parameters.
 * @nr_slots: how many blocks the case may hold in the pool's slots.
 *
 * Aborts the case if the pool cannot be created.
 */
struct kt_pool *kt_create(struct kunit *test, const struct kpool_params *p,
			  unsigned int nr_slots)
{
	struct kt_fixture *fx = test->priv;
	struct kt_pool *kp;
	struct kpool *pool;

	KUNIT_ASSERT_LT(test, fx->nr_pools, KT_MAX_POOLS);
	kp = &fx->pools[fx->nr_pools];
	if (nr_slots) {
		kp->blocks = kunit_kcalloc(test, nr_slots, sizeof(void *),
					   GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, kp->blocks);
	}
	kp->nr_slots = nr_slots;
	kp->block_size = p->block_size;

	pool = kpool_create(p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	kp->pool = pool;
	fx->nr_pools++;
	return kp;
}

/**
 * kt_destroy - destroy a pool of the case now
 * @test: the case.
 * @kp: the pool.
 *
 * Return: what kpool_destroy() returned; on success the exit hook leaves
 * the pool alone.
 */
int kt_destroy(struct kunit *test, struct kt_pool *kp)
{
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, kp->pool);
	ret = kpool_destroy(kp->pool);
	if (!ret)
		kp->pool = NULL;
	return ret;
}

void kt_stats(struct kt_pool *kp, struct kpool_stats *st)
{
	memset(st, 0, sizeof(*st));
	kpool_get_stats(kp->pool, st);
}

/* The pool has exactly @in_use blocks out, and its counters agree. */
void kt_expect_in_use(struct kunit *test, struct kt_pool *kp, u64 in_use)
{
	struct kpool_stats st;

	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, in_use);
	KUNIT_EXPECT_EQ(test, st.allocs - st.frees, in_use);
}

static int kt_count_one(struct kpool *pool, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/* Return: the number of live pools in the registry. */
int kt_count_pools(void)
{
	int n = 0;

	kpool_for_each(kt_count_one, &n);
	return n;
}

/**
 * kt_wait_rcu_idle - wait until no block of @pool waits for a grace period
 * @pool: the pool.
 *
 * Return: the blocks still waiting after 10 seconds: 0 when all are free.
 */
u64 kt_wait_rcu_idle(struct kpool *pool)
{
	unsigned long deadline = jiffies + 10 * HZ;
	struct kpool_stats st;

	for (;;) {
		kpool_get_stats(pool, &st);
		if (!st.blocks_rcu_pending || time_after(jiffies, deadline))
			return st.blocks_rcu_pending;
		msleep(20);
	}
}

/**
 * kt_alloc_slots - allocate blocks into consecutive slots
 * @kp: the pool.
 * @first: first slot.
 * @n: number of blocks.
 * @gfp: passed to kpool_alloc().
 *
 * Return: how many were allocated before the first failure.
 */
unsigned int kt_alloc_slots(struct kt_pool *kp, unsigned int first,
			    unsigned int n, gfp_t gfp)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		kp->blocks[first + i] = kpool_alloc(kp->pool, gfp);
		if (!kp->blocks[first + i])
			break;
	}
	return i;
}

/**
 * kt_free_slots - free the blocks held in consecutive slots
 * @kp: the pool.
 * @first: first slot.
 * @n: number of slots; empty ones are skipped.
 *
 * Return: 0, or the first error kpool_free() returned.
 */
int kt_free_slots(struct kt_pool *kp, unsigned int first, unsigned int n)
{
	unsigned int i;
	int ret = 0;
	int err;

	for (i = first; i < first + n; i++) {
		if (!kp->blocks[i])
			continue;
		err = kpool_free(kp->pool, kp->blocks[i]);
		if (err && !ret)
			ret = err;
		kp->blocks[i] = NULL;
	}
	return ret;
}

/* Byte @i of the pattern for @seed: every byte depends on seed and index. */
static u8 kt_pattern_byte(u32 seed, size_t i)
{
	u32 word = seed ^ (u32)((i / 4 + 1) * 0x9e3779b9u);

	return word >> (8 * (i % 4));
}

void kt_fill(void *block, size_t len, u32 seed)
{
	u8 *p = block;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = kt_pattern_byte(seed, i);
}

/* Return: the offset of the first byte that differs, or -1. */
long kt_check(const void *block, size_t len, u32 seed)
{
	const u8 *p = block;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != kt_pattern_byte(seed, i))
			return i;
	return -1;
}

/* Fill block @i of @blocks with the pattern for @seed + @i. */
void kt_fill_all(void **blocks, unsigned int n, size_t len, u32 seed)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		kt_fill(blocks[i], len, seed + i);
}

/* Block @i of @blocks holds the pattern for @seed + @i, every byte. */
void kt_expect_filled(struct kunit *test, void **blocks, unsigned int n,
		      size_t len, u32 seed)
{
	unsigned int i, bad = 0;
	long at;

	for (i = 0; i < n; i++) {
		at = kt_check(blocks[i], len, seed + i);
		if (at >= 0 && bad++ < 4)
			KUNIT_FAIL(test, "block %u (%p) overwritten at byte %ld of %zu",
				   i, blocks[i], at, len);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "%u of %u blocks overwritten", bad,
			    n);
}

/* Geometry */

/* The alignment kpool.h promises for align == 0. */
size_t kt_natural_align(size_t block_size)
{
	size_t align = block_size & -block_size;

	return clamp_t(size_t, align, sizeof(void *), PAGE_SIZE);
}

/*
 * The bytes of a chunk's out-of-line metadata besides its state bytes, as
 * a pool reports it (meta_per_chunk - blocks_per_chunk of a plain pool):
 * the automatic order depends on it. 0 if no pool could be made.
 */
static size_t kt_geom_header(void)
{
	static size_t header;
	struct kpool_params p;
	struct kpool_stats st;
	struct kpool *pool;

	if (header)
		return header;
	kt_params_init(&p, "kt_geom_probe", 64);
	pool = kpool_create(&p);
	if (IS_ERR_OR_NULL(pool))
		return 0;
	memset(&st, 0, sizeof(st));
	kpool_get_stats(pool, &st);
	kpool_destroy(pool);
	header = st.meta_per_chunk - st.blocks_per_chunk;
	return header;
}

/**
 * kt_geom_init - the layout of a pool, from its parameters
 * @g: filled in: kpool_layout()'s layout (the core's one implementation of
 *     the rules, the automatic order among them), in the tests' units.
 * @block_size: kpool_params.block_size.
 * @align: kpool_params.align (0: natural).
 * @boundary: kpool_params.boundary (0: none).
 * @flags: kpool_params.flags (KPOOL_F_DEBUG adds a red zone).
 * @order: kpool_params.order.
 *
 * Return: 0, -EINVAL where kpool_layout() refuses the parameters, -ENOMEM
 * if the metadata header could not be measured.
 */
int kt_geom_init(struct kt_geom *g, size_t block_size, size_t align,
		 size_t boundary, unsigned int flags, int order)
{
	struct kpool_geometry layout;
	struct kpool_params p;
	int err;

	memset(g, 0, sizeof(*g));
	g->header = kt_geom_header();
	if (!g->header)
		return -ENOMEM;
	kt_params_init(&p, "kt_geom", block_size);
	p.align = align;
	p.boundary = boundary;
	p.flags = flags;
	p.order = order;
	err = kpool_layout(&p, &layout);
	if (err)
		return err;
	g->size = block_size;
	g->align = layout.align;
	g->stride = layout.stride;
	g->boundary = boundary;
	g->order = layout.order;
	g->chunk = PAGE_SIZE << layout.order;
	g->unit = 1UL << layout.unit_shift;
	g->per_unit = layout.per_unit;
	g->per_chunk = layout.per_chunk;
	g->waste = g->chunk - (size_t)g->per_chunk * block_size;
	return 0;
}

/* Where block @idx starts in its chunk. */
size_t kt_geom_offset(const struct kt_geom *g, unsigned int idx)
{
	return (idx / g->per_unit) * g->unit + (idx % g->per_unit) * g->stride;
}

/*
 * The least a pool's debugfs entries cost: its directory and "stats", a
 * dentry and an inode each (0 where the directory is not there).
 */
static u64 kt_debugfs_min_bytes(const char *name)
{
	char path[KPOOL_NAME_LEN + 8];
	struct dentry *d;

	snprintf(path, sizeof(path), "kpool/%s", name);
	d = debugfs_lookup(path, NULL);
	if (IS_ERR_OR_NULL(d))
		return 0;
	dput(d);
	return 2 * (sizeof(struct dentry) + sizeof(struct inode));
}

/* The pool's reported geometry is the layout computed here. */
void kt_geom_expect_stats(struct kunit *test, const struct kt_geom *g,
			  const struct kpool_stats *st)
{
	KUNIT_EXPECT_EQ(test, st->block_size, g->size);
	KUNIT_EXPECT_EQ(test, st->align, g->align);
	KUNIT_EXPECT_EQ(test, st->block_stride, g->stride);
	KUNIT_EXPECT_EQ(test, st->boundary, g->boundary);
	KUNIT_EXPECT_EQ(test, st->chunk_order, g->order);
	KUNIT_EXPECT_EQ(test, st->blocks_per_chunk, g->per_chunk);
	KUNIT_EXPECT_EQ(test, st->wasted_per_chunk, g->waste);
	KUNIT_EXPECT_EQ(test, st->pages, st->chunks << g->order);
	/* a state byte per block and the header; magazines of 8-byte slots */
	if (!(st->flags & KPOOL_F_DEBUG))
		KUNIT_EXPECT_EQ(test, st->meta_per_chunk,
				g->header + g->per_chunk);
	KUNIT_EXPECT_GE(test, st->meta_per_chunk, g->header + g->per_chunk);
	KUNIT_EXPECT_GE(test, st->percpu_bytes, (u64)num_possible_cpus() *
			KPOOL_MAG_SIZE * sizeof(void *));
	KUNIT_EXPECT_GE(test, st->meta_bytes, st->percpu_bytes +
			st->chunks * st->meta_per_chunk +
			kt_debugfs_min_bytes(st->name));
}

static int kt_cmp_ptr(const void *a, const void *b)
{
	unsigned long x = (unsigned long)*(void * const *)a;
	unsigned long y = (unsigned long)*(void * const *)b;

	return x < y ? -1 : x > y;
}

static bool kt_straddles(unsigned long start, size_t len)
{
	return start >> PAGE_SHIFT != (start + len - 1) >> PAGE_SHIFT;
}

/* Blocks of a full chunk that cross a page boundary, by the layout. */
unsigned int kt_geom_straddling(const struct kt_geom *g)
{
	unsigned int idx, n = 0;

	for (idx = 0; idx < g->per_chunk; idx++)
		n += kt_straddles(kt_geom_offset(g, idx), g->size);
	return n;
}

#define KT_CARVE_REPORTED	8

/*
 * Where one block sits in its (naturally aligned) chunk: a failure message
 * for a block the layout does not allow, or NULL.
 */
static const char *kt_geom_misplaced(const struct kt_geom *g, unsigned long p)
{
	unsigned long off = p & (g->chunk - 1);
	unsigned long in = off % g->unit;

	if (!virt_addr_valid((void *)p))
		return "not in the direct map";
	if (!IS_ALIGNED(p, g->align))
		return "misaligned";
	if (in % g->stride)
		return "not at a multiple of the stride from its unit";
	if (in / g->stride >= g->per_unit)
		return "past the last block of its unit";
	if ((off / g->unit) * g->per_unit + in / g->stride >= g->per_chunk ||
	    off + g->size > g->chunk)
		return "past the last block of its chunk";
	if (g->boundary && p / g->boundary != (p + g->size - 1) / g->boundary)
		return "crosses the boundary";
	return NULL;
}

/**
 * kt_geom_check_blocks - the blocks handed out follow the layout
 * @test: the case.
 * @g: the layout.
 * @blocks: blocks of the pool, all allocated.
 * @n: how many.
 * @rep: filled in.
 *
 * Every block must be aligned, start at a place the layout has a block
 * (a multiple of the stride from the start of its unit, within the chunk's
 * blocks), never cross a boundary, and overlap no other block.
 */
void kt_geom_check_blocks(struct kunit *test, const struct kt_geom *g,
			  void **blocks, unsigned int n,
			  struct kt_carve_report *rep)
{
	unsigned long p, base, prev = 0, prev_base = 0;
	unsigned int i, bad = 0, in_chunk = 0;
	const char *why;
	void **sorted;

	memset(rep, 0, sizeof(*rep));
	sorted = kunit_kmalloc_array(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sorted);
	memcpy(sorted, blocks, n * sizeof(void *));
	sort(sorted, n, sizeof(void *), kt_cmp_ptr, NULL);

	for (i = 0; i <= n; i++) {
		p = i < n ? (unsigned long)sorted[i] : 0;
		base = p & ~(g->chunk - 1);
		if (i == n || !i || base != prev_base) {
			if (i && in_chunk == g->per_chunk) {
				rep->full_chunks++;
				rep->straddling_expected +=
					kt_geom_straddling(g);
			}
			if (i == n)
				break;
			rep->chunks++;
			in_chunk = 0;
			prev_base = base;
		}
		in_chunk++;
		rep->straddling += kt_straddles(p, g->size);
		why = kt_geom_misplaced(g, p);
		if (!why && i && p - prev < g->size)
			why = "overlaps the block before it";
		if (!why && in_chunk > g->per_chunk)
			why = "one block too many in its chunk";
		if (why && bad++ < KT_CARVE_REPORTED)
			KUNIT_FAIL(test,
				   "block %p at offset %lu of its chunk: %s (stride %zu, unit %zu, %u per unit, %u per chunk)",
				   sorted[i], p - base, why, g->stride, g->unit,
				   g->per_unit, g->per_chunk);
		prev = p;
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "%u of %u blocks misplaced", bad, n);
}

/**
 * kt_corrupt_byte - flip every bit of one byte the caller does not own
 * @addr: inside a free block or a red zone.
 *
 * KASAN may poison free pool blocks and red zones; the write is deliberate.
 */
void kt_corrupt_byte(void *addr)
{
	u8 *p = addr;

	if (IS_ENABLED(CONFIG_KASAN))
		kasan_disable_current();
	WRITE_ONCE(*p, READ_ONCE(*p) ^ 0xff);
	if (IS_ENABLED(CONFIG_KASAN))
		kasan_enable_current();
}

/**
 * kt_fail_growth - make every growth of a pool fail, or none
 * @test: the case.
 * @kp: the pool.
 * @fail: fail every growth attempt from now on, or stop failing.
 */
void kt_fail_growth(struct kunit *test, struct kt_pool *kp, bool fail)
{
	KUNIT_ASSERT_EQ(test, kpool_set_fault(kp->pool, fail ? 1 : 0, 0), 0);
}

/**
 * kt_start_on_cpu - start a kthread, bound to a CPU or not
 * @fn: thread function; it must allow SIGKILL (see kt_stop()).
 * @data: passed to @fn.
 * @cpu: CPU to bind it to, or -1.
 * @name: thread name; with a CPU, "%u" in it is the CPU number.
 *
 * The caller holds a reference on the task and must kt_stop() it.
 *
 * Return: the running task, or an ERR_PTR().
 */
struct task_struct *kt_start_on_cpu(int (*fn)(void *data), void *data,
				    int cpu, const char *name)
{
	struct task_struct *task;

	if (cpu >= 0)
		task = kthread_create_on_cpu(fn, data, cpu, name);
	else
		task = kthread_create(fn, data, "%s", name);
	if (IS_ERR(task))
		return task;
	get_task_struct(task);
	wake_up_process(task);
	return task;
}

/**
 * kt_stop - wait for a thread to finish its work and reap it
 * @task: from kt_start_on_cpu().
 * @done: completed by the thread with complete_all() when its work is
 *	  over, so that any number of waits for it return.
 * @timeout: jiffies to wait for @done.
 *
 * A thread that does not finish in time is sent SIGKILL, which ends a
 * kpool_alloc() stuck in its killable wait, so a bug makes the case fail
 * instead of hanging it.
 *
 * Return: whether the thread finished within @timeout.
 */
bool kt_stop(struct task_struct *task, struct completion *done,
	     unsigned long timeout)
{
	bool in_time = wait_for_completion_timeout(done, timeout);

	if (!in_time)
		send_sig(SIGKILL, task, 1);
	kthread_stop(task);
	put_task_struct(task);
	return in_time;
}
