// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_hrtimer - a kpool user in hardirq context, for the soak.
 *
 * At load it creates the pool "hrtimer" (block_size-byte blocks, a reserve
 * of KHT_RESERVE blocks) and starts an hrtimer in hard mode (its callback
 * runs in hardirq context, on PREEMPT_RT too) that fires every period_us
 * microseconds. Each expiry allocates one block with GFP_ATOMIC and fills
 * it with a pattern; the callback holds the last KHT_RING blocks and frees
 * the oldest (after checking its pattern) to make room. A kernel thread
 * allocates, checks and frees batches of blocks of the same pool in
 * process context meanwhile, so the hardirq user interrupts a process
 * context user of the same pool. With fault_ppm, the pool's growth fails
 * with that probability (kpool_set_fault()).
 *
 * At unload the timer and the thread stop, the blocks still held are freed
 * (not counted in irq frees) and one line sums it up:
 *   kpool_hrtimer: summary: expiries E irq allocs A irq frees F
 *   failed allocs N thread ops T bad blocks B faults injected I in use U
 * The pool must end with no block in use (U = 0) and no bad block.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/string.h>

#include "kpool.h"

#define KHT_RING	64	/* blocks the timer callback holds at most */
#define KHT_BATCH	16	/* blocks the thread takes at once */
#define KHT_RESERVE	32
#define KHT_MIN_PERIOD	100	/* microseconds */

static unsigned int period_us = 1000;
module_param(period_us, uint, 0444);
MODULE_PARM_DESC(period_us, "timer period in microseconds (at least 100)");

static unsigned int block_size = 200;
module_param(block_size, uint, 0444);
MODULE_PARM_DESC(block_size, "bytes per block");

static unsigned int fault_ppm;
module_param(fault_ppm, uint, 0444);
MODULE_PARM_DESC(fault_ppm, "probability of a failed pool growth, in parts per million");

/*
 * The callback's state is touched only by the callback (an hrtimer never
 * runs concurrently with itself) and by the module exit after
 * hrtimer_cancel(); the thread's counters only by the thread and the exit
 * after kthread_stop().
 */
static struct {
	struct kpool *pool;
	struct hrtimer timer;
	ktime_t period;
	void *ring[KHT_RING];		/* held: the @held slots before @next */
	unsigned int next;		/* the slot of the next block */
	unsigned int held;
	u64 expiries, allocs, frees, failed;
	u64 bad;			/* blocks whose pattern changed */
	struct task_struct *thread;
	u64 thread_ops, thread_bad;
} kht;

/* The pattern of a block: a byte derived from its address. */
static u8 kht_pattern(const void *block)
{
	return (u8)((unsigned long)block >> 3) | 1;
}

static void kht_fill(void *block)
{
	memset(block, kht_pattern(block), block_size);
}

static bool kht_intact(const void *block)
{
	return !memchr_inv(block, kht_pattern(block), block_size);
}

static enum hrtimer_restart kht_expire(struct hrtimer *timer)
{
	void **slot = &kht.ring[kht.next];	/* the oldest, when full */
	void *block;

	kht.expiries++;
	if (kht.held == KHT_RING) {
		kht.bad += !kht_intact(*slot);
		kpool_free(kht.pool, *slot);
		kht.frees++;
		kht.held--;
	}
	block = kpool_alloc(kht.pool, GFP_ATOMIC);
	if (block) {
		kht_fill(block);
		*slot = block;
		kht.next = (kht.next + 1) % KHT_RING;
		kht.held++;
		kht.allocs++;
	} else {
		kht.failed++;
	}
	hrtimer_forward_now(timer, kht.period);
	return HRTIMER_RESTART;
}

/* Process context: batches of blocks allocated, filled, checked, freed. */
static int kht_thread(void *unused)
{
	void *blocks[KHT_BATCH];
	unsigned int i, n;

	while (!kthread_should_stop()) {
		for (n = 0; n < KHT_BATCH; n++) {
			blocks[n] = kpool_alloc(kht.pool, GFP_KERNEL);
			if (!blocks[n])
				break;
			kht_fill(blocks[n]);
		}
		for (i = 0; i < n; i++) {
			kht.thread_bad += !kht_intact(blocks[i]);
			kpool_free(kht.pool, blocks[i]);
		}
		kht.thread_ops += 2 * n;
		usleep_range(2000, 4000);
	}
	return 0;
}

static int __init kht_init(void)
{
	struct kpool_params params = {
		.name = "hrtimer",
		.block_size = block_size,
		.min_blocks = KHT_RESERVE,
		.node = NUMA_NO_NODE,
		.order = KPOOL_ORDER_AUTO,
	};
	int err;

	if (period_us < KHT_MIN_PERIOD)
		return -EINVAL;
	kht.pool = kpool_create(&params);
	if (IS_ERR(kht.pool))
		return PTR_ERR(kht.pool);
	err = kpool_set_fault(kht.pool, 0, fault_ppm);
	if (err)
		goto destroy;
	kht.thread = kthread_run(kht_thread, NULL, "kpool_hrtimer");
	if (IS_ERR(kht.thread)) {
		err = PTR_ERR(kht.thread);
		goto destroy;
	}
	kht.period = ns_to_ktime((u64)period_us * NSEC_PER_USEC);
	hrtimer_setup(&kht.timer, kht_expire, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_HARD);
	hrtimer_start(&kht.timer, kht.period, HRTIMER_MODE_REL_HARD);
	return 0;

destroy:
	kpool_destroy(kht.pool);
	return err;
}

static void __exit kht_exit(void)
{
	struct kpool_stats st;
	unsigned int i;

	hrtimer_cancel(&kht.timer);
	kthread_stop(kht.thread);
	/* the oldest block still held */
	i = (kht.next + KHT_RING - kht.held) % KHT_RING;
	for (; kht.held; kht.held--, i = (i + 1) % KHT_RING) {
		kht.bad += !kht_intact(kht.ring[i]);
		kpool_free(kht.pool, kht.ring[i]);
	}
	kpool_get_stats(kht.pool, &st);
	pr_info("summary: expiries %llu irq allocs %llu irq frees %llu failed allocs %llu thread ops %llu bad blocks %llu faults injected %llu in use %llu\n",
		kht.expiries, kht.allocs, kht.frees, kht.failed, kht.thread_ops,
		kht.bad + kht.thread_bad, st.faults_injected, st.blocks_in_use);
	if (kpool_destroy(kht.pool))
		pr_err("the pool could not be destroyed: blocks in use\n");
}

module_init(kht_init);
module_exit(kht_exit);

MODULE_DESCRIPTION("kpool test: a pool user in hardirq context (hrtimer)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(KPOOL_NS);
