// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture and helpers shared by the kpool KUnit suites.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kasan.h>
#include <linux/kthread.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/string.h>

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
