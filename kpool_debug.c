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
static void kpool_owner_save_stack(struct kpool_owner *owner)
{
	unsigned long entries[KPOOL_STACK_DEPTH];
	unsigned int nr;

	owner->stack = 0;
	if (!kpool_stack_depot_ready || !kpool_may_alloc_pages())
		return;
	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 2);
	owner->stack = stack_depot_save(entries, nr, GFP_NOWAIT | __GFP_NOWARN);
}

#else
static void kpool_owner_save_stack(struct kpool_owner *owner)
{
}
#endif

/* Write a line to @m, or to the kernel log when @m is NULL. */
static __printf(2, 3) void kpool_emit(struct seq_file *m, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	if (m) {
		seq_vprintf(m, fmt, args);
	} else {
		vaf.fmt = fmt;
		vaf.va = &args;
		pr_warn("%pV", &vaf);
	}
	va_end(args);
}

/*
 * The symbol of @ip, or "?": never the raw address sprint_symbol() falls
 * back to when the text is gone (an unloaded module, freed init code).
 */
static const char *kpool_symbol(char *buf, unsigned long ip)
{
	sprint_symbol(buf, ip);
	return str_has_prefix(buf, "0x") ? "?" : buf;
}

static void kpool_owner_report(struct seq_file *m, const struct kpool *pool,
			       unsigned long chunk_nr, unsigned int idx,
			       const struct kpool_owner *owner)
{
	char sym[KSYM_SYMBOL_LEN];
#ifdef CONFIG_STACKDEPOT
	unsigned long *entries;
	unsigned int i, nr = 0;

	if (owner->stack)
		nr = stack_depot_fetch(owner->stack, &entries);
#endif

	kpool_emit(m, "pool %s: chunk %lu block %u allocated by %s\n",
		   pool->name, chunk_nr, idx, kpool_symbol(sym, owner->ip));
#ifdef CONFIG_STACKDEPOT
	for (i = 0; i < nr; i++)
		kpool_emit(m, "  %s\n", kpool_symbol(sym, entries[i]));
#endif
}

/*
 * Report up to @limit blocks of a debug pool that are allocated, with their
 * owners, to @m or to the kernel log. Return how many blocks there are.
 * Sleeps: chunks cannot leave the pool during the walk (release_lock), and
 * the walk yields between chunks.
 */
unsigned long kpool_report_owners(struct seq_file *m, struct kpool *pool,
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

/* Fill a free block with poison and its red zone with the pattern. */
void kpool_debug_init_block(struct kpool *pool, void *block)
{
	if (kpool_poisons(pool))
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
					  KPOOL_ERR_POISON);
			kpool_report_corruption(pool, "free poison", chunk,
						idx, block, pool->size, bad);
		}
	}
	owner->ip = ip;
	kpool_owner_save_stack(owner);
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

	if (chunk->owners[idx].tracked)
		kmemleak_free(block);
	kasan_disable_current();
	bad = memchr_inv(zone, KPOOL_POISON_REDZONE, len);
	if (unlikely(bad)) {
		kpool_count(pool, KPOOL_EV_err_redzone);
		trace_kpool_error(pool->id, pool->name, KPOOL_ERR_REDZONE);
		kpool_report_corruption(pool, "red zone", chunk, idx, zone,
					len, bad);
	}
	kpool_debug_init_block(pool, block);
	kasan_enable_current();
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
