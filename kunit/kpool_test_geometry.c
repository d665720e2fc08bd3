// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_geometry: how blocks are carved from chunks.
 *
 * For every block size and alignment of the issue: the blocks handed out
 * are aligned, distinct, do not overlap, lie inside a naturally aligned
 * chunk of the reported order, never straddle a page when they fit in
 * one, and the reported geometry (stride, blocks per chunk, waste, pages,
 * occupancy) matches what was handed out. Also: the constructor runs once
 * per carved block, and KPOOL_F_ZERO pools (or __GFP_ZERO) hand out zeroed
 * blocks.
 */
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sort.h>

#include "kpool_test.h"

/* Blocks the carving case allocates at most (keeps TCG runs short). */
#define KT_GEOMETRY_MAX_BLOCKS	2048

struct kt_geometry_param {
	size_t block_size;
	size_t align;		/* 0: natural */
};

/* Every block size of the issue with every alignment: all are valid. */
static const struct kt_geometry_param kt_geometry_params[] = {
	{ 8, 0 }, { 8, 8 }, { 8, 64 }, { 8, PAGE_SIZE },
	{ 24, 0 }, { 24, 8 }, { 24, 64 }, { 24, PAGE_SIZE },
	{ 64, 0 }, { 64, 8 }, { 64, 64 }, { 64, PAGE_SIZE },
	{ 100, 0 }, { 100, 8 }, { 100, 64 }, { 100, PAGE_SIZE },
	{ 512, 0 }, { 512, 8 }, { 512, 64 }, { 512, PAGE_SIZE },
	{ 4096, 0 }, { 4096, 8 }, { 4096, 64 }, { 4096, PAGE_SIZE },
	{ 9000, 0 }, { 9000, 8 }, { 9000, 64 }, { 9000, PAGE_SIZE },
	{ 65536, 0 }, { 65536, 8 }, { 65536, 64 }, { 65536, PAGE_SIZE },
};

static void kt_geometry_desc(const struct kt_geometry_param *p, char *desc)
{
	if (p->align)
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu align %zu",
			 p->block_size, p->align);
	else
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu align natural",
			 p->block_size);
}

KUNIT_ARRAY_PARAM(kt_geometry, kt_geometry_params, kt_geometry_desc);

static const size_t kt_block_sizes[] = {
	8, 24, 64, 100, 512, 4096, 9000, 65536,
};

static void kt_size_desc(const size_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu", *size);
}

KUNIT_ARRAY_PARAM(kt_size, kt_block_sizes, kt_size_desc);

/* The alignment kpool.h promises for align == 0. */
static size_t kt_natural_align(size_t block_size)
{
	size_t align = block_size & -block_size;

	return clamp_t(size_t, align, sizeof(void *), PAGE_SIZE);
}

/* Blocks of @stride bytes a chunk of @order holds (see Limits in kpool.h). */
static size_t kt_layout_blocks(size_t stride, unsigned int order)
{
	if (stride <= PAGE_SIZE)
		return (PAGE_SIZE / stride) << order;
	return (PAGE_SIZE << order) / stride;
}

/* Bytes of a chunk of @order outside every block. */
static size_t kt_waste(size_t block_size, size_t stride, unsigned int order)
{
	return (PAGE_SIZE << order) - kt_layout_blocks(stride, order) * block_size;
}

/*
 * The order KPOOL_ORDER_AUTO stands for, straight from the Limits section
 * of kpool.h: the smallest order up to KPOOL_AUTO_MAX_ORDER wasting at
 * most 1/16; else the one of those with the smallest waste ratio (smaller
 * order on a tie); else the smallest order that holds one block.
 */
static unsigned int kt_expected_order(size_t block_size, size_t stride)
{
	unsigned int order, best = KPOOL_MAX_ORDER + 1;
	size_t waste, best_waste = 0;

	for (order = 0; order <= KPOOL_AUTO_MAX_ORDER; order++) {
		if (!kt_layout_blocks(stride, order))
			continue;
		waste = kt_waste(block_size, stride, order);
		if (waste * 16 <= PAGE_SIZE << order)
			return order;
		/* waste / 2^order < best_waste / 2^best, without division */
		if (best > KPOOL_AUTO_MAX_ORDER ||
		    waste << best < best_waste << order) {
			best = order;
			best_waste = waste;
		}
	}
	if (best <= KPOOL_AUTO_MAX_ORDER)
		return best;
	for (order = KPOOL_AUTO_MAX_ORDER + 1; order < KPOOL_MAX_ORDER; order++)
		if (kt_layout_blocks(stride, order))
			break;
	return order;
}

/*
 * The geometry kpool.h promises: stride is block_size rounded up to the
 * alignment, the reported alignment is at least the requested one, the
 * automatic order follows the documented rule, a page holds PAGE_SIZE /
 * stride blocks and the waste is what the blocks leave of the chunk.
 */
static void kt_expect_geometry(struct kunit *test,
			       const struct kpool_stats *st,
			       size_t block_size, size_t align)
{
	size_t stride = round_up(block_size, align);
	unsigned int order = kt_expected_order(block_size, stride);
	size_t chunk = PAGE_SIZE << order;

	KUNIT_EXPECT_EQ(test, st->block_size, block_size);
	KUNIT_EXPECT_EQ(test, st->block_stride, stride);
	KUNIT_EXPECT_TRUE(test, is_power_of_2(st->align));
	KUNIT_EXPECT_GE(test, st->align, align);
	KUNIT_EXPECT_LE(test, st->align, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, st->chunk_order, order);
	KUNIT_EXPECT_EQ(test, st->blocks_per_chunk,
			kt_layout_blocks(stride, order));
	KUNIT_EXPECT_EQ(test, st->wasted_per_chunk,
			kt_waste(block_size, stride, order));
	if (order <= KPOOL_AUTO_MAX_ORDER && st->wasted_per_chunk * 16 > chunk)
		kunit_info(test, "no order up to %u wastes at most 1/16: order %u wastes %llu of %zu bytes\n",
			   KPOOL_AUTO_MAX_ORDER, order, st->wasted_per_chunk,
			   chunk);
}

static int kt_cmp_ptr(const void *a, const void *b)
{
	unsigned long x = (unsigned long)*(void * const *)a;
	unsigned long y = (unsigned long)*(void * const *)b;

	return x < y ? -1 : x > y;
}

/* Checks of one block, on its own. */
static void kt_expect_block_placement(struct kunit *test, const void *block,
				      size_t block_size, size_t align,
				      size_t chunk)
{
	unsigned long p = (unsigned long)block;
	unsigned long base = p & ~(chunk - 1);

	KUNIT_EXPECT_TRUE(test, virt_addr_valid(block));
	KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED(p, align),
			      "block not aligned to %zu", align);
	KUNIT_EXPECT_LE_MSG(test, p + block_size, base + chunk,
			    "block crosses the end of its chunk");
	if (block_size <= PAGE_SIZE)
		KUNIT_EXPECT_EQ_MSG(test, p & PAGE_MASK,
				    (p + block_size - 1) & PAGE_MASK,
				    "block straddles a page");
}

/*
 * Checks of the blocks together: sorted, they must not overlap, and the
 * number of distinct chunks they came from must be what the pool reports.
 */
static void kt_expect_blocks_disjoint(struct kunit *test, void **sorted,
				      unsigned int n, size_t block_size,
				      size_t chunk,
				      const struct kpool_stats *st)
{
	unsigned long prev_base = 0;
	unsigned int chunks = 0;
	unsigned int in_chunk = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned long p = (unsigned long)sorted[i];
		unsigned long base = p & ~(chunk - 1);

		if (i)
			KUNIT_EXPECT_GE_MSG(test,
					    p - (unsigned long)sorted[i - 1],
					    block_size,
					    "blocks %u and %u overlap", i - 1,
					    i);
		if (!chunks || base != prev_base) {
			chunks++;
			in_chunk = 0;
			prev_base = base;
		}
		in_chunk++;
		KUNIT_EXPECT_LE(test, in_chunk, st->blocks_per_chunk);
	}
	KUNIT_EXPECT_EQ(test, st->chunks, chunks);
}

static void kt_expect_occupancy(struct kunit *test, struct kt_pool *kp,
				const struct kpool_stats *st, u64 in_use)
{
	unsigned int nr = st->chunks;
	u64 sum = 0;
	long chunks;
	u32 *per_chunk;
	unsigned int i;

	per_chunk = kunit_kcalloc(test, nr, sizeof(*per_chunk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, per_chunk);
	chunks = kpool_occupancy(kp->pool, per_chunk, nr);
	KUNIT_EXPECT_EQ(test, chunks, (long)st->chunks);
	for (i = 0; i < min_t(long, chunks, nr); i++) {
		KUNIT_EXPECT_LE(test, per_chunk[i], st->blocks_per_chunk);
		sum += per_chunk[i];
	}
	KUNIT_EXPECT_EQ(test, sum, in_use);
}

/*
 * Allocates two chunks' worth of blocks plus one (at most
 * KT_GEOMETRY_MAX_BLOCKS), checks each block and all of them together
 * against the reported geometry, then frees them.
 */
static void kt_carving(struct kunit *test)
{
	const struct kt_geometry_param *param = test->param_value;
	size_t align = param->align ?: kt_natural_align(param->block_size);
	size_t bs = param->block_size;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	void **sorted;
	size_t chunk;
	unsigned int n, i;

	kt_params_init(&p, kt_unique_name(test, "carve"), bs);
	p.align = param->align;
	kp = kt_create(test, &p, KT_GEOMETRY_MAX_BLOCKS);

	kt_stats(kp, &st);
	kt_expect_geometry(test, &st, bs, align);
	KUNIT_ASSERT_GE(test, st.blocks_per_chunk, 1);
	/* Every block is aligned to what the pool reports. */
	align = max_t(size_t, align, st.align);
	chunk = PAGE_SIZE << st.chunk_order;
	n = min_t(u64, 2 * st.blocks_per_chunk + 1, KT_GEOMETRY_MAX_BLOCKS);

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, n, GFP_KERNEL), n);
	for (i = 0; i < n; i++) {
		kt_expect_block_placement(test, kp->blocks[i], bs, align,
					  chunk);
		kt_fill(kp->blocks[i], bs, i);
	}
	/* Any overlap would have overwritten an earlier block's pattern. */
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, kt_check(kp->blocks[i], bs, i), -1,
				    "block %u overwritten", i);

	kt_stats(kp, &st);
	sorted = kunit_kmalloc_array(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sorted);
	memcpy(sorted, kp->blocks, n * sizeof(void *));
	sort(sorted, n, sizeof(void *), kt_cmp_ptr, NULL);
	kt_expect_blocks_disjoint(test, sorted, n, bs, chunk, &st);

	KUNIT_EXPECT_EQ(test, st.blocks_in_use, n);
	KUNIT_EXPECT_EQ(test, st.chunks, DIV_ROUND_UP(n, st.blocks_per_chunk));
	KUNIT_EXPECT_EQ(test, st.blocks_total,
			st.chunks * st.blocks_per_chunk);
	KUNIT_EXPECT_EQ(test, st.pages, st.chunks << st.chunk_order);
	KUNIT_EXPECT_EQ(test, st.blocks_free, st.blocks_total - n);
	KUNIT_EXPECT_EQ(test, st.allocs, n);
	KUNIT_EXPECT_EQ(test, st.cache_hits + st.cache_misses, n);
	KUNIT_EXPECT_EQ(test, st.grows, st.chunks);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 0);
	/* Blocks out of the depot: at least those in use, at most all. */
	KUNIT_EXPECT_GE(test, st.high_watermark, n);
	KUNIT_EXPECT_LE(test, st.high_watermark, st.blocks_total);
	kt_expect_occupancy(test, kp, &st, n);

	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, n), 0);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.blocks_free, st.blocks_total);
	KUNIT_EXPECT_EQ(test, st.frees, n);
	kt_expect_occupancy(test, kp, &st, 0);
}

#define KT_CTOR_SEED	0xc7012345u

struct kt_ctor_state {
	atomic_t calls;
	size_t block_size;
};

static void kt_ctor(void *block, void *arg)
{
	struct kt_ctor_state *cs = arg;

	atomic_inc(&cs->calls);
	kt_fill(block, cs->block_size, KT_CTOR_SEED);
}

/*
 * The constructor runs for every block of a chunk when it is carved: at
 * create for the reserve's chunks, at growth for the others, and never on
 * re-allocation. A freshly carved block holds what the ctor wrote.
 */
static void kt_ctor_once_per_block(struct kunit *test)
{
	const size_t *bs = test->param_value;
	struct kt_ctor_state *cs;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	unsigned int n, i;

	cs = kunit_kzalloc(test, sizeof(*cs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cs);
	cs->block_size = *bs;
	kt_params_init(&p, kt_unique_name(test, "ctor"), *bs);
	p.min_blocks = 2;
	p.ctor = kt_ctor;
	p.ctor_arg = cs;
	kp = kt_create(test, &p, KT_GEOMETRY_MAX_BLOCKS);

	kt_stats(kp, &st);
	KUNIT_EXPECT_GE(test, st.blocks_total, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&cs->calls), st.blocks_total);

	/* Past the first chunk, so growth carves at least one more. */
	n = min_t(u64, st.blocks_total + 1, KT_GEOMETRY_MAX_BLOCKS);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, n, GFP_KERNEL), n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, kt_check(kp->blocks[i], *bs,
						   KT_CTOR_SEED), -1,
				    "block %u not constructed", i);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, atomic_read(&cs->calls), st.blocks_total);

	/* Re-allocation must not construct again. */
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, n), 0);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, n, GFP_KERNEL), n);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, atomic_read(&cs->calls), st.blocks_total);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, n), 0);
}

#define KT_ZERO_BLOCKS	8

static void kt_expect_zeroed(struct kunit *test, void **blocks,
			     unsigned int n, size_t bs)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		KUNIT_EXPECT_PTR_EQ_MSG(test, memchr_inv(blocks[i], 0, bs),
					NULL, "block %u not zeroed", i);
}

/*
 * KPOOL_F_ZERO: blocks are zeroed on every allocation, single or bulk,
 * even when the previous owner filled them before freeing.
 */
static void kt_zero_flag(struct kunit *test)
{
	const size_t *bs = test->param_value;
	struct kpool_params p;
	struct kt_pool *kp;
	unsigned int i;
	int ret;

	kt_params_init(&p, kt_unique_name(test, "zero"), *bs);
	p.flags = KPOOL_F_ZERO;
	kp = kt_create(test, &p, KT_ZERO_BLOCKS);

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_ZERO_BLOCKS,
					     GFP_KERNEL), KT_ZERO_BLOCKS);
	kt_expect_zeroed(test, kp->blocks, KT_ZERO_BLOCKS, *bs);
	for (i = 0; i < KT_ZERO_BLOCKS; i++)
		memset(kp->blocks[i], 0xa5, *bs);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, KT_ZERO_BLOCKS), 0);

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_ZERO_BLOCKS,
					     GFP_KERNEL), KT_ZERO_BLOCKS);
	kt_expect_zeroed(test, kp->blocks, KT_ZERO_BLOCKS, *bs);
	for (i = 0; i < KT_ZERO_BLOCKS; i++)
		memset(kp->blocks[i], 0x5a, *bs);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, KT_ZERO_BLOCKS), 0);

	ret = kpool_alloc_bulk(kp->pool, GFP_KERNEL, KT_ZERO_BLOCKS,
			       kp->blocks);
	if (ret)	/* the slots are undefined then */
		memset(kp->blocks, 0, KT_ZERO_BLOCKS * sizeof(void *));
	KUNIT_ASSERT_EQ(test, ret, 0);
	kt_expect_zeroed(test, kp->blocks, KT_ZERO_BLOCKS, *bs);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, KT_ZERO_BLOCKS), 0);
}

/* Without KPOOL_F_ZERO, __GFP_ZERO zeroes the blocks of that allocation. */
static void kt_gfp_zero(struct kunit *test)
{
	const size_t *bs = test->param_value;
	struct kpool_params p;
	struct kt_pool *kp;
	unsigned int i;

	kt_params_init(&p, kt_unique_name(test, "gfpzero"), *bs);
	kp = kt_create(test, &p, KT_ZERO_BLOCKS);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_ZERO_BLOCKS,
					     GFP_KERNEL), KT_ZERO_BLOCKS);
	for (i = 0; i < KT_ZERO_BLOCKS; i++)
		memset(kp->blocks[i], 0xa5, *bs);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, KT_ZERO_BLOCKS), 0);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_ZERO_BLOCKS,
					     GFP_KERNEL | __GFP_ZERO),
			KT_ZERO_BLOCKS);
	kt_expect_zeroed(test, kp->blocks, KT_ZERO_BLOCKS, *bs);
}

static struct kunit_case kt_geometry_cases[] = {
	KUNIT_CASE_PARAM(kt_carving, kt_geometry_gen_params),
	KUNIT_CASE_PARAM(kt_ctor_once_per_block, kt_size_gen_params),
	KUNIT_CASE_PARAM(kt_zero_flag, kt_size_gen_params),
	KUNIT_CASE_PARAM(kt_gfp_zero, kt_size_gen_params),
	{}
};

struct kunit_suite kt_geometry_suite = {
	.name = "kpool_geometry",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_geometry_cases,
};
