// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_failnth - a fail-nth sweep of kpool's API entry points.
 *
 * For each entry point (pools and pool sets), the preconditions are built
 * without injection, then the task's fail-nth counter (current->fail_nth,
 * the kernel side of /proc/thread-self/fail-nth) is set to N = 1, 2, ...
 * before the call: the Nth fault site the call reaches (failslab,
 * fail_page_alloc, the pool's own fail_grow fault_attr, ...) fails. A
 * counter still non-zero after the call means the call reached fewer than
 * N sites: the sweep of that entry point ends and N - 1 sites were
 * reached. Every run must return 0 or the entry point's documented error
 * and leave kpool consistent: as many pools as before (plus those the run
 * holds: a pool, or the class pools of a set), the run's pool or set with
 * exactly the blocks the run holds, and the pool or set destroyable
 * afterwards.
 *
 * The sites reached depend on the failslab and fail_page_alloc knobs
 * (ignore-gfp-wait, min-order): arm_fail_nth in the guest plans sets them
 * so that GFP_KERNEL and order-0 allocations are sites too.
 *
 * Built only with CONFIG_FAULT_INJECTION (task_struct.fail_nth).
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "kpool_set.h"
#include "kpool_test.h"

/* A bug must not make a sweep loop forever. */
#define KT_FAILNTH_MAX		10000
#define KT_FAILNTH_BLOCKS	16

/**
 * struct kt_fn_run - the state of one run of an entry point
 * @test: the case.
 * @params: parameters of the run's pool...
 * @set_params: ...or set.
 * @pool: the run's pool, NULL when there is none (not created yet, failed
 *	  to be created, destroyed)...
 * @set: ...or its set.
 * @dev: the device a managed pool belongs to, or NULL.
 * @size: bytes asked for each block.
 * @blocks: blocks the run holds.
 * @nr_blocks: how many.
 */
struct kt_fn_run {
	struct kunit *test;
	struct kpool_params params;
	struct kpool_set_params set_params;
	struct kpool *pool;
	struct kpool_set *set;
	struct device *dev;
	size_t size;
	void *blocks[KT_FAILNTH_BLOCKS];
	unsigned int nr_blocks;
};

/**
 * struct kt_fn_entry - an entry point to sweep
 * @name: shown in the results.
 * @set: the run uses a set (three classes: a quarter, half and all of
 *	 KT_FN_SET_MAX bytes), not a pool.
 * @flags: KPOOL_F_* flags of the run's pool or set.
 * @size: block size of the pool, bytes asked for from the set.
 * @min_blocks: reserve of the pool or of each class.
 * @create: the run's pool or set is created by @call, not before it.
 * @prepare: more preconditions (blocks held), or NULL.
 * @call: the entry point; returns 0 or a negative errno.
 * @settle: waits, after @call and without injection, until what @call
 *	    started is over (frees after a grace period), or NULL.
 * @err: the one error @call may return; 0 if it cannot fail.
 */
struct kt_fn_entry {
	const char *name;
	bool set;
	unsigned int flags;
	size_t size;
	unsigned int min_blocks;
	bool create;
	void (*prepare)(struct kt_fn_run *run);
	int (*call)(struct kt_fn_run *run);
	void (*settle)(struct kt_fn_run *run);
	int err;
};

#define KT_FN_SET_MAX		2048

static int kt_fn_create(struct kt_fn_run *run)
{
	struct kpool *pool = kpool_create(&run->params);

	if (IS_ERR(pool))
		return PTR_ERR(pool);
	run->pool = pool;
	return 0;
}

/* A pool of a device (devm_kpool_create()): the device is made first. */
static void kt_fn_device(struct kt_fn_run *run)
{
	run->dev = root_device_register("kpool_kt_fn");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(run->test, run->dev);
}

static int kt_fn_devm_create(struct kt_fn_run *run)
{
	struct kpool *pool = devm_kpool_create(run->dev, &run->params);

	if (IS_ERR(pool))
		return PTR_ERR(pool);
	run->pool = pool;
	return 0;
}

static int kt_fn_set_create(struct kt_fn_run *run)
{
	struct kpool_set *set = kpool_set_create(&run->set_params);

	if (IS_ERR(set))
		return PTR_ERR(set);
	run->set = set;
	return 0;
}

static int kt_fn_alloc(struct kt_fn_run *run, gfp_t gfp)
{
	void *block;

	if (run->set)
		block = kpool_set_alloc(run->set, run->size, gfp);
	else
		block = kpool_alloc(run->pool, gfp);
	if (!block)
		return -ENOMEM;
	run->blocks[run->nr_blocks++] = block;
	return 0;
}

/* A sleeping allocation retries growth: an injected fault is absorbed. */
static int kt_fn_alloc_kernel(struct kt_fn_run *run)
{
	return kt_fn_alloc(run, GFP_KERNEL);
}

/* An atomic one fails with the first failed growth. */
static int kt_fn_alloc_nowait(struct kt_fn_run *run)
{
	return kt_fn_alloc(run, GFP_NOWAIT);
}

/* The mempool_alloc_t over a pool never waits inside the pool. */
static int kt_fn_mempool_alloc(struct kt_fn_run *run)
{
	void *block = kpool_mempool_alloc(GFP_KERNEL, run->pool);

	if (!block)
		return -ENOMEM;
	run->blocks[run->nr_blocks++] = block;
	return 0;
}

/* More blocks than one chunk holds, so that the pool grows more than once. */
static int kt_fn_alloc_bulk(struct kt_fn_run *run)
{
	int ret;

	if (run->set)
		ret = kpool_set_alloc_bulk(run->set, run->size, GFP_KERNEL,
					   KT_FAILNTH_BLOCKS, run->blocks);
	else
		ret = kpool_alloc_bulk(run->pool, GFP_KERNEL,
				       KT_FAILNTH_BLOCKS, run->blocks);
	if (!ret)
		run->nr_blocks = KT_FAILNTH_BLOCKS;
	return ret;
}

static int kt_fn_free_bulk(struct kt_fn_run *run)
{
	int ret;

	if (run->set)
		ret = kpool_set_free_bulk(run->set, run->nr_blocks,
					  run->blocks);
	else
		ret = kpool_free_bulk(run->pool, run->nr_blocks, run->blocks);
	if (!ret)
		run->nr_blocks = 0;
	return ret;
}

/*
 * Deferred frees allocate their batches (GFP_NOWAIT) and never fail: a
 * block that gets no batch is marked for the next grace period instead.
 */
static int kt_fn_free_rcu(struct kt_fn_run *run)
{
	int ret = 0;

	while (run->nr_blocks && !ret)
		ret = kpool_free_rcu(run->pool, run->blocks[--run->nr_blocks]);
	return ret;
}

/* Every block given to kpool_free_rcu() is free again. */
static void kt_fn_rcu_settle(struct kt_fn_run *run)
{
	KUNIT_EXPECT_EQ(run->test, kt_wait_rcu_idle(run->pool), 0);
}

static void kt_fn_hold_blocks(struct kt_fn_run *run)
{
	KUNIT_ASSERT_EQ(run->test, kt_fn_alloc_bulk(run), 0);
}

/* Free chunks for kpool_shrink() to give back. */
static void kt_fn_free_chunks(struct kt_fn_run *run)
{
	kt_fn_hold_blocks(run);
	KUNIT_ASSERT_EQ(run->test, kt_fn_free_bulk(run), 0);
}

static int kt_fn_shrink(struct kt_fn_run *run)
{
	kpool_shrink(run->pool);
	return 0;
}

static int kt_fn_destroy(struct kt_fn_run *run)
{
	int ret;

	if (run->dev) {
		/* the device's pool goes with it */
		root_device_unregister(run->dev);
		run->dev = NULL;
		run->pool = NULL;
		return 0;
	}
	if (run->set) {
		ret = kpool_set_destroy(run->set);
		if (!ret)
			run->set = NULL;
	} else {
		ret = kpool_destroy(run->pool);
		if (!ret)
			run->pool = NULL;
	}
	return ret;
}

/*
 * The entry points. Pools of 1024-byte blocks in order-0 chunks (four per
 * chunk) and sets asked for 1500 bytes (2048-byte class, two per chunk):
 * KT_FAILNTH_BLOCKS blocks take several growths.
 */
static const struct kt_fn_entry kt_fn_entries[] = {
	{ .name = "kpool_create", .size = 64, .create = true,
	  .call = kt_fn_create, .err = -ENOMEM },
	{ .name = "kpool_create_debug", .flags = KPOOL_F_DEBUG, .size = 100,
	  .create = true, .call = kt_fn_create, .err = -ENOMEM },
	{ .name = "kpool_create_reserve", .size = 1024, .min_blocks = 10,
	  .create = true, .call = kt_fn_create, .err = -ENOMEM },
	{ .name = "kpool_alloc_kernel", .size = 1024,
	  .call = kt_fn_alloc_kernel, .err = -ENOMEM },
	{ .name = "kpool_alloc_nowait", .size = 1024,
	  .call = kt_fn_alloc_nowait, .err = -ENOMEM },
	{ .name = "kpool_alloc_debug", .flags = KPOOL_F_DEBUG, .size = 1024,
	  .call = kt_fn_alloc_nowait, .err = -ENOMEM },
	{ .name = "devm_kpool_create", .size = 1024, .create = true,
	  .prepare = kt_fn_device, .call = kt_fn_devm_create, .err = -ENOMEM },
	{ .name = "kpool_mempool_alloc", .size = 1024,
	  .call = kt_fn_mempool_alloc, .err = -ENOMEM },
	{ .name = "kpool_alloc_bulk", .size = 1024, .call = kt_fn_alloc_bulk,
	  .err = -ENOMEM },
	{ .name = "kpool_free_bulk", .size = 1024,
	  .prepare = kt_fn_hold_blocks, .call = kt_fn_free_bulk },
	{ .name = "kpool_free_rcu", .size = 1024,
	  .prepare = kt_fn_hold_blocks, .call = kt_fn_free_rcu,
	  .settle = kt_fn_rcu_settle },
	{ .name = "kpool_shrink", .size = 1024, .prepare = kt_fn_free_chunks,
	  .call = kt_fn_shrink },
	{ .name = "kpool_destroy", .size = 1024, .prepare = kt_fn_free_chunks,
	  .call = kt_fn_destroy },
	{ .name = "kpool_set_create", .set = true, .size = 1500,
	  .min_blocks = 1, .create = true, .call = kt_fn_set_create,
	  .err = -ENOMEM },
	{ .name = "kpool_set_alloc", .set = true, .size = 1500,
	  .call = kt_fn_alloc_nowait, .err = -ENOMEM },
	{ .name = "kpool_set_alloc_bulk", .set = true, .size = 1500,
	  .call = kt_fn_alloc_bulk, .err = -ENOMEM },
	{ .name = "kpool_set_free_bulk", .set = true, .size = 1500,
	  .prepare = kt_fn_hold_blocks, .call = kt_fn_free_bulk },
	{ .name = "kpool_set_destroy", .set = true, .size = 1500,
	  .prepare = kt_fn_free_chunks, .call = kt_fn_destroy },
};

static void kt_fn_desc(const struct kt_fn_entry *e, char *desc)
{
	strscpy(desc, e->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_fn, kt_fn_entries, kt_fn_desc);

static void kt_fn_set_params(struct kunit *test, const struct kt_fn_entry *e,
			     struct kpool_set_params *p)
{
	p->name = kt_unique_name(test, "fs");
	p->min_size = KT_FN_SET_MAX / 4;
	p->max_size = KT_FN_SET_MAX;
	p->classes_per_doubling = 1;
	p->min_blocks = e->min_blocks;
	p->node = NUMA_NO_NODE;
	p->flags = e->flags;
}

/* Build the preconditions of a run, without injection. */
static void kt_fn_setup(struct kunit *test, const struct kt_fn_entry *e,
			struct kt_fn_run *run)
{
	memset(run, 0, sizeof(*run));
	run->test = test;
	run->size = e->size;
	if (e->set) {
		kt_fn_set_params(test, e, &run->set_params);
	} else {
		kt_params_init(&run->params, kt_unique_name(test, "fn"),
			       e->size);
		run->params.flags = e->flags;
		run->params.min_blocks = e->min_blocks;
		run->params.order = 0;
	}
	if (!e->create) {
		KUNIT_ASSERT_EQ(test, e->set ? kt_fn_set_create(run) :
				kt_fn_create(run), 0);
	}
	if (e->prepare)
		e->prepare(run);
}

/* Pools in the registry that belong to the run. */
static int kt_fn_pools(const struct kt_fn_run *run)
{
	if (run->set)
		return kpool_set_nr_classes(run->set);
	return !!run->pool;
}

/* kpool is as the run says: its pool or set holds exactly its blocks. */
static void kt_fn_expect_consistent(struct kunit *test, struct kt_fn_run *run,
				    int pools_outside, unsigned int n)
{
	struct kpool_set_stats set_st = {};
	struct kpool_stats st = {};
	u64 in_use, outstanding;

	KUNIT_EXPECT_EQ_MSG(test, kt_count_pools(),
			    pools_outside + kt_fn_pools(run), "N = %u: pools",
			    n);
	if (run->set) {
		kpool_set_get_stats(run->set, &set_st);
		in_use = set_st.blocks_in_use;
		outstanding = set_st.allocs - set_st.frees;
	} else if (run->pool) {
		kpool_get_stats(run->pool, &st);
		in_use = st.blocks_in_use;
		outstanding = st.allocs - st.frees;
		KUNIT_EXPECT_EQ_MSG(test, st.blocks_total,
				    st.blocks_in_use + st.blocks_free,
				    "N = %u: blocks total", n);
		KUNIT_EXPECT_GE_MSG(test, st.blocks_total,
				    (u64)run->params.min_blocks,
				    "N = %u: reserve", n);
	} else {
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, in_use, run->nr_blocks,
			    "N = %u: blocks in use", n);
	KUNIT_EXPECT_EQ_MSG(test, outstanding, run->nr_blocks,
			    "N = %u: allocs - frees", n);
}

/*
 * Free what the run holds and destroy its pool or set (and device): nothing
 * may stay.
 */
static void kt_fn_teardown(struct kunit *test, struct kt_fn_run *run,
			   unsigned int n)
{
	if (run->pool || run->set) {
		KUNIT_EXPECT_EQ(test, kt_fn_free_bulk(run), 0);
		KUNIT_EXPECT_EQ_MSG(test, kt_fn_destroy(run), 0,
				    "N = %u: not destroyable", n);
	}
	if (run->dev)
		kt_fn_destroy(run);
}

/*
 * One run with the Nth fault site failing.
 * Return: whether the fault was injected (the call reached N sites).
 */
static bool kt_fn_run_once(struct kunit *test, const struct kt_fn_entry *e,
			   struct kt_fn_run *run, unsigned int n)
{
	int pools_outside, ret;
	unsigned int left;

	kt_fn_setup(test, e, run);
	pools_outside = kt_count_pools() - kt_fn_pools(run);

	current->fail_nth = n;
	ret = e->call(run);
	left = current->fail_nth;
	current->fail_nth = 0;
	if (e->settle)
		e->settle(run);

	if (left)
		KUNIT_EXPECT_EQ_MSG(test, ret, 0,
				    "N = %u: failed without injection", n);
	else if (ret)
		KUNIT_EXPECT_EQ_MSG(test, ret, e->err,
				    "N = %u: undocumented error", n);
	kt_fn_expect_consistent(test, run, pools_outside, n);
	kt_fn_teardown(test, run, n);
	return !left;
}

static void kt_failnth_sweep(struct kunit *test)
{
	const struct kt_fn_entry *e = test->param_value;
	struct kt_fn_run *run;
	unsigned int n;

	run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, run);
	for (n = 1; n <= KT_FAILNTH_MAX; n++)
		if (!kt_fn_run_once(test, e, run, n))
			break;
	KUNIT_EXPECT_LE_MSG(test, n, KT_FAILNTH_MAX,
			    "%s: sweep did not end", e->name);
	kunit_info(test, "failnth %s sites=%u\n", e->name, n - 1);
}

/*
 * The pool's fail_grow fault_attr is a fault site of growth, the first
 * one an atomic allocation from an empty pool reaches: failing it fails
 * the allocation, counts in faults_injected and grow_failures, and leaves
 * the pool working.
 */
static void kt_fail_grow_attr(struct kunit *test)
{
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	unsigned int left;
	void *block;

	kt_params_init(&p, kt_unique_name(test, "failgrow"), 256);
	kp = kt_create(test, &p, 1);

	current->fail_nth = 1;
	block = kpool_alloc(kp->pool, GFP_NOWAIT);
	left = current->fail_nth;
	current->fail_nth = 0;

	KUNIT_EXPECT_EQ(test, left, 0);
	KUNIT_EXPECT_NULL(test, block);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.faults_injected, 1);
	KUNIT_EXPECT_EQ(test, st.grow_failures, 1);
	KUNIT_EXPECT_EQ(test, st.chunks, 0);

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_NOWAIT), 1);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.faults_injected, 1);
	KUNIT_EXPECT_EQ(test, st.grows, 1);
	kt_expect_in_use(test, kp, 1);
}

static struct kunit_case kt_failnth_cases[] = {
	KUNIT_CASE(kt_fail_grow_attr),
	KUNIT_CASE_PARAM(kt_failnth_sweep, kt_fn_gen_params),
	{}
};

static struct kunit_suite kt_failnth_suite = {
	.name = "kpool_failnth",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_failnth_cases,
};

kunit_test_suite(kt_failnth_suite);
