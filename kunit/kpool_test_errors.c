// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_bad_free: every kind of bad kpool_free() is refused with its errno,
 * counted in its own error counter only, and leaves the pool intact -
 * for plain pools (per-CPU fast path) and debug pools (checked slow path).
 * The ownership lookup finds no chunk for memory that is in none: pages
 * whose private field holds anything, a live chunk's tag included, and
 * the blocks of released chunks.
 *
 * kpool_debug: debug pools detect a write into a free block (on the next
 * allocation of it) and a write past the end of a block (on its free),
 * and report nothing for correct use of the whole block; with a
 * constructor they keep the constructed state and still check red zones.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kpool_registry.h"
#include "kpool_test.h"

#define KT_BAD_BLOCK_SIZE	64

struct kt_pool_kind {
	const char *desc;
	unsigned int flags;
};

static const struct kt_pool_kind kt_pool_kinds[] = {
	{ "plain", 0 },
	{ "debug", KPOOL_F_DEBUG },
};

static void kt_pool_kind_desc(const struct kt_pool_kind *k, char *desc)
{
	strscpy(desc, k->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_kind, kt_pool_kinds, kt_pool_kind_desc);

static struct kt_pool *kt_bad_free_pool(struct kunit *test, const char *base,
					unsigned int nr_slots)
{
	const struct kt_pool_kind *kind = test->param_value;
	struct kpool_params p;

	kt_params_init(&p, kt_unique_name(test, base), KT_BAD_BLOCK_SIZE);
	p.flags = kind->flags;
	return kt_create(test, &p, nr_slots);
}

struct kt_errors {
	u64 double_free;
	u64 foreign;
	u64 misaligned;
};

/* Exactly these errors were counted, and no block is unaccounted for. */
static void kt_expect_errors(struct kunit *test, struct kt_pool *kp,
			     const struct kt_errors *want)
{
	struct kpool_stats st;

	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.err_double_free, want->double_free);
	KUNIT_EXPECT_EQ(test, st.err_foreign, want->foreign);
	KUNIT_EXPECT_EQ(test, st.err_misaligned, want->misaligned);
	KUNIT_EXPECT_EQ(test, st.err_poison, 0);
	KUNIT_EXPECT_EQ(test, st.err_redzone, 0);
	KUNIT_EXPECT_EQ(test, st.allocs - st.frees, st.blocks_in_use);
}

/*
 * The pool still works after a refused free: the blocks held in slots
 * 0..@held-1 are still allocated (their free succeeds), and new blocks
 * can be allocated, used and freed.
 */
static void kt_expect_intact(struct kunit *test, struct kt_pool *kp,
			     unsigned int held)
{
	unsigned int i;
	struct kpool_stats st;

	KUNIT_ASSERT_LE(test, held + 2, kp->nr_slots);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, held, 2, GFP_KERNEL), 2);
	for (i = held; i < held + 2; i++)
		if (kp->blocks[i])
			kt_fill(kp->blocks[i], kp->block_size, i);
	for (i = held; i < held + 2; i++)
		if (kp->blocks[i])
			KUNIT_EXPECT_EQ(test, kt_check(kp->blocks[i],
						       kp->block_size, i), -1);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, held + 2), 0);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.allocs, st.frees);
}

static void kt_double_free(struct kunit *test)
{
	struct kt_pool *kp = kt_bad_free_pool(test, "dfree", 3);
	struct kt_errors want = { };
	void *block;

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	block = kp->blocks[0];
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, block), -EALREADY);
	want.double_free = 1;
	kt_expect_errors(test, kp, &want);
	kt_expect_intact(test, kp, 0);
	kt_expect_errors(test, kp, &want);
}

static void kt_free_kmalloc(struct kunit *test)
{
	struct kt_pool *kp = kt_bad_free_pool(test, "fkmalloc", 3);
	struct kt_errors want = { };
	void *small, *large;

	small = kunit_kzalloc(test, KT_BAD_BLOCK_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small);
	/* Big enough to come straight from the page allocator. */
	large = kunit_kzalloc(test, 4 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, large);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);

	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, small), -EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, large), -EINVAL);
	want.foreign = 2;
	kt_expect_errors(test, kp, &want);
	kt_expect_intact(test, kp, 1);
}

/* A block of another pool is foreign to this one, and stays allocated. */
static void kt_free_other_pools_block(struct kunit *test)
{
	struct kt_pool *kp = kt_bad_free_pool(test, "fother", 3);
	struct kt_pool *other = kt_bad_free_pool(test, "fother2", 1);
	struct kt_errors want = { };
	struct kt_errors none = { };

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(other, 0, 1, GFP_KERNEL), 1);
	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, other->blocks[0]), -EINVAL);
	want.foreign = 1;
	kt_expect_errors(test, kp, &want);
	kt_expect_errors(test, other, &none);
	KUNIT_EXPECT_EQ(test, kt_free_slots(other, 0, 1), 0);
	kt_expect_errors(test, other, &none);
	kt_expect_intact(test, kp, 0);
}

static void kt_free_stack_address(struct kunit *test)
{
	struct kt_pool *kp = kt_bad_free_pool(test, "fstack", 2);
	struct kt_errors want = { };
	u64 on_stack[2] = { };

	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, on_stack), -EINVAL);
	want.foreign = 1;
	kt_expect_errors(test, kp, &want);
	kt_expect_intact(test, kp, 0);
}

/* A page of the page allocator that is no pool's, and vmalloc memory. */
static void kt_free_foreign_pages(struct kunit *test)
{
	struct kt_pool *kp = kt_bad_free_pool(test, "fpage", 2);
	struct kt_errors want = { };
	struct page *page;
	void *vmem;
	int page_ret, vmem_ret = -EINVAL;

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	page_ret = kpool_free(kp->pool, page_address(page));
	__free_page(page);
	vmem = vmalloc(PAGE_SIZE);
	if (vmem) {
		vmem_ret = kpool_free(kp->pool, vmem);
		vfree(vmem);
	}

	KUNIT_EXPECT_EQ(test, page_ret, -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, vmem);
	KUNIT_EXPECT_EQ(test, vmem_ret, -EINVAL);
	want.foreign = 2;
	kt_expect_errors(test, kp, &want);
	kt_expect_intact(test, kp, 0);
}

/* Pointers inside a block are refused; the block stays allocated. */
static void kt_free_misaligned(struct kunit *test)
{
	struct kt_pool *kp = kt_bad_free_pool(test, "fmisal", 3);
	struct kt_errors want = { };
	u8 *block;

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	block = kp->blocks[0];
	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, block + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, block + 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool,
					 block + KT_BAD_BLOCK_SIZE - 1),
			-EINVAL);
	want.misaligned = 3;
	kt_expect_errors(test, kp, &want);
	kt_expect_intact(test, kp, 1);
	kt_expect_errors(test, kp, &want);
}

/*
 * Block boundaries where no block is: the tail of a page that holds no
 * whole block, and the slot after the last block of a chunk the cap cut
 * short. Both are refused as not being the start of a block.
 */
static void kt_free_past_the_blocks(struct kunit *test)
{
	const struct kt_pool_kind *kind = test->param_value;
	struct kt_errors want = { };
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;
	size_t per_page;
	u8 *block;

	/* 100 bytes: a stride that leaves a tail in every page */
	kt_params_init(&p, kt_unique_name(test, "fpast"), 100);
	p.flags = kind->flags;
	p.order = 0;
	p.max_blocks = 1;
	kp = kt_create(test, &p, 3);
	kt_stats(kp, &st);
	per_page = PAGE_SIZE / st.block_stride;
	KUNIT_ASSERT_LT(test, per_page * st.block_stride, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	block = kp->blocks[0];
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED((unsigned long)block, PAGE_SIZE));

	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool,
					 block + per_page * st.block_stride),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, block + st.block_stride),
			-EINVAL);
	want.misaligned = 2;
	kt_expect_errors(test, kp, &want);
	kt_expect_in_use(test, kp, 1);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	kt_expect_in_use(test, kp, 0);
}

static void kt_free_null(struct kunit *test)
{
	struct kt_pool *kp = kt_bad_free_pool(test, "fnull", 2);
	struct kt_errors none = { };

	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, NULL), 0);
	kt_expect_errors(test, kp, &none);
	kt_expect_intact(test, kp, 0);
}

/*
 * kpool_free_bulk() refuses the bad entry, frees the good ones around it
 * and returns the first error.
 */
static void kt_free_bulk_with_bad_entry(struct kunit *test)
{
	struct kt_pool *kp = kt_bad_free_pool(test, "fbulk", 4);
	struct kt_errors want = { };
	void *bulk[4];
	u8 *block;

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 3, GFP_KERNEL), 3);
	block = kp->blocks[1];
	bulk[0] = kp->blocks[0];
	bulk[1] = block + 1;
	bulk[2] = kp->blocks[2];
	bulk[3] = NULL;		/* skipped */
	KUNIT_EXPECT_EQ(test, kpool_free_bulk(kp->pool, 4, bulk), -EINVAL);
	want.misaligned = 1;
	kt_expect_errors(test, kp, &want);
	kt_expect_in_use(test, kp, 1);
	/* Only the block behind the bad entry is still out: to slot 0. */
	kp->blocks[0] = block;
	kp->blocks[1] = NULL;
	kp->blocks[2] = NULL;
	kt_expect_intact(test, kp, 1);
}

/*
 * As above, past a magazine: the bad entries sit where kpool_free_bulk()
 * puts blocks straight into the depot, one of them a block the same call
 * freed already.
 */
static void kt_free_bulk_bad_entries_past_magazine(struct kunit *test)
{
	const unsigned int n = 3 * KPOOL_MAG_SIZE, bad = 2 * KPOOL_MAG_SIZE;
	struct kt_pool *kp = kt_bad_free_pool(test, "fbulkd", n + 2);
	struct kt_errors want = { };
	void **bulk;
	u8 *block;

	bulk = kunit_kcalloc(test, n + 2, sizeof(*bulk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bulk);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, n, GFP_KERNEL), n);
	memcpy(bulk, kp->blocks, n * sizeof(*bulk));
	block = bulk[bad];
	bulk[bad] = block + 1;
	bulk[n] = bulk[KPOOL_MAG_SIZE + 1];	/* freed twice */
	bulk[n + 1] = NULL;			/* skipped */
	KUNIT_EXPECT_EQ(test, kpool_free_bulk(kp->pool, n + 2, bulk), -EINVAL);
	want.misaligned = 1;
	want.double_free = 1;
	kt_expect_errors(test, kp, &want);
	kt_expect_in_use(test, kp, 1);
	/* Only the block behind the bad entry is still out: to slot 0. */
	memset(kp->blocks, 0, kp->nr_slots * sizeof(*kp->blocks));
	kp->blocks[0] = block;
	kt_expect_intact(test, kp, 1);
}

/* Memory in no live chunk, for the ownership lookup */
enum kt_alien_kind {
	KT_ALIEN_KMALLOC,	/* a kmalloc() object */
	KT_ALIEN_TAG_ZERO,	/* a page whose private field is 0 */
	KT_ALIEN_TAG_LIVE,	/* ...holds the tag of a live chunk's pages */
	KT_ALIEN_TAG_PAST_END,	/* ...decodes to the first id past the table */
	KT_ALIEN_TAG_RANDOM,	/* ...holds a random value */
	KT_ALIEN_STACK,		/* the stack */
	KT_ALIEN_VMALLOC,	/* vmalloc() memory */
	KT_ALIEN_RELEASED,	/* a block of a chunk kpool_shrink() released */
	KT_ALIEN_DESTROYED,	/* a block of a destroyed pool */
};

/**
 * struct kt_alien_param - one kind of memory in no live chunk
 * @desc: what it is.
 * @kind: how the case makes it.
 * @recycled: its pages went back to the page allocator, so a pool created
 *	      meanwhile elsewhere may hold them now: the lookup must only
 *	      not find the case's pools.
 */
struct kt_alien_param {
	const char *desc;
	enum kt_alien_kind kind;
	bool recycled;
};

static const struct kt_alien_param kt_aliens[] = {
	{ "kmalloc object", KT_ALIEN_KMALLOC },
	{ "page, private 0", KT_ALIEN_TAG_ZERO },
	{ "page, a live chunk's tag", KT_ALIEN_TAG_LIVE },
	{ "page, the tag past the table", KT_ALIEN_TAG_PAST_END },
	{ "page, random private", KT_ALIEN_TAG_RANDOM },
	{ "stack", KT_ALIEN_STACK },
	{ "vmalloc", KT_ALIEN_VMALLOC },
	{ "released chunk", KT_ALIEN_RELEASED, true },
	{ "destroyed pool", KT_ALIEN_DESTROYED, true },
};

static void kt_alien_desc(const struct kt_alien_param *a, char *desc)
{
	strscpy(desc, a->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_alien, kt_aliens, kt_alien_desc);

/* Owner cookies: the case's pool, the pool whose chunk goes, the end. */
static const char kt_alien_owners[3];

/* The private field a page of @kind gets; @live is in a live chunk. */
static unsigned long kt_alien_tag(enum kt_alien_kind kind, const void *live)
{
	switch (kind) {
	case KT_ALIEN_TAG_LIVE:
		return page_private(virt_to_page(live));
	case KT_ALIEN_TAG_PAST_END:
		return kpool_chunk_tag_past_end();
	case KT_ALIEN_TAG_RANDOM:
		return get_random_long();
	default:
		return 0;
	}
}

/*
 * A block of a pool with the second owner cookie, its chunk released
 * (shrunk away, or destroyed with the pool); @gone is then NULL if the
 * pool was destroyed.
 */
static void *kt_alien_gone_block(struct kunit *test, enum kt_alien_kind kind,
				 struct kt_pool **gone)
{
	struct kpool_params p;
	void *block;

	kt_params_init(&p, kt_unique_name(test, "gone"), KT_BAD_BLOCK_SIZE);
	p.owner = &kt_alien_owners[1];
	*gone = kt_create(test, &p, 1);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(*gone, 0, 1, GFP_KERNEL), 1);
	block = (*gone)->blocks[0];
	KUNIT_ASSERT_EQ(test, kt_free_slots(*gone, 0, 1), 0);
	if (kind == KT_ALIEN_RELEASED) {
		KUNIT_ASSERT_GT(test, kpool_shrink((*gone)->pool), 0);
	} else {
		KUNIT_ASSERT_EQ(test, kt_destroy(test, *gone), 0);
		*gone = NULL;
	}
	return block;
}

/*
 * No entry point that looks a pointer up finds a chunk for @bad:
 * kpool_block_owner(), kpool_free_owned() (which leaves the owner
 * unwritten) and kpool_free() after a miss of the CPU's hint, which counts
 * a foreign free in @kp (and in @gone, the pool of a released chunk), not
 * a misaligned one or a double free: not even a live chunk whose tag was
 * copied, nor the released chunk, is found. The live block of @kp is.
 */
static void kt_alien_expect_refused(struct kunit *test,
				    const struct kt_alien_param *a,
				    struct kt_pool *kp, struct kt_pool *gone,
				    void *bad, struct kt_errors *want)
{
	const void *owner = NULL, *found;

	KUNIT_EXPECT_PTR_EQ(test, kpool_block_owner(kp->blocks[0]),
			    (const void *)&kt_alien_owners[0]);
	found = kpool_block_owner(bad);
	if (a->recycled)
		KUNIT_EXPECT_TRUE(test, found != &kt_alien_owners[0] &&
				  found != &kt_alien_owners[1]);
	else
		KUNIT_EXPECT_NULL(test, found);
	/* a pool found in the range would write its cookie */
	KUNIT_EXPECT_EQ(test, kpool_free_owned(bad, &kt_alien_owners[0],
					       &kt_alien_owners[2], &owner),
			-EINVAL);
	KUNIT_EXPECT_NULL(test, owner);
	KUNIT_EXPECT_EQ(test, kpool_free(kp->pool, bad), -EINVAL);
	want->foreign++;
	kt_expect_errors(test, kp, want);
	if (gone) {
		KUNIT_EXPECT_EQ(test, kpool_free(gone->pool, bad), -EINVAL);
		kt_expect_errors(test, gone, want);
	}
}

/*
 * The ownership lookup finds no chunk for memory in none (see
 * kt_aliens[]); a released chunk is not found either, neither at once nor
 * once its grace period is over (its pages freed, its id free for reuse).
 * The pool stays intact.
 */
static void kt_lookup_refuses(struct kunit *test)
{
	const struct kt_alien_param *a = test->param_value;
	struct kt_pool *kp, *gone = NULL;
	struct kt_errors want = { };
	struct page *page = NULL;
	u64 on_stack[2] = { };
	struct kpool_params p;
	void *bad, *vmem = NULL;

	kt_params_init(&p, kt_unique_name(test, "alien"), KT_BAD_BLOCK_SIZE);
	p.owner = &kt_alien_owners[0];
	kp = kt_create(test, &p, 3);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);

	switch (a->kind) {
	case KT_ALIEN_KMALLOC:
		bad = kunit_kzalloc(test, KT_BAD_BLOCK_SIZE, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, bad);
		break;
	case KT_ALIEN_STACK:
		bad = on_stack;
		break;
	case KT_ALIEN_VMALLOC:
		vmem = vmalloc(PAGE_SIZE);
		KUNIT_ASSERT_NOT_NULL(test, vmem);
		bad = vmem;
		break;
	case KT_ALIEN_RELEASED:
	case KT_ALIEN_DESTROYED:
		bad = kt_alien_gone_block(test, a->kind, &gone);
		break;
	default:
		page = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, page);
		set_page_private(page, kt_alien_tag(a->kind, kp->blocks[0]));
		bad = page_address(page);
		break;
	}

	kt_alien_expect_refused(test, a, kp, gone, bad, &want);
	/* a released chunk's grace period is over: it is freed, its id too */
	rcu_barrier();
	kt_alien_expect_refused(test, a, kp, gone, bad, &want);

	if (page) {
		set_page_private(page, 0);
		__free_page(page);
	}
	vfree(vmem);
	kt_expect_intact(test, kp, 1);
	kt_expect_errors(test, kp, &want);
}

static struct kunit_case kt_bad_free_cases[] = {
	KUNIT_CASE_PARAM(kt_double_free, kt_kind_gen_params),
	KUNIT_CASE_PARAM(kt_free_kmalloc, kt_kind_gen_params),
	KUNIT_CASE_PARAM(kt_free_other_pools_block, kt_kind_gen_params),
	KUNIT_CASE_PARAM(kt_free_stack_address, kt_kind_gen_params),
	KUNIT_CASE_PARAM(kt_free_foreign_pages, kt_kind_gen_params),
	KUNIT_CASE_PARAM(kt_free_misaligned, kt_kind_gen_params),
	KUNIT_CASE_PARAM(kt_free_past_the_blocks, kt_kind_gen_params),
	KUNIT_CASE_PARAM(kt_free_null, kt_kind_gen_params),
	KUNIT_CASE_PARAM(kt_free_bulk_with_bad_entry, kt_kind_gen_params),
	KUNIT_CASE_PARAM(kt_free_bulk_bad_entries_past_magazine,
			 kt_kind_gen_params),
	KUNIT_CASE_PARAM(kt_lookup_refuses, kt_alien_gen_params),
	{}
};

struct kunit_suite kt_bad_free_suite = {
	.name = "kpool_bad_free",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_bad_free_cases,
};

static const size_t kt_debug_sizes[] = { 8, 24, 100, 512, 4096, 9000 };

static void kt_debug_size_desc(const size_t *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %zu", *size);
}

KUNIT_ARRAY_PARAM(kt_debug_size, kt_debug_sizes, kt_debug_size_desc);

/* A debug pool with a single block, so the next allocation reuses it. */
static struct kt_pool *kt_debug_pool(struct kunit *test, const char *base)
{
	const size_t *bs = test->param_value;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;

	kt_params_init(&p, kt_unique_name(test, base), *bs);
	p.flags = KPOOL_F_DEBUG;
	p.max_blocks = 1;
	kp = kt_create(test, &p, 1);
	kt_stats(kp, &st);
	/* Room for a red zone of at least 8 bytes after the block. */
	KUNIT_EXPECT_GE(test, st.block_stride, *bs + 8);
	return kp;
}

static void kt_expect_debug_errors(struct kunit *test, struct kt_pool *kp,
				   u64 poison, u64 redzone)
{
	struct kpool_stats st;

	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.err_poison, poison);
	KUNIT_EXPECT_EQ(test, st.err_redzone, redzone);
	KUNIT_EXPECT_EQ(test, st.err_double_free, 0);
	KUNIT_EXPECT_EQ(test, st.err_foreign, 0);
	KUNIT_EXPECT_EQ(test, st.err_misaligned, 0);
}

/* Using all of a block, and only it, is never reported. */
static void kt_debug_clean_use(struct kunit *test)
{
	struct kt_pool *kp = kt_debug_pool(test, "dclean");
	unsigned int round;

	for (round = 0; round < 3; round++) {
		KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
		kt_fill(kp->blocks[0], kp->block_size, round);
		KUNIT_EXPECT_EQ(test, kt_check(kp->blocks[0], kp->block_size,
					       round), -1);
		KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	}
	kt_expect_debug_errors(test, kp, 0, 0);
}

/*
 * A write into a free block is found when the block is next allocated; the
 * block is still handed out, and poisoned afresh when it is freed again.
 */
static void kt_debug_poison(struct kunit *test)
{
	struct kt_pool *kp = kt_debug_pool(test, "dpoison");
	u8 *block;

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	block = kp->blocks[0];
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	kt_corrupt_byte(block + kp->block_size / 2);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_ATOMIC), 1);
	KUNIT_EXPECT_PTR_EQ(test, kp->blocks[0], (void *)block);
	kt_expect_debug_errors(test, kp, 1, 0);

	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	kt_expect_debug_errors(test, kp, 1, 0);
}

/*
 * A write one byte past the end of a block is found when it is freed; the
 * block is still freed and its red zone restored.
 */
static void kt_debug_redzone(struct kunit *test)
{
	struct kt_pool *kp = kt_debug_pool(test, "dredzone");
	u8 *block;

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	block = kp->blocks[0];
	kt_fill(block, kp->block_size, 1);
	kt_corrupt_byte(block + kp->block_size);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	kt_expect_debug_errors(test, kp, 0, 1);
	kt_expect_in_use(test, kp, 0);

	KUNIT_EXPECT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	KUNIT_EXPECT_PTR_EQ(test, kp->blocks[0], (void *)block);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	kt_expect_debug_errors(test, kp, 0, 1);
}

#define KT_DEBUG_CTOR_SEED	0xd0c70123u

static void kt_debug_ctor(void *block, void *arg)
{
	kt_fill(block, *(size_t *)arg, KT_DEBUG_CTOR_SEED);
}

/*
 * A debug pool with a constructor does not poison free blocks (that would
 * destroy the constructed state) but still checks red zones.
 */
static void kt_debug_ctor_state_kept(struct kunit *test)
{
	const size_t *bs = test->param_value;
	struct kpool_params p;
	struct kt_pool *kp;
	size_t *size;
	u8 *block;

	size = kunit_kzalloc(test, sizeof(*size), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, size);
	*size = *bs;
	kt_params_init(&p, kt_unique_name(test, "dctor"), *bs);
	p.flags = KPOOL_F_DEBUG;
	p.max_blocks = 1;
	p.ctor = kt_debug_ctor;
	p.ctor_arg = size;
	kp = kt_create(test, &p, 1);

	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	block = kp->blocks[0];
	KUNIT_EXPECT_EQ(test, kt_check(block, *bs, KT_DEBUG_CTOR_SEED), -1);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	KUNIT_EXPECT_PTR_EQ(test, kp->blocks[0], (void *)block);
	KUNIT_EXPECT_EQ(test, kt_check(block, *bs, KT_DEBUG_CTOR_SEED), -1);
	kt_expect_debug_errors(test, kp, 0, 0);

	kt_corrupt_byte(block + *bs);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
	kt_expect_debug_errors(test, kp, 0, 1);
}

static struct kunit_case kt_debug_cases[] = {
	KUNIT_CASE_PARAM(kt_debug_clean_use, kt_debug_size_gen_params),
	KUNIT_CASE_PARAM(kt_debug_poison, kt_debug_size_gen_params),
	KUNIT_CASE_PARAM(kt_debug_redzone, kt_debug_size_gen_params),
	KUNIT_CASE_PARAM(kt_debug_ctor_state_kept, kt_debug_size_gen_params),
	{}
};

struct kunit_suite kt_debug_suite = {
	.name = "kpool_debug",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_debug_cases,
};
