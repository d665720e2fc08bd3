// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_negative - negative controls: deliberate bugs on pool blocks that
 * the debug kernel's detectors must report. Built only with
 * KPOOL_NEGATIVE=y and loaded only by the negative-controls guest
 * (scripts/guest/plans/negative.sh); never load it anywhere else.
 *
 * One control per insmod, chosen with control=NAME:
 *
 *  irqlock   a spinlock taken around a pool allocation in hardirq context
 *            (an hrtimer callback), then taken with interrupts enabled in
 *            process context: lockdep reports an inconsistent lock state.
 *  leak      a block of a KPOOL_F_DEBUG pool (not the first of its chunk)
 *            whose address is kept only in a form kmemleak does not take
 *            for a pointer (its complement): a kmemleak scan reports it
 *            unreferenced. Unloading the module frees it.
 *  uaf       a block read after it was freed: KASAN reports a
 *            use-after-free.
 *  overflow  one byte written past the end of a 20-byte block (into the
 *            rest of its last KASAN granule): KASAN reports the
 *            out-of-bounds write.
 *
 * Each control prints what it does; the module stays loaded until rmmod,
 * which destroys the control's pool.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "kpool.h"

#define KPN_BLOCK_SIZE	20	/* not a multiple of KASAN's 8-byte granule */

static char *control;
module_param(control, charp, 0444);
MODULE_PARM_DESC(control, "the control to run: irqlock, leak, uaf or overflow");

static struct kpool *kpn_pool;

/* irqlock: guards nothing; the control is how it is taken. */
static DEFINE_SPINLOCK(kpn_lock);
static struct hrtimer kpn_timer;
static DECLARE_COMPLETION(kpn_timer_done);

/* leak: the block's address, complemented so that it is no pointer. */
static unsigned long kpn_hidden;

/* overflow: the block overrun; leak: a block held, not leaked. */
static void *kpn_held;

static int kpn_create_pool(unsigned int flags)
{
	struct kpool_params params = {
		.name = "negative",
		.block_size = KPN_BLOCK_SIZE,
		.node = NUMA_NO_NODE,
		.flags = flags,
		.order = KPOOL_ORDER_AUTO,
	};

	kpn_pool = kpool_create(&params);
	return PTR_ERR_OR_ZERO(kpn_pool);
}

static enum hrtimer_restart kpn_timer_fn(struct hrtimer *timer)
{
	void *block;

	spin_lock(&kpn_lock);
	block = kpool_alloc(kpn_pool, GFP_ATOMIC);
	if (block)
		kpool_free(kpn_pool, block);
	spin_unlock(&kpn_lock);
	complete(&kpn_timer_done);
	return HRTIMER_NORESTART;
}

static noinline int kpn_irqlock(void)
{
	void *block;

	hrtimer_setup(&kpn_timer, kpn_timer_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_HARD);
	hrtimer_start(&kpn_timer, ms_to_ktime(1), HRTIMER_MODE_REL_HARD);
	wait_for_completion(&kpn_timer_done);
	hrtimer_cancel(&kpn_timer);	/* until the callback has returned */
	pr_info("irqlock: kpn_lock was taken in hardirq context; now with interrupts on\n");
	/* the bug: should be spin_lock_irqsave() */
	spin_lock(&kpn_lock);
	block = kpool_alloc(kpn_pool, GFP_ATOMIC);
	if (block)
		kpool_free(kpn_pool, block);
	spin_unlock(&kpn_lock);
	return 0;
}

/*
 * kpool's chunk records its base address, which is the address of its
 * first block: that block is never unreferenced. Leak another one.
 */
static noinline int kpn_leak(void)
{
	struct kpool_stats st;
	void *block;

	kpool_get_stats(kpn_pool, &st);
	block = kpool_alloc(kpn_pool, GFP_KERNEL);
	if (block && IS_ALIGNED((unsigned long)block, PAGE_SIZE << st.chunk_order)) {
		kpn_held = block;
		block = kpool_alloc(kpn_pool, GFP_KERNEL);
	}
	if (!block)
		return -ENOMEM;
	kpn_hidden = ~(unsigned long)block;
	pr_info("leak: a %d-byte block of a debug pool is no longer referenced\n",
		KPN_BLOCK_SIZE);
	return 0;
}

static noinline int kpn_uaf(void)
{
	u8 *block = kpool_alloc(kpn_pool, GFP_KERNEL);

	if (!block)
		return -ENOMEM;
	memset(block, 0x5a, KPN_BLOCK_SIZE);
	kpool_free(kpn_pool, block);
	/* the bug: a read after the free */
	pr_info("uaf: read 0x%02x from a freed block\n", READ_ONCE(block[0]));
	return 0;
}

static noinline int kpn_overflow(void)
{
	u8 *block = kpool_alloc(kpn_pool, GFP_KERNEL);

	if (!block)
		return -ENOMEM;
	kpn_held = block;
	pr_info("overflow: writing one byte past a %d-byte block\n",
		KPN_BLOCK_SIZE);
	/* the bug: the block ends one byte earlier */
	WRITE_ONCE(block[KPN_BLOCK_SIZE], 0xa5);
	return 0;
}

static const struct {
	const char *name;
	unsigned int pool_flags;
	int (*run)(void);
} kpn_controls[] = {
	{ "irqlock", 0, kpn_irqlock },
	{ "leak", KPOOL_F_DEBUG, kpn_leak },
	{ "uaf", 0, kpn_uaf },
	{ "overflow", 0, kpn_overflow },
};

static void kpn_release_pool(void)
{
	if (kpn_hidden)
		kpool_free(kpn_pool, (void *)~kpn_hidden);
	if (kpn_held)
		kpool_free(kpn_pool, kpn_held);
	kpool_destroy(kpn_pool);
}

static int __init kpn_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(kpn_controls); i++)
		if (control && !strcmp(control, kpn_controls[i].name))
			break;
	if (i == ARRAY_SIZE(kpn_controls)) {
		pr_err("control=irqlock|leak|uaf|overflow\n");
		return -EINVAL;
	}
	err = kpn_create_pool(kpn_controls[i].pool_flags);
	if (err)
		return err;
	pr_info("control %s begins\n", control);
	err = kpn_controls[i].run();
	if (err) {
		pr_err("control %s could not run: %d\n", control, err);
		kpn_release_pool();
	}
	return err;
}

static void __exit kpn_exit(void)
{
	kpn_release_pool();
}

module_init(kpn_init);
module_exit(kpn_exit);

MODULE_DESCRIPTION("kpool negative controls: deliberate bugs the debug kernel must report");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(KPOOL_NS);
