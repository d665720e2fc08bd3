// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_params: creation parameters and the registry.
 *
 * Every invalid parameter is refused with its specific errno and leaves
 * nothing behind (no registry entry, the name stays free); the limits
 * themselves are accepted; names are unique among live pools; the
 * registry walks see a pool exactly while it exists.
 */
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/string.h>

#include "kpool_registry.h"
#include "kpool_test.h"

struct kt_bad_params {
	const char *desc;
	void (*mangle)(struct kpool_params *p);
	int err;
};

static void kt_size_0(struct kpool_params *p)
{
	p->block_size = 0;
}

static void kt_size_7(struct kpool_params *p)
{
	p->block_size = KPOOL_MIN_BLOCK_SIZE - 1;
}

static void kt_size_too_big(struct kpool_params *p)
{
	p->block_size = KPOOL_MAX_BLOCK_SIZE + 1;
}

static void kt_align_3(struct kpool_params *p)
{
	p->align = 3;
}

static void kt_align_over_page(struct kpool_params *p)
{
	p->align = 2 * PAGE_SIZE;
}

static void kt_unknown_flag(struct kpool_params *p)
{
	p->flags = (KPOOL_F_ALL << 1) & ~KPOOL_F_ALL;
}

static void kt_null_name(struct kpool_params *p)
{
	p->name = NULL;
}

static void kt_empty_name(struct kpool_params *p)
{
	p->name = "";
}

static void kt_name_too_long(struct kpool_params *p)
{
	p->name = "this_name_is_32_characters_long_";
}

static void kt_name_slash(struct kpool_params *p)
{
	p->name = "kt/slash";
}

static void kt_name_dot(struct kpool_params *p)
{
	p->name = ".kt_hidden";
}

static void kt_order_too_big(struct kpool_params *p)
{
	p->order = KPOOL_MAX_ORDER + 1;
}

static void kt_order_negative(struct kpool_params *p)
{
	p->order = -2;
}

static void kt_order_below_block(struct kpool_params *p)
{
	p->block_size = 2 * PAGE_SIZE;
	p->order = 0;
}

static void kt_min_over_max(struct kpool_params *p)
{
	p->min_blocks = 8;
	p->max_blocks = 4;
}

static void kt_gfp_highmem(struct kpool_params *p)
{
	p->gfp = __GFP_HIGHMEM;
}

static void kt_gfp_comp(struct kpool_params *p)
{
	p->gfp = __GFP_COMP;
}

static void kt_ctor_noop(void *block, void *arg)
{
}

static void kt_ctor_with_zero(struct kpool_params *p)
{
	p->ctor = kt_ctor_noop;
	p->flags = KPOOL_F_ZERO;
}

static void kt_bad_node(struct kpool_params *p)
{
	p->node = MAX_NUMNODES;
}

static void kt_boundary_odd(struct kpool_params *p)
{
	p->boundary = 3000;
}

static void kt_boundary_below_stride(struct kpool_params *p)
{
	p->block_size = 100;
	p->boundary = 64;
}

static void kt_boundary_one(struct kpool_params *p)
{
	p->boundary = 1;
}

/* 64 bytes and the red zone: a stride of 128 */
static void kt_boundary_below_debug_stride(struct kpool_params *p)
{
	p->flags = KPOOL_F_DEBUG;
	p->boundary = 64;
}

static const struct kt_bad_params kt_bad_params[] = {
	{ "block_size 0", kt_size_0, -EINVAL },
	{ "block_size 7", kt_size_7, -EINVAL },
	{ "block_size too big", kt_size_too_big, -EINVAL },
	{ "align 3", kt_align_3, -EINVAL },
	{ "align 2 pages", kt_align_over_page, -EINVAL },
	{ "unknown flag", kt_unknown_flag, -EINVAL },
	{ "NULL name", kt_null_name, -EINVAL },
	{ "empty name", kt_empty_name, -EINVAL },
	{ "name too long", kt_name_too_long, -EINVAL },
	{ "name with a slash", kt_name_slash, -EINVAL },
	{ "name starting with a dot", kt_name_dot, -EINVAL },
	{ "order too big", kt_order_too_big, -EINVAL },
	{ "order negative", kt_order_negative, -EINVAL },
	{ "order below one block", kt_order_below_block, -EINVAL },
	{ "min_blocks over max_blocks", kt_min_over_max, -EINVAL },
	{ "gfp __GFP_HIGHMEM", kt_gfp_highmem, -EINVAL },
	{ "gfp __GFP_COMP", kt_gfp_comp, -EINVAL },
	{ "ctor with KPOOL_F_ZERO", kt_ctor_with_zero, -EINVAL },
	{ "node out of range", kt_bad_node, -EINVAL },
	{ "boundary not a power of two", kt_boundary_odd, -EINVAL },
	{ "boundary below the stride", kt_boundary_below_stride, -EINVAL },
	{ "boundary 1", kt_boundary_one, -EINVAL },
	{ "boundary below a debug stride", kt_boundary_below_debug_stride,
	  -EINVAL },
};

static void kt_bad_params_desc(const struct kt_bad_params *b, char *desc)
{
	strscpy(desc, b->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_bad, kt_bad_params, kt_bad_params_desc);

/*
 * One invalid parameter: the specific errno, no pool left in the
 * registry, and the name still free for a valid pool.
 */
static void kt_invalid_params(struct kunit *test)
{
	const struct kt_bad_params *bad = test->param_value;
	const char *name = kt_unique_name(test, "bad");
	struct kpool_params p;
	int before = kt_count_pools();

	kt_params_init(&p, name, 64);
	bad->mangle(&p);
	KUNIT_EXPECT_EQ(test, kt_create_errno(&p), bad->err);
	KUNIT_EXPECT_EQ(test, kt_count_pools(), before);

	kt_params_init(&p, name, 64);
	kt_create(test, &p, 0);
	KUNIT_EXPECT_EQ(test, kt_count_pools(), before + 1);
}

/* The limits themselves are valid, together. */
static void kt_limits_accepted(struct kunit *test)
{
	const char *prefix = kt_unique_name(test, "");
	char name[KPOOL_NAME_LEN];
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;

	/* The longest name, made unique by its prefix. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memcpy(name, prefix, strlen(prefix));

	kt_params_init(&p, name, KPOOL_MIN_BLOCK_SIZE);
	p.align = PAGE_SIZE;
	p.flags = KPOOL_F_ALL;
	p.order = KPOOL_MAX_ORDER;
	p.min_blocks = 1;
	p.max_blocks = 1;
	p.gfp = __GFP_ACCOUNT;
	kp = kt_create(test, &p, 1);
	kt_stats(kp, &st);
	KUNIT_EXPECT_STREQ(test, st.name, name);
	KUNIT_EXPECT_EQ(test, st.chunk_order, KPOOL_MAX_ORDER);
	KUNIT_EXPECT_EQ(test, st.flags, KPOOL_F_ALL);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, kt_destroy(test, kp), 0);

	kt_params_init(&p, kt_unique_name(test, "max"), KPOOL_MAX_BLOCK_SIZE);
	kp = kt_create(test, &p, 1);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	/* every byte of the largest block is the caller's */
	kt_fill(kp->blocks[0], KPOOL_MAX_BLOCK_SIZE, 0x3c);
	KUNIT_EXPECT_EQ(test, kt_check(kp->blocks[0], KPOOL_MAX_BLOCK_SIZE, 0x3c),
			-1);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
}

/* Names are unique among live pools, and free again after destroy. */
static void kt_duplicate_name(struct kunit *test)
{
	const char *name = kt_unique_name(test, "dup");
	struct kpool_params p;
	struct kt_pool *first;
	int before = kt_count_pools();

	kt_params_init(&p, name, 64);
	first = kt_create(test, &p, 0);

	kt_params_init(&p, name, 128);
	KUNIT_EXPECT_EQ(test, kt_create_errno(&p), -EEXIST);
	KUNIT_EXPECT_EQ(test, kt_count_pools(), before + 1);

	KUNIT_EXPECT_EQ(test, kt_destroy(test, first), 0);
	KUNIT_EXPECT_EQ(test, kt_count_pools(), before);
	kt_create(test, &p, 0);
}

struct kt_registry_probe {
	const struct kpool *target;
	unsigned int seen;
	unsigned int calls;
};

static int kt_registry_visit(struct kpool *pool, void *arg)
{
	struct kt_registry_probe *probe = arg;

	probe->calls++;
	if (pool == probe->target)
		probe->seen++;
	return 0;
}

#define KT_WITH_ID_RET	42

static int kt_registry_found(struct kpool *pool, void *arg)
{
	struct kt_registry_probe *probe = arg;

	probe->calls++;
	if (pool == probe->target)
		probe->seen++;
	return KT_WITH_ID_RET;
}

static int kt_registry_stop(struct kpool *pool, void *arg)
{
	unsigned int *calls = arg;

	(*calls)++;
	return -EINTR;
}

/*
 * kpool_for_each() visits the pool once and stops at the first non-zero
 * return, kpool_with_id() finds it by id and returns what fn returned;
 * the introspection helpers report what it was created with; after
 * destroy, neither walk finds it.
 */
static void kt_registry(struct kunit *test)
{
	struct kt_registry_probe probe = { };
	const char *name = kt_unique_name(test, "reg");
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	unsigned int calls = 0;
	u32 id;

	kt_params_init(&p, name, 200);
	p.owner = test;
	kp = kt_create(test, &p, 0);
	id = kpool_id(kp->pool);
	KUNIT_EXPECT_NE(test, id, 0);
	KUNIT_EXPECT_STREQ(test, kpool_name(kp->pool), name);
	KUNIT_EXPECT_PTR_EQ(test, kpool_owner(kp->pool), (const void *)test);
	KUNIT_EXPECT_EQ(test, kpool_block_size(kp->pool), 200);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.id, id);
	KUNIT_EXPECT_STREQ(test, st.name, name);

	probe.target = kp->pool;
	KUNIT_EXPECT_EQ(test, kpool_for_each(kt_registry_visit, &probe), 0);
	KUNIT_EXPECT_EQ(test, probe.seen, 1);
	KUNIT_EXPECT_GE(test, probe.calls, 1);

	KUNIT_EXPECT_EQ(test, kpool_for_each(kt_registry_stop, &calls), -EINTR);
	KUNIT_EXPECT_EQ(test, calls, 1);

	probe.seen = 0;
	probe.calls = 0;
	KUNIT_EXPECT_EQ(test, kpool_with_id(id, kt_registry_found, &probe),
			KT_WITH_ID_RET);
	KUNIT_EXPECT_EQ(test, probe.calls, 1);
	KUNIT_EXPECT_EQ(test, probe.seen, 1);

	KUNIT_ASSERT_EQ(test, kt_destroy(test, kp), 0);
	probe.seen = 0;
	probe.calls = 0;
	KUNIT_EXPECT_EQ(test, kpool_for_each(kt_registry_visit, &probe), 0);
	KUNIT_EXPECT_EQ(test, probe.seen, 0);
	KUNIT_EXPECT_EQ(test, kpool_with_id(id, kt_registry_found, &probe),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, probe.calls, 0);
}

static struct kunit_case kt_params_cases[] = {
	KUNIT_CASE_PARAM(kt_invalid_params, kt_bad_gen_params),
	KUNIT_CASE(kt_limits_accepted),
	KUNIT_CASE(kt_duplicate_name),
	KUNIT_CASE(kt_registry),
	{}
};

struct kunit_suite kt_params_suite = {
	.name = "kpool_params",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_params_cases,
};
