// SPDX-License-Identifier: GPL-2.0
/*
 * kpool glue: pools managed by the driver model, and kpool pools as the
 * allocator of a mempool. Part of kpool.ko; only the exported API of
 * kpool.h is used here.
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/gfp.h>

#include "kpool.h"

/* devres release: as kpool_destroy(), which reports blocks still out */
static void devm_kpool_release(struct device *dev, void *res)
{
	kpool_destroy(*(struct kpool **)res);
}

/**
 * devm_kpool_create() - create a pool destroyed when @dev is unbound
 * @dev: the device whose driver owns the pool.
 * @params: as for kpool_create().
 *
 * Managed kpool_create(), as dmam_pool_create() is dma_pool_create()'s:
 * the pool is destroyed by kpool_destroy() when the driver is detached
 * from @dev (or @dev is released without a driver). A pool that still has
 * blocks out then is reported exactly as kpool_destroy() reports it
 * (count, and the allocation sites of a debug pool) and is left alive,
 * its blocks valid, rather than freed under its users. Names are unique
 * among modules' pools (kpool_params.owner NULL): a driver with several
 * devices names each device's pool apart (e.g. after dev_name()).
 *
 * Context: Process context; may sleep.
 * Return: the pool, or an ERR_PTR(): kpool_create()'s errors, or -ENOMEM
 * if the devres entry could not be had.
 */
struct kpool *devm_kpool_create(struct device *dev,
				const struct kpool_params *params)
{
	struct kpool **res, *pool;

	res = devres_alloc(devm_kpool_release, sizeof(*res), GFP_KERNEL);
	if (!res)
		return ERR_PTR(-ENOMEM);
	pool = kpool_create(params);
	if (IS_ERR(pool))
		goto fail;
	*res = pool;
	devres_add(dev, res);
	return pool;

fail:
	devres_free(res);
	return pool;
}
EXPORT_SYMBOL_NS_GPL(devm_kpool_create, KPOOL);

/**
 * kpool_mempool_alloc() - mempool_alloc_t over a kpool pool
 * @gfp_mask: the allocation context mempool_alloc() passes on.
 * @pool_data: the pool (struct kpool *), as given to mempool_create().
 *
 * As mempool_alloc_slab() is for a kmem_cache: mempool_create(min_nr,
 * kpool_mempool_alloc, kpool_mempool_free, pool) puts a mempool's reserve
 * of min_nr elements on top of @pool_data. An atomic @gfp_mask is served
 * by kpool_alloc(); a sleeping one (mempool_create()'s preallocation,
 * mempool_alloc()'s retry once its reserve is empty) by
 * kpool_alloc_bulk(), which may reclaim to grow the pool but never waits
 * for a kpool_free(): mempool_alloc() waits for mempool_free() itself, and
 * mempool_free() refills the mempool's reserve before it frees to the
 * pool, so a wait inside the pool could miss the very frees it needs.
 *
 * Context: As kpool_alloc() for @gfp_mask.
 * Return: a block of the pool, or NULL.
 */
void *kpool_mempool_alloc(gfp_t gfp_mask, void *pool_data)
{
	void *element;

	if (!gfpflags_allow_blocking(gfp_mask))
		return kpool_alloc(pool_data, gfp_mask);
	if (kpool_alloc_bulk(pool_data, gfp_mask, 1, &element))
		return NULL;
	return element;
}
EXPORT_SYMBOL_NS_GPL(kpool_mempool_alloc, KPOOL);

/**
 * kpool_mempool_free() - mempool_free_t over a kpool pool
 * @element: a block of the pool, from kpool_mempool_alloc().
 * @pool_data: the pool (struct kpool *), as given to mempool_create().
 *
 * Frees @element to the pool with kpool_free(), whose checks apply: a
 * block that is not the pool's, or not allocated, is refused, counted and
 * reported, and the pool stays intact.
 *
 * Context: Any context but NMI.
 */
void kpool_mempool_free(void *element, void *pool_data)
{
	kpool_free(pool_data, element);
}
EXPORT_SYMBOL_NS_GPL(kpool_mempool_free, KPOOL);
