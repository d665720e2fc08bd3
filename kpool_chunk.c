// SPDX-License-Identifier: GPL-2.0
/*
 * Chunks: growth, the chunk table, release to the page allocator, the
 * shrinker and growth fault injection.
 */

#include "kpool_internal.h"

unsigned long kpool_page_key __read_mostly;
struct kpool_chunk_table __rcu *kpool_chunks;
DEFINE_SPINLOCK(kpool_table_lock);
DEFINE_IDA(kpool_chunk_ids);
atomic_long_t kpool_pages_held = ATOMIC_LONG_INIT(0);

/*
 * May the page allocator (and what else takes a spinlock_t: the slab,
 * kmemleak, the stack depot, the RNG) be called here? Not where PREEMPT_RT
 * would have to sleep for it: in hardirq context on every kernel (lockdep's
 * raw-lock nesting checks hold all kernels to that), and on PREEMPT_RT
 * wherever the caller is not preemptible.
 */
bool kpool_may_alloc_pages(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return preemptible();
	return !in_hardirq();
}

/* Chunks */

static void kpool_chunk_carve(struct kpool *pool, struct kpool_chunk *chunk)
{
	bool poison = kpool_poisons(pool);
	unsigned int idx;

	for (idx = 0; idx < chunk->nr_blocks; idx++) {
		void *block = kpool_block_addr(pool, chunk, idx);

		if (pool->ctor)
			pool->ctor(block, pool->ctor_arg);
		kpool_debug_init_block(pool, block, poison);
	}
	chunk->nr_free = chunk->nr_blocks;
	/* blocks and the tail are a red zone until handed out */
	kpool_kasan_poison(chunk->base, pool->chunk_bytes, KPOOL_KASAN_REDZONE,
			   pool->stride);
}

struct kpool_chunk_table *kpool_table_alloc(unsigned int size, gfp_t gfp)
{
	struct kpool_chunk_table *table;

	table = kvzalloc(struct_size(table, slot, size), gfp);
	if (table)
		table->size = size;
	return table;
}

/*
 * Replace the table by @grown, allocated at twice its size, with a copy of
 * its slots, unless another growth did already (@grown is then freed). The
 * old table is freed after its readers.
 */
static void kpool_table_double(struct kpool_chunk_table *grown)
{
	struct kpool_chunk_table *old;
	unsigned int size = grown->size / 2;
	unsigned long flags;

	spin_lock_irqsave(&kpool_table_lock, flags);
	old = rcu_dereference_protected(kpool_chunks,
					lockdep_is_held(&kpool_table_lock));
	if (old->size == size) {
		memcpy(grown->slot, old->slot, size * sizeof(old->slot[0]));
		/* the copy before the table: pairs with kpool_table() */
		rcu_assign_pointer(kpool_chunks, grown);
		grown = NULL;
	}
	spin_unlock_irqrestore(&kpool_table_lock, flags);
	if (grown)
		kvfree(grown);
	else
		kvfree_rcu(old, rcu);
}

/*
 * An id for a new chunk, whose slot the table has (doubled until it does),
 * still empty. Return the id or an errno.
 */
static int kpool_chunk_id_alloc(gfp_t gfp)
{
	struct kpool_chunk_table *grown;
	unsigned int size;
	int id;

	id = ida_alloc(&kpool_chunk_ids, gfp);
	if (id < 0)
		return id;
	for (;;) {
		rcu_read_lock();
		size = kpool_table()->size;
		rcu_read_unlock();
		if (id < size)
			return id;
		grown = kpool_table_alloc(2 * size, gfp);
		if (!grown)
			break;
		kpool_table_double(grown);
	}
	ida_free(&kpool_chunk_ids, id);
	return -ENOMEM;
}

/* Put @chunk (or NULL) into slot @id of the table. */
void kpool_table_set(unsigned int id, struct kpool_chunk *chunk)
{
	struct kpool_chunk_table *table;
	unsigned long flags;

	spin_lock_irqsave(&kpool_table_lock, flags);
	table = rcu_dereference_protected(kpool_chunks,
					  lockdep_is_held(&kpool_table_lock));
	/*
	 * The chunk is built before its slot names it: pairs with the
	 * rcu_dereference() of kpool_table_slot().
	 */
	rcu_assign_pointer(table->slot[id], chunk);
	spin_unlock_irqrestore(&kpool_table_lock, flags);
}

/* Write @tag into the private field of every page of @chunk. */
static void kpool_chunk_tag(struct kpool_chunk *chunk, unsigned long tag)
{
	unsigned int i;

	for (i = 0; i < 1U << chunk->order; i++)
		WRITE_ONCE(chunk->page[i].private, tag);
}

/*
 * Make the chunk findable: its slot, then its pages' tags. From here on a
 * pointer into it finds the chunk (kpool_ptr_chunk()).
 */
static void kpool_chunk_map(struct kpool_chunk *chunk)
{
	kpool_table_set(chunk->id, chunk);
	kpool_chunk_tag(chunk, chunk->id ^ kpool_page_key);
}

static void kpool_chunk_free_rcu(struct rcu_head *rcu)
{
	struct kpool_chunk *chunk = container_of(rcu, struct kpool_chunk, rcu);

	/* no reader of the old slot or tags is left: the id may be reused */
	ida_free(&kpool_chunk_ids, chunk->id);
	__free_pages(chunk->page, chunk->order);
	atomic_long_sub(1L << chunk->order, &kpool_pages_held);
	kvfree(chunk->owners);
	kvfree(chunk);
}

/*
 * The chunk has left the pool and no magazine points into it: clear its
 * slot and its pages' tags and give it back after an RCU grace period (the
 * pool is freed after the chunks: call_rcu() in kpool_free_memory()).
 */
void kpool_chunk_release(struct kpool *pool, struct kpool_chunk *chunk)
{
	kpool_debug_chunk_untrack(pool, chunk);
	kpool_table_set(chunk->id, NULL);
	kpool_chunk_tag(chunk, 0);
	call_rcu(&chunk->rcu, kpool_chunk_free_rcu);
}

/*
 * Allocate the chunk with id @id, of @nr blocks: its metadata and pages,
 * not yet carved. On failure the id is freed.
 */
static struct kpool_chunk *kpool_chunk_create(struct kpool *pool, int id,
					      unsigned int nr, gfp_t gfp)
{
	gfp_t meta_gfp = gfp & ~__GFP_ZERO;
	struct kpool_chunk *chunk;

	chunk = kvzalloc_node(pool->chunk_meta, meta_gfp, pool->node);
	if (!chunk)
		goto fail;
	if (kpool_debug_chunk_init(pool, chunk, meta_gfp))
		goto fail_meta;
	chunk->page = alloc_pages_node(pool->node, gfp, pool->order);
	if (!chunk->page)
		goto fail_meta;
	atomic_long_add(1L << pool->order, &kpool_pages_held);
	chunk->id = id;
	chunk->pool = pool;
	chunk->base = page_address(chunk->page);
	chunk->order = pool->order;
	chunk->nr_blocks = nr;
	chunk->span = kpool_block_addr(pool, chunk, nr - 1) - chunk->base + 1;
	chunk->range.base = (unsigned long)chunk->base;
	/* blocks at multiples of the stride, unless a boundary leaves gaps */
	chunk->range.nr = pool->per_unit * pool->stride == pool->unit_mask + 1 ||
			  !pool->boundary ? nr : 0;
	chunk->range.state = chunk->state;
	return chunk;

fail_meta:
	kvfree(chunk->owners);
	kvfree(chunk);
fail:
	ida_free(&kpool_chunk_ids, id);
	return NULL;
}

/* Shrinking */

/* The first chunk that can go without cutting into min_blocks, or NULL. */
static struct kpool_chunk *kpool_releasable(struct kpool *pool)
{
	struct kpool_chunk *chunk;

	lockdep_assert_held(&pool->lock);
	chunk = list_first_entry_or_null(&pool->empty, struct kpool_chunk,
					 list);
	if (!chunk ||
	    pool->blocks_total - chunk->nr_blocks < pool->min_blocks ||
	    pool->depot_free - chunk->nr_blocks < pool->nr_reserve)
		return NULL;
	return chunk;
}

/*
 * A chunk has left the pool's lists: no CPU may keep it as its hint. A
 * fast path that read the hint before it is replaced is an RCU reader
 * older than the grace period kpool_chunk_release() waits for. No CPU sets
 * it again: only a free into the magazine does, and none of the chunk's
 * blocks is allocated.
 */
static void kpool_forget_chunk(struct kpool *pool, struct kpool_chunk *chunk)
{
	int cpu;

	for_each_possible_cpu(cpu)
		cmpxchg(&per_cpu_ptr(pool->cpu, cpu)->mag.hint, &chunk->range,
			&kpool_no_chunk.range);
}

/*
 * Give back chunks whose blocks are all in the depot, up to @max_pages:
 * unlink them, drain every magazine (a stale pointer may still point into
 * them), then release them. With @try, never wait for CPU hotplug (the
 * shrinker). Return the pages given back.
 */
static unsigned long kpool_release_free_chunks(struct kpool *pool,
					       unsigned long max_pages,
					       bool try)
{
	unsigned long flags, pages = 0, chunks = 0;
	struct kpool_chunk *chunk, *next;
	LIST_HEAD(gone);

	mutex_lock(&pool->release_lock);
	raw_spin_lock_irqsave(&pool->lock, flags);
	while (pages < max_pages && (chunk = kpool_releasable(pool))) {
		list_move(&chunk->list, &gone);
		pool->nr_empty--;
		list_del_rcu(&chunk->node);
		pool->nr_chunks--;
		pool->blocks_total -= chunk->nr_blocks;
		pool->depot_free -= chunk->nr_blocks;
		pages += 1UL << pool->order;
		chunks++;
	}
	kpool_update_tight(pool);
	raw_spin_unlock_irqrestore(&pool->lock, flags);

	if (chunks && !kpool_drain_all(pool, try)) {
		/* no drain, no release: put them back */
		raw_spin_lock_irqsave(&pool->lock, flags);
		list_for_each_entry_safe(chunk, next, &gone, list) {
			list_move_tail(&chunk->list, &pool->empty);
			pool->nr_empty++;
			list_add_tail_rcu(&chunk->node, &pool->chunks);
			pool->nr_chunks++;
			pool->blocks_total += chunk->nr_blocks;
			pool->depot_free += chunk->nr_blocks;
		}
		kpool_update_tight(pool);
		raw_spin_unlock_irqrestore(&pool->lock, flags);
		chunks = 0;
		pages = 0;
	}
	list_for_each_entry_safe(chunk, next, &gone, list) {
		kpool_forget_chunk(pool, chunk);
		kpool_chunk_release(pool, chunk);
	}
	mutex_unlock(&pool->release_lock);

	if (chunks) {
		kpool_count_n(pool, KPOOL_EV_shrinks, chunks);
		trace_kpool_shrink(pool->id, pool->name, chunks, pages);
	}
	return pages;
}

/*
 * Growth fault injection
 * ----------------------
 * A growth attempt (kpool_grow(), the reserve filled at create included)
 * fails with -ENOMEM, counted in faults_injected and grow_failures, when
 * any of these says so, in this order:
 *  - the pool's struct kpool_fault, set by kpool_set_fault() (the FAULT
 *    ioctl);
 *  - every pool's struct kpool_fault, whose @every is the module parameter
 *    fail_grow_every, so that stock kernels exercise the -ENOMEM paths;
 *  - with CONFIG_FAULT_INJECTION, the pool's fault_attr fail_grow, through
 *    should_fail(): its knobs are in debugfs (kpool/<pool>/fail_grow/) and
 *    it is a fault site of the task's fail-nth counter.
 * kpool's own struct is not a fault_attr because Debian's kernels are
 * built without CONFIG_FAULT_INJECTION and the FAULT ioctl's probability
 * is in parts per million, where a fault_attr's is in percent.
 */
static struct kpool_fault kpool_fault_all = { .count = ATOMIC_INIT(0) };
module_param_named(fail_grow_every, kpool_fault_all.every, uint, 0644);
MODULE_PARM_DESC(fail_grow_every,
		 "fail every Nth chunk growth, counted over all pools (0: never)");

static bool kpool_fault_hit(struct kpool_fault *f)
{
	unsigned int every = READ_ONCE(f->every);
	unsigned int ppm = READ_ONCE(f->ppm);

	if (every && !(atomic_inc_return(&f->count) % every))
		return true;
	return ppm && get_random_u32_below(KPOOL_FAULT_PPM_MAX) < ppm;
}

#ifdef CONFIG_FAULT_INJECTION
void kpool_fault_attr_init(struct kpool *pool)
{
	pool->fail_grow = (struct fault_attr)FAULT_ATTR_INITIALIZER;
	/* a lock of its own: the initializer's is for static objects only */
	ratelimit_state_init(&pool->fail_grow.ratelimit_state, 0,
			     DEFAULT_RATELIMIT_BURST);
	/* no message, no stack dump: a fail-nth sweep reaches every site */
	pool->fail_grow.verbose = 0;
}

static bool kpool_fault_attr(struct kpool *pool)
{
	return should_fail(&pool->fail_grow, PAGE_SIZE << pool->order);
}
#else
void kpool_fault_attr_init(struct kpool *pool)
{
}

static bool kpool_fault_attr(struct kpool *pool)
{
	return false;
}
#endif

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
/* The pool's fail_grow fault_attr files; returns how many entries it made. */
unsigned int kpool_fault_debugfs(struct kpool *pool)
{
	/* like every debugfs file, optional: a failure is not an error */
	if (IS_ERR(fault_create_debugfs_attr("fail_grow", pool->debugfs,
					     &pool->fail_grow)))
		return 0;
	/* its directory and 8 files, 5 more with the stack trace filter */
	return 9 + (IS_ENABLED(CONFIG_FAULT_INJECTION_STACKTRACE_FILTER) ? 5 : 0);
}
#else
unsigned int kpool_fault_debugfs(struct kpool *pool)
{
	return 0;
}
#endif

static bool kpool_fault(struct kpool *pool)
{
	bool fail = kpool_fault_hit(&pool->fault) ||
		    kpool_fault_hit(&kpool_fault_all) || kpool_fault_attr(pool);

	if (fail)
		kpool_count(pool, KPOOL_EV_faults_injected);
	return fail;
}

/* Growth */

/* Count the blocks of a new chunk against the cap; 0 if at the cap. */
static unsigned int kpool_grow_begin(struct kpool *pool)
{
	unsigned long flags, carved;
	unsigned int nr = pool->per_chunk;

	raw_spin_lock_irqsave(&pool->lock, flags);
	if (pool->max_blocks) {
		carved = pool->blocks_total + pool->blocks_growing;
		nr = carved < pool->max_blocks ?
		     min_t(unsigned long, nr, pool->max_blocks - carved) : 0;
	}
	pool->blocks_growing += nr;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return nr;
}

/* End kpool_grow_begin() of @nr blocks: publish @chunk if it was carved. */
static void kpool_grow_publish(struct kpool *pool, struct kpool_chunk *chunk,
			       unsigned int nr)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	pool->blocks_growing -= nr;
	if (chunk) {
		list_add_tail(&chunk->list, &pool->empty);
		WRITE_ONCE(pool->nr_empty, pool->nr_empty + 1);
		list_add_tail_rcu(&chunk->node, &pool->chunks);
		pool->nr_chunks++;
		pool->blocks_total += nr;
		pool->depot_free += nr;
		kpool_update_tight(pool);
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

/*
 * Add a chunk to the pool with @gfp as it is. Return 0, -ENOSPC at the
 * cap, -EAGAIN where the page allocator cannot be used, -ENOMEM when the
 * allocation failed.
 */
int kpool_grow(struct kpool *pool, gfp_t gfp)
{
	struct kpool_chunk *chunk = NULL;
	unsigned int nr;
	int id = -ENOMEM;

	if (!kpool_may_alloc_pages())
		return -EAGAIN;
	nr = kpool_grow_begin(pool);
	if (!nr)
		return -ENOSPC;

	if (gfp & __GFP_DIRECT_RECLAIM)
		kpool_count(pool, KPOOL_EV_grow_reclaims);
	/* the ids and the table are the module's: charged to no cgroup */
	if (!kpool_fault(pool))
		id = kpool_chunk_id_alloc(gfp & ~(__GFP_ZERO | __GFP_ACCOUNT));
	if (id >= 0)
		chunk = kpool_chunk_create(pool, id, nr, gfp);
	if (chunk) {
		kpool_chunk_carve(pool, chunk);
		kpool_debug_chunk_track(pool, chunk, gfp);
		kpool_chunk_map(chunk);
	}
	kpool_grow_publish(pool, chunk, nr);

	trace_kpool_grow(pool->id, pool->name, pool->order, nr,
			 chunk ? 0 : -ENOMEM);
	if (!chunk) {
		kpool_count(pool, KPOOL_EV_grow_failures);
		return -ENOMEM;
	}
	kpool_count(pool, KPOOL_EV_grows);
	return 0;
}

/* The growth mask of an allocation with @gfp: light, or the caller's own. */
gfp_t kpool_grow_gfp(const struct kpool *pool, gfp_t gfp, bool light)
{
	gfp = (gfp & KPOOL_GFP_CONTEXT) | pool->gfp | __GFP_NOWARN;
	if (light)
		gfp = (gfp & ~(__GFP_DIRECT_RECLAIM | __GFP_IO)) |
		      KPOOL_GFP_LIGHT;
	return gfp;
}

/**
 * kpool_shrink() - give free memory of a pool back
 * @pool: the pool.
 *
 * Drains every CPU's magazine into the depot, then frees the chunks whose
 * blocks are all free, as long as the pool keeps at least min_blocks blocks
 * and its reserve. The pages return to the page allocator after an RCU
 * grace period; the pool's counts drop at once.
 *
 * Context: Process context; may sleep.
 * Return: the number of pages given back.
 */
unsigned long kpool_shrink(struct kpool *pool)
{
	kpool_drain_all(pool, false);
	return kpool_release_free_chunks(pool, ULONG_MAX, false);
}
EXPORT_SYMBOL_NS_GPL(kpool_shrink, KPOOL_NS);

/**
 * kpool_chunk_tag_past_end() - a page tag that names no slot of the table
 *
 * For kpool's tests of the ownership lookup: the page->private value that
 * decodes to the first id past the end of the chunk table as it is now.
 *
 * Context: Any context but NMI.
 * Return: the tag.
 */
unsigned long kpool_chunk_tag_past_end(void)
{
	unsigned long tag;

	rcu_read_lock();
	tag = kpool_table()->size ^ kpool_page_key;
	rcu_read_unlock();
	return tag;
}
EXPORT_SYMBOL_NS_GPL(kpool_chunk_tag_past_end, KPOOL_INTERNAL_NS);

/*
 * Shrinker: gives back chunks whose blocks are all free. Magazines are
 * drained before counting, so the count is what a scan can free (minus
 * what min_blocks keeps); both only trylock what CPU hotplug or pool
 * creation may hold while they allocate.
 */
static unsigned long kpool_releasable_pages(struct kpool *pool)
{
	unsigned long flags, keep, pages = 0;
	struct kpool_chunk *chunk;

	raw_spin_lock_irqsave(&pool->lock, flags);
	keep = max_t(unsigned long, pool->min_blocks, pool->blocks_total -
		     (pool->depot_free - pool->nr_reserve));
	list_for_each_entry(chunk, &pool->empty, list) {
		if (pool->blocks_total - chunk->nr_blocks < keep)
			break;
		keep += chunk->nr_blocks;
		pages += 1UL << pool->order;
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return pages;
}

/*
 * Over the pools that may be shrunk: the pages that can be given back, or
 * with @scan, give back up to sc->nr_to_scan. Return the pages.
 */
static unsigned long kpool_shrink_pools(struct shrink_control *sc, bool scan)
{
	unsigned long pages = 0;
	struct kpool *pool;

	if (!mutex_trylock(&kpool_registry_lock))
		return 0;
	list_for_each_entry(pool, &kpool_list, list) {
		if (scan && pages >= sc->nr_to_scan)
			break;
		if (pool->flags & KPOOL_F_NO_SHRINK)
			continue;
		if (scan) {
			pages += kpool_release_free_chunks(pool,
							   sc->nr_to_scan - pages,
							   true);
			continue;
		}
		if (READ_ONCE(pool->nr_chunks) > READ_ONCE(pool->nr_empty))
			kpool_drain_all(pool, true);
		pages += kpool_releasable_pages(pool);
	}
	mutex_unlock(&kpool_registry_lock);
	return pages;
}

unsigned long kpool_shrink_count(struct shrinker *shrinker,
				 struct shrink_control *sc)
{
	return kpool_shrink_pools(sc, false);
}

unsigned long kpool_shrink_scan(struct shrinker *shrinker,
				struct shrink_control *sc)
{
	return kpool_shrink_pools(sc, true) ?: SHRINK_STOP;
}

struct shrinker *kpool_shrinker;
