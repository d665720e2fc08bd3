/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpool_bench - the allocators kpool is measured against, and the
 * machinery that runs a measurement on one or more CPUs.
 *
 * Every candidate hands out blocks of one size and alignment. Its
 * allocation and free operations are __always_inline so that each
 * workload loop is compiled once per candidate with the operations inlined
 * or called directly: the harness adds no indirect call per operation.
 */
#ifndef _KPOOL_BENCH_H
#define _KPOOL_BENCH_H

#include <linux/mempool.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/timex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "kpool.h"
#include "kpool_set.h"

/* lib/objpool appeared in Linux 6.7; bench/Kbuild looks for it. */
#ifdef BENCH_HAVE_OBJPOOL
#include <linux/objpool.h>
#else
#define BENCH_HAVE_OBJPOOL 0
#endif

/* kpool_set_free_sized(set, ptr, size), where kpool_set.h has it (Kbuild). */
#ifndef BENCH_HAVE_SET_FREE_SIZED
#define BENCH_HAVE_SET_FREE_SIZED 0
#endif

/* Every result line starts with this, so the host can pick them out. */
#define BENCH_CSV(fmt, ...) pr_info("csv," fmt "\n", ##__VA_ARGS__)

enum bench_cand_id {
	CAND_KPOOL,
	CAND_KPOOL_ZERO,
	CAND_KPOOL_FIXED,
	CAND_KPOOL_MIN0,
	CAND_SLAB,
	CAND_MEMPOOL,
	CAND_LOCKED,
	CAND_PERCPU,
	CAND_OBJPOOL,
	CAND_NULL,
	CAND_SET,
	CAND_KMALLOC,
	CAND_SIZED_NULL,
	CAND_SET_SIZED,
	CAND_SIZED_STACK_NULL,
	NR_CANDS
};

/* The sized candidates that remember each size for the free (LIFO). */
#define BENCH_SIZE_STACK	64

/**
 * struct locked_pool - the textbook pool: one free list behind one lock.
 * @lock: guards @free and @pages.
 * @free: singly linked free blocks, the link stored in the block.
 * @pages: pages the blocks were carved from (page->lru).
 */
struct locked_pool {
	spinlock_t lock;		/* free, pages */
	void *free;
	struct list_head pages;
};

/**
 * struct lifo_cpu - one CPU's stack of the limit baseline.
 * @n: blocks on the stack.
 * @slot: the stack; it never over- or underflows because every workload
 *	  keeps at most the depth it was created with outstanding per CPU.
 */
struct lifo_cpu {
	unsigned int n;
	void **slot;
};

/**
 * struct bench_cand - one allocator under test.
 * @id: which one.
 * @size: block size; every candidate uses the same size and alignment.
 * @align: block alignment (objpool: 8 bytes at most, see candidates.c).
 * @pool: kpool.
 * @cache: kmem_cache, and the cache under @mempool.
 * @mempool: mempool over @cache.
 * @locked: the textbook pool.
 * @lifo: the per-CPU LIFO (the limit baseline); owns @lifo_pages.
 * @lifo_pages: pages carved for @lifo.
 * @objpool: lib/objpool (6.7 and later).
 * @null_block: what the null candidates hand out (loop overhead).
 * @set: the kpool_set candidate.
 * @sizes: the sized candidates (kpool_set, kmalloc, sized_null): the
 *	   request sizes, taken in turn, one per allocation.
 * @sizes_mask: number of @sizes - 1 (a power of two).
 * @next: index of the next size (the sequence restarts at 0 when a
 *	  measurement starts, so every sized candidate sees the same sizes).
 * @sp: blocks on @stack.
 * @stack: kpool_set_sized and sized_null_stack: the size of every block
 *	   outstanding, for its free (the loops free in LIFO order).
 */
struct bench_cand {
	enum bench_cand_id id;
	size_t size;
	size_t align;
	struct kpool *pool;
	struct kmem_cache *cache;
	mempool_t *mempool;
	struct locked_pool locked;
	struct lifo_cpu __percpu *lifo;
	struct list_head lifo_pages;
#if BENCH_HAVE_OBJPOOL
	struct objpool_head objpool;
#endif
	void *null_block;
	struct kpool_set *set;
	const u16 *sizes;
	unsigned int sizes_mask;
	unsigned int next;
	unsigned int sp;
	u16 stack[BENCH_SIZE_STACK];
};

/* How a candidate is set up. */
struct bench_cand_cfg {
	size_t size;		/* the largest size for the sized ones */
	unsigned int depth;	/* most blocks outstanding on one CPU */
	const u16 *sizes;	/* the sized candidates' sequence... */
	unsigned int nr_sizes;	/* ...of this many (a power of two) */
	unsigned int blocks;	/* kpool_fixed, kpool_min0: max_blocks */
};

const char *cand_name(enum bench_cand_id id);
bool cand_available(enum bench_cand_id id);
int cand_create(struct bench_cand *c, enum bench_cand_id id,
		const struct bench_cand_cfg *cfg);
void cand_destroy(struct bench_cand *c);
size_t bench_align(size_t size);
struct kmem_cache *bench_cache_create(const char *name, size_t size);
void *locked_pool_grow(struct bench_cand *c);

/* The allocation and free operations of every candidate. */

static __always_inline void *kpool_cand_alloc(struct bench_cand *c)
{
	return kpool_alloc(c->pool, GFP_KERNEL);
}

static __always_inline void kpool_cand_free(struct bench_cand *c, void *p)
{
	kpool_free(c->pool, p);
}

/* kpool_zero: a KPOOL_F_ZERO pool (what /dev/kpool's pools are). */
#define kpool_zero_cand_alloc	kpool_cand_alloc
#define kpool_zero_cand_free	kpool_cand_free

static __always_inline void *slab_cand_alloc(struct bench_cand *c)
{
	return kmem_cache_alloc(c->cache, GFP_KERNEL);
}

static __always_inline void slab_cand_free(struct bench_cand *c, void *p)
{
	kmem_cache_free(c->cache, p);
}

static __always_inline void *mempool_cand_alloc(struct bench_cand *c)
{
	return mempool_alloc(c->mempool, GFP_KERNEL);
}

static __always_inline void mempool_cand_free(struct bench_cand *c, void *p)
{
	mempool_free(p, c->mempool);
}

static __always_inline void *locked_cand_alloc(struct bench_cand *c)
{
	unsigned long flags;
	void *p;

	spin_lock_irqsave(&c->locked.lock, flags);
	p = c->locked.free;
	if (p)
		c->locked.free = *(void **)p;
	spin_unlock_irqrestore(&c->locked.lock, flags);
	return p ? p : locked_pool_grow(c);
}

static __always_inline void locked_cand_free(struct bench_cand *c, void *p)
{
	unsigned long flags;

	spin_lock_irqsave(&c->locked.lock, flags);
	*(void **)p = c->locked.free;
	c->locked.free = p;
	spin_unlock_irqrestore(&c->locked.lock, flags);
}

static __always_inline void *percpu_cand_alloc(struct bench_cand *c)
{
	struct lifo_cpu *s;
	void *p;

	preempt_disable();
	s = this_cpu_ptr(c->lifo);
	p = s->slot[--s->n];
	preempt_enable();
	return p;
}

static __always_inline void percpu_cand_free(struct bench_cand *c, void *p)
{
	struct lifo_cpu *s;

	preempt_disable();
	s = this_cpu_ptr(c->lifo);
	s->slot[s->n++] = p;
	preempt_enable();
}

#if BENCH_HAVE_OBJPOOL
static __always_inline void *objpool_cand_alloc(struct bench_cand *c)
{
	return objpool_pop(&c->objpool);
}

static __always_inline void objpool_cand_free(struct bench_cand *c, void *p)
{
	objpool_push(p, &c->objpool);
}
#endif

static __always_inline void *null_cand_alloc(struct bench_cand *c)
{
	return READ_ONCE(c->null_block);
}

static __always_inline void null_cand_free(struct bench_cand *c, void *p)
{
}

/* The sized candidates: each allocation asks for the next size. */

static __always_inline size_t next_size(struct bench_cand *c)
{
	return c->sizes[c->next++ & c->sizes_mask];
}

static __always_inline void *set_cand_alloc(struct bench_cand *c)
{
	return kpool_set_alloc(c->set, next_size(c), GFP_KERNEL);
}

static __always_inline void set_cand_free(struct bench_cand *c, void *p)
{
	kpool_set_free(c->set, p);
}

static __always_inline void *kmalloc_cand_alloc(struct bench_cand *c)
{
	return kmalloc(next_size(c), GFP_KERNEL);
}

static __always_inline void kmalloc_cand_free(struct bench_cand *c, void *p)
{
	kfree(p);
}

/* The loop and the size sequence alone: a distinct pointer per size. */
static __always_inline void *sized_null_cand_alloc(struct bench_cand *c)
{
	return c->null_block + next_size(c);
}

#define sized_null_cand_free	null_cand_free

/*
 * A caller of a sized free remembers each block's size: here on a stack,
 * as the loops free in LIFO order. sized_null_stack is that bookkeeping
 * alone, subtracted from kpool_set_sized.
 */
static __always_inline size_t push_size(struct bench_cand *c)
{
	size_t size = next_size(c);

	c->stack[c->sp++ & (BENCH_SIZE_STACK - 1)] = size;
	return size;
}

static __always_inline size_t pop_size(struct bench_cand *c)
{
	return c->stack[--c->sp & (BENCH_SIZE_STACK - 1)];
}

static __always_inline void *sized_stack_null_cand_alloc(struct bench_cand *c)
{
	return c->null_block + push_size(c);
}

static __always_inline void sized_stack_null_cand_free(struct bench_cand *c,
						       void *p)
{
	size_t size = pop_size(c);

	/* The size is loaded, as a sized free would load it. */
	OPTIMIZER_HIDE_VAR(size);
}

#if BENCH_HAVE_SET_FREE_SIZED
static __always_inline void *set_sized_cand_alloc(struct bench_cand *c)
{
	return kpool_set_alloc(c->set, push_size(c), GFP_KERNEL);
}

static __always_inline void set_sized_cand_free(struct bench_cand *c, void *p)
{
	kpool_set_free_sized(c->set, p, pop_size(c));
}
#endif

/* Producer/consumer ring of the cross-CPU workload (one of each). */
#define BENCH_RING_SIZE	256

/**
 * struct bench_ring - single-producer single-consumer ring of blocks.
 * @head: next slot the consumer takes; written by the consumer only.
 * @tail: next slot the producer fills; written by the producer only.
 * @abort: set by the producer when it cannot allocate.
 * @slot: the blocks in flight.
 */
struct bench_ring {
	unsigned int head ____cacheline_aligned_in_smp;
	unsigned int tail ____cacheline_aligned_in_smp;
	bool abort;
	void *slot[BENCH_RING_SIZE] ____cacheline_aligned_in_smp;
};

/* The loops a workload is made of; each is timed at its boundaries only. */
enum loop_kind {
	LOOP_PAIRS,	/* n times: allocate one block, free it */
	LOOP_BATCH,	/* n times: allocate k blocks, free them (FIFO or LIFO) */
	LOOP_BULK,	/* n times: bulk-allocate k blocks, bulk-free them */
	LOOP_PRODUCE,	/* allocate n blocks into the ring */
	LOOP_CONSUME,	/* free n blocks taken from the ring */
	LOOP_TIMED,	/* allocate n blocks into v, each one timed into lat */
	LOOP_FREE,	/* free the n blocks of v */
};

/**
 * struct loop_args - what a loop works on.
 * @n: repetitions (LOOP_PAIRS, LOOP_BATCH, LOOP_BULK) or blocks.
 * @k: blocks per batch.
 * @fifo: LOOP_BATCH frees in allocation order, else in reverse.
 * @v: room for @k (batches) or @n (LOOP_TIMED, LOOP_FREE) blocks.
 * @lat: LOOP_TIMED: get_cycles() spent in each allocation.
 * @ring: LOOP_PRODUCE, LOOP_CONSUME.
 */
struct loop_args {
	u64 n;
	unsigned int k;
	bool fifo;
	void **v;
	u32 *lat;
	struct bench_ring *ring;
};

int cand_loop(struct bench_cand *c, enum loop_kind kind,
	      const struct loop_args *a);

/**
 * struct bench_worker - one kthread of a measurement, bound to one CPU.
 * @run: the measurement it belongs to.
 * @index: 0 .. nr - 1 within the measurement.
 * @cpu: where it runs.
 * @arg: the workload's argument.
 * @start_ns: when its timed loop started (ktime_get_ns()).
 * @end_ns: when its timed loop ended.
 * @start_cycles: get_cycles() at the start.
 * @end_cycles: get_cycles() at the end.
 * @ops: operations it did (the workload sets it).
 * @err: 0 or the workload's error.
 */
struct bench_run;

struct bench_worker {
	struct bench_run *run;
	unsigned int index;
	int cpu;
	void *arg;
	u64 start_ns;
	u64 end_ns;
	u64 start_cycles;
	u64 end_cycles;
	u64 ops;
	int err;
};

/* A workload's body on one worker; it calls bench_mark_start/_end. */
typedef int (*bench_body_t)(struct bench_worker *w);

int bench_run_on_cpus(const int *cpus, unsigned int nr, bench_body_t body,
		      void *arg, struct bench_worker *workers);

int w9_run(const int *cpus, unsigned int nr, struct bench_worker *workers,
	   unsigned int rounds, unsigned int ms);
int w9miss_run(const int *cpus, struct bench_worker *workers,
	       unsigned int rounds, unsigned int calls);
int w10_run(const int *cpus, struct bench_worker *workers,
	    unsigned int rounds);

static __always_inline void bench_mark_start(struct bench_worker *w)
{
	w->start_ns = ktime_get_ns();
	w->start_cycles = get_cycles();
}

static __always_inline void bench_mark_end(struct bench_worker *w)
{
	w->end_cycles = get_cycles();
	w->end_ns = ktime_get_ns();
}

#endif /* _KPOOL_BENCH_H */
