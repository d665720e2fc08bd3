// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_free_rcu(): frees deferred past an RCU grace period.
 *
 * Deferred frees (kpool_free_rcu())
 * --------------------------------
 * The call validates and claims the block at once (ALLOC -> FREEING), then
 * records its pointer in this CPU's open batch (struct kpool_rcu_batch: an
 * rcu_head and up to KPOOL_RCU_BATCH pointers, like kvfree_rcu()'s pages of
 * pointers). Most calls do all of it under this CPU's batch lock, as
 * kvfree_call_rcu() does under its krc lock: the block is validated by
 * exact division in the chunk of the last block deferred on this CPU (the
 * hint, as a kpool_free() hit does), else in the chunk its page names, and
 * claimed with one cmpxchg. A bad pointer, no open batch or its last free
 * slot take the slow path: a claim as a slow free makes (which reports bad
 * pointers), then the batch is opened, filled or closed. The hint is the
 * chunk of a block in the open batch, so it stays in the pool while the
 * fast path may read it. A full batch goes to call_rcu() at once; open
 * ones are closed by a delayed work item of the pool, which walks every
 * possible CPU (a dead CPU's batch is closed like any other).
 * The callback finishes each block as a slow free does after its claim and
 * keeps the batch as its CPU's spare. A batch is allocated (GFP_NOWAIT)
 * only where kpool_may_alloc_pages() allows, outside every lock. Where no
 * batch can be had (hardirq context, allocation failure) the block is
 * marked in its state byte instead, RCU0 or RCU1 after the pool's current
 * generation, whose cookie (get_state_synchronize_rcu()) is then taken; a
 * work item flips the generation, waits for the old one's cookie and
 * finishes the blocks marked with it by a scan of the chunks (under
 * pool->release_lock; so on a workqueue of its own, kpool_rcu_wq, since
 * drains on kpool_wq are flushed under that lock). So
 * kpool_free_rcu() never fails for want of memory and never sleeps.
 * kpool_destroy() stops the delayed work, closes every batch, waits with
 * rcu_barrier() and flushes the scan before it counts blocks in use.
 */

#include "kpool_internal.h"

/* Deferred frees: see the theory of operation */

/* Finish a deferred free whose grace period is over (FREEING). */
static void kpool_rcu_finish(struct kpool *pool, struct kpool_chunk *chunk,
			     unsigned int idx, void *block)
{
	this_cpu_dec(pool->deferred.cpu->pending);
	kpool_free_finish(pool, chunk, idx, block);
}

/* A batch for @pool, counted in its meta_bytes; NULL if none could be had. */
static struct kpool_rcu_batch *kpool_rcu_batch_new(struct kpool *pool)
{
	struct kpool_rcu_batch *batch = kmalloc(KPOOL_RCU_BATCH_BYTES,
						GFP_NOWAIT | __GFP_NOWARN);

	if (batch)
		atomic_long_inc(&pool->deferred.batches);
	return batch;
}

static void kpool_rcu_batch_free(struct kpool *pool,
				 struct kpool_rcu_batch *batch)
{
	if (batch)
		atomic_long_dec(&pool->deferred.batches);
	kfree(batch);
}

static void kpool_rcu_batch_done(struct rcu_head *rcu)
{
	struct kpool_rcu_batch *batch = container_of(rcu,
						     struct kpool_rcu_batch,
						     rcu);
	struct kpool *pool = batch->pool;
	struct kpool_rcu_cpu *rc;
	struct kpool_chunk *chunk;
	unsigned long flags;
	void *block, *addr;
	unsigned int i;

	for (i = 0; i < batch->nr; i++) {
		block = batch->blocks[i];
		addr = kasan_reset_tag(block);
		rcu_read_lock();
		chunk = kpool_block_chunk(addr);
		rcu_read_unlock();
		kpool_rcu_finish(pool, chunk,
				 kpool_block_index(pool, chunk, addr), block);
	}
	/* keep it as this CPU's spare, unless it has one */
	local_irq_save(flags);
	rc = this_cpu_ptr(pool->deferred.cpu);
	raw_spin_lock(&rc->lock);
	if (!rc->spare) {
		rc->spare = batch;
		batch = NULL;
	}
	raw_spin_unlock(&rc->lock);
	local_irq_restore(flags);
	kpool_rcu_batch_free(pool, batch);
}

/* Close every CPU's open batch: its blocks wait for a grace period. */
static void kpool_rcu_close_all(struct kpool *pool)
{
	struct kpool_rcu_batch *batch;
	struct kpool_rcu_cpu *rc;
	unsigned long flags;
	int cpu;

	for_each_possible_cpu(cpu) {
		rc = per_cpu_ptr(pool->deferred.cpu, cpu);
		raw_spin_lock_irqsave(&rc->lock, flags);
		batch = rc->open;
		rc->open = NULL;
		raw_spin_unlock_irqrestore(&rc->lock, flags);
		if (batch)
			call_rcu(&batch->rcu, kpool_rcu_batch_done);
	}
}

static void kpool_rcu_close_work(struct work_struct *work)
{
	struct kpool *pool = container_of(to_delayed_work(work), struct kpool,
					  deferred.close);

	kpool_rcu_close_all(pool);
}

/*
 * Add @block of @chunk to this CPU's open batch, opening one from the spare
 * or from *@fresh (taken then). False if there was none to open.
 */
static bool kpool_rcu_add(struct kpool *pool, struct kpool_chunk *chunk,
			  void *block, struct kpool_rcu_batch **fresh)
{
	struct kpool_rcu_batch *batch, *full = NULL;
	struct kpool_rcu_cpu *rc;
	bool opened = false, added;
	unsigned long flags;

	local_irq_save(flags);
	rc = this_cpu_ptr(pool->deferred.cpu);
	raw_spin_lock(&rc->lock);
	batch = rc->open;
	if (!batch) {
		if (rc->spare) {
			batch = rc->spare;
			rc->spare = NULL;
		} else {
			batch = *fresh;
			*fresh = NULL;
		}
		if (batch) {
			batch->pool = pool;
			batch->nr = 0;
			rc->open = batch;
			opened = true;
		}
	}
	added = batch;
	if (added) {
		/* @block keeps @chunk in the pool while @batch is open */
		rc->hint = &chunk->range;
		batch->blocks[batch->nr++] = block;
		if (batch->nr == KPOOL_RCU_BATCH) {
			rc->open = NULL;
			full = batch;
		}
	}
	raw_spin_unlock(&rc->lock);
	local_irq_restore(flags);

	if (full)
		call_rcu(&full->rcu, kpool_rcu_batch_done);
	else if (opened)
		queue_delayed_work(kpool_rcu_wq, &pool->deferred.close,
				   KPOOL_RCU_DELAY);
	return added;
}

/* No batch to be had: mark the block with the current generation. */
static void kpool_rcu_mark(struct kpool *pool, struct kpool_chunk *chunk,
			   unsigned int idx)
{
	struct kpool_deferred *d = &pool->deferred;
	unsigned long flags;

	/* the caller may drop its last reference: not a leak (debug pools) */
	kpool_debug_not_leak(pool, chunk, idx);
	raw_spin_lock_irqsave(&d->lock, flags);
	WRITE_ONCE(chunk->state[idx], KPOOL_B_RCU0 + d->gen);
	/* a grace period from here on covers this block */
	d->cookie[d->gen] = get_state_synchronize_rcu();
	d->marked[d->gen]++;
	raw_spin_unlock_irqrestore(&d->lock, flags);
	queue_work(kpool_rcu_wq, &d->scan);
}

/*
 * Finish the blocks marked with the generation in use until now, after
 * their grace period. A mark made meanwhile goes to the other generation
 * and queues this work again.
 */
static void kpool_rcu_scan_work(struct work_struct *work)
{
	struct kpool *pool = container_of(work, struct kpool, deferred.scan);
	struct kpool_deferred *d = &pool->deferred;
	unsigned long flags, cookie, left;
	struct kpool_chunk *chunk;
	unsigned int idx;
	u8 mark;

	raw_spin_lock_irqsave(&d->lock, flags);
	mark = KPOOL_B_RCU0 + d->gen;
	cookie = d->cookie[d->gen];
	left = d->marked[d->gen];
	d->marked[d->gen] = 0;
	d->gen ^= 1;
	raw_spin_unlock_irqrestore(&d->lock, flags);
	if (!left)
		return;

	cond_synchronize_rcu(cookie);
	/* no chunk leaves meanwhile, and none with a marked block can */
	mutex_lock(&pool->release_lock);
	list_for_each_entry_rcu(chunk, &pool->chunks, node,
				lockdep_is_held(&pool->release_lock)) {
		for (idx = 0; left && idx < chunk->nr_blocks; idx++) {
			if (READ_ONCE(chunk->state[idx]) != mark)
				continue;
			/* only this work changes a marked state */
			WRITE_ONCE(chunk->state[idx], KPOOL_B_FREEING);
			kpool_rcu_finish(pool, chunk, idx,
					 kpool_block_addr(pool, chunk, idx));
			left--;
		}
		if (!left)
			break;
		cond_resched();
	}
	mutex_unlock(&pool->release_lock);
	WARN_ON_ONCE(left);
}

/*
 * Defer the free of the block @idx of @chunk, which kpool_free_rcu()
 * claimed: into this CPU's open batch, else a new one, else mark it.
 */
static void kpool_rcu_defer(struct kpool *pool, struct kpool_chunk *chunk,
			    unsigned int idx, void *block)
{
	struct kpool_rcu_batch *fresh = NULL;

	if (!READ_ONCE(pool->deferred.used))
		WRITE_ONCE(pool->deferred.used, true);
	this_cpu_inc(pool->deferred.cpu->pending);
	kpool_count(pool, KPOOL_EV_rcu_frees);

	if (kpool_rcu_add(pool, chunk, block, &fresh))
		return;
	/* no batch open nor spare: a new one, outside every lock */
	if (kpool_may_alloc_pages())
		fresh = kpool_rcu_batch_new(pool);
	if (!fresh || !kpool_rcu_add(pool, chunk, block, &fresh))
		kpool_rcu_mark(pool, chunk, idx);
	/* another context opened a batch meanwhile */
	kpool_rcu_batch_free(pool, fresh);
}

/* kpool_free_rcu() past its fast path: claim as a slow free, then defer. */
static noinline int kpool_free_rcu_slow(struct kpool *pool, void *block)
{
	struct kpool_chunk *chunk;
	long idx;

	idx = kpool_free_claim(pool, block, (unsigned long)kasan_reset_tag(block),
			       &chunk);
	if (likely(idx >= 0))
		kpool_rcu_defer(pool, chunk, idx, block);
	return idx < 0 ? idx : 0;
}

/**
 * kpool_free_rcu() - free a block after an RCU grace period
 * @pool: the pool the block came from.
 * @block: the block, or NULL (then nothing happens).
 *
 * The block is validated and claimed at once, exactly as by kpool_free():
 * a bad pointer is refused, counted and reported now, not a grace period
 * later. The block returns to the pool only after a grace period that
 * starts after this call: readers that found it under rcu_read_lock()
 * before the call see its contents unchanged until their rcu_read_unlock().
 * No rcu_head is needed in the block: pointers are batched per CPU, and
 * when no batch memory can be had (hardirq context, memory exhausted) the
 * block is marked in its state byte instead, so the call never fails for
 * want of memory. Until it returns to the pool the block counts as in use
 * and in blocks_rcu_pending; kpool_destroy() waits for it.
 *
 * Context: Any context but NMI; never sleeps.
 * Return: 0; -EINVAL for foreign memory or a misaligned pointer; -EALREADY
 * for a block that is not allocated.
 */
int kpool_free_rcu(struct kpool *pool, void *block)
{
	unsigned long addr = (unsigned long)kasan_reset_tag(block);
	const struct kpool_range *r;
	struct kpool_rcu_batch *batch;
	struct kpool_chunk *chunk;
	struct kpool_rcu_cpu *rc;
	u8 alloc = KPOOL_B_ALLOC;
	unsigned long flags, idx;

	if (unlikely(!block))
		return 0;
	local_irq_save(flags);
	rc = this_cpu_ptr(pool->deferred.cpu);
	raw_spin_lock(&rc->lock);
	batch = rc->open;
	/* room after this block: the slow path fills and closes a batch */
	if (likely(batch && batch->nr < KPOOL_RCU_BATCH - 1)) {
		/*
		 * As kpool_find(), but by exact division: kpool_find() here
		 * costs each call about 12 instructions more (W10).
		 */
		r = rc->hint;
		idx = kpool_range_index(&pool->hot, r, addr);
		if (unlikely(idx >= r->nr)) {
			/* not the hint's: its chunk from its page, O(1) */
			chunk = kpool_ptr_chunk(addr);
			if (!chunk || READ_ONCE(chunk->pool) != pool)
				goto slow;
			r = &chunk->range;
			idx = kpool_range_index(&pool->hot, r, addr);
		}
		/* a block of @r, ALLOC: claimed */
		if (unlikely(idx >= r->nr ||
			     !try_cmpxchg(&r->state[idx], &alloc,
					  KPOOL_B_FREEING)))
			goto slow;
		rc->hint = r;
		batch->blocks[batch->nr++] = block;
		/* before a grace period can end: the callback decrements it */
		this_cpu_inc(pool->deferred.cpu->pending);
		raw_spin_unlock(&rc->lock);
		local_irq_restore(flags);
		kpool_count(pool, KPOOL_EV_rcu_frees);
		return 0;
	}
slow:
	raw_spin_unlock(&rc->lock);
	local_irq_restore(flags);
	return kpool_free_rcu_slow(pool, block);
}
EXPORT_SYMBOL_NS_GPL(kpool_free_rcu, KPOOL_NS);

/*
 * Wait until every block given to kpool_free_rcu() so far is back in the
 * pool. Nothing may free to the pool concurrently.
 */
void kpool_rcu_barrier(struct kpool *pool)
{
	if (!READ_ONCE(pool->deferred.used))
		return;
	/* its call_rcu() is done when it returns: before rcu_barrier() */
	cancel_delayed_work_sync(&pool->deferred.close);
	kpool_rcu_close_all(pool);
	rcu_barrier();
	flush_work(&pool->deferred.scan);
}

int kpool_rcu_init(struct kpool *pool, gfp_t gfp)
{
	struct kpool_deferred *d = &pool->deferred;
	int cpu;

	d->cpu = alloc_percpu_gfp(struct kpool_rcu_cpu, gfp);
	if (!d->cpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		raw_spin_lock_init(&per_cpu_ptr(d->cpu, cpu)->lock);
	raw_spin_lock_init(&d->lock);
	INIT_DELAYED_WORK(&d->close, kpool_rcu_close_work);
	INIT_WORK(&d->scan, kpool_rcu_scan_work);
	return 0;
}

/* The pool is gone or never was: free the spare batches. */
void kpool_rcu_free(struct kpool *pool)
{
	int cpu;

	for_each_possible_cpu(cpu)
		kpool_rcu_batch_free(pool,
				     per_cpu_ptr(pool->deferred.cpu, cpu)->spare);
	free_percpu(pool->deferred.cpu);
}
