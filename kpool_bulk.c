// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_alloc_bulk() and kpool_free_bulk(): the hit and slow paths of the
 * single-block calls, for runs of blocks.
 *
 * Bulk calls own the magazine once for a run of blocks and move what it
 * cannot give or take to or from the depot, KPOOL_BULK_STEP blocks per
 * hold of pool->lock. The loops keep copies of what they read of the pool
 * and of the current chunk's range, so that their stores to the magazine
 * and to @blocks do not make the compiler read them again per block.
 */

#include "kpool_internal.h"

/**
 * kpool_alloc_bulk() - allocate @n blocks, all or nothing
 * @pool: the pool.
 * @gfp: as for kpool_alloc().
 * @n: how many blocks.
 * @blocks: receives the blocks.
 *
 * Takes what this CPU's magazine holds, then the rest from the depot (a
 * bounded number of blocks per lock hold), then block by block as
 * kpool_alloc() would, except that it never waits for other users to free
 * blocks (a request that holds blocks while waiting for more could
 * deadlock): with a sleeping @gfp it may reclaim to grow the pool and
 * drains every CPU's magazine before it fails. When a block cannot be
 * had, the blocks already taken are freed again and every entry of
 * @blocks written is reset to NULL.
 *
 * Context: As kpool_alloc().
 * Return: 0, or -ENOMEM (nothing allocated).
 */
int kpool_alloc_bulk(struct kpool *pool, gfp_t gfp, unsigned int n,
		     void **blocks)
{
	unsigned int i = 0, hits, taken, want, got;
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
	/* bounded time with interrupts off: KPOOL_BULK_STEP per hold */
	while (i < n) {
		want = min_t(unsigned int, n - i, KPOOL_BULK_STEP);
		raw_spin_lock_irqsave(&pool->lock, flags);
		got = kpool_depot_take(pool, blocks + i, want, KPOOL_B_ALLOC,
				       false);
		raw_spin_unlock_irqrestore(&pool->lock, flags);
		i += got;
		if (got < want)
			break;
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

/* What kpool_range_index() reads of @pool, which never changes. */
static __always_inline struct kpool_hot
kpool_stride_of(const struct kpool *pool)
{
	return (struct kpool_hot){
		.inv = pool->hot.inv,
		.shift = pool->hot.shift,
	};
}

/*
 * The index of the block at @addr if it is a block of @pool, else -1. The
 * loops of kpool_free_run() and kpool_free_run_depot() keep the range of
 * the chunk of the block before, *@chunkp, in @range, a copy their stores
 * do not make stale: it is tried first, then *@chunkp and @range become
 * the block's chunk and its range (range.nr is 0 where a boundary leaves
 * gaps: kpool_find() finds those blocks). The task is pinned.
 */
static __always_inline long kpool_run_index(struct kpool *pool,
					    const struct kpool_hot *hot,
					    struct kpool_chunk **chunkp,
					    struct kpool_range *range,
					    unsigned long addr)
{
	unsigned long idx = kpool_range_index(hot, range, addr);
	long found;

	/* as an unsigned int, which the caller's test of a sign skips */
	if (likely(idx < range->nr))
		return (unsigned int)idx;
	found = kpool_find(pool, addr, chunkp);
	if (found >= 0)
		*range = (*chunkp)->range;
	return found;
}

/*
 * The second half of kpool_free_run(), this CPU's magazine full: ALLOC
 * blocks of @blocks straight into the depot, at most KPOOL_BULK_STEP under
 * one hold of pool->lock (bounded time with interrupts off), and none while
 * the pool is tight. Return the entries handled.
 */
static unsigned int kpool_free_run_depot(struct kpool *pool, void **blocks,
					 unsigned int n, struct kpool_chunk *chunk)
{
	const struct kpool_hot hot = kpool_stride_of(pool);
	struct kpool_range range = chunk->range;
	unsigned int i, moved = 0, run = 0, low = 0;
	struct kpool_chunk *run_chunk = NULL;
	unsigned long flags;
	long idx;

	n = min_t(unsigned int, n, KPOOL_BULK_STEP);
	raw_spin_lock_irqsave(&pool->lock, flags);
	/* a tight pool's frees wake or refill; kpool_depot_put() only loosens */
	if (pool->tight)
		n = 0;
	for (i = 0; i < n; i++) {
		if (!blocks[i])
			continue;
		idx = kpool_run_index(pool, &hot, &chunk, &range,
				      (unsigned long)kasan_reset_tag(blocks[i]));
		/* FREE blocks are taken under pool->lock: poisoned in time */
		if (idx < 0 || cmpxchg(&range.state[idx], KPOOL_B_ALLOC,
				       KPOOL_B_FREE) != KPOOL_B_ALLOC)
			break;
		kpool_poison_free(pool, blocks[i]);
		/* the depot's counts are updated once per run of one chunk */
		if (chunk != run_chunk) {
			if (run)
				kpool_depot_put(pool, run_chunk, run, low);
			moved += run;
			run_chunk = chunk;
			run = 0;
			low = idx;
		}
		low = min_t(unsigned int, low, idx);
		run++;
	}
	if (run)
		kpool_depot_put(pool, run_chunk, run, low);
	moved += run;
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
	/* copies, which the stores to the magazine do not make stale */
	const struct kpool_hot hot = kpool_stride_of(pool);
	struct kpool_chunk *chunk, *hint = NULL;
	struct kpool_slot *slot, *end;
	struct kpool_range range;
	unsigned int i, cached;
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
	range = chunk->range;
	/* nr is stored once, at the end: the magazine is this context's */
	slot = pc->mag.slot + pc->mag.nr;
	end = pc->mag.slot + READ_ONCE(pool->hot.mag_limit);
	for (i = 0; i < n; i++) {
		if (!blocks[i])
			continue;
		if (slot >= end)
			break;
		idx = kpool_run_index(pool, &hot, &chunk, &range,
				      (unsigned long)kasan_reset_tag(blocks[i]));
		if (idx < 0 || READ_ONCE(range.state[idx]) != KPOOL_B_ALLOC)
			break;
		kpool_slot_fill(pool, slot++, blocks[i], range.state + idx);
		hint = chunk;
	}
	cached = slot - (pc->mag.slot + pc->mag.nr);
	pc->mag.nr += cached;
	/* the chunk of a block now in the magazine, as kpool_mag_push() */
	if (hint)
		WRITE_ONCE(pc->mag.hint, &hint->range);
	kpool_mag_release(pool->cpu);
	if (i < n && slot >= end)
		i += kpool_free_run_depot(pool, blocks + i, n - i, chunk);
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
