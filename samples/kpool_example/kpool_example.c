// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_example - how a kernel module uses kpool.
 *
 * At load it creates the pool "example" of 128-byte blocks with a reserve
 * of 16 blocks (one line: KPOOL_PARAMS() takes name, size and alignment
 * from struct example), allocates blocks one by one and in a batch, fills them,
 * checks them, frees them, publishes one to RCU readers and frees it after a
 * grace period, puts a mempool on top of the pool, and prints the pool's
 * statistics. It also shows a pool that belongs to a device, as a driver's
 * probe() makes it: destroyed with the device. The pool lives
 * as long as the module, so it can be seen meanwhile in the LIST of
 * /dev/kpool and in /sys/kernel/debug/kpool/example/stats. Unloading the
 * module destroys it.
 *
 *   insmod kpool.ko && insmod kpool_example.ko && rmmod kpool_example
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/mempool.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/types.h>

#include "kpool.h"

#define EXAMPLE_BLOCK_SIZE	128
#define EXAMPLE_RESERVE		16
#define EXAMPLE_SINGLE		4
#define EXAMPLE_BATCH		8
#define EXAMPLE_MEMPOOL_MIN	4

/* What a block holds; KPOOL_PARAMS() names the pool after the tag. */
struct example {
	u8 bytes[EXAMPLE_BLOCK_SIZE];
};

/* The blocks of the device's pool, "example_desc". */
struct example_desc {
	u64 addr;
	u32 len;
	u32 flags;
};

static struct kpool *example_pool;
/* A block published to lockless readers (none in this sample). */
static struct example __rcu *example_current;

/* Fill every block with its own byte, then check that it is still there. */
static int example_fill_and_check(void **blocks, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		memset(blocks[i], 'a' + i, EXAMPLE_BLOCK_SIZE);
	for (i = 0; i < n; i++)
		if (memchr_inv(blocks[i], 'a' + i, EXAMPLE_BLOCK_SIZE))
			return -EIO;
	return 0;
}

/* One block at a time: kpool_alloc() and kpool_free(). */
static int example_single(struct kpool *pool)
{
	void *blocks[EXAMPLE_SINGLE];
	unsigned int i, n;
	int err = 0;

	for (n = 0; n < EXAMPLE_SINGLE; n++) {
		/* GFP_KERNEL may sleep; use GFP_ATOMIC where you cannot. */
		blocks[n] = kpool_alloc(pool, GFP_KERNEL);
		if (!blocks[n]) {
			err = -ENOMEM;
			break;
		}
	}
	if (!err)
		err = example_fill_and_check(blocks, n);

	for (i = 0; i < n; i++) {
		/* kpool_free() checks the block; an error means a bug here. */
		int ret = kpool_free(pool, blocks[i]);

		if (ret && !err)
			err = ret;
	}
	return err;
}

/* A batch: kpool_alloc_bulk() gets all the blocks or none. */
static int example_batch(struct kpool *pool)
{
	void *blocks[EXAMPLE_BATCH];
	int err, ret;

	err = kpool_alloc_bulk(pool, GFP_KERNEL, EXAMPLE_BATCH, blocks);
	if (err)
		return err;
	err = example_fill_and_check(blocks, EXAMPLE_BATCH);
	ret = kpool_free_bulk(pool, EXAMPLE_BATCH, blocks);
	return err ? err : ret;
}

/*
 * A block readers may find under rcu_read_lock(): once it is unpublished
 * it goes back to the pool only after a grace period, with
 * kpool_free_rcu() (no rcu_head in the block, any context). kpool_destroy()
 * waits for it.
 */
static int example_deferred(struct kpool *pool)
{
	struct example *e = kpool_alloc(pool, GFP_KERNEL);

	if (!e)
		return -ENOMEM;
	memset(e->bytes, 'r', sizeof(e->bytes));
	rcu_assign_pointer(example_current, e);
	/* ...readers use it... */
	e = rcu_replace_pointer(example_current, NULL, true);
	return kpool_free_rcu(pool, e);
}

/*
 * A mempool over the pool, as over a kmem_cache with mempool_alloc_slab():
 * its reserve of EXAMPLE_MEMPOOL_MIN blocks comes from the pool and goes
 * back to it when the mempool is destroyed.
 */
static int example_mempool(struct kpool *pool)
{
	mempool_t *mp;
	void *e;

	mp = mempool_create(EXAMPLE_MEMPOOL_MIN, kpool_mempool_alloc,
			    kpool_mempool_free, pool);
	if (!mp)
		return -ENOMEM;
	e = mempool_alloc(mp, GFP_KERNEL);
	memset(e, 'm', EXAMPLE_BLOCK_SIZE);
	mempool_free(e, mp);
	mempool_destroy(mp);
	return 0;
}

/*
 * A pool that belongs to a device, as a driver's probe() makes it with
 * devm_kpool_create(): no kpool_destroy() anywhere, the pool goes with the
 * device (here at once, after one block).
 */
static int example_device(void)
{
	struct example_desc *desc;
	struct platform_device *pdev;
	struct kpool *pool;
	int err = 0;

	pdev = platform_device_register_simple(KBUILD_MODNAME,
					       PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	pool = devm_kpool_create(&pdev->dev, &KPOOL_PARAMS(example_desc));
	if (IS_ERR(pool)) {
		err = PTR_ERR(pool);
		goto out;
	}
	desc = kpool_alloc(pool, GFP_KERNEL);
	if (!desc) {
		err = -ENOMEM;
		goto out;
	}
	desc->len = sizeof(*desc);
	err = kpool_free(pool, desc);
out:
	/* the pool is destroyed here, with the device */
	platform_device_unregister(pdev);
	return err;
}

static int __init example_init(void)
{
	struct kpool_stats stats;
	int err;

	/* "example", sizeof(struct example), any node, automatic order */
	example_pool = kpool_create(&KPOOL_PARAMS(example,
						  .min_blocks = EXAMPLE_RESERVE));
	if (IS_ERR(example_pool))
		return PTR_ERR(example_pool);

	err = example_single(example_pool);
	if (!err)
		err = example_batch(example_pool);
	if (!err)
		err = example_deferred(example_pool);
	if (!err)
		err = example_mempool(example_pool);
	if (!err)
		err = example_device();
	if (err) {
		kpool_destroy(example_pool);
		return err;
	}

	kpool_get_stats(example_pool, &stats);
	pr_info("pool %s (id %u): %llu allocs, %llu frees, %llu blocks in %llu chunks, %llu in use (%llu waiting for a grace period), %llu reserved\n",
		stats.name, stats.id, stats.allocs, stats.frees,
		stats.blocks_total, stats.chunks, stats.blocks_in_use,
		stats.blocks_rcu_pending, stats.blocks_reserved);
	return 0;
}

static void __exit example_exit(void)
{
	/*
	 * Every block was freed (the deferred one is waited for), so this
	 * cannot fail with -EBUSY.
	 */
	kpool_destroy(example_pool);
}

module_init(example_init);
module_exit(example_exit);

MODULE_IMPORT_NS(KPOOL_NS);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Example user of the kpool block pools");
MODULE_AUTHOR("kpool developers");
