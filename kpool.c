// SPDX-License-Identifier: GPL-2.0
/*
 * kpool - pools of fixed-size blocks carved from alloc_pages() chunks.
 *
 * Theory of operation
 * ===================
 *
 * Chunks and blocks
 * -----------------
 * A chunk is 2^order pages from alloc_pages_node() (not compound, so
 * naturally aligned by the buddy allocator). Every page of a chunk carries
 * the chunk pointer in page->private and an owner key in page->index:
 * chunk ^ kpool_page_key, a random key of the module. A pointer is turned
 * into its chunk by checking that it lies in the direct map below
 * high_memory and that its page frame has a struct page (pfn_valid(),
 * which also refuses the holes of a sparse memory map), reading the two
 * fields of its struct page and comparing the key: nothing the pointer
 * leads to is dereferenced before the key proved the page belongs to a
 * live chunk. kpool_free() then checks that chunk->pool is its pool;
 * kpool_block_owner() reads the owner cookie of chunk->pool. Both fields
 * are cleared before a chunk's pages are freed, and chunks and pools are
 * freed after an RCU grace period.
 *
 * A chunk is cut into "units" of 2^unit_shift bytes, each holding per_unit
 * blocks at multiples of the stride: the unit is a page when the stride is
 * at most PAGE_SIZE (so no such block straddles a page), else the whole
 * chunk. A block is named by its index (unit << slot_shift) | slot, with
 * slot_shift = order_base_2(per_unit): indices are computed with shifts and
 * one multiplication, never a division; the index space may have holes,
 * which are never set in the bitmap. The slot of a byte offset inside a
 * unit is found with a 32-bit reciprocal of the stride; see kpool_slot().
 *
 * Per chunk: @allocated, a bitmap of the blocks handed out (set_bit() when
 * a block is allocated, test_and_clear_bit() when it is freed, so a double
 * free is seen even on the fast path), and a stack of free block indices
 * (u16 when they fit) that forms the depot. Chunks are kept on three lists
 * by the state of their stack - partial, full (no free block in the depot)
 * and empty (every block in the depot) - so a refill finds a chunk in O(1)
 * (partial ones first, so that empty ones can be given back) and so does
 * the shrinker. Every chunk is also on pool->chunks in creation order,
 * walked under RCU by stats, occupancy and the debugfs leak report.
 *
 * Per-CPU magazines
 * -----------------
 * struct kpool_cpu holds a LIFO magazine of free blocks, each with its
 * chunk and index (found when the block was validated by kpool_free(), so
 * an allocation from the magazine only sets the bitmap bit), and the
 * event counters; each fast path bumps one counter. The fast path pins
 * the task to the CPU (preempt_disable(), migrate_disable() on
 * PREEMPT_RT) and claims the magazine with a per-CPU recursion guard:
 * this_cpu_inc_return() == 1 means this context owns it; any other value
 * means it interrupted (or, on RT, preempted) an owner on the same CPU, so
 * it undoes the increment and takes the slow path. The fast path
 * therefore takes no lock and never toggles interrupts. Only the
 * owning CPU touches a magazine: others drain it by queueing a work item on
 * that CPU (kpool_drain_all()); the magazine of a dead CPU is drained by a
 * CPU hotplug callback. Debug pools have no magazines.
 *
 * The depot, growth, the reserve and waiting
 * ------------------------------------------
 * The depot, the reserve count and the growth bookkeeping are under
 * pool->lock, a raw spinlock taken with irqsave (hardirq callers), held for
 * bounded work only: moving at most KPOOL_MAG_SIZE blocks, unlinking one
 * chunk. Growth allocates and carves a chunk (constructor, poisoning)
 * without the lock and publishes it under the lock; the blocks it will add
 * are claimed against max_blocks first, so concurrent growth never exceeds
 * the cap (the last chunk is carved partially when the cap requires it).
 *
 * The reserve is min_blocks of the depot's free blocks that an allocation
 * may take only after growth failed or hit the cap. Whenever a block comes
 * back to the depot while the reserve is short, the reserve takes it. While
 * the reserve is short, or while allocations are waiting, the pool is
 * "tight": frees bypass the magazines (one READ_ONCE() on the fast path)
 * and refills take single blocks, so free blocks go where they are needed.
 *
 * An allocation that may sleep and finds nothing registers as hungry (the
 * pool turns tight), drains every CPU's magazine, retries and then sleeps,
 * killable, on a simple wait queue (raw, irq-safe) until a free wakes it
 * (swake_up_one()) or a second passes (then it retries growth too). A
 * fatal signal ends the wait with NULL. An atomic allocation never waits.
 *
 * Chunk lifetime
 * --------------
 * The fast path of kpool_free() validates the pointer inside the pinned
 * section, which is an RCU read-side critical section (preempt_disable();
 * rcu_read_lock() is added on PREEMPT_RT). A chunk leaves the pool under
 * pool->lock, its pages' owner fields and every CPU's hint pointing to it
 * are cleared and it is freed after an RCU grace period, so even a racing
 * bogus free of one of its blocks reads valid memory (and is refused: its
 * bits are all clear). The hint is the chunk of the last block a CPU's
 * kpool_free() put in its magazine: a pointer inside the hint chunk is
 * known to be the pool's memory without reading its struct page.
 *
 * Calling context
 * ---------------
 * See kpool.h: allocation with an atomic gfp and free from any context but
 * NMI; create, destroy, shrink and registry walks from process context. On
 * PREEMPT_RT the page allocator (and stack depot allocations) are used only
 * when the caller is preemptible.
 *
 * Locking
 * -------
 * kpool_registry_lock (mutex): the pool list, the id xarray and name
 * uniqueness; kpool_for_each()/kpool_with_id() call back under it. The
 * shrinker only trylocks it.
 * pool->lock (raw spinlock, irqsave): see struct kpool.
 * The per-CPU guard is not a lock: it is only ever tried, never waited for.
 * Order: kpool_registry_lock -> pool->lock -> swait queue lock. Magazine
 * ownership (the guard) is taken before pool->lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/kallsyms.h>
#include <linux/kmemleak.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/rculist.h>
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

#define CREATE_TRACE_POINTS
#include "kpool_trace.h"

#define KPOOL_MAG_BATCH		(KPOOL_MAG_SIZE / 2)
#define KPOOL_STACK_DEPTH	16	/* frames kept per allocation */
#define KPOOL_LEAKS_SHOWN	16	/* leaked blocks kpool_destroy() lists */
#define KPOOL_DUMP_BYTES	64	/* hexdump around a corruption */
#define KPOOL_WAIT_RETRY	HZ	/* a waiting allocation retries growth */

/* Flags of the allocation context that kpool passes on to growth. */
#define KPOOL_GFP_CONTEXT	(__GFP_HIGH | __GFP_IO | __GFP_FS | \
				 __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | \
				 __GFP_NORETRY | __GFP_RETRY_MAYFAIL | \
				 __GFP_NOMEMALLOC | __GFP_MEMALLOC | \
				 __GFP_ACCOUNT | __GFP_HARDWALL | __GFP_NOWARN)

/*
 * Event counters, from KPOOL_EVENTS(). The fast paths bump one counter
 * each: a magazine hit counts only cache_hits, so the allocs counter holds
 * the blocks handed out by the slow path and kpool_get_stats() adds the
 * hits.
 */
#define KPOOL_EV_ENUM(type, name) KPOOL_EV_##name,
enum kpool_event {
	KPOOL_EVENTS(KPOOL_EV_ENUM)
	KPOOL_NR_EVENTS
};

/**
 * struct kpool_mag_slot - a free block in a magazine
 * @block: the block.
 * @chunk: its chunk...
 * @idx: ...and its index there, known when the block was freed, so that
 *	 an allocation from the magazine sets its bitmap bit without
 *	 looking them up again.
 */
struct kpool_mag_slot {
	void *block;
	struct kpool_chunk *chunk;
	unsigned long idx;
};

/**
 * struct kpool_cpu - one CPU's part of a pool
 * @guard: recursion guard: the context that raised it from 0 to 1 owns
 *	   @nr and @mag until it lowers it again. Only this CPU changes it.
 * @nr: blocks in @mag.
 * @hint: the chunk of the block last put in @mag by kpool_free(), or NULL:
 *	  a block in its range needs no struct page lookup. Written by the
 *	  owner of @mag, cleared by kpool_forget_chunk() before the chunk
 *	  leaves the pool.
 * @mag: free blocks, used LIFO.
 * @stat: event counters (enum kpool_stat_item), summed by kpool_get_stats().
 * @drain_work: moves this CPU's magazine back to the depot.
 * @pool: the pool, for @drain_work.
 */
struct kpool_cpu {
	unsigned int guard;
	unsigned int nr;
	struct kpool_chunk *hint;
	struct kpool_mag_slot mag[KPOOL_MAG_SIZE];
	unsigned long stat[KPOOL_NR_EVENTS];
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
 * struct kpool_chunk - 2^order pages cut into blocks
 * @state: on pool->partial, pool->full or pool->empty; under pool->lock.
 * @node: on pool->chunks; changed under pool->lock, walked under RCU.
 * @rcu: frees the chunk after the readers of @node and of the pages' owner
 *	 fields are gone.
 * @pool: the pool the chunk belongs to.
 * @page: the first page.
 * @base: its address.
 * @order: the chunk order.
 * @nr_blocks: blocks carved (fewer than blocks_per_chunk when the cap cut
 *	       the last chunk short).
 * @nr_free: indices on the free stack; under pool->lock.
 * @free16: the free stack when indices fit in 16 bits...
 * @free32: ...else this one; under pool->lock.
 * @owners: debug pools: the owner of each block index.
 * @allocated: bit per block index: set while the block is handed out.
 */
struct kpool_chunk {
	struct list_head state;
	struct list_head node;
	struct rcu_head rcu;
	struct kpool *pool;
	struct page *page;
	void *base;
	unsigned int order;
	unsigned int nr_blocks;
	unsigned int nr_free;
	union {
		u16 *free16;
		u32 *free32;
	};
	struct kpool_owner *owners;
	unsigned long allocated[];
};

/**
 * struct kpool - a pool
 * @cpu: per-CPU magazines and counters.
 * @mag_size: blocks a magazine may hold; 0 for debug pools.
 * @tight: frees bypass the magazines and refills take single blocks;
 *	   written under @lock, read locklessly by the fast path.
 * @flags: KPOOL_F_*.
 * @size: block size.
 * @align: block alignment.
 * @stride: distance between blocks.
 * @stride_recip: ceil(2^32 / @stride), see kpool_slot().
 * @unit_shift: log2 of the unit size (see the theory of operation).
 * @unit_mask: the unit size minus one.
 * @slot_shift: bits of the slot in a block index.
 * @per_unit: blocks per unit.
 * @order: chunk order.
 * @per_chunk: blocks per full chunk.
 * @index_space: block indices per chunk (holes included).
 * @wide: the free stacks are u32, not u16.
 * @free_offset: where a chunk's free stack starts in its metadata...
 * @owners_offset: ...and where its owners array starts.
 * @chunk_meta: bytes of struct kpool_chunk with its arrays.
 * @zero: blocks are zeroed on allocation (KPOOL_F_ZERO).
 * @lock: guards the depot (the chunk lists, every chunk's free stack and
 *	  @nr_free), @depot_free, @blocks_total, @blocks_growing, @nr_chunks,
 *	  @nr_empty, @nr_reserve, @nr_hungry, @tight and @high_watermark.
 * @partial: chunks with some of their blocks in the depot.
 * @full: chunks with none of their blocks in the depot.
 * @empty: chunks with all of their blocks in the depot.
 * @chunks: every chunk, in creation order.
 * @nr_chunks: chunks on @chunks.
 * @nr_empty: chunks on @empty (read locklessly by the shrinker).
 * @blocks_total: blocks carved.
 * @blocks_growing: blocks of chunks being carved, claimed against the cap.
 * @depot_free: free blocks in the depot, the reserve included.
 * @nr_reserve: blocks of @depot_free set aside as the reserve.
 * @nr_hungry: allocations that found the pool empty and may wait.
 * @high_watermark: most blocks out of the depot at once.
 * @wait: allocations waiting for a free.
 * @min_blocks: the reserve to keep.
 * @max_blocks: cap on @blocks_total, 0 for none.
 * @node: NUMA node of the chunks.
 * @gfp: extra GFP flags for growth.
 * @ctor: block constructor.
 * @ctor_arg: its argument.
 * @owner: the creator's cookie.
 * @fault_every: fail every Nth growth attempt (kpool_set_fault()).
 * @fault_ppm: fail growth with this probability in parts per million.
 * @fault_count: growth attempts since the fault settings changed.
 * @fail_grow: fault_attr consulted on every growth attempt (debugfs knobs
 *	       in the pool's directory, fail-nth); CONFIG_FAULT_INJECTION.
 * @drain_kicked: jiffies of the last asynchronous drain request.
 * @id: registry id.
 * @list: on kpool_list; under kpool_registry_lock.
 * @rcu: frees the pool after the readers of chunk->pool are gone.
 * @debugfs: the pool's debugfs directory.
 * @name: the pool's name.
 */
struct kpool {
	/* what the fast paths read, together in the first 64 bytes */
	struct kpool_cpu __percpu *cpu;
	unsigned long unit_mask;
	u32 stride_recip;
	unsigned int unit_shift;
	unsigned int slot_shift;
	unsigned int stride;
	unsigned int per_unit;
	unsigned int order;
	unsigned int mag_size;
	unsigned int tight;
	unsigned int size;
	bool zero;

	bool wide;
	unsigned int flags;
	unsigned int align;
	unsigned int per_chunk;
	unsigned int index_space;
	size_t free_offset;
	size_t owners_offset;
	size_t chunk_meta;

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

	unsigned int min_blocks;
	unsigned int max_blocks;
	int node;
	gfp_t gfp;
	void (*ctor)(void *block, void *arg);
	void *ctor_arg;
	const void *owner;

	unsigned int fault_every;
	unsigned int fault_ppm;
	atomic_t fault_count;
#ifdef CONFIG_FAULT_INJECTION
	struct fault_attr fail_grow;
#endif
	unsigned long drain_kicked;

	u32 id;
	struct list_head list;
	struct rcu_head rcu;
	struct dentry *debugfs;
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
static struct dentry *kpool_debugfs_root;
static enum cpuhp_state kpool_cpuhp_state;
/* page->index of a chunk's pages is the chunk pointer xor this key */
static unsigned long kpool_page_key __read_mostly;
/* pages of all chunks not yet given back: must be 0 when kpool unloads */
static atomic_long_t kpool_pages_held = ATOMIC_LONG_INIT(0);
static bool kpool_stack_depot_ready;

/* One budget for every corruption hexdump, so a storm cannot flood. */
static DEFINE_RATELIMIT_STATE(kpool_dump_ratelimit, 5 * HZ, 10);

static __always_inline void kpool_count(struct kpool *pool,
					enum kpool_event item)
{
	this_cpu_inc(pool->cpu->stat[item]);
}

static void kpool_count_n(struct kpool *pool, enum kpool_event item,
			  unsigned long n)
{
	this_cpu_add(pool->cpu->stat[item], n);
}

static u64 kpool_counter(struct kpool *pool, enum kpool_event item)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(pool->cpu, cpu)->stat[item]);
	return sum;
}

/* The page allocator may be called here: not in atomic context on RT. */
static bool kpool_may_alloc_pages(void)
{
	return !IS_ENABLED(CONFIG_PREEMPT_RT) || preemptible();
}

/*
 * Pin the task to this CPU for a magazine operation. The section is also
 * an RCU read-side critical section, which keeps a chunk found by
 * kpool_lookup() alive until kpool_cpu_unpin().
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
 * Claim this CPU's magazine (the task is pinned). Return false when this
 * context interrupted or preempted the magazine's owner on this CPU.
 */
static __always_inline bool kpool_cpu_claim(struct kpool_cpu __percpu *cpu)
{
	if (likely(this_cpu_inc_return(cpu->guard) == 1)) {
		/* the magazine is touched only after the guard is raised */
		barrier();
		return true;
	}
	this_cpu_dec(cpu->guard);
	return false;
}

/* For the slow paths: this CPU's part of the pool if claimed, or NULL. */
static struct kpool_cpu *kpool_cpu_try(struct kpool *pool)
{
	return kpool_cpu_claim(pool->cpu) ? this_cpu_ptr(pool->cpu) : NULL;
}

static __always_inline void kpool_cpu_release(struct kpool_cpu __percpu *cpu)
{
	/* ...and no longer once it is lowered */
	barrier();
	this_cpu_dec(cpu->guard);
}

/*
 * The slot of the block starting at byte @in of a unit. With
 * m = stride_recip = ceil(2^32 / s) = (2^32 + e) / s, 0 <= e < s: for
 * in = q * s, in * m / 2^32 = q + q * e / 2^32 and q * e < q * s = in
 * < 2^32, so the result is exactly q. For any other @in no slot satisfies
 * slot * s == in: kpool_lookup() checks that.
 */
static __always_inline unsigned int kpool_slot(const struct kpool *pool,
					       unsigned int in)
{
	return ((u64)in * pool->stride_recip) >> 32;
}

static __always_inline unsigned int kpool_index(const struct kpool *pool,
						unsigned int unit,
						unsigned int slot)
{
	return unit << pool->slot_shift | slot;
}

static void *kpool_block_addr(const struct kpool *pool,
			      const struct kpool_chunk *chunk,
			      unsigned int idx)
{
	unsigned int unit = idx >> pool->slot_shift;
	unsigned int slot = idx & ((1U << pool->slot_shift) - 1);

	return chunk->base + ((unsigned long)unit << pool->unit_shift) +
	       slot * pool->stride;
}

/* The chunk of a block known to belong to the pool. */
static __always_inline struct kpool_chunk *kpool_block_chunk(const void *block)
{
	return (struct kpool_chunk *)page_private(virt_to_page(block));
}

/* The index of a block known to belong to the pool. */
static __always_inline unsigned int kpool_block_index(const struct kpool *pool,
						      const struct kpool_chunk *chunk,
						      const void *block)
{
	unsigned long off = block - chunk->base;

	return kpool_index(pool, off >> pool->unit_shift,
			   kpool_slot(pool, off & pool->unit_mask));
}

/*
 * The struct page of @ptr if @ptr is in the direct map (the only place a
 * chunk can be: its pages come from alloc_pages() without __GFP_HIGHMEM)
 * and its page frame has a struct page, else NULL. Safe for any pointer:
 * the range test comes first and pfn_valid() reads only the memory section
 * table, so no hole of a sparse memory map is touched. Unlike
 * virt_addr_valid() it is inline and it refuses kernel image addresses,
 * which are never a chunk's.
 */
static __always_inline struct page *kpool_direct_page(const void *ptr)
{
	unsigned long addr = (unsigned long)ptr, pfn;

	if (unlikely(addr < PAGE_OFFSET || addr >= (unsigned long)high_memory))
		return NULL;
	pfn = PHYS_PFN(__pa(addr));
	if (unlikely(!pfn_valid(pfn)))
		return NULL;
	return pfn_to_page(pfn);
}

/*
 * The live chunk whose pages hold @ptr, or NULL. Only the struct page of
 * @ptr is read until the owner key proves that the page belongs to a
 * chunk. Must be called in an RCU read-side section (a pinned section is
 * one), which keeps the chunk and its pool alive.
 */
static __always_inline struct kpool_chunk *kpool_ptr_chunk(const void *ptr)
{
	struct page *page = kpool_direct_page(ptr);
	unsigned long priv;

	if (unlikely(!page))
		return NULL;
	priv = READ_ONCE(page->private);
	if (unlikely(READ_ONCE(page->index) != (priv ^ kpool_page_key)))
		return NULL;
	return (struct kpool_chunk *)priv;
}

/*
 * kpool_lookup() - validate a pointer handed to kpool_free()
 *
 * A pointer into this CPU's hint chunk (a live chunk of @pool, see struct
 * kpool_cpu) needs no more proof; otherwise the chunk found from the
 * pointer's struct page must be one of @pool's. Must be called pinned:
 * the section keeps the hint chunk alive.
 *
 * Return: true with *@chunkp and *@idx set; or false, with *@misaligned
 * true for a pointer into the pool's chunks that is not the start of a
 * block and false for a foreign pointer.
 */
static __always_inline bool kpool_lookup(const struct kpool *pool,
					 const void *ptr,
					 struct kpool_chunk **chunkp,
					 unsigned int *idx, bool *misaligned)
{
	struct kpool_chunk *chunk = this_cpu_read(pool->cpu->hint);
	unsigned int unit, slot, in;
	unsigned long off;

	*misaligned = false;
	if (!chunk || ((unsigned long)ptr - (unsigned long)chunk->base) >>
		      (PAGE_SHIFT + pool->order)) {
		chunk = kpool_ptr_chunk(ptr);
		if (unlikely(!chunk || chunk->pool != pool))
			return false;
	}

	off = ptr - chunk->base;
	unit = off >> pool->unit_shift;
	in = off & pool->unit_mask;
	slot = kpool_slot(pool, in);
	*misaligned = true;
	if (unlikely(slot * pool->stride != in || slot >= pool->per_unit ||
		     unit * pool->per_unit + slot >= chunk->nr_blocks))
		return false;
	*chunkp = chunk;
	*idx = kpool_index(pool, unit, slot);
	return true;
}

/* Blocks a chunk of @order holds with the geometry's unit layout. */
static unsigned long kpool_capacity(unsigned int stride, unsigned int order)
{
	if (stride <= PAGE_SIZE)
		return (PAGE_SIZE / stride) << order;
	return (PAGE_SIZE << order) / stride;
}

static u64 kpool_waste(size_t size, unsigned int stride, unsigned int order)
{
	return (PAGE_SIZE << order) - kpool_capacity(stride, order) * size;
}

/* Depot (pool->lock held) */

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
	list_move(&chunk->state, now);
	if (was == &pool->empty)
		WRITE_ONCE(pool->nr_empty, pool->nr_empty - 1);
	if (now == &pool->empty)
		WRITE_ONCE(pool->nr_empty, pool->nr_empty + 1);
}

static void kpool_update_tight(struct kpool *pool)
{
	WRITE_ONCE(pool->tight,
		   pool->nr_hungry || pool->nr_reserve < pool->min_blocks);
}

static __always_inline void kpool_mag_set(struct kpool_mag_slot *slot,
					  void *block,
					  struct kpool_chunk *chunk,
					  unsigned int idx)
{
	slot->block = block;
	slot->chunk = chunk;
	slot->idx = idx;
}

/*
 * Take a free block from the depot into @slot; from the reserve only if
 * @use_reserve and nothing else is left. Return false if none was left.
 */
static bool kpool_depot_take(struct kpool *pool, bool use_reserve,
			     struct kpool_mag_slot *slot)
{
	struct kpool_chunk *chunk;
	struct list_head *was;
	unsigned long out;
	unsigned int idx;

	lockdep_assert_held(&pool->lock);
	if (pool->depot_free <= pool->nr_reserve) {
		if (!use_reserve || !pool->nr_reserve)
			return false;
		pool->nr_reserve--;
		kpool_update_tight(pool);
		kpool_count(pool, KPOOL_EV_reserve_allocs);
	}

	chunk = list_first_entry_or_null(&pool->partial, struct kpool_chunk,
					 state);
	if (!chunk)
		chunk = list_first_entry(&pool->empty, struct kpool_chunk,
					 state);
	was = kpool_chunk_list(pool, chunk);
	chunk->nr_free--;
	idx = pool->wide ? chunk->free32[chunk->nr_free] :
			   chunk->free16[chunk->nr_free];
	kpool_chunk_relist(pool, chunk, was);

	pool->depot_free--;
	out = pool->blocks_total - pool->depot_free;
	if (out > pool->high_watermark)
		pool->high_watermark = out;
	kpool_mag_set(slot, kpool_block_addr(pool, chunk, idx), chunk, idx);
	return true;
}

/* Give a free block back to the depot; the reserve takes it if short. */
static void kpool_depot_put(struct kpool *pool, struct kpool_chunk *chunk,
			    unsigned int idx)
{
	struct list_head *was = kpool_chunk_list(pool, chunk);

	lockdep_assert_held(&pool->lock);
	if (pool->wide)
		chunk->free32[chunk->nr_free] = idx;
	else
		chunk->free16[chunk->nr_free] = idx;
	chunk->nr_free++;
	kpool_chunk_relist(pool, chunk, was);

	pool->depot_free++;
	if (pool->nr_reserve < pool->min_blocks) {
		pool->nr_reserve++;
		kpool_update_tight(pool);
	}
}

/* Move the @n oldest blocks of a magazine to the depot. */
static void kpool_mag_flush(struct kpool *pool, struct kpool_cpu *pc,
			    unsigned int n)
{
	unsigned int i;

	lockdep_assert_held(&pool->lock);
	for (i = 0; i < n; i++)
		kpool_depot_put(pool, pc->mag[i].chunk, pc->mag[i].idx);
	pc->nr -= n;
	memmove(pc->mag, pc->mag + n, pc->nr * sizeof(pc->mag[0]));
}

/* Empty a magazine this context owns into the depot; wake the hungry. */
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

/* Drain this CPU's magazine. Return false if its owner was interrupted. */
static bool kpool_drain_local(struct kpool *pool)
{
	struct kpool_cpu *pc;

	kpool_cpu_pin();
	pc = kpool_cpu_try(pool);
	if (pc) {
		kpool_mag_drain(pool, pc);
		kpool_cpu_release(pool->cpu);
	}
	kpool_cpu_unpin();
	return !!pc;
}

static void kpool_drain_work(struct work_struct *work)
{
	struct kpool_cpu *pc = container_of(work, struct kpool_cpu,
					    drain_work);

	/* Only on PREEMPT_RT can a task owning the magazine be preempted. */
	while (!kpool_drain_local(pc->pool))
		schedule_timeout_uninterruptible(1);
}

/*
 * Drain the magazine of every CPU and wait for it. Magazines of dead CPUs
 * were drained by kpool_cpu_dead().
 */
static void kpool_drain_all(struct kpool *pool)
{
	int cpu;

	if (!pool->mag_size)
		return;
	for_each_online_cpu(cpu)
		queue_work_on(cpu, kpool_wq,
			      &per_cpu_ptr(pool->cpu, cpu)->drain_work);
	for_each_possible_cpu(cpu)
		flush_work(&per_cpu_ptr(pool->cpu, cpu)->drain_work);
}

/*
 * Ask every CPU to drain its magazine, without waiting: an atomic
 * allocation failed and free blocks may sit in other CPUs' magazines.
 * At most once per jiffy.
 */
static void kpool_drain_async(struct kpool *pool)
{
	unsigned long now = jiffies;
	int cpu;

	if (!pool->mag_size || READ_ONCE(pool->drain_kicked) == now)
		return;
	WRITE_ONCE(pool->drain_kicked, now);
	for_each_online_cpu(cpu)
		queue_work_on(cpu, kpool_wq,
			      &per_cpu_ptr(pool->cpu, cpu)->drain_work);
}

/* Magazine fast paths (the task is pinned) */

/*
 * Pop a block from this CPU's magazine into @slot and count the hit.
 * Return false if the magazine was empty or busy.
 * Only @cpu is read from the pool: the guard's compiler barriers would
 * make any other field be loaded again.
 */
static __always_inline bool kpool_cache_pop(struct kpool_cpu __percpu *cpu,
					    struct kpool_mag_slot *slot)
{
	struct kpool_cpu *pc;
	bool done = false;
	unsigned int nr;

	if (likely(kpool_cpu_claim(cpu))) {
		pc = this_cpu_ptr(cpu);
		nr = pc->nr;
		if (likely(nr)) {
			pc->nr = --nr;
			*slot = pc->mag[nr];
			this_cpu_inc(cpu->stat[KPOOL_EV_cache_hits]);
			done = true;
		}
		kpool_cpu_release(cpu);
	}
	return done;
}

/* Push a freed block on this CPU's magazine and count the free. */
static __always_inline bool kpool_cache_push(struct kpool *pool, void *block,
					     struct kpool_chunk *chunk,
					     unsigned int idx)
{
	struct kpool_cpu __percpu *cpu = pool->cpu;
	unsigned int mag_size = pool->mag_size;
	struct kpool_cpu *pc;
	bool done = false;
	unsigned int nr;

	if (likely(kpool_cpu_claim(cpu))) {
		pc = this_cpu_ptr(cpu);
		nr = pc->nr;
		if (likely(!READ_ONCE(pool->tight) && nr < mag_size)) {
			kpool_mag_set(&pc->mag[nr], block, chunk, idx);
			pc->nr = nr + 1;
			WRITE_ONCE(pc->hint, chunk);
			this_cpu_inc(cpu->stat[KPOOL_EV_frees]);
			done = true;
		}
		kpool_cpu_release(cpu);
	}
	return done;
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
		pool->name, what, idx, chunk->order, (size_t)(bad - area),
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
 */
static unsigned long kpool_report_owners(struct seq_file *m,
					 struct kpool *pool,
					 unsigned long limit)
{
	unsigned long chunk_nr = 0, found = 0;
	struct kpool_chunk *chunk;
	unsigned int idx;

	rcu_read_lock();
	list_for_each_entry_rcu(chunk, &pool->chunks, node) {
		for_each_set_bit(idx, chunk->allocated, pool->index_space) {
			if (found++ < limit)
				kpool_owner_report(m, pool, chunk_nr, idx,
						   &chunk->owners[idx]);
		}
		chunk_nr++;
	}
	rcu_read_unlock();
	return found;
}

/* Fill a free block with poison and its red zone with the pattern. */
static void kpool_debug_init_block(struct kpool *pool, void *block)
{
	if (!pool->ctor)
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
	struct kpool_chunk *chunk = kpool_block_chunk(block);
	unsigned int idx = kpool_block_index(pool, chunk, block);
	struct kpool_owner *owner = &chunk->owners[idx];
	u8 *bad;

	/*
	 * kmemleak allocates its record: not where the page allocator can't.
	 * The chunk's metadata points to its first block (chunk->base): that
	 * block needs one reference more to count as referenced.
	 */
	owner->tracked = kpool_may_alloc_pages();
	if (owner->tracked)
		kmemleak_alloc(block, pool->size, 1 + (block == chunk->base),
			       gfp);
	if (!pool->ctor) {
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
	unsigned int unit, slot, idx, n = 0;
	void *block;

	for (unit = 0; n < chunk->nr_blocks; unit++) {
		for (slot = 0; slot < pool->per_unit && n < chunk->nr_blocks;
		     slot++, n++) {
			idx = kpool_index(pool, unit, slot);
			/* the stack is popped from the top: lowest first */
			if (pool->wide)
				chunk->free32[chunk->nr_blocks - 1 - n] = idx;
			else
				chunk->free16[chunk->nr_blocks - 1 - n] = idx;
			block = kpool_block_addr(pool, chunk, idx);
			if (pool->ctor)
				pool->ctor(block, pool->ctor_arg);
			if (pool->flags & KPOOL_F_DEBUG)
				kpool_debug_init_block(pool, block);
		}
	}
	chunk->nr_free = chunk->nr_blocks;
	kpool_kasan_poison(chunk->base, PAGE_SIZE << chunk->order,
			   KPOOL_KASAN_REDZONE, pool->stride);
}

/* Mark every page of the chunk as the pool's. */
static void kpool_chunk_map(struct kpool *pool, struct kpool_chunk *chunk)
{
	unsigned int i;

	for (i = 0; i < 1U << chunk->order; i++) {
		struct page *page = chunk->page + i;

		set_page_private(page, (unsigned long)chunk);
		WRITE_ONCE(page->index, (unsigned long)chunk ^ kpool_page_key);
	}
}

static void kpool_chunk_unmap(struct kpool_chunk *chunk)
{
	unsigned int i;

	if (!(chunk->pool->flags & KPOOL_F_DEBUG))
		kmemleak_free(chunk->base);
	for (i = 0; i < 1U << chunk->order; i++) {
		struct page *page = chunk->page + i;

		WRITE_ONCE(page->index, 0);
		set_page_private(page, 0);
	}
}

static void kpool_chunk_free_rcu(struct rcu_head *rcu)
{
	struct kpool_chunk *chunk = container_of(rcu, struct kpool_chunk, rcu);

	__free_pages(chunk->page, chunk->order);
	atomic_long_sub(1L << chunk->order, &kpool_pages_held);
	kvfree(chunk);
}

/* The chunk has left the pool: give it back after an RCU grace period. */
static void kpool_chunk_release(struct kpool_chunk *chunk)
{
	kpool_chunk_unmap(chunk);
	call_rcu(&chunk->rcu, kpool_chunk_free_rcu);
}

/* Allocate and carve a chunk of @nr blocks; not yet published. */
static struct kpool_chunk *kpool_chunk_create(struct kpool *pool,
					      unsigned int nr, gfp_t gfp)
{
	struct kpool_chunk *chunk;

	chunk = kvzalloc_node(pool->chunk_meta, gfp & ~__GFP_ZERO, pool->node);
	if (!chunk)
		return NULL;
	chunk->page = alloc_pages_node(pool->node, gfp, pool->order);
	if (!chunk->page) {
		kvfree(chunk);
		return NULL;
	}
	atomic_long_add(1L << pool->order, &kpool_pages_held);
	chunk->pool = pool;
	chunk->base = page_address(chunk->page);
	chunk->order = pool->order;
	chunk->nr_blocks = nr;
	chunk->free16 = (void *)chunk + pool->free_offset;
	if (pool->flags & KPOOL_F_DEBUG)
		chunk->owners = (void *)chunk + pool->owners_offset;
	kpool_chunk_carve(pool, chunk);
	/*
	 * Blocks may hold the only references to other objects: kmemleak
	 * scans the chunk, or, in debug pools, each block handed out.
	 */
	if (!(pool->flags & KPOOL_F_DEBUG))
		kmemleak_alloc(chunk->base, PAGE_SIZE << chunk->order, 0, gfp);
	kpool_chunk_map(pool, chunk);
	return chunk;
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
		list_add_tail(&chunk->state, &pool->empty);
		WRITE_ONCE(pool->nr_empty, pool->nr_empty + 1);
		list_add_tail_rcu(&chunk->node, &pool->chunks);
		pool->nr_chunks++;
		pool->blocks_total += nr;
		pool->depot_free += nr;
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

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
static void kpool_fault_debugfs(struct kpool *pool)
{
	/* like every debugfs file, optional: a failure is not an error */
	fault_create_debugfs_attr("fail_grow", pool->debugfs, &pool->fail_grow);
}
#else
static void kpool_fault_debugfs(struct kpool *pool)
{
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

/*
 * Add a chunk to the pool. Return 0, -ENOSPC at the cap, -EAGAIN where the
 * page allocator cannot be used, -ENOMEM when the allocation failed.
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

	gfp = (gfp & KPOOL_GFP_CONTEXT) | pool->gfp | __GFP_NOWARN;
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

/* Shrinking */

/* The first chunk that can go without cutting into min_blocks, or NULL. */
static struct kpool_chunk *kpool_releasable(struct kpool *pool)
{
	struct kpool_chunk *chunk;

	lockdep_assert_held(&pool->lock);
	chunk = list_first_entry_or_null(&pool->empty, struct kpool_chunk,
					 state);
	if (!chunk ||
	    pool->blocks_total - chunk->nr_blocks < pool->min_blocks ||
	    pool->depot_free - chunk->nr_blocks < pool->nr_reserve)
		return NULL;
	return chunk;
}

/* Give back chunks whose blocks are all in the depot, up to @max_pages. */
/*
 * A chunk has left the pool's lists: no CPU may keep it as its hint. A
 * fast path that read the hint before it is cleared is an RCU reader
 * older than the grace period kpool_chunk_release() waits for; one that
 * reads it later sees NULL or another chunk. No CPU sets it again: only a
 * free into the magazine does, and none of the chunk's blocks is
 * allocated.
 */
static void kpool_forget_chunk(struct kpool *pool, struct kpool_chunk *chunk)
{
	int cpu;

	for_each_possible_cpu(cpu)
		cmpxchg(&per_cpu_ptr(pool->cpu, cpu)->hint, chunk, NULL);
}

static unsigned long kpool_release_free_chunks(struct kpool *pool,
					       unsigned long max_pages)
{
	unsigned long flags, pages = 0, chunks = 0;
	struct kpool_chunk *chunk;

	while (pages < max_pages) {
		raw_spin_lock_irqsave(&pool->lock, flags);
		chunk = kpool_releasable(pool);
		if (chunk) {
			list_del(&chunk->state);
			WRITE_ONCE(pool->nr_empty, pool->nr_empty - 1);
			list_del_rcu(&chunk->node);
			pool->nr_chunks--;
			pool->blocks_total -= chunk->nr_blocks;
			pool->depot_free -= chunk->nr_blocks;
		}
		raw_spin_unlock_irqrestore(&pool->lock, flags);
		if (!chunk)
			break;
		kpool_forget_chunk(pool, chunk);
		kpool_chunk_release(chunk);
		pages += 1UL << pool->order;
		chunks++;
	}
	if (chunks) {
		kpool_count_n(pool, KPOOL_EV_shrinks, chunks);
		trace_kpool_shrink(pool->id, pool->name, chunks, pages);
	}
	return pages;
}

/* Allocation slow path */

/*
 * Take a block from the depot for the caller and, unless the pool is
 * tight, a batch for this CPU's magazine.
 */
static void *kpool_refill(struct kpool *pool, bool use_reserve)
{
	struct kpool_mag_slot slot;
	struct kpool_cpu *pc;
	unsigned long flags;
	bool got;

	kpool_cpu_pin();
	pc = kpool_cpu_try(pool);
	raw_spin_lock_irqsave(&pool->lock, flags);
	got = kpool_depot_take(pool, use_reserve, &slot);
	if (got && pc && !pool->tight) {
		while (pc->nr < pool->mag_size / 2 &&
		       kpool_depot_take(pool, false, &pc->mag[pc->nr]))
			pc->nr++;
	}
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (pc)
		kpool_cpu_release(pool->cpu);
	kpool_cpu_unpin();
	return got ? slot.block : NULL;
}

/* Depot, then growth, then the reserve. */
static void *kpool_take(struct kpool *pool, gfp_t gfp)
{
	void *block;

	do {
		block = kpool_refill(pool, false);
		if (block)
			return block;
	} while (!kpool_grow(pool, gfp));
	return kpool_refill(pool, true);
}

/* An allocation found the pool empty: make frees bypass the magazines. */
static void kpool_hungry_enter(struct kpool *pool)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&pool->lock, flags);
	pool->nr_hungry++;
	kpool_update_tight(pool);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
}

static void kpool_hungry_leave(struct kpool *pool, bool got_block)
{
	unsigned long flags;
	bool others;

	raw_spin_lock_irqsave(&pool->lock, flags);
	pool->nr_hungry--;
	kpool_update_tight(pool);
	others = pool->nr_hungry;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	/* pass on a wake-up this allocation may have consumed for nothing */
	if (!got_block && others)
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
 * Get a block when the magazine had none. With a sleeping @gfp, drain all
 * magazines before giving up and, if @may_wait, wait for a free.
 */
static void *kpool_get(struct kpool *pool, gfp_t gfp, bool may_wait)
{
	bool hungry = false, waited = false;
	void *block;

	for (;;) {
		block = kpool_take(pool, gfp);
		if (block || !gfpflags_allow_blocking(gfp))
			break;
		if (!hungry) {
			hungry = true;
			kpool_hungry_enter(pool);
			kpool_drain_all(pool);
			continue;
		}
		if (!may_wait || fatal_signal_pending(current))
			break;
		if (!waited) {
			waited = true;
			kpool_count(pool, KPOOL_EV_waits);
		}
		block = kpool_wait_block(pool);
		if (block)
			break;
	}
	if (hungry)
		kpool_hungry_leave(pool, !!block);
	else if (!block)
		kpool_drain_async(pool);
	return block;
}

static noinline void *kpool_alloc_slow(struct kpool *pool, gfp_t gfp,
				       bool may_wait, unsigned long ip)
{
	void *block;

	might_alloc(gfp);
	kpool_count(pool, KPOOL_EV_cache_misses);
	block = kpool_get(pool, gfp, may_wait);
	if (unlikely(!block)) {
		kpool_count(pool, KPOOL_EV_alloc_failures);
		return NULL;
	}
	kpool_count(pool, KPOOL_EV_allocs);
	kpool_kasan_unpoison(block, pool->size, pool->stride);
	if (pool->flags & KPOOL_F_DEBUG)
		kpool_debug_alloc(pool, block, gfp, ip);
	return block;
}

static __always_inline void *__kpool_alloc(struct kpool *pool, gfp_t gfp,
					   bool may_wait, unsigned long ip)
{
	struct kpool_mag_slot slot;
	bool cached;

	kpool_cpu_pin();
	cached = kpool_cache_pop(pool->cpu, &slot);
	kpool_cpu_unpin();
	if (likely(cached)) {
		kpool_kasan_unpoison(slot.block, pool->size, pool->stride);
	} else {
		slot.block = kpool_alloc_slow(pool, gfp, may_wait, ip);
		if (unlikely(!slot.block))
			return NULL;
		slot.chunk = kpool_block_chunk(slot.block);
		slot.idx = kpool_block_index(pool, slot.chunk, slot.block);
	}

	set_bit(slot.idx, slot.chunk->allocated);
	if (unlikely(pool->zero || (gfp & __GFP_ZERO)))
		memset(slot.block, 0, pool->size);
	trace_kpool_alloc(pool->id, pool->name, cached);
	return slot.block;
}

/**
 * kpool_alloc() - allocate a block
 * @pool: the pool.
 * @gfp: the allocation context: GFP_KERNEL and the like may sleep, reclaim
 *	 when the pool grows and wait for a free; GFP_ATOMIC and GFP_NOWAIT
 *	 never sleep. __GFP_ZERO zeroes the block.
 *
 * Tries the CPU's magazine, the depot, growth, the reserve and then, if
 * @gfp allows sleeping, drains every CPU's magazine and waits (killable)
 * until a block is freed.
 *
 * Context: Any context but NMI with an atomic @gfp; process context with a
 * sleeping @gfp.
 * Return: the block, or NULL if none could be had (atomic @gfp) or a fatal
 * signal ended the wait.
 */
void *kpool_alloc(struct kpool *pool, gfp_t gfp)
{
	return __kpool_alloc(pool, gfp, true, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(kpool_alloc, KPOOL);

/**
 * kpool_alloc_bulk() - allocate @n blocks, all or nothing
 * @pool: the pool.
 * @gfp: as for kpool_alloc().
 * @n: how many blocks.
 * @blocks: receives the blocks.
 *
 * Unlike kpool_alloc() this never waits for other users to free blocks
 * (a request that holds blocks while waiting for more could deadlock):
 * with a sleeping @gfp it may reclaim to grow the pool and drains every
 * CPU's magazine before it fails. When a block cannot be had, the blocks
 * already taken are freed again and every entry of @blocks written is
 * reset to NULL.
 *
 * Context: As kpool_alloc().
 * Return: 0, or -ENOMEM (nothing allocated).
 */
int kpool_alloc_bulk(struct kpool *pool, gfp_t gfp, unsigned int n,
		     void **blocks)
{
	unsigned int i;

	if (pool->max_blocks && n > pool->max_blocks) {
		kpool_count(pool, KPOOL_EV_alloc_failures);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		blocks[i] = __kpool_alloc(pool, gfp, false, _RET_IP_);
		if (!blocks[i])
			goto undo;
	}
	kpool_count(pool, KPOOL_EV_bulk_allocs);
	return 0;

undo:
	while (i--) {
		kpool_free(pool, blocks[i]);
		blocks[i] = NULL;
	}
	return -ENOMEM;
}
EXPORT_SYMBOL_NS_GPL(kpool_alloc_bulk, KPOOL);

/* Free path */

static noinline void kpool_bad_free(struct kpool *pool, const void *block,
				    int err, bool misaligned)
{
	enum kpool_event item;
	const char *what;
	int kind;

	if (err == -EALREADY) {
		item = KPOOL_EV_err_double_free;
		kind = KPOOL_ERR_DOUBLE_FREE;
		what = "double free";
	} else if (misaligned) {
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
 * The magazine did not take a freed block (debug pool, tight pool, full
 * or busy magazine): flush half of a full magazine or use the depot.
 * The task is pinned.
 */
static noinline void kpool_free_slow(struct kpool *pool,
				     struct kpool_chunk *chunk,
				     unsigned int idx, void *block)
{
	struct kpool_cpu *pc;
	unsigned long flags;
	bool hungry;

	if (pool->flags & KPOOL_F_DEBUG)
		kpool_debug_free(pool, chunk, idx, block);

	pc = kpool_cpu_try(pool);
	raw_spin_lock_irqsave(&pool->lock, flags);
	if (pc && pool->mag_size && !pool->tight) {
		if (pc->nr == pool->mag_size)
			kpool_mag_flush(pool, pc, KPOOL_MAG_BATCH);
		kpool_mag_set(&pc->mag[pc->nr++], block, chunk, idx);
	} else {
		kpool_depot_put(pool, chunk, idx);
	}
	hungry = pool->nr_hungry;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (pc)
		kpool_cpu_release(pool->cpu);
	kpool_count(pool, KPOOL_EV_frees);
	if (hungry)
		swake_up_one(&pool->wait);
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
	struct kpool_chunk *chunk;
	bool misaligned, cached = false;
	unsigned int idx;
	int err = 0;

	if (unlikely(!block))
		return 0;

	kpool_cpu_pin();
	if (unlikely(!kpool_lookup(pool, block, &chunk, &idx, &misaligned))) {
		err = -EINVAL;
	} else if (unlikely(!test_and_clear_bit(idx, chunk->allocated))) {
		err = -EALREADY;
	} else {
		/* before any other user can get it */
		kpool_kasan_poison(block, pool->size, KPOOL_KASAN_FREE,
				   pool->stride);
		cached = kpool_cache_push(pool, block, chunk, idx);
		if (unlikely(!cached))
			kpool_free_slow(pool, chunk, idx, block);
	}
	kpool_cpu_unpin();

	if (unlikely(err)) {
		kpool_bad_free(pool, block, err, misaligned);
		return err;
	}
	trace_kpool_free(pool->id, pool->name, cached);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_free, KPOOL);

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
 * kpool_free(), with the pool's page lookup done once. A block of a pool
 * whose cookie is outside the range is refused untouched.
 *
 * Context: Any context but NMI.
 * Return: as kpool_free(); -EINVAL also for a block of another pool.
 */
int kpool_free_owned(void *block, const void *owner_lo,
		     const void *owner_hi, const void **owner)
{
	struct kpool_chunk *chunk;
	const void *cookie = NULL;
	struct kpool *pool = NULL;

	if (unlikely(!block))
		return 0;
	kpool_cpu_pin();
	chunk = kpool_ptr_chunk(block);
	if (chunk) {
		pool = READ_ONCE(chunk->pool);
		cookie = pool->owner;
	}
	kpool_cpu_unpin();
	if (!pool || cookie < owner_lo || cookie >= owner_hi)
		return -EINVAL;
	*owner = cookie;
	/* the caller owns the pool: it outlives this call */
	return kpool_free(pool, block);
}
EXPORT_SYMBOL_NS_GPL(kpool_free_owned, KPOOL);

/**
 * kpool_free_bulk() - free @n blocks
 * @pool: the pool.
 * @n: how many blocks.
 * @blocks: the blocks; NULL entries are skipped.
 *
 * Every block is handled as by kpool_free(): bad ones are refused and
 * counted, the others are freed.
 *
 * Context: Any context but NMI.
 * Return: 0, or the error of the first block refused.
 */
int kpool_free_bulk(struct kpool *pool, unsigned int n, void **blocks)
{
	unsigned int i;
	int err, first = 0;

	for (i = 0; i < n; i++) {
		err = kpool_free(pool, blocks[i]);
		if (err && !first)
			first = err;
	}
	kpool_count(pool, KPOOL_EV_bulk_frees);
	return first;
}
EXPORT_SYMBOL_NS_GPL(kpool_free_bulk, KPOOL);

/* Introspection */

static unsigned long kpool_in_use(struct kpool *pool)
{
	struct kpool_chunk *chunk;
	unsigned long in_use = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(chunk, &pool->chunks, node)
		in_use += bitmap_weight(chunk->allocated, pool->index_space);
	rcu_read_unlock();
	return in_use;
}

/**
 * kpool_get_stats() - take a snapshot of a pool's geometry and counters
 * @pool: the pool.
 * @stats: filled in, every field (see struct kpool_stats for what is exact
 *	   and when; high_watermark is sampled on the slow path).
 *
 * Context: Any context but NMI. Walks every chunk's bitmap.
 */
void kpool_get_stats(struct kpool *pool, struct kpool_stats *stats)
{
	unsigned long flags;

	memset(stats, 0, sizeof(*stats));
	strscpy(stats->name, pool->name, sizeof(stats->name));
	stats->id = pool->id;
	stats->flags = pool->flags;
	stats->block_size = pool->size;
	stats->block_stride = pool->stride;
	stats->align = pool->align;
	stats->chunk_order = pool->order;
	stats->blocks_per_chunk = pool->per_chunk;
	stats->min_blocks = pool->min_blocks;
	stats->max_blocks = pool->max_blocks;
	stats->node = pool->node;
	stats->wasted_per_chunk = kpool_waste(pool->size, pool->stride,
					      pool->order);
	stats->meta_per_chunk = pool->chunk_meta;
	stats->percpu_bytes = (u64)sizeof(struct kpool_cpu) *
			      num_possible_cpus();

	raw_spin_lock_irqsave(&pool->lock, flags);
	stats->chunks = pool->nr_chunks;
	stats->blocks_total = pool->blocks_total;
	stats->blocks_reserved = pool->nr_reserve;
	stats->high_watermark = pool->high_watermark;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	stats->pages = stats->chunks << pool->order;
	stats->meta_bytes = sizeof(*pool) + stats->percpu_bytes +
			    stats->chunks * pool->chunk_meta;

	stats->blocks_in_use = kpool_in_use(pool);
	if (stats->blocks_in_use < stats->blocks_total)
		stats->blocks_free = stats->blocks_total - stats->blocks_in_use;

#define KPOOL_EV_SUM(type, name) \
	stats->name = kpool_counter(pool, KPOOL_EV_##name);
	KPOOL_EVENTS(KPOOL_EV_SUM)
#undef KPOOL_EV_SUM
	/* the counter of allocs holds the slow path's only */
	stats->allocs += stats->cache_hits;
}
EXPORT_SYMBOL_NS_GPL(kpool_get_stats, KPOOL);

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
			in_use[n] = bitmap_weight(chunk->allocated,
						  pool->index_space);
		n++;
	}
	rcu_read_unlock();
	return n;
}
EXPORT_SYMBOL_NS_GPL(kpool_occupancy, KPOOL);

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
EXPORT_SYMBOL_NS_GPL(kpool_set_fault, KPOOL);

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
EXPORT_SYMBOL_NS_GPL(kpool_id, KPOOL);

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
EXPORT_SYMBOL_NS_GPL(kpool_name, KPOOL);

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
EXPORT_SYMBOL_NS_GPL(kpool_owner, KPOOL);

/**
 * kpool_block_owner() - the owner cookie of the pool holding a pointer
 * @ptr: any pointer.
 *
 * Finds, in O(1) and without trusting @ptr, the pool whose chunk holds
 * @ptr (only @ptr's struct page is read until it is known to be a
 * chunk's) and returns that pool's kpool_params.owner. It says nothing
 * about whether @ptr is the start of a block or allocated: kpool_free()
 * checks that. Pool sets use it to find a block's size class; a caller
 * must not use the result to reach a pool it does not own.
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
	chunk = kpool_ptr_chunk(ptr);
	if (chunk)
		owner = READ_ONCE(chunk->pool)->owner;
	kpool_cpu_unpin();
	return owner;
}
EXPORT_SYMBOL_NS_GPL(kpool_block_owner, KPOOL);

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
EXPORT_SYMBOL_NS_GPL(kpool_block_size, KPOOL);

/* debugfs */

static int kpool_debugfs_stats_show(struct seq_file *m, void *unused)
{
	struct kpool_stats *stats;

	stats = kmalloc(sizeof(*stats), GFP_KERNEL);
	if (!stats)
		return -ENOMEM;
	kpool_get_stats(m->private, stats);
	seq_printf(m, "name: %s\n", stats->name);
#define KPOOL_SHOW(type, name) \
	seq_printf(m, #name ": %lld\n", (long long)stats->name);
	KPOOL_STATE(KPOOL_SHOW)
	KPOOL_EVENTS(KPOOL_SHOW)
#undef KPOOL_SHOW
	kfree(stats);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kpool_debugfs_stats);

static int kpool_debugfs_leaks_show(struct seq_file *m, void *unused)
{
	kpool_report_owners(m, m->private, ULONG_MAX);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kpool_debugfs_leaks);

static void kpool_debugfs_add(struct kpool *pool)
{
	char dir[KPOOL_NAME_LEN + 12];

	/* pools of different owners may share a name: theirs get the id */
	if (pool->owner)
		snprintf(dir, sizeof(dir), "%s@%u", pool->name, pool->id);
	else
		strscpy(dir, pool->name, sizeof(dir));
	pool->debugfs = debugfs_create_dir(dir, kpool_debugfs_root);
	debugfs_create_file("stats", 0400, pool->debugfs, pool,
			    &kpool_debugfs_stats_fops);
	if (pool->flags & KPOOL_F_DEBUG)
		debugfs_create_file("leaks", 0400, pool->debugfs, pool,
				    &kpool_debugfs_leaks_fops);
	kpool_fault_debugfs(pool);
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

/* The order KPOOL_ORDER_AUTO stands for (see Limits in kpool.h). */
static int kpool_auto_order(size_t size, unsigned int stride)
{
	u64 waste, bytes, best_waste = 0, best_bytes = 1;
	int order, best = -1;

	for (order = 0; order <= KPOOL_AUTO_MAX_ORDER; order++) {
		if (!kpool_capacity(stride, order))
			continue;
		waste = kpool_waste(size, stride, order);
		bytes = PAGE_SIZE << order;
		if (waste * 16 <= bytes)
			return order;
		if (best < 0 || waste * best_bytes < best_waste * bytes) {
			best = order;
			best_waste = waste;
			best_bytes = bytes;
		}
	}
	if (best >= 0)
		return best;
	for (order = KPOOL_AUTO_MAX_ORDER + 1; order <= KPOOL_MAX_ORDER;
	     order++)
		if (kpool_capacity(stride, order))
			return order;
	return -EINVAL;
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
	    (p->flags & ~KPOOL_F_ALL) || (p->gfp & ~KPOOL_GFP_ALLOWED) ||
	    (p->max_blocks && p->min_blocks > p->max_blocks) ||
	    (p->ctor && (p->flags & KPOOL_F_ZERO)) ||
	    p->boundary ||
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

	if (p->order == KPOOL_ORDER_AUTO)
		order = kpool_auto_order(p->block_size, g->stride);
	else if (p->order >= 0 && p->order <= KPOOL_MAX_ORDER &&
		 kpool_capacity(g->stride, p->order))
		order = p->order;
	else
		order = -EINVAL;
	if (order < 0)
		return order;

	g->order = order;
	if (g->stride <= PAGE_SIZE) {
		g->unit_shift = PAGE_SHIFT;
		g->per_unit = PAGE_SIZE / g->stride;
	} else {
		g->unit_shift = PAGE_SHIFT + order;
		g->per_unit = kpool_capacity(g->stride, order);
	}
	return 0;
}

static void kpool_set_geometry(struct kpool *pool,
			       const struct kpool_params *p,
			       const struct kpool_geometry *g)
{
	size_t bitmap, stack;

	pool->size = p->block_size;
	pool->align = g->align;
	pool->stride = g->stride;
	pool->stride_recip = div_u64((1ULL << 32) + g->stride - 1, g->stride);
	pool->order = g->order;
	pool->unit_shift = g->unit_shift;
	pool->unit_mask = (1UL << g->unit_shift) - 1;
	pool->per_unit = g->per_unit;
	pool->slot_shift = order_base_2(g->per_unit);
	pool->per_chunk = kpool_capacity(g->stride, g->order);
	pool->index_space = (1U << (PAGE_SHIFT + g->order - g->unit_shift)) <<
			    pool->slot_shift;
	pool->wide = pool->index_space > U16_MAX + 1;

	bitmap = BITS_TO_LONGS(pool->index_space) * sizeof(long);
	stack = pool->per_chunk * (pool->wide ? sizeof(u32) : sizeof(u16));
	pool->free_offset = sizeof(struct kpool_chunk) + bitmap;
	pool->owners_offset = pool->free_offset + ALIGN(stack, 8);
	pool->chunk_meta = pool->owners_offset;
	if (p->flags & KPOOL_F_DEBUG)
		pool->chunk_meta += (size_t)pool->index_space *
				    sizeof(struct kpool_owner);
}

static void kpool_free_memory(struct kpool *pool)
{
	struct kpool_chunk *chunk, *next;

	list_for_each_entry_safe(chunk, next, &pool->chunks, node)
		kpool_chunk_release(chunk);
	free_percpu(pool->cpu);
	/* kpool_block_owner() may still be reading it through a chunk */
	kfree_rcu(pool, rcu);
}

static struct kpool *kpool_alloc_pool(const struct kpool_params *p,
				      const struct kpool_geometry *g)
{
	struct kpool *pool;
	int cpu;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;
	pool->cpu = alloc_percpu(struct kpool_cpu);
	if (!pool->cpu) {
		kfree(pool);
		return NULL;
	}
	for_each_possible_cpu(cpu) {
		struct kpool_cpu *pc = per_cpu_ptr(pool->cpu, cpu);

		INIT_WORK(&pc->drain_work, kpool_drain_work);
		pc->pool = pool;
	}

	pool->flags = p->flags;
	pool->zero = p->flags & KPOOL_F_ZERO;
	pool->mag_size = (p->flags & KPOOL_F_DEBUG) ? 0 : KPOOL_MAG_SIZE;
	kpool_set_geometry(pool, p, g);
	raw_spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->partial);
	INIT_LIST_HEAD(&pool->full);
	INIT_LIST_HEAD(&pool->empty);
	INIT_LIST_HEAD(&pool->chunks);
	init_swait_queue_head(&pool->wait);
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

	/* fail at once rather than after eating all memory */
	if ((chunks << pool->order) > totalram_pages())
		return -ENOMEM;
	while (pool->blocks_total < pool->min_blocks) {
		if (kpool_grow(pool, GFP_KERNEL | __GFP_RETRY_MAYFAIL))
			return -ENOMEM;
	}
	pool->nr_reserve = pool->min_blocks;
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

static int kpool_register(struct kpool *pool)
{
	int err;

	mutex_lock(&kpool_registry_lock);
	if (kpool_find_name(pool->name, pool->owner)) {
		err = -EEXIST;
		goto out;
	}
	err = xa_alloc(&kpool_ids, &pool->id, pool, xa_limit_32b, GFP_KERNEL);
	if (err)
		goto out;
	list_add_tail(&pool->list, &kpool_list);
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
 * block_size, align, flags, gfp, order, node, min_blocks > max_blocks,
 * a constructor with KPOOL_F_ZERO), -ENOMEM when memory or the reserve
 * could not be had, -EEXIST when a live pool has the same name.
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
EXPORT_SYMBOL_NS_GPL(kpool_create, KPOOL);

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
	int cpu;

	if (!pool)
		return 0;
	kpool_drain_all(pool);
	in_use = kpool_in_use(pool);
	if (in_use) {
		kpool_report_leaks(pool, in_use);
		return -EBUSY;
	}

	/* first, so that a new pool of the same name gets its directory */
	debugfs_remove_recursive(pool->debugfs);
	mutex_lock(&kpool_registry_lock);
	list_del(&pool->list);
	xa_erase(&kpool_ids, pool->id);
	mutex_unlock(&kpool_registry_lock);

	for_each_possible_cpu(cpu)
		flush_work(&per_cpu_ptr(pool->cpu, cpu)->drain_work);
	kpool_free_memory(pool);
	module_put(THIS_MODULE);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_destroy, KPOOL);

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
	kpool_drain_all(pool);
	return kpool_release_free_chunks(pool, ULONG_MAX);
}
EXPORT_SYMBOL_NS_GPL(kpool_shrink, KPOOL);

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
EXPORT_SYMBOL_NS_GPL(kpool_for_each, KPOOL);

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
EXPORT_SYMBOL_NS_GPL(kpool_with_id, KPOOL);

/* Shrinker: gives back chunks already entirely free in the depot. */

static unsigned long kpool_shrink_count(struct shrinker *shrinker,
					struct shrink_control *sc)
{
	unsigned long pages = 0;
	struct kpool *pool;

	if (!mutex_trylock(&kpool_registry_lock))
		return 0;
	list_for_each_entry(pool, &kpool_list, list)
		if (!(pool->flags & KPOOL_F_NO_SHRINK))
			pages += READ_ONCE(pool->nr_empty) << pool->order;
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
							   sc->nr_to_scan - freed);
	}
	mutex_unlock(&kpool_registry_lock);
	return freed ? freed : SHRINK_STOP;
}

/* SHRINKER_ALLOCATED came with shrinker_alloc(), in v6.7 */
#ifdef SHRINKER_ALLOCATED
static struct shrinker *kpool_shrinker;

static int kpool_shrinker_register(void)
{
	kpool_shrinker = shrinker_alloc(0, "kpool");
	if (!kpool_shrinker)
		return -ENOMEM;
	kpool_shrinker->count_objects = kpool_shrink_count;
	kpool_shrinker->scan_objects = kpool_shrink_scan;
	shrinker_register(kpool_shrinker);
	return 0;
}

static void kpool_shrinker_unregister(void)
{
	shrinker_free(kpool_shrinker);
}
#else
static struct shrinker kpool_shrinker = {
	.count_objects = kpool_shrink_count,
	.scan_objects = kpool_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

static int kpool_shrinker_register(void)
{
	return register_shrinker(&kpool_shrinker, "kpool");
}

static void kpool_shrinker_unregister(void)
{
	unregister_shrinker(&kpool_shrinker);
}
#endif

/* A CPU is dead: nothing runs there, drain its magazines from here. */
static int kpool_cpu_dead(unsigned int cpu)
{
	struct kpool *pool;

	mutex_lock(&kpool_registry_lock);
	list_for_each_entry(pool, &kpool_list, list)
		kpool_mag_drain(pool, per_cpu_ptr(pool->cpu, cpu));
	mutex_unlock(&kpool_registry_lock);
	return 0;
}

static int __init kpool_init(void)
{
	int err;

	kpool_page_key = get_random_long() | 1;
	kpool_wq = alloc_workqueue("kpool", WQ_MEM_RECLAIM, 0);
	if (!kpool_wq)
		return -ENOMEM;
	err = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "kpool:dead",
					NULL, kpool_cpu_dead);
	if (err < 0)
		goto fail_wq;
	kpool_cpuhp_state = err;
	err = kpool_shrinker_register();
	if (err)
		goto fail_cpuhp;
	/* without the stack depot, owners are tracked by caller address */
	kpool_stack_depot_ready = IS_ENABLED(CONFIG_STACKDEPOT) &&
				  !stack_depot_init();
	kpool_debugfs_root = debugfs_create_dir("kpool", NULL);
	return 0;

fail_cpuhp:
	cpuhp_remove_state_nocalls(kpool_cpuhp_state);
fail_wq:
	destroy_workqueue(kpool_wq);
	return err;
}

static void __exit kpool_exit(void)
{
	debugfs_remove_recursive(kpool_debugfs_root);
	kpool_shrinker_unregister();
	cpuhp_remove_state_nocalls(kpool_cpuhp_state);
	/* chunks of destroyed pools are still waiting for a grace period */
	rcu_barrier();
	WARN(atomic_long_read(&kpool_pages_held),
	     "kpool: %ld chunk pages never given back\n",
	     atomic_long_read(&kpool_pages_held));
	destroy_workqueue(kpool_wq);
	xa_destroy(&kpool_ids);
}

module_init(kpool_init);
module_exit(kpool_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Pools of fixed-size blocks carved from page chunks");
MODULE_AUTHOR("kpool developers");
