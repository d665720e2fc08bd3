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
 * Free blocks live in two places:
 *
 *  - a per-CPU magazine (a LIFO array of KPOOL_MAG_SIZE block pointers).
 *    The fast path of kpool_alloc() and kpool_free() touches only the
 *    local magazine: no lock and no interrupt toggling. Its only atomic
 *    instruction is the bit flip in the block's chunk bitmap that records
 *    whether the block is allocated. A per-CPU recursion guard lets an
 *    interrupt that arrives while the magazine is being changed fall
 *    through to the slow path instead of corrupting it.
 *  - the depot: per-chunk stacks of free block indices, refilled from and
 *    flushed to by magazines in batches of KPOOL_MAG_SIZE / 2, under the
 *    pool lock.
 *
 * The reserve: min_blocks of the depot's free blocks are set aside at
 * kpool_create() time. Like mempool, the reserve is used only when growing
 * the pool fails or the cap is reached, and kpool_free() refills it before
 * anything else (while the reserve is short, frees bypass the magazines),
 * so a caller that frees what it allocates always makes forward progress.
 * The chunks carved to fill the reserve may hold more free blocks than
 * min_blocks; those are ordinary free blocks.
 *
 * Allocation order: magazine, depot, new chunk (when allowed and under the
 * cap), reserve, then - only if @gfp allows sleeping - the magazines of all
 * CPUs are drained and the allocation waits (killable) for the next
 * kpool_free(). Up to KPOOL_MAG_SIZE free blocks per CPU may sit in other
 * CPUs' magazines, where an atomic allocation cannot see them: when an
 * atomic allocation fails it asks every CPU to drain its magazine
 * (asynchronously), and kpool_shrink() drains them synchronously.
 *
 * Safety
 * ------
 * Every free is validated, always: the block must belong to this pool,
 * start on a block boundary and be allocated (a per-chunk bitmap records
 * which blocks are out). A bad free is refused, counted in the pool's
 * error counters, reported (rate-limited) with the pool's name, and leaves
 * the pool untouched. With KPOOL_F_DEBUG a pool has no magazines (every
 * operation takes the checked slow path), fills free blocks with
 * KPOOL_POISON_FREE (checked when the block is allocated again), follows
 * every block with a red zone of at least KPOOL_REDZONE_MIN bytes of
 * KPOOL_POISON_REDZONE (checked when the block is freed) and records the
 * allocation stack of every block; corruption is counted and reported with
 * a hexdump, the damaged bytes are restored and the operation goes on (a
 * poisoned block is still handed out, a block with a damaged red zone is
 * still freed); leaks at kpool_destroy() list their allocation sites.
 * Pools with a constructor are not poisoned (it would destroy the
 * constructed state) but still get red zones.
 *
 * Sanitizers: in kernels with generic KASAN every pool's free blocks,
 * never-used blocks, padding and red zones are poisoned in KASAN's shadow
 * and a block handed out is accessible for exactly block_size bytes, so a
 * use after free or an overflow on a pool block is reported by KASAN as
 * on a slab object (not in pools whose stride is not a multiple of
 * KASAN's 8-byte granule, which only an explicit align below 8 gives:
 * their neighbouring blocks share granules). kmemleak scans the chunks
 * of ordinary pools (blocks may hold the only references to other
 * objects); in debug pools it tracks every block handed out instead, so
 * a caller who loses a block is reported as a leak.
 *
 * Context
 * -------
 * kpool_alloc() and kpool_alloc_bulk() with an atomic @gfp (GFP_ATOMIC,
 * GFP_NOWAIT), kpool_free(), kpool_free_bulk(), kpool_get_stats(),
 * kpool_occupancy(), kpool_set_fault() and the accessors may be called from
 * any context but NMI: process, softirq and hardirq. On PREEMPT_RT a caller
 * that is not preemptible (hardirq, raw spinlock held) is served from the
 * pool's free blocks and reserve only: the page allocator cannot be called
 * there. kpool_create(), kpool_destroy(), kpool_shrink() and the registry
 * walks may sleep. A pool must not be used while, or after, it is
 * destroyed.
 *
 * Limits
 * ------
 * name: 1 to KPOOL_NAME_LEN - 1 characters from [A-Za-z0-9_.:-], not
 * starting with '.'; unique among live pools.
 * block_size: KPOOL_MIN_BLOCK_SIZE .. KPOOL_MAX_BLOCK_SIZE bytes.
 * align: a power of two, at most PAGE_SIZE; 0 means the natural alignment
 * (the largest power of two dividing block_size, capped at PAGE_SIZE,
 * at least sizeof(void *)). The block stride is block_size (plus the red
 * zone in debug pools) rounded up to align. A block whose stride is at
 * most PAGE_SIZE never straddles a page boundary: each page holds
 * PAGE_SIZE / stride blocks.
 * Chunk order: KPOOL_ORDER_AUTO picks the smallest order up to
 * KPOOL_AUTO_MAX_ORDER whose waste (bytes of the chunk outside every block:
 * tails, alignment padding, red zones) is at most 1/16 of the chunk; if
 * none qualifies, the order up to KPOOL_AUTO_MAX_ORDER with the smallest
 * waste ratio (the smaller order on a tie); if no such order holds a
 * single block, the smallest order up to KPOOL_MAX_ORDER that holds one.
 * An explicit order must hold at least one block.
 * min_blocks <= max_blocks when max_blocks is not 0.
 * A constructor cannot be combined with KPOOL_F_ZERO.
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

/* Blocks one CPU's magazine holds; refills and flushes move half of it. */
#define KPOOL_MAG_SIZE		32

/* Debug pools: free blocks are filled with this byte... */
#define KPOOL_POISON_FREE	0x6c
/* ...and every block is followed by a red zone of this byte. */
#define KPOOL_POISON_REDZONE	0xd5
#define KPOOL_REDZONE_MIN	8

/* kpool_params.flags */
#define KPOOL_F_ZERO		0x1	/* every allocated block is zeroed */
#define KPOOL_F_DEBUG		0x2	/* poison, red zones, owner tracking */
#define KPOOL_F_NO_SHRINK	0x4	/* the shrinker leaves this pool alone */
#define KPOOL_F_ALL		(KPOOL_F_ZERO | KPOOL_F_DEBUG | KPOOL_F_NO_SHRINK)

/* kpool_params.order: let kpool choose the chunk order */
#define KPOOL_ORDER_AUTO	(-1)

/* kpool_params.gfp: the modifiers a pool accepts for its growth */
#define KPOOL_GFP_ALLOWED	(__GFP_ACCOUNT | __GFP_NORETRY | \
				 __GFP_RETRY_MAYFAIL | __GFP_NOMEMALLOC | \
				 __GFP_NOWARN | __GFP_ZERO)

/* kpool_set_fault(): probability_ppm is at most this */
#define KPOOL_FAULT_PPM_MAX	1000000

struct kpool;

/**
 * struct kpool_params - how to build a pool
 * @name: shown in stats, debugfs and reports; unique among live pools
 *	  (copied, see Limits for the characters allowed).
 * @block_size: bytes per block.
 * @align: block alignment; 0 for the natural alignment (see Limits).
 * @min_blocks: reserve preallocated at create and guaranteed afterwards.
 * @max_blocks: cap on blocks carved in total; 0 for no cap.
 * @node: NUMA node for chunks, or NUMA_NO_NODE.
 * @gfp: extra GFP flags used when the pool grows (e.g. __GFP_ACCOUNT);
 *	 only KPOOL_GFP_ALLOWED is accepted (__GFP_ZERO zeroes new chunks).
 * @flags: KPOOL_F_* flags.
 * @order: chunk order, or KPOOL_ORDER_AUTO.
 * @ctor: optional constructor, run once for each block carved from a new
 *	  chunk (not on every allocation), outside any lock, possibly in the
 *	  context of the kpool_alloc() that grows the pool.
 * @ctor_arg: passed to @ctor.
 * @owner: opaque cookie of the creator, reported through the registry
 *	   (kpool_dev uses it for per-file ownership); NULL for modules.
 *	   Names are unique among the live pools of one owner: pools of
 *	   different owners never collide.
 * @boundary: 0, or a power of two from the stride up to the chunk size:
 *	      no block crosses a multiple of @boundary bytes (like
 *	      dma_pool_create()'s boundary; PAGE_SIZE keeps every block
 *	      within a page). With 0, blocks may straddle pages.
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
	size_t boundary;
};

/*
 * The fields of struct kpool_stats, each listed once: X(type, name).
 * KPOOL_STATE: geometry and the pool's current state (see struct
 * kpool_stats); KPOOL_EVENTS: event counters, per-CPU sums that may lag
 * concurrent operations by a few events. kpool.c derives its counter enum,
 * the stats filling and the debugfs file from these lists.
 */
#define KPOOL_STATE(X)							\
	X(u32, id)							\
	X(u32, flags)							\
	X(s32, node)							\
	X(u64, block_size)						\
	X(u64, block_stride)						\
	X(u64, align)							\
	X(u64, boundary)						\
	X(u32, chunk_order)						\
	X(u32, blocks_per_chunk)					\
	X(u64, chunks)							\
	X(u64, pages)							\
	X(u64, blocks_total)						\
	X(u64, blocks_in_use)						\
	X(u64, blocks_free)						\
	X(u64, blocks_reserved)						\
	X(u64, min_blocks)						\
	X(u64, max_blocks)						\
	X(u64, high_watermark)						\
	X(u64, wasted_per_chunk)					\
	X(u64, meta_per_chunk)						\
	X(u64, percpu_bytes)						\
	X(u64, meta_bytes)

#define KPOOL_EVENTS(X)							\
	X(u64, allocs)							\
	X(u64, frees)							\
	X(u64, bulk_allocs)						\
	X(u64, bulk_frees)						\
	X(u64, alloc_failures)						\
	X(u64, waits)							\
	X(u64, grows)							\
	X(u64, grow_failures)						\
	X(u64, grow_reclaims)						\
	X(u64, shrinks)							\
	X(u64, reserve_allocs)						\
	X(u64, steals)							\
	X(u64, drains)							\
	X(u64, cache_hits)						\
	X(u64, cache_misses)						\
	X(u64, faults_injected)						\
	X(u64, err_double_free)						\
	X(u64, err_foreign)						\
	X(u64, err_misaligned)						\
	X(u64, err_poison)						\
	X(u64, err_redzone)

#define KPOOL_STATS_FIELD(type, name) type name;

/**
 * struct kpool_stats - a consistent-enough snapshot of one pool
 * @name: the pool's name.
 *
 * The other fields come from KPOOL_STATE() and KPOOL_EVENTS(). State:
 * id (kpool_id()); flags (KPOOL_F_*); node (the NUMA node chunks come
 * from, or NUMA_NO_NODE); block_size; block_stride (distance between
 * blocks: block_size plus the red zone of debug pools, rounded up to
 * align); align; boundary (0, or the power of two no block crosses);
 * chunk_order; blocks_per_chunk (the cap may cut the last chunk short);
 * chunks and pages (carved and not given back); blocks_total (blocks in
 * those chunks); blocks_in_use (handed out, exact when the pool is quiet);
 * blocks_free (blocks_total - blocks_in_use: depot, reserve and magazines);
 * blocks_reserved (free blocks held as the reserve); min_blocks;
 * max_blocks (0 for no cap); high_watermark (the most blocks out of the
 * depot at once, sampled on the slow path: an upper bound of the most
 * blocks in use at once); wasted_per_chunk (bytes of a full chunk outside
 * every block: tails, alignment padding, red zones); meta_per_chunk
 * (bytes of out-of-line metadata per chunk: header and block states);
 * percpu_bytes (the pool's per-CPU area over every possible CPU);
 * meta_bytes (all of the pool's metadata: struct kpool, percpu_bytes and
 * the metadata of every chunk).
 *
 * Events: allocs and frees (blocks, bulk included; the blocks a failed
 * bulk allocation gives back count as frees); bulk_allocs (successful
 * kpool_alloc_bulk() calls); bulk_frees (kpool_free_bulk() calls);
 * alloc_failures; waits (allocations that slept for a free); grows (chunks
 * carved, the reserve's included); grow_failures (injected faults
 * included); grow_reclaims (growth attempts allowed to enter direct
 * reclaim); shrinks (chunks given back); reserve_allocs (blocks taken from
 * the reserve); steals (blocks an allocation took from another CPU's
 * magazine); drains (magazine drains of every CPU requested); cache_hits
 * (allocations served by the CPU's magazine); cache_misses (allocations
 * that took the slow path; hits + misses = every allocation tried);
 * faults_injected (growth failed on purpose: kpool_set_fault(), the
 * fail_grow_every module parameter, the pool's fail_grow fault_attr);
 * err_double_free (frees of blocks not allocated); err_foreign (frees of
 * memory that is not the pool's); err_misaligned (pointers into the pool
 * that are not the start of a block); err_poison (debug pools: free blocks
 * found modified when allocated); err_redzone (debug pools: red zones
 * found damaged when freed).
 */
struct kpool_stats {
	char name[KPOOL_NAME_LEN];
	KPOOL_STATE(KPOOL_STATS_FIELD)
	KPOOL_EVENTS(KPOOL_STATS_FIELD)
};

struct kpool *kpool_create(const struct kpool_params *params);
int kpool_destroy(struct kpool *pool);

void *kpool_alloc(struct kpool *pool, gfp_t gfp);
int kpool_free(struct kpool *pool, void *block);
int kpool_free_owned(void *block, const void *owner_lo,
		     const void *owner_hi, const void **owner);
int kpool_alloc_bulk(struct kpool *pool, gfp_t gfp, unsigned int n,
		     void **blocks);
int kpool_free_bulk(struct kpool *pool, unsigned int n, void **blocks);

unsigned long kpool_shrink(struct kpool *pool);
void kpool_get_stats(struct kpool *pool, struct kpool_stats *stats);

/* Introspection, used by /dev/kpool and debugfs. */
u32 kpool_id(const struct kpool *pool);
const char *kpool_name(const struct kpool *pool);
const void *kpool_owner(const struct kpool *pool);
const void *kpool_block_owner(const void *ptr);
size_t kpool_block_size(const struct kpool *pool);
long kpool_occupancy(struct kpool *pool, u32 *in_use, unsigned long nr);
int kpool_set_fault(struct kpool *pool, unsigned int every_nth,
		    unsigned int probability_ppm);

int kpool_for_each(int (*fn)(struct kpool *pool, void *arg), void *arg);
int kpool_with_id(u32 id, int (*fn)(struct kpool *pool, void *arg),
		  void *arg);

#endif /* _KPOOL_H */
