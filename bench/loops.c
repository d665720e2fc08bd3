// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_bench loops. Each loop is written once, as an __always_inline
 * template over a candidate's allocation and free operations, and
 * instantiated for every candidate by cand_loop(): the switch on the
 * candidate runs once per loop, never per operation, and each instance
 * calls its allocator directly.
 *
 * Every block handed out is added into a sum that is stored to a global
 * sink, so no allocation can be optimised away.
 */
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/processor.h>

#include "kpool_bench.h"

typedef void *(*alloc_fn_t)(struct bench_cand *c);
typedef void (*free_fn_t)(struct bench_cand *c, void *p);

/* The results of every loop end up here. */
static unsigned long bench_sink;

static __always_inline void keep(unsigned long sum)
{
	WRITE_ONCE(bench_sink, sum);
}

static __always_inline int loop_pairs(struct bench_cand *c, u64 n,
				      alloc_fn_t alloc, free_fn_t free)
{
	unsigned long sum = 0;
	void *p;

	while (n--) {
		p = alloc(c);
		if (unlikely(!p))
			return -ENOMEM;
		sum += (unsigned long)p;
		free(c, p);
	}
	keep(sum);
	return 0;
}

static __always_inline void free_run(struct bench_cand *c, void **v,
				     unsigned int k, bool fifo,
				     free_fn_t free)
{
	unsigned int i;

	if (fifo) {
		for (i = 0; i < k; i++)
			free(c, v[i]);
	} else {
		for (i = k; i-- > 0;)
			free(c, v[i]);
	}
}

static __always_inline int loop_batch(struct bench_cand *c,
				      const struct loop_args *a,
				      alloc_fn_t alloc, free_fn_t free)
{
	unsigned int i, k = a->k;
	unsigned long sum = 0;
	bool fifo = a->fifo;
	void **v = a->v;
	u64 n = a->n;

	while (n--) {
		for (i = 0; i < k; i++) {
			v[i] = alloc(c);
			if (unlikely(!v[i])) {
				free_run(c, v, i, false, free);
				return -ENOMEM;
			}
			sum += (unsigned long)v[i];
		}
		free_run(c, v, k, fifo, free);
	}
	keep(sum);
	return 0;
}

static __always_inline int loop_produce(struct bench_cand *c,
					struct bench_ring *r, u64 n,
					alloc_fn_t alloc)
{
	unsigned int tail = r->tail;
	void *p;

	while (n--) {
		p = alloc(c);
		if (unlikely(!p)) {
			WRITE_ONCE(r->abort, true);
			return -ENOMEM;
		}
		/* Pairs with the release of head: the slot was read. */
		while (tail - smp_load_acquire(&r->head) >= BENCH_RING_SIZE)
			cpu_relax();
		r->slot[tail % BENCH_RING_SIZE] = p;
		/* Publishes the slot to the consumer's acquire of tail. */
		smp_store_release(&r->tail, ++tail);
	}
	return 0;
}

static __always_inline int loop_consume(struct bench_cand *c,
					struct bench_ring *r, u64 n,
					free_fn_t free)
{
	unsigned int head = r->head;
	unsigned long sum = 0;
	void *p;

	while (n--) {
		/* Pairs with the release of tail: the slot is filled. */
		while (smp_load_acquire(&r->tail) == head) {
			if (READ_ONCE(r->abort))
				return -ECANCELED;
			cpu_relax();
		}
		p = r->slot[head % BENCH_RING_SIZE];
		/* Hands the slot back to the producer's acquire of head. */
		smp_store_release(&r->head, ++head);
		sum += (unsigned long)p;
		free(c, p);
	}
	keep(sum);
	return 0;
}

/* The one loop that times every operation: latency percentiles. */
static __always_inline int loop_timed(struct bench_cand *c,
				      const struct loop_args *a,
				      alloc_fn_t alloc, free_fn_t free)
{
	cycles_t t0, t1;
	u64 i;
	void *p;

	for (i = 0; i < a->n; i++) {
		t0 = get_cycles();
		p = alloc(c);
		t1 = get_cycles();
		if (unlikely(!p)) {
			free_run(c, a->v, i, false, free);
			return -ENOMEM;
		}
		a->v[i] = p;
		a->lat[i] = min_t(u64, t1 - t0, U32_MAX);
	}
	return 0;
}

static __always_inline int run_loop(struct bench_cand *c,
				    enum loop_kind kind,
				    const struct loop_args *a,
				    alloc_fn_t alloc, free_fn_t free)
{
	switch (kind) {
	case LOOP_PAIRS:
		return loop_pairs(c, a->n, alloc, free);
	case LOOP_BATCH:
		return loop_batch(c, a, alloc, free);
	case LOOP_PRODUCE:
		return loop_produce(c, a->ring, a->n, alloc);
	case LOOP_CONSUME:
		return loop_consume(c, a->ring, a->n, free);
	case LOOP_TIMED:
		return loop_timed(c, a, alloc, free);
	case LOOP_FREE:
		free_run(c, a->v, a->n, false, free);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* Bulk operations: kpool, kmem_cache, and null (the loop alone). */

static __always_inline bool kpool_cand_alloc_bulk(struct bench_cand *c,
						  unsigned int k, void **v)
{
	return !kpool_alloc_bulk(c->pool, GFP_KERNEL, k, v);
}

static __always_inline void kpool_cand_free_bulk(struct bench_cand *c,
						 unsigned int k, void **v)
{
	kpool_free_bulk(c->pool, k, v);
}

static __always_inline bool slab_cand_alloc_bulk(struct bench_cand *c,
						 unsigned int k, void **v)
{
	/* all or nothing: the count, or true where it returns bool (7.2); 0 */
	return kmem_cache_alloc_bulk(c->cache, GFP_KERNEL, k, v);
}

static __always_inline void slab_cand_free_bulk(struct bench_cand *c,
						unsigned int k, void **v)
{
	kmem_cache_free_bulk(c->cache, k, v);
}

static __always_inline bool null_cand_alloc_bulk(struct bench_cand *c,
						 unsigned int k, void **v)
{
	return true;
}

static __always_inline void null_cand_free_bulk(struct bench_cand *c,
						unsigned int k, void **v)
{
}

static __always_inline int
loop_bulk(struct bench_cand *c, const struct loop_args *a,
	  bool (*alloc_bulk)(struct bench_cand *c, unsigned int k, void **v),
	  void (*free_bulk)(struct bench_cand *c, unsigned int k, void **v))
{
	unsigned int i, k = a->k;
	unsigned long sum = 0;
	void **v = a->v;
	u64 n = a->n;

	while (n--) {
		if (unlikely(!alloc_bulk(c, k, v)))
			return -ENOMEM;
		for (i = 0; i < k; i++)
			sum += (unsigned long)v[i];
		free_bulk(c, k, v);
	}
	keep(sum);
	return 0;
}

/* loop_bulk() for the candidate whose bulk operations are @name's. */
#define CAND_LOOP_BULK(name, c, a) \
	loop_bulk(c, a, name##_cand_alloc_bulk, name##_cand_free_bulk)

static int cand_bulk(struct bench_cand *c, const struct loop_args *a)
{
	switch (c->id) {
	case CAND_KPOOL:
		return CAND_LOOP_BULK(kpool, c, a);
	case CAND_SLAB:
		return CAND_LOOP_BULK(slab, c, a);
	case CAND_NULL:
		return CAND_LOOP_BULK(null, c, a);
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * run_loop() for the candidate whose operations are @name's:
 * @name##_cand_alloc() and @name##_cand_free().
 */
#define CAND_RUN_LOOP(name, c, kind, a) \
	run_loop(c, kind, a, name##_cand_alloc, name##_cand_free)

/**
 * cand_loop() - run one loop on a candidate.
 * @c: the candidate.
 * @kind: which loop.
 * @a: its arguments.
 *
 * Context: process context (a bench worker); may sleep in the allocator.
 * Return: 0, -ENOMEM when the allocator failed (every block the loop took
 * is back), -ECANCELED for a consumer whose producer failed, or
 * -EOPNOTSUPP for a loop the candidate does not have.
 */
int cand_loop(struct bench_cand *c, enum loop_kind kind,
	      const struct loop_args *a)
{
	if (kind == LOOP_BULK)
		return cand_bulk(c, a);

	switch (c->id) {
	case CAND_KPOOL:
	case CAND_KPOOL_FIXED:
	case CAND_KPOOL_MIN0:
		return CAND_RUN_LOOP(kpool, c, kind, a);
	case CAND_KPOOL_ZERO:
		return CAND_RUN_LOOP(kpool_zero, c, kind, a);
	case CAND_SLAB:
		return CAND_RUN_LOOP(slab, c, kind, a);
	case CAND_MEMPOOL:
		return CAND_RUN_LOOP(mempool, c, kind, a);
	case CAND_LOCKED:
		return CAND_RUN_LOOP(locked, c, kind, a);
	case CAND_PERCPU:
		return CAND_RUN_LOOP(percpu, c, kind, a);
#if BENCH_HAVE_OBJPOOL
	case CAND_OBJPOOL:
		return CAND_RUN_LOOP(objpool, c, kind, a);
#endif
	case CAND_NULL:
		return CAND_RUN_LOOP(null, c, kind, a);
	case CAND_SET:
		return CAND_RUN_LOOP(set, c, kind, a);
	case CAND_KMALLOC:
		return CAND_RUN_LOOP(kmalloc, c, kind, a);
	case CAND_SIZED_NULL:
		return CAND_RUN_LOOP(sized_null, c, kind, a);
	case CAND_SIZED_STACK_NULL:
		return CAND_RUN_LOOP(sized_stack_null, c, kind, a);
#if BENCH_HAVE_SET_FREE_SIZED
	case CAND_SET_SIZED:
		return CAND_RUN_LOOP(set_sized, c, kind, a);
#endif
	default:
		return -EOPNOTSUPP;
	}
}
