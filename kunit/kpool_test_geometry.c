// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_geometry: how blocks are carved from chunks.
 *
 * For every block size and alignment of the issue: the reported geometry
 * (stride, order, blocks per chunk, waste) is the layout of kpool_layout(),
 * the one implementation of the documented rule (kt_geom_init(): the
 * smallest order wasting at most 1/16 of the chunk, blocks laid out at
 * multiples of the stride from the chunk's start, straddling pages), and
 * the blocks handed out are aligned, where that layout puts blocks, apart
 * from each other, inside a naturally aligned chunk, and keep what is
 * written into them across page boundaries; pages and occupancy match what
 * was handed out. Also: the
 * constructor runs once per carved block, and KPOOL_F_ZERO pools (or
 * __GFP_ZERO) hand out zeroed blocks.
 */
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/numa.h>

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
 * KT_GEOMETRY_MAX_BLOCKS): the reported geometry is the layout computed
 * from the documented rule (kt_geom_init()), every block is where that
 * layout puts blocks, aligned and apart from every other, the first chunks
 * are handed out whole, and a pattern written into every block, across
 * page boundaries where blocks straddle them, survives. Then the counters
 * and the occupancy agree with what was handed out.
 */
static void kt_carving(struct kunit *test)
{
	const struct kt_geometry_param *param = test->param_value;
	size_t bs = param->block_size;
	struct kt_carve_report rep;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	struct kt_geom g;
	unsigned int n;

	KUNIT_ASSERT_EQ(test, kt_geom_init(&g, bs, param->align, 0, 0,
					   KPOOL_ORDER_AUTO), 0);
	kt_params_init(&p, kt_unique_name(test, "carve"), bs);
	p.align = param->align;
	kp = kt_create(test, &p, KT_GEOMETRY_MAX_BLOCKS);

	kt_stats(kp, &st);
	kt_geom_expect_stats(test, &g, &st);
	KUNIT_EXPECT_EQ(test, st.node, NUMA_NO_NODE);
	KUNIT_ASSERT_GE(test, g.per_chunk, 1);
	n = min_t(u64, 2 * g.per_chunk + 1, KT_GEOMETRY_MAX_BLOCKS);

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, n, GFP_KERNEL), n);
	kt_fill_all(kp->blocks, n, bs, 0);
	kt_geom_check_blocks(test, &g, kp->blocks, n, &rep);
	kt_expect_filled(test, kp->blocks, n, bs, 0);

	kt_stats(kp, &st);
	kt_geom_expect_stats(test, &g, &st);
	/* chunks are carved only once the ones before are handed out */
	KUNIT_EXPECT_EQ(test, rep.chunks, st.chunks);
	KUNIT_EXPECT_EQ(test, st.chunks, DIV_ROUND_UP(n, g.per_chunk));
	KUNIT_EXPECT_EQ(test, rep.full_chunks, n / g.per_chunk);
	KUNIT_EXPECT_EQ(test, rep.straddling_expected <= rep.straddling, true);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, n);
	KUNIT_EXPECT_EQ(test, st.blocks_total, st.chunks * g.per_chunk);
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

/* Sizes the sweep checks: every 8 bytes to 256, then coarser. */
#define KT_SWEEP_FINE		256
#define KT_SWEEP_MID		4096
#define KT_SWEEP_MAX		(32 * 1024)
/* "a header of about 128 bytes" */
#define KT_META_HEADER_MAX	256

static size_t kt_sweep_next(size_t bs)
{
	size_t next = bs + (bs < KT_SWEEP_FINE ? 8 :
			    bs < KT_SWEEP_MID ? 56 : 1000);

	/* every power of two on the way, too */
	if (!is_power_of_2(bs) && rounddown_pow_of_two(next) > bs)
		return rounddown_pow_of_two(next);
	return next;
}

/*
 * The documented order rule over block sizes up to 32 KiB (natural
 * alignment): each pool reports the geometry computed here. Power-of-two
 * strides up to 32 KiB get an order up to KPOOL_AUTO_MAX_ORDER wasting at
 * most 1/16 of the chunk; from 64 bytes to 4 KiB, by the first rule, with
 * at least 8 blocks and out-of-line metadata within 1/32 of the chunk.
 * That metadata is a header of about 128 bytes and a state byte per block.
 */
static void kt_auto_order_sweep(struct kunit *test)
{
	unsigned int pools = 0;
	struct kpool_params p;
	struct kpool_stats st;
	struct kpool *pool;
	struct kt_geom g;
	u64 chunk_bytes;
	size_t bs;

	for (bs = KPOOL_MIN_BLOCK_SIZE; bs <= KT_SWEEP_MAX;
	     bs = kt_sweep_next(bs)) {
		KUNIT_ASSERT_EQ(test, kt_geom_init(&g, bs, 0, 0, 0,
						   KPOOL_ORDER_AUTO), 0);
		kt_params_init(&p, kt_unique_name(test, "sweep"), bs);
		pool = kpool_create(&p);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
		memset(&st, 0, sizeof(st));
		kpool_get_stats(pool, &st);
		KUNIT_ASSERT_EQ(test, kpool_destroy(pool), 0);
		pools++;

		chunk_bytes = PAGE_SIZE << st.chunk_order;
		KUNIT_EXPECT_EQ_MSG(test, st.chunk_order, g.order,
				    "block size %zu", bs);
		KUNIT_EXPECT_EQ_MSG(test, st.blocks_per_chunk, g.per_chunk,
				    "block size %zu", bs);
		KUNIT_EXPECT_EQ_MSG(test, st.wasted_per_chunk, g.waste,
				    "block size %zu", bs);
		KUNIT_EXPECT_EQ_MSG(test, st.meta_per_chunk,
				    g.header + st.blocks_per_chunk,
				    "block size %zu", bs);
		if (!is_power_of_2(g.stride))
			continue;
		KUNIT_EXPECT_LE_MSG(test, st.chunk_order, KPOOL_AUTO_MAX_ORDER,
				    "block size %zu", bs);
		KUNIT_EXPECT_LE_MSG(test, st.wasted_per_chunk * 16, chunk_bytes,
				    "block size %zu", bs);
		if (g.stride < 64 || g.stride > 4096)
			continue;
		KUNIT_EXPECT_GE_MSG(test, st.blocks_per_chunk, 8,
				    "block size %zu", bs);
		KUNIT_EXPECT_LE_MSG(test, st.meta_per_chunk * 32, chunk_bytes,
				    "block size %zu", bs);
	}
	KUNIT_EXPECT_LE(test, g.header, KT_META_HEADER_MAX);
	kunit_info(test, "%u block sizes, metadata header %zu bytes\n", pools,
		   g.header);
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
	KUNIT_CASE(kt_auto_order_sweep),
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
