/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared fixture and helpers of the kpool KUnit suites (kpool_test.ko).
 *
 * Every test case runs with a fixture (test->priv) that records the pools
 * it created and the blocks it holds. The suite exit hook frees the blocks
 * still held and destroys the pools, so an assertion that aborts a case
 * half-way leaves nothing behind for the next case to trip over.
 *
 * The single-threaded cases pin their KUnit thread to the CPU it starts
 * on: free blocks sitting in the per-CPU magazine of a CPU the thread has
 * migrated away from would otherwise make exact counts depend on the
 * scheduler. Cross-CPU behaviour is tested on purpose, with bound threads.
 */
#ifndef _KPOOL_TEST_H
#define _KPOOL_TEST_H

#include <kunit/test.h>
#include <linux/types.h>

#include "kpool.h"

#define KT_MAX_POOLS	4

/**
 * struct kt_pool - a pool owned by a test case
 * @pool: the pool; NULL once the case destroyed it itself.
 * @blocks: blocks the case holds; the exit hook frees every non-NULL slot.
 * @nr_slots: size of @blocks.
 * @block_size: the pool's block size.
 */
struct kt_pool {
	struct kpool *pool;
	void **blocks;
	unsigned int nr_slots;
	size_t block_size;
};

/**
 * struct kt_fixture - per-case state (test->priv)
 * @pools: pools created through kt_create().
 * @nr_pools: used entries of @pools.
 */
struct kt_fixture {
	struct kt_pool pools[KT_MAX_POOLS];
	unsigned int nr_pools;
};

/* Suite hooks shared by every suite. */
int kt_init(struct kunit *test);
void kt_exit(struct kunit *test);

/* Pools */
void kt_params_init(struct kpool_params *p, const char *name,
		    size_t block_size);
const char *kt_unique_name(struct kunit *test, const char *base);
int kt_create_errno(const struct kpool_params *p);
struct kt_pool *kt_create(struct kunit *test, const struct kpool_params *p,
			  unsigned int nr_slots);
int kt_destroy(struct kunit *test, struct kt_pool *kp);
void kt_stats(struct kt_pool *kp, struct kpool_stats *st);
void kt_expect_in_use(struct kunit *test, struct kt_pool *kp, u64 in_use);
int kt_count_pools(void);
u64 kt_wait_rcu_idle(struct kpool *pool);

/* Blocks held in a kt_pool's slots */
unsigned int kt_alloc_slots(struct kt_pool *kp, unsigned int first,
			    unsigned int n, gfp_t gfp);
int kt_free_slots(struct kt_pool *kp, unsigned int first, unsigned int n);

/* Data patterns: a block filled for @seed differs from one for any other */
void kt_fill(void *block, size_t len, u32 seed);
long kt_check(const void *block, size_t len, u32 seed);

/* Deliberate corruption of pool memory, hidden from KASAN */
void kt_corrupt_byte(void *addr);

/* Growth fault injection that the test can rely on */
void kt_fail_growth(struct kunit *test, struct kt_pool *kp, bool fail);

/**
 * struct kt_geom - the layout of a pool, kpool_layout()'s in the tests'
 *		    units
 * @size: block size.
 * @align: block alignment (the natural one for align 0).
 * @stride: distance between blocks: size (plus the red zone of a debug
 *	    pool) rounded up to @align.
 * @boundary: 0, or the power of two no block crosses.
 * @order: chunk order.
 * @chunk: bytes of a chunk.
 * @unit: bytes of a unit: @boundary, or the whole chunk.
 * @per_unit: blocks per unit, at multiples of @stride from its start.
 * @per_chunk: blocks per full chunk.
 * @waste: bytes of a full chunk outside every block.
 * @header: bytes of a chunk's out-of-line metadata besides the state
 *	    bytes (measured on a pool).
 */
struct kt_geom {
	size_t size;
	size_t align;
	size_t stride;
	size_t boundary;
	unsigned int order;
	size_t chunk;
	size_t unit;
	unsigned int per_unit;
	unsigned int per_chunk;
	size_t waste;
	size_t header;
};

/**
 * struct kt_carve_report - what kt_geom_check_blocks() found
 * @chunks: distinct chunks the blocks came from.
 * @full_chunks: chunks all of whose blocks were among them.
 * @straddling: blocks that cross a page boundary.
 * @straddling_expected: blocks of the full chunks that the layout says
 *			 cross a page boundary.
 */
struct kt_carve_report {
	unsigned int chunks;
	unsigned int full_chunks;
	unsigned int straddling;
	unsigned int straddling_expected;
};

size_t kt_natural_align(size_t block_size);
int kt_geom_init(struct kt_geom *g, size_t block_size, size_t align,
		 size_t boundary, unsigned int flags, int order);
size_t kt_geom_offset(const struct kt_geom *g, unsigned int idx);
unsigned int kt_geom_straddling(const struct kt_geom *g);
void kt_geom_expect_stats(struct kunit *test, const struct kt_geom *g,
			  const struct kpool_stats *st);
void kt_geom_check_blocks(struct kunit *test, const struct kt_geom *g,
			  void **blocks, unsigned int n,
			  struct kt_carve_report *rep);
void kt_fill_all(void **blocks, unsigned int n, size_t len, u32 seed);
void kt_expect_filled(struct kunit *test, void **blocks, unsigned int n,
		      size_t len, u32 seed);

/* Threads that may block in kpool_alloc() */
struct task_struct *kt_start_on_cpu(int (*fn)(void *data), void *data,
				    int cpu, const char *name);
bool kt_stop(struct task_struct *task, struct completion *done,
	     unsigned long timeout);

extern struct kunit_suite kt_geometry_suite;
extern struct kunit_suite kt_params_suite;
extern struct kunit_suite kt_capacity_suite;
extern struct kunit_suite kt_bad_free_suite;
extern struct kunit_suite kt_debug_suite;
extern struct kunit_suite kt_concurrency_suite;
extern struct kunit_suite kt_core_suite;

#endif /* _KPOOL_TEST_H */
