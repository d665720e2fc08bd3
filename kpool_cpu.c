// SPDX-License-Identifier: GPL-2.0
/*
 * The hit paths: kpool_alloc(), kpool_free() and kpool_free_owned() on
 * this CPU's magazine, and the magazine drains.
 *
 * Per-CPU magazines
 * -----------------
 * struct kpool_cpu holds a LIFO magazine of block pointers, the hint (the
 * chunk of the last block this CPU put in its magazine, whose range check
 * validates a free without reading any struct page) and the event counters.
 * The hit paths are leaves: what a hit may still have to do (zeroing,
 * tracing, might_alloc(), which for a sleeping mask calls into the
 * scheduler) is tail-called after the magazine is released, so they keep
 * nothing across a call and build no stack frame. Bulk frees own the
 * magazine once for a run of blocks and, once it is full, put the rest
 * into the depot under one lock hold per KPOOL_MAG_SIZE blocks.
 * Magazine ownership:
 *  - !PREEMPT_RT: the task is pinned with preempt_disable() and owns the
 *    magazine with a per-CPU guard, this_cpu_inc_return() == 1 (one
 *    instruction, atomic against interrupts on this CPU, no lock prefix).
 *    A context that finds the guard raised interrupted the owner on this
 *    CPU: it lowers the guard again and takes the slow path, which never
 *    waits for the guard. Process-context drains cannot find it raised:
 *    the owner runs with preemption disabled.
 *  - PREEMPT_RT: a local_lock_t (a per-CPU sleeping lock with priority
 *    inheritance) in preemptible contexts; contexts that cannot sleep
 *    (hardirq, raw spinlock held) skip the magazine and use the depot, so
 *    no one ever polls a preempted owner.
 * Only the owning CPU changes a magazine: drains run on the target CPU as
 * work items (kpool_drain_all(), under cpus_read_lock()), a dead CPU's
 * magazine is drained by the hotplug callback once nothing runs there.
 * userspace/kpool_model.c checks the guard protocol with an interrupt
 * arriving between any two steps.
 *
 * Stealing: an allocation that finds the depot, growth and the reserve
 * exhausted takes a CACHED block from any chunk (compare-and-exchange to
 * ALLOC), i.e. a block sitting in another CPU's magazine; the pointer left
 * in that magazine is stale and is skipped when popped or flushed. Stale
 * pointers are why a chunk is unlinked from the depot first, then every
 * magazine is drained, and only then is the chunk given back (after an RCU
 * grace period, for the hint readers).
 */

#include "kpool_internal.h"

struct kpool_chunk kpool_no_chunk;

/*
 * kpool_mag_own() for the slow paths: this CPU's part, owned until
 * kpool_mag_release(), or NULL.
 */
struct kpool_cpu *kpool_mag_get(struct kpool *pool)
{
	return kpool_mag_own(pool->cpu) ? this_cpu_ptr(pool->cpu) : NULL;
}

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
	struct kpool_chunk *chunk;
	unsigned int i, idx;

	lockdep_assert_held(&pool->lock);
	for (i = 0; i < n; i++) {
		chunk = kpool_block_chunk(pc->mag[i]);
		idx = kpool_block_index(pool, chunk, pc->mag[i]);
		if (cmpxchg(&chunk->state[idx], KPOOL_B_CACHED,
			    KPOOL_B_FREE) == KPOOL_B_CACHED)
			kpool_depot_put(pool, chunk, 1, idx);
	}
	pc->nr -= n;
	memmove(pc->mag, pc->mag + n, pc->nr * sizeof(pc->mag[0]));
}

/* Empty a magazine into the depot; wake allocations waiting for a free. */
static void kpool_mag_drain(struct kpool *pool, struct kpool_cpu *pc)
{
	unsigned long flags;
	bool hungry;

	raw_spin_lock_irqsave(&pool->lock, flags);
	kpool_mag_flush(pool, pc, pc->nr);
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
 * Hand out a block popped from a magazine: CACHED -> ALLOC. False if it
 * was stolen meanwhile (its pointer was stale): skip it. *@hint is the
 * chunk tried before the block's page, and becomes the block's chunk.
 */
static __always_inline bool kpool_cached_alloc(struct kpool *pool,
					       struct kpool_chunk **hint,
					       void *block)
{
	struct kpool_chunk *chunk = *hint;
	u8 old = KPOOL_B_CACHED;

	if (unlikely((unsigned long)block - (unsigned long)chunk->base >=
		     pool->chunk_bytes)) {
		chunk = kpool_block_chunk(block);
		*hint = chunk;
	}
	return try_cmpxchg(&chunk->state[kpool_block_index(pool, chunk, block)],
			   &old, KPOOL_B_ALLOC);
}

/*
 * Pop a block from this CPU's magazine, which this context owns, into
 * *@blockp. False if the magazine held none.
 */
static __always_inline bool kpool_mag_pop(struct kpool *pool,
					  struct kpool_cpu __percpu *cpu,
					  void **blockp)
{
	unsigned int nr = this_cpu_read(cpu->nr);
	struct kpool_chunk *hint;
	void *block;

	while (likely(nr)) {
		block = this_cpu_read(cpu->mag[--nr]);
		hint = this_cpu_read(cpu->hint);
		if (likely(kpool_cached_alloc(pool, &hint, block))) {
			this_cpu_write(cpu->nr, nr);
			*blockp = block;
			return true;
		}
	}
	this_cpu_write(cpu->nr, 0);
	return false;
}

/* Pop up to @n blocks into @out, as kpool_mag_pop(). Return how many. */
unsigned int kpool_mag_pop_bulk(struct kpool *pool,
				struct kpool_cpu __percpu *cpu, void **out,
				unsigned int n)
{
	struct kpool_chunk *hint = this_cpu_read(cpu->hint);
	unsigned int nr = this_cpu_read(cpu->nr), got = 0;
	void *block;

	while (nr && got < n) {
		block = this_cpu_read(cpu->mag[--nr]);
		if (likely(kpool_cached_alloc(pool, &hint, block)))
			out[got++] = block;
	}
	this_cpu_write(cpu->nr, nr);
	return got;
}

/*
 * The ends of a kpool_alloc() that the magazine served, when it has more
 * to do than return the block: might_alloc() (which does something only for
 * sleeping masks and lockdep's reclaim annotations), and zeroing or tracing
 * too. Out of line and after the pop, so that the hit path keeps nothing
 * across a call and needs no stack frame.
 */
static noinline void *kpool_hit_may_sleep(void *block, gfp_t gfp)
{
	might_alloc(gfp);
	return block;
}

static noinline void *kpool_hit_slow(struct kpool *pool, void *block,
				     gfp_t gfp)
{
	if (kpool_zeroes(pool, gfp))
		memset(block, 0, pool->size);
	trace_kpool_alloc(pool->id, pool->name, true);
	return kpool_hit_may_sleep(block, gfp);
}

/**
 * kpool_alloc() - allocate a block
 * @pool: the pool.
 * @gfp: the allocation context: GFP_KERNEL and the like may sleep, reclaim
 *	 when the pool grows and wait for a free; GFP_ATOMIC and GFP_NOWAIT
 *	 never sleep. __GFP_ZERO zeroes the block.
 *
 * Tries the CPU's magazine, then (see kpool.h for the order and how it
 * compares with mempool_alloc()) the depot, light growth, the reserve, the
 * other CPUs' magazines and, if @gfp allows sleeping, growth with reclaim
 * and a wait for a free.
 *
 * Context: Any context but NMI with an atomic @gfp; process context with a
 * sleeping @gfp.
 * Return: the block, or NULL if none could be had (atomic @gfp) or a fatal
 * signal ended the wait.
 */
void *kpool_alloc(struct kpool *pool, gfp_t gfp)
{
	struct kpool_cpu __percpu *cpu = pool->cpu;
	void *block;

	kpool_cpu_pin();
	if (unlikely(!kpool_mag_own(cpu)))
		goto miss;
	if (unlikely(!kpool_mag_pop(pool, cpu, &block))) {
		kpool_mag_release(cpu);
		goto miss;
	}
	kpool_mag_release(cpu);
	kpool_cpu_unpin();

	kpool_cpu_count(cpu, KPOOL_EV_cache_hits);
	kpool_kasan_unpoison(block, pool->size, pool->stride);
	if (unlikely(kpool_zeroes(pool, gfp) || trace_kpool_alloc_enabled()))
		return kpool_hit_slow(pool, block, gfp);
	if (IS_ENABLED(CONFIG_LOCKDEP) || gfpflags_allow_blocking(gfp))
		return kpool_hit_may_sleep(block, gfp);
	return block;

miss:
	kpool_cpu_unpin();
	return kpool_get(pool, gfp, true, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(kpool_alloc, KPOOL_NS);

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
 * The fast free: put a block of @chunk into this CPU's magazine, @chunk
 * becoming this CPU's hint. The task is pinned. Return false, having
 * changed nothing, if that cannot be done here: not a block of @chunk,
 * not ALLOC, the pool tight, the magazine busy or full.
 */
static __always_inline bool kpool_free_fast(struct kpool *pool,
					    struct kpool_cpu __percpu *cpu,
					    struct kpool_chunk *chunk,
					    unsigned long addr, void *block)
{
	long idx = kpool_index(pool, chunk, addr);
	unsigned int nr;

	if (unlikely(idx < 0))
		return false;
	if (unlikely(READ_ONCE(chunk->state[idx]) != KPOOL_B_ALLOC))
		return false;
	if (unlikely(!kpool_mag_own(cpu)))
		return false;
	nr = this_cpu_read(cpu->nr);
	if (unlikely(nr >= READ_ONCE(pool->mag_limit))) {
		kpool_mag_release(cpu);
		return false;
	}
	kpool_mag_push(pool, cpu, chunk, block, idx, nr);
	kpool_mag_release(cpu);
	return true;
}

/* Everything the fast free does not do: claim the block, then finish. */
noinline int kpool_free_slow(struct kpool *pool, void *block,
			     unsigned long addr)
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

static noinline void kpool_trace_free(struct kpool *pool)
{
	trace_kpool_free(pool->id, pool->name, true);
}

/* What every fast free does last: count and trace it. */
static __always_inline int kpool_free_done(struct kpool *pool,
					   struct kpool_cpu __percpu *cpu)
{
	kpool_cpu_count(cpu, KPOOL_EV_frees);
	if (trace_kpool_free_enabled())
		kpool_trace_free(pool);
	return 0;
}

/*
 * A free outside this CPU's hint chunk: find the block's chunk from its
 * page and try the fast free there, else the slow path.
 */
static noinline int kpool_free_lookup(struct kpool *pool, void *block,
				      unsigned long addr)
{
	struct kpool_chunk *chunk;
	bool cached = false;

	kpool_cpu_pin();
	chunk = kpool_ptr_chunk(addr);
	if (chunk && READ_ONCE(chunk->pool) == pool)
		cached = kpool_free_fast(pool, pool->cpu, chunk, addr, block);
	kpool_cpu_unpin();
	if (!cached)
		return kpool_free_slow(pool, block, addr);
	return kpool_free_done(pool, pool->cpu);
}

/**
 * kpool_free() - free a block
 * @pool: the pool the block came from.
 * @block: the block, or NULL (then nothing happens).
 *
 * The block is validated first: memory that is not a block of @pool, a
 * pointer that is not the start of a block and a block that is not
 * allocated are refused, counted (err_foreign, err_misaligned,
 * err_double_free), reported rate-limited and leave the pool untouched.
 * In a debug pool a damaged red zone is counted (err_redzone), reported
 * and restored, and the block is freed anyway.
 *
 * Context: Any context but NMI.
 * Return: 0; -EINVAL for foreign memory or a misaligned pointer; -EALREADY
 * for a block that is not allocated.
 */
int kpool_free(struct kpool *pool, void *block)
{
	unsigned long addr = (unsigned long)kasan_reset_tag(block);
	struct kpool_cpu __percpu *cpu = pool->cpu;
	bool cached;

	kpool_cpu_pin();
	cached = kpool_free_fast(pool, cpu, this_cpu_read(cpu->hint), addr,
				 block);
	kpool_cpu_unpin();
	if (unlikely(!cached))
		return kpool_free_lookup(pool, block, addr);
	return kpool_free_done(pool, cpu);
}
EXPORT_SYMBOL_NS_GPL(kpool_free, KPOOL_NS);

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
	cached = kpool_free_fast(pool, pool->cpu, chunk, addr, block);
	kpool_cpu_unpin();
	/* the caller owns the pool: it outlives the pinned section */
	if (unlikely(!cached))
		return kpool_free_slow(pool, block, addr);
	return kpool_free_done(pool, pool->cpu);
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
