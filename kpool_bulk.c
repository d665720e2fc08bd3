// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_alloc_bulk() and kpool_free_bulk(): the hit and slow paths of the
 * single-block calls, for runs of blocks.
 *
 * Bulk calls own the magazine once for a run of blocks; a bulk free puts
 * what the magazine cannot take into the depot under one lock hold per
 * KPOOL_MAG_SIZE blocks.
 */

#include "kpool_internal.h"

/**
 * kpool_alloc_bulk() - allocate @n blocks, all or nothing
 * @pool: the pool.
 * @gfp: as for kpool_alloc().
 * @n: how many blocks.
 * @blocks: receives the blocks.
 *
 * Takes what this CPU's magazine holds, then the rest from the depot under
 * one lock hold, then block by block as kpool_alloc() would, except that it
 * never waits for other users to free blocks (a request that holds blocks
 * while waiting for more could deadlock): with a sleeping @gfp it may
 * reclaim to grow the pool and drains every CPU's magazine before it
 * fails. When a block cannot be had, the blocks already taken are freed
 * again and every entry of @blocks written is reset to NULL.
 *
 * Context: As kpool_alloc().
 * Return: 0, or -ENOMEM (nothing allocated).
 */
int kpool_alloc_bulk(struct kpool *pool, gfp_t gfp, unsigned int n,
		     void **blocks)
{
	unsigned int i = 0, hits, taken;
	unsigned long flags;

	might_alloc(gfp);
	if (pool->max_blocks && n > pool->max_blocks)
		goto fail;
	kpool_cpu_pin();
	if (pool->mag_size && kpool_mag_own(pool->cpu)) {
		i = kpool_mag_pop(this_cpu_ptr(pool->cpu), blocks, n);
		kpool_mag_release(pool->cpu);
	}
	kpool_cpu_unpin();
	hits = i;
	if (i < n) {
		raw_spin_lock_irqsave(&pool->lock, flags);
		i += kpool_depot_take(pool, blocks + i, n - i, KPOOL_B_ALLOC,
				      false);
		raw_spin_unlock_irqrestore(&pool->lock, flags);
	}
	taken = i;
	for (; i < n; i++) {
		blocks[i] = kpool_get(pool, gfp, false, _RET_IP_);
		if (!blocks[i])
			goto undo;
	}

	/* in the common case the blocks have nothing more to do */
	if (IS_ENABLED(CONFIG_KASAN_GENERIC) || kpool_zeroes(pool, gfp) ||
	    trace_kpool_alloc_enabled() || kpool_debug_checks(pool)) {
		for (i = 0; i < hits; i++)
			kpool_hand_out(pool, blocks[i], gfp, true);
		for (; i < taken; i++)
			kpool_hand_out_slow(pool, blocks[i], gfp, _RET_IP_);
	}
	kpool_count_n(pool, KPOOL_EV_cache_hits, hits);
	kpool_count_n(pool, KPOOL_EV_cache_misses, taken - hits);
	kpool_count_n(pool, KPOOL_EV_allocs, taken - hits);
	kpool_count(pool, KPOOL_EV_bulk_allocs);
	return 0;

undo:
	/* the blocks taken are freed as blocks handed out */
	while (i--) {
		if (i < taken)
			kpool_hand_out_slow(pool, blocks[i], gfp, _RET_IP_);
		kpool_free(pool, blocks[i]);
		blocks[i] = NULL;
	}
	kpool_count_n(pool, KPOOL_EV_allocs, taken);
	return -ENOMEM;
fail:
	kpool_count(pool, KPOOL_EV_alloc_failures);
	return -ENOMEM;
}
EXPORT_SYMBOL_NS_GPL(kpool_alloc_bulk, KPOOL_NS);

/*
 * The index of @block if it is an ALLOC block of @pool, else -1; *@chunkp
 * is tried first and becomes the block's chunk. The task is pinned.
 */
static __always_inline long kpool_run_find(struct kpool *pool,
					   struct kpool_chunk **chunkp,
					   const void *block)
{
	long idx = kpool_find(pool, (unsigned long)kasan_reset_tag(block),
			      chunkp);

	if (idx < 0 || READ_ONCE((*chunkp)->state[idx]) != KPOOL_B_ALLOC)
		return -1;
	return idx;
}

/*
 * The second half of kpool_free_run(), this CPU's magazine full: ALLOC
 * blocks of @blocks straight into the depot, at most KPOOL_MAG_SIZE under
 * one hold of pool->lock (bounded time with interrupts off), and none while
 * the pool is tight. Return the entries handled.
 */
static unsigned int kpool_free_run_depot(struct kpool *pool, void **blocks,
					 unsigned int n, struct kpool_chunk *chunk)
{
	unsigned int i, moved = 0, run = 0, low = 0;
	struct kpool_chunk *run_chunk = NULL;
	unsigned long flags;
	long idx;

	n = min_t(unsigned int, n, KPOOL_MAG_SIZE);
	raw_spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < n && !pool->tight; i++) {
		if (!blocks[i])
			continue;
		idx = kpool_run_find(pool, &chunk, blocks[i]);
		/* FREE blocks are taken under pool->lock: poisoned in time */
		if (idx < 0 || cmpxchg(&chunk->state[idx], KPOOL_B_ALLOC,
				       KPOOL_B_FREE) != KPOOL_B_ALLOC)
			break;
		kpool_poison_free(pool, blocks[i]);
		/* the depot's counts are updated once per run of one chunk */
		if (chunk != run_chunk) {
			if (run)
				kpool_depot_put(pool, run_chunk, run, low);
			run_chunk = chunk;
			run = 0;
			low = idx;
		}
		low = min_t(unsigned int, low, idx);
		run++;
		moved++;
	}
	if (run)
		kpool_depot_put(pool, run_chunk, run, low);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	kpool_count_n(pool, KPOOL_EV_frees, moved);
	return i;
}

/*
 * Free a run of @blocks with one pin, owning this CPU's magazine once:
 * into the magazine while it has room, then into the depot. Stop at the
 * first block that needs kpool_free_slow(): not an ALLOC block of @pool,
 * the pool tight (it has allocations to wake or a reserve to refill), or
 * no magazine here. Return the entries handled (NULL ones included).
 */
static unsigned int kpool_free_run(struct kpool *pool, void **blocks,
				   unsigned int n)
{
	unsigned int i, cached = 0;
	struct kpool_chunk *chunk;
	struct kpool_cpu *pc;
	long idx;

	if (!pool->mag_size)
		return 0;
	kpool_cpu_pin();
	pc = kpool_mag_get(pool);
	if (!pc) {
		kpool_cpu_unpin();
		return 0;
	}
	chunk = kpool_hint(&pc->mag);
	for (i = 0; i < n; i++) {
		if (!blocks[i])
			continue;
		idx = kpool_run_find(pool, &chunk, blocks[i]);
		if (idx < 0)
			break;
		if (pc->mag.nr >= READ_ONCE(pool->hot.mag_limit)) {
			i += kpool_free_run_depot(pool, blocks + i, n - i, chunk);
			break;
		}
		kpool_mag_push(pool, pc, chunk, blocks[i], idx);
		cached++;
	}
	kpool_mag_release(pool->cpu);
	kpool_cpu_unpin();
	kpool_count_n(pool, KPOOL_EV_frees, cached);
	return i;
}

/**
 * kpool_free_bulk() - free @n blocks
 * @pool: the pool.
 * @n: how many blocks.
 * @blocks: the blocks; NULL entries are skipped.
 *
 * Every block is handled as by kpool_free(): bad ones are refused and
 * counted, the others are freed. Runs of good blocks go to this CPU's
 * magazine and, once it is full, to the pool's free blocks, a batch of
 * them under one lock hold.
 *
 * Context: Any context but NMI.
 * Return: 0, or the error of the first block refused.
 */
int kpool_free_bulk(struct kpool *pool, unsigned int n, void **blocks)
{
	unsigned int i = 0, done;
	int err, first = 0;

	while (i < n) {
		done = kpool_free_run(pool, blocks + i, n - i);
		i += done;
		if (done || i == n)
			continue;
		err = kpool_free_slow(pool, blocks[i],
				      (unsigned long)kasan_reset_tag(blocks[i]));
		if (err && !first)
			first = err;
		i++;
	}
	kpool_count(pool, KPOOL_EV_bulk_frees);
	return first;
}
EXPORT_SYMBOL_NS_GPL(kpool_free_bulk, KPOOL_NS);
