// SPDX-License-Identifier: GPL-2.0
/*
 * The hit paths' slow halves and the magazines: kpool_alloc() and
 * kpool_free() are inline in kpool.h; here are what they call when they
 * miss, kpool_free_owned(), and the magazine drains.
 *
 * Per-CPU magazines
 * -----------------
 * struct kpool_mag (kpool.h) holds a LIFO magazine of slots, each a free
 * block and the address of its state byte (so that a pop finds the state
 * without finding the chunk), the hint (the chunk of a block this CPU
 * freed: a free of a block in its range needs no struct page lookup) and
 * the hit counters. A hit is a leaf: what it may still have to do
 * (zeroing, KASAN, tracing, might_alloc() where it checks something) is
 * called after the magazine is given back, so the inline code keeps
 * nothing across a call and builds no frame in its caller (make check's
 * build stage checks kpool_mempool_alloc() and kpool_mempool_free(), its
 * instances in kpool.ko).
 *
 * Magazine ownership:
 *  - !PREEMPT_RT: with preemption disabled, one this_cpu_add_return() of
 *    KPOOL_MAG_BUSY to the magazine's count (nr in its low half, owners
 *    in its high half: an xadd, atomic against interrupts on this CPU, no
 *    lock prefix) takes the magazine and reads nr at once: the context
 *    that raised the owners from 0 owns it. A context that finds an owner
 *    interrupted it: it takes its KPOOL_MAG_BUSY back and takes the slow
 *    path, which never waits for the magazine. An interrupt has given its
 *    KPOOL_MAG_BUSY back before the owner runs again, so a hit gives the
 *    magazine back and stores its new nr with one store of the count; the
 *    slow paths (kpool_mag_own()) take their KPOOL_MAG_BUSY back instead.
 *    Only this_cpu operations touch the magazine on the hit paths, so the
 *    compiler keeps them in program order; the slow paths' plain accesses
 *    sit between barrier()s. Process-context drains cannot find an owner:
 *    an owner runs with preemption disabled. local_trylock() would cost
 *    a pair 20 more instructions (89 against 69 in kpool.ko's instances
 *    on 7.2): it computes the per-CPU pointer at the lock and again at
 *    the unlock, tests its result twice, and the count still needs its
 *    own store.
 *  - PREEMPT_RT: the inline hit paths call the slow halves at once, which
 *    take the magazine with local_lock() (a per-CPU sleeping lock with
 *    priority inheritance) in preemptible contexts; contexts that cannot
 *    sleep (hardirq, raw spinlock held) skip the magazine and use the
 *    depot, so no one ever polls a preempted owner.
 * Only the owning CPU changes a magazine: drains run on the target CPU as
 * work items (kpool_drain_all(), under cpus_read_lock()), a dead CPU's
 * magazine is drained by the hotplug callback once nothing runs there.
 * userspace/kpool_model.c checks the protocol with an interrupt arriving
 * between any two steps.
 *
 * Validation: a free in the hint chunk divides the block's offset by the
 * stride exactly (kpool_range_index(): a multiply and a rotate), which
 * refuses an address in the chunk that is no block start, and reads the
 * block's state byte, which must be ALLOC; anything else is checked again
 * by the slow half, which finds the chunk from the block's page.
 *
 * Stealing: an allocation that finds the depot, growth and the reserve
 * exhausted takes a CACHED block from any chunk (compare-and-exchange to
 * ALLOC), i.e. a block sitting in another CPU's magazine; the slot left
 * in that magazine is stale and is skipped when popped or flushed. Stale
 * slots are why a chunk is unlinked from the depot first, then every
 * magazine is drained, and only then is the chunk given back (after an RCU
 * grace period, for the hint readers).
 */

#include "kpool_internal.h"

struct kpool_chunk kpool_no_chunk;

/*
 * On while a probe is attached to the kpool_alloc or kpool_free
 * tracepoint (kpool_trace_reg()): the inline hit paths test this one
 * static key and call out only then.
 */
DEFINE_STATIC_KEY_FALSE(kpool_traced);
EXPORT_SYMBOL_NS_GPL(kpool_traced, KPOOL_NS);

/*
 * The struct page of @ptr if @ptr is in the direct map (the only place a
 * chunk can be: its pages come from alloc_pages() without __GFP_HIGHMEM)
 * and its page frame has a struct page, else NULL. Safe for any pointer:
 * the range test comes first and pfn_valid() reads only the memory section
 * table, so no hole of a sparse memory map is touched. Unlike
 * virt_addr_valid() it refuses kernel image addresses, never a chunk's.
 */
static struct page *kpool_direct_page(unsigned long addr)
{
	unsigned long pfn;

	if (addr < PAGE_OFFSET || addr >= (unsigned long)high_memory)
		return NULL;
	pfn = PHYS_PFN(__pa(addr));
	if (!pfn_valid(pfn))
		return NULL;
	return pfn_to_page(pfn);
}

/*
 * The live chunk whose pages hold @addr (a tag-free address), or NULL: the
 * tag of @addr's struct page names a slot of the chunk table, and the
 * chunk there is @addr's only if its pages hold @addr. Whatever the page's
 * private field holds, nothing but the struct page, the table and a chunk
 * is read (the id is clamped even under speculation). Must be called in an
 * RCU read-side section (a pinned section is one), which keeps the table,
 * the chunk and its pool alive.
 */
struct kpool_chunk *kpool_ptr_chunk(unsigned long addr)
{
	struct page *page = kpool_direct_page(addr);
	struct kpool_chunk_table *table;
	struct kpool_chunk *chunk;
	unsigned long id;

	if (!page)
		return NULL;
	id = READ_ONCE(page->private) ^ kpool_page_key;
	table = kpool_table();
	if (id >= table->size)
		return NULL;
	chunk = kpool_table_slot(table, array_index_nospec(id, table->size));
	if (!chunk ||
	    addr - (unsigned long)chunk->base >= PAGE_SIZE << chunk->order)
		return NULL;
	return chunk;
}

/*
 * Move the @n oldest pointers of a magazine this context owns to the
 * depot; stale ones (the block was stolen) are dropped.
 */
void kpool_mag_flush(struct kpool *pool, struct kpool_cpu *pc, unsigned int n)
{
	struct kpool_slot *slot = pc->mag.slot;
	struct kpool_chunk *chunk;
	unsigned int i;

	lockdep_assert_held(&pool->lock);
	for (i = 0; i < n; i++) {
		if (cmpxchg(slot[i].state, KPOOL_B_CACHED,
			    KPOOL_B_FREE) != KPOOL_B_CACHED)
			continue;
		chunk = kpool_block_chunk(slot[i].block);
		kpool_depot_put(pool, chunk, 1, slot[i].state - chunk->state);
	}
	pc->mag.nr -= n;
	memmove(slot, slot + n, pc->mag.nr * sizeof(*slot));
}

/* Empty a magazine into the depot; wake allocations waiting for a free. */
static void kpool_mag_drain(struct kpool *pool, struct kpool_cpu *pc)
{
	unsigned long flags;
	bool hungry;

	raw_spin_lock_irqsave(&pool->lock, flags);
	kpool_mag_flush(pool, pc, pc->mag.nr);
	hungry = pool->nr_hungry;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (hungry)
		swake_up_all(&pool->wait);
}

void kpool_drain_work(struct work_struct *work)
{
	struct kpool_cpu *pc = container_of(work, struct kpool_cpu,
					    drain_work);
	struct kpool *pool = pc->pool;

	kpool_cpu_pin();
	/* process context: no owner can be interrupted on this CPU */
	if (!WARN_ON_ONCE(kpool_mag_get(pool) != pc)) {
		kpool_mag_drain(pool, pc);
		kpool_mag_release(pool->cpu);
	}
	kpool_cpu_unpin();
}

/*
 * Drain the magazine of every CPU, each on its CPU, and wait. Magazines of
 * dead CPUs were drained by kpool_cpu_dead(). With @try, give up (false)
 * rather than wait for CPU hotplug (reclaim must not).
 */
bool kpool_drain_all(struct kpool *pool, bool try)
{
	int cpu;

	if (!pool->mag_size)
		return true;
	if (!try)
		cpus_read_lock();
	else if (!cpus_read_trylock())
		return false;
	for_each_online_cpu(cpu)
		queue_work_on(cpu, kpool_wq,
			      &per_cpu_ptr(pool->cpu, cpu)->drain_work);
	for_each_online_cpu(cpu)
		flush_work(&per_cpu_ptr(pool->cpu, cpu)->drain_work);
	cpus_read_unlock();
	kpool_count(pool, KPOOL_EV_drains);
	return true;
}

void kpool_drain_all_work(struct work_struct *work)
{
	kpool_drain_all(container_of(work, struct kpool, drain_work), false);
}

/*
 * May a drain that no waiting allocation needs run now: at most one per
 * KPOOL_DRAIN_INTERVAL per pool, so failing allocations cannot make every
 * CPU drain in a storm.
 */
bool kpool_drain_due(struct kpool *pool)
{
	unsigned long next = READ_ONCE(pool->drain_next);

	return pool->mag_size && !time_before(jiffies, next) &&
	       cmpxchg(&pool->drain_next, next,
		       jiffies + KPOOL_DRAIN_INTERVAL) == next;
}

/* An allocation failed: drain every magazine soon, without waiting. */
void kpool_drain_kick(struct kpool *pool)
{
	if (kpool_drain_due(pool))
		queue_work(system_dfl_wq, &pool->drain_work);
}

/* A block the slow path found, for kpool_alloc() or kpool_alloc_bulk(). */
void *kpool_hand_out_slow(struct kpool *pool, void *block, gfp_t gfp,
			  unsigned long ip)
{
	kpool_kasan_unpoison(block, pool->size, pool->stride);
	kpool_debug_alloc(pool, block, gfp, ip);
	if (kpool_zeroes(pool, gfp))
		memset(block, 0, pool->size);
	trace_kpool_alloc(pool->id, pool->name, false);
	return block;
}

/*
 * Put @n CACHED blocks from the depot into @pc's magazine, which this
 * context owns and which has room for them.
 */
void kpool_mag_fill(struct kpool *pool, struct kpool_cpu *pc, void **blocks,
		    unsigned int n)
{
	struct kpool_slot *slot = pc->mag.slot + pc->mag.nr;
	struct kpool_chunk *chunk;
	unsigned int i;

	for (i = 0; i < n; i++, slot++) {
		chunk = kpool_block_chunk(blocks[i]);
		slot->block = blocks[i];
		slot->state = chunk->state +
			      kpool_block_index(pool, chunk, blocks[i]);
	}
	pc->mag.nr += n;
}

/* kpool_alloc's and kpool_free's reg and unreg functions: kpool_traced */
int kpool_trace_reg(void)
{
	static_branch_inc(&kpool_traced);
	return 0;
}

void kpool_trace_unreg(void)
{
	static_branch_dec(&kpool_traced);
}

/**
 * kpool_alloc_finish() - the end of a kpool_alloc() hit with more to do
 * @pool: the pool.
 * @block: the block the magazine gave.
 * @gfp: the caller's mask, which struct kpool_hot.finish selected.
 *
 * Makes the block accessible to KASAN, zeroes it (__GFP_ZERO, KPOOL_F_ZERO,
 * init_on_alloc), traces it and runs might_alloc(): out of line and after
 * the magazine is released, so that the inline hit keeps nothing across a
 * call.
 *
 * Context: As kpool_alloc().
 * Return: @block.
 */
void *kpool_alloc_finish(struct kpool *pool, void *block, gfp_t gfp)
{
	might_alloc(gfp);
	return kpool_hand_out(pool, block, gfp, true);
}
EXPORT_SYMBOL_NS_GPL(kpool_alloc_finish, KPOOL_NS);

/**
 * kpool_alloc_miss() - kpool_alloc() past this CPU's magazine
 * @pool: the pool.
 * @gfp: as kpool_alloc().
 *
 * The inline kpool_alloc() calls it when the magazine is empty or held by
 * a context it interrupted, and on PREEMPT_RT, whose magazines are taken
 * here with local_lock() by preemptible callers only.
 *
 * Context: As kpool_alloc().
 * Return: as kpool_alloc().
 */
void *kpool_alloc_miss(struct kpool *pool, gfp_t gfp)
{
	struct kpool_cpu __percpu *cpu = pool->cpu;
	void *block;

	if (IS_ENABLED(CONFIG_PREEMPT_RT) && kpool_mag_own(cpu)) {
		unsigned int got = kpool_mag_pop(this_cpu_ptr(cpu), &block, 1);

		kpool_mag_release(cpu);
		if (got) {
			this_cpu_inc(pool->hot.mag->hits);
			return kpool_alloc_finish(pool, block, gfp);
		}
	}
	/* fails at once, with no stack frame: W9's overrun */
	if (unlikely(kpool_used_up(pool, gfp))) {
		kpool_count(pool, KPOOL_EV_cache_misses);
		kpool_count(pool, KPOOL_EV_alloc_failures);
		return NULL;
	}
	return kpool_get(pool, gfp, true, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(kpool_alloc_miss, KPOOL_NS);

noinline void kpool_bad_free(struct kpool *pool, const void *block, int err)
{
	enum kpool_event item;
	const char *what;

	if (err == -EALREADY) {
		item = KPOOL_EV_err_double_free;
		what = "double free";
	} else if (err == -EFAULT) {
		item = KPOOL_EV_err_misaligned;
		what = "free of a pointer inside a block or past the blocks";
	} else {
		item = KPOOL_EV_err_foreign;
		what = "free of memory that is not the pool's";
	}
	kpool_count(pool, item);
	trace_kpool_error(pool->id, pool->name, item);
	pr_warn_ratelimited("pool %s: %s (%p) refused\n", pool->name, what,
			    block);
}

/*
 * The fast free out of line: put a block of @chunk into this CPU's
 * magazine. The task is pinned. Return false, having changed nothing, if
 * that cannot be done here: not a block of @chunk, not ALLOC, the pool
 * tight, the magazine busy or full.
 */
static __always_inline bool kpool_free_fast(struct kpool *pool,
					    struct kpool_chunk *chunk,
					    unsigned long addr, void *block)
{
	long idx = kpool_index(pool, chunk, addr);
	struct kpool_cpu *pc;

	if (idx < 0 || READ_ONCE(chunk->state[idx]) != KPOOL_B_ALLOC)
		return false;
	pc = kpool_mag_get(pool);
	if (!pc)
		return false;
	if (pc->mag.nr >= READ_ONCE(pool->hot.mag_limit)) {
		kpool_mag_release(pool->cpu);
		return false;
	}
	kpool_mag_push(pool, pc, chunk, block, idx);
	this_cpu_inc(pool->hot.mag->frees);
	kpool_mag_release(pool->cpu);
	if (trace_kpool_free_enabled())
		kpool_free_traced(pool);
	return true;
}

/* Everything the fast free does not do: claim the block, then finish. */
int kpool_free_slow(struct kpool *pool, void *block, unsigned long addr)
{
	struct kpool_chunk *chunk;
	long idx;

	if (unlikely(!block))
		return 0;
	idx = kpool_free_claim(pool, block, addr, &chunk);
	if (unlikely(idx < 0))
		return idx;
	kpool_free_finish(pool, chunk, idx, block);
	return 0;
}

/**
 * kpool_free_poison() - KASAN's part of a kpool_free() hit
 * @pool: the pool.
 * @block: the block being pushed into this CPU's magazine.
 *
 * Makes the block inaccessible to KASAN (unless RCU readers of a type-safe
 * pool may still read it) before any other user can get it. Called by the
 * inline kpool_free() on kernels with generic KASAN only.
 *
 * Context: As kpool_free(), with this CPU's magazine taken.
 */
void kpool_free_poison(struct kpool *pool, void *block)
{
	kpool_poison_free(pool, block);
}
EXPORT_SYMBOL_NS_GPL(kpool_free_poison, KPOOL_NS);

/**
 * kpool_free_traced() - the kpool_free tracepoint of a kpool_free() hit
 * @pool: the pool.
 *
 * Out of line, so that the inline kpool_free() tests one static key.
 *
 * Context: As kpool_free().
 */
void kpool_free_traced(struct kpool *pool)
{
	trace_kpool_free(pool->id, pool->name, true);
}
EXPORT_SYMBOL_NS_GPL(kpool_free_traced, KPOOL_NS);

/**
 * kpool_free_miss() - kpool_free() past the hint
 * @pool: the pool.
 * @block: as kpool_free().
 *
 * The inline kpool_free() calls it for a block outside this CPU's hint
 * chunk, a block it could not validate there, a full or busy magazine, a
 * tight pool, and on PREEMPT_RT. The block's chunk is found from its page
 * and the fast free tried there, else the slow path validates, claims and
 * frees it.
 *
 * Context: As kpool_free().
 * Return: as kpool_free().
 */
int kpool_free_miss(struct kpool *pool, void *block)
{
	unsigned long addr = (unsigned long)kasan_reset_tag(block);
	struct kpool_chunk *chunk;
	bool cached = false;

	kpool_cpu_pin();
	chunk = kpool_ptr_chunk(addr);
	if (chunk && READ_ONCE(chunk->pool) == pool)
		cached = kpool_free_fast(pool, chunk, addr, block);
	kpool_cpu_unpin();
	return cached ? 0 : kpool_free_slow(pool, block, addr);
}
EXPORT_SYMBOL_NS_GPL(kpool_free_miss, KPOOL_NS);

/**
 * kpool_free_owned() - free a block of whichever pool holds it
 * @block: the block, or NULL (then nothing happens).
 * @owner_lo: the lowest owner cookie accepted...
 * @owner_hi: ...and the first one past them.
 * @owner: receives the owner cookie of the block's pool when it is freed.
 *
 * For a caller that owns several pools whose owner cookies lie in
 * [@owner_lo, @owner_hi) (pool sets: their classes): the block's pool is
 * found from @block in O(1) and the block is freed there as by
 * kpool_free(), the pool's page lookup done once. A block of a pool whose
 * cookie is outside the range is refused untouched (not counted: it is no
 * error of any of the caller's pools).
 *
 * Context: Any context but NMI.
 * Return: as kpool_free(); -EINVAL also for a block of another pool.
 */
int kpool_free_owned(void *block, const void *owner_lo,
		     const void *owner_hi, const void **owner)
{
	unsigned long addr = (unsigned long)kasan_reset_tag(block);
	struct kpool_chunk *chunk;
	struct kpool *pool;
	bool cached;

	if (unlikely(!block))
		return 0;
	kpool_cpu_pin();
	chunk = kpool_ptr_chunk(addr);
	pool = chunk ? READ_ONCE(chunk->pool) : NULL;
	if (unlikely(!pool || pool->owner < owner_lo ||
		     pool->owner >= owner_hi)) {
		kpool_cpu_unpin();
		return -EINVAL;
	}
	*owner = pool->owner;
	cached = kpool_free_fast(pool, chunk, addr, block);
	kpool_cpu_unpin();
	/* the caller owns the pool: it outlives the pinned section */
	return cached ? 0 : kpool_free_slow(pool, block, addr);
}
EXPORT_SYMBOL_NS_GPL(kpool_free_owned, KPOOL_NS);

/*
 * A CPU is dead: nothing runs there, drain its magazines from here. The
 * registry is walked under RCU, not its mutex: a holder of the mutex may
 * wait for CPU hotplug (kpool_shrink() from kpool_for_each()). A pool
 * leaving the registry is freed after a grace period (kpool_free_memory()).
 */
int kpool_cpu_dead(unsigned int cpu)
{
	struct kpool *pool;

	rcu_read_lock();
	list_for_each_entry_rcu(pool, &kpool_list, list)
		if (pool->mag_size)
			kpool_mag_drain(pool, per_cpu_ptr(pool->cpu, cpu));
	rcu_read_unlock();
	return 0;
}
