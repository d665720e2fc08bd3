// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_core: what core v2 promises beyond the older suites.
 *
 * - A pool with min_blocks == max_blocks runs on the magazines: its
 *   reserve, being the whole pool, does not send every operation down the
 *   slow path.
 * - An atomic allocation succeeds while the only free blocks sit in
 *   another CPU's magazine (it steals them), from a thread and from
 *   hardirq; the stale pointers left in the magazines are never handed out.
 * - The gfp order is mempool's: the depot, light growth (no direct
 *   reclaim), the reserve, and only then growth with reclaim.
 * - Blocks straddle pages by default: every block size of the older
 *   suites and 2304, 3000, 9000, 40000 are laid out as documented and keep
 *   what is written across their page boundary.
 * - kpool_params.boundary: no block crosses a multiple of it.
 * - Bulk requests larger than a magazine: all distinct, all freed, the
 *   counters balance.
 * - Bad frees are refused exactly, through kpool_free(), kpool_free_bulk()
 *   and kpool_free_owned(), whether the block sits in a magazine or in the
 *   depot.
 * - A stress with an owner tag in every block: threads on every CPU and an
 *   hrtimer per CPU allocate, free, pass blocks to another CPU and steal;
 *   a block handed out twice fails the case.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/ptr_ring.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "kpool_test.h"

#define KT_CORE_TIMEOUT		(30 * HZ)
/* Blocks a layout case allocates at most (keeps TCG runs short). */
#define KT_CORE_MAX_BLOCKS	1100

/* Calls on a chosen CPU */

/**
 * struct kt_call - a function run by a thread bound to one CPU
 * @fn: the function.
 * @arg: its argument.
 * @cpu: where it ran.
 * @done: completed when it returned.
 */
struct kt_call {
	void (*fn)(void *arg);
	void *arg;
	int cpu;
	struct completion done;
};

static int kt_call_thread(void *data)
{
	struct kt_call *call = data;

	allow_signal(SIGKILL);
	call->cpu = raw_smp_processor_id();
	call->fn(call->arg);
	complete_all(&call->done);
	return 0;
}

/* Run @fn(@arg) in a thread bound to @cpu and wait for it. */
static void kt_run_on(struct kunit *test, int cpu, void (*fn)(void *arg),
		      void *arg)
{
	struct kt_call call = { .fn = fn, .arg = arg, .cpu = -1 };
	struct task_struct *task;

	init_completion(&call.done);
	task = kt_start_on_cpu(kt_call_thread, &call, cpu, "kpool_kt_on/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_TRUE(test, kt_stop(task, &call.done, KT_CORE_TIMEOUT));
	KUNIT_EXPECT_EQ(test, call.cpu, cpu);
}

/* An online CPU other than @cpu, or -1. */
static int kt_other_cpu(int cpu)
{
	int other;

	for_each_online_cpu(other)
		if (other != cpu)
			return other;
	return -1;
}

/**
 * struct kt_slots_op - allocate into, or free, slots of a pool
 * @kp: the pool.
 * @first: first slot.
 * @n: how many.
 * @gfp: for allocations.
 * @done: blocks allocated, or the first free error.
 * @irqs_off: the allocation ran with interrupts disabled.
 */
struct kt_slots_op {
	struct kt_pool *kp;
	unsigned int first;
	unsigned int n;
	gfp_t gfp;
	int done;
	bool irqs_off;
};

static void kt_slots_alloc(void *arg)
{
	struct kt_slots_op *op = arg;

	op->irqs_off = irqs_disabled();
	op->done = kt_alloc_slots(op->kp, op->first, op->n, op->gfp);
}

static void kt_slots_free(void *arg)
{
	struct kt_slots_op *op = arg;

	op->done = kt_free_slots(op->kp, op->first, op->n);
}

/* (a) min_blocks == max_blocks */

#define KT_FIXED_BLOCKS	64
#define KT_FIXED_BATCH	8
#define KT_FIXED_ROUNDS	16

/*
 * The classic preallocated pool: its reserve is the whole pool and it
 * cannot grow. Alloc/free cycles are served by the CPU's magazine, every
 * block can be had with GFP_ATOMIC, the next one fails at once, and the
 * pool goes back to the magazines afterwards.
 */
static void kt_fixed_pool_magazines(struct kunit *test)
{
	struct kpool_stats st, before;
	struct kpool_params p;
	struct kt_pool *kp;
	unsigned int round;
	u64 allocs;

	kt_params_init(&p, kt_unique_name(test, "fixed"), 64);
	p.min_blocks = KT_FIXED_BLOCKS;
	p.max_blocks = KT_FIXED_BLOCKS;
	kp = kt_create(test, &p, KT_FIXED_BLOCKS + 1);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_total, KT_FIXED_BLOCKS);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, KT_FIXED_BLOCKS);

	for (round = 0; round < KT_FIXED_ROUNDS; round++) {
		KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_FIXED_BATCH,
						     round & 1 ? GFP_ATOMIC :
						     GFP_KERNEL),
				KT_FIXED_BATCH);
		kt_fill_all(kp->blocks, KT_FIXED_BATCH, 64, round << 8);
		kt_expect_filled(test, kp->blocks, KT_FIXED_BATCH, 64,
				 round << 8);
		KUNIT_ASSERT_EQ(test, kt_free_slots(kp, 0, KT_FIXED_BATCH), 0);
	}
	kt_stats(kp, &st);
	allocs = KT_FIXED_ROUNDS * KT_FIXED_BATCH;
	KUNIT_EXPECT_EQ(test, st.allocs, allocs);
	KUNIT_EXPECT_GT(test, st.cache_hits, 0);
	/* the first allocation fills the magazine: the others hit it */
	KUNIT_EXPECT_GE_MSG(test, st.cache_hits * 4, allocs * 3,
			    "%llu of %llu allocations took the slow path",
			    st.cache_misses, allocs);
	KUNIT_EXPECT_EQ(test, st.blocks_total, KT_FIXED_BLOCKS);

	/* The whole pool, atomically; then nothing more, at once. */
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, KT_FIXED_BLOCKS + 1,
					     GFP_ATOMIC), KT_FIXED_BLOCKS);
	KUNIT_EXPECT_NULL(test, kp->blocks[KT_FIXED_BLOCKS]);
	kt_fill_all(kp->blocks, KT_FIXED_BLOCKS, 64, 1);
	kt_expect_filled(test, kp->blocks, KT_FIXED_BLOCKS, 64, 1);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, KT_FIXED_BLOCKS);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 1);
	KUNIT_EXPECT_EQ(test, st.blocks_total, KT_FIXED_BLOCKS);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, KT_FIXED_BLOCKS), 0);

	/* Frees at the cap went to the magazine: cycles hit it again. */
	kt_stats(kp, &before);
	for (round = 0; round < KT_FIXED_ROUNDS; round++) {
		KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_FIXED_BATCH,
						     GFP_ATOMIC),
				KT_FIXED_BATCH);
		KUNIT_ASSERT_EQ(test, kt_free_slots(kp, 0, KT_FIXED_BATCH), 0);
	}
	kt_stats(kp, &st);
	KUNIT_EXPECT_GE(test, (st.cache_hits - before.cache_hits) * 4,
			allocs * 3);
	kt_expect_in_use(test, kp, 0);
}

/* (b) atomic allocations steal from another CPU's magazine */

#define KT_STEAL_CAP	8
#define KT_STEAL_HALF	(KT_STEAL_CAP / 2)

/*
 * A pool at its cap whose free blocks all sit in this CPU's magazine:
 * another CPU allocates them all atomically, half from a thread, half from
 * an IPI (hardirq, or the idle loop with interrupts off), and none fails.
 * The pointers left behind in this CPU's magazine are stale: with every
 * block out, an allocation here finds nothing. The same the other way
 * round, once the blocks went back into the other CPU's magazine.
 */
static void kt_atomic_steals_remote(struct kunit *test)
{
	int here = raw_smp_processor_id(), there = kt_other_cpu(here);
	struct kt_slots_op op = { };
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	int ret;

	if (there < 0)
		kunit_skip(test, "needs two online CPUs");
	kt_params_init(&p, kt_unique_name(test, "steal"), 128);
	p.max_blocks = KT_STEAL_CAP;
	kp = kt_create(test, &p, KT_STEAL_CAP + 1);
	op.kp = kp;

	/* Every block free, in this CPU's magazine (the case is pinned). */
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_STEAL_CAP, GFP_KERNEL),
			KT_STEAL_CAP);
	KUNIT_ASSERT_EQ(test, kt_free_slots(kp, 0, KT_STEAL_CAP), 0);
	kt_stats(kp, &st);
	KUNIT_ASSERT_EQ(test, st.blocks_total, KT_STEAL_CAP);
	KUNIT_ASSERT_EQ(test, st.steals, 0);

	op.n = KT_STEAL_HALF;
	op.gfp = GFP_ATOMIC;
	kt_run_on(test, there, kt_slots_alloc, &op);
	KUNIT_EXPECT_EQ(test, op.done, KT_STEAL_HALF);
	op.first = KT_STEAL_HALF;
	op.gfp = GFP_NOWAIT;
	ret = smp_call_function_single(there, kt_slots_alloc, &op, 1);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, op.done, KT_STEAL_HALF);
	KUNIT_EXPECT_TRUE(test, op.irqs_off);

	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 0);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, KT_STEAL_CAP);
	KUNIT_EXPECT_GT(test, st.steals, 0);
	/* unless a drain (the shrinker's) moved them to the depot first */
	if (!st.drains)
		KUNIT_EXPECT_EQ(test, st.steals, KT_STEAL_CAP);
	kt_fill_all(kp->blocks, KT_STEAL_CAP, 128, 0);
	kt_expect_filled(test, kp->blocks, KT_STEAL_CAP, 128, 0);

	/* Only stale pointers are left here: nothing to hand out. */
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, KT_STEAL_CAP, 1, GFP_ATOMIC),
			0);

	/* Back into the other CPU's magazine, and taken from here again. */
	op.first = 0;
	op.n = KT_STEAL_CAP;
	kt_run_on(test, there, kt_slots_free, &op);
	KUNIT_EXPECT_EQ(test, op.done, 0);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, KT_STEAL_CAP, GFP_ATOMIC),
			KT_STEAL_CAP);
	kt_fill_all(kp->blocks, KT_STEAL_CAP, 128, 100);
	kt_expect_filled(test, kp->blocks, KT_STEAL_CAP, 128, 100);
	kt_expect_in_use(test, kp, KT_STEAL_CAP);

	/* The other CPU's magazine holds only stale pointers now. */
	op.first = KT_STEAL_CAP;
	op.n = 1;
	op.gfp = GFP_ATOMIC;
	kt_run_on(test, there, kt_slots_alloc, &op);
	KUNIT_EXPECT_EQ(test, op.done, 0);
	KUNIT_EXPECT_NULL(test, kp->blocks[KT_STEAL_CAP]);
	kt_expect_filled(test, kp->blocks, KT_STEAL_CAP, 128, 100);

	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, KT_STEAL_CAP), 0);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.allocs, st.frees);
	KUNIT_EXPECT_EQ(test, st.blocks_total, KT_STEAL_CAP);
	KUNIT_EXPECT_EQ(test, st.err_double_free, 0);
}

/* (c) the gfp order */

struct kt_order_param {
	size_t block_size;
	int order;
	unsigned int min_blocks;
};

static const struct kt_order_param kt_order_params[] = {
	/* the reserve is the whole pool */
	{ PAGE_SIZE, 0, 4 },
	/* the reserve shares its chunk with free blocks */
	{ 64, KPOOL_ORDER_AUTO, 8 },
	{ 9000, KPOOL_ORDER_AUTO, 3 },
};

static void kt_order_desc(const struct kt_order_param *o, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu order %d min %u",
		 o->block_size, o->order, o->min_blocks);
}

KUNIT_ARRAY_PARAM(kt_gfp_order, kt_order_params, kt_order_desc);

#define KT_ORDER_SLOTS	512

/* One GFP_KERNEL block into slot @i: by kpool_alloc() or a bulk of one. */
static bool kt_order_alloc_one(struct kt_pool *kp, unsigned int i)
{
	if (i & 1)
		return kt_alloc_slots(kp, i, 1, GFP_KERNEL) == 1;
	if (kpool_alloc_bulk(kp->pool, GFP_KERNEL, 1, kp->blocks + i)) {
		kp->blocks[i] = NULL;
		return false;
	}
	return true;
}

/*
 * mempool's order with every growth failing: the free blocks outside the
 * reserve go first, without any growth; then each allocation tries light
 * growth, fails, and takes a block of the reserve - none of them, though
 * GFP_KERNEL, has tried growth with direct reclaim. Only with the reserve
 * empty does a sleeping allocation try reclaim (kpool_alloc_bulk(), which
 * never waits for a free); an atomic one never does. Once growth works
 * again, light growth serves and the reserve stays whole.
 */
static void kt_gfp_order(struct kunit *test)
{
	const struct kt_order_param *o = test->param_value;
	unsigned int res = o->min_blocks, total, spare, i;
	struct kpool_stats st;
	struct kpool_params p;
	struct kt_pool *kp;
	void *extra = NULL;
	u64 reclaims, grows;

	kt_params_init(&p, kt_unique_name(test, "gfporder"), o->block_size);
	p.order = o->order;
	p.min_blocks = res;
	kp = kt_create(test, &p, KT_ORDER_SLOTS);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, res);
	/* filling the reserve at create may reclaim: count from here */
	reclaims = st.grow_reclaims;
	total = st.blocks_total;
	KUNIT_ASSERT_LT(test, total + 1, KT_ORDER_SLOTS);
	spare = total - res;

	kt_fail_growth(test, kp, true);
	for (i = 0; i < spare; i++)
		KUNIT_ASSERT_TRUE(test, kt_order_alloc_one(kp, i));
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.reserve_allocs, 0);
	KUNIT_EXPECT_EQ(test, st.faults_injected, 0);
	KUNIT_EXPECT_EQ(test, st.grow_reclaims, reclaims);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, res);

	for (i = spare; i < total; i++)
		KUNIT_ASSERT_TRUE(test, kt_order_alloc_one(kp, i));
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.reserve_allocs, res);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, 0);
	/* light growth was tried before each block of the reserve... */
	KUNIT_EXPECT_GE(test, st.faults_injected, res);
	/* ...and never growth with reclaim */
	KUNIT_EXPECT_EQ(test, st.grow_reclaims, reclaims);
	KUNIT_EXPECT_EQ(test, st.waits, 0);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, total);

	/* The reserve is empty: atomic fails without reclaim... */
	KUNIT_EXPECT_EQ(test, kpool_alloc_bulk(kp->pool, GFP_ATOMIC, 1, &extra),
			-ENOMEM);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.grow_reclaims, reclaims);
	/* ...a sleeping bulk allocation reclaims, fails, does not wait */
	KUNIT_EXPECT_EQ(test, kpool_alloc_bulk(kp->pool, GFP_KERNEL, 1, &extra),
			-ENOMEM);
	kt_stats(kp, &st);
	KUNIT_EXPECT_GT(test, st.grow_reclaims, reclaims);
	KUNIT_EXPECT_EQ(test, st.waits, 0);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 2);
	KUNIT_EXPECT_NULL(test, extra);

	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, total), 0);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, res);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);

	/* Growth works again: the light attempt serves, no reclaim. */
	kt_fail_growth(test, kp, false);
	reclaims = st.grow_reclaims;
	grows = st.grows;
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, total + 1, GFP_KERNEL),
			total + 1);
	kt_stats(kp, &st);
	KUNIT_EXPECT_GT(test, st.grows, grows);
	KUNIT_EXPECT_EQ(test, st.grow_reclaims, reclaims);
	KUNIT_EXPECT_EQ(test, st.reserve_allocs, res);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, total + 1), 0);
}

/* (d) blocks straddle pages */

struct kt_layout_param {
	size_t block_size;
	size_t align;
	size_t boundary;
	int order;
	unsigned int flags;
};

static void kt_layout_param_desc(const struct kt_layout_param *l, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE,
		 "size %zu align %zu boundary %zu order %d%s", l->block_size,
		 l->align, l->boundary, l->order,
		 l->flags & KPOOL_F_DEBUG ? " debug" : "");
}

/* Every block size of the older suites, and sizes that straddle pages. */
static const struct kt_layout_param kt_straddle_params[] = {
	{ 8, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 24, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 64, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 96, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 100, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 128, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 200, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 256, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 512, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 1024, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 2049, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 2304, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 3000, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 4096, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 9000, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 40000, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 65536, 0, 0, KPOOL_ORDER_AUTO, 0 },
	{ 3000, 0, 0, 2, 0 },
	{ 9000, 0, 0, 3, 0 },
	{ 100, 0, 0, KPOOL_ORDER_AUTO, KPOOL_F_DEBUG },
	{ 2304, 0, 0, KPOOL_ORDER_AUTO, KPOOL_F_DEBUG },
	{ 3000, 0, 0, KPOOL_ORDER_AUTO, KPOOL_F_DEBUG },
	{ 9000, 0, 0, KPOOL_ORDER_AUTO, KPOOL_F_DEBUG },
	{ 40000, 0, 0, KPOOL_ORDER_AUTO, KPOOL_F_DEBUG },
};

KUNIT_ARRAY_PARAM(kt_straddle, kt_straddle_params, kt_layout_param_desc);

/*
 * Create the pool of @l, allocate two chunks' worth of blocks plus one
 * into its slots and check them against the layout computed here. Return
 * how many were allocated.
 */
static unsigned int kt_layout_setup(struct kunit *test,
				    const struct kt_layout_param *l,
				    struct kt_geom *g, struct kt_pool **kpp,
				    struct kt_carve_report *rep)
{
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	unsigned int n;

	KUNIT_ASSERT_EQ(test, kt_geom_init(g, l->block_size, l->align,
					   l->boundary, l->flags, l->order), 0);
	kt_params_init(&p, kt_unique_name(test, "layout"), l->block_size);
	p.align = l->align;
	p.boundary = l->boundary;
	p.order = l->order;
	p.flags = l->flags;
	kp = kt_create(test, &p, KT_CORE_MAX_BLOCKS);
	kt_stats(kp, &st);
	kt_geom_expect_stats(test, g, &st);

	n = min_t(unsigned int, 2 * g->per_chunk + 1, KT_CORE_MAX_BLOCKS);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, n, GFP_KERNEL), n);
	kt_fill_all(kp->blocks, n, l->block_size, 0);
	kt_geom_check_blocks(test, g, kp->blocks, n, rep);
	kt_expect_filled(test, kp->blocks, n, l->block_size, 0);
	kt_stats(kp, &st);
	kt_geom_expect_stats(test, g, &st);
	KUNIT_EXPECT_EQ(test, rep->chunks, st.chunks);
	KUNIT_EXPECT_EQ(test, rep->full_chunks, n / g->per_chunk);
	*kpp = kp;
	return n;
}

/* Index of a block of @blocks that crosses a page boundary, or -1. */
static int kt_find_straddler(void **blocks, unsigned int n, size_t size)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned long p = (unsigned long)blocks[i];

		if (p >> PAGE_SHIFT != (p + size - 1) >> PAGE_SHIFT)
			return i;
	}
	return -1;
}

/*
 * Blocks are laid out at multiples of the stride from the chunk's start
 * and straddle pages wherever the stride puts them across one. What is
 * written across the page boundary survives the neighbours being written,
 * freed and handed out again; a pointer to the part of a straddling block
 * on its second page is refused as misaligned and leaves it allocated.
 */
static void kt_straddling(struct kunit *test)
{
	const struct kt_layout_param *l = test->param_value;
	struct kt_carve_report rep;
	struct kpool_stats st;
	struct kt_pool *kp;
	struct kt_geom g;
	unsigned int n, i;
	int s;
	u8 *mid;

	n = kt_layout_setup(test, l, &g, &kp, &rep);
	/* where the layout puts blocks across pages, they were handed out */
	KUNIT_EXPECT_GE(test, rep.straddling, rep.straddling_expected);
	if (kt_geom_straddling(&g))
		KUNIT_EXPECT_GT(test, rep.straddling, 0);

	/* Every other block freed, handed out again and rewritten. */
	for (i = 0; i < n; i += 2)
		KUNIT_ASSERT_EQ(test, kt_free_slots(kp, i, 1), 0);
	for (i = 0; i < n; i += 2) {
		KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, i, 1, GFP_KERNEL), 1);
		kt_fill(kp->blocks[i], l->block_size, i);
	}
	kt_geom_check_blocks(test, &g, kp->blocks, n, &rep);
	kt_expect_filled(test, kp->blocks, n, l->block_size, 0);

	s = kt_find_straddler(kp->blocks, n, l->block_size);
	if (s >= 0) {
		mid = (u8 *)round_up((unsigned long)kp->blocks[s] + 1,
				     PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, mid), -EINVAL);
		kt_stats(kp, &st);
		KUNIT_EXPECT_EQ(test, st.err_misaligned, 1);
		KUNIT_EXPECT_EQ(test, st.err_foreign, 0);
		KUNIT_EXPECT_EQ(test, st.blocks_in_use, n);
		KUNIT_EXPECT_EQ(test, kt_check(kp->blocks[s], l->block_size,
					       s), -1);
	}
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, n), 0);
	kt_expect_in_use(test, kp, 0);
}

/* (e) the boundary option */

static const struct kt_layout_param kt_boundary_params[] = {
	{ 24, 0, 64, KPOOL_ORDER_AUTO, 0 },
	{ 64, 64, 64, KPOOL_ORDER_AUTO, 0 },
	{ 100, 0, 512, KPOOL_ORDER_AUTO, 0 },
	{ 100, 0, 16384, KPOOL_ORDER_AUTO, 0 },
	{ 512, 0, 4096, KPOOL_ORDER_AUTO, 0 },
	{ 2304, 0, 4096, KPOOL_ORDER_AUTO, 0 },
	{ 3000, 0, 4096, KPOOL_ORDER_AUTO, 0 },
	{ 3000, 0, 4096, 2, 0 },
	{ 3000, 0, 8192, 3, 0 },
	{ 9000, 0, 16384, KPOOL_ORDER_AUTO, 0 },
	{ 40000, 0, 65536, KPOOL_ORDER_AUTO, 0 },
	/* past any chunk: one unit per chunk, as without a boundary */
	{ 100, 0, 1 << 20, KPOOL_ORDER_AUTO, 0 },
	{ 64, 0, 128, KPOOL_ORDER_AUTO, KPOOL_F_DEBUG },
	{ 3000, 0, 4096, KPOOL_ORDER_AUTO, KPOOL_F_DEBUG },
};

KUNIT_ARRAY_PARAM(kt_boundary, kt_boundary_params, kt_layout_param_desc);

/*
 * With a boundary the chunk is cut into units of boundary bytes, each
 * holding boundary / stride blocks: no block crosses a multiple of the
 * boundary, and the order and waste follow from that layout.
 */
static void kt_boundary(struct kunit *test)
{
	const struct kt_layout_param *l = test->param_value;
	struct kt_carve_report rep;
	struct kt_pool *kp;
	struct kt_geom g;
	unsigned int n;

	n = kt_layout_setup(test, l, &g, &kp, &rep);
	if (l->boundary <= PAGE_SIZE)
		KUNIT_EXPECT_EQ(test, rep.straddling, 0);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, n), 0);
	kt_expect_in_use(test, kp, 0);
}

/* (f) bulk beyond a magazine */

struct kt_bulk_param {
	size_t block_size;
	unsigned int n;
	unsigned int flags;
	size_t boundary;
};

static const struct kt_bulk_param kt_bulk_params[] = {
	{ 16, 100, 0 },
	{ 16, 1000, 0 },
	{ 64, 1000, 0 },
	{ 512, 100, 0 },
	{ 3000, 100, 0 },
	{ 64, 100, KPOOL_F_DEBUG },
	/* gaps between the units: blocks found without exact division */
	{ 48, 1000, 0, 256 },
};

static void kt_bulk_desc(const struct kt_bulk_param *b, char *desc)
{
	int len = snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu K %u%s",
			   b->block_size, b->n,
			   b->flags & KPOOL_F_DEBUG ? " debug" : "");

	if (b->boundary)
		snprintf(desc + len, KUNIT_PARAM_DESC_SIZE - len,
			 " boundary %zu", b->boundary);
}

KUNIT_ARRAY_PARAM(kt_bulk, kt_bulk_params, kt_bulk_desc);

#define KT_BULK_ROUNDS	3

static const char kt_bulk_owner;

static int kt_bulk_alloc_slots(struct kt_pool *kp, gfp_t gfp, unsigned int n)
{
	int ret = kpool_alloc_bulk(kp->pool, gfp, n, kp->blocks);
	unsigned int i, stray = 0;

	if (ret) {
		/* a failed request leaves NULL in every entry it wrote */
		for (i = 0; i < n; i++)
			stray += !!kp->blocks[i];
		memset(kp->blocks, 0, n * sizeof(void *));
		return stray ? -EIO : ret;
	}
	return 0;
}

static int kt_bulk_free_slots(struct kt_pool *kp, unsigned int n)
{
	int ret = kpool_free_bulk(kp->pool, n, kp->blocks);

	memset(kp->blocks, 0, n * sizeof(void *));
	return ret;
}

/*
 * Bulk requests of K blocks, more than a magazine holds: all distinct,
 * laid out as documented, all the pool's, all freed; the counters balance
 * round after round. A pool capped at K gives exactly K, refuses one more
 * as a whole, and refuses K + 1 at once.
 */
static void kt_bulk_beyond_magazine(struct kunit *test)
{
	const struct kt_bulk_param *b = test->param_value;
	struct kt_carve_report rep;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	unsigned int round, i, foreign = 0;
	struct kt_geom g;
	u64 k = b->n;

	KUNIT_ASSERT_EQ(test, kt_geom_init(&g, b->block_size, 0, b->boundary,
					   b->flags, KPOOL_ORDER_AUTO), 0);
	kt_params_init(&p, kt_unique_name(test, "bulk"), b->block_size);
	p.flags = b->flags;
	p.boundary = b->boundary;
	p.owner = &kt_bulk_owner;
	kp = kt_create(test, &p, b->n + 1);
	for (round = 0; round < KT_BULK_ROUNDS; round++) {
		KUNIT_ASSERT_EQ(test, kt_bulk_alloc_slots(kp, round & 1 ?
							  GFP_ATOMIC :
							  GFP_KERNEL, b->n), 0);
		for (i = 0; i < b->n; i++)
			foreign += kpool_block_owner(kp->blocks[i]) !=
				   &kt_bulk_owner;
		KUNIT_EXPECT_EQ(test, foreign, 0);
		kt_fill_all(kp->blocks, b->n, b->block_size, round << 16);
		kt_geom_check_blocks(test, &g, kp->blocks, b->n, &rep);
		kt_expect_filled(test, kp->blocks, b->n, b->block_size,
				 round << 16);
		KUNIT_EXPECT_EQ(test, kt_bulk_free_slots(kp, b->n), 0);

		kt_stats(kp, &st);
		KUNIT_EXPECT_EQ(test, st.allocs, k * (round + 1));
		KUNIT_EXPECT_EQ(test, st.frees, k * (round + 1));
		KUNIT_EXPECT_EQ(test, st.bulk_allocs, round + 1);
		KUNIT_EXPECT_EQ(test, st.bulk_frees, round + 1);
		KUNIT_EXPECT_EQ(test, st.cache_hits + st.cache_misses,
				st.allocs);
		KUNIT_EXPECT_EQ(test, st.alloc_failures, 0);
		KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
		KUNIT_EXPECT_EQ(test, st.blocks_free, st.blocks_total);
	}

	kt_params_init(&p, kt_unique_name(test, "bulkcap"), b->block_size);
	p.flags = b->flags;
	p.boundary = b->boundary;
	p.max_blocks = b->n;
	kp = kt_create(test, &p, b->n + 1);
	KUNIT_EXPECT_EQ(test, kt_bulk_alloc_slots(kp, GFP_KERNEL, b->n + 1),
			-ENOMEM);
	KUNIT_ASSERT_EQ(test, kt_bulk_alloc_slots(kp, GFP_KERNEL, b->n), 0);
	KUNIT_EXPECT_EQ(test, kpool_alloc_bulk(kp->pool, GFP_ATOMIC, 1,
					       kp->blocks + b->n), -ENOMEM);
	KUNIT_EXPECT_NULL(test, kp->blocks[b->n]);
	kt_geom_check_blocks(test, &g, kp->blocks, b->n, &rep);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_total, b->n);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, b->n);
	KUNIT_EXPECT_EQ(test, kt_bulk_free_slots(kp, b->n), 0);
	kt_expect_in_use(test, kp, 0);
}

/* (g) refused frees through every entry point */

enum kt_free_api {
	KT_API_FREE,
	KT_API_BULK,
	KT_API_OWNED,
};

enum kt_bad_kind {
	KT_BAD_DOUBLE_CACHED,	/* a freed block, in the magazine */
	KT_BAD_DOUBLE_DEPOT,	/* a freed block, drained to the depot */
	KT_BAD_INSIDE,		/* 8 bytes into a block */
	KT_BAD_SECOND_PAGE,	/* the second page of a straddling block */
	KT_BAD_PAST,		/* where a block would follow the last one */
	KT_BAD_KMALLOC,		/* kmalloc() memory */
	KT_BAD_OTHER_POOL,	/* a block of another owner's pool */
};

struct kt_refusal_param {
	enum kt_bad_kind kind;
	enum kt_free_api api;
	unsigned int flags;
};

#define KT_REF_KINDS	(KT_BAD_OTHER_POOL + 1)
#define KT_REF_APIS	(KT_API_OWNED + 1)

/* Every kind through every entry point, on a plain and a debug pool. */
static struct kt_refusal_param kt_refusal_params[KT_REF_KINDS * KT_REF_APIS *
						 2];

static const char * const kt_bad_kind_names[] = {
	[KT_BAD_DOUBLE_CACHED] = "double free cached",
	[KT_BAD_DOUBLE_DEPOT] = "double free in depot",
	[KT_BAD_INSIDE] = "inside a block",
	[KT_BAD_SECOND_PAGE] = "second page of a block",
	[KT_BAD_PAST] = "past the blocks",
	[KT_BAD_KMALLOC] = "kmalloc memory",
	[KT_BAD_OTHER_POOL] = "another pool's block",
};

static const char * const kt_api_names[] = {
	[KT_API_FREE] = "kpool_free",
	[KT_API_BULK] = "kpool_free_bulk",
	[KT_API_OWNED] = "kpool_free_owned",
};

static void kt_refusal_desc(const struct kt_refusal_param *r, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s: %s%s", kt_api_names[r->api],
		 kt_bad_kind_names[r->kind],
		 r->flags & KPOOL_F_DEBUG ? ", debug" : "");
}

static const void *kt_refusal_gen_params(KPOOL_KUNIT_GEN_PARAMS_ARGS)
{
	const struct kt_refusal_param *r = prev;
	unsigned int i = r ? r - kt_refusal_params + 1 : 0;
	struct kt_refusal_param *next;

	if (i >= ARRAY_SIZE(kt_refusal_params))
		return NULL;
	next = &kt_refusal_params[i];
	next->kind = i % KT_REF_KINDS;
	next->api = i / KT_REF_KINDS % KT_REF_APIS;
	next->flags = i / (KT_REF_KINDS * KT_REF_APIS) ? KPOOL_F_DEBUG : 0;
	kt_refusal_desc(next, desc);
	return next;
}

/* 3000-byte blocks, 5 per chunk of order 2: blocks 1 and 4 straddle. */
#define KT_REF_SIZE	3000
#define KT_REF_ORDER	2
#define KT_REF_BLOCKS	5
#define KT_REF_SEED	0x5eed0000u

/* Owner cookies: the pool's, the range end, another pool's. */
static const char kt_ref_owners[3];

/* Free @block of @kp through @api; a bulk free takes a good block along. */
static int kt_ref_free(struct kt_pool *kp, enum kt_free_api api, void *block,
		       void **good, const void **owner)
{
	void *bulk[3] = { NULL, block, NULL };
	int ret;

	*owner = NULL;
	switch (api) {
	case KT_API_BULK:
		if (good) {
			bulk[0] = *good;
			*good = NULL;
		}
		return kpool_free_bulk(kp->pool, ARRAY_SIZE(bulk), bulk);
	case KT_API_OWNED:
		ret = kpool_free_owned(block, &kt_ref_owners[0],
				       &kt_ref_owners[1], owner);
		return ret;
	default:
		return kpool_free(kp->pool, block);
	}
}

static void kt_ref_expect_errors(struct kunit *test, struct kt_pool *kp,
				 u64 double_free, u64 foreign, u64 misaligned)
{
	struct kpool_stats st;

	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.err_double_free, double_free);
	KUNIT_EXPECT_EQ(test, st.err_foreign, foreign);
	KUNIT_EXPECT_EQ(test, st.err_misaligned, misaligned);
	KUNIT_EXPECT_EQ(test, st.err_poison, 0);
	KUNIT_EXPECT_EQ(test, st.err_redzone, 0);
}

/*
 * One bad pointer through one entry point: the errno, exactly one error in
 * the counter of its kind (none for kpool_free_owned() and memory of no
 * pool in its range: no pool of the caller's to blame), the pool and the
 * other pool untouched, every block still allocated and intact, and the
 * good blocks then freed through the same entry point.
 */
static void kt_refusals(struct kunit *test)
{
	const struct kt_refusal_param *r = test->param_value;
	u64 want_double = 0, want_foreign = 0, want_misaligned = 0;
	struct kt_pool *kp, *other = NULL;
	unsigned int i, held = KT_REF_BLOCKS;
	const void *owner;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_geom g;
	unsigned long base;
	void *bad = NULL, **good = NULL;
	int want = -EINVAL, ret;

	KUNIT_ASSERT_EQ(test, kt_geom_init(&g, KT_REF_SIZE, 0, 0, r->flags,
					   KT_REF_ORDER), 0);
	KUNIT_ASSERT_EQ(test, g.per_chunk, KT_REF_BLOCKS);
	kt_params_init(&p, kt_unique_name(test, "refuse"), KT_REF_SIZE);
	p.order = KT_REF_ORDER;
	p.flags = r->flags;
	p.owner = &kt_ref_owners[0];
	kp = kt_create(test, &p, KT_REF_BLOCKS);
	/* the first chunk, whole */
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_REF_BLOCKS, GFP_KERNEL),
			KT_REF_BLOCKS);
	base = (unsigned long)kp->blocks[0] & ~(g.chunk - 1);
	for (i = 0; i < KT_REF_BLOCKS; i++)
		KUNIT_ASSERT_EQ(test, (unsigned long)kp->blocks[i] &
				~(g.chunk - 1), base);
	kt_fill_all(kp->blocks, KT_REF_BLOCKS, KT_REF_SIZE, KT_REF_SEED);

	switch (r->kind) {
	case KT_BAD_DOUBLE_CACHED:
	case KT_BAD_DOUBLE_DEPOT:
		bad = kp->blocks[KT_REF_BLOCKS - 1];
		KUNIT_ASSERT_EQ(test, kt_free_slots(kp, KT_REF_BLOCKS - 1, 1),
				0);
		held--;
		/* drains the magazines; the chunk has blocks out: it stays */
		if (r->kind == KT_BAD_DOUBLE_DEPOT)
			KUNIT_EXPECT_EQ(test, kpool_shrink(kp->pool), 0);
		want = -EALREADY;
		want_double = 1;
		break;
	case KT_BAD_INSIDE:
		bad = kp->blocks[0] + 8;
		want_misaligned = 1;
		break;
	case KT_BAD_SECOND_PAGE:
		/* inside block 1, which straddles the first page boundary */
		KUNIT_ASSERT_LT(test, kt_geom_offset(&g, 1), PAGE_SIZE);
		KUNIT_ASSERT_GT(test, kt_geom_offset(&g, 1) + KT_REF_SIZE,
				PAGE_SIZE);
		bad = (void *)(base + PAGE_SIZE);
		want_misaligned = 1;
		break;
	case KT_BAD_PAST:
		KUNIT_ASSERT_LT(test, KT_REF_BLOCKS * g.stride, g.chunk);
		bad = (void *)(base + KT_REF_BLOCKS * g.stride);
		want_misaligned = 1;
		break;
	case KT_BAD_KMALLOC:
		bad = kunit_kzalloc(test, 64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, bad);
		want_foreign = r->api != KT_API_OWNED;
		break;
	case KT_BAD_OTHER_POOL:
		p.name = kt_unique_name(test, "refuse2");
		p.owner = &kt_ref_owners[2];
		other = kt_create(test, &p, 1);
		KUNIT_ASSERT_EQ(test, kt_alloc_slots(other, 0, 1, GFP_KERNEL),
				1);
		bad = other->blocks[0];
		want_foreign = r->api != KT_API_OWNED;
		break;
	}

	if (r->api == KT_API_BULK) {
		good = &kp->blocks[0];
		held--;
	}
	ret = kt_ref_free(kp, r->api, bad, good, &owner);
	KUNIT_EXPECT_EQ(test, ret, want);
	kt_ref_expect_errors(test, kp, want_double, want_foreign,
			     want_misaligned);
	kt_expect_in_use(test, kp, held);
	for (i = 0; i < KT_REF_BLOCKS; i++)
		if (kp->blocks[i])
			KUNIT_EXPECT_EQ(test, kt_check(kp->blocks[i],
						       KT_REF_SIZE,
						       KT_REF_SEED + i), -1);
	if (other) {
		kt_ref_expect_errors(test, other, 0, 0, 0);
		kt_expect_in_use(test, other, 1);
		if (r->api == KT_API_OWNED) {
			/* in the caller's range, it is freed in its pool */
			ret = kpool_free_owned(bad, &kt_ref_owners[0],
					       &kt_ref_owners[3], &owner);
			KUNIT_EXPECT_EQ(test, ret, 0);
			KUNIT_EXPECT_PTR_EQ(test, owner,
					    (const void *)&kt_ref_owners[2]);
			if (!ret)
				other->blocks[0] = NULL;
			kt_expect_in_use(test, other, 0);
		}
	}

	/* The good blocks go through the same entry point. */
	for (i = 0; i < KT_REF_BLOCKS; i++) {
		if (!kp->blocks[i])
			continue;
		ret = kt_ref_free(kp, r->api, kp->blocks[i], NULL, &owner);
		KUNIT_EXPECT_EQ(test, ret, 0);
		if (r->api == KT_API_OWNED)
			KUNIT_EXPECT_PTR_EQ(test, owner,
					    (const void *)&kt_ref_owners[0]);
		if (!ret)
			kp->blocks[i] = NULL;
	}
	kt_ref_expect_errors(test, kp, want_double, want_foreign,
			     want_misaligned);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.allocs, st.frees);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, KT_REF_BLOCKS, GFP_KERNEL),
			KT_REF_BLOCKS);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, KT_REF_BLOCKS), 0);
}

/* (h) stress with an owner tag in every block */

#define KT_STRESS_SIZE		64
#define KT_STRESS_HOLD		16
#define KT_STRESS_IRQ_HOLD	4
#define KT_STRESS_RING		32
#define KT_STRESS_ITERS		4000
#define KT_STRESS_TIME		(5 * HZ)
#define KT_STRESS_PERIOD_NS	(300 * NSEC_PER_USEC)
/* word 0 of a free block; an allocated one holds its owner's tag */
#define KT_FREE_TAG		0xf4eeb10cUL
#define KT_TAG_THREAD		0x01000000UL
#define KT_TAG_TIMER		0x02000000UL

struct kt_stress_param {
	const char *desc;
	unsigned int min_blocks;
	unsigned int max_blocks;
};

static const struct kt_stress_param kt_stress_params[] = {
	/* below what the users hold together: depot empty, steals */
	{ "capped", 0, 48 },
	{ "fixed", 48, 48 },
	{ "open", 0, 0 },
};

static void kt_stress_desc(const struct kt_stress_param *s, char *desc)
{
	strscpy(desc, s->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_stress, kt_stress_params, kt_stress_desc);

struct kt_stress;

/**
 * struct kt_stress_timer - an hrtimer pinned to one CPU that holds blocks
 * @hrt: the timer.
 * @s: shared state.
 * @held: its blocks, oldest at @next % KT_STRESS_IRQ_HOLD.
 * @next: ticks so far.
 * @id: tag bits of its blocks.
 */
struct kt_stress_timer {
	struct hrtimer hrt;
	struct kt_stress *s;
	void *held[KT_STRESS_IRQ_HOLD];
	unsigned long next;
	unsigned long id;
};

/**
 * struct kt_stress_thread - a thread bound to one CPU
 * @s: shared state.
 * @id: tag bits of its blocks.
 * @seed: its random state.
 * @held: blocks it holds.
 * @nr: how many.
 * @mailbox: blocks other threads passed to it, to verify and free.
 * @to: the mailbox of a thread on another CPU, where it passes blocks.
 * @timer: its CPU's timer, if it starts one.
 * @cpu: its CPU.
 * @iterations: loop iterations done.
 * @task: the thread.
 * @done: completed when its work is over.
 */
struct kt_stress_thread {
	struct kt_stress *s;
	unsigned long id;
	u32 seed;
	void *held[KT_STRESS_HOLD];
	unsigned int nr;
	struct ptr_ring mailbox;
	struct ptr_ring *to;
	struct kt_stress_timer *timer;
	int cpu;
	unsigned int iterations;
	struct task_struct *task;
	struct completion done;
};

/**
 * struct kt_stress - the stress case
 * @pool: the pool.
 * @sleeping_singles: kpool_alloc() may wait (the pool has no cap).
 * @stop: finish now.
 * @errors: blocks handed out twice, found corrupted, or refused.
 * @allocs: blocks allocated by the users.
 * @frees: blocks they freed.
 * @failures: allocations that returned nothing.
 * @timer_ticks: ticks of all timers.
 */
struct kt_stress {
	struct kpool *pool;
	bool sleeping_singles;
	bool stop;
	atomic_t errors;
	atomic_long_t allocs;
	atomic_long_t frees;
	atomic_long_t failures;
	atomic_long_t timer_ticks;
};

static void kt_stress_ctor(void *block, void *arg)
{
	*(unsigned long *)block = KT_FREE_TAG;
}

/* Bytes after the tag: a pattern that depends on the tag. */
static void kt_stress_fill(void *block, unsigned long tag)
{
	kt_fill(block + sizeof(long), KT_STRESS_SIZE - sizeof(long), tag);
}

/*
 * The block was just handed out: claim it for @tag. Fails if the block is
 * not free by its tag, i.e. someone else holds it.
 */
static bool kt_stress_claim(struct kt_stress *s, void *block,
			    unsigned long tag)
{
	unsigned long old = cmpxchg((unsigned long *)block, KT_FREE_TAG, tag);

	if (old != KT_FREE_TAG) {
		atomic_inc(&s->errors);
		return false;
	}
	kt_stress_fill(block, tag);
	atomic_long_inc(&s->allocs);
	return true;
}

/* Verify and give up a claimed block, then free it. */
static void kt_stress_release(struct kt_stress *s, void *block)
{
	unsigned long tag = READ_ONCE(*(unsigned long *)block);

	if (tag == KT_FREE_TAG ||
	    kt_check(block + sizeof(long), KT_STRESS_SIZE - sizeof(long),
		     tag) != -1 ||
	    cmpxchg((unsigned long *)block, tag, KT_FREE_TAG) != tag) {
		/* not ours to free any more: leak it rather than free twice */
		atomic_inc(&s->errors);
		return;
	}
	if (kpool_free(s->pool, block))
		atomic_inc(&s->errors);
	else
		atomic_long_inc(&s->frees);
}

static void *kt_stress_alloc(struct kt_stress *s, gfp_t gfp,
			     unsigned long tag)
{
	void *block = kpool_alloc(s->pool, gfp);

	if (!block) {
		atomic_long_inc(&s->failures);
		return NULL;
	}
	if (!kt_stress_claim(s, block, tag))
		return NULL;
	return block;
}

static enum hrtimer_restart kt_stress_tick(struct hrtimer *hrt)
{
	struct kt_stress_timer *t = container_of(hrt, struct kt_stress_timer,
						 hrt);
	unsigned int slot = t->next % KT_STRESS_IRQ_HOLD;

	if (READ_ONCE(t->s->stop))
		return HRTIMER_NORESTART;
	if (t->held[slot])
		kt_stress_release(t->s, t->held[slot]);
	t->held[slot] = kt_stress_alloc(t->s, GFP_ATOMIC,
					t->id | (t->next & 0xffff));
	t->next++;
	atomic_long_inc(&t->s->timer_ticks);
	hrtimer_forward_now(hrt, ns_to_ktime(KT_STRESS_PERIOD_NS));
	return HRTIMER_RESTART;
}

static u32 kt_stress_rand(struct kt_stress_thread *t)
{
	t->seed = t->seed * 1103515245 + 12345;
	return t->seed >> 8;
}

static void kt_stress_mailbox(struct kt_stress_thread *t)
{
	void *block;

	while ((block = ptr_ring_consume(&t->mailbox)))
		kt_stress_release(t->s, block);
}

/* Take blocks: one (maybe sleeping where that cannot deadlock) or a bulk. */
static void kt_stress_take(struct kt_stress_thread *t, unsigned long tag)
{
	struct kt_stress *s = t->s;
	unsigned int room = KT_STRESS_HOLD - t->nr, n, i;
	void *block, *got[KT_STRESS_HOLD];
	u32 r = kt_stress_rand(t);
	gfp_t gfp;

	if (r % 4 == 0 && room > 1) {
		n = 1 + r / 4 % room;
		gfp = r & 0x100 ? GFP_KERNEL : GFP_ATOMIC;
		if (kpool_alloc_bulk(s->pool, gfp, n, got)) {
			atomic_long_inc(&s->failures);
			return;
		}
		for (i = 0; i < n; i++)
			if (kt_stress_claim(s, got[i], tag + i))
				t->held[t->nr++] = got[i];
		return;
	}
	gfp = s->sleeping_singles && !t->nr && r & 0x100 ? GFP_KERNEL :
							  GFP_ATOMIC;
	block = kt_stress_alloc(s, gfp, tag);
	if (block)
		t->held[t->nr++] = block;
}

/* Give a random held block back: freed here, or on another CPU. */
static void kt_stress_give(struct kt_stress_thread *t)
{
	u32 r = kt_stress_rand(t);
	unsigned int i = r % t->nr;
	void *block = t->held[i];

	t->held[i] = t->held[--t->nr];
	if (r & 0x300 || ptr_ring_produce(t->to, block))
		kt_stress_release(t->s, block);
}

static int kt_stress_thread_fn(void *data)
{
	struct kt_stress_thread *t = data;
	unsigned long deadline = jiffies + KT_STRESS_TIME;
	unsigned int iter;

	allow_signal(SIGKILL);
	if (t->timer)
		hrtimer_start(&t->timer->hrt, ns_to_ktime(KT_STRESS_PERIOD_NS),
			      HRTIMER_MODE_REL_PINNED_HARD);
	for (iter = 0; iter < KT_STRESS_ITERS; iter++) {
		if (READ_ONCE(t->s->stop) || fatal_signal_pending(current) ||
		    time_after(jiffies, deadline))
			break;
		kt_stress_mailbox(t);
		if (t->nr < KT_STRESS_HOLD && (!t->nr || kt_stress_rand(t) & 1))
			kt_stress_take(t, t->id | (iter & 0xfff) << 4);
		else if (t->nr)
			kt_stress_give(t);
		if (!(iter % 64))
			cond_resched();
	}
	t->iterations = iter;
	complete_all(&t->done);
	return 0;
}

/* Everything a thread holds or was passed, freed once all have stopped. */
static void kt_stress_thread_release(struct kt_stress_thread *t)
{
	while (t->nr)
		kt_stress_release(t->s, t->held[--t->nr]);
	kt_stress_mailbox(t);
}

/*
 * Two threads per online CPU and an hrtimer per CPU (hardirq) allocate,
 * claim every block with a compare-and-exchange of its tag word (the
 * constructor makes it the free tag), verify the pattern and give the tag
 * back before freeing. A thread passes some blocks to a thread of another
 * CPU, which frees them there (a free outside the CPU's hint chunk, into a
 * magazine that may hold stale pointers). In a capped pool the depot runs
 * dry and allocations steal from other CPUs' magazines. A block handed to
 * a second user while the first holds it fails that claim.
 */
static void kt_stress_owner_tags(struct kunit *test)
{
	const struct kt_stress_param *param = test->param_value;
	unsigned int nr_threads = 0, nr_timers = 0, i, j;
	struct kt_stress_timer *timers;
	struct kt_stress_thread *threads;
	bool in_time = true;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_stress *s;
	struct kt_pool *kp;
	void *probe;
	int cpu, err = 0;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	threads = kunit_kcalloc(test, 2 * nr_cpu_ids, sizeof(*threads),
				GFP_KERNEL);
	timers = kunit_kcalloc(test, nr_cpu_ids, sizeof(*timers), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, threads);
	KUNIT_ASSERT_NOT_NULL(test, timers);

	kt_params_init(&p, kt_unique_name(test, "stress"), KT_STRESS_SIZE);
	p.min_blocks = param->min_blocks;
	p.max_blocks = param->max_blocks;
	p.ctor = kt_stress_ctor;
	kp = kt_create(test, &p, 0);
	s->pool = kp->pool;
	s->sleeping_singles = !param->max_blocks;

	/* The detector works: a block claimed twice is caught. */
	probe = kt_stress_alloc(s, GFP_KERNEL, KT_TAG_THREAD);
	KUNIT_ASSERT_NOT_NULL(test, probe);
	KUNIT_EXPECT_FALSE(test, kt_stress_claim(s, probe, KT_TAG_TIMER));
	KUNIT_EXPECT_EQ(test, atomic_read(&s->errors), 1);
	atomic_set(&s->errors, 0);
	kt_stress_release(s, probe);
	KUNIT_ASSERT_EQ(test, atomic_read(&s->errors), 0);

	for_each_online_cpu(cpu) {
		for (i = 0; i < 2; i++) {
			struct kt_stress_thread *t = &threads[nr_threads];

			t->s = s;
			t->cpu = cpu;
			t->id = KT_TAG_THREAD | (unsigned long)nr_threads << 16;
			t->seed = 0x9e3779b9u * (nr_threads + 1);
			init_completion(&t->done);
			err = ptr_ring_init(&t->mailbox, KT_STRESS_RING,
					    GFP_KERNEL);
			if (err)
				goto start;
			if (!i) {
				struct kt_stress_timer *tm = &timers[nr_timers];

				tm->s = s;
				tm->id = KT_TAG_TIMER |
					 (unsigned long)nr_timers << 16;
				hrtimer_setup(&tm->hrt, kt_stress_tick,
					      CLOCK_MONOTONIC,
					      HRTIMER_MODE_REL_PINNED_HARD);
				t->timer = tm;
				nr_timers++;
			}
			nr_threads++;
		}
	}
start:
	/* each thread passes blocks to one on the next CPU */
	for (i = 0; i < nr_threads; i++)
		threads[i].to = &threads[(i + 2) % nr_threads].mailbox;
	for (i = 0; !err && i < nr_threads; i++) {
		threads[i].task = kt_start_on_cpu(kt_stress_thread_fn,
						  &threads[i], threads[i].cpu,
						  "kpool_kt_stress/%u");
		if (IS_ERR(threads[i].task)) {
			err = PTR_ERR(threads[i].task);
			threads[i].task = NULL;
		}
	}
	for (i = 0; i < nr_threads; i++)
		if (threads[i].task)
			in_time &= kt_stop(threads[i].task, &threads[i].done,
					   KT_STRESS_TIME + KT_CORE_TIMEOUT);
	WRITE_ONCE(s->stop, true);
	for (i = 0; i < nr_timers; i++) {
		hrtimer_cancel(&timers[i].hrt);
		for (j = 0; j < KT_STRESS_IRQ_HOLD; j++)
			if (timers[i].held[j])
				kt_stress_release(s, timers[i].held[j]);
	}
	for (i = 0; i < nr_threads; i++)
		kt_stress_thread_release(&threads[i]);
	for (i = 0; i < nr_threads; i++)
		ptr_ring_cleanup(&threads[i].mailbox, NULL);

	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_TRUE(test, in_time);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->errors), 0);
	for (i = 0; i < nr_threads; i++)
		KUNIT_EXPECT_GT(test, threads[i].iterations, 0);
	KUNIT_EXPECT_GT(test, atomic_long_read(&s->timer_ticks), 0);
	kt_stats(kp, &st);
	kunit_info(test, "%u threads, %u timers: %ld blocks claimed, %ld allocations failed, %ld timer ticks; pool: %llu cache hits, %llu steals, %llu drains\n",
		   nr_threads, nr_timers, atomic_long_read(&s->allocs),
		   atomic_long_read(&s->failures),
		   atomic_long_read(&s->timer_ticks), st.cache_hits, st.steals,
		   st.drains);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->allocs),
			atomic_long_read(&s->frees));
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.allocs, st.frees);
	/* the pool counts what failed bulk requests took and gave back too */
	KUNIT_EXPECT_GE(test, st.allocs, atomic_long_read(&s->allocs));
	KUNIT_EXPECT_EQ(test, st.err_double_free + st.err_foreign +
			st.err_misaligned, 0);
	if (param->max_blocks)
		KUNIT_EXPECT_LE(test, st.blocks_total, param->max_blocks);
	KUNIT_EXPECT_GE(test, st.blocks_total, param->min_blocks);
}

static struct kunit_case kt_core_cases[] = {
	KUNIT_CASE(kt_fixed_pool_magazines),
	KUNIT_CASE(kt_atomic_steals_remote),
	KUNIT_CASE_PARAM(kt_gfp_order, kt_gfp_order_gen_params),
	KUNIT_CASE_PARAM(kt_straddling, kt_straddle_gen_params),
	KUNIT_CASE_PARAM(kt_boundary, kt_boundary_gen_params),
	KUNIT_CASE_PARAM(kt_bulk_beyond_magazine, kt_bulk_gen_params),
	KUNIT_CASE_PARAM(kt_refusals, kt_refusal_gen_params),
	KUNIT_CASE_PARAM(kt_stress_owner_tags, kt_stress_gen_params),
	{}
};

struct kunit_suite kt_core_suite = {
	.name = "kpool_core",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_core_cases,
};
