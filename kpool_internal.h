/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of kpool.ko share: the pool, chunk and per-CPU
 * structures, and the O(1) helpers from a pointer to its chunk and block
 * index.
 *
 * (The contract is in kpool.h; this is how the core keeps it.)
 *
 * Chunks, blocks and block states
 * -------------------------------
 * A chunk is 2^order pages from alloc_pages_node() (not compound, so
 * naturally aligned). Blocks are laid out from the chunk's first byte at
 * multiples of the stride and may straddle pages; with a boundary, the
 * chunk is cut into units of boundary bytes, each holding
 * boundary / stride blocks, so that no block crosses a unit. A block's
 * index is flat: unit * per_unit + slot, slot = offset in the unit / stride,
 * the division done with a 32-bit reciprocal of the stride (kpool_slot()).
 *
 * A chunk's metadata lives out of line, in a struct kpool_chunk allocated
 * with the chunk: list links, counts and one state byte per block
 * (enum kpool_block_state).
 *
 * Page ownership: every live chunk has a small id (an IDA) naming its slot
 * in the chunk table, the module's flat array of chunk pointers
 * (kpool_chunks: RCU-published, doubled when an id does not fit, the old
 * table freed after a grace period). Every page of a chunk carries the
 * chunk's tag in page->private: the id xor kpool_page_key, a random key of
 * the module with the top bit set. Any pointer is mapped to its chunk in
 * O(1) (kpool_ptr_chunk()): the tag of its struct page decodes to an id,
 * which must be inside the table, whose slot must hold a chunk, whose
 * pages must hold the pointer. Nothing is read on the way but the
 * pointer's struct page and memory kpool owns: a page that is not a
 * chunk's, whatever its private field holds (0, a random value, a tag
 * copied from a chunk's page), leads at most to a live chunk whose range
 * does not hold the pointer. A released chunk's slot and tags are cleared
 * before its grace period, and its id is reused only after it.
 *
 * The state byte is the single source of truth for a block:
 *   FREE     in the depot (under pool->lock);
 *   CACHED   in some CPU's magazine;
 *   ALLOC    handed out;
 *   FREEING  being freed by a slow path, which owns it until it is FREE or
 *            CACHED; or waiting in a batch of kpool_free_rcu();
 *   RCU0/1   waiting for a grace period outside any batch (below).
 * (Indices from nr_blocks on, where the cap cut the last chunk short, are
 * no blocks at all.)
 * Transitions out of FREE are made under pool->lock only. The magazine
 * pop is the one compare-and-exchange of a pair (CACHED -> ALLOC): it
 * arbitrates between the owner of the magazine and a thief (below), so a
 * block is handed out once even if its pointer sits in two magazines. The
 * fast free is a plain ALLOC -> CACHED, checked first: a double free is
 * refused in O(1). Two frees of one block racing on two CPUs may both pass
 * that check; the block is then in two magazines and still handed out once,
 * and if one of the frees took the slow path the depot's counts are
 * repaired when a scan finds them wrong (kpool_depot_take()).
 *
 * Calling context and locking
 * ---------------------------
 * See kpool.h for who may call what. kpool_registry_lock (mutex): the pool
 * list, the id xarray, name uniqueness; the shrinker only trylocks it.
 * pool->lock (raw spinlock, irqsave): see struct kpool. pool->release_lock
 * (mutex): chunks leaving the pool, so that walks of pool->chunks that
 * sleep (the debugfs leak report) see no chunk freed under them.
 * Order: kpool_registry_lock -> pool->release_lock -> magazine ownership
 * -> pool->lock -> the swait queue's lock. A CPU's kpool_rcu_cpu.lock and
 * pool->deferred.lock (raw, irqsave) are taken with nothing else of kpool's
 * held, and hold nothing else; so is kpool_table_lock (irqsave: growth
 * runs in softirq context too), which only pool->release_lock and
 * kpool_registry_lock may be held across.
 */
#ifndef _KPOOL_INTERNAL_H
#define _KPOOL_INTERNAL_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/ctype.h>
#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/fault-inject.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/kmemleak.h>
#include <linux/list.h>
#include <linux/local_lock.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/rculist.h>
#include <linux/reciprocal_div.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stackdepot.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/swait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "kpool.h"
#include "kpool_geometry.h"
#include "kpool_kasan.h"
#include "kpool_registry.h"
#include "kpool_trace.h"

#define KPOOL_MAG_BATCH		(KPOOL_MAG_SIZE / 2)
#define KPOOL_BULK_STEP		(4 * KPOOL_MAG_SIZE)	/* per depot lock hold */
#define KPOOL_STATE_GROUP	SMP_CACHE_BYTES	/* states on one line */
#define KPOOL_MIN_PER_CHUNK	8	/* blocks an automatic order prefers */
#define KPOOL_STACK_DEPTH	16	/* frames kept per allocation */
#define KPOOL_LEAKS_SHOWN	16	/* leaked blocks kpool_destroy() lists */
#define KPOOL_LEAKS_LISTED	4096	/* ...and the debugfs file at most */
#define KPOOL_DUMP_BYTES	64	/* hexdump around a corruption */
#define KPOOL_WAIT_RETRY	HZ	/* a waiting allocation retries growth */
#define KPOOL_DRAIN_INTERVAL	(HZ / 10) /* between asynchronous drains */

/* Flags of the allocation context that kpool passes on to growth. */
#define KPOOL_GFP_CONTEXT	(__GFP_HIGH | __GFP_IO | __GFP_FS | \
				 __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | \
				 __GFP_NORETRY | __GFP_RETRY_MAYFAIL | \
				 __GFP_NOMEMALLOC | __GFP_ACCOUNT | \
				 __GFP_HARDWALL | __GFP_NOWARN)

/* What a light growth attempt adds: fail fast, quietly, no emergency pool. */
#define KPOOL_GFP_LIGHT		(__GFP_NORETRY | __GFP_NOWARN | \
				 __GFP_NOMEMALLOC)

/*
 * Event counters, from KPOOL_IOC_STATS_EVENTS(); the kpool_error
 * tracepoint names an error by its err_* counter. The fast paths bump one
 * counter each: a magazine hit counts only cache_hits, so the allocs
 * counter holds the blocks handed out by the slow paths and
 * kpool_get_stats() adds the hits.
 */
#define KPOOL_EV_ENUM(name, ...) KPOOL_EV_##name,
enum kpool_event {
	KPOOL_IOC_STATS_EVENTS(KPOOL_EV_ENUM)
	KPOOL_NR_EVENTS
};

/* Blocks waiting for one grace period. */
struct kpool_rcu_batch {
	struct rcu_head rcu;		/* call_rcu() once closed */
	struct kpool *pool;		/* of the blocks */
	unsigned int nr;		/* pointers in @blocks */
	void *blocks[];			/* FREEING, claimed by kpool_free_rcu() */
};

/* A batch is one small slab object; the pointers it holds: */
#define KPOOL_RCU_BATCH_BYTES	1024
#define KPOOL_RCU_BATCH		((KPOOL_RCU_BATCH_BYTES - \
				  sizeof(struct kpool_rcu_batch)) / sizeof(void *))
/* An open batch is closed at the latest this long after it was opened. */
#define KPOOL_RCU_DELAY		(HZ / 50)

/* One CPU's deferred frees of a pool. */
struct kpool_rcu_cpu {
	/* raw, irqsave: this CPU and the work closing every CPU's batch */
	raw_spinlock_t lock;		/* guards the next three */
	struct kpool_rcu_batch *open;	/* being filled, or NULL */
	struct kpool_rcu_batch *spare;	/* empty, for the next open, or NULL */
	/* chunk of the last block added to @open, valid while @open is set */
	const struct kpool_range *hint;
	/* claimed minus finished here; summed: blocks_rcu_pending */
	long pending;
};

/* A pool's deferred frees. */
struct kpool_deferred {
	struct kpool_rcu_cpu __percpu *cpu;	/* the per-CPU batches */
	/*
	 * Raw, irqsave (any context): guards the next three and orders every
	 * RCU0/RCU1 mark against the flip of @gen.
	 */
	raw_spinlock_t lock;
	unsigned int gen;		/* 0 or 1: the mark of blocks now */
	/* get_state_synchronize_rcu() after each generation's latest mark */
	unsigned long cookie[2];
	unsigned long marked[2];	/* per generation, not yet finished */
	/* kpool_free_rcu() was called: kpool_destroy() does rcu_barrier() */
	bool used;
	/* for meta_bytes: allocated, not freed (open, spare, waiting...) */
	atomic_long_t batches;
	struct delayed_work close;	/* closes every CPU's open batch */
	/* finishes a generation's marked blocks after its grace period */
	struct work_struct scan;
};

/* Growth attempts that fail: a pool's own (kpool_set_fault()) or all's. */
struct kpool_fault {
	unsigned int every;		/* every Nth attempt; 0: none */
	unsigned int ppm;		/* else this many per million, at random */
	atomic_t count;			/* attempts since @every was set */
};

/* One CPU's part of a pool. */
struct kpool_cpu {
	/*
	 * The magazine (kpool.h). Its hint is the range of a chunk
	 * (&kpool_no_chunk's for none), set by the owner of the magazine,
	 * replaced by kpool_forget_chunk() before the chunk is given back.
	 */
	struct kpool_mag mag;		/* first: pool->hot.mag points here */
	/* event counters (enum kpool_event), summed by kpool_get_stats() */
	unsigned long ev[KPOOL_NR_EVENTS];
	struct work_struct drain_work;	/* drains @mag, on this CPU */
	struct kpool *pool;		/* the pool, for @drain_work */
};

/* Who allocated a block of a debug pool. */
struct kpool_owner {
	/* the caller of kpool_alloc() or kpool_alloc_bulk() */
	unsigned long ip;
	depot_stack_handle_t stack;	/* allocation stack (depot), or 0 */
	/* kmemleak tracks the block (not where it could not allocate) */
	bool tracked;
};

/* 2^order pages cut into blocks, and their metadata. */
struct kpool_chunk {
	/*
	 * The chunk as kpool_free() finds blocks in it: @base, the blocks at
	 * multiples of the stride from it (all of @nr_blocks, or none where
	 * a boundary leaves gaps), @state.
	 */
	struct kpool_range range;
	/* on pool->partial, pool->full or pool->empty; under pool->lock */
	struct list_head list;
	/*
	 * On pool->chunks; changed under pool->lock, walked under RCU or
	 * pool->release_lock.
	 */
	struct list_head node;
	/*
	 * Frees the chunk after the readers of @node, of the hint, of its
	 * slot in the chunk table and of its pages' tags are gone.
	 */
	struct rcu_head rcu;
	struct kpool *pool;		/* the pool it belongs to */
	struct page *page;		/* the first page */
	void *base;			/* its address */
	/* the offset of the last block plus one (0 for kpool_no_chunk) */
	unsigned long span;
	unsigned int order;		/* the pool's chunk order, for @rcu */
	unsigned int id;		/* its slot in the chunk table */
	/* fewer than per_chunk when the cap cut the last chunk short */
	unsigned int nr_blocks;		/* blocks carved */
	/* under pool->lock: */
	unsigned int nr_free;		/* FREE states */
	unsigned int cursor;		/* where the next depot scan starts */
	struct kpool_owner *owners;	/* debug pools: each block's owner */
	/*
	 * One enum kpool_block_state per block, cache-line aligned so that
	 * groups of KPOOL_STATE_GROUP states share no line.
	 */
	u8 state[] ____cacheline_aligned;
};

/* Every live chunk, in the slot of its id. */
struct kpool_chunk_table {
	/* frees the table once a bigger one replaced it and its readers left */
	struct rcu_head rcu;
	unsigned int size;		/* slots; a table never changes size */
	struct kpool_chunk __rcu *slot[];	/* each id's chunk, or NULL */
};

/* Slots of the first chunk table; each growth doubles them. */
#define KPOOL_TABLE_MIN		256

/* A pool. */
struct kpool {
	/* what the fast paths read, together in the first 64 bytes */
	/*
	 * What the inline hit paths read (kpool.h), first.
	 * @hot.mag_limit: @mag_size, or 0 while the pool is @tight; written
	 * under @lock, read by the fast free (one compare for both
	 * conditions).
	 * @hot.finish: the allocation masks a hit hands to
	 * kpool_alloc_finish(): __GFP_ZERO, or all of them where every hit
	 * has more to do (zeroing, KASAN, lockdep).
	 * @hot.inv and @hot.shift: the stride, for kpool_range_index().
	 */
	struct kpool_hot hot;
	struct kpool_cpu __percpu *cpu;	/* per-CPU magazines and counters */
	unsigned long chunk_bytes;	/* bytes per chunk */
	/* the unit size minus one (the chunk size without boundary) */
	unsigned long unit_mask;
	u32 stride_recip;		/* ceil(2^32 / @stride): kpool_slot() */
	unsigned int unit_shift;	/* log2 of the unit size */
	unsigned int stride;		/* distance between blocks */
	unsigned int per_unit;		/* blocks per unit */
	/* pointers a magazine may hold; 0 for debug pools */
	unsigned int mag_size;
	unsigned int size;		/* block size */
	gfp_t zero_gfp;			/* __GFP_ZERO if KPOOL_F_ZERO, else 0 */
	void (*ctor)(void *block, void *arg);	/* block constructor */

	unsigned int flags;		/* KPOOL_F_* */
	unsigned int align;		/* block alignment */
	/* 0, or the unit size (kpool_params.boundary) */
	unsigned int boundary;
	unsigned int order;		/* chunk order */
	unsigned int per_chunk;		/* blocks per full chunk */
	struct reciprocal_value per_unit_recip;	/* block address from index */
	size_t chunk_meta;		/* bytes of kpool_chunk and state[] */
	/*
	 * Frees take the slow path, which wakes waiting allocations and
	 * refills the reserve: allocations wait (@nr_hungry), or the reserve
	 * is short while the pool can still grow (at the cap, the reserve
	 * protects nothing the other free blocks do not: a pool with
	 * min_blocks == max_blocks is never tight for its reserve).
	 */
	bool tight;

	/*
	 * Guards the depot (the chunk lists below, every chunk's nr_free and
	 * cursor, the FREE states), the counts below up to @high_watermark,
	 * @tight and @hot.mag_limit.
	 */
	raw_spinlock_t lock;
	/* the chunks with some, none or all of their blocks in the depot */
	struct list_head partial;
	struct list_head full;
	struct list_head empty;
	struct list_head chunks;	/* every chunk, in creation order */
	unsigned long nr_chunks;	/* chunks on @chunks */
	unsigned long nr_empty;		/* chunks on @empty */
	unsigned long blocks_total;	/* blocks carved */
	/* blocks of chunks being carved, counted against the cap */
	unsigned long blocks_growing;
	unsigned long depot_free;	/* FREE blocks, the reserve included */
	unsigned int nr_reserve;	/* of @depot_free, the reserve */
	unsigned int nr_hungry;		/* allocations that may wait on @wait */
	unsigned long high_watermark;	/* most blocks ever out of the depot */

	/*
	 * Allocations waiting for a free. A simple wait queue, not a
	 * wait_queue_head: frees wake it in any context (hardirq included),
	 * and on PREEMPT_RT a wait_queue_head's lock sleeps where swait's,
	 * a raw spinlock, does not. Waiters are exclusive, woken one by one;
	 * swake_up_all() only from the drains, in process context.
	 */
	struct swait_queue_head wait;
	/*
	 * Serialises chunks leaving the pool (see the theory of operation)
	 * with the debugfs leak walk.
	 */
	struct mutex release_lock;

	unsigned int min_blocks;	/* the reserve to keep */
	unsigned int max_blocks;	/* cap on @blocks_total, 0 for none */
	int node;			/* NUMA node of the chunks */
	gfp_t gfp;			/* extra flags: growth and metadata */
	void *ctor_arg;			/* the constructor's argument */
	const void *owner;		/* the creator's cookie */

	struct kpool_fault fault;	/* set by kpool_set_fault() */
#ifdef CONFIG_FAULT_INJECTION
	/*
	 * Consulted on every growth attempt (debugfs knobs in the pool's
	 * directory, fail-nth).
	 */
	struct fault_attr fail_grow;
#endif
	/* jiffies before which no asynchronous drain is requested */
	unsigned long drain_next;
	struct work_struct drain_work;	/* drains every magazine */

	u32 id;				/* registry id */
	/*
	 * On kpool_list; changed under kpool_registry_lock, walked under it
	 * or under RCU (kpool_cpu_dead()).
	 */
	struct list_head list;
	/*
	 * Frees the pool after the readers of chunk->pool and of kpool_list
	 * are gone.
	 */
	struct rcu_head rcu;
	struct dentry *debugfs;		/* the pool's debugfs directory */
	/* what its entries cost, at least a dentry and an inode each */
	unsigned int debugfs_bytes;	/* for meta_bytes */
	struct kpool_deferred deferred;	/* kpool_free_rcu()'s batches, marks */
	char name[KPOOL_NAME_LEN];	/* the pool's name */
};

/* kpool_registry_lock guards kpool_list, kpool_ids and name uniqueness. */
extern struct mutex kpool_registry_lock;
extern struct list_head kpool_list;
extern struct xarray kpool_ids;

extern struct workqueue_struct *kpool_wq;
/*
 * kpool_free_rcu()'s work items: apart from kpool_wq, whose drains are
 * flushed under pool->release_lock, which the scan takes.
 */
extern struct workqueue_struct *kpool_rcu_wq;
extern struct dentry *kpool_debugfs_root;
/*
 * The tag of a chunk's pages (page->private) is the chunk's id xor this
 * key. Its top bit is set, so that page->private == 0 (most pages) never
 * decodes to an id inside the table.
 */
extern unsigned long kpool_page_key;
/* The chunk table; see the theory of operation. */
extern struct kpool_chunk_table __rcu *kpool_chunks;
/* kpool_table_lock guards which table kpool_chunks is, and its slots. */
extern spinlock_t kpool_table_lock;
/* The ids of chunks in the table and of chunks waiting for a grace period */
extern struct ida kpool_chunk_ids;
/* pages of all chunks not yet given back: must be 0 when kpool unloads */
extern atomic_long_t kpool_pages_held;
extern bool kpool_stack_depot_ready;
extern struct shrinker *kpool_shrinker;

/* The hint of a CPU that has none: it holds no block, so none matches. */
extern struct kpool_chunk kpool_no_chunk;

/* cpu */
struct kpool_chunk *kpool_ptr_chunk(unsigned long addr);
void kpool_mag_flush(struct kpool *pool, struct kpool_cpu *pc, unsigned int n);
void kpool_drain_work(struct work_struct *work);
bool kpool_drain_all(struct kpool *pool, bool try);
void kpool_drain_all_work(struct work_struct *work);
bool kpool_drain_due(struct kpool *pool);
void kpool_drain_kick(struct kpool *pool);
void *kpool_hand_out_slow(struct kpool *pool, void *block, gfp_t gfp,
			  unsigned long ip);
void kpool_mag_fill(struct kpool *pool, struct kpool_cpu *pc, void **blocks,
		    unsigned int n);
void kpool_bad_free(struct kpool *pool, const void *block, int err);
int kpool_free_slow(struct kpool *pool, void *block, unsigned long addr);
int kpool_cpu_dead(unsigned int cpu);
/* depot */
void kpool_update_tight(struct kpool *pool);
bool kpool_mags_hold_any(struct kpool *pool);
unsigned int kpool_depot_take(struct kpool *pool, void **out, unsigned int n,
			      u8 to, bool use_reserve);
void kpool_depot_put(struct kpool *pool, struct kpool_chunk *chunk,
		     unsigned int n, unsigned int idx);
void *kpool_get(struct kpool *pool, gfp_t gfp, bool may_wait, unsigned long ip);
long kpool_free_claim(struct kpool *pool, void *block, unsigned long addr,
		      struct kpool_chunk **chunkp);
void kpool_free_finish(struct kpool *pool, struct kpool_chunk *chunk,
		       unsigned int idx, void *block);
/* chunk */
bool kpool_may_alloc_pages(void);
struct kpool_chunk_table *kpool_table_alloc(unsigned int size, gfp_t gfp);
void kpool_table_set(unsigned int id, struct kpool_chunk *chunk);
void kpool_chunk_release(struct kpool *pool, struct kpool_chunk *chunk);
void kpool_fault_attr_init(struct kpool *pool);
unsigned int kpool_fault_debugfs(struct kpool *pool);
int kpool_grow(struct kpool *pool, gfp_t gfp);
gfp_t kpool_grow_gfp(const struct kpool *pool, gfp_t gfp, bool light);
unsigned long kpool_shrink_count(struct shrinker *shrinker,
				 struct shrink_control *sc);
unsigned long kpool_shrink_scan(struct shrinker *shrinker,
				struct shrink_control *sc);
/* rcu */
void kpool_rcu_barrier(struct kpool *pool);
int kpool_rcu_init(struct kpool *pool, gfp_t gfp);
void kpool_rcu_free(struct kpool *pool);
/* debug */
bool kpool_debug_checks(const struct kpool *pool);
void kpool_debug_init_block(struct kpool *pool, void *block, bool poison);
void kpool_debug_alloc(struct kpool *pool, void *block, gfp_t gfp,
		       unsigned long ip);
void kpool_debug_free(struct kpool *pool, struct kpool_chunk *chunk,
		      unsigned int idx, void *block);
void kpool_report_leaks(struct kpool *pool, unsigned long in_use);
int kpool_debug_chunk_init(struct kpool *pool, struct kpool_chunk *chunk,
			   gfp_t gfp);
void kpool_debug_chunk_track(struct kpool *pool, struct kpool_chunk *chunk,
			     gfp_t gfp);
void kpool_debug_chunk_untrack(struct kpool *pool, struct kpool_chunk *chunk);
void kpool_debug_not_leak(struct kpool *pool, struct kpool_chunk *chunk,
			  unsigned int idx);
u64 kpool_debug_meta_per_chunk(const struct kpool *pool);
unsigned int kpool_debug_debugfs(struct kpool *pool);
/* geometry */
void kpool_set_geometry(struct kpool *pool, const struct kpool_params *p,
			const struct kpool_geometry *g);
/* stats */
const char *kpool_event_name(enum kpool_event item);
unsigned long kpool_in_use(struct kpool *pool);
void kpool_debugfs_add(struct kpool *pool);
/* pool */
bool kpool_name_valid(const char *name);
void kpool_free_memory(struct kpool *pool);

/* Bump an event counter (enum kpool_event) of this CPU; no call level. */
#define kpool_cpu_count(cpu, item)	this_cpu_inc((cpu)->ev[item])
#define kpool_count(pool, item)		kpool_cpu_count((pool)->cpu, item)
#define kpool_count_n(pool, item, n)	this_cpu_add((pool)->cpu->ev[item], n)

/* Pinning and magazine ownership */

/*
 * Pin the task to this CPU. The section is also an RCU read-side critical
 * section, which keeps a chunk found from a pointer (or the hint) and its
 * pool alive until kpool_cpu_unpin().
 */
static __always_inline void kpool_cpu_pin(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		migrate_disable();
		rcu_read_lock();
	} else {
		preempt_disable();
	}
}

static __always_inline void kpool_cpu_unpin(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		rcu_read_unlock();
		migrate_enable();
	} else {
		preempt_enable();
	}
}

/*
 * Claim this CPU's magazine; the task is pinned. False when this context
 * interrupted the owner (!PREEMPT_RT) or cannot sleep (PREEMPT_RT).
 */
static __always_inline bool kpool_mag_own(struct kpool_cpu __percpu *cpu)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		if (!preemptible())
			return false;
		local_lock(&cpu->mag.lock);
		/* held until kpool_mag_release(): a conditional lock to sparse */
		__release(&cpu->mag.lock);
		return true;
	}
	if (likely(this_cpu_add_return(cpu->mag.count, KPOOL_MAG_BUSY) <
		   2 * KPOOL_MAG_BUSY)) {
		/* the magazine is touched only after it is taken... */
		barrier();
		return true;
	}
	this_cpu_sub(cpu->mag.count, KPOOL_MAG_BUSY);
	return false;
}

static __always_inline void kpool_mag_release(struct kpool_cpu __percpu *cpu)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		/* taken in kpool_mag_own() */
		__acquire(&cpu->mag.lock);
		local_unlock(&cpu->mag.lock);
	} else {
		/* ...and no longer once it is given back */
		barrier();
		this_cpu_sub(cpu->mag.count, KPOOL_MAG_BUSY);
	}
}

/*
 * kpool_mag_own() for the slow paths: this CPU's part, owned until
 * kpool_mag_release(), or NULL.
 */
static __always_inline struct kpool_cpu *kpool_mag_get(struct kpool *pool)
{
	return kpool_mag_own(pool->cpu) ? this_cpu_ptr(pool->cpu) : NULL;
}

/*
 * Pop up to @n blocks of @pc's magazine, which this context owns, into
 * @out: CACHED -> ALLOC, skipping the stale slots of stolen blocks. Return
 * how many.
 */
static __always_inline unsigned int kpool_mag_pop(struct kpool_cpu *pc,
						  void **out, unsigned int n)
{
	struct kpool_mag *mag = &pc->mag;
	struct kpool_slot *slot = mag->slot + mag->nr;
	void **o = out, **stop = out + n;
	u8 cached;

	/* nr is stored once, at the end: the magazine is this context's */
	while (slot > mag->slot && o < stop) {
		slot--;
		cached = KPOOL_B_CACHED;
		if (likely(try_cmpxchg(slot->state, &cached, KPOOL_B_ALLOC)))
			*o++ = slot->block;
	}
	mag->nr = slot - mag->slot;
	return o - out;
}

/* The chunk of a magazine's hint. */
static __always_inline struct kpool_chunk *kpool_hint(struct kpool_mag *mag)
{
	return container_of(READ_ONCE(mag->hint), struct kpool_chunk, range);
}

/* Block indices */

/*
 * The slot of the block starting at byte @in of a unit. With
 * m = stride_recip = ceil(2^32 / s) = (2^32 + e) / s, 0 <= e < s: for
 * in = q * s, in * m / 2^32 = q + q * e / 2^32 and q * e < q * s = in
 * < 2^32, so the result is exactly q. For any other @in no slot satisfies
 * slot * s == in: kpool_index() checks that.
 */
static __always_inline unsigned int kpool_slot(const struct kpool *pool,
					       unsigned int in)
{
	return ((u64)in * pool->stride_recip) >> 32;
}

/* The address of block @idx of @chunk. */
static __always_inline void *kpool_block_addr(const struct kpool *pool,
					      const struct kpool_chunk *chunk,
					      unsigned int idx)
{
	unsigned int unit;

	if (likely(!pool->boundary))
		return chunk->base + (unsigned long)idx * pool->stride;
	unit = reciprocal_divide(idx, pool->per_unit_recip);
	return chunk->base + ((unsigned long)unit << pool->unit_shift) +
	       (idx - unit * pool->per_unit) * pool->stride;
}

/* The index of a block known to be one of @chunk's. */
static __always_inline unsigned int kpool_block_index(const struct kpool *pool,
						      const struct kpool_chunk *chunk,
						      const void *block)
{
	unsigned long off = block - chunk->base;
	unsigned int idx = kpool_slot(pool, off & pool->unit_mask);

	if (unlikely(pool->boundary))
		idx += (off >> pool->unit_shift) * pool->per_unit;
	return idx;
}

/*
 * The index of the block at @addr if @addr is the start of a block of
 * @chunk, else -1. Reads only @chunk's base and span: block offsets grow
 * with their indices, so the span check refuses what lies past the last
 * block carved.
 */
static __always_inline long kpool_index(const struct kpool *pool,
					const struct kpool_chunk *chunk,
					unsigned long addr)
{
	unsigned long off = addr - (unsigned long)chunk->base;
	unsigned int in, idx;

	if (unlikely(off >= chunk->span))
		return -1;
	in = off & pool->unit_mask;
	idx = kpool_slot(pool, in);
	if (unlikely(idx * pool->stride != in))
		return -1;
	if (unlikely(pool->boundary)) {
		/* past the last block of a unit, before the next unit */
		if (idx >= pool->per_unit)
			return -1;
		idx += (off >> pool->unit_shift) * pool->per_unit;
	}
	return idx;
}

/*
 * The chunk table and the chunk in one of its slots, for an RCU read-side
 * section (a pinned section is one), which keeps both alive.
 */
static __always_inline struct kpool_chunk_table *kpool_table(void)
{
	/* pairs with the rcu_assign_pointer() of kpool_table_double() */
	return rcu_dereference_check(kpool_chunks, rcu_read_lock_any_held());
}

static __always_inline struct kpool_chunk *
kpool_table_slot(struct kpool_chunk_table *table, unsigned long id)
{
	/* pairs with the rcu_assign_pointer() of kpool_table_set() */
	return rcu_dereference_check(table->slot[id], rcu_read_lock_any_held());
}

/*
 * The chunk of a block known to belong to a live chunk, in an RCU
 * read-side section (for the table; the chunk outlives it, its block
 * being allocated).
 */
static __always_inline struct kpool_chunk *kpool_block_chunk(const void *block)
{
	unsigned long id = page_private(virt_to_page(block)) ^ kpool_page_key;

	return kpool_table_slot(kpool_table(), id);
}

/*
 * The index of the block at @addr if @addr is the start of a block of
 * @chunk, else -1: by exact division (kpool_range_index()) where the
 * blocks sit at multiples of the stride, by kpool_index() where a boundary
 * leaves gaps (range.nr is 0 there).
 */
static __always_inline long kpool_chunk_index(const struct kpool *pool,
					      const struct kpool_chunk *chunk,
					      unsigned long addr)
{
	unsigned long idx = kpool_range_index(&pool->hot, &chunk->range, addr);

	if (likely(idx < chunk->range.nr))
		return idx;
	return chunk->range.nr ? -1 : kpool_index(pool, chunk, addr);
}

/*
 * Find the block @addr of @pool: its chunk (*@chunkp, a CPU's hint or the
 * chunk of the block before, is tried first, then the chunk of its struct
 * page) and index. The task is pinned. Return the index, *@chunkp then
 * being the block's chunk; -EINVAL for memory that is not the pool's,
 * -EFAULT for a pointer into the pool that is not the start of a block.
 */
static __always_inline long kpool_find(struct kpool *pool, unsigned long addr,
				       struct kpool_chunk **chunkp)
{
	struct kpool_chunk *chunk = *chunkp;
	long idx = kpool_chunk_index(pool, chunk, addr);

	if (likely(idx >= 0))
		return idx;
	chunk = kpool_ptr_chunk(addr);
	if (!chunk || READ_ONCE(chunk->pool) != pool)
		return -EINVAL;
	idx = kpool_chunk_index(pool, chunk, addr);
	if (idx < 0)
		return -EFAULT;
	*chunkp = chunk;
	return idx;
}

/*
 * Is @gfp atomic and @pool used up, so that no step of the allocation order
 * after this CPU's magazine can succeed: no block in the depot (the reserve
 * included), the pool at its cap and every magazine empty? A racy look,
 * without pool->lock, as the steal's search.
 */
static inline bool kpool_used_up(struct kpool *pool, gfp_t gfp)
{
	/* racy: read without pool->lock, as the steal searches */
	unsigned long carved = data_race(pool->blocks_total +
					 pool->blocks_growing);

	/* and the depot's count, racy as well */
	return !gfpflags_allow_blocking(gfp) && !data_race(pool->depot_free) &&
	       pool->max_blocks && carved >= pool->max_blocks &&
	       !kpool_mags_hold_any(pool);
}

/*
 * Are free blocks of a debug pool poisoned: not if that would destroy a
 * constructed state, nor where RCU readers may still read them.
 */
static inline bool kpool_poisons(const struct kpool *pool)
{
	return !pool->ctor && !(pool->flags & KPOOL_F_TYPESAFE_RCU);
}

/*
 * A block becomes free: poisoned in KASAN's shadow, unless RCU readers of a
 * type-safe pool may still read it.
 */
static __always_inline void kpool_poison_free(const struct kpool *pool,
					      void *block)
{
	if (!(pool->flags & KPOOL_F_TYPESAFE_RCU))
		kpool_kasan_poison(block, pool->size, KPOOL_KASAN_FREE,
				   pool->stride);
}

/* Zero a block handed out when asked or when init_on_alloc is on. */
static __always_inline bool kpool_zeroes(const struct kpool *pool, gfp_t gfp)
{
	gfp |= pool->zero_gfp;
	if (gfp & __GFP_ZERO)
		return true;
	/* ...but never a constructed block */
	return want_init_on_alloc(gfp) && !pool->ctor;
}

/* Hand a block out: what every allocation does last. */
static __always_inline void *kpool_hand_out(struct kpool *pool, void *block,
					    gfp_t gfp, bool cached)
{
	kpool_kasan_unpoison(block, pool->size, pool->stride);
	if (unlikely(kpool_zeroes(pool, gfp)))
		memset(block, 0, pool->size);
	trace_kpool_alloc(pool->id, pool->name, cached);
	return block;
}

/*
 * Make the ALLOC block whose state byte is @state the free block of @slot,
 * a slot past the nr of a magazine this context owns; the caller counts
 * it in nr.
 */
static __always_inline void kpool_slot_fill(struct kpool *pool,
					    struct kpool_slot *slot,
					    void *block, u8 *state)
{
	/* before any other user can get it */
	kpool_poison_free(pool, block);
	slot->block = block;
	slot->state = state;
	WRITE_ONCE(*state, KPOOL_B_CACHED);
}

/*
 * Put the ALLOC block @idx of @chunk into @pc's magazine, which this
 * context owns and which has room; @chunk becomes the hint.
 */
static __always_inline void kpool_mag_push(struct kpool *pool,
					   struct kpool_cpu *pc,
					   struct kpool_chunk *chunk,
					   void *block, unsigned int idx)
{
	kpool_slot_fill(pool, pc->mag.slot + pc->mag.nr++, block,
			chunk->state + idx);
	WRITE_ONCE(pc->mag.hint, &chunk->range);
}

#endif /* _KPOOL_INTERNAL_H */
