// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_glue: the driver author's API: devm_kpool_create(), the mempool
 * adapters and KPOOL_PARAMS().
 *
 * - KPOOL_PARAMS() names the pool after the struct tag, takes its size and
 *   alignment (at least sizeof(void *)), any node and the automatic order,
 *   and keeps the fields given with it; the pool built from it has that
 *   geometry.
 * - devm_kpool_create(): the pool lives while a driver is bound to the
 *   device and is destroyed when the driver is unbound. With blocks still
 *   out at unbind it is reported and left alive with its blocks, as
 *   kpool_destroy() leaves it, and is destroyed once they are freed. A
 *   create that fails adds nothing to the device's resources.
 * - kpool_mempool_alloc()/kpool_mempool_free(): a mempool over a pool whose
 *   growth fails hands out the pool's free blocks, then the pool's
 *   reserve, then its own reserve, then fails at once; frees refill the
 *   mempool's reserve and then land back in the pool; a sleeping request
 *   through the adapter does not wait for a kpool_free().
 *
 * The devres cases bind a platform driver of this module to a platform
 * device (both exist in every kernel of the matrix) and unbind it with
 * device_release_driver(), which releases the device's resources.
 */
#include <linux/align.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/platform_device.h>
#include <linux/string.h>

#include "kpool_registry.h"
#include "kpool_test.h"

/* KPOOL_PARAMS() */

/* 12 bytes aligned to 4: KPOOL_PARAMS() aligns them to sizeof(void *) */
struct kt_glue_u32x3 {
	u32 a, b, c;
};

struct kt_glue_desc {
	void *next;
	u64 cookie;
	u32 len;
};

struct kt_glue_line {
	u8 bytes[48];
} __aligned(64);

/**
 * struct kt_typed_param - a pool of one struct type
 * @desc: the case's name.
 * @params: KPOOL_PARAMS() of the type, with the fields of the case.
 * @name: the tag.
 * @size: sizeof() the type.
 * @align: the alignment the pool must have.
 * @min_blocks: as given to KPOOL_PARAMS().
 * @max_blocks: as given to KPOOL_PARAMS().
 * @flags: as given to KPOOL_PARAMS().
 */
struct kt_typed_param {
	const char *desc;
	struct kpool_params params;
	const char *name;
	size_t size;
	size_t align;
	unsigned int min_blocks;
	unsigned int max_blocks;
	unsigned int flags;
};

static const struct kt_typed_param kt_typed_params[] = {
	{ "u32x3", KPOOL_PARAMS(kt_glue_u32x3), "kt_glue_u32x3", 12,
	  sizeof(void *), 0, 0, 0 },
	{ "desc reserve zero",
	  KPOOL_PARAMS(kt_glue_desc, .min_blocks = 8, .flags = KPOOL_F_ZERO),
	  "kt_glue_desc", sizeof(struct kt_glue_desc), sizeof(void *), 8, 0,
	  KPOOL_F_ZERO },
	{ "line capped debug",
	  KPOOL_PARAMS(kt_glue_line, .max_blocks = 32,
		       .flags = KPOOL_F_DEBUG),
	  "kt_glue_line", 64, 64, 0, 32, KPOOL_F_DEBUG },
};

static void kt_typed_desc(const struct kt_typed_param *r, char *desc)
{
	strscpy(desc, r->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_typed, kt_typed_params, kt_typed_desc);

/* The macro fills what it promises, and the pool built has that shape. */
static void kt_typed_params_case(struct kunit *test)
{
	const struct kt_typed_param *r = test->param_value;
	const struct kpool_params *p = &r->params;
	struct kpool_stats st;
	struct kt_pool *kp;

	KUNIT_EXPECT_STREQ(test, p->name, r->name);
	KUNIT_EXPECT_EQ(test, p->block_size, r->size);
	KUNIT_EXPECT_EQ(test, p->align, r->align);
	KUNIT_EXPECT_EQ(test, p->node, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, p->order, KPOOL_ORDER_AUTO);
	KUNIT_EXPECT_EQ(test, p->min_blocks, r->min_blocks);
	KUNIT_EXPECT_EQ(test, p->max_blocks, r->max_blocks);
	KUNIT_EXPECT_EQ(test, p->flags, r->flags);
	KUNIT_EXPECT_TRUE(test, !p->gfp);
	KUNIT_EXPECT_NULL(test, p->ctor);
	KUNIT_EXPECT_NULL(test, p->owner);
	KUNIT_EXPECT_EQ(test, p->boundary, 0);

	kp = kt_create(test, p, 1);
	kt_stats(kp, &st);
	KUNIT_EXPECT_STREQ(test, st.name, r->name);
	KUNIT_EXPECT_EQ(test, st.block_size, r->size);
	KUNIT_EXPECT_EQ(test, st.align, r->align);
	if (!(r->flags & KPOOL_F_DEBUG))
		KUNIT_EXPECT_EQ(test, st.block_stride,
				ALIGN(r->size, r->align));
	KUNIT_EXPECT_EQ(test, st.node, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, st.min_blocks, r->min_blocks);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, r->min_blocks);
	KUNIT_EXPECT_EQ(test, st.max_blocks, r->max_blocks);
	KUNIT_EXPECT_EQ(test, st.flags, r->flags);

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)kp->blocks[0],
					   r->align));
	kt_fill_all(kp->blocks, 1, r->size, 1);
	kt_expect_filled(test, kp->blocks, 1, r->size, 1);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
}

/* devm_kpool_create() */

#define KT_DEVM_DRIVER	"kpool_kt_devm"
#define KT_DEVM_BLOCKS	8

struct kt_glue_dev {
	u64 words[4];
};

static int kt_devm_probe(struct platform_device *pdev)
{
	return 0;
}

static struct platform_driver kt_devm_driver = {
	.probe = kt_devm_probe,
	.driver = {
		.name = KT_DEVM_DRIVER,
	},
};

/**
 * struct kt_devm_param - a managed pool unbound with blocks out or not
 * @desc: the case's name.
 * @flags: the pool's flags.
 * @min_blocks: the pool's reserve.
 * @out: blocks still allocated when the driver is unbound.
 */
struct kt_devm_param {
	const char *desc;
	unsigned int flags;
	unsigned int min_blocks;
	unsigned int out;
};

static const struct kt_devm_param kt_devm_params[] = {
	{ "all freed", 0, 4, 0 },
	{ "debug all freed", KPOOL_F_DEBUG, 0, 0 },
	{ "one out", 0, 0, 1 },
	{ "debug three out", KPOOL_F_DEBUG, 2, 3 },
};

static void kt_devm_desc(const struct kt_devm_param *r, char *desc)
{
	strscpy(desc, r->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_devm, kt_devm_params, kt_devm_desc);

/* kpool_with_id() callback: the pool's statistics, if asked for. */
static int kt_devm_stats(struct kpool *pool, void *arg)
{
	if (arg)
		kpool_get_stats(pool, arg);
	return 0;
}

/*
 * After the unbind: the pool is gone, or (blocks out) still registered
 * with its blocks usable, and destroyed by the case once they are freed.
 */
static void kt_devm_check_unbound(struct kunit *test,
				  const struct kt_devm_param *r,
				  struct kpool *pool, u32 id, void **blocks,
				  int pools)
{
	struct kpool_stats st;
	int ret;

	ret = kpool_with_id(id, kt_devm_stats, &st);
	if (!r->out) {
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOENT,
				    "pool not destroyed at unbind");
		KUNIT_EXPECT_EQ(test, kt_count_pools(), pools);
		return;
	}
	if (ret) {
		/* the blocks went with the pool: they must not be touched */
		KUNIT_FAIL(test, "pool with blocks out destroyed: %d", ret);
		return;
	}
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, r->out);
	KUNIT_EXPECT_EQ(test, kt_count_pools(), pools + 1);
	kt_expect_filled(test, blocks, r->out, sizeof(struct kt_glue_dev), 7);
	KUNIT_EXPECT_EQ(test, kpool_free_bulk(pool, r->out, blocks), 0);
	KUNIT_EXPECT_EQ(test, kpool_destroy(pool), 0);
	KUNIT_EXPECT_EQ(test, kpool_with_id(id, kt_devm_stats, NULL),
			-ENOENT);
}

/*
 * A pool created for a bound device works like any other, a second one of
 * the same name is refused without a trace, and unbinding the driver
 * destroys the pool (or reports it and leaves it, with blocks out).
 */
static void kt_devm_unbind(struct kunit *test)
{
	const struct kt_devm_param *r = test->param_value;
	struct platform_device *pdev;
	void *blocks[KT_DEVM_BLOCKS];
	struct kpool *pool, *dup;
	int pools;
	u32 id;

	pdev = platform_device_register_simple(KT_DEVM_DRIVER,
					       PLATFORM_DEVID_AUTO, NULL, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pdev);
	if (!pdev->dev.driver) {
		KUNIT_FAIL(test, "%s not bound", dev_name(&pdev->dev));
		goto out;
	}

	pools = kt_count_pools();
	pool = devm_kpool_create(&pdev->dev,
				 &KPOOL_PARAMS(kt_glue_dev,
					       .min_blocks = r->min_blocks,
					       .flags = r->flags));
	if (IS_ERR(pool)) {
		KUNIT_FAIL(test, "devm_kpool_create(): %ld", PTR_ERR(pool));
		goto out;
	}
	id = kpool_id(pool);
	KUNIT_EXPECT_EQ(test, kpool_with_id(id, kt_devm_stats, NULL), 0);
	dup = devm_kpool_create(&pdev->dev, &KPOOL_PARAMS(kt_glue_dev));
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(dup), -EEXIST);
	KUNIT_EXPECT_EQ(test, kt_count_pools(), pools + 1);

	if (kpool_alloc_bulk(pool, GFP_KERNEL, KT_DEVM_BLOCKS, blocks)) {
		KUNIT_FAIL(test, "kpool_alloc_bulk() of %u blocks failed",
			   KT_DEVM_BLOCKS);
		goto out;
	}
	kt_fill_all(blocks, KT_DEVM_BLOCKS, sizeof(struct kt_glue_dev), 7);
	KUNIT_EXPECT_EQ(test, kpool_free_bulk(pool, KT_DEVM_BLOCKS - r->out,
					      blocks + r->out), 0);

	device_release_driver(&pdev->dev);
	KUNIT_EXPECT_NULL(test, pdev->dev.driver);
	kt_devm_check_unbound(test, r, pool, id, blocks, pools);
out:
	platform_device_unregister(pdev);
}

/* kpool_mempool_alloc() and kpool_mempool_free() */

struct kt_glue_elem {
	u8 bytes[256];
};

/**
 * struct kt_mempool_param - a mempool's reserve over a pool's
 * @pool_reserve: the pool's min_blocks.
 * @mempool_reserve: mempool_create()'s min_nr.
 */
struct kt_mempool_param {
	unsigned int pool_reserve;
	unsigned int mempool_reserve;
};

static const struct kt_mempool_param kt_mempool_params[] = {
	{ 0, 4 },
	{ 8, 4 },
	{ 2, 16 },
};

static void kt_mempool_desc(const struct kt_mempool_param *r, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "pool reserve %u mempool %u",
		 r->pool_reserve, r->mempool_reserve);
}

KUNIT_ARRAY_PARAM(kt_mempool, kt_mempool_params, kt_mempool_desc);

/* Allocate @n elements into @elems; return how many were had. */
static unsigned int kt_mempool_take(mempool_t *mp, void **elems,
				    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		elems[i] = mempool_alloc(mp, GFP_NOWAIT);
		if (!elems[i])
			break;
	}
	return i;
}

/*
 * With the pool's growth failing, GFP_NOWAIT requests get every block the
 * pool has carved (its reserve last), then the mempool's reserve, then
 * NULL; the adapter's sleeping path returns NULL rather than wait. Frees
 * refill the mempool's reserve first, then go back to the pool.
 */
static void kt_mempool_reserve(struct kunit *test)
{
	const struct kt_mempool_param *r = test->param_value;
	const unsigned int mres = r->mempool_reserve;
	unsigned int total, from_pool, i;
	struct kpool_stats st;
	struct kt_pool *kp;
	mempool_t *mp;
	void **elems;
	u64 frees;

	kp = kt_create(test, &KPOOL_PARAMS(kt_glue_elem,
					   .min_blocks = r->pool_reserve), 0);
	mp = mempool_create(mres, kpool_mempool_alloc, kpool_mempool_free,
			    kp->pool);
	KUNIT_ASSERT_NOT_NULL(test, mp);

	/*
	 * each preallocation hit the magazine or took the sleeping path,
	 * kpool_alloc_bulk() (whose growth filled the magazine, and which
	 * pops it itself where the hit path is out of line: PREEMPT_RT)
	 */
	kt_stats(kp, &st);
	KUNIT_EXPECT_LE(test, st.bulk_allocs, mres);
	KUNIT_EXPECT_GE(test, st.cache_hits + st.bulk_allocs, mres);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, r->pool_reserve);
	KUNIT_EXPECT_EQ(test, READ_ONCE(mp->curr_nr), mres);
	kt_expect_in_use(test, kp, mres);
	total = st.blocks_total;
	from_pool = total - mres;
	elems = kunit_kcalloc(test, total + 1, sizeof(*elems), GFP_KERNEL);
	if (!elems) {
		KUNIT_FAIL(test, "no memory for %u pointers", total + 1);
		goto out;
	}

	kt_fail_growth(test, kp, true);
	KUNIT_EXPECT_EQ(test, kt_mempool_take(mp, elems, from_pool),
			from_pool);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, READ_ONCE(mp->curr_nr), mres);
	KUNIT_EXPECT_EQ(test, st.reserve_allocs, r->pool_reserve);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, total);

	KUNIT_EXPECT_EQ(test, kt_mempool_take(mp, elems + from_pool, mres + 1),
			mres);
	KUNIT_EXPECT_EQ(test, READ_ONCE(mp->curr_nr), 0);
	KUNIT_EXPECT_NULL(test, elems[total]);
	KUNIT_EXPECT_NULL(test, kpool_mempool_alloc(GFP_KERNEL, kp->pool));
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_total, total);
	KUNIT_EXPECT_GE(test, st.faults_injected, 1);
	/* each served by the mempool, the one refused, the sleeping one */
	KUNIT_EXPECT_EQ(test, st.alloc_failures, mres + 2);
	kt_fill_all(elems, total, sizeof(struct kt_glue_elem), 3);
	kt_expect_filled(test, elems, total, sizeof(struct kt_glue_elem), 3);

	frees = st.frees;
	for (i = total; i--;)
		if (elems[i])
			mempool_free(elems[i], mp);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, READ_ONCE(mp->curr_nr), mres);
	KUNIT_EXPECT_EQ(test, st.frees - frees, from_pool);
	KUNIT_EXPECT_EQ(test, st.blocks_reserved, r->pool_reserve);
	kt_expect_in_use(test, kp, mres);
	kt_fail_growth(test, kp, false);
out:
	mempool_destroy(mp);
	kt_expect_in_use(test, kp, 0);
}

static int kt_glue_suite_init(struct kunit_suite *suite)
{
	return platform_driver_register(&kt_devm_driver);
}

static void kt_glue_suite_exit(struct kunit_suite *suite)
{
	platform_driver_unregister(&kt_devm_driver);
}

static struct kunit_case kt_glue_cases[] = {
	KUNIT_CASE_PARAM(kt_typed_params_case, kt_typed_gen_params),
	KUNIT_CASE_PARAM(kt_devm_unbind, kt_devm_gen_params),
	KUNIT_CASE_PARAM(kt_mempool_reserve, kt_mempool_gen_params),
	{}
};

static struct kunit_suite kt_glue_suite = {
	.name = "kpool_glue",
	.suite_init = kt_glue_suite_init,
	.suite_exit = kt_glue_suite_exit,
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_glue_cases,
};

kunit_test_suite(kt_glue_suite);
