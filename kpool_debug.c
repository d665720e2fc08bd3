// SPDX-License-Identifier: GPL-2.0
/*
 * Debug pools: poison, red zones, owner tracking and the reports of
 * corruption and leaks.
 */

#include "kpool_internal.h"

bool kpool_stack_depot_ready;

/* One budget for every corruption hexdump, so a storm cannot flood. */
static DEFINE_RATELIMIT_STATE(kpool_dump_ratelimit, 5 * HZ, 10);

/* Debug pools */

static void kpool_report_corruption(struct kpool *pool, const char *what,
				    const struct kpool_chunk *chunk,
				    unsigned int idx, const u8 *area,
				    size_t len, const u8 *bad)
{
	size_t start = round_down(bad - area, 16);

	if (!__ratelimit(&kpool_dump_ratelimit))
		return;
	pr_warn("pool %s: %s overwritten in block %u of a chunk of order %u, at byte %zu of %zu (dump from byte %zu)\n",
		pool->name, what, idx, pool->order, (size_t)(bad - area),
		len, start);
	print_hex_dump(KERN_WARNING, KBUILD_MODNAME ": ", DUMP_PREFIX_OFFSET,
		       16, 1, area + start,
		       min_t(size_t, len - start, KPOOL_DUMP_BYTES), true);
}

#ifdef CONFIG_STACKDEPOT
/*
 * The caller's caller's stack in the stack depot, or 0; only where the
 * page allocator may be called (kpool_may_alloc_pages()).
 */
static depot_stack_handle_t kpool_stack_save(void)
{
	unsigned long entries[KPOOL_STACK_DEPTH];
	unsigned int nr;

	if (!kpool_stack_depot_ready)
		return 0;
	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 2);
	return stack_depot_save(entries, nr, GFP_NOWAIT | __GFP_NOWARN);
}

/* The stack @handle, into @m or, as SLUB's print_track(), to the log. */
static void kpool_stack_print(struct seq_file *m, depot_stack_handle_t handle)
{
	unsigned long *entries;
	unsigned int i, nr;

	if (!handle)
		return;
	if (!m) {
		stack_depot_print(handle);
		return;
	}
	nr = stack_depot_fetch(handle, &entries);
	for (i = 0; i < nr; i++)
		seq_printf(m, "  %pS\n", (void *)entries[i]);
}
#else
static depot_stack_handle_t kpool_stack_save(void)
{
	return 0;
}

static void kpool_stack_print(struct seq_file *m, depot_stack_handle_t handle)
{
}
#endif

#define KPOOL_OWNER_FMT "pool %s: chunk %lu block %u allocated by %pS\n"

static void kpool_owner_report(struct seq_file *m, const struct kpool *pool,
			       unsigned long chunk_nr, unsigned int idx,
			       const struct kpool_owner *owner)
{
	if (m)
		seq_printf(m, KPOOL_OWNER_FMT, pool->name, chunk_nr, idx,
			   (void *)owner->ip);
	else
		pr_warn(KPOOL_OWNER_FMT, pool->name, chunk_nr, idx,
			(void *)owner->ip);
	kpool_stack_print(m, owner->stack);
}

/*
 * Report up to @limit blocks of a debug pool that are allocated, with their
 * owners, to @m or to the kernel log. Return how many blocks there are.
 * Sleeps: chunks cannot leave the pool during the walk (release_lock), and
 * the walk yields between chunks.
 */
static unsigned long kpool_report_owners(struct seq_file *m,
					 struct kpool *pool,
					 unsigned long limit)
{
	unsigned long chunk_nr = 0, found = 0;
	struct kpool_chunk *chunk;
	unsigned int idx;

	mutex_lock(&pool->release_lock);
	list_for_each_entry_rcu(chunk, &pool->chunks, node,
				lockdep_is_held(&pool->release_lock)) {
		for (idx = 0; idx < chunk->nr_blocks; idx++) {
			if (READ_ONCE(chunk->state[idx]) != KPOOL_B_ALLOC)
				continue;
			if (found++ < limit)
				kpool_owner_report(m, pool, chunk_nr, idx,
						   &chunk->owners[idx]);
		}
		chunk_nr++;
		cond_resched();
	}
	mutex_unlock(&pool->release_lock);
	return found;
}

/* Is every operation of @pool checked (KPOOL_F_DEBUG)? */
bool kpool_debug_checks(const struct kpool *pool)
{
	return pool->flags & KPOOL_F_DEBUG;
}

/*
 * Debug pools: fill a free block with poison if @poison (kpool_poisons())
 * and its red zone with the pattern.
 */
void kpool_debug_init_block(struct kpool *pool, void *block, bool poison)
{
	if (!(pool->flags & KPOOL_F_DEBUG))
		return;
	if (poison)
		memset(block, KPOOL_POISON_FREE, pool->size);
	memset(block + pool->size, KPOOL_POISON_REDZONE,
	       pool->stride - pool->size);
}

/*
 * A block of a debug pool leaves the depot: check poison, record the owner
 * and let kmemleak track the block (a caller who loses it is reported).
 */
void kpool_debug_alloc(struct kpool *pool, void *block, gfp_t gfp,
		       unsigned long ip)
{
	struct kpool_owner *owner;
	struct kpool_chunk *chunk;
	unsigned int idx;
	u8 *bad;

	if (!(pool->flags & KPOOL_F_DEBUG))
		return;
	rcu_read_lock();
	chunk = kpool_block_chunk(block);
	rcu_read_unlock();
	idx = kpool_block_index(pool, chunk, block);
	owner = &chunk->owners[idx];
	/*
	 * kmemleak allocates its record: not where the page allocator can't.
	 * The chunk's metadata points to its first block (chunk->base): that
	 * block needs one reference more to count as referenced.
	 */
	owner->tracked = kpool_may_alloc_pages();
	if (owner->tracked)
		kmemleak_alloc(block, pool->size, 1 + (block == chunk->base),
			       gfp);
	if (kpool_poisons(pool)) {
		bad = memchr_inv(block, KPOOL_POISON_FREE, pool->size);
		if (unlikely(bad)) {
			kpool_count(pool, KPOOL_EV_err_poison);
			trace_kpool_error(pool->id, pool->name,
					  KPOOL_EV_err_poison);
			kpool_report_corruption(pool, "free poison", chunk,
						idx, block, pool->size, bad);
		}
	}
	owner->ip = ip;
	owner->stack = owner->tracked ? kpool_stack_save() : 0;
}

/*
 * A block of a debug pool is freed: kmemleak forgets it; check the red
 * zone, poison the block. KASAN has poisoned the block already
 * (kpool_free()): these bytes are kpool's own to check.
 */
void kpool_debug_free(struct kpool *pool, struct kpool_chunk *chunk,
		      unsigned int idx, void *block)
{
	size_t len = pool->stride - pool->size;
	u8 *zone = block + pool->size;
	u8 *bad;

	if (!(pool->flags & KPOOL_F_DEBUG))
		return;
	if (chunk->owners[idx].tracked)
		kmemleak_free(block);
	kasan_disable_current();
	bad = memchr_inv(zone, KPOOL_POISON_REDZONE, len);
	if (unlikely(bad)) {
		kpool_count(pool, KPOOL_EV_err_redzone);
		trace_kpool_error(pool->id, pool->name, KPOOL_EV_err_redzone);
		kpool_report_corruption(pool, "red zone", chunk, idx, zone,
					len, bad);
	}
	kpool_debug_init_block(pool, block, kpool_poisons(pool));
	kasan_enable_current();
}

/* Debug pools: the owner of each block of @chunk. */
int kpool_debug_chunk_init(struct kpool *pool, struct kpool_chunk *chunk,
			   gfp_t gfp)
{
	if (!(pool->flags & KPOOL_F_DEBUG))
		return 0;
	chunk->owners = kvcalloc(pool->per_chunk, sizeof(*chunk->owners), gfp);
	return chunk->owners ? 0 : -ENOMEM;
}

/*
 * Blocks may hold the only references to other objects: kmemleak scans the
 * chunk, or, in debug pools, each block handed out (kpool_debug_alloc()).
 */
void kpool_debug_chunk_track(struct kpool *pool, struct kpool_chunk *chunk,
			     gfp_t gfp)
{
	if (!(pool->flags & KPOOL_F_DEBUG))
		kmemleak_alloc(chunk->base, pool->chunk_bytes, 0, gfp);
}

/* @chunk leaves the pool: undo kpool_debug_chunk_track(). */
void kpool_debug_chunk_untrack(struct kpool *pool, struct kpool_chunk *chunk)
{
	if (!(pool->flags & KPOOL_F_DEBUG))
		kmemleak_free(chunk->base);
}

/* A deferred free: the caller may drop its last reference, not a leak. */
void kpool_debug_not_leak(struct kpool *pool, struct kpool_chunk *chunk,
			  unsigned int idx)
{
	if ((pool->flags & KPOOL_F_DEBUG) && chunk->owners[idx].tracked)
		kmemleak_not_leak(kpool_block_addr(pool, chunk, idx));
}

/* Bytes of metadata per chunk debugging adds: the owners. */
u64 kpool_debug_meta_per_chunk(const struct kpool *pool)
{
	if (!(pool->flags & KPOOL_F_DEBUG))
		return 0;
	return (u64)pool->per_chunk * sizeof(struct kpool_owner);
}

static int kpool_debugfs_leaks_show(struct seq_file *m, void *unused)
{
	unsigned long n = kpool_report_owners(m, m->private,
					      KPOOL_LEAKS_LISTED);

	if (n > KPOOL_LEAKS_LISTED)
		seq_printf(m, "%lu more blocks allocated, not listed\n",
			   n - KPOOL_LEAKS_LISTED);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kpool_debugfs_leaks);

/* Debug pools: the leaks file in the pool's directory; how many entries. */
unsigned int kpool_debug_debugfs(struct kpool *pool)
{
	if (!(pool->flags & KPOOL_F_DEBUG))
		return 0;
	debugfs_create_file("leaks", 0400, pool->debugfs, pool,
			    &kpool_debugfs_leaks_fops);
	return 1;
}

void kpool_report_leaks(struct kpool *pool, unsigned long in_use)
{
	pr_warn("pool %s: not destroyed, %lu blocks still allocated\n",
		pool->name, in_use);
	if ((pool->flags & KPOOL_F_DEBUG) &&
	    kpool_report_owners(NULL, pool, KPOOL_LEAKS_SHOWN) >
	    KPOOL_LEAKS_SHOWN)
		pr_warn("pool %s: more leaked blocks not shown\n", pool->name);
}
