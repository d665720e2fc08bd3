/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpool - pools of fixed-size blocks carved from alloc_pages() chunks.
 *
 * The contract of kpool's API; how the core keeps it is the theory at the
 * top of each file of kpool.ko (kpool_internal.h for the shared data).
 *
 * What a pool is
 * --------------
 * A pool hands out blocks of one size, carved from "chunks": naturally
 * aligned runs of 2^order pages from alloc_pages_node(). Blocks are laid
 * out back to back at multiples of the stride and may straddle pages;
 * kpool_params.boundary keeps every block inside one aligned run of
 * boundary bytes (dma_pool_create()'s boundary). Free blocks are cached
 * per CPU in a magazine of KPOOL_MAG_SIZE pointers, so the common
 * kpool_alloc()/kpool_free() touches only this CPU's data, takes no lock
 * and never toggles interrupts.
 *
 * Allocation, the reserve, and mempool_alloc()
 * ---------------------------------------------
 * kpool_alloc() tries, in this order:
 *  1. this CPU's magazine;
 *  2. the pool's free blocks outside the reserve;
 *  3. a new chunk with a light mask: the caller's mask without direct
 *     reclaim or I/O, plus __GFP_NORETRY | __GFP_NOWARN |
 *     __GFP_NOMEMALLOC (never the emergency reserves, whatever the
 *     caller's mask says);
 *  4. the reserve: min_blocks blocks kept at kpool_create() and never
 *     given back below that;
 *  5. free blocks cached in other CPUs' magazines (taken over, lock-free);
 *  6. if @gfp may sleep: a new chunk with the caller's own mask (direct
 *     reclaim), then every CPU's magazine drained, then a killable wait
 *     for a kpool_free(), draining again before every sleep.
 * Like mempool_alloc(): the reserve serves before any direct reclaim;
 * a free refills a short reserve first (while the pool could still grow,
 * frees then bypass the magazines); a sleeping allocation never fails but
 * on a fatal signal (mempool_alloc() ignores signals: kpool returns NULL
 * then, so a killed task is not stuck on a pool nobody frees to).
 * Unlike mempool_alloc(): the reserve is blocks of the pool itself, not a
 * list of elements beside an allocator; kpool_alloc_bulk() never waits
 * for frees (it may hold blocks while others wait); and a pool's cap
 * (max_blocks) bounds what reclaim can add.
 *
 * An atomic allocation (no __GFP_DIRECT_RECLAIM) fails only when every
 * block the pool has carved is in use (handed out, or being freed), and
 * the pool cannot grow: at its cap, the light page allocation failed, or
 * the caller cannot call the page allocator (hardirq context; on
 * PREEMPT_RT any caller that is not preemptible). A block free in any
 * CPU's magazine is found (step 5).
 *
 * Driver glue
 * -----------
 * KPOOL_PARAMS() (as KMEM_CACHE()), devm_kpool_create() (as
 * dmam_pool_create()) and the mempool adapters kpool_mempool_alloc() and
 * kpool_mempool_free() (as mempool_alloc_slab() and mempool_free_slab());
 * their contracts are their kernel-doc.
 *
 * Safety
 * ------
 * Every free is validated, always, in O(1): the block must belong to this
 * pool, start on a block and be allocated (each block has a state byte).
 * A bad free is refused, counted in the pool's error counters, reported
 * (rate-limited) with the pool's name, and leaves the pool untouched. Two
 * frees of one block racing on two CPUs may both be accepted (one is not
 * reported); the block is still handed out once only, and the pool's
 * counts are repaired and the race reported when the depot next scans
 * that chunk.
 *
 * With KPOOL_F_DEBUG a pool has no magazines (every operation takes the
 * checked slow path), fills free blocks with KPOOL_POISON_FREE (checked
 * when the block is allocated again), follows every block with a red zone
 * of at least KPOOL_REDZONE_MIN bytes of KPOOL_POISON_REDZONE (checked
 * when the block is freed) and records the allocation stack of every
 * block; corruption is counted and reported with a hexdump, the damaged
 * bytes are restored and the operation goes on; leaks at kpool_destroy()
 * list their allocation sites. Pools with a constructor are not poisoned
 * (it would destroy the constructed state) but still get red zones.
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
 * a caller who loses a block is reported as a leak. init_on_alloc zeroes
 * blocks handed out, except in pools with a constructor.
 *
 * Context
 * -------
 * Each function's kernel-doc says where it may be called. What holds for
 * all of them: no NMI context; in hardirq context the pool never grows,
 * it is served from its free blocks, its reserve and other CPUs'
 * magazines (the page allocator takes locks PREEMPT_RT turns into
 * sleeping ones, and lockdep's raw-lock nesting checks hold every kernel
 * to that); on PREEMPT_RT the same holds for every caller that is not
 * preemptible (raw spinlock held, interrupts off), which also bypasses
 * the magazines, whose lock may sleep. A pool must not be used while, or
 * after, it is destroyed.
 *
 * NUMA: chunks come from kpool_params.node (a node with memory), or, for
 * NUMA_NO_NODE, from the node of the CPU that grows the pool. Blocks are
 * not sorted by node afterwards: a block freed on another node's CPU is
 * cached there and may be handed out there (there are no per-node depots).
 *
 * Limits
 * ------
 * The parameters' ranges are struct kpool_params' kernel-doc; block_size
 * is KPOOL_MIN_BLOCK_SIZE .. KPOOL_MAX_BLOCK_SIZE bytes.
 * Chunk order: KPOOL_ORDER_AUTO picks, in the spirit of SLUB's
 * calc_slab_order(), a small order (at most KPOOL_MAX_ORDER) that wastes
 * little of the chunk; the rule is kpool_auto_order()'s, in
 * kpool_geometry.c, and kpool_get_stats() reports the order chosen. An
 * explicit order must hold at least one block.
 * Metadata out of the chunk: a header of about 128 bytes and one state
 * byte per block, i.e. 1/block_size of the chunk plus the header (at most
 * 1/32 of the chunk plus the header for blocks of 32 bytes and more; 1/8
 * and 1/16 for 8- and 16-byte blocks); debug pools add an owner record
 * per block. Per CPU: struct kpool_cpu, about 760 bytes on 64-bit, and
 * struct kpool_rcu_cpu (32 bytes); kpool_free_rcu() adds batches of 512
 * bytes: an open and a spare one per CPU that used it, and those waiting
 * for a grace period (all counted in meta_bytes).
 * min_blocks <= max_blocks when max_blocks is not 0.
 * A constructor cannot be combined with KPOOL_F_ZERO.
 *
 * Limitations
 * -----------
 * No per-node depots (above). No NMI context. A chunk is given back only
 * when all its blocks are free, after every CPU's magazine was drained
 * (kpool_shrink(), the shrinker), so a long-lived block pins its chunk.
 * Without KPOOL_F_TYPESAFE_RCU a freed block may be handed out again at
 * once and must not be read by anyone (KASAN reports it, debug pools
 * poison it).
 *
 * RCU: type-safe reuse and deferred frees
 * ---------------------------------------
 * A chunk leaves a pool (kpool_shrink(), the shrinker, kpool_destroy())
 * only when all its blocks are free, and its pages go back to the page
 * allocator only after an RCU grace period that starts after that: no
 * path gives a pool's memory back sooner.
 *
 * KPOOL_F_TYPESAFE_RCU makes that a promise to lockless readers, the
 * SLAB_TYPESAFE_BY_RCU contract: a block a reader found under
 * rcu_read_lock() stays, until rcu_read_unlock(), block_size bytes of
 * memory of this pool, a block of this pool, readable and writable
 * without any sanitizer report, even if it is freed and handed out again
 * meanwhile (possibly many times). It is not the same object: a reader
 * must check that it still is (a lock, a reference count taken with
 * refcount_inc_not_zero(), a key compared again). What a constructor set
 * and every owner keeps valid (e.g. a type or a lock) stays valid; other
 * contents may change at any time, zeroing on allocation included
 * (KPOOL_F_ZERO, init_on_alloc in pools without a constructor). For this,
 * such pools never poison free blocks: not in KASAN's shadow (so a use
 * after free by the block's owner is not reported either), not with
 * KPOOL_POISON_FREE in debug pools (red zones and owner tracking stay).
 *
 * kpool_free_rcu() frees a block after a grace period: readers that found
 * it before the call see its contents unchanged until they leave their
 * read-side section, in any pool. It needs no rcu_head in the block.
 */
#ifndef _KPOOL_H
#define _KPOOL_H

#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/gfp.h>
#include <linux/jump_label.h>
#include <linux/kasan.h>
#include <linux/local_lock.h>
#include <linux/numa.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/types.h>

/* KPOOL_NS, the API's symbol namespace: MODULE_IMPORT_NS(KPOOL_NS) */
#include "kpool_compat.h"
/* KPOOL_IOC_STATS_EVENTS(), the event counters */
#include "include/uapi/linux/kpool.h"

#define KPOOL_NAME_LEN		32
#define KPOOL_MIN_BLOCK_SIZE	8
#define KPOOL_MAX_BLOCK_SIZE	(256 * 1024)
#define KPOOL_AUTO_MAX_ORDER	3
#define KPOOL_MAX_ORDER		7

/* Pointers one CPU's magazine holds; refills and flushes move half. */
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
#define KPOOL_F_TYPESAFE_RCU	0x8	/* blocks stay pool memory for RCU readers */
#define KPOOL_F_ALL		(KPOOL_F_ZERO | KPOOL_F_DEBUG | \
				 KPOOL_F_NO_SHRINK | KPOOL_F_TYPESAFE_RCU)

/* kpool_params.order: let kpool choose the chunk order */
#define KPOOL_ORDER_AUTO	(-1)

/* kpool_params.gfp: the modifiers a pool accepts for its growth */
#define KPOOL_GFP_ALLOWED	(__GFP_ACCOUNT | __GFP_NORETRY | \
				 __GFP_RETRY_MAYFAIL | __GFP_NOMEMALLOC | \
				 __GFP_NOWARN | __GFP_ZERO)

/* kpool_set_fault(): probability_ppm is at most this */
#define KPOOL_FAULT_PPM_MAX	1000000

struct device;
struct kpool;

/**
 * struct kpool_params - how to build a pool
 * @name: shown in stats, debugfs and reports; unique among the live pools
 *	  of @owner (copied): 1 to KPOOL_NAME_LEN - 1 characters from
 *	  [A-Za-z0-9_.:-], not starting with '.'.
 * @block_size: bytes per block.
 * @align: block alignment, a power of two at most PAGE_SIZE; 0 for the
 *	   natural alignment (the largest power of two dividing @block_size,
 *	   capped at PAGE_SIZE, at least sizeof(void *)). The stride between
 *	   blocks is @block_size (plus a debug pool's red zone) rounded up
 *	   to it.
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
 * @boundary: 0, or a power of two at least the stride: no block crosses a
 *	      multiple of @boundary bytes (like dma_pool_create()'s
 *	      boundary; PAGE_SIZE keeps every block within a page; one at
 *	      or above the chunk size changes nothing). With 0, blocks may
 *	      straddle pages.
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

/**
 * KPOOL_PARAMS() - the parameters of a pool of one struct type
 * @__struct: the struct's tag (foo for struct foo).
 * @...: more fields, as designated initializers (.min_blocks = 16).
 *
 * In the spirit of KMEM_CACHE(): the pool is named after the tag, its
 * blocks are sizeof(struct @__struct), aligned to __alignof__(struct
 * @__struct) but at least to sizeof(void *) (as slab aligns objects), on
 * any node (NUMA_NO_NODE), with the chunk order kpool chooses
 * (KPOOL_ORDER_AUTO); everything else is 0 unless given in @....
 * A tag too long for a pool name, or a struct smaller than
 * KPOOL_MIN_BLOCK_SIZE or larger than KPOOL_MAX_BLOCK_SIZE, breaks the
 * build. The fields set here are not given again in @... (W=1 warns of
 * overridden initializers): spell struct kpool_params out for another
 * name, node or order. The common create is one line::
 *
 *	pool = kpool_create(&KPOOL_PARAMS(foo, .min_blocks = 16));
 *
 * Return: a struct kpool_params compound literal, for kpool_create() and
 * devm_kpool_create().
 */
#define KPOOL_PARAMS(__struct, ...)					\
	((const struct kpool_params) {					\
		.name = #__struct +					\
			BUILD_BUG_ON_ZERO(sizeof(#__struct) > KPOOL_NAME_LEN), \
		.block_size = sizeof(struct __struct) +			\
			BUILD_BUG_ON_ZERO(sizeof(struct __struct) <	\
					  KPOOL_MIN_BLOCK_SIZE ||	\
					  sizeof(struct __struct) >	\
					  KPOOL_MAX_BLOCK_SIZE),	\
		.align = __alignof__(struct __struct) > sizeof(void *) ? \
			 __alignof__(struct __struct) : sizeof(void *),	\
		.node = NUMA_NO_NODE,					\
		.order = KPOOL_ORDER_AUTO,				\
		__VA_ARGS__						\
	})

/*
 * The fields of struct kpool_stats, each listed once. KPOOL_STATE:
 * X(type, name), geometry and the pool's current state (see struct
 * kpool_stats); the event counters are the uapi header's
 * KPOOL_IOC_STATS_EVENTS(), X(name, offset), which says what each counts.
 * The core derives its counter enum, the stats filling and the debugfs file
 * from these lists.
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
	X(u64, blocks_rcu_pending)					\
	X(u64, blocks_reserved)						\
	X(u64, min_blocks)						\
	X(u64, max_blocks)						\
	X(u64, high_watermark)						\
	X(u64, wasted_per_chunk)					\
	X(u64, meta_per_chunk)						\
	X(u64, percpu_bytes)						\
	X(u64, meta_bytes)

#define KPOOL_STATS_FIELD(type, name) type name;
#define KPOOL_STATS_EVENT(name, ...) u64 name;

/**
 * struct kpool_stats - a consistent-enough snapshot of one pool
 * @name: the pool's name.
 *
 * The other fields come from KPOOL_STATE() and KPOOL_IOC_STATS_EVENTS().
 * State: id (kpool_id()); flags (KPOOL_F_*); node (the NUMA node chunks come
 * from, or NUMA_NO_NODE); block_size; block_stride (distance between
 * blocks: block_size plus the red zone of debug pools, rounded up to
 * align); align; boundary (0, or the power of two no block crosses);
 * chunk_order; blocks_per_chunk (the cap may cut the last chunk short);
 * chunks and pages (carved and not given back); blocks_total (blocks in
 * those chunks); blocks_in_use (handed out, exact when the pool is quiet; blocks
 * waiting for a grace period count as in use);
 * blocks_free (blocks_total - blocks_in_use: depot, reserve and magazines);
 * blocks_rcu_pending (blocks given to kpool_free_rcu() still waiting for
 * their grace period);
 * blocks_reserved (free blocks held as the reserve); min_blocks;
 * max_blocks (0 for no cap); high_watermark (the most blocks out of the
 * depot at once, sampled on the slow path: an upper bound of the most
 * blocks in use at once); wasted_per_chunk (bytes of a full chunk outside
 * every block: tails, alignment padding, red zones); meta_per_chunk
 * (bytes of out-of-line metadata per chunk: header and block states);
 * percpu_bytes (the pool's per-CPU area over every possible CPU);
 * meta_bytes (all of the pool's metadata: struct kpool, percpu_bytes, the
 * metadata of every chunk, kpool_free_rcu()'s batches and, at least, the
 * dentries and inodes of its debugfs entries).
 *
 * Events: the counters of KPOOL_IOC_STATS_EVENTS(), in its order (what
 * each counts is beside it there).
 */
struct kpool_stats {
	char name[KPOOL_NAME_LEN];

	KPOOL_STATE(KPOOL_STATS_FIELD)
	KPOOL_IOC_STATS_EVENTS(KPOOL_STATS_EVENT)
};

struct kpool *kpool_create(const struct kpool_params *params);
int kpool_destroy(struct kpool *pool);
struct kpool *devm_kpool_create(struct device *dev,
				const struct kpool_params *params);

/*
 * The hit paths, inline as objpool_pop() is: kpool_alloc() pops a block
 * from this CPU's magazine and kpool_free() validates a block and pushes
 * it, with no call and no stack frame in the caller. Everything else is
 * out of line. The structures below are what the inline code reads; only
 * kpool.ko writes them. The theory is at the top of kpool_cpu.c.
 */

/* A block's state byte (FREE must be 0); see kpool_internal.h. */
enum kpool_block_state {
	KPOOL_B_FREE,
	KPOOL_B_CACHED,
	KPOOL_B_ALLOC,
	KPOOL_B_FREEING,
	KPOOL_B_RCU0,
	KPOOL_B_RCU1,
};

/* A chunk, as a free validates a block of it (the head of its metadata). */
struct kpool_range {
	unsigned long base;		/* address of block 0 */
	unsigned long nr;		/* blocks found here; 0: none */
	u8 *state;			/* enum kpool_block_state, per block */
};

/* One magazine slot: a free block and its state byte. */
struct kpool_slot {
	void *block;
	u8 *state;			/* CACHED, else the block was stolen */
};

/* @count's unit of owners: one xadd takes the magazine and reads @nr */
#define KPOOL_MAG_BUSY		BIT_ULL(32)

/* One CPU's magazine of a pool. */
struct kpool_mag {
	union {
		u64 count;		/* @nr + @busy * KPOOL_MAG_BUSY */
		struct {		/* little-endian: see below */
			u32 nr;		/* slots in use, LIFO */
			u32 busy;	/* !RT: owners; the first owns */
		};
	};
	local_lock_t lock;		/* PREEMPT_RT: owns @nr and @slot */
	const struct kpool_range *hint;	/* chunk of a block freed here */
	unsigned long hits;		/* allocations served by @slot */
	unsigned long frees;		/* frees into @slot */
	struct kpool_slot slot[KPOOL_MAG_SIZE];
};

/* @nr is the low half of struct kpool_mag's @count */
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);

/* The head of struct kpool: what the hit paths read of a pool. */
struct kpool_hot {
	struct kpool_mag __percpu *mag;
	u64 inv;			/* of the stride's odd part, mod 2^64 */
	unsigned int shift;		/* log2 of the stride's even part */
	unsigned int mag_limit;		/* blocks a free may leave in @mag */
	gfp_t finish;			/* masks a hit passes to the finish */
};

/* Any allocation mask, for struct kpool_hot.finish: all of them */
#define KPOOL_GFP_ANY		((__force gfp_t)BIT(31))

DECLARE_STATIC_KEY_FALSE(kpool_traced);

void *kpool_alloc_miss(struct kpool *pool, gfp_t gfp);
void *kpool_alloc_finish(struct kpool *pool, void *block, gfp_t gfp);
int kpool_free_miss(struct kpool *pool, void *block);
void kpool_free_poison(struct kpool *pool, void *block);
void kpool_free_traced(struct kpool *pool);

/*
 * The index of the block at @addr in @r if there is one, else a number
 * >= r->nr: an exact division by the stride (odd part d, even part 2^k)
 * is one multiply by d's inverse and a rotate, and the quotient of an
 * address that is no multiple of the stride has one of its top k bits set
 * or exceeds (2^64 - 1) / d (Granlund and Montgomery), either way too big.
 */
static __always_inline unsigned long kpool_range_index(const struct kpool_hot *hot,
						       const struct kpool_range *r,
						       unsigned long addr)
{
	return ror64((addr - r->base) * hot->inv, hot->shift);
}

/*
 * The hit path of kpool_alloc() and kpool_mempool_alloc(): @miss is their
 * slow path.
 */
static __always_inline void *kpool_alloc_hit(struct kpool *pool, gfp_t gfp,
					     void *(*miss)(struct kpool *, gfp_t))
{
	const struct kpool_hot *hot = (const struct kpool_hot *)pool;
	struct kpool_mag __percpu *mag = hot->mag;
	struct kpool_slot __percpu *slot;
	u8 cached = KPOOL_B_CACHED;
	void *block;
	u64 nr;

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return miss(pool, gfp);
	preempt_disable();
	/* take the magazine; only this_cpu ops touch it, in program order */
	nr = this_cpu_add_return(mag->count, KPOOL_MAG_BUSY) -
	     KPOOL_MAG_BUSY;
	/* empty, or owned by a context this one interrupted */
	if (unlikely(nr - 1 >= KPOOL_MAG_SIZE)) {
		this_cpu_sub(mag->count, KPOOL_MAG_BUSY);
		preempt_enable();
		return miss(pool, gfp);
	}
	slot = mag->slot + nr - 1;
	block = this_cpu_read(slot->block);
	/* the one locked instruction; a thief may have taken the block */
	if (unlikely(!try_cmpxchg(this_cpu_read(slot->state), &cached,
				  KPOOL_B_ALLOC))) {
		this_cpu_write(mag->count, nr - 1);
		preempt_enable();
		return miss(pool, gfp);
	}
	/* pop and give the magazine back */
	this_cpu_write(mag->count, nr - 1);
	this_cpu_inc(mag->hits);
	preempt_enable();
	if (unlikely((gfp | KPOOL_GFP_ANY) & hot->finish) ||
	    static_branch_unlikely(&kpool_traced))
		return kpool_alloc_finish(pool, block, gfp);
	return block;
}

/**
 * kpool_alloc() - allocate a block
 * @pool: the pool.
 * @gfp: the allocation context: GFP_KERNEL and the like may sleep, reclaim
 *	 when the pool grows and wait for a free; GFP_ATOMIC and GFP_NOWAIT
 *	 never sleep. __GFP_ZERO zeroes the block.
 *
 * Tries this CPU's magazine, then the depot, light growth, the reserve,
 * the other CPUs' magazines and, if @gfp allows sleeping, growth with
 * reclaim and a wait for a free (the order above). A hit is not a
 * preemption point (as a kmem_cache hit is not on PREEMPT_NONE kernels).
 *
 * Context: Any context but NMI with an atomic @gfp; process context with a
 * sleeping @gfp.
 * Return: the block, or NULL if none could be had (atomic @gfp) or a fatal
 * signal ended the wait.
 */
static __always_inline void *kpool_alloc(struct kpool *pool, gfp_t gfp)
{
	return kpool_alloc_hit(pool, gfp, kpool_alloc_miss);
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
static __always_inline int kpool_free(struct kpool *pool, void *block)
{
	const struct kpool_hot *hot = (const struct kpool_hot *)pool;
	struct kpool_mag __percpu *mag = hot->mag;
	struct kpool_slot __percpu *slot;
	const struct kpool_range *r;
	unsigned long idx;
	u8 *state;
	u64 nr;

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return kpool_free_miss(pool, block);
	preempt_disable();
	/* as in kpool_alloc_hit() */
	nr = this_cpu_add_return(mag->count, KPOOL_MAG_BUSY) -
	     KPOOL_MAG_BUSY;
	r = this_cpu_read(mag->hint);
	idx = kpool_range_index(hot, r, (unsigned long)kasan_reset_tag(block));
	state = r->state + idx;
	/* full, owned, tight; not a block of the hint chunk; not ALLOC */
	if (unlikely(nr >= READ_ONCE(hot->mag_limit) || idx >= r->nr ||
		     READ_ONCE(*state) != KPOOL_B_ALLOC)) {
		this_cpu_sub(mag->count, KPOOL_MAG_BUSY);
		preempt_enable();
		return kpool_free_miss(pool, block);
	}
	/* before any other user can get it */
	if (IS_ENABLED(CONFIG_KASAN_GENERIC))
		kpool_free_poison(pool, block);
	slot = mag->slot + nr;
	this_cpu_write(slot->block, block);
	this_cpu_write(slot->state, state);
	WRITE_ONCE(*state, KPOOL_B_CACHED);
	/* push and give the magazine back */
	this_cpu_write(mag->count, nr + 1);
	this_cpu_inc(mag->frees);
	preempt_enable();
	if (static_branch_unlikely(&kpool_traced))
		kpool_free_traced(pool);
	return 0;
}

int kpool_free_owned(void *block, const void *owner_lo,
		     const void *owner_hi, const void **owner);
int kpool_alloc_bulk(struct kpool *pool, gfp_t gfp, unsigned int n,
		     void **blocks);
int kpool_free_bulk(struct kpool *pool, unsigned int n, void **blocks);
int kpool_free_rcu(struct kpool *pool, void *block);

unsigned long kpool_shrink(struct kpool *pool);
void kpool_get_stats(struct kpool *pool, struct kpool_stats *stats);

/* mempool_alloc_t and mempool_free_t: pool_data is the struct kpool * */
void *kpool_mempool_alloc(gfp_t gfp_mask, void *pool_data);
void kpool_mempool_free(void *element, void *pool_data);

/* Introspection, used by /dev/kpool and debugfs. */
u32 kpool_id(const struct kpool *pool);
const char *kpool_name(const struct kpool *pool);
const void *kpool_owner(const struct kpool *pool);
const void *kpool_block_owner(const void *ptr);
size_t kpool_block_size(const struct kpool *pool);
unsigned long kpool_nr_chunks(const struct kpool *pool);
long kpool_occupancy(struct kpool *pool, u32 *in_use, unsigned long nr);
int kpool_set_fault(struct kpool *pool, unsigned int every_nth,
		    unsigned int probability_ppm);

/*
 * Walks of every pool in the system (kpool_for_each(), kpool_with_id(),
 * kpool_registry_walk()) are not part of this API: they serve /dev/kpool,
 * debugfs and kpool's tests, are declared in kpool_registry.h and are
 * exported in namespace KPOOL_INTERNAL only. A consumer reaches the pools
 * it created, not other modules' pools.
 */

#endif /* _KPOOL_H */
