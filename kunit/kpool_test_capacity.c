// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_capacity: the reserve, the cap, waiting, bulk, shrink, destroy.
 *
 * - The min_blocks reserve is used only once growth fails (kpool's own
 *   fault injection, or the kernel's fail_page_alloc when the harness arms
 *   it), serves exactly min_blocks allocations, and kpool_free() refills it
 *   first.
 * - At max_blocks an atomic allocation fails at once and is counted; a
 *   sleeping one waits, is woken by the next kpool_free() and gets the
 *   freed block, or returns NULL on SIGKILL.
 * - At the cap, blocks freed into one CPU's magazine can be allocated on
 *   another: atomically once the drain it triggers has run, sleeping at
 *   once. kpool_set_fault() probabilities are validated and honoured.
 * - kpool_alloc_bulk() is all-or-nothing when the cap or a growth failure
 *   stops it half-way.
 * - kpool_shrink() frees entirely free chunks, returns their pages and
 *   never drops below min_blocks.
 * - kpool_destroy() refuses a pool with blocks out and leaves it usable.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/string.h>

#include "kpool_test.h"

#define KT_THREAD_TIMEOUT	(10 * HZ)
/* A woken waiter returns within this; kpool's own retry comes after 1s. */
#define KT_WAKE_LATENCY		(HZ * 3 / 4)
/* An atomic allocation that fails "at once" returns within this. */
#define KT_AT_ONCE		(2 * HZ)

/**
 * struct kt_worker - a thread that allocates into a pool's slots
 * @kp: the pool.
 * @first: first slot it fills.
 * @n: blocks to allocate.
 * @gfp: for kpool_alloc().
 * @free_after: free the blocks again before finishing.
 * @retry: jiffies an atomic allocation that failed is retried for.
 * @got: blocks allocated.
 * @free_ret: what freeing them returned.
 * @started: completed before the first allocation.
 * @done: completed (complete_all()) when the work is over.
 */
struct kt_worker {
	struct kt_pool *kp;
	unsigned int first;
	unsigned int n;
	gfp_t gfp;
	bool free_after;
	unsigned long retry;
	unsigned int got;
	int free_ret;
	struct completion started;
	struct completion done;
};

static int kt_worker_fn(void *data)
{
	struct kt_worker *w = data;
	unsigned long deadline = jiffies + w->retry;

	allow_signal(SIGKILL);
	complete(&w->started);
	w->got = kt_alloc_slots(w->kp, w->first, w->n, w->gfp);
	while (w->got < w->n && time_before(jiffies, deadline)) {
		usleep_range(2000, 5000);
		w->got += kt_alloc_slots(w->kp, w->first + w->got,
					 w->n - w->got, w->gfp);
	}
	if (w->free_after)
		w->free_ret = kt_free_slots(w->kp, w->first, w->got);
	complete_all(&w->done);
	return 0;
}

static struct kt_worker *kt_worker_new(struct kunit *test, struct kt_pool *kp,
				       unsigned int first, unsigned int n,
				       gfp_t gfp)
{
	struct kt_worker *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->kp = kp;
	w->first = first;
	w->n = n;
	w->gfp = gfp;
	init_completion(&w->started);
	init_completion(&w->done);
	return w;
}

/* Runs @w on @cpu (or anywhere for -1) to its end. */
static void kt_run_worker(struct kunit *test, struct kt_worker *w, int cpu)
{
	struct task_struct *task;

	task = kt_start_on_cpu(kt_worker_fn, w, cpu, "kpool_kt/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_TRUE(test, kt_stop(task, &w->done, KT_THREAD_TIMEOUT));
}

/*
 * One atomic allocation into slot @slot of @kp, made by a thread bound to
 * this CPU, so that a pool that wrongly sleeps fails the case instead of
 * hanging it. Return: whether the allocation returned within KT_AT_ONCE.
 */
static bool kt_atomic_alloc(struct kunit *test, struct kt_pool *kp,
			    unsigned int slot, gfp_t gfp)
{
	struct kt_worker *w = kt_worker_new(test, kp, slot, 1, gfp);
	struct task_struct *task;
	bool quick;

	task = kt_start_on_cpu(kt_worker_fn, w, raw_smp_processor_id(),
			       "kpool_kt/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	wait_for_completion(&w->started);
	quick = wait_for_completion_timeout(&w->done, KT_AT_ONCE);
	kt_stop(task, &w->done, KT_THREAD_TIMEOUT);
	return quick;
}

struct kt_reserve_param {
	size_t block_size;
	int order;
	unsigned int min_blocks;
};

static const struct kt_reserve_param kt_reserve_params[] = {
	/* The reserve is the whole pool. */
	{ PAGE_SIZE, 2, 4 },
	/* The reserve shares its chunk with free blocks. */
	{ 64, KPOOL_ORDER_AUTO, 8 },
	{ 9000, KPOOL_ORDER_AUTO, 3 },
};

static void kt_reserve_desc(const struct kt_reserve_param *r, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu order %d min %u",
		 r->block_size, r->order, r->min_blocks);
}

KUNIT_ARRAY_PARAM(kt_reserve, kt_reserve_params, kt_reserve_desc);

/*
 * With every growth failing: the free blocks carved at create go first
 * without touching the reserve, then exactly min_blocks allocations are
 * served by the reserve, then atomic allocations fail. Frees refill the
 * reserve before anything else; once growth works again the pool grows.
 */
static void kt_reserve_under_faults(struct kunit *test)
{
	const struct kt_reserve_param *r = test->param_value;
	unsigned int res = r->min_blocks;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	unsigned int spare, total;

	kt_params_init(&p, kt_unique_name(test, "reserve"), r->block_size);
	p.order = r->order;
	p.min_blocks = res;
	kp = kt_create(test, &p, 512);

	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.min_blocks, res);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, res);
	KUNIT_EXPECT_GE(test, st.blocks_total, res);
	total = st.blocks_total;
	KUNIT_ASSERT_LE(test, total + 1, kp->nr_slots);
	spare = total - res;

	kt_fail_growth(test, kp, true);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, spare, GFP_ATOMIC), spare);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.reserve_allocs, 0);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, res);

	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, spare, res, GFP_ATOMIC), res);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.reserve_allocs, res);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, 0);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, total);
	KUNIT_EXPECT_EQ(test, st.blocks_total, total);
	KUNIT_EXPECT_GE(test, st.grow_failures, 1);
	KUNIT_EXPECT_GE(test, st.faults_injected, 1);

	KUNIT_EXPECT_TRUE_MSG(test,
			      kt_atomic_alloc(test, kp, total, GFP_ATOMIC),
			      "GFP_ATOMIC allocation did not return at once");
	KUNIT_EXPECT_NULL(test, kp->blocks[total]);
	KUNIT_EXPECT_TRUE_MSG(test,
			      kt_atomic_alloc(test, kp, total, GFP_NOWAIT),
			      "GFP_NOWAIT allocation did not return at once");
	KUNIT_EXPECT_NULL(test, kp->blocks[total]);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 2);

	/* A free goes to the reserve first, and the reserve serves it again. */
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, 1);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_ATOMIC), 1);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.reserve_allocs, res + 1);

	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, total), 0);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, res);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);

	kt_fail_growth(test, kp, false);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, total + 1, GFP_ATOMIC),
			total + 1);
	kt_stats(kp, &st);
	KUNIT_EXPECT_GT(test, st.blocks_total, total);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, total + 1), 0);
}

/*
 * kpool_set_fault() accepts probabilities up to KPOOL_FAULT_PPM_MAX only;
 * at that probability every growth fails, and turning it off lets the pool
 * grow again.
 */
static void kt_fault_probability(struct kunit *test)
{
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;

	kt_params_init(&p, kt_unique_name(test, "ppm"), PAGE_SIZE);
	p.order = 0;
	kp = kt_create(test, &p, 1);
	KUNIT_EXPECT_EQ(test, kpool_set_fault(kp->pool, 0,
					      KPOOL_FAULT_PPM_MAX + 1), -EINVAL);
	KUNIT_ASSERT_EQ(test, kpool_set_fault(kp->pool, 0,
					      KPOOL_FAULT_PPM_MAX), 0);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_ATOMIC), 0);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_ATOMIC), 0);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.faults_injected, 2);
	KUNIT_EXPECT_EQ(test, st.grow_failures, 2);
	KUNIT_EXPECT_EQ(test, st.chunks, 0);

	KUNIT_ASSERT_EQ(test, kpool_set_fault(kp->pool, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_ATOMIC), 1);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.faults_injected, 2);
	KUNIT_EXPECT_EQ(test, st.chunks, 1);
}

#ifdef CONFIG_FAIL_PAGE_ALLOC
#define KT_FPA_ORDER	4
#define KT_FPA_RESERVE	2

/* Whether a chunk-sized atomic page allocation succeeds right now. */
static bool kt_chunk_pages_available(void)
{
	struct page *page = alloc_pages(GFP_ATOMIC | __GFP_NOWARN,
					KT_FPA_ORDER);

	if (page)
		__free_pages(page, KT_FPA_ORDER);
	return page;
}

/*
 * The reserve holds when the page allocator itself fails. Needs the
 * harness to arm fail_page_alloc for tasks that ask for it (task-filter Y,
 * probability 100, interval 1, times -1, verbose 0); skipped otherwise.
 * Only this thread, and only around the allocations, asks for it.
 */
static void kt_reserve_under_fail_page_alloc(struct kunit *test)
{
	const unsigned int res = KT_FPA_RESERVE;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	unsigned int got = 0;
	bool armed;

	kt_params_init(&p, kt_unique_name(test, "fpa"),
		       PAGE_SIZE << KT_FPA_ORDER);
	p.order = KT_FPA_ORDER;
	p.min_blocks = res;
	kp = kt_create(test, &p, res + 1);

	if (!kt_chunk_pages_available())
		kunit_skip(test, "no free pages of order %u", KT_FPA_ORDER);
	current->make_it_fail = 1;
	armed = !kt_chunk_pages_available();
	if (armed)
		got = kt_alloc_slots(kp, 0, res + 1, GFP_ATOMIC);
	current->make_it_fail = 0;
	if (!armed)
		kunit_skip(test, "fail_page_alloc not armed with task-filter");

	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, got, res);
	KUNIT_EXPECT_EQ(test, st.reserve_allocs, res);
	KUNIT_EXPECT_EQ(test, st.faults_injected, 0);
	KUNIT_EXPECT_GE(test, st.grow_failures, 1);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 1);
	KUNIT_EXPECT_EQ(test, st.blocks_total, res);

	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, 1);
}
#else
static void kt_reserve_under_fail_page_alloc(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAIL_PAGE_ALLOC");
}
#endif

/*
 * Whether @task went to sleep in a wait of @kp (counted in waits) before
 * finishing its work: a task asleep elsewhere, say flushing a magazine
 * drain, is not waiting for a free yet.
 */
static bool kt_wait_until_blocked(struct kt_pool *kp, struct task_struct *task,
				  struct completion *done)
{
	unsigned long deadline = jiffies + KT_THREAD_TIMEOUT;
	struct kpool_stats st;

	while (time_before(jiffies, deadline)) {
		msleep(20);
		if (completion_done(done))
			return false;
		kt_stats(kp, &st);
		if (st.waits && !task_is_running(task))
			return true;
	}
	return false;
}

#define KT_CAP	8

/* A pool with max_blocks KT_CAP whose every block is out, in slots 0.. */
static struct kt_pool *kt_full_capped_pool(struct kunit *test)
{
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;

	kt_params_init(&p, kt_unique_name(test, "cap"), 128);
	p.max_blocks = KT_CAP;
	kp = kt_create(test, &p, KT_CAP + 1);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_CAP, GFP_KERNEL),
			KT_CAP);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_total, KT_CAP);
	KUNIT_EXPECT_EQ(test, st.max_blocks, KT_CAP);
	return kp;
}

/*
 * At the cap, GFP_ATOMIC and GFP_NOWAIT fail at once and are counted,
 * without any wait.
 */
static void kt_atomic_fails_at_cap(struct kunit *test)
{
	struct kt_pool *kp = kt_full_capped_pool(test);
	struct kpool_stats st;

	KUNIT_EXPECT_TRUE_MSG(test,
			      kt_atomic_alloc(test, kp, KT_CAP, GFP_ATOMIC),
			      "GFP_ATOMIC allocation did not return at once");
	KUNIT_EXPECT_NULL(test, kp->blocks[KT_CAP]);
	KUNIT_EXPECT_TRUE_MSG(test,
			      kt_atomic_alloc(test, kp, KT_CAP, GFP_NOWAIT),
			      "GFP_NOWAIT allocation did not return at once");
	KUNIT_EXPECT_NULL(test, kp->blocks[KT_CAP]);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 2);
	KUNIT_EXPECT_EQ(test, st.waits, 0);
	KUNIT_EXPECT_EQ(test, st.blocks_total, KT_CAP);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, KT_CAP);
}

/*
 * At the cap a GFP_KERNEL allocation sleeps; the next kpool_free() wakes
 * it and it gets the block that was freed (the only free one). "Wakes":
 * the allocation returns well within KT_WAKE_LATENCY of the free, so a
 * waiter that only finds the block when some periodic retry comes round
 * fails the case.
 */
static void kt_waiter_woken_by_free(struct kunit *test)
{
	struct kt_pool *kp = kt_full_capped_pool(test);
	struct kt_worker *w = kt_worker_new(test, kp, KT_CAP, 1, GFP_KERNEL);
	struct task_struct *task;
	struct kpool_stats st;
	unsigned long latency;
	bool blocked, woken;
	void *freed;
	int ret;

	task = kt_start_on_cpu(kt_worker_fn, w, -1, "kpool_kt_waiter");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	wait_for_completion(&w->started);
	blocked = kt_wait_until_blocked(kp, task, &w->done);

	freed = kp->blocks[0];
	kp->blocks[0] = NULL;
	latency = jiffies;
	ret = kpool_free(kp->pool, freed);
	woken = wait_for_completion_timeout(&w->done, KT_WAKE_LATENCY);
	latency = jiffies - latency;
	kt_stop(task, &w->done, KT_THREAD_TIMEOUT);

	KUNIT_EXPECT_TRUE_MSG(test, blocked, "allocation did not wait");
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE_MSG(test, woken,
			      "waiter not woken by the free (%u ms)",
			      jiffies_to_msecs(latency));
	KUNIT_EXPECT_EQ(test, w->got, 1);
	KUNIT_EXPECT_PTR_EQ(test, kp->blocks[KT_CAP], freed);
	kt_stats(kp, &st);
	KUNIT_EXPECT_GE(test, st.waits, 1);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, KT_CAP);
	KUNIT_EXPECT_EQ(test, st.blocks_total, KT_CAP);
}

/* The wait is killable: SIGKILL makes the allocation return NULL. */
static void kt_waiter_killed(struct kunit *test)
{
	struct kt_pool *kp = kt_full_capped_pool(test);
	struct kt_worker *w = kt_worker_new(test, kp, KT_CAP, 1, GFP_KERNEL);
	struct task_struct *task;
	struct kpool_stats st;
	bool blocked, ended;

	task = kt_start_on_cpu(kt_worker_fn, w, -1, "kpool_kt_waiter");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	wait_for_completion(&w->started);
	blocked = kt_wait_until_blocked(kp, task, &w->done);
	send_sig(SIGKILL, task, 1);
	ended = wait_for_completion_timeout(&w->done, KT_THREAD_TIMEOUT);
	if (!ended)
		kt_free_slots(kp, 0, 1);	/* end the wait another way */
	kt_stop(task, &w->done, KT_THREAD_TIMEOUT);

	KUNIT_EXPECT_TRUE_MSG(test, blocked, "allocation did not wait");
	KUNIT_EXPECT_TRUE_MSG(test, ended, "SIGKILL did not end the wait");
	KUNIT_EXPECT_EQ(test, w->got, 0);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 1);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, KT_CAP);
}

/*
 * At the cap, the free blocks may all sit in another CPU's magazine. An
 * atomic allocation may fail then, but it makes every CPU drain its
 * magazine, so retrying soon succeeds; a sleeping allocation drains the
 * magazines itself and succeeds without waiting for a free.
 */
static void kt_cap_reachable_from_other_cpu(struct kunit *test)
{
	int first = cpumask_first(cpu_online_mask);
	int other = cpumask_next(first, cpu_online_mask);
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_worker *w;
	struct kt_pool *kp;

	if (other >= nr_cpu_ids)
		kunit_skip(test, "needs two online CPUs");

	kt_params_init(&p, kt_unique_name(test, "xcap"), 128);
	p.max_blocks = KT_CAP;
	kp = kt_create(test, &p, KT_CAP);

	/* All blocks end up free in the magazine of the first CPU. */
	w = kt_worker_new(test, kp, 0, KT_CAP, GFP_KERNEL);
	w->free_after = true;
	kt_run_worker(test, w, first);
	KUNIT_EXPECT_EQ(test, w->got, KT_CAP);
	KUNIT_EXPECT_EQ(test, w->free_ret, 0);

	w = kt_worker_new(test, kp, 0, KT_CAP, GFP_ATOMIC);
	w->retry = KT_THREAD_TIMEOUT / 2;
	w->free_after = true;
	kt_run_worker(test, w, other);
	KUNIT_EXPECT_EQ(test, w->got, KT_CAP);
	KUNIT_EXPECT_EQ(test, w->free_ret, 0);

	/* Now they are in the magazine of the other CPU. */
	w = kt_worker_new(test, kp, 0, KT_CAP, GFP_KERNEL);
	kt_run_worker(test, w, first);
	KUNIT_EXPECT_EQ(test, w->got, KT_CAP);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.waits, 0);
	KUNIT_EXPECT_EQ(test, st.blocks_total, KT_CAP);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, w->got);
}

#define KT_BULK_HELD	5
#define KT_BULK_ASK	5
#define KT_BULK_SLOTS	64

/*
 * Bulk allocation into the slots from @first, so that the exit hook frees
 * whatever a failing case leaves there. After a failure the slots are
 * undefined: they are cleared.
 */
static int kt_bulk_alloc(struct kt_pool *kp, unsigned int first,
			 unsigned int n)
{
	int ret = kpool_alloc_bulk(kp->pool, GFP_ATOMIC, n, kp->blocks + first);

	if (ret)
		memset(kp->blocks + first, 0, n * sizeof(void *));
	return ret;
}

/* kpool_free_bulk() of the slots from @first, which it empties. */
static int kt_bulk_free(struct kt_pool *kp, unsigned int first,
			unsigned int n)
{
	int ret = kpool_free_bulk(kp->pool, n, kp->blocks + first);

	memset(kp->blocks + first, 0, n * sizeof(void *));
	return ret;
}

/*
 * A bulk request the cap can satisfy only in part fails as a whole and
 * gives back what it took; one that fits succeeds.
 */
static void kt_bulk_all_or_nothing_at_cap(struct kunit *test)
{
	const unsigned int fits = KT_CAP - KT_BULK_HELD;
	struct kpool_params p;
	struct kt_pool *kp;
	unsigned int i;

	kt_params_init(&p, kt_unique_name(test, "bulkcap"), 128);
	p.max_blocks = KT_CAP;
	kp = kt_create(test, &p, KT_BULK_HELD + KT_BULK_ASK);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_BULK_HELD, GFP_KERNEL),
			KT_BULK_HELD);

	KUNIT_EXPECT_EQ(test, kt_bulk_alloc(kp, KT_BULK_HELD, KT_BULK_ASK),
			-ENOMEM);
	kt_expect_in_use(test, kp, KT_BULK_HELD);

	KUNIT_ASSERT_EQ(test, kt_bulk_alloc(kp, KT_BULK_HELD, fits), 0);
	kt_expect_in_use(test, kp, KT_CAP);
	for (i = KT_BULK_HELD; i < KT_CAP; i++)
		KUNIT_EXPECT_NOT_NULL(test, kp->blocks[i]);
	KUNIT_EXPECT_EQ(test, kt_bulk_free(kp, KT_BULK_HELD, fits), 0);
	kt_expect_in_use(test, kp, KT_BULK_HELD);
}

/*
 * A bulk request that needs one more chunk while growth fails is refused
 * as a whole; the blocks it took are back, so a request for exactly the
 * free blocks then succeeds.
 */
static void kt_bulk_all_or_nothing_on_grow_failure(struct kunit *test)
{
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	unsigned int free_blocks;

	kt_params_init(&p, kt_unique_name(test, "bulkflt"), 512);
	p.order = 0;
	kp = kt_create(test, &p, KT_BULK_SLOTS);
	/* Carve one chunk and put all its blocks back. */
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	KUNIT_ASSERT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	kt_stats(kp, &st);
	free_blocks = st.blocks_total;
	KUNIT_ASSERT_GE(test, free_blocks, 1);
	KUNIT_ASSERT_LT(test, free_blocks, KT_BULK_SLOTS);

	kt_fail_growth(test, kp, true);
	KUNIT_EXPECT_EQ(test, kt_bulk_alloc(kp, 0, free_blocks + 1), -ENOMEM);
	kt_expect_in_use(test, kp, 0);

	KUNIT_ASSERT_EQ(test, kt_bulk_alloc(kp, 0, free_blocks), 0);
	kt_expect_in_use(test, kp, free_blocks);
	KUNIT_EXPECT_EQ(test, kt_bulk_free(kp, 0, free_blocks), 0);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_total, free_blocks);
	KUNIT_EXPECT_GE(test, st.faults_injected, 1);
	KUNIT_EXPECT_EQ(test, st.bulk_allocs, 1);
	KUNIT_EXPECT_EQ(test, st.bulk_frees, 1);
	kt_expect_in_use(test, kp, 0);
}

#define KT_SHRINK_MIN		20
#define KT_SHRINK_BLOCKS	100

/*
 * After a burst, shrink frees the chunks that are entirely free, returns
 * their pages, keeps the reserve whole and leaves the chunks that hold it;
 * a shrink with no entirely free chunk frees nothing.
 */
static void kt_shrink(struct kunit *test)
{
	const unsigned int res = KT_SHRINK_MIN;
	struct kpool_stats before, after;
	struct kpool_params p;
	struct kt_pool *kp;
	unsigned long freed;

	kt_params_init(&p, kt_unique_name(test, "shrink"), 256);
	/* chunks of 16 blocks: the burst needs several */
	p.order = 0;
	p.min_blocks = res;
	kp = kt_create(test, &p, KT_SHRINK_BLOCKS);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_SHRINK_BLOCKS,
					     GFP_KERNEL), KT_SHRINK_BLOCKS);
	KUNIT_ASSERT_EQ(test, kt_free_slots(kp, 0, KT_SHRINK_BLOCKS), 0);

	kt_stats(kp, &before);
	KUNIT_ASSERT_GE(test, before.blocks_per_chunk, 1);
	freed = kpool_shrink(kp->pool);
	kt_stats(kp, &after);
	KUNIT_EXPECT_GT(test, freed, 0);
	KUNIT_EXPECT_EQ(test, before.pages - after.pages, freed);
	KUNIT_EXPECT_EQ(test, after.pages, after.chunks << after.chunk_order);
	KUNIT_EXPECT_EQ(test, after.chunks,
			DIV_ROUND_UP(res, after.blocks_per_chunk));
	KUNIT_EXPECT_GE(test, after.blocks_total, res);
	KUNIT_EXPECT_EQ(test, after.blocks_reserved, res);
	KUNIT_EXPECT_EQ(test, after.blocks_in_use, 0);
	KUNIT_EXPECT_GT(test, after.shrinks, before.shrinks);

	/* The reserve survived: min_blocks allocations with growth failing. */
	kt_fail_growth(test, kp, true);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, res, GFP_ATOMIC), res);
	kt_stats(kp, &before);
	KUNIT_EXPECT_EQ(test, kpool_shrink(kp->pool), 0);
	kt_stats(kp, &after);
	KUNIT_EXPECT_EQ(test, after.pages, before.pages);
	KUNIT_EXPECT_EQ(test, after.blocks_in_use, res);
}

/*
 * Destroy with blocks out is refused with -EBUSY and leaves the pool
 * working; once they are back it succeeds.
 */
static void kt_destroy_busy(struct kunit *test)
{
	struct kpool_params p;
	struct kt_pool *kp;

	kt_params_init(&p, kt_unique_name(test, "busy"), 64);
	kp = kt_create(test, &p, 4);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 3, GFP_KERNEL), 3);

	KUNIT_EXPECT_EQ(test, kt_destroy(test, kp), -EBUSY);
	KUNIT_ASSERT_NOT_NULL(test, kp->pool);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 3, 1, GFP_KERNEL), 1);
	kt_fill(kp->blocks[3], kp->block_size, 3);
	KUNIT_EXPECT_EQ(test, kt_check(kp->blocks[3], kp->block_size, 3), -1);
	kt_expect_in_use(test, kp, 4);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 4), 0);
	kt_expect_in_use(test, kp, 0);
	KUNIT_EXPECT_EQ(test, kt_destroy(test, kp), 0);
}

static struct kunit_case kt_capacity_cases[] = {
	KUNIT_CASE_PARAM(kt_reserve_under_faults, kt_reserve_gen_params),
	KUNIT_CASE(kt_atomic_fails_at_cap),
	KUNIT_CASE(kt_fault_probability),
	KUNIT_CASE(kt_reserve_under_fail_page_alloc),
	KUNIT_CASE(kt_waiter_woken_by_free),
	KUNIT_CASE(kt_waiter_killed),
	KUNIT_CASE(kt_cap_reachable_from_other_cpu),
	KUNIT_CASE(kt_bulk_all_or_nothing_at_cap),
	KUNIT_CASE(kt_bulk_all_or_nothing_on_grow_failure),
	KUNIT_CASE(kt_shrink),
	KUNIT_CASE(kt_destroy_busy),
	{}
};

struct kunit_suite kt_capacity_suite = {
	.name = "kpool_capacity",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_capacity_cases,
};
