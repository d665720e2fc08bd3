// SPDX-License-Identifier: GPL-2.0
/*
 * The depot (the free blocks outside the magazines) and the allocation
 * slow path that refills magazines from it.
 *
 * The depot
 * ---------
 * Free blocks not in magazines: the FREE states of the chunks, with each
 * chunk's count and a scan cursor, the chunks on three lists by that count
 * (partial, full, empty: refills take partial chunks first so that empty
 * ones can be given back). A refill moves a batch of KPOOL_MAG_BATCH
 * blocks, scanning from the cursor, which then moves to the next group of
 * KPOOL_STATE_GROUP states (one cache line): CPUs refilling from one chunk
 * get blocks whose states sit on different cache lines, so their fast
 * paths do not write a line another CPU writes. Everything in the depot
 * is under pool->lock, a raw spinlock taken irqsave (hardirq callers), held
 * for bounded work: one batch, one chunk's scan, one flush.
 *
 * Growth, the reserve and waiting
 * -------------------------------
 * min_blocks free blocks of the depot are the reserve. An allocation that
 * misses its magazine follows the allocation order of kpool.h in
 * kpool_get(). A block that returns to the depot while the reserve is
 * short refills it. The pool is "tight" while allocations wait or while the
 * reserve is short and the pool could still grow: frees then take the slow
 * path, straight to the depot (the fast free sees it as a magazine limit
 * of 0, pool->mag_limit, so one compare covers both), and refills take
 * single blocks, so free blocks go where they are needed. A pool at its
 * cap is never tight for its reserve: there the reserve protects nothing
 * the other free blocks do not, and min_blocks == max_blocks pools run on
 * the magazines. Growth carves a chunk outside the lock and publishes it
 * under the lock; its blocks are counted against max_blocks first, so
 * concurrent growth never passes the cap. A chunk is published only after its slot in
 * the chunk table and its pages' tags are written (kpool_chunk_map(); the
 * slot's rcu_assign_pointer() pairs with the rcu_dereference() of the
 * lookups).
 */

#include "kpool_internal.h"

/* The depot (pool->lock held) */

/*
 * Put @chunk on the list for its count of free blocks, which was @was:
 * full (none), empty (all) or partial.
 */
static void kpool_chunk_relist(struct kpool *pool, struct kpool_chunk *chunk,
			       unsigned int was)
{
	bool was_empty = was == chunk->nr_blocks;
	bool empty = chunk->nr_free == chunk->nr_blocks;

	if (!chunk->nr_free == !was && empty == was_empty)
		return;
	if (!chunk->nr_free)
		list_move(&chunk->list, &pool->full);
	else if (empty)
		list_move(&chunk->list, &pool->empty);
	else
		list_move(&chunk->list, &pool->partial);
	if (was_empty)
		WRITE_ONCE(pool->nr_empty, pool->nr_empty - 1);
	if (empty)
		WRITE_ONCE(pool->nr_empty, pool->nr_empty + 1);
}

void kpool_update_tight(struct kpool *pool)
{
	bool may_grow = !pool->max_blocks ||
			pool->blocks_total < pool->max_blocks;

	lockdep_assert_held(&pool->lock);
	pool->tight = pool->nr_hungry ||
		      (may_grow && pool->nr_reserve < pool->min_blocks);
	WRITE_ONCE(pool->hot.mag_limit, pool->tight ? 0 : pool->mag_size);
}

/*
 * The FREE states of @chunk do not add up to its count: a double free raced
 * with itself on two CPUs (see the theory of operation). Count them again;
 * the caller relists the chunk and updates the pool's tightness.
 */
static noinline void kpool_chunk_recount(struct kpool *pool,
					 struct kpool_chunk *chunk)
{
	unsigned int i, n = 0;

	for (i = 0; i < chunk->nr_blocks; i++)
		n += READ_ONCE(chunk->state[i]) == KPOOL_B_FREE;
	pool->depot_free -= chunk->nr_free - n;
	pool->nr_reserve = min_t(unsigned long, pool->nr_reserve,
				 pool->depot_free);
	chunk->nr_free = n;
	chunk->cursor = 0;
	kpool_count(pool, KPOOL_EV_err_double_free);
	pr_warn_ratelimited("pool %s: frees of one block raced on two CPUs; counts repaired\n",
			    pool->name);
}

/*
 * Take up to @n free blocks from the depot into @out, setting their state
 * to @to; from the reserve only if @use_reserve. Return how many. Partial
 * chunks go first. A chunk is scanned from its cursor, wrapping once; the
 * cursor then moves to the group after the last block taken, so that the
 * next refill, most likely another CPU's, gets states on other cache lines.
 */
unsigned int kpool_depot_take(struct kpool *pool, void **out, unsigned int n,
			      u8 to, bool use_reserve)
{
	unsigned long avail = pool->depot_free - pool->nr_reserve, out_now;
	unsigned int got = 0, start, want, was, i, lo, hi;
	struct kpool_chunk *chunk;
	void **o, **stop;
	u8 *state;
	bool retight = false;

	lockdep_assert_held(&pool->lock);
	if (use_reserve)
		avail = pool->depot_free;
	n = min_t(unsigned long, n, avail);
	while (got < n) {
		chunk = list_first_entry_or_null(&pool->partial,
						 struct kpool_chunk, list) ?:
			list_first_entry_or_null(&pool->empty,
						 struct kpool_chunk, list);
		if (!chunk)
			break;
		start = got;
		was = chunk->nr_free;
		want = min(n - got, was);
		o = out + got;
		stop = o + want;
		state = chunk->state;
		/* from the cursor to the end, then from 0 to the cursor */
		for (lo = chunk->cursor, hi = chunk->nr_blocks;; hi = lo, lo = 0) {
			for (i = lo; i < hi && o < stop; i++) {
				/* only FREE states are stable here */
				if (data_race(state[i]) != KPOOL_B_FREE)
					continue;
				WRITE_ONCE(state[i], to);
				*o++ = kpool_block_addr(pool, chunk, i);
			}
			if (o == stop || !lo)
				break;
		}
		got = o - out;
		chunk->nr_free -= got - start;
		chunk->cursor = round_up(i, KPOOL_STATE_GROUP);
		if (chunk->cursor >= chunk->nr_blocks)
			chunk->cursor = 0;
		pool->depot_free -= got - start;
		if (unlikely(got - start < want)) {
			kpool_chunk_recount(pool, chunk);
			retight = true;
		}
		kpool_chunk_relist(pool, chunk, was);
	}
	/* what the depot could not give without the reserve came from it */
	if (got && pool->depot_free < pool->nr_reserve) {
		kpool_count_n(pool, KPOOL_EV_reserve_allocs,
			      pool->nr_reserve - pool->depot_free);
		pool->nr_reserve = pool->depot_free;
		retight = true;
	}
	if (retight)
		kpool_update_tight(pool);
	out_now = pool->blocks_total - pool->depot_free;
	if (got && out_now > pool->high_watermark)
		pool->high_watermark = out_now;
	return got;
}

/*
 * @n blocks of @chunk whose states the caller made FREE join the depot;
 * @idx is the lowest of their indices.
 */
void kpool_depot_put(struct kpool *pool, struct kpool_chunk *chunk,
		     unsigned int n, unsigned int idx)
{
	unsigned int was = chunk->nr_free;

	lockdep_assert_held(&pool->lock);
	chunk->nr_free += n;
	if (idx < chunk->cursor)
		chunk->cursor = round_down(idx, KPOOL_STATE_GROUP);
	kpool_chunk_relist(pool, chunk, was);
	pool->depot_free += n;
	if (pool->nr_reserve < pool->min_blocks) {
		pool->nr_reserve = min(pool->nr_reserve + n, pool->min_blocks);
		kpool_update_tight(pool);
	}
}

/* Allocation slow path */

/*
 * Take a block from the depot for the caller (ALLOC) and, when this CPU's
 * magazine can be had, a batch for it (CACHED); the reserve only if
 * @use_reserve.
 */
static void *kpool_refill(struct kpool *pool, bool use_reserve)
{
	void *batch[KPOOL_MAG_BATCH];
	struct kpool_cpu *pc;
	unsigned int n;
	unsigned long flags;
	void *block = NULL;

	kpool_cpu_pin();
	pc = pool->mag_size ? kpool_mag_get(pool) : NULL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	if (kpool_depot_take(pool, &block, 1, KPOOL_B_ALLOC, use_reserve) &&
	    pc && !pool->tight && pc->mag.nr < KPOOL_MAG_BATCH) {
		n = kpool_depot_take(pool, batch, KPOOL_MAG_BATCH - pc->mag.nr,
				     KPOOL_B_CACHED, use_reserve);
		kpool_mag_fill(pool, pc, batch, n);
		/* the blocks just taken are the likeliest to come back */
		WRITE_ONCE(pc->mag.hint, &kpool_block_chunk(block)->range);
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (pc)
		kpool_mag_release(pool->cpu);
	kpool_cpu_unpin();
	return block;
}

/*
 * Does any online CPU's magazine hold a slot (a racy look)? Out of line:
 * its loop would give kpool_alloc_miss() a stack frame. A bit test per
 * CPU id rather than for_each_online_cpu()'s call per online CPU: this
 * loop is most of what a failed atomic allocation costs.
 */
bool kpool_mags_hold_any(struct kpool *pool)
{
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		if (!cpu_online(cpu))
			continue;
		/* racy: a slot may come or go at any time */
		if (data_race(per_cpu_ptr(pool->cpu, cpu)->mag.nr))
			return true;
	}
	return false;
}

/*
 * Take a block cached in any CPU's magazine (most likely another's: this
 * one's was empty). The slot left in that magazine goes stale. Every
 * CACHED block has a slot: with all magazines empty (an exhausted pool)
 * there is nothing to search for, but blocks whose free has not ended.
 */
static void *kpool_steal(struct kpool *pool)
{
	struct kpool_chunk *chunk;
	void *block = NULL;
	unsigned int i;
	u8 *s;

	if (!pool->mag_size || !kpool_mags_hold_any(pool))
		return NULL;
	kpool_cpu_pin();
	list_for_each_entry_rcu(chunk, &pool->chunks, node) {
		for (i = 0; i < chunk->nr_blocks; i = s - chunk->state + 1) {
			/* a racy search; the compare-and-exchange decides */
			s = data_race(memchr(chunk->state + i, KPOOL_B_CACHED,
					     chunk->nr_blocks - i));
			if (!s)
				break;
			if (cmpxchg(s, KPOOL_B_CACHED, KPOOL_B_ALLOC) ==
			    KPOOL_B_CACHED) {
				block = kpool_block_addr(pool, chunk,
							 s - chunk->state);
				goto out;
			}
		}
	}
out:
	kpool_cpu_unpin();
	if (block)
		kpool_count(pool, KPOOL_EV_steals);
	return block;
}

/* An allocation may wait for a free: make frees take the slow path. */
static void kpool_hungry(struct kpool *pool, int delta, bool got_block)
{
	unsigned long flags;
	bool others;

	raw_spin_lock_irqsave(&pool->lock, flags);
	pool->nr_hungry += delta;
	kpool_update_tight(pool);
	others = pool->nr_hungry;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	/* pass on a wake-up this allocation may have consumed for nothing */
	if (delta < 0 && !got_block && others)
		swake_up_one(&pool->wait);
}

/*
 * The allocation slow path: a block from anywhere but this CPU's magazine,
 * handed out; for kpool_alloc() (@may_wait) and kpool_alloc_bulk(). Steps
 * 2 to 6 of kpool.h's allocation order, marked with their numbers there.
 * Light growth repeats while it succeeds. A caller that may sleep makes
 * the pool tight (kpool_hungry()) and goes round again from step 6's
 * growth; after it, every magazine is drained and the reserve tried, and
 * only then, if @may_wait, it waits for a free: woken by one, or after
 * KPOOL_WAIT_RETRY to retry growth, it goes round again.
 */
noinline void *kpool_get(struct kpool *pool, gfp_t gfp, bool may_wait,
			 unsigned long ip)
{
	gfp_t light = kpool_grow_gfp(pool, gfp, true);
	bool hungry = false, waited = false;
	DECLARE_SWAITQUEUE(wait);
	void *block;
	int err = 0;

	might_alloc(gfp);
	kpool_count(pool, KPOOL_EV_cache_misses);
	/* an atomic caller of a pool used up: steps 2 to 5 cannot succeed */
	if (kpool_used_up(pool, gfp)) {
		block = NULL;
		goto out;
	}
repeat:
	if (hungry && err == -ENOMEM)					/* 6 */
		err = kpool_grow(pool, kpool_grow_gfp(pool, gfp, false));
	do {
		block = kpool_refill(pool, false);			/* 2 */
		if (block)
			goto out;
		err = kpool_grow(pool, light);				/* 3 */
	} while (!err);
	block = kpool_refill(pool, true) ?: kpool_steal(pool);		/* 4, 5 */
	if (block || !gfpflags_allow_blocking(gfp))
		goto out;
	if (!hungry) {
		hungry = true;
		kpool_hungry(pool, 1, false);
		goto repeat;
	}
	/* before every sleep; rate-limited for those that never wait */
	if (may_wait || kpool_drain_due(pool))				/* 6 */
		kpool_drain_all(pool, false);
	block = kpool_refill(pool, true);
	if (block || !may_wait || fatal_signal_pending(current))
		goto out;
	if (!waited) {							/* 6 */
		waited = true;
		kpool_count(pool, KPOOL_EV_waits);
	}
	/* a free between the refill and the sleep wakes it */
	prepare_to_swait_exclusive(&pool->wait, &wait, TASK_KILLABLE);
	block = kpool_refill(pool, true);
	if (!block)
		schedule_timeout(KPOOL_WAIT_RETRY);
	finish_swait(&pool->wait, &wait);
	if (!block)
		goto repeat;
out:
	if (hungry)
		kpool_hungry(pool, -1, !!block);
	if (unlikely(!block)) {
		kpool_count(pool, KPOOL_EV_alloc_failures);
		kpool_drain_kick(pool);
		return NULL;
	}
	kpool_count(pool, KPOOL_EV_allocs);
	return kpool_hand_out_slow(pool, block, gfp, ip);
}

/*
 * Claim the block @addr of @pool for a free: ALLOC -> FREEING, or refuse a
 * bad pointer (counted and reported). From then on the caller owns the
 * block and the block keeps its chunk in the pool. Return the block's
 * index, or kpool_free()'s errno.
 */
long kpool_free_claim(struct kpool *pool, void *block, unsigned long addr,
		      struct kpool_chunk **chunkp)
{
	long idx;

	kpool_cpu_pin();
	*chunkp = kpool_hint(this_cpu_ptr(&pool->cpu->mag));
	idx = kpool_find(pool, addr, chunkp);
	if (idx >= 0 && cmpxchg(&(*chunkp)->state[idx], KPOOL_B_ALLOC,
				KPOOL_B_FREEING) != KPOOL_B_ALLOC)
		idx = -EALREADY;
	kpool_cpu_unpin();
	if (unlikely(idx < 0)) {
		kpool_bad_free(pool, block, idx);
		return idx == -EFAULT ? -EINVAL : idx;
	}
	return idx;
}

/*
 * Finish the free of a block the caller claimed (FREEING): run the debug
 * checks, flush half of a full magazine, give the block to the depot when
 * no magazine can take it, wake waiters.
 */
void kpool_free_finish(struct kpool *pool, struct kpool_chunk *chunk,
		       unsigned int idx, void *block)
{
	struct kpool_cpu *pc;
	unsigned long flags;
	bool hungry;

	kpool_poison_free(pool, block);
	kpool_debug_free(pool, chunk, idx, block);
	kpool_cpu_pin();
	pc = pool->mag_size ? kpool_mag_get(pool) : NULL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	hungry = pool->nr_hungry;
	if (pc && !pool->tight) {
		if (pc->mag.nr == pool->mag_size)
			kpool_mag_flush(pool, pc, KPOOL_MAG_BATCH);
		kpool_mag_push(pool, pc, chunk, block, idx);
	} else {
		WRITE_ONCE(chunk->state[idx], KPOOL_B_FREE);
		kpool_depot_put(pool, chunk, 1, idx);
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (pc)
		kpool_mag_release(pool->cpu);
	kpool_cpu_unpin();

	kpool_count(pool, KPOOL_EV_frees);
	trace_kpool_free(pool->id, pool->name, false);
	if (hungry)
		swake_up_one(&pool->wait);
}
