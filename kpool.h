/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpool - pools of fixed-size blocks carved from alloc_pages() chunks.
 *
 * Design
 * ------
 * A pool hands out blocks of one size. Blocks are carved from "chunks":
 * naturally aligned runs of 2^order pages taken with alloc_pages_node().
 * Every page of a chunk points back to its chunk, so a block pointer is
 * mapped to its chunk, and validated, in O(1) without any search.
 *
 * Free blocks live in three places:
 *
 *  - a per-CPU magazine (a small LIFO array of block pointers). The fast
 *    path of kpool_alloc() and kpool_free() touches only the local
 *    magazine: no lock, no atomic read-modify-write on shared data and no
 *    interrupt toggling. A per-CPU recursion guard lets an interrupt that
 *    arrives while the magazine is being changed fall through to the slow
 *    path instead of corrupting it.
 *  - the depot: per-chunk stacks of free block indices, refilled from and
 *    flushed to by magazines in batches, under the pool lock.
 *  - the reserve: min_blocks blocks set aside at kpool_create() time. Like
 *    mempool, the reserve is used only when growing the pool fails or the
 *    cap is reached, and kpool_free() refills it before anything else, so
 *    a caller that frees what it allocates always makes forward progress.
 *
 * Allocation order: magazine, depot, new chunk (when allowed and under the
 * cap), reserve, then - only if @gfp allows sleeping - a killable wait for
 * the next kpool_free().
 *
 * Safety
 * ------
 * Every free is validated, always: the block must belong to this pool,
 * start on a block boundary and be allocated (a per-chunk bitmap records
 * which blocks are out). A bad free is refused, counted in the pool's
 * error counters, reported (rate-limited) with the pool's name, and leaves
 * the pool untouched. With KPOOL_F_DEBUG a pool also poisons free blocks,
 * surrounds blocks with red zones and records the allocation stack of
 * every block; corruption is reported with a hexdump and leaks at
 * kpool_destroy() list their allocation sites.
 *
 * Context
 * -------
 * kpool_alloc() with an atomic @gfp (GFP_ATOMIC, GFP_NOWAIT) and
 * kpool_free() may be called from any context: process, softirq and
 * hardirq. On PREEMPT_RT a hardirq caller is served from the pool's free
 * blocks and reserve only (the page allocator cannot be called there).
 * kpool_create(), kpool_destroy(), kpool_shrink() and the registry walks
 * may sleep.
 *
 * Limits
 * ------
 * block_size: KPOOL_MIN_BLOCK_SIZE .. KPOOL_MAX_BLOCK_SIZE bytes.
 * align: a power of two, at most PAGE_SIZE; 0 means the natural alignment
 * (the largest power of two dividing block_size, capped at PAGE_SIZE,
 * at least sizeof(void *)). A block no larger than a page never straddles
 * a page boundary when the alignment allows it.
 * Chunk order is chosen so that a chunk wastes at most 1/16 of itself,
 * where an order of at most KPOOL_AUTO_MAX_ORDER allows; the caller may
 * force an order.
 */
#ifndef _KPOOL_H
#define _KPOOL_H

#include <linux/types.h>
#include <linux/gfp.h>

#define KPOOL_NAME_LEN		32
#define KPOOL_MIN_BLOCK_SIZE	8
#define KPOOL_MAX_BLOCK_SIZE	(256 * 1024)
#define KPOOL_AUTO_MAX_ORDER	3
#define KPOOL_MAX_ORDER		7

/* kpool_params.flags */
#define KPOOL_F_ZERO		0x1	/* every allocated block is zeroed */
#define KPOOL_F_DEBUG		0x2	/* poison, red zones, owner tracking */
#define KPOOL_F_NO_SHRINK	0x4	/* the shrinker leaves this pool alone */
#define KPOOL_F_ALL		(KPOOL_F_ZERO | KPOOL_F_DEBUG | KPOOL_F_NO_SHRINK)

/* kpool_params.order: let kpool choose the chunk order */
#define KPOOL_ORDER_AUTO	(-1)

struct kpool;

/**
 * struct kpool_params - how to build a pool
 * @name: shown in stats, debugfs and reports; unique among live pools.
 * @block_size: bytes per block.
 * @align: block alignment; 0 for the natural alignment (see Limits).
 * @min_blocks: reserve preallocated at create and guaranteed afterwards.
 * @max_blocks: cap on blocks carved in total; 0 for no cap.
 * @node: NUMA node for chunks, or NUMA_NO_NODE.
 * @gfp: extra GFP flags used when the pool grows (e.g. __GFP_ACCOUNT);
 *	 only reclaim/accounting modifiers are accepted.
 * @flags: KPOOL_F_* flags.
 * @order: chunk order, or KPOOL_ORDER_AUTO.
 * @ctor: optional constructor, run once for each block carved from a new
 *	  chunk (not on every allocation).
 * @ctor_arg: passed to @ctor.
 * @owner: opaque cookie of the creator, reported through the registry
 *	   (kpool_dev uses it for per-file ownership); NULL for modules.
 */
struct kpool_params {
	const char *name;
	size_t block_size;
	size_t align;
	unsigned int min_blocks;
	unsigned int max_blocks;
	int node;
	gfp_t gfp;
	unsigned int flags;
	int order;
	void (*ctor)(void *block, void *arg);
	void *ctor_arg;
	const void *owner;
};

/**
 * struct kpool_stats - a consistent-enough snapshot of one pool
 *
 * Geometry and occupancy are read under the pool lock; the event counters
 * are per-CPU sums and may lag concurrent operations by a few events.
 */
struct kpool_stats {
	char name[KPOOL_NAME_LEN];
	u32 id;
	u32 flags;
	u64 block_size;
	u64 block_stride;	/* block_size plus alignment and red zones */
	u64 align;
	u32 chunk_order;
	u32 blocks_per_chunk;
	u64 chunks;
	u64 pages;
	u64 blocks_total;
	u64 blocks_in_use;
	u64 blocks_free;
	u64 blocks_reserved;	/* currently held in the reserve */
	u64 min_blocks;
	u64 max_blocks;
	u64 high_watermark;	/* most blocks in use at once */
	u64 wasted_per_chunk;	/* bytes of a chunk no block uses */
	/* event counters */
	u64 allocs;
	u64 frees;
	u64 bulk_allocs;
	u64 bulk_frees;
	u64 alloc_failures;
	u64 waits;
	u64 grows;
	u64 grow_failures;
	u64 shrinks;
	u64 reserve_allocs;
	u64 cache_hits;
	u64 cache_misses;
	u64 faults_injected;
	/* error counters */
	u64 err_double_free;
	u64 err_foreign;
	u64 err_misaligned;
	u64 err_poison;
	u64 err_redzone;
};

struct kpool *kpool_create(const struct kpool_params *params);
int kpool_destroy(struct kpool *pool);

void *kpool_alloc(struct kpool *pool, gfp_t gfp);
int kpool_free(struct kpool *pool, void *block);
int kpool_alloc_bulk(struct kpool *pool, gfp_t gfp, unsigned int n,
		     void **blocks);
int kpool_free_bulk(struct kpool *pool, unsigned int n, void **blocks);

unsigned long kpool_shrink(struct kpool *pool);
void kpool_get_stats(struct kpool *pool, struct kpool_stats *stats);

/* Introspection, used by /dev/kpool and debugfs. */
u32 kpool_id(const struct kpool *pool);
const char *kpool_name(const struct kpool *pool);
const void *kpool_owner(const struct kpool *pool);
size_t kpool_block_size(const struct kpool *pool);
long kpool_occupancy(struct kpool *pool, u32 *in_use, unsigned long nr);
int kpool_set_fault(struct kpool *pool, unsigned int every_nth,
		    unsigned int probability_ppm);

int kpool_for_each(int (*fn)(struct kpool *pool, void *arg), void *arg);
int kpool_with_id(u32 id, int (*fn)(struct kpool *pool, void *arg),
		  void *arg);

#endif /* _KPOOL_H */
