// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_concurrency: one pool used from every context at once.
 *
 * - one kthread bound to each online CPU allocates batches (single and
 *   bulk), writes a pattern unique to the thread, iteration and block into
 *   every block, verifies it and frees;
 * - a producer bound to one CPU allocates and passes blocks through a ring
 *   to a consumer bound to another, which verifies and frees them;
 * - a HRTIMER_MODE_REL_HARD hrtimer (hardirq) and a timer_list (softirq)
 *   allocate with atomic gfp, keep a few blocks and free the oldest;
 * - the test thread meanwhile reads stats and shrinks the pool.
 *
 * A block handed to two users at once, or changed while out, shows up as
 * a pattern mismatch. At the end every block is back, and the pool's
 * counters agree with what the users counted.
 *
 * Nothing may abort the case while threads or timers run: their failures
 * are counted in atomics and checked after everything has stopped.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ptr_ring.h>
#include <linux/sched/signal.h>
#include <linux/timer.h>

#include "kpool_test.h"

#define KT_CONC_BLOCK_SIZE	96
#define KT_WORKER_BATCH		8
#define KT_BULK_EVERY		8
#define KT_RING_ITEMS		5000
#define KT_RING_SIZE		16
#define KT_IRQ_HOLD		4
#define KT_HRTIMER_PERIOD_NS	(500 * NSEC_PER_USEC)
#define KT_SHRINK_EVERY		5
/*
 * A hang detector, not a time target: the debug pool's case on the RT
 * debug kernel under TCG on a shared 2-core host needed more than 60 s.
 */
#define KT_CONC_TIMEOUT		(300 * HZ)

/* Pattern seeds: context tag in the top byte. */
#define KT_TAG_WORKER	0x10000000u
#define KT_TAG_RING	0x20000000u
#define KT_TAG_HARDIRQ	0x30000000u
#define KT_TAG_SOFTIRQ	0x40000000u

struct kt_conc_param {
	const char *desc;
	unsigned int flags;
	unsigned int min_blocks;
	unsigned int max_blocks;
	unsigned int iterations;
	unsigned int ring_items;
};

/*
 * Loop iterations of each worker thread and blocks through the ring. A
 * debug pool costs far more per block (owner stack, kmemleak tracking,
 * poison checks), above all in the hrtimer that allocates every
 * KT_HRTIMER_PERIOD_NS: fewer keep its case within KT_CONC_TIMEOUT on an
 * emulated debug kernel, even on a busy host.
 */
#define KT_WORKER_ITERS		5000
#define KT_WORKER_ITERS_DEBUG	250
#define KT_RING_ITEMS_DEBUG	1000

static const struct kt_conc_param kt_conc_params[] = {
	{ "plain", 0, 32, 0, KT_WORKER_ITERS, KT_RING_ITEMS },
	{ "debug", KPOOL_F_DEBUG, 32, 0, KT_WORKER_ITERS_DEBUG,
	  KT_RING_ITEMS_DEBUG },
	/*
	 * Below what all users may hold at once (42 blocks): atomic
	 * allocations fail, sleeping ones wait, the reserve is used.
	 */
	{ "capped", 0, 16, 32, KT_WORKER_ITERS, KT_RING_ITEMS },
};

static void kt_conc_desc(const struct kt_conc_param *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_conc, kt_conc_params, kt_conc_desc);

/**
 * struct kt_irq_user - blocks kept by a timer callback
 * @held: blocks out, oldest first from @next.
 * @seeds: the pattern seed of each held block.
 * @next: allocations attempted so far; @next % KT_IRQ_HOLD is the slot
 *	  of the oldest block.
 * @wrong_context: callbacks that did not run in the expected context.
 *
 * Only the timer's callback touches it while the timer runs; callbacks
 * of one timer never run concurrently.
 */
struct kt_irq_user {
	void *held[KT_IRQ_HOLD];
	u32 seeds[KT_IRQ_HOLD];
	u32 next;
	unsigned int wrong_context;
};

/**
 * struct kt_conc - state shared by every user of the pool
 * @pool: the pool.
 * @block_size: its block size.
 * @iterations: loop iterations of each worker thread.
 * @ring_items: blocks the producer passes to the consumer.
 * @errors: pattern mismatches, refused frees, unexpected NULLs.
 * @allocs: blocks successfully allocated, by any user.
 * @frees: blocks successfully freed, by any user.
 * @atomic_failures: atomic allocations that returned NULL (allowed).
 * @stop: tells threads and timers to finish early.
 * @producer_done: the producer pushed its last block (release/acquire).
 * @ring: blocks on their way from the producer to the consumer.
 * @ring_consumed: blocks the consumer verified and freed.
 * @hrtimer: hardirq user.
 * @hard: its blocks.
 * @timer: softirq user.
 * @soft: its blocks.
 */
struct kt_conc {
	struct kpool *pool;
	size_t block_size;
	unsigned int iterations;
	unsigned int ring_items;
	atomic_t errors;
	atomic_long_t allocs;
	atomic_long_t frees;
	atomic_long_t atomic_failures;
	bool stop;
	bool producer_done;
	struct ptr_ring ring;
	unsigned int ring_consumed;
	struct hrtimer hrtimer;
	struct kt_irq_user hard;
	struct timer_list timer;
	struct kt_irq_user soft;
};

/**
 * struct kt_thread - one thread of the test
 * @c: shared state.
 * @id: distinguishes the patterns of worker threads.
 * @iterations: loop iterations completed.
 * @task: the thread.
 * @done: completed when its work is over.
 */
struct kt_thread {
	struct kt_conc *c;
	unsigned int id;
	unsigned int iterations;
	struct task_struct *task;
	struct completion done;
};

static void *kt_conc_alloc(struct kt_conc *c, gfp_t gfp, u32 seed)
{
	void *block = kpool_alloc(c->pool, gfp);

	if (!block) {
		if (gfpflags_allow_blocking(gfp))
			atomic_inc(&c->errors);
		else
			atomic_long_inc(&c->atomic_failures);
		return NULL;
	}
	atomic_long_inc(&c->allocs);
	kt_fill(block, c->block_size, seed);
	return block;
}

static void kt_conc_free(struct kt_conc *c, void *block, u32 seed)
{
	if (kt_check(block, c->block_size, seed) != -1)
		atomic_inc(&c->errors);
	if (kpool_free(c->pool, block))
		atomic_inc(&c->errors);
	else
		atomic_long_inc(&c->frees);
}

/* One step of a timer user: free the oldest block, allocate a new one. */
static void kt_irq_step(struct kt_conc *c, struct kt_irq_user *u, u32 tag,
			gfp_t gfp)
{
	unsigned int slot = u->next % KT_IRQ_HOLD;

	if (u->held[slot])
		kt_conc_free(c, u->held[slot], u->seeds[slot]);
	u->seeds[slot] = tag | u->next;
	u->held[slot] = kt_conc_alloc(c, gfp, u->seeds[slot]);
	u->next++;
}

static void kt_irq_release(struct kt_conc *c, struct kt_irq_user *u)
{
	unsigned int slot;

	for (slot = 0; slot < KT_IRQ_HOLD; slot++) {
		if (u->held[slot])
			kt_conc_free(c, u->held[slot], u->seeds[slot]);
		u->held[slot] = NULL;
	}
}

static enum hrtimer_restart kt_hardirq_tick(struct hrtimer *t)
{
	struct kt_conc *c = container_of(t, struct kt_conc, hrtimer);

	if (READ_ONCE(c->stop))
		return HRTIMER_NORESTART;
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) && !in_hardirq())
		c->hard.wrong_context++;
	kt_irq_step(c, &c->hard, KT_TAG_HARDIRQ, GFP_ATOMIC);
	hrtimer_forward_now(t, ns_to_ktime(KT_HRTIMER_PERIOD_NS));
	return HRTIMER_RESTART;
}

static void kt_softirq_tick(struct timer_list *t)
{
	struct kt_conc *c = container_of(t, struct kt_conc, timer);

	if (READ_ONCE(c->stop))
		return;
	if (!in_serving_softirq())
		c->soft.wrong_context++;
	kt_irq_step(c, &c->soft, KT_TAG_SOFTIRQ, GFP_NOWAIT);
	mod_timer(t, jiffies + 1);
}

static void kt_timers_start(struct kt_conc *c)
{
	hrtimer_setup(&c->hrtimer, kt_hardirq_tick, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_HARD);
	timer_setup(&c->timer, kt_softirq_tick, 0);
	hrtimer_start(&c->hrtimer, ns_to_ktime(KT_HRTIMER_PERIOD_NS),
		      HRTIMER_MODE_REL_HARD);
	mod_timer(&c->timer, jiffies + 1);
}

/* Called with c->stop set: no callback runs or re-arms after this. */
static void kt_timers_stop(struct kt_conc *c)
{
	hrtimer_cancel(&c->hrtimer);
	timer_delete_sync(&c->timer);
	kt_irq_release(c, &c->hard);
	kt_irq_release(c, &c->soft);
}

/*
 * Batch of @n blocks with single allocations: the first may sleep (the
 * thread holds nothing then, so waiting at the cap cannot deadlock), the
 * others are atomic and may fail at the cap.
 */
static void kt_worker_singles(struct kt_conc *c, void **held, unsigned int n,
			      u32 seed)
{
	unsigned int got, i;

	for (got = 0; got < n; got++) {
		held[got] = kt_conc_alloc(c, got ? GFP_ATOMIC : GFP_KERNEL,
					  seed + got);
		if (!held[got])
			break;
	}
	for (i = 0; i < got; i++)
		kt_conc_free(c, held[i], seed + i);
}

static void kt_worker_bulk(struct kt_conc *c, void **held, unsigned int n,
			   u32 seed)
{
	unsigned int i;
	int ret;

	ret = kpool_alloc_bulk(c->pool, GFP_ATOMIC, n, held);
	if (ret == -ENOMEM) {
		atomic_long_inc(&c->atomic_failures);
		return;
	}
	if (ret) {
		atomic_inc(&c->errors);
		return;
	}
	atomic_long_add(n, &c->allocs);
	for (i = 0; i < n; i++)
		kt_fill(held[i], c->block_size, seed + i);
	for (i = 0; i < n; i++)
		if (kt_check(held[i], c->block_size, seed + i) != -1)
			atomic_inc(&c->errors);
	if (kpool_free_bulk(c->pool, n, held))
		atomic_inc(&c->errors);
	else
		atomic_long_add(n, &c->frees);
}

static int kt_worker_thread(void *data)
{
	struct kt_thread *t = data;
	struct kt_conc *c = t->c;
	void *held[KT_WORKER_BATCH];
	unsigned int iter;

	allow_signal(SIGKILL);
	for (iter = 0; iter < c->iterations; iter++) {
		unsigned int n = 1 + iter % KT_WORKER_BATCH;
		u32 seed = KT_TAG_WORKER | t->id << 20 | iter << 4;

		if (READ_ONCE(c->stop) || fatal_signal_pending(current))
			break;
		if (iter % KT_BULK_EVERY == KT_BULK_EVERY - 1)
			kt_worker_bulk(c, held, n, seed);
		else
			kt_worker_singles(c, held, n, seed);
		cond_resched();
	}
	t->iterations = iter;
	complete_all(&t->done);
	return 0;
}

static int kt_producer_thread(void *data)
{
	struct kt_thread *t = data;
	struct kt_conc *c = t->c;
	unsigned int seq;

	allow_signal(SIGKILL);
	for (seq = 0; seq < c->ring_items; seq++) {
		void *block = kt_conc_alloc(c, GFP_KERNEL, KT_TAG_RING | seq);

		if (!block)
			break;
		while (ptr_ring_produce(&c->ring, block)) {
			if (READ_ONCE(c->stop)) {
				kt_conc_free(c, block, KT_TAG_RING | seq);
				goto out;
			}
			usleep_range(20, 50);
		}
	}
out:
	t->iterations = seq;
	/* Pairs with the consumer's acquire: every push is visible first. */
	smp_store_release(&c->producer_done, true);
	complete_all(&t->done);
	return 0;
}

static int kt_consumer_thread(void *data)
{
	struct kt_thread *t = data;
	struct kt_conc *c = t->c;
	unsigned int seq = 0;

	allow_signal(SIGKILL);
	for (;;) {
		/* Pairs with the producer's release, read before the ring. */
		bool last = smp_load_acquire(&c->producer_done);
		void *block = ptr_ring_consume(&c->ring);

		if (block) {
			kt_conc_free(c, block, KT_TAG_RING | seq++);
			continue;
		}
		/* Empty after the producer finished: nothing more comes. */
		if (last || READ_ONCE(c->stop))
			break;
		usleep_range(20, 50);
	}
	t->iterations = seq;
	complete_all(&t->done);
	return 0;
}

static int kt_thread_start(struct kt_thread *t, struct kt_conc *c,
			   int (*fn)(void *data), unsigned int id, int cpu,
			   const char *name)
{
	t->c = c;
	t->id = id;
	init_completion(&t->done);
	t->task = kt_start_on_cpu(fn, t, cpu, name);
	if (IS_ERR(t->task)) {
		int err = PTR_ERR(t->task);

		t->task = NULL;
		return err;
	}
	return 0;
}

/* Return: whether the thread finished in time (or never started). */
static bool kt_thread_stop(struct kt_thread *t, unsigned long timeout)
{
	if (!t->task)
		return true;
	return kt_stop(t->task, &t->done, timeout);
}

static bool kt_threads_done(struct kt_thread *threads, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!completion_done(&threads[i].done))
			return false;
	return true;
}

/*
 * While the workers run: read stats and shrink now and then.
 * Return: whether they all finished in time.
 */
static bool kt_conc_watch(struct kt_conc *c, struct kt_thread *workers,
			  unsigned int nr)
{
	unsigned long deadline = jiffies + KT_CONC_TIMEOUT;
	struct kpool_stats st;
	unsigned int round = 0;

	while (!kt_threads_done(workers, nr)) {
		if (time_after(jiffies, deadline))
			return false;
		msleep(20);
		memset(&st, 0, sizeof(st));
		kpool_get_stats(c->pool, &st);
		if (st.blocks_in_use > st.blocks_total)
			atomic_inc(&c->errors);
		if (++round % KT_SHRINK_EVERY == 0)
			kpool_shrink(c->pool);
	}
	return true;
}

/*
 * Everything at once. Each worker's pattern includes its id, so a block
 * handed to two users is caught by one of them.
 */
static void kt_all_contexts(struct kunit *test)
{
	const struct kt_conc_param *param = test->param_value;
	int first = cpumask_first(cpu_online_mask);
	int second = cpumask_next(first, cpu_online_mask);
	struct kt_thread *workers, *producer, *consumer;
	unsigned int nr_workers = 0, cpu, i;
	u32 hard_before_end, soft_before_end;
	unsigned long start, workers_end;
	bool all_in_time = true;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_conc *c;
	struct kt_pool *kp;
	int err = 0;

	if (second >= nr_cpu_ids)
		second = first;
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	workers = kunit_kcalloc(test, nr_cpu_ids, sizeof(*workers),
				GFP_KERNEL);
	producer = kunit_kzalloc(test, sizeof(*producer), GFP_KERNEL);
	consumer = kunit_kzalloc(test, sizeof(*consumer), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_NOT_NULL(test, workers);
	KUNIT_ASSERT_NOT_NULL(test, producer);
	KUNIT_ASSERT_NOT_NULL(test, consumer);

	kt_params_init(&p, kt_unique_name(test, "conc"), KT_CONC_BLOCK_SIZE);
	p.flags = param->flags;
	p.min_blocks = param->min_blocks;
	p.max_blocks = param->max_blocks;
	kp = kt_create(test, &p, 0);
	c->pool = kp->pool;
	c->block_size = KT_CONC_BLOCK_SIZE;
	c->iterations = param->iterations;
	c->ring_items = param->ring_items;
	KUNIT_ASSERT_EQ(test, ptr_ring_init(&c->ring, KT_RING_SIZE, GFP_KERNEL),
			0);

	/* From here on nothing aborts the case until all users stopped. */
	start = jiffies;
	kt_timers_start(c);
	for_each_online_cpu(cpu) {
		err = kt_thread_start(&workers[nr_workers], c,
				      kt_worker_thread, nr_workers, cpu,
				      "kpool_kt_worker/%u");
		if (err)
			break;
		nr_workers++;
	}
	if (!err)
		err = kt_thread_start(producer, c, kt_producer_thread, 0,
				      first, "kpool_kt_producer/%u");
	if (!err)
		err = kt_thread_start(consumer, c, kt_consumer_thread, 0,
				      second, "kpool_kt_consumer/%u");
	if (err || !kt_conc_watch(c, workers, nr_workers))
		WRITE_ONCE(c->stop, true);
	workers_end = jiffies;
	hard_before_end = READ_ONCE(c->hard.next);
	soft_before_end = READ_ONCE(c->soft.next);

	for (i = 0; i < nr_workers; i++)
		all_in_time &= kt_thread_stop(&workers[i], KT_CONC_TIMEOUT);
	all_in_time &= kt_thread_stop(producer, KT_CONC_TIMEOUT);
	all_in_time &= kt_thread_stop(consumer, KT_CONC_TIMEOUT);
	WRITE_ONCE(c->stop, true);
	kt_timers_stop(c);
	ptr_ring_cleanup(&c->ring, NULL);

	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_TRUE(test, all_in_time);
	KUNIT_EXPECT_EQ(test, atomic_read(&c->errors), 0);
	for (i = 0; i < nr_workers; i++)
		KUNIT_EXPECT_EQ(test, workers[i].iterations, c->iterations);
	KUNIT_EXPECT_EQ(test, producer->iterations, c->ring_items);
	KUNIT_EXPECT_EQ(test, consumer->iterations, c->ring_items);
	/* The interrupt users ran while the threads did. */
	KUNIT_EXPECT_GT(test, hard_before_end, 0);
	KUNIT_EXPECT_GT(test, soft_before_end, 0);
	KUNIT_EXPECT_EQ(test, c->hard.wrong_context, 0);
	KUNIT_EXPECT_EQ(test, c->soft.wrong_context, 0);
	kunit_info(test, "%u workers done in %u ms, meanwhile %u hardirq and %u softirq steps; %ld atomic failures\n",
		   nr_workers, jiffies_to_msecs(workers_end - start),
		   hard_before_end, soft_before_end,
		   atomic_long_read(&c->atomic_failures));

	kt_stats(kp, &st);
	kunit_info(test, "pool: %llu allocs, %llu waits, %llu failures, %llu from the reserve, %llu grows, %llu shrinks\n",
		   st.allocs, st.waits, st.alloc_failures, st.reserve_allocs,
		   st.grows, st.shrinks);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.allocs, st.frees);
	/*
	 * The pool also counts the blocks a failed bulk allocation took and
	 * gave back, as allocs and as frees: the same number on both sides.
	 */
	KUNIT_EXPECT_GE(test, st.allocs, atomic_long_read(&c->allocs));
	KUNIT_EXPECT_EQ(test, st.allocs - atomic_long_read(&c->allocs),
			st.frees - atomic_long_read(&c->frees));
	if (!param->max_blocks)
		KUNIT_EXPECT_EQ(test, st.allocs, atomic_long_read(&c->allocs));
	KUNIT_EXPECT_EQ(test, st.err_double_free + st.err_foreign +
			st.err_misaligned + st.err_poison + st.err_redzone, 0);
	KUNIT_EXPECT_GE(test, st.blocks_total, param->min_blocks);
	if (param->max_blocks)
		KUNIT_EXPECT_LE(test, st.blocks_total, param->max_blocks);
}

static struct kunit_case kt_concurrency_cases[] = {
	KUNIT_CASE_PARAM(kt_all_contexts, kt_conc_gen_params),
	{}
};

struct kunit_suite kt_concurrency_suite = {
	.name = "kpool_concurrency",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_concurrency_cases,
};
