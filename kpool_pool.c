// SPDX-License-Identifier: GPL-2.0
/*
 * kpool - pools of fixed-size blocks carved from alloc_pages() chunks.
 *
 * Theory of operation
 * ===================
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
 * repaired when a scan finds them wrong (kpool_chunk_take()).
 *
 * Per-CPU magazines
 * -----------------
 * struct kpool_cpu holds a LIFO magazine of block pointers, the hint (the
 * chunk of the last block this CPU put in its magazine, whose range check
 * validates a free without reading any struct page) and the event counters.
 * The hit paths are leaves: what a hit may still have to do (zeroing,
 * tracing, might_alloc(), which for a sleeping mask calls into the
 * scheduler) is tail-called after the magazine is released, so they keep
 * nothing across a call and build no stack frame. Bulk frees claim the
 * magazine once for a run of blocks and, once it is full, put the rest
 * into the depot under one lock hold per KPOOL_MAG_SIZE blocks.
 * Magazine ownership:
 *  - !PREEMPT_RT: the task is pinned with preempt_disable() and claims the
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
 *
 * The depot
 * ---------
 * Free blocks not in magazines: the FREE states of the chunks, with each
 * chunk's count and a scan cursor, the chunks on three lists by that count
 * (partial, full, empty: refills take partial chunks first so that empty
 * ones can be given back). A refill moves a batch of KPOOL_MAG_BATCH
 * blocks, scanning from the cursor, which then moves to the next group of
 * KPOOL_STATE_GROUP states (one cache line): CPUs refilling from one chunk
 * get blocks whose states sit on different cache lines, so their fast
 * paths do not write a line another CPU writes. Everything in the depot
 * is under pool->lock, a raw spinlock taken irqsave (hardirq callers), held
 * for bounded work: one batch, one chunk's scan, one flush.
 *
 * Growth, the reserve and waiting
 * -------------------------------
 * min_blocks free blocks of the depot are the reserve. An allocation that
 * misses its magazine tries, in mempool's order: the depot outside the
 * reserve; growth with a light mask (no direct reclaim or I/O, NORETRY,
 * NOWARN, NOMEMALLOC); the reserve; blocks cached by other CPUs; then, only
 * if it may sleep, growth with the caller's mask (reclaim), a drain of every
 * magazine, and a killable wait for a free, draining again before every
 * sleep. A block that returns to the depot while the reserve is short
 * refills it. The pool is "tight" while allocations wait or while the
 * reserve is short and the pool could still grow: frees then take the slow
 * path, straight to the depot (the fast free sees it as a magazine limit
 * of 0, pool->mag_limit, so one compare covers both), and refills take
 * single blocks, so free blocks go where they are needed. A pool at its
 * cap is never tight for its reserve: there the reserve protects nothing
 * the other free blocks do not, and min_blocks == max_blocks pools run on
 * the magazines. Growth carves a chunk outside the lock and publishes it
 * under the lock; its blocks are claimed against max_blocks first, so concurrent
 * growth never passes the cap. A chunk is published only after its slot in
 * the chunk table and its pages' tags are written (kpool_chunk_map(); the
 * slot's rcu_assign_pointer() pairs with the rcu_dereference() of the
 * lookups).
 *
 * Deferred frees (kpool_free_rcu())
 * --------------------------------
 * The call validates and claims the block at once (ALLOC -> FREEING, as a
 * slow free), then records its pointer in this CPU's open batch (struct
 * kpool_rcu_batch: an rcu_head and up to KPOOL_RCU_BATCH pointers, like
 * kvfree_rcu()'s pages of pointers). A full batch goes to call_rcu() at
 * once; open ones are closed by a delayed work item of the pool, which
 * walks every possible CPU (a dead CPU's batch is closed like any other).
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
#include <linux/kallsyms.h>
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
#include "kpool_kasan.h"
#include "kpool_registry.h"

#define CREATE_TRACE_POINTS
#include "kpool_trace.h"

#define KPOOL_MAG_BATCH		(KPOOL_MAG_SIZE / 2)
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
 * Event counters, from KPOOL_EVENTS(). The fast paths bump one counter
 * each: a magazine hit counts only cache_hits, so the allocs counter holds
 * the blocks handed out by the slow paths and kpool_get_stats() adds the
 * hits.
 */
#define KPOOL_EV_ENUM(type, name) KPOOL_EV_##name,
enum kpool_event {
	KPOOL_EVENTS(KPOOL_EV_ENUM)
	KPOOL_NR_EVENTS
};

/* Where each counter goes in struct kpool_stats. */
#define KPOOL_EV_OFFSET(type, name) offsetof(struct kpool_stats, name),
static const unsigned short kpool_event_offset[KPOOL_NR_EVENTS] = {
	KPOOL_EVENTS(KPOOL_EV_OFFSET)
};

/* A block's state byte; see the theory of operation. FREE must be 0. */
enum kpool_block_state {
	KPOOL_B_FREE,
	KPOOL_B_CACHED,
	KPOOL_B_ALLOC,
	KPOOL_B_FREEING,
	KPOOL_B_RCU0,
	KPOOL_B_RCU1,
};

/**
 * struct kpool_rcu_batch - blocks waiting for one grace period
 * @rcu: queued with call_rcu() once the batch is closed.
 * @pool: the pool of the blocks.
 * @nr: pointers in @blocks.
 * @blocks: blocks in state FREEING, claimed by kpool_free_rcu().
 */
struct kpool_rcu_batch {
	struct rcu_head rcu;
	struct kpool *pool;
	unsigned int nr;
	void *blocks[];
};

/* A batch is one small slab object; the pointers it holds: */
#define KPOOL_RCU_BATCH_BYTES	512
#define KPOOL_RCU_BATCH		((KPOOL_RCU_BATCH_BYTES - \
				  sizeof(struct kpool_rcu_batch)) / sizeof(void *))
/* An open batch is closed at the latest this long after it was opened. */
#define KPOOL_RCU_DELAY		(HZ / 50)

/**
 * struct kpool_rcu_cpu - one CPU's deferred frees of a pool
 * @lock: guards @open and @spare; raw (any context), taken irqsave by this
 *	  CPU and by the work closing every CPU's batch.
 * @open: the batch being filled, or NULL.
 * @spare: an empty batch for the next one to open, or NULL.
 * @pending: blocks claimed on this CPU minus blocks finished on it (the sum
 *	     over CPUs is blocks_rcu_pending).
 */
struct kpool_rcu_cpu {
	raw_spinlock_t lock;
	struct kpool_rcu_batch *open;
	struct kpool_rcu_batch *spare;
	long pending;
};

/**
 * struct kpool_deferred - a pool's deferred frees
 * @cpu: the per-CPU batches.
 * @lock: guards @gen, @cookie and @marked, and orders every RCU0/RCU1 mark
 *	  against the flip of @gen; raw, irqsave (any context).
 * @gen: the generation (0 or 1) blocks are marked with now.
 * @cookie: get_state_synchronize_rcu() taken after each generation's
 *	    latest mark.
 * @marked: blocks marked with each generation and not yet finished.
 * @used: kpool_free_rcu() was called on the pool: kpool_destroy() must
 *	  wait for its grace periods (others need no rcu_barrier()).
 * @batches: batches allocated and not freed (open, spare, waiting, about
 *	     to be opened), for meta_bytes.
 * @close: closes every CPU's open batch.
 * @scan: finishes the marked blocks of a generation after its grace period.
 */
struct kpool_deferred {
	struct kpool_rcu_cpu __percpu *cpu;
	raw_spinlock_t lock;
	unsigned int gen;
	unsigned long cookie[2];
	unsigned long marked[2];
	bool used;
	atomic_long_t batches;
	struct delayed_work close;
	struct work_struct scan;
};

/**
 * struct kpool_cpu - one CPU's part of a pool
 * @guard: !PREEMPT_RT: the context that raised it from 0 to 1 owns @nr and
 *	   @mag until it lowers it again. Only this CPU changes it.
 * @nr: pointers in @mag.
 * @hint: the chunk of the block this CPU last put in @mag, or
 *	  &kpool_no_chunk: a block in its range needs no struct page lookup.
 *	  Written by the owner of @mag; kpool_forget_chunk() replaces it
 *	  before the chunk is given back.
 * @lock: PREEMPT_RT: owns @nr and @mag (local_lock semantics).
 * @mag: free blocks (CACHED, or stale: see the theory of operation), LIFO.
 * @ev: event counters (enum kpool_event), summed by kpool_get_stats().
 * @drain_work: drains this CPU's magazine, on this CPU.
 * @pool: the pool, for @drain_work.
 */
struct kpool_cpu {
	unsigned int guard;
	unsigned int nr;
	struct kpool_chunk *hint;
	local_lock_t lock;
	void *mag[KPOOL_MAG_SIZE];
	unsigned long ev[KPOOL_NR_EVENTS];
	struct work_struct drain_work;
	struct kpool *pool;
};

/**
 * struct kpool_owner - who allocated a block of a debug pool
 * @ip: the caller of kpool_alloc() or kpool_alloc_bulk().
 * @stack: the allocation stack in the stack depot, or 0.
 * @tracked: kmemleak tracks the block (not where it could not allocate).
 */
struct kpool_owner {
	unsigned long ip;
#ifdef CONFIG_STACKDEPOT
	depot_stack_handle_t stack;
#endif
	bool tracked;
};

/**
 * struct kpool_chunk - 2^order pages cut into blocks, and their metadata
 * @list: on pool->partial, pool->full or pool->empty; under pool->lock.
 * @node: on pool->chunks; changed under pool->lock, walked under RCU or
 *	  pool->release_lock.
 * @rcu: frees the chunk after the readers of @node, of the hint, of its
 *	 slot in the chunk table and of its pages' tags are gone.
 * @pool: the pool the chunk belongs to.
 * @page: the first page.
 * @base: its address.
 * @span: the offset of the last block plus one (0 for kpool_no_chunk).
 * @order: the pool's chunk order (for the RCU callback).
 * @id: the chunk's slot in the chunk table.
 * @nr_blocks: blocks carved (fewer than per_chunk when the cap cut the
 *	       last chunk short).
 * @nr_free: FREE states; under pool->lock.
 * @cursor: where the next depot scan starts; under pool->lock.
 * @owners: debug pools: the owner of each block.
 * @state: one enum kpool_block_state per block, cache-line aligned so that
 *	   groups of KPOOL_STATE_GROUP states share no line.
 */
struct kpool_chunk {
	struct list_head list;
	struct list_head node;
	struct rcu_head rcu;
	struct kpool *pool;
	struct page *page;
	void *base;
	unsigned long span;
	unsigned int order;
	unsigned int id;
	unsigned int nr_blocks;
	unsigned int nr_free;
	unsigned int cursor;
	struct kpool_owner *owners;
	u8 state[] ____cacheline_aligned;
};

/**
 * struct kpool_chunk_table - every live chunk, in the slot of its id
 * @rcu: frees the table once a bigger one replaced it and its readers are
 *	 gone.
 * @size: slots in @slot; a table never changes size.
 * @slot: the chunk with each id, or NULL.
 */
struct kpool_chunk_table {
	struct rcu_head rcu;
	unsigned int size;
	struct kpool_chunk __rcu *slot[];
};

/* Slots of the first chunk table; each growth doubles them. */
#define KPOOL_TABLE_MIN		256

/**
 * struct kpool - a pool
 * @cpu: per-CPU magazines and counters.
 * @chunk_bytes: bytes per chunk.
 * @unit_mask: the unit size minus one (the chunk size without boundary).
 * @stride_recip: ceil(2^32 / @stride), see kpool_slot().
 * @unit_shift: log2 of the unit size.
 * @stride: distance between blocks.
 * @per_unit: blocks per unit.
 * @mag_size: pointers a magazine may hold; 0 for debug pools.
 * @mag_limit: pointers the fast free may leave in a magazine: @mag_size,
 *	       or 0 while the pool is @tight. Written under @lock, read by
 *	       the fast free (one compare for both conditions).
 * @size: block size.
 * @zero_gfp: __GFP_ZERO for KPOOL_F_ZERO pools, else 0.
 * @ctor: block constructor.
 * @flags: KPOOL_F_*.
 * @align: block alignment.
 * @boundary: 0, or the unit size (kpool_params.boundary).
 * @order: chunk order.
 * @per_chunk: blocks per full chunk.
 * @per_unit_recip: for block addresses from indices.
 * @chunk_meta: bytes of struct kpool_chunk with its state array.
 * @tight: frees take the slow path, which wakes waiting allocations and
 *	   refills the reserve: allocations wait (@nr_hungry), or the reserve
 *	   is short while the pool can still grow (at the cap, the reserve
 *	   protects nothing the other free blocks do not: a pool with
 *	   min_blocks == max_blocks is never tight for its reserve).
 * @lock: guards the depot (the chunk lists, every chunk's @nr_free and
 *	  @cursor, the FREE states), @depot_free, @blocks_total,
 *	  @blocks_growing, @nr_chunks, @nr_empty, @nr_reserve, @nr_hungry,
 *	  @tight, @mag_limit and @high_watermark.
 * @partial: chunks with some of their blocks in the depot.
 * @full: chunks with none of their blocks in the depot.
 * @empty: chunks with all of their blocks in the depot.
 * @chunks: every chunk, in creation order.
 * @nr_chunks: chunks on @chunks.
 * @nr_empty: chunks on @empty.
 * @blocks_total: blocks carved.
 * @blocks_growing: blocks of chunks being carved, claimed against the cap.
 * @depot_free: FREE blocks, the reserve included.
 * @nr_reserve: blocks of @depot_free set aside as the reserve.
 * @nr_hungry: allocations that may wait for a free.
 * @high_watermark: most blocks out of the depot at once.
 * @wait: allocations waiting for a free.
 * @release_lock: serialises chunks leaving the pool (see the theory of
 *		  operation) with the debugfs leak walk.
 * @min_blocks: the reserve to keep.
 * @max_blocks: cap on @blocks_total, 0 for none.
 * @node: NUMA node of the chunks.
 * @gfp: extra GFP flags for growth and the pool's metadata.
 * @ctor_arg: the constructor's argument.
 * @owner: the creator's cookie.
 * @fault_every: fail every Nth growth attempt (kpool_set_fault()).
 * @fault_ppm: fail growth with this probability in parts per million.
 * @fault_count: growth attempts since the fault settings changed.
 * @fail_grow: fault_attr consulted on every growth attempt (debugfs knobs
 *	       in the pool's directory, fail-nth); CONFIG_FAULT_INJECTION.
 * @drain_next: jiffies before which no asynchronous drain is requested.
 * @drain_work: the asynchronous drain of every magazine.
 * @id: registry id.
 * @list: on kpool_list; changed under kpool_registry_lock, walked under it
 *	  or under RCU (kpool_cpu_dead()).
 * @rcu: frees the pool after the readers of chunk->pool and of kpool_list
 *	 are gone.
 * @debugfs: the pool's debugfs directory.
 * @debugfs_bytes: what its entries cost, at least: a dentry and an inode
 *		   each (for meta_bytes).
 * @deferred: kpool_free_rcu()'s batches and marks.
 * @name: the pool's name.
 */
struct kpool {
	/* what the fast paths read, together in the first 64 bytes */
	struct kpool_cpu __percpu *cpu;
	unsigned long chunk_bytes;
	unsigned long unit_mask;
	u32 stride_recip;
	unsigned int unit_shift;
	unsigned int stride;
	unsigned int per_unit;
	unsigned int mag_size;
	unsigned int mag_limit;
	unsigned int size;
	gfp_t zero_gfp;
	void (*ctor)(void *block, void *arg);

	unsigned int flags;
	unsigned int align;
	unsigned int boundary;
	unsigned int order;
	unsigned int per_chunk;
	struct reciprocal_value per_unit_recip;
	size_t chunk_meta;
	bool tight;

	/* pool->lock: see the kernel-doc above for what it guards */
	raw_spinlock_t lock;
	struct list_head partial;
	struct list_head full;
	struct list_head empty;
	struct list_head chunks;
	unsigned long nr_chunks;
	unsigned long nr_empty;
	unsigned long blocks_total;
	unsigned long blocks_growing;
	unsigned long depot_free;
	unsigned int nr_reserve;
	unsigned int nr_hungry;
	unsigned long high_watermark;
	struct swait_queue_head wait;
	/* chunks leaving the pool: see the kernel-doc above */
	struct mutex release_lock;

	unsigned int min_blocks;
	unsigned int max_blocks;
	int node;
	gfp_t gfp;
	void *ctor_arg;
	const void *owner;

	unsigned int fault_every;
	unsigned int fault_ppm;
	atomic_t fault_count;
#ifdef CONFIG_FAULT_INJECTION
	struct fault_attr fail_grow;
#endif
	unsigned long drain_next;
	struct work_struct drain_work;

	u32 id;
	struct list_head list;
	struct rcu_head rcu;
	struct dentry *debugfs;
	unsigned int debugfs_bytes;
	struct kpool_deferred deferred;
	char name[KPOOL_NAME_LEN];
};

/* The layout of a pool, computed from its parameters. */
struct kpool_geometry {
	unsigned int align;
	unsigned int stride;
	unsigned int order;
	unsigned int unit_shift;
	unsigned int per_unit;
};

/* kpool_registry_lock guards kpool_list, kpool_ids and name uniqueness. */
static DEFINE_MUTEX(kpool_registry_lock);
static LIST_HEAD(kpool_list);
static DEFINE_XARRAY_ALLOC1(kpool_ids);

static struct workqueue_struct *kpool_wq;
/*
 * kpool_free_rcu()'s work items: apart from kpool_wq, whose drains are
 * flushed under pool->release_lock, which the scan takes.
 */
static struct workqueue_struct *kpool_rcu_wq;
static struct dentry *kpool_debugfs_root;
static enum cpuhp_state kpool_cpuhp_state;
/*
 * The tag of a chunk's pages (page->private) is the chunk's id xor this
 * key. Its top bit is set, so that page->private == 0 (most pages) never
 * decodes to an id inside the table.
 */
static unsigned long kpool_page_key __read_mostly;
/* The chunk table; see the theory of operation. */
static struct kpool_chunk_table __rcu *kpool_chunks;
/* kpool_table_lock guards which table kpool_chunks is, and its slots. */
static DEFINE_SPINLOCK(kpool_table_lock);
/* The ids of chunks in the table and of chunks waiting for a grace period */
static DEFINE_IDA(kpool_chunk_ids);
/* pages of all chunks not yet given back: must be 0 when kpool unloads */
static atomic_long_t kpool_pages_held = ATOMIC_LONG_INIT(0);
static bool kpool_stack_depot_ready;

/* The hint of a CPU that has none: it holds no block, so none matches. */
static struct kpool_chunk kpool_no_chunk;

/* One budget for every corruption hexdump, so a storm cannot flood. */
static DEFINE_RATELIMIT_STATE(kpool_dump_ratelimit, 5 * HZ, 10);

static __always_inline void kpool_cpu_count(struct kpool_cpu __percpu *cpu,
					    enum kpool_event item)
{
	this_cpu_inc(cpu->ev[item]);
}

static __always_inline void kpool_count(struct kpool *pool,
					enum kpool_event item)
{
	kpool_cpu_count(pool->cpu, item);
}

static void kpool_count_n(struct kpool *pool, enum kpool_event item,
			  unsigned long n)
{
	this_cpu_add(pool->cpu->ev[item], n);
}

static u64 kpool_counter(struct kpool *pool, enum kpool_event item)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(pool->cpu, cpu)->ev[item]);
	return sum;
}

/*
 * May the page allocator (and what else takes a spinlock_t: the slab,
 * kmemleak, the stack depot, the RNG) be called here? Not where PREEMPT_RT
 * would have to sleep for it: in hardirq context on every kernel (lockdep's
 * raw-lock nesting checks hold all kernels to that), and on PREEMPT_RT
 * wherever the caller is not preemptible.
 */
static bool kpool_may_alloc_pages(void)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return preemptible();
	return !in_hardirq();
}

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
		local_lock(&cpu->lock);
		/* held until kpool_mag_release(): a conditional lock to sparse */
		__release(&cpu->lock);
		return true;
	}
	if (likely(this_cpu_inc_return(cpu->guard) == 1)) {
		/* the magazine is touched only after the guard is raised... */
		barrier();
		return true;
	}
	this_cpu_dec(cpu->guard);
	return false;
}

/* kpool_mag_own() for the slow paths: this CPU's part, or NULL. */
static struct kpool_cpu *kpool_mag_claim(struct kpool *pool)
{
	return kpool_mag_own(pool->cpu) ? this_cpu_ptr(pool->cpu) : NULL;
}

static __always_inline void kpool_mag_release(struct kpool_cpu __percpu *cpu)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		/* taken in kpool_mag_own() */
		__acquire(&cpu->lock);
		local_unlock(&cpu->lock);
	} else {
		/* ...and no longer once it is lowered */
		barrier();
		this_cpu_dec(cpu->guard);
	}
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

static void *kpool_block_addr(const struct kpool *pool,
			      const struct kpool_chunk *chunk,
			      unsigned int idx)
{
	unsigned int unit;

	if (!pool->boundary)
		return chunk->base + (unsigned long)idx * pool->stride;
	unit = reciprocal_divide(idx, pool->per_unit_recip);
	return chunk->base + ((unsigned long)unit << pool->unit_shift) +
	       (idx - unit * pool->per_unit) * pool->stride;
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
static struct kpool_chunk *kpool_ptr_chunk(unsigned long addr)
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
	long idx = kpool_index(pool, chunk, addr);

	if (idx >= 0)
		return idx;
	chunk = kpool_ptr_chunk(addr);
	if (!chunk || READ_ONCE(chunk->pool) != pool)
		return -EINVAL;
	idx = kpool_index(pool, chunk, addr);
	if (idx < 0)
		return -EFAULT;
	*chunkp = chunk;
	return idx;
}

/* The depot (pool->lock held) */

static struct list_head *kpool_chunk_list(struct kpool *pool,
					  const struct kpool_chunk *chunk)
{
	if (!chunk->nr_free)
		return &pool->full;
	if (chunk->nr_free == chunk->nr_blocks)
		return &pool->empty;
	return &pool->partial;
}

/* Put @chunk on the list for its state, which was @was. */
static void kpool_chunk_relist(struct kpool *pool, struct kpool_chunk *chunk,
			       struct list_head *was)
{
	struct list_head *now = kpool_chunk_list(pool, chunk);

	if (now == was)
		return;
	list_move(&chunk->list, now);
	if (was == &pool->empty)
		WRITE_ONCE(pool->nr_empty, pool->nr_empty - 1);
	if (now == &pool->empty)
		WRITE_ONCE(pool->nr_empty, pool->nr_empty + 1);
}

static void kpool_update_tight(struct kpool *pool)
{
	bool may_grow = !pool->max_blocks ||
			pool->blocks_total < pool->max_blocks;

	lockdep_assert_held(&pool->lock);
	pool->tight = pool->nr_hungry ||
		      (may_grow && pool->nr_reserve < pool->min_blocks);
	WRITE_ONCE(pool->mag_limit, pool->tight ? 0 : pool->mag_size);
}

/*
 * The FREE states of @chunk do not add up to its count: a double free raced
 * with itself on two CPUs (see the theory of operation). Count them again.
 */
static noinline void kpool_chunk_recount(struct kpool *pool,
					 struct kpool_chunk *chunk)
{
	struct list_head *was = kpool_chunk_list(pool, chunk);
	unsigned int i, n = 0;

	for (i = 0; i < chunk->nr_blocks; i++)
		n += READ_ONCE(chunk->state[i]) == KPOOL_B_FREE;
	pool->depot_free -= chunk->nr_free - n;
	pool->nr_reserve = min_t(unsigned long, pool->nr_reserve,
				 pool->depot_free);
	kpool_update_tight(pool);
	chunk->nr_free = n;
	chunk->cursor = 0;
	kpool_chunk_relist(pool, chunk, was);
	kpool_count(pool, KPOOL_EV_err_double_free);
	pr_warn_ratelimited("pool %s: frees of one block raced on two CPUs; counts repaired\n",
			    pool->name);
}

/*
 * Take up to @n FREE blocks of @chunk into @out, setting their state to
 * @to. The scan starts at the cursor and wraps once; the cursor then moves
 * to the group after the last block taken, so that the next refill, most
 * likely another CPU's, gets states on other cache lines.
 */
static unsigned int kpool_chunk_take(struct kpool *pool,
				     struct kpool_chunk *chunk, void **out,
				     unsigned int n, u8 to)
{
	struct list_head *was = kpool_chunk_list(pool, chunk);
	unsigned int i = chunk->cursor, scanned, got = 0;

	n = min(n, chunk->nr_free);
	for (scanned = 0; got < n && scanned < chunk->nr_blocks; scanned++) {
		if (i >= chunk->nr_blocks)
			i = 0;
		/* only FREE states are stable here: the others may change */
		if (data_race(chunk->state[i]) == KPOOL_B_FREE) {
			WRITE_ONCE(chunk->state[i], to);
			out[got++] = kpool_block_addr(pool, chunk, i);
		}
		i++;
	}
	chunk->nr_free -= got;
	chunk->cursor = round_up(i, KPOOL_STATE_GROUP);
	if (chunk->cursor >= chunk->nr_blocks)
		chunk->cursor = 0;
	kpool_chunk_relist(pool, chunk, was);
	pool->depot_free -= got;
	if (unlikely(got < n))
		kpool_chunk_recount(pool, chunk);
	return got;
}

/*
 * Take up to @n free blocks from the depot into @out, setting their state
 * to @to; from the reserve only if @use_reserve. Return how many.
 */
static unsigned int kpool_depot_take(struct kpool *pool, void **out,
				     unsigned int n, u8 to, bool use_reserve)
{
	unsigned long avail = pool->depot_free - pool->nr_reserve, out_now;
	struct kpool_chunk *chunk;
	unsigned int got = 0, from_reserve;

	lockdep_assert_held(&pool->lock);
	if (use_reserve)
		avail = pool->depot_free;
	n = min_t(unsigned long, n, avail);
	while (got < n) {
		chunk = list_first_entry_or_null(&pool->partial,
						 struct kpool_chunk, list);
		if (!chunk)
			chunk = list_first_entry_or_null(&pool->empty,
							 struct kpool_chunk,
							 list);
		if (!chunk)
			break;
		got += kpool_chunk_take(pool, chunk, out + got, n - got, to);
	}
	if (!got)
		return 0;
	/* what the depot could not give without the reserve came from it */
	if (pool->depot_free < pool->nr_reserve) {
		from_reserve = pool->nr_reserve - pool->depot_free;
		pool->nr_reserve = pool->depot_free;
		kpool_update_tight(pool);
		kpool_count_n(pool, KPOOL_EV_reserve_allocs, from_reserve);
	}
	out_now = pool->blocks_total - pool->depot_free;
	if (out_now > pool->high_watermark)
		pool->high_watermark = out_now;
	return got;
}

/*
 * @n blocks of @chunk whose states the caller made FREE join the depot;
 * @idx is the lowest of their indices.
 */
static void kpool_depot_put(struct kpool *pool, struct kpool_chunk *chunk,
			    unsigned int n, unsigned int idx)
{
	struct list_head *was = kpool_chunk_list(pool, chunk);

	lockdep_assert_held(&pool->lock);
	chunk->nr_free += n;
	if (idx < chunk->cursor)
		chunk->cursor = round_down(idx, KPOOL_STATE_GROUP);
	kpool_chunk_relist(pool, chunk, was);
	pool->depot_free += n;
	if (pool->nr_reserve < pool->min_blocks) {
		pool->nr_reserve = min(pool->nr_reserve + n, pool->min_blocks);
		kpool_update_tight(pool);
	}
}

/*
 * Move the @n oldest pointers of a magazine this context owns to the
 * depot; stale ones (the block was stolen) are dropped.
 */
static void kpool_mag_flush(struct kpool *pool, struct kpool_cpu *pc,
			    unsigned int n)
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

static void kpool_drain_work(struct work_struct *work)
{
	struct kpool_cpu *pc = container_of(work, struct kpool_cpu,
					    drain_work);
	struct kpool *pool = pc->pool;

	kpool_cpu_pin();
	/* process context: no owner can be interrupted on this CPU */
	if (!WARN_ON_ONCE(kpool_mag_claim(pool) != pc)) {
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
static bool kpool_drain_all(struct kpool *pool, bool try)
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

static void kpool_drain_all_work(struct work_struct *work)
{
	kpool_drain_all(container_of(work, struct kpool, drain_work), false);
}

/*
 * May a drain that no waiting allocation needs run now: at most one per
 * KPOOL_DRAIN_INTERVAL per pool, so failing allocations cannot make every
 * CPU drain in a storm.
 */
static bool kpool_drain_due(struct kpool *pool)
{
	unsigned long next = READ_ONCE(pool->drain_next);

	return pool->mag_size && !time_before(jiffies, next) &&
	       cmpxchg(&pool->drain_next, next,
		       jiffies + KPOOL_DRAIN_INTERVAL) == next;
}

/* An allocation failed: drain every magazine soon, without waiting. */
static void kpool_drain_kick(struct kpool *pool)
{
	if (kpool_drain_due(pool))
		queue_work(system_dfl_wq, &pool->drain_work);
}

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

/*
 * Are free blocks of a debug pool poisoned: not if that would destroy a
 * constructed state, nor where RCU readers may still read them.
 */
static bool kpool_poisons(const struct kpool *pool)
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

/* Fill a free block with poison and its red zone with the pattern. */
static void kpool_debug_init_block(struct kpool *pool, void *block)
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
static void kpool_debug_alloc(struct kpool *pool, void *block, gfp_t gfp,
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
static void kpool_debug_free(struct kpool *pool, struct kpool_chunk *chunk,
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

/* Chunks */

static void kpool_chunk_carve(struct kpool *pool, struct kpool_chunk *chunk)
{
	unsigned int idx;

	for (idx = 0; idx < chunk->nr_blocks; idx++) {
		void *block = kpool_block_addr(pool, chunk, idx);

		if (pool->ctor)
			pool->ctor(block, pool->ctor_arg);
		if (pool->flags & KPOOL_F_DEBUG)
			kpool_debug_init_block(pool, block);
	}
	chunk->nr_free = chunk->nr_blocks;
	/* blocks and the tail are a red zone until handed out */
	kpool_kasan_poison(chunk->base, pool->chunk_bytes, KPOOL_KASAN_REDZONE,
			   pool->stride);
}

/* The chunk table (kpool_table_lock held). */
static struct kpool_chunk_table *kpool_table_locked(void)
{
	return rcu_dereference_protected(kpool_chunks,
					 lockdep_is_held(&kpool_table_lock));
}

static struct kpool_chunk_table *kpool_table_alloc(unsigned int size,
						   gfp_t gfp)
{
	struct kpool_chunk_table *table;

	table = kvzalloc(struct_size(table, slot, size), gfp);
	if (table)
		table->size = size;
	return table;
}

/*
 * Replace the table of @size slots by a copy twice its size, unless
 * another growth did already. The old table is freed after its readers.
 */
static int kpool_table_double(unsigned int size, gfp_t gfp)
{
	struct kpool_chunk_table *grown, *old;
	unsigned long flags;

	grown = kpool_table_alloc(2 * size, gfp);
	if (!grown)
		return -ENOMEM;
	spin_lock_irqsave(&kpool_table_lock, flags);
	old = kpool_table_locked();
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
	return 0;
}

/*
 * An id for a new chunk, whose slot the table has (doubled until it does),
 * still empty. Return the id or an errno.
 */
static int kpool_chunk_id_alloc(gfp_t gfp)
{
	unsigned int size;
	int id, err;

	id = ida_alloc(&kpool_chunk_ids, gfp);
	if (id < 0)
		return id;
	for (;;) {
		rcu_read_lock();
		size = kpool_table()->size;
		rcu_read_unlock();
		if (id < size)
			return id;
		err = kpool_table_double(size, gfp);
		if (err)
			break;
	}
	ida_free(&kpool_chunk_ids, id);
	return err;
}

/* Put @chunk (or NULL) into slot @id of the table. */
static void kpool_table_set(unsigned int id, struct kpool_chunk *chunk)
{
	unsigned long flags;

	spin_lock_irqsave(&kpool_table_lock, flags);
	/*
	 * The chunk is built before its slot names it: pairs with the
	 * rcu_dereference() of kpool_table_slot().
	 */
	rcu_assign_pointer(kpool_table_locked()->slot[id], chunk);
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
static void kpool_chunk_release(struct kpool *pool, struct kpool_chunk *chunk)
{
	if (!(pool->flags & KPOOL_F_DEBUG))
		kmemleak_free(chunk->base);
	kpool_table_set(chunk->id, NULL);
	kpool_chunk_tag(chunk, 0);
	call_rcu(&chunk->rcu, kpool_chunk_free_rcu);
}

/* Allocate and carve a chunk of @nr blocks; not yet published. */
static struct kpool_chunk *kpool_chunk_create(struct kpool *pool,
					      unsigned int nr, gfp_t gfp)
{
	gfp_t meta_gfp = gfp & ~__GFP_ZERO;
	struct kpool_chunk *chunk;
	int id;

	chunk = kvzalloc_node(pool->chunk_meta, meta_gfp, pool->node);
	if (!chunk)
		return NULL;
	if (pool->flags & KPOOL_F_DEBUG) {
		chunk->owners = kvcalloc(pool->per_chunk,
					 sizeof(*chunk->owners), meta_gfp);
		if (!chunk->owners)
			goto fail;
	}
	/* the ids and the table are the module's: charged to no cgroup */
	id = kpool_chunk_id_alloc(meta_gfp & ~__GFP_ACCOUNT);
	if (id < 0)
		goto fail;
	chunk->id = id;
	chunk->page = alloc_pages_node(pool->node, gfp, pool->order);
	if (!chunk->page)
		goto fail_id;
	atomic_long_add(1L << pool->order, &kpool_pages_held);
	chunk->pool = pool;
	chunk->base = page_address(chunk->page);
	chunk->order = pool->order;
	chunk->nr_blocks = nr;
	chunk->span = kpool_block_addr(pool, chunk, nr - 1) - chunk->base + 1;
	kpool_chunk_carve(pool, chunk);
	/*
	 * Blocks may hold the only references to other objects: kmemleak
	 * scans the chunk, or, in debug pools, each block handed out.
	 */
	if (!(pool->flags & KPOOL_F_DEBUG))
		kmemleak_alloc(chunk->base, pool->chunk_bytes, 0, gfp);
	kpool_chunk_map(chunk);
	return chunk;

fail_id:
	ida_free(&kpool_chunk_ids, chunk->id);
fail:
	kvfree(chunk->owners);
	kvfree(chunk);
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
		cmpxchg(&per_cpu_ptr(pool->cpu, cpu)->hint, chunk,
			&kpool_no_chunk);
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

/* Introspection */

/* Blocks handed out in @chunk (those being freed count too). */
static unsigned int kpool_chunk_in_use(const struct kpool_chunk *chunk)
{
	unsigned int i, n = 0;

	for (i = 0; i < chunk->nr_blocks; i++)
		n += READ_ONCE(chunk->state[i]) >= KPOOL_B_ALLOC;
	return n;
}

static unsigned long kpool_in_use(struct kpool *pool)
{
	struct kpool_chunk *chunk;
	unsigned long in_use = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(chunk, &pool->chunks, node)
		in_use += kpool_chunk_in_use(chunk);
	rcu_read_unlock();
	return in_use;
}

/* Bytes of a full chunk outside every block. */
static u64 kpool_waste(const struct kpool *pool)
{
	return pool->chunk_bytes - (u64)pool->per_chunk * pool->size;
}

/* Blocks given to kpool_free_rcu() and not yet back in the pool. */
static u64 kpool_rcu_pending(struct kpool *pool)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(pool->deferred.cpu, cpu)->pending);
	return max(sum, 0L);
}

/**
 * kpool_get_stats() - take a snapshot of a pool's geometry and counters
 * @pool: the pool.
 * @stats: filled in, every field (see struct kpool_stats for what is exact
 *	   and when; high_watermark is sampled on the slow path).
 *
 * Context: Any context but NMI. Reads every block's state.
 */
void kpool_get_stats(struct kpool *pool, struct kpool_stats *stats)
{
	unsigned long flags;
	unsigned int i;

	memset(stats, 0, sizeof(*stats));
	strscpy(stats->name, pool->name, sizeof(stats->name));
	stats->id = pool->id;
	stats->flags = pool->flags;
	stats->node = pool->node;
	stats->block_size = pool->size;
	stats->block_stride = pool->stride;
	stats->align = pool->align;
	stats->boundary = pool->boundary;
	stats->chunk_order = pool->order;
	stats->blocks_per_chunk = pool->per_chunk;
	stats->min_blocks = pool->min_blocks;
	stats->max_blocks = pool->max_blocks;
	stats->wasted_per_chunk = kpool_waste(pool);
	stats->meta_per_chunk = pool->chunk_meta;
	if (pool->flags & KPOOL_F_DEBUG)
		stats->meta_per_chunk += (u64)pool->per_chunk *
					 sizeof(struct kpool_owner);
	stats->percpu_bytes = (u64)(sizeof(struct kpool_cpu) +
				    sizeof(struct kpool_rcu_cpu)) *
			      num_possible_cpus();

	raw_spin_lock_irqsave(&pool->lock, flags);
	stats->chunks = pool->nr_chunks;
	stats->blocks_total = pool->blocks_total;
	stats->blocks_reserved = pool->nr_reserve;
	stats->high_watermark = pool->high_watermark;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	stats->pages = stats->chunks << pool->order;
	stats->meta_bytes = sizeof(*pool) + stats->percpu_bytes +
			    stats->chunks * stats->meta_per_chunk +
			    pool->debugfs_bytes +
			    atomic_long_read(&pool->deferred.batches) *
			    KPOOL_RCU_BATCH_BYTES;

	stats->blocks_in_use = kpool_in_use(pool);
	stats->blocks_rcu_pending = kpool_rcu_pending(pool);
	if (stats->blocks_in_use < stats->blocks_total)
		stats->blocks_free = stats->blocks_total - stats->blocks_in_use;

	for (i = 0; i < KPOOL_NR_EVENTS; i++)
		*(u64 *)((void *)stats + kpool_event_offset[i]) =
			kpool_counter(pool, i);
	/* the counter of allocs holds the slow paths' only */
	stats->allocs += stats->cache_hits;
}
EXPORT_SYMBOL_NS_GPL(kpool_get_stats, KPOOL_NS);

/**
 * kpool_occupancy() - blocks in use in each chunk
 * @pool: the pool.
 * @in_use: receives the count of each chunk, in creation order.
 * @nr: room in @in_use; may be 0 (then @in_use may be NULL).
 *
 * Context: Any context but NMI.
 * Return: the number of chunks; only the first min(@nr, chunks) entries
 * of @in_use are written.
 */
long kpool_occupancy(struct kpool *pool, u32 *in_use, unsigned long nr)
{
	struct kpool_chunk *chunk;
	unsigned long n = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(chunk, &pool->chunks, node) {
		if (n < nr)
			in_use[n] = kpool_chunk_in_use(chunk);
		n++;
	}
	rcu_read_unlock();
	return n;
}
EXPORT_SYMBOL_NS_GPL(kpool_occupancy, KPOOL_NS);

/*
 * Growth fault injection
 * ----------------------
 * A growth attempt (kpool_grow(), the reserve filled at create included)
 * fails with -ENOMEM, counted in faults_injected and grow_failures, when
 * any of these says so, in this order:
 *  - the pool's own settings, kpool_set_fault() (the FAULT ioctl);
 *  - the module parameter fail_grow_every: every Nth growth attempt of all
 *    pools together, so that stock kernels exercise the -ENOMEM paths;
 *  - with CONFIG_FAULT_INJECTION, the pool's fault_attr fail_grow, through
 *    should_fail(): its knobs are in debugfs (kpool/<pool>/fail_grow/) and
 *    it is a fault site of the task's fail-nth counter.
 */
static unsigned int fail_grow_every;
module_param(fail_grow_every, uint, 0644);
MODULE_PARM_DESC(fail_grow_every,
		 "fail every Nth chunk growth, counted over all pools (0: never)");

/* Growth attempts seen while fail_grow_every was set. */
static atomic_t kpool_grow_attempts = ATOMIC_INIT(0);

static bool kpool_fault_set(struct kpool *pool)
{
	unsigned int every = READ_ONCE(pool->fault_every);
	unsigned int ppm = READ_ONCE(pool->fault_ppm);

	if (every && !(atomic_inc_return(&pool->fault_count) % every))
		return true;
	return ppm && get_random_u32_below(KPOOL_FAULT_PPM_MAX) < ppm;
}

static bool kpool_fault_param(void)
{
	unsigned int every = READ_ONCE(fail_grow_every);

	return every && !(atomic_inc_return(&kpool_grow_attempts) % every);
}

#ifdef CONFIG_FAULT_INJECTION
static void kpool_fault_attr_init(struct kpool *pool)
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
static void kpool_fault_attr_init(struct kpool *pool)
{
}

static bool kpool_fault_attr(struct kpool *pool)
{
	return false;
}
#endif

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
/* The pool's fail_grow fault_attr files; returns how many entries it made. */
static unsigned int kpool_fault_debugfs(struct kpool *pool)
{
	/* like every debugfs file, optional: a failure is not an error */
	if (IS_ERR(fault_create_debugfs_attr("fail_grow", pool->debugfs,
					     &pool->fail_grow)))
		return 0;
	/* its directory and 8 files, 5 more with the stack trace filter */
	return 9 + (IS_ENABLED(CONFIG_FAULT_INJECTION_STACKTRACE_FILTER) ? 5 : 0);
}
#else
static unsigned int kpool_fault_debugfs(struct kpool *pool)
{
	return 0;
}
#endif

static bool kpool_fault(struct kpool *pool)
{
	bool fail = kpool_fault_set(pool) || kpool_fault_param() ||
		    kpool_fault_attr(pool);

	if (fail)
		kpool_count(pool, KPOOL_EV_faults_injected);
	return fail;
}

/* Growth */

/* Claim the blocks of a new chunk against the cap; 0 if at the cap. */
static unsigned int kpool_grow_claim(struct kpool *pool)
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

/* Drop the claim of @nr blocks and publish @chunk if it was carved. */
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
static int kpool_grow(struct kpool *pool, gfp_t gfp)
{
	struct kpool_chunk *chunk = NULL;
	unsigned int nr;

	if (!kpool_may_alloc_pages())
		return -EAGAIN;
	nr = kpool_grow_claim(pool);
	if (!nr)
		return -ENOSPC;

	if (gfp & __GFP_DIRECT_RECLAIM)
		kpool_count(pool, KPOOL_EV_grow_reclaims);
	if (!kpool_fault(pool))
		chunk = kpool_chunk_create(pool, nr, gfp);
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
static gfp_t kpool_grow_gfp(const struct kpool *pool, gfp_t gfp, bool light)
{
	gfp = (gfp & KPOOL_GFP_CONTEXT) | pool->gfp | __GFP_NOWARN;
	if (light)
		gfp = (gfp & ~(__GFP_DIRECT_RECLAIM | __GFP_IO)) |
		      KPOOL_GFP_LIGHT;
	return gfp;
}

/* Allocation slow path */

/*
 * Take a block from the depot for the caller (ALLOC) and, when this CPU's
 * magazine can be had, a batch for it (CACHED); the reserve only if
 * @use_reserve.
 */
static void *kpool_refill(struct kpool *pool, bool use_reserve)
{
	struct kpool_cpu *pc;
	unsigned long flags;
	void *block = NULL;

	kpool_cpu_pin();
	pc = pool->mag_size ? kpool_mag_claim(pool) : NULL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	if (kpool_depot_take(pool, &block, 1, KPOOL_B_ALLOC, use_reserve) &&
	    pc && !pool->tight && pc->nr < KPOOL_MAG_BATCH) {
		pc->nr += kpool_depot_take(pool, pc->mag + pc->nr,
					   KPOOL_MAG_BATCH - pc->nr,
					   KPOOL_B_CACHED, use_reserve);
		/* the blocks just taken are the likeliest to come back */
		WRITE_ONCE(pc->hint, kpool_block_chunk(block));
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (pc)
		kpool_mag_release(pool->cpu);
	kpool_cpu_unpin();
	return block;
}

/*
 * Take a block cached in any CPU's magazine (most likely another's: this
 * one's was empty). The pointer left in that magazine goes stale.
 */
static void *kpool_steal(struct kpool *pool)
{
	struct kpool_chunk *chunk;
	void *block = NULL;
	unsigned int i;
	u8 *s;

	if (!pool->mag_size)
		return NULL;
	kpool_cpu_pin();
	list_for_each_entry_rcu(chunk, &pool->chunks, node) {
		for (i = 0; i < chunk->nr_blocks; i = s - chunk->state + 1) {
			/* a racy search; the compare-and-exchange decides */
			s = data_race(memchr(chunk->state + i, KPOOL_B_CACHED,
					     chunk->nr_blocks - i));
			if (!s)
				break;
			if (cmpxchg(s, KPOOL_B_CACHED, KPOOL_B_ALLOC) ==
			    KPOOL_B_CACHED) {
				block = kpool_block_addr(pool, chunk,
							 s - chunk->state);
				goto out;
			}
		}
	}
out:
	kpool_cpu_unpin();
	if (block)
		kpool_count(pool, KPOOL_EV_steals);
	return block;
}

/*
 * Every block the pool can have without sleeping, in mempool's order: the
 * depot, light growth, the reserve, blocks cached by other CPUs. *@err is
 * the last growth error.
 */
static void *kpool_take(struct kpool *pool, gfp_t gfp, int *err)
{
	gfp_t light = kpool_grow_gfp(pool, gfp, true);
	void *block;

	for (;;) {
		block = kpool_refill(pool, false);
		if (block)
			return block;
		*err = kpool_grow(pool, light);
		if (*err)
			break;
	}
	block = kpool_refill(pool, true);
	return block ?: kpool_steal(pool);
}

/* An allocation may wait for a free: make frees take the slow path. */
static void kpool_hungry(struct kpool *pool, int delta, bool got_block)
{
	unsigned long flags;
	bool others;

	raw_spin_lock_irqsave(&pool->lock, flags);
	pool->nr_hungry += delta;
	kpool_update_tight(pool);
	others = pool->nr_hungry;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	/* pass on a wake-up this allocation may have consumed for nothing */
	if (delta < 0 && !got_block && others)
		swake_up_one(&pool->wait);
}

/* Sleep until a free wakes us or the retry period passes; then try. */
static void *kpool_wait_block(struct kpool *pool)
{
	DECLARE_SWAITQUEUE(wait);
	void *block;

	prepare_to_swait_exclusive(&pool->wait, &wait, TASK_KILLABLE);
	block = kpool_refill(pool, true);
	if (!block)
		schedule_timeout(KPOOL_WAIT_RETRY);
	finish_swait(&pool->wait, &wait);
	return block;
}

/*
 * A block for a caller that may sleep: growth with the caller's own mask
 * (reclaim), then every CPU's magazine drained and, if @may_wait, a
 * killable wait for a free, draining again before every sleep.
 */
static void *kpool_get_sleeping(struct kpool *pool, gfp_t gfp, int err,
				bool may_wait)
{
	void *block = NULL;
	bool waited = false;

	kpool_hungry(pool, 1, false);
	for (;;) {
		if (err == -ENOMEM)
			err = kpool_grow(pool, kpool_grow_gfp(pool, gfp, false));
		block = kpool_take(pool, gfp, &err);
		if (block)
			break;
		/* before every sleep; rate-limited for those that never wait */
		if (may_wait || kpool_drain_due(pool))
			kpool_drain_all(pool, false);
		block = kpool_refill(pool, true);
		if (block || !may_wait || fatal_signal_pending(current))
			break;
		if (!waited) {
			waited = true;
			kpool_count(pool, KPOOL_EV_waits);
		}
		block = kpool_wait_block(pool);
		if (block)
			break;
	}
	kpool_hungry(pool, -1, !!block);
	return block;
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

/* A block the slow path found, for kpool_alloc() or kpool_alloc_bulk(). */
static void *kpool_hand_out_slow(struct kpool *pool, void *block, gfp_t gfp,
				 unsigned long ip)
{
	kpool_kasan_unpoison(block, pool->size, pool->stride);
	if (pool->flags & KPOOL_F_DEBUG)
		kpool_debug_alloc(pool, block, gfp, ip);
	if (kpool_zeroes(pool, gfp))
		memset(block, 0, pool->size);
	trace_kpool_alloc(pool->id, pool->name, false);
	return block;
}

/*
 * The allocation slow path: a block from anywhere but this CPU's magazine,
 * handed out. For kpool_alloc() (@may_wait) and kpool_alloc_bulk().
 */
static noinline void *kpool_get(struct kpool *pool, gfp_t gfp, bool may_wait,
				unsigned long ip)
{
	void *block;
	int err;

	might_alloc(gfp);
	kpool_count(pool, KPOOL_EV_cache_misses);
	block = kpool_take(pool, gfp, &err);
	if (!block && gfpflags_allow_blocking(gfp))
		block = kpool_get_sleeping(pool, gfp, err, may_wait);
	if (unlikely(!block)) {
		kpool_count(pool, KPOOL_EV_alloc_failures);
		kpool_drain_kick(pool);
		return NULL;
	}
	kpool_count(pool, KPOOL_EV_allocs);
	return kpool_hand_out_slow(pool, block, gfp, ip);
}

/*
 * Hand out a block popped from a magazine: CACHED -> ALLOC. False if it
 * was stolen meanwhile (its pointer was stale): skip it. *@hint is the
 * chunk tried before the block's page, and becomes the block's chunk.
 */
static __always_inline bool kpool_cached_take(struct kpool *pool,
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
		if (likely(kpool_cached_take(pool, &hint, block))) {
			this_cpu_write(cpu->nr, nr);
			*blockp = block;
			return true;
		}
	}
	this_cpu_write(cpu->nr, 0);
	return false;
}

/* Pop up to @n blocks into @out, as kpool_mag_pop(). Return how many. */
static unsigned int kpool_mag_pop_bulk(struct kpool *pool,
				       struct kpool_cpu __percpu *cpu,
				       void **out, unsigned int n)
{
	struct kpool_chunk *hint = this_cpu_read(cpu->hint);
	unsigned int nr = this_cpu_read(cpu->nr), got = 0;
	void *block;

	while (nr && got < n) {
		block = this_cpu_read(cpu->mag[--nr]);
		if (likely(kpool_cached_take(pool, &hint, block)))
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

/**
 * kpool_alloc_bulk() - allocate @n blocks, all or nothing
 * @pool: the pool.
 * @gfp: as for kpool_alloc().
 * @n: how many blocks.
 * @blocks: receives the blocks.
 *
 * Takes what this CPU's magazine holds, then the rest from the depot under
 * one lock hold, then block by block as kpool_alloc() would, except that it
 * never waits for other users to free blocks (a request that holds blocks
 * while waiting for more could deadlock): with a sleeping @gfp it may
 * reclaim to grow the pool and drains every CPU's magazine before it
 * fails. When a block cannot be had, the blocks already taken are freed
 * again and every entry of @blocks written is reset to NULL.
 *
 * Context: As kpool_alloc().
 * Return: 0, or -ENOMEM (nothing allocated).
 */
int kpool_alloc_bulk(struct kpool *pool, gfp_t gfp, unsigned int n,
		     void **blocks)
{
	unsigned int i = 0, hits, taken;
	unsigned long flags;

	might_alloc(gfp);
	if (pool->max_blocks && n > pool->max_blocks)
		goto fail;
	kpool_cpu_pin();
	if (pool->mag_size && kpool_mag_own(pool->cpu)) {
		i = kpool_mag_pop_bulk(pool, pool->cpu, blocks, n);
		kpool_mag_release(pool->cpu);
	}
	kpool_cpu_unpin();
	hits = i;
	if (i < n) {
		raw_spin_lock_irqsave(&pool->lock, flags);
		i += kpool_depot_take(pool, blocks + i, n - i, KPOOL_B_ALLOC,
				      false);
		raw_spin_unlock_irqrestore(&pool->lock, flags);
	}
	taken = i;
	for (; i < n; i++) {
		blocks[i] = kpool_get(pool, gfp, false, _RET_IP_);
		if (!blocks[i])
			goto undo;
	}

	/* in the common case the blocks have nothing more to do */
	if (IS_ENABLED(CONFIG_KASAN_GENERIC) || kpool_zeroes(pool, gfp) ||
	    trace_kpool_alloc_enabled() || (pool->flags & KPOOL_F_DEBUG)) {
		for (i = 0; i < hits; i++)
			kpool_hand_out(pool, blocks[i], gfp, true);
		for (; i < taken; i++)
			kpool_hand_out_slow(pool, blocks[i], gfp, _RET_IP_);
	}
	kpool_count_n(pool, KPOOL_EV_cache_hits, hits);
	kpool_count_n(pool, KPOOL_EV_cache_misses, taken - hits);
	kpool_count_n(pool, KPOOL_EV_allocs, taken - hits);
	kpool_count(pool, KPOOL_EV_bulk_allocs);
	return 0;

undo:
	/* the blocks taken are freed as blocks handed out */
	while (i--) {
		if (i < taken)
			kpool_hand_out_slow(pool, blocks[i], gfp, _RET_IP_);
		kpool_free(pool, blocks[i]);
		blocks[i] = NULL;
	}
	kpool_count_n(pool, KPOOL_EV_allocs, taken);
	return -ENOMEM;
fail:
	kpool_count(pool, KPOOL_EV_alloc_failures);
	return -ENOMEM;
}
EXPORT_SYMBOL_NS_GPL(kpool_alloc_bulk, KPOOL_NS);

/* Free path */

static noinline void kpool_bad_free(struct kpool *pool, const void *block,
				    int err)
{
	enum kpool_event item;
	const char *what;
	int kind;

	if (err == -EALREADY) {
		item = KPOOL_EV_err_double_free;
		kind = KPOOL_ERR_DOUBLE_FREE;
		what = "double free";
	} else if (err == -EFAULT) {
		item = KPOOL_EV_err_misaligned;
		kind = KPOOL_ERR_MISALIGNED;
		what = "free of a pointer inside a block or past the blocks";
	} else {
		item = KPOOL_EV_err_foreign;
		kind = KPOOL_ERR_FOREIGN;
		what = "free of memory that is not the pool's";
	}
	kpool_count(pool, item);
	trace_kpool_error(pool->id, pool->name, kind);
	pr_warn_ratelimited("pool %s: %s (%p) refused\n", pool->name, what,
			    block);
}

/*
 * Put the ALLOC block @idx of @chunk into this CPU's magazine, which this
 * context owns and which has room at @nr; @chunk becomes the hint.
 */
static __always_inline void kpool_mag_push(struct kpool *pool,
					   struct kpool_cpu __percpu *cpu,
					   struct kpool_chunk *chunk,
					   void *block, unsigned int idx,
					   unsigned int nr)
{
	/* before any other user can get it */
	kpool_poison_free(pool, block);
	WRITE_ONCE(chunk->state[idx], KPOOL_B_CACHED);
	this_cpu_write(cpu->mag[nr], block);
	this_cpu_write(cpu->nr, nr + 1);
	this_cpu_write(cpu->hint, chunk);
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

/*
 * Claim the block @addr of @pool for a free: ALLOC -> FREEING, or refuse a
 * bad pointer (counted and reported). From then on the caller owns the
 * block and the block keeps its chunk in the pool. Return the block's
 * index, or kpool_free()'s errno.
 */
static long kpool_free_claim(struct kpool *pool, void *block,
			     unsigned long addr, struct kpool_chunk **chunkp)
{
	long idx;

	kpool_cpu_pin();
	*chunkp = this_cpu_read(pool->cpu->hint);
	idx = kpool_find(pool, addr, chunkp);
	if (idx >= 0 && cmpxchg(&(*chunkp)->state[idx], KPOOL_B_ALLOC,
				KPOOL_B_FREEING) != KPOOL_B_ALLOC)
		idx = -EALREADY;
	kpool_cpu_unpin();
	if (unlikely(idx < 0)) {
		kpool_bad_free(pool, block, idx);
		return idx == -EFAULT ? -EINVAL : idx;
	}
	return idx;
}

/*
 * Finish the free of a block the caller claimed (FREEING): run the debug
 * checks, flush half of a full magazine, give the block to the depot when
 * no magazine can take it, wake waiters.
 */
static void kpool_free_finish(struct kpool *pool, struct kpool_chunk *chunk,
			      unsigned int idx, void *block)
{
	struct kpool_cpu *pc;
	unsigned long flags;
	bool hungry;

	kpool_poison_free(pool, block);
	if (pool->flags & KPOOL_F_DEBUG)
		kpool_debug_free(pool, chunk, idx, block);
	kpool_cpu_pin();
	pc = pool->mag_size ? kpool_mag_claim(pool) : NULL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	hungry = pool->nr_hungry;
	if (pc && !pool->tight) {
		if (pc->nr == pool->mag_size)
			kpool_mag_flush(pool, pc, KPOOL_MAG_BATCH);
		WRITE_ONCE(chunk->state[idx], KPOOL_B_CACHED);
		pc->mag[pc->nr++] = block;
		WRITE_ONCE(pc->hint, chunk);
	} else {
		WRITE_ONCE(chunk->state[idx], KPOOL_B_FREE);
		kpool_depot_put(pool, chunk, 1, idx);
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (pc)
		kpool_mag_release(pool->cpu);
	kpool_cpu_unpin();

	kpool_count(pool, KPOOL_EV_frees);
	trace_kpool_free(pool->id, pool->name, false);
	if (hungry)
		swake_up_one(&pool->wait);
}

/* Everything the fast free does not do: claim the block, then finish. */
static noinline int kpool_free_slow(struct kpool *pool, void *block,
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
 * The index of @block if it is an ALLOC block of @pool, else -1; *@chunkp
 * is tried first and becomes the block's chunk. The task is pinned.
 */
static __always_inline long kpool_run_find(struct kpool *pool,
					   struct kpool_chunk **chunkp,
					   const void *block)
{
	long idx = kpool_find(pool, (unsigned long)kasan_reset_tag(block),
			      chunkp);

	if (idx < 0 || READ_ONCE((*chunkp)->state[idx]) != KPOOL_B_ALLOC)
		return -1;
	return idx;
}

/*
 * The second half of kpool_free_run(), this CPU's magazine full: ALLOC
 * blocks of @blocks straight into the depot, at most KPOOL_MAG_SIZE under
 * one hold of pool->lock (bounded time with interrupts off), and none while
 * the pool is tight. Return the entries handled.
 */
static unsigned int kpool_free_run_depot(struct kpool *pool, void **blocks,
					 unsigned int n, struct kpool_chunk *chunk)
{
	unsigned int i, moved = 0, run = 0, low = 0;
	struct kpool_chunk *run_chunk = NULL;
	unsigned long flags;
	long idx;

	n = min_t(unsigned int, n, KPOOL_MAG_SIZE);
	raw_spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < n && !pool->tight; i++) {
		if (!blocks[i])
			continue;
		idx = kpool_run_find(pool, &chunk, blocks[i]);
		/* FREE blocks are taken under pool->lock: poisoned in time */
		if (idx < 0 || cmpxchg(&chunk->state[idx], KPOOL_B_ALLOC,
				       KPOOL_B_FREE) != KPOOL_B_ALLOC)
			break;
		kpool_poison_free(pool, blocks[i]);
		/* the depot's counts are updated once per run of one chunk */
		if (chunk != run_chunk) {
			if (run)
				kpool_depot_put(pool, run_chunk, run, low);
			run_chunk = chunk;
			run = 0;
			low = idx;
		}
		low = min_t(unsigned int, low, idx);
		run++;
		moved++;
	}
	if (run)
		kpool_depot_put(pool, run_chunk, run, low);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	kpool_count_n(pool, KPOOL_EV_frees, moved);
	return i;
}

/*
 * Free a run of @blocks with one pin and one claim of this CPU's magazine:
 * into the magazine while it has room, then into the depot. Stop at the
 * first block that needs kpool_free_slow(): not an ALLOC block of @pool,
 * the pool tight (it has allocations to wake or a reserve to refill), or
 * no magazine here. Return the entries handled (NULL ones included).
 */
static unsigned int kpool_free_run(struct kpool *pool, void **blocks,
				   unsigned int n)
{
	struct kpool_cpu __percpu *cpu = pool->cpu;
	unsigned int i, nr, cached = 0;
	struct kpool_chunk *chunk;
	long idx;

	if (!pool->mag_size)
		return 0;
	kpool_cpu_pin();
	if (!kpool_mag_own(cpu)) {
		kpool_cpu_unpin();
		return 0;
	}
	chunk = this_cpu_read(cpu->hint);
	for (i = 0; i < n; i++) {
		if (!blocks[i])
			continue;
		idx = kpool_run_find(pool, &chunk, blocks[i]);
		if (idx < 0)
			break;
		nr = this_cpu_read(cpu->nr);
		if (nr >= READ_ONCE(pool->mag_limit)) {
			i += kpool_free_run_depot(pool, blocks + i, n - i, chunk);
			break;
		}
		kpool_mag_push(pool, cpu, chunk, blocks[i], idx, nr);
		cached++;
	}
	kpool_mag_release(cpu);
	kpool_cpu_unpin();
	kpool_count_n(pool, KPOOL_EV_frees, cached);
	return i;
}

/**
 * kpool_free_bulk() - free @n blocks
 * @pool: the pool.
 * @n: how many blocks.
 * @blocks: the blocks; NULL entries are skipped.
 *
 * Every block is handled as by kpool_free(): bad ones are refused and
 * counted, the others are freed. Runs of good blocks go to this CPU's
 * magazine and, once it is full, to the pool's free blocks, a batch of
 * them under one lock hold.
 *
 * Context: Any context but NMI.
 * Return: 0, or the error of the first block refused.
 */
int kpool_free_bulk(struct kpool *pool, unsigned int n, void **blocks)
{
	unsigned int i = 0, done;
	int err, first = 0;

	while (i < n) {
		done = kpool_free_run(pool, blocks + i, n - i);
		i += done;
		if (done || i == n)
			continue;
		err = kpool_free_slow(pool, blocks[i],
				      (unsigned long)kasan_reset_tag(blocks[i]));
		if (err && !first)
			first = err;
		i++;
	}
	kpool_count(pool, KPOOL_EV_bulk_frees);
	return first;
}
EXPORT_SYMBOL_NS_GPL(kpool_free_bulk, KPOOL_NS);

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
 * Add @block to this CPU's open batch, opening one from the spare or from
 * *@fresh (taken then). False if there was none to open.
 */
static bool kpool_rcu_add(struct kpool *pool, void *block,
			  struct kpool_rcu_batch **fresh)
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
	if ((pool->flags & KPOOL_F_DEBUG) && chunk->owners[idx].tracked)
		kmemleak_not_leak(kpool_block_addr(pool, chunk, idx));
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
	struct kpool_rcu_batch *fresh = NULL;
	struct kpool_chunk *chunk;
	long idx;

	if (unlikely(!block))
		return 0;
	idx = kpool_free_claim(pool, block, addr, &chunk);
	if (unlikely(idx < 0))
		return idx;
	if (!READ_ONCE(pool->deferred.used))
		WRITE_ONCE(pool->deferred.used, true);
	this_cpu_inc(pool->deferred.cpu->pending);
	kpool_count(pool, KPOOL_EV_rcu_frees);

	if (kpool_rcu_add(pool, block, &fresh))
		return 0;
	/* no batch open nor spare: a new one, outside every lock */
	if (kpool_may_alloc_pages())
		fresh = kpool_rcu_batch_new(pool);
	if (!fresh || !kpool_rcu_add(pool, block, &fresh))
		kpool_rcu_mark(pool, chunk, idx);
	/* another context opened a batch meanwhile */
	kpool_rcu_batch_free(pool, fresh);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_free_rcu, KPOOL_NS);

/*
 * Wait until every block given to kpool_free_rcu() so far is back in the
 * pool. Nothing may free to the pool concurrently.
 */
static void kpool_rcu_barrier(struct kpool *pool)
{
	if (!READ_ONCE(pool->deferred.used))
		return;
	/* its call_rcu() is done when it returns: before rcu_barrier() */
	cancel_delayed_work_sync(&pool->deferred.close);
	kpool_rcu_close_all(pool);
	rcu_barrier();
	flush_work(&pool->deferred.scan);
}

static int kpool_rcu_init(struct kpool *pool, gfp_t gfp)
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
static void kpool_rcu_free(struct kpool *pool)
{
	int cpu;

	for_each_possible_cpu(cpu)
		kpool_rcu_batch_free(pool,
				     per_cpu_ptr(pool->deferred.cpu, cpu)->spare);
	free_percpu(pool->deferred.cpu);
}

/**
 * kpool_set_fault() - inject growth failures
 * @pool: the pool.
 * @every_nth: fail every Nth growth attempt from now on; 0 for never.
 * @probability_ppm: fail each other attempt with this probability, in
 *		     parts per million (0 .. KPOOL_FAULT_PPM_MAX).
 *
 * Both 0 turn this pool's injection off (the module parameter
 * fail_grow_every and the pool's fail_grow fault_attr are separate).
 * Injected failures count in faults_injected and grow_failures; the
 * reserve filled at create is not affected.
 *
 * Context: Any context but NMI.
 * Return: 0, or -EINVAL if @probability_ppm is out of range.
 */
int kpool_set_fault(struct kpool *pool, unsigned int every_nth,
		    unsigned int probability_ppm)
{
	unsigned long flags;

	if (probability_ppm > KPOOL_FAULT_PPM_MAX)
		return -EINVAL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	WRITE_ONCE(pool->fault_every, every_nth);
	WRITE_ONCE(pool->fault_ppm, probability_ppm);
	atomic_set(&pool->fault_count, 0);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_fault, KPOOL_NS);

/**
 * kpool_id() - the pool's registry id
 * @pool: the pool.
 *
 * Context: Any context.
 * Return: the id, never 0.
 */
u32 kpool_id(const struct kpool *pool)
{
	return pool->id;
}
EXPORT_SYMBOL_NS_GPL(kpool_id, KPOOL_NS);

/**
 * kpool_name() - the pool's name
 * @pool: the pool.
 *
 * Context: Any context.
 * Return: the name, valid as long as the pool.
 */
const char *kpool_name(const struct kpool *pool)
{
	return pool->name;
}
EXPORT_SYMBOL_NS_GPL(kpool_name, KPOOL_NS);

/**
 * kpool_owner() - the creator's cookie
 * @pool: the pool.
 *
 * Context: Any context.
 * Return: kpool_params.owner as given to kpool_create().
 */
const void *kpool_owner(const struct kpool *pool)
{
	return pool->owner;
}
EXPORT_SYMBOL_NS_GPL(kpool_owner, KPOOL_NS);

/**
 * kpool_block_owner() - the owner cookie of the pool holding a pointer
 * @ptr: any pointer.
 *
 * Finds, in O(1) and without trusting @ptr, the pool whose chunk holds
 * @ptr (nothing but @ptr's struct page and kpool's own memory is read)
 * and returns that pool's kpool_params.owner. It says nothing about
 * whether @ptr is the start of a block or allocated: kpool_free() checks
 * that. Pool sets use it to find a block's size class; a caller must not
 * use the result to reach a pool it does not own.
 *
 * Context: Any context but NMI.
 * Return: the owner cookie, or NULL if @ptr is in no live pool's chunk or
 * the pool was created without a cookie.
 */
const void *kpool_block_owner(const void *ptr)
{
	struct kpool_chunk *chunk;
	const void *owner = NULL;

	/* cheaper than rcu_read_lock() where RCU is preemptible */
	kpool_cpu_pin();
	chunk = kpool_ptr_chunk((unsigned long)kasan_reset_tag(ptr));
	if (chunk)
		owner = READ_ONCE(chunk->pool)->owner;
	kpool_cpu_unpin();
	return owner;
}
EXPORT_SYMBOL_NS_GPL(kpool_block_owner, KPOOL_NS);

/**
 * kpool_block_size() - the size of the pool's blocks
 * @pool: the pool.
 *
 * Context: Any context.
 * Return: kpool_params.block_size.
 */
size_t kpool_block_size(const struct kpool *pool)
{
	return pool->size;
}
EXPORT_SYMBOL_NS_GPL(kpool_block_size, KPOOL_NS);

/**
 * kpool_nr_chunks() - the chunks a pool holds now
 * @pool: the pool.
 *
 * kpool_get_stats()'s chunks without the rest of the snapshot: /dev/kpool
 * reads it after every allocation to see whether the pool grew.
 *
 * Context: Any context but NMI.
 * Return: chunks carved and not given back (a snapshot).
 */
unsigned long kpool_nr_chunks(const struct kpool *pool)
{
	return READ_ONCE(pool->nr_chunks);
}
EXPORT_SYMBOL_NS_GPL(kpool_nr_chunks, KPOOL_NS);

/* debugfs */

/* Every field of struct kpool_stats but the name, for the stats file. */
struct kpool_stat_field {
	const char *name;
	unsigned short offset;
	unsigned short size;
};

#define KPOOL_STAT_FIELD(type, name) \
	{ #name, offsetof(struct kpool_stats, name), sizeof(type) },

static const struct kpool_stat_field kpool_stat_fields[] = {
	KPOOL_STATE(KPOOL_STAT_FIELD)
	KPOOL_EVENTS(KPOOL_STAT_FIELD)
};

static int kpool_debugfs_stats_show(struct seq_file *m, void *unused)
{
	const struct kpool_stat_field *f;
	struct kpool_stats *stats;
	const void *field;
	s64 v;

	stats = kmalloc_obj(*stats, GFP_KERNEL);
	if (!stats)
		return -ENOMEM;
	kpool_get_stats(m->private, stats);
	seq_printf(m, "name: %s\n", stats->name);
	for (f = kpool_stat_fields; f < kpool_stat_fields +
	     ARRAY_SIZE(kpool_stat_fields); f++) {
		field = (const void *)stats + f->offset;
		/* the 32-bit fields are the id, the flags and the node */
		v = f->size == sizeof(u64) ? *(const s64 *)field :
					     *(const s32 *)field;
		seq_printf(m, "%s: %lld\n", f->name, v);
	}
	kfree(stats);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kpool_debugfs_stats);

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

static void kpool_debugfs_add(struct kpool *pool)
{
	char dir[KPOOL_NAME_LEN + 12];
	unsigned int entries = 2;	/* the directory and "stats" */

	/* pools of different owners may share a name: theirs get the id */
	if (pool->owner)
		snprintf(dir, sizeof(dir), "%s@%u", pool->name, pool->id);
	else
		strscpy(dir, pool->name, sizeof(dir));
	pool->debugfs = debugfs_create_dir(dir, kpool_debugfs_root);
	if (IS_ERR(pool->debugfs))
		return;
	debugfs_create_file("stats", 0400, pool->debugfs, pool,
			    &kpool_debugfs_stats_fops);
	if (pool->flags & KPOOL_F_DEBUG) {
		debugfs_create_file("leaks", 0400, pool->debugfs, pool,
				    &kpool_debugfs_leaks_fops);
		entries++;
	}
	entries += kpool_fault_debugfs(pool);
	pool->debugfs_bytes = entries * (sizeof(struct dentry) +
					 sizeof(struct inode));
}

/* Creation and destruction */

static bool kpool_name_valid(const char *name)
{
	size_t len, i;

	if (!name)
		return false;
	len = strnlen(name, KPOOL_NAME_LEN);
	if (!len || len == KPOOL_NAME_LEN || name[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!(isascii(name[i]) && isalnum(name[i])) &&
		    !strchr("_.:-", name[i]))
			return false;
	return true;
}

/* Blocks a chunk of @order holds. */
static unsigned long kpool_capacity(const struct kpool_geometry *g,
				    unsigned int order)
{
	unsigned long bytes = PAGE_SIZE << order;

	if (g->unit_shift && (1UL << g->unit_shift) <= bytes)
		return (bytes >> g->unit_shift) *
		       ((1UL << g->unit_shift) / g->stride);
	return bytes / g->stride;
}

/*
 * May a chunk of @order be chosen: it holds a block and wastes at most
 * 1/16 of itself, and CPUs refilling from it get block states on cache
 * lines of their own (it holds at most one batch, or two groups of states
 * at least)? With @preferred, it also holds KPOOL_MIN_PER_CHUNK blocks
 * (so that frees mostly hit the hint chunk) and its out-of-line metadata
 * is at most 1/32 of it.
 */
/*
 * Would CPUs refilling from a chunk of @n blocks get block states on the
 * same cache line: more than one batch, fewer than two groups of states?
 */
static bool kpool_lines_shared(unsigned long n)
{
	return n > KPOOL_MAG_BATCH && n < 2 * KPOOL_STATE_GROUP;
}

static bool kpool_order_fits(const struct kpool_geometry *g, size_t size,
			     unsigned int order, bool preferred)
{
	unsigned long n = kpool_capacity(g, order), bytes = PAGE_SIZE << order;

	if (!n || kpool_lines_shared(n) ||
	    (bytes - n * size) * 16 > bytes)
		return false;
	return !preferred || (n >= KPOOL_MIN_PER_CHUNK &&
			      (offsetof(struct kpool_chunk, state) + n) * 32 <=
			      bytes);
}

/* The order KPOOL_ORDER_AUTO stands for (see Limits in kpool.h). */
static int kpool_auto_order(const struct kpool_geometry *g, size_t size)
{
	u64 waste, best_waste = U64_MAX;
	int order, best = -EINVAL;

	for (order = 0; order <= KPOOL_AUTO_MAX_ORDER; order++)
		if (kpool_order_fits(g, size, order, true))
			return order;
	for (order = 0; order <= KPOOL_MAX_ORDER; order++)
		if (kpool_order_fits(g, size, order, false))
			return order;
	for (order = 0; order <= KPOOL_MAX_ORDER; order++) {
		unsigned long n = kpool_capacity(g, order);

		if (!n || kpool_lines_shared(n))
			continue;
		/* waste per byte of chunk, compared at the largest order */
		waste = ((PAGE_SIZE << order) - n * size) <<
			(KPOOL_MAX_ORDER - order);
		if (waste < best_waste) {
			best = order;
			best_waste = waste;
		}
	}
	return best;
}

static int kpool_check_params(const struct kpool_params *p,
			      struct kpool_geometry *g)
{
	size_t align = p->align, body;
	int order;

	if (!kpool_name_valid(p->name) ||
	    p->block_size < KPOOL_MIN_BLOCK_SIZE ||
	    p->block_size > KPOOL_MAX_BLOCK_SIZE ||
	    (align && (!is_power_of_2(align) || align > PAGE_SIZE)) ||
	    (p->boundary && !is_power_of_2(p->boundary)) ||
	    (p->flags & ~KPOOL_F_ALL) || (p->gfp & ~KPOOL_GFP_ALLOWED) ||
	    (p->max_blocks && p->min_blocks > p->max_blocks) ||
	    (p->ctor && (p->flags & KPOOL_F_ZERO)) ||
	    (p->node != NUMA_NO_NODE &&
	     (p->node < 0 || p->node >= MAX_NUMNODES ||
	      !node_state(p->node, N_MEMORY))))
		return -EINVAL;

	if (!align)
		align = clamp_t(size_t, 1UL << __ffs(p->block_size),
				sizeof(void *), PAGE_SIZE);
	body = p->block_size;
	if (p->flags & KPOOL_F_DEBUG)
		body += KPOOL_REDZONE_MIN;
	g->align = align;
	g->stride = round_up(body, align);
	/* a unit of boundary bytes must hold a block */
	if (p->boundary && p->boundary < g->stride)
		return -EINVAL;
	g->unit_shift = p->boundary ? ilog2(p->boundary) : 0;

	if (p->order == KPOOL_ORDER_AUTO)
		order = kpool_auto_order(g, p->block_size);
	else if (p->order >= 0 && p->order <= KPOOL_MAX_ORDER &&
		 kpool_capacity(g, p->order))
		order = p->order;
	else
		order = -EINVAL;
	if (order < 0)
		return order;
	/* without a boundary, or one past the chunk, the unit is the chunk */
	if (!g->unit_shift || g->unit_shift > PAGE_SHIFT + order)
		g->unit_shift = PAGE_SHIFT + order;
	g->order = order;
	g->per_unit = (1UL << g->unit_shift) / g->stride;
	return 0;
}

/*
 * Debug pools have no magazines (every operation is checked), nor do
 * type-safe pools under generic KASAN: the fast free poisons the block in
 * KASAN's shadow, where their RCU readers may still read it.
 */
static void kpool_set_geometry(struct kpool *pool,
			       const struct kpool_params *p,
			       const struct kpool_geometry *g)
{
	pool->size = p->block_size;
	pool->align = g->align;
	pool->boundary = p->boundary;
	pool->stride = g->stride;
	pool->stride_recip = div_u64((1ULL << 32) + g->stride - 1, g->stride);
	pool->order = g->order;
	pool->chunk_bytes = PAGE_SIZE << g->order;
	pool->unit_shift = g->unit_shift;
	pool->unit_mask = (1UL << g->unit_shift) - 1;
	pool->per_unit = g->per_unit;
	pool->per_unit_recip = reciprocal_value(g->per_unit);
	pool->per_chunk = kpool_capacity(g, g->order);
	pool->chunk_meta = offsetof(struct kpool_chunk, state) +
			  pool->per_chunk;
}

static void kpool_pool_free_rcu(struct rcu_head *rcu)
{
	struct kpool *pool = container_of(rcu, struct kpool, rcu);

	free_percpu(pool->cpu);
	kfree(pool);
}

static void kpool_free_memory(struct kpool *pool)
{
	struct kpool_chunk *chunk, *next;

	list_for_each_entry_safe(chunk, next, &pool->chunks, node)
		kpool_chunk_release(pool, chunk);
	kpool_rcu_free(pool);
	/* kpool_block_owner() and kpool_cpu_dead() may still read it */
	call_rcu(&pool->rcu, kpool_pool_free_rcu);
}

static struct kpool *kpool_alloc_pool(const struct kpool_params *p,
				      const struct kpool_geometry *g)
{
	gfp_t gfp = GFP_KERNEL | (p->gfp & __GFP_ACCOUNT);
	struct kpool *pool;
	int cpu;

	pool = kzalloc_obj(*pool, gfp);
	if (!pool)
		return NULL;
	pool->cpu = alloc_percpu_gfp(struct kpool_cpu, gfp);
	if (!pool->cpu) {
		kfree(pool);
		return NULL;
	}
	if (kpool_rcu_init(pool, gfp)) {
		free_percpu(pool->cpu);
		kfree(pool);
		return NULL;
	}
	for_each_possible_cpu(cpu) {
		struct kpool_cpu *pc = per_cpu_ptr(pool->cpu, cpu);

		pc->hint = &kpool_no_chunk;
		local_lock_init(&pc->lock);
		INIT_WORK(&pc->drain_work, kpool_drain_work);
		pc->pool = pool;
	}

	pool->flags = p->flags;
	pool->zero_gfp = (p->flags & KPOOL_F_ZERO) ? __GFP_ZERO : 0;
	pool->mag_size = (p->flags & KPOOL_F_DEBUG) ? 0 : KPOOL_MAG_SIZE;
	kpool_set_geometry(pool, p, g);
	raw_spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->partial);
	INIT_LIST_HEAD(&pool->full);
	INIT_LIST_HEAD(&pool->empty);
	INIT_LIST_HEAD(&pool->chunks);
	init_swait_queue_head(&pool->wait);
	mutex_init(&pool->release_lock);
	INIT_WORK(&pool->drain_work, kpool_drain_all_work);
	pool->drain_next = jiffies;
	pool->min_blocks = p->min_blocks;
	pool->max_blocks = p->max_blocks;
	pool->node = p->node;
	pool->gfp = p->gfp;
	pool->ctor = p->ctor;
	pool->ctor_arg = p->ctor_arg;
	pool->owner = p->owner;
	atomic_set(&pool->fault_count, 0);
	kpool_fault_attr_init(pool);
	strscpy(pool->name, p->name, sizeof(pool->name));
	return pool;
}

/* Carve chunks until the reserve can be set aside. */
static int kpool_fill_reserve(struct kpool *pool)
{
	u64 chunks = DIV_ROUND_UP_ULL(pool->min_blocks, pool->per_chunk);
	unsigned long flags;

	/* fail at once rather than after eating all memory */
	if ((chunks << pool->order) > totalram_pages())
		return -ENOMEM;
	while (pool->blocks_total < pool->min_blocks) {
		if (kpool_grow(pool, kpool_grow_gfp(pool, GFP_KERNEL |
						    __GFP_RETRY_MAYFAIL, false)))
			return -ENOMEM;
	}
	raw_spin_lock_irqsave(&pool->lock, flags);
	pool->nr_reserve = pool->min_blocks;
	kpool_update_tight(pool);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return 0;
}

static struct kpool *kpool_find_name(const char *name, const void *owner)
{
	struct kpool *pool;

	lockdep_assert_held(&kpool_registry_lock);
	list_for_each_entry(pool, &kpool_list, list)
		if (pool->owner == owner && !strcmp(pool->name, name))
			return pool;
	return NULL;
}

/* The next id to try: ids of destroyed pools are not reused at once. */
static u32 kpool_next_id;

static int kpool_register(struct kpool *pool)
{
	int err;

	mutex_lock(&kpool_registry_lock);
	if (kpool_find_name(pool->name, pool->owner)) {
		err = -EEXIST;
		goto out;
	}
	err = xa_alloc_cyclic(&kpool_ids, &pool->id, pool, xa_limit_32b,
			      &kpool_next_id, GFP_KERNEL);
	if (err < 0)
		goto out;
	err = 0;
	list_add_tail_rcu(&pool->list, &kpool_list);
out:
	mutex_unlock(&kpool_registry_lock);
	return err;
}

/**
 * kpool_create() - create a pool
 * @params: what to build; read only during the call (the name is copied).
 *
 * Validates @params, carves enough chunks to set aside the reserve of
 * min_blocks blocks, registers the pool (id, name) and adds its debugfs
 * directory. On failure nothing is left behind. Every pool holds a
 * reference to the kpool module until kpool_destroy().
 *
 * Context: Process context; may sleep.
 * Return: the pool, or an ERR_PTR(): -EINVAL for bad parameters (name,
 * block_size, align, boundary, flags, gfp, order, node, min_blocks >
 * max_blocks, a constructor with KPOOL_F_ZERO), -ENOMEM when memory or the
 * reserve could not be had, -EEXIST when a live pool of the same owner has
 * the same name.
 */
struct kpool *kpool_create(const struct kpool_params *params)
{
	struct kpool_geometry geometry;
	struct kpool *pool;
	int err;

	if (!params)
		return ERR_PTR(-EINVAL);
	err = kpool_check_params(params, &geometry);
	if (err)
		return ERR_PTR(err);

	pool = kpool_alloc_pool(params, &geometry);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	err = kpool_fill_reserve(pool);
	if (err)
		goto fail;
	err = kpool_register(pool);
	if (err)
		goto fail;

	kpool_debugfs_add(pool);
	__module_get(THIS_MODULE);
	return pool;

fail:
	kpool_free_memory(pool);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_NS_GPL(kpool_create, KPOOL_NS);

static void kpool_report_leaks(struct kpool *pool, unsigned long in_use)
{
	pr_warn("pool %s: not destroyed, %lu blocks still allocated\n",
		pool->name, in_use);
	if ((pool->flags & KPOOL_F_DEBUG) &&
	    kpool_report_owners(NULL, pool, KPOOL_LEAKS_SHOWN) >
	    KPOOL_LEAKS_SHOWN)
		pr_warn("pool %s: more leaked blocks not shown\n", pool->name);
}

/**
 * kpool_destroy() - destroy a pool
 * @pool: the pool, or NULL (then nothing happens).
 *
 * Drains every CPU's magazine, then refuses if blocks are still allocated:
 * it reports how many (and, for a debug pool, where they were allocated)
 * and leaves the pool fully usable. Otherwise the pool leaves the registry
 * and debugfs and all its memory is freed. Nothing may use the pool
 * concurrently or afterwards.
 *
 * Context: Process context; may sleep.
 * Return: 0, or -EBUSY if blocks are still allocated.
 */
int kpool_destroy(struct kpool *pool)
{
	unsigned long in_use;

	if (!pool)
		return 0;
	kpool_rcu_barrier(pool);
	kpool_drain_all(pool, false);
	in_use = kpool_in_use(pool);
	if (in_use) {
		kpool_report_leaks(pool, in_use);
		return -EBUSY;
	}

	/* first, so that a new pool of the same name gets its directory */
	debugfs_remove_recursive(pool->debugfs);
	mutex_lock(&kpool_registry_lock);
	list_del_rcu(&pool->list);
	xa_erase(&kpool_ids, pool->id);
	mutex_unlock(&kpool_registry_lock);

	cancel_work_sync(&pool->drain_work);
	kpool_free_memory(pool);
	module_put(THIS_MODULE);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_destroy, KPOOL_NS);

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

/* Registry */

/**
 * kpool_for_each() - call @fn for every live pool
 * @fn: the callback; a non-zero return stops the walk. It runs under the
 *	registry mutex: it may sleep and use the pool, but must not create
 *	or destroy pools or walk the registry.
 * @arg: passed to @fn.
 *
 * Context: Process context; may sleep.
 * Return: 0, or the first non-zero value @fn returned.
 */
int kpool_for_each(int (*fn)(struct kpool *pool, void *arg), void *arg)
{
	struct kpool *pool;
	int ret = 0;

	mutex_lock(&kpool_registry_lock);
	list_for_each_entry(pool, &kpool_list, list) {
		ret = fn(pool, arg);
		if (ret)
			break;
	}
	mutex_unlock(&kpool_registry_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(kpool_for_each, KPOOL_INTERNAL_NS);

/**
 * kpool_registry_walk() - call @fn for up to @steps live pools, by id
 * @fn: the callback, under the registry mutex (see kpool_for_each()).
 * @arg: passed to @fn.
 * @pos: in: the lowest id to visit; out: the id to start the next step
 *	 at, or 0 when no pool is left.
 * @steps: how many pools this step visits at most.
 *
 * A walk in bounded steps, each its own hold of the registry mutex, so a
 * caller can yield between them: start with *@pos = 1 and call again
 * while *@pos is not 0. Pools created or destroyed during the walk may or
 * may not be visited; none is visited twice.
 *
 * Context: Process context; may sleep.
 * Return: 0, or the first non-zero value @fn returned.
 */
int kpool_registry_walk(int (*fn)(struct kpool *pool, void *arg), void *arg,
			u32 *pos, unsigned int steps)
{
	unsigned long id, start = *pos ?: 1;
	struct kpool *pool;
	int ret = 0;

	mutex_lock(&kpool_registry_lock);
	*pos = 0;
	xa_for_each_start(&kpool_ids, id, pool, start) {
		if (!steps--) {
			*pos = id;
			break;
		}
		ret = fn(pool, arg);
		if (ret)
			break;
	}
	mutex_unlock(&kpool_registry_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(kpool_registry_walk, KPOOL_INTERNAL_NS);

/**
 * kpool_with_id() - call @fn for the pool with id @id
 * @id: the id (kpool_id()).
 * @fn: the callback, under the registry mutex (see kpool_for_each()).
 * @arg: passed to @fn.
 *
 * Context: Process context; may sleep.
 * Return: what @fn returned, or -ENOENT if no live pool has that id.
 */
int kpool_with_id(u32 id, int (*fn)(struct kpool *pool, void *arg),
		  void *arg)
{
	struct kpool *pool;
	int ret = -ENOENT;

	mutex_lock(&kpool_registry_lock);
	pool = xa_load(&kpool_ids, id);
	if (pool)
		ret = fn(pool, arg);
	mutex_unlock(&kpool_registry_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(kpool_with_id, KPOOL_INTERNAL_NS);

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

static unsigned long kpool_shrink_count(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	unsigned long pages = 0;
	struct kpool *pool;

	if (!mutex_trylock(&kpool_registry_lock))
		return 0;
	list_for_each_entry(pool, &kpool_list, list) {
		if (pool->flags & KPOOL_F_NO_SHRINK)
			continue;
		if (READ_ONCE(pool->nr_chunks) > READ_ONCE(pool->nr_empty))
			kpool_drain_all(pool, true);
		pages += kpool_releasable_pages(pool);
	}
	mutex_unlock(&kpool_registry_lock);
	return pages;
}

static unsigned long kpool_shrink_scan(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	unsigned long freed = 0;
	struct kpool *pool;

	if (!mutex_trylock(&kpool_registry_lock))
		return SHRINK_STOP;
	list_for_each_entry(pool, &kpool_list, list) {
		if (freed >= sc->nr_to_scan)
			break;
		if (!(pool->flags & KPOOL_F_NO_SHRINK))
			freed += kpool_release_free_chunks(pool,
							   sc->nr_to_scan - freed,
							   true);
	}
	mutex_unlock(&kpool_registry_lock);
	return freed ? freed : SHRINK_STOP;
}

static struct shrinker *kpool_shrinker;

/* Driver glue: pools managed by the driver model, pools under a mempool */

/* devres release: as kpool_destroy(), which reports blocks still out */
static void devm_kpool_release(struct device *dev, void *res)
{
	kpool_destroy(*(struct kpool **)res);
}

/**
 * devm_kpool_create() - create a pool destroyed when @dev is unbound
 * @dev: the device whose driver owns the pool.
 * @params: as for kpool_create().
 *
 * Managed kpool_create(), as dmam_pool_create() is dma_pool_create()'s:
 * the pool is destroyed by kpool_destroy() when the driver is detached
 * from @dev (or @dev is released without a driver). A pool that still has
 * blocks out then is reported exactly as kpool_destroy() reports it
 * (count, and the allocation sites of a debug pool) and is left alive,
 * its blocks valid, rather than freed under its users. Names are unique
 * among modules' pools (kpool_params.owner NULL): a driver with several
 * devices names each device's pool apart (e.g. after dev_name()).
 *
 * Context: Process context; may sleep.
 * Return: the pool, or an ERR_PTR(): kpool_create()'s errors, or -ENOMEM
 * if the devres entry could not be had.
 */
struct kpool *devm_kpool_create(struct device *dev,
				const struct kpool_params *params)
{
	struct kpool **res, *pool;

	res = devres_alloc(devm_kpool_release, sizeof(*res), GFP_KERNEL);
	if (!res)
		return ERR_PTR(-ENOMEM);
	pool = kpool_create(params);
	if (IS_ERR(pool))
		goto fail;
	*res = pool;
	devres_add(dev, res);
	return pool;

fail:
	devres_free(res);
	return pool;
}
EXPORT_SYMBOL_NS_GPL(devm_kpool_create, KPOOL_NS);

/**
 * kpool_mempool_alloc() - mempool_alloc_t over a kpool pool
 * @gfp_mask: the allocation context mempool_alloc() passes on.
 * @pool_data: the pool (struct kpool *), as given to mempool_create().
 *
 * As mempool_alloc_slab() is for a kmem_cache: mempool_create(min_nr,
 * kpool_mempool_alloc, kpool_mempool_free, pool) puts a mempool's reserve
 * of min_nr elements on top of @pool_data. An atomic @gfp_mask is served
 * by kpool_alloc(); a sleeping one (mempool_create()'s preallocation,
 * mempool_alloc()'s retry once its reserve is empty) by
 * kpool_alloc_bulk(), which may reclaim to grow the pool but never waits
 * for a kpool_free(): mempool_alloc() waits for mempool_free() itself, and
 * mempool_free() refills the mempool's reserve before it frees to the
 * pool, so a wait inside the pool could miss the very frees it needs.
 *
 * Context: As kpool_alloc() for @gfp_mask.
 * Return: a block of the pool, or NULL.
 */
void *kpool_mempool_alloc(gfp_t gfp_mask, void *pool_data)
{
	void *element;

	if (!gfpflags_allow_blocking(gfp_mask))
		return kpool_alloc(pool_data, gfp_mask);
	if (kpool_alloc_bulk(pool_data, gfp_mask, 1, &element))
		return NULL;
	return element;
}
EXPORT_SYMBOL_NS_GPL(kpool_mempool_alloc, KPOOL_NS);

/**
 * kpool_mempool_free() - mempool_free_t over a kpool pool
 * @element: a block of the pool, from kpool_mempool_alloc().
 * @pool_data: the pool (struct kpool *), as given to mempool_create().
 *
 * Frees @element to the pool with kpool_free(), whose checks apply: a
 * block that is not the pool's, or not allocated, is refused, counted and
 * reported, and the pool stays intact.
 *
 * Context: Any context but NMI.
 */
void kpool_mempool_free(void *element, void *pool_data)
{
	kpool_free(pool_data, element);
}
EXPORT_SYMBOL_NS_GPL(kpool_mempool_free, KPOOL_NS);

/*
 * A CPU is dead: nothing runs there, drain its magazines from here. The
 * registry is walked under RCU, not its mutex: a holder of the mutex may
 * wait for CPU hotplug (kpool_shrink() from kpool_for_each()). A pool
 * leaving the registry is freed after a grace period (kpool_free_memory()).
 */
static int kpool_cpu_dead(unsigned int cpu)
{
	struct kpool *pool;

	rcu_read_lock();
	list_for_each_entry_rcu(pool, &kpool_list, list)
		if (pool->mag_size)
			kpool_mag_drain(pool, per_cpu_ptr(pool->cpu, cpu));
	rcu_read_unlock();
	return 0;
}

static int __init kpool_init(void)
{
	struct kpool_chunk_table *table;
	int err = -ENOMEM;

	kpool_page_key = get_random_long() | BIT(BITS_PER_LONG - 1);
	table = kpool_table_alloc(KPOOL_TABLE_MIN, GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	RCU_INIT_POINTER(kpool_chunks, table);
	kpool_wq = alloc_workqueue("kpool", WQ_MEM_RECLAIM | WQ_PERCPU, 0);
	if (!kpool_wq)
		goto fail_table;
	kpool_rcu_wq = alloc_workqueue("kpool_rcu", WQ_MEM_RECLAIM | WQ_PERCPU,
				       0);
	if (!kpool_rcu_wq)
		goto fail_wq;
	err = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "kpool:dead",
					NULL, kpool_cpu_dead);
	if (err < 0)
		goto fail_rcu_wq;
	kpool_cpuhp_state = err;
	kpool_shrinker = kpool_shrinker_create("kpool", kpool_shrink_count,
					       kpool_shrink_scan);
	if (!kpool_shrinker) {
		err = -ENOMEM;
		goto fail_cpuhp;
	}
	/* without the stack depot, owners are tracked by caller address */
	kpool_stack_depot_ready = IS_ENABLED(CONFIG_STACKDEPOT) &&
				  !stack_depot_init();
	kpool_debugfs_root = debugfs_create_dir("kpool", NULL);
	return 0;

fail_cpuhp:
	cpuhp_remove_state_nocalls(kpool_cpuhp_state);
fail_rcu_wq:
	destroy_workqueue(kpool_rcu_wq);
fail_wq:
	destroy_workqueue(kpool_wq);
fail_table:
	kvfree(table);
	return err;
}

static void __exit kpool_exit(void)
{
	debugfs_remove_recursive(kpool_debugfs_root);
	kpool_shrinker_destroy(kpool_shrinker);
	cpuhp_remove_state_nocalls(kpool_cpuhp_state);
	/* chunks of destroyed pools are still waiting for a grace period */
	rcu_barrier();
	WARN(atomic_long_read(&kpool_pages_held),
	     "kpool: %ld chunk pages never given back\n",
	     atomic_long_read(&kpool_pages_held));
	destroy_workqueue(kpool_rcu_wq);
	destroy_workqueue(kpool_wq);
	xa_destroy(&kpool_ids);
	/* no chunk is left, nor any reader of the table */
	kvfree(rcu_dereference_protected(kpool_chunks, true));
	ida_destroy(&kpool_chunk_ids);
}

module_init(kpool_init);
module_exit(kpool_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Pools of fixed-size blocks carved from page chunks");
MODULE_AUTHOR("kpool developers");
