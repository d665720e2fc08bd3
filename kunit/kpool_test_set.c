// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_set: pool sets (kpool_set.h) over several class layouts.
 *
 * - class boundaries: every size from 1 to the largest gets the smallest
 *   class that fits (found by a linear search of the class list, not by
 *   the set's table), a block usable for that many bytes and aligned;
 *   0 and the largest + 1 are refused and counted;
 * - the class spacing: classes_per_doubling classes per power of two above
 *   align * classes_per_doubling, and the waste bound of every size;
 * - the measured fragmentation of a known sequence of sizes;
 * - free by pointer for every class; foreign pointers refused and counted
 *   with the set intact; bulk; invalid parameters; destroy while busy;
 * - one kthread per online CPU allocating and freeing mixed sizes, and
 *   freeing blocks the others allocated.
 *
 * The sets of a case are recorded in kt_sets (cases run one at a time)
 * with the blocks the case holds, so that the exit hook frees them and
 * destroys the sets even when an assertion ends the case early.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/numa.h>
#include <linux/ptr_ring.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kpool_set.h"
#include "kpool_test.h"

#define KT_MAX_SETS		3
#define KT_SET_SLOTS		256
#define KT_SET_SEQ_LEN		500
#define KT_SET_BULK		16
#define KT_SET_CONC_ITERS	2000
#define KT_SET_CONC_BATCH	8
#define KT_SET_CONC_MAX		4096
#define KT_SET_CONC_RING	64
#define KT_SET_CONC_TIMEOUT	(120 * HZ)

/**
 * struct kt_set - a set owned by the case
 * @set: the set; NULL once the case destroyed it itself.
 * @blocks: blocks the case holds; the exit hook frees every non-NULL slot.
 */
struct kt_set {
	struct kpool_set *set;
	void *blocks[KT_SET_SLOTS];
};

static struct {
	struct kt_set sets[KT_MAX_SETS];
	unsigned int nr;
} kt_sets;

/* Free the blocks held in @ks's slots. Return: the first error. */
static int kt_set_release(struct kt_set *ks)
{
	int err = kpool_set_free_bulk(ks->set, KT_SET_SLOTS, ks->blocks);

	memset(ks->blocks, 0, sizeof(ks->blocks));
	return err;
}

static int kt_set_init(struct kunit *test)
{
	memset(&kt_sets, 0, sizeof(kt_sets));
	return kt_init(test);
}

static void kt_set_exit(struct kunit *test)
{
	struct kt_set *ks;
	unsigned int i;

	for (i = 0; i < kt_sets.nr; i++) {
		ks = &kt_sets.sets[i];
		if (!ks->set)
			continue;
		KUNIT_EXPECT_EQ(test, kt_set_release(ks), 0);
		KUNIT_EXPECT_EQ_MSG(test, kpool_set_destroy(ks->set), 0,
				    "set left behind by the case");
	}
	kt_exit(test);
}

static void kt_set_params_init(struct kpool_set_params *p, const char *name,
			       size_t min_size, size_t max_size)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->min_size = min_size;
	p->max_size = max_size;
	p->node = NUMA_NO_NODE;
}

static struct kt_set *kt_set_create(struct kunit *test,
				    const struct kpool_set_params *p)
{
	struct kt_set *ks;
	struct kpool_set *set;

	KUNIT_ASSERT_LT(test, kt_sets.nr, KT_MAX_SETS);
	set = kpool_set_create(p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	ks = &kt_sets.sets[kt_sets.nr++];
	ks->set = set;
	return ks;
}

/* Return: the error kpool_set_create() gave (0 if it wrongly succeeded). */
static int kt_set_create_errno(const struct kpool_set_params *p)
{
	struct kpool_set *set = kpool_set_create(p);

	if (IS_ERR(set))
		return PTR_ERR(set);
	kpool_set_destroy(set);
	return 0;
}

static void kt_set_stats(struct kt_set *ks, struct kpool_set_stats *st)
{
	memset(st, 0, sizeof(*st));
	kpool_set_get_stats(ks->set, st);
}

/* The smallest class of at least @size bytes, by a linear search. */
static size_t kt_set_fitting_class(struct kpool_set *set, size_t size)
{
	unsigned int i;

	for (i = 0; i < kpool_set_nr_classes(set); i++)
		if (kpool_set_class_size(set, i) >= size)
			return kpool_set_class_size(set, i);
	return 0;
}

/* The index of the class of a @size-byte request; aborts if none. */
static unsigned int kt_set_class_index(struct kunit *test,
				       struct kpool_set *set, size_t size)
{
	unsigned int nr = kpool_set_nr_classes(set), i;

	for (i = 0; i < nr; i++)
		if (kpool_set_class_size(set, i) >= size)
			break;
	KUNIT_ASSERT_LT_MSG(test, i, nr, "no class of %zu bytes", size);
	return i;
}

/**
 * struct kt_layout - a class layout under test
 * @desc: its name.
 * @min_size: kpool_set_params.min_size.
 * @max_size: kpool_set_params.max_size.
 * @align: kpool_set_params.align (0: the default).
 * @spacing: kpool_set_params.classes_per_doubling (0: the default).
 */
struct kt_layout {
	const char *desc;
	size_t min_size;
	size_t max_size;
	size_t align;
	unsigned int spacing;
};

static const struct kt_layout kt_layouts[] = {
	{ "defaults 1-4096", 1, 4096, 0, 0 },
	{ "align 16, 4/doubling, 1-8192", 1, 8192, 16, 4 },
	{ "align 64, 2/doubling, 100-3000", 100, 3000, 64, 2 },
	{ "1/doubling, 8-2048", 8, 2048, 8, 1 },
	{ "16/doubling, 1-1000", 1, 1000, 8, 16 },
	{ "one class 20-24", 20, 24, 0, 0 },
	{ "page align, 1-3 pages", 1, 3 * PAGE_SIZE, PAGE_SIZE, 0 },
};

static void kt_layout_desc(const struct kt_layout *l, char *desc)
{
	strscpy(desc, l->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_layout, kt_layouts, kt_layout_desc);

static size_t kt_align(const struct kt_layout *l)
{
	return l->align ? l->align : KPOOL_SET_DEFAULT_ALIGN;
}

static unsigned int kt_spacing(const struct kt_layout *l)
{
	return l->spacing ? l->spacing : KPOOL_SET_DEFAULT_SPACING;
}

static struct kt_set *kt_layout_create(struct kunit *test)
{
	const struct kt_layout *l = test->param_value;
	struct kpool_set_params p;

	kt_set_params_init(&p, kt_unique_name(test, "set"), l->min_size,
			   l->max_size);
	p.align = l->align;
	p.classes_per_doubling = l->spacing;
	return kt_set_create(test, &p);
}

/* Sizes and spacing of the classes, as kpool_set.h describes them. */
static void kt_set_layout(struct kunit *test)
{
	const struct kt_layout *l = test->param_value;
	size_t align = kt_align(l), k = kt_spacing(l), size, prev = 0, p2;
	struct kt_set *ks = kt_layout_create(test);
	unsigned int nr = kpool_set_nr_classes(ks->set), i, in_doubling;
	struct kpool_set_stats st;

	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.nr_classes, nr);
	KUNIT_EXPECT_EQ(test, st.min_size, round_up(l->min_size, align));
	KUNIT_EXPECT_EQ(test, st.max_size, round_up(l->max_size, align));
	KUNIT_EXPECT_EQ(test, st.align, align);
	KUNIT_EXPECT_EQ(test, st.classes_per_doubling, k);
	KUNIT_EXPECT_EQ(test, kpool_set_class_size(ks->set, 0), st.min_size);
	KUNIT_EXPECT_EQ(test, kpool_set_class_size(ks->set, nr - 1),
			st.max_size);
	KUNIT_EXPECT_EQ(test, kpool_set_class_size(ks->set, nr), 0);
	KUNIT_EXPECT_NULL(test, kpool_set_class_pool(ks->set, nr));

	for (i = 0; i < nr; i++) {
		size = kpool_set_class_size(ks->set, i);
		KUNIT_EXPECT_GT(test, size, prev);
		KUNIT_EXPECT_EQ(test, size % align, 0);
		KUNIT_EXPECT_EQ(test, kpool_block_size(kpool_set_class_pool(ks->set, i)),
				size);
		prev = size;
	}

	/* every whole doubling (p2, 2 * p2] above align * k holds k classes */
	for (p2 = align * k; 2 * p2 <= st.max_size; p2 *= 2) {
		if (p2 < st.min_size)
			continue;
		in_doubling = 0;
		for (i = 0; i < nr; i++) {
			size = kpool_set_class_size(ks->set, i);
			in_doubling += size > p2 && size <= 2 * p2;
		}
		KUNIT_EXPECT_EQ_MSG(test, in_doubling, k, "in (%zu, %zu]", p2,
				    2 * p2);
	}
}

/*
 * Every size from 1 to the largest gets the smallest class that fits, a
 * block of that class, usable for size bytes and aligned; 0 and the
 * largest + 1 are refused and counted.
 */
static void kt_set_boundaries(struct kunit *test)
{
	const struct kt_layout *l = test->param_value;
	struct kt_set *ks = kt_layout_create(test);
	size_t align = kt_align(l), size, class, max;
	struct kpool_set_stats st;
	unsigned int wrong = 0;
	void *p;

	kt_set_stats(ks, &st);
	max = st.max_size;
	for (size = 1; size <= max; size++) {
		class = kt_set_fitting_class(ks->set, size);
		p = kpool_set_alloc(ks->set, size, GFP_KERNEL);
		if (!p) {
			KUNIT_FAIL(test, "no block for %zu bytes", size);
			break;
		}
		/* KASAN checks that the block holds size bytes */
		memset(p, 0xa5, size);
		if (kpool_set_block_size(ks->set, p) != class ||
		    !IS_ALIGNED((unsigned long)p, align))
			wrong++;
		KUNIT_EXPECT_EQ(test, kpool_set_free(ks->set, p), 0);
	}
	KUNIT_EXPECT_EQ(test, wrong, 0);

	KUNIT_EXPECT_NULL(test, kpool_set_alloc(ks->set, 0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kpool_set_alloc(ks->set, max + 1, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kpool_set_alloc(ks->set, SIZE_MAX, GFP_ATOMIC));
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.allocs, max);
	KUNIT_EXPECT_EQ(test, st.frees, max);
	KUNIT_EXPECT_EQ(test, st.too_large, 3);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 3);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, (u64)max * (max + 1) / 2);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.err_foreign, 0);
}

/*
 * The waste of every size (class - size) is below class / (k + 1) above
 * align * k, and below align under it: sizes from min_size up (smaller
 * ones all use the first class).
 */
static void kt_set_waste_bound(struct kunit *test)
{
	const struct kt_layout *l = test->param_value;
	size_t align = kt_align(l), k = kt_spacing(l), size, class;
	struct kt_set *ks = kt_layout_create(test);
	struct kpool_set_stats st;
	unsigned int over = 0;

	kt_set_stats(ks, &st);
	for (size = l->min_size; size <= st.max_size; size++) {
		class = kt_set_fitting_class(ks->set, size);
		if (size > align * k ? (class - size) * (k + 1) >= class :
				       class - size >= align) {
			if (!over++)
				KUNIT_FAIL(test, "%zu bytes: class %zu wastes too much",
					   size, class);
		}
	}
	KUNIT_EXPECT_EQ(test, over, 0);
}

/*
 * The set's counters for a known sequence of sizes equal what the class
 * list predicts: allocations and bytes asked for per class, block bytes,
 * and so the measured fragmentation 1 - requested / block bytes.
 */
static void kt_set_measured_fragmentation(struct kunit *test)
{
	struct kpool_set_params p;
	u64 requested = 0, blocks = 0, *cls_allocs, *cls_requested;
	struct kpool_set_class_stats cs;
	struct kpool_set_stats st;
	unsigned int i, c, nr;
	struct kt_set *ks;
	size_t size;

	kt_set_params_init(&p, kt_unique_name(test, "frag"), 1, 4096);
	ks = kt_set_create(test, &p);
	nr = kpool_set_nr_classes(ks->set);
	cls_allocs = kunit_kcalloc(test, nr, sizeof(u64), GFP_KERNEL);
	cls_requested = kunit_kcalloc(test, nr, sizeof(u64), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cls_allocs);
	KUNIT_ASSERT_NOT_NULL(test, cls_requested);

	for (i = 0; i < KT_SET_SEQ_LEN; i++) {
		size = 1 + (i * 2654435761u) % 4096;
		for (c = 0; kpool_set_class_size(ks->set, c) < size; c++)
			;
		cls_allocs[c]++;
		cls_requested[c] += size;
		requested += size;
		blocks += kpool_set_class_size(ks->set, c);
		ks->blocks[i % KT_SET_SLOTS] = kpool_set_alloc(ks->set, size,
							       GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ks->blocks[i % KT_SET_SLOTS]);
		if (i % KT_SET_SLOTS == KT_SET_SLOTS - 1)
			KUNIT_ASSERT_EQ(test, kt_set_release(ks), 0);
	}
	for (c = 0; c < nr; c++) {
		KUNIT_ASSERT_EQ(test, kpool_set_get_class_stats(ks->set, c, &cs),
				0);
		KUNIT_EXPECT_EQ(test, cs.block_size,
				kpool_set_class_size(ks->set, c));
		KUNIT_EXPECT_EQ(test, cs.allocs, cls_allocs[c]);
		KUNIT_EXPECT_EQ(test, cs.requested_bytes, cls_requested[c]);
		KUNIT_EXPECT_EQ(test, cs.pool.allocs, cls_allocs[c]);
	}
	KUNIT_EXPECT_EQ(test, kpool_set_get_class_stats(ks->set, nr, &cs),
			-EINVAL);
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.allocs, KT_SET_SEQ_LEN);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, requested);
	KUNIT_EXPECT_EQ(test, st.block_bytes, blocks);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, KT_SET_SEQ_LEN % KT_SET_SLOTS);
	/* with 8 classes per doubling, less than 1/9 of a block is waste */
	KUNIT_EXPECT_LT(test, (st.block_bytes - st.requested_bytes) * 9,
			st.block_bytes);
	kunit_info(test, "measured fragmentation: %llu of %llu block bytes not asked for\n",
		   st.block_bytes - st.requested_bytes, st.block_bytes);
}

/* One block of each class, freed by pointer alone in reverse order. */
static void kt_set_free_every_class(struct kunit *test)
{
	struct kpool_set_class_stats cs;
	struct kpool_set_params p;
	struct kpool_set_stats st;
	unsigned int nr, i;
	struct kt_set *ks;
	size_t size;

	kt_set_params_init(&p, kt_unique_name(test, "each"), 1, 16384);
	ks = kt_set_create(test, &p);
	nr = kpool_set_nr_classes(ks->set);
	KUNIT_ASSERT_LE(test, nr, KT_SET_SLOTS);
	for (i = 0; i < nr; i++) {
		size = kpool_set_class_size(ks->set, i);
		ks->blocks[i] = kpool_set_alloc(ks->set, size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ks->blocks[i]);
		kt_fill(ks->blocks[i], size, i);
	}
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, nr);
	KUNIT_EXPECT_EQ(test, st.bytes_in_use, st.block_bytes);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, st.block_bytes);
	KUNIT_EXPECT_GT(test, st.pages, 0);
	while (i--) {
		size = kpool_set_class_size(ks->set, i);
		KUNIT_EXPECT_EQ(test, kt_check(ks->blocks[i], size, i), -1);
		KUNIT_EXPECT_EQ(test, kpool_set_block_size(ks->set, ks->blocks[i]),
				size);
		KUNIT_EXPECT_EQ(test, kpool_set_free(ks->set, ks->blocks[i]), 0);
		ks->blocks[i] = NULL;
		KUNIT_ASSERT_EQ(test, kpool_set_get_class_stats(ks->set, i, &cs),
				0);
		KUNIT_EXPECT_EQ(test, cs.pool.blocks_in_use, 0);
		KUNIT_EXPECT_EQ(test, cs.pool.frees, 1);
	}
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.frees, nr);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.bytes_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.err_foreign, 0);
}

/* The set still works: its held block frees, a new one comes and goes. */
static void kt_set_expect_intact(struct kunit *test, struct kt_set *ks,
				 void **held, u64 foreign)
{
	struct kpool_set_stats st;
	void *p;

	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.err_foreign, foreign);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 1);
	KUNIT_EXPECT_EQ(test, kpool_set_free(ks->set, *held), 0);
	*held = NULL;
	p = kpool_set_alloc(ks->set, 100, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, kpool_set_free(ks->set, p), 0);
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.allocs, st.frees);
}

/*
 * Frees of what is not a block of the set are refused and counted, the
 * set untouched: a block of a plain pool, of another set, kmalloc memory,
 * a stack address; a pointer inside a block and a double free are refused
 * by the class pool; NULL is a no-op.
 */
static void kt_set_foreign(struct kunit *test)
{
	struct kpool_set_params p;
	struct kpool_params pp;
	struct kpool_stats ps;
	struct kt_set *a, *b;
	struct kt_pool *kp;
	struct kpool *cls;
	int on_stack = 0;
	void *km;

	kt_set_params_init(&p, kt_unique_name(test, "fa"), 1, 1024);
	a = kt_set_create(test, &p);
	kt_set_params_init(&p, kt_unique_name(test, "fb"), 1, 1024);
	b = kt_set_create(test, &p);
	kt_params_init(&pp, kt_unique_name(test, "fpool"), 64);
	kp = kt_create(test, &pp, 1);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 1, GFP_KERNEL), 1);
	a->blocks[0] = kpool_set_alloc(a->set, 64, GFP_KERNEL);
	b->blocks[0] = kpool_set_alloc(b->set, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a->blocks[0]);
	KUNIT_ASSERT_NOT_NULL(test, b->blocks[0]);
	km = kunit_kmalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);

	KUNIT_EXPECT_EQ(test, kpool_set_free(a->set, kp->blocks[0]), -EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_set_free(a->set, b->blocks[0]), -EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_set_free(a->set, km), -EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_set_free(a->set, &on_stack), -EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_set_free(a->set, NULL), 0);
	KUNIT_EXPECT_EQ(test, kpool_set_block_size(a->set, km), 0);
	KUNIT_EXPECT_EQ(test, kpool_set_block_size(a->set, b->blocks[0]), 0);

	/* inside a block: the set's own memory, refused by its class pool */
	KUNIT_ASSERT_EQ(test, kpool_set_block_size(a->set, a->blocks[0]), 64);
	KUNIT_EXPECT_EQ(test, kpool_set_block_size(a->set, a->blocks[0] + 8),
			64);
	KUNIT_EXPECT_EQ(test, kpool_set_free(a->set, a->blocks[0] + 8),
			-EINVAL);
	cls = kpool_set_class_pool(a->set, kt_set_class_index(test, a->set, 64));
	kpool_get_stats(cls, &ps);
	KUNIT_EXPECT_EQ(test, ps.err_misaligned, 1);
	KUNIT_EXPECT_EQ(test, ps.err_foreign + ps.err_double_free, 0);

	kt_set_expect_intact(test, a, &a->blocks[0], 4);
	kt_set_expect_intact(test, b, &b->blocks[0], 0);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 1), 0);
}

/* A free of a block already freed is refused by its class pool. */
static void kt_set_double_free(struct kunit *test)
{
	struct kpool_set_params p;
	struct kpool_set_stats st;
	struct kpool_stats ps;
	struct kt_set *ks;
	void *block;

	kt_set_params_init(&p, kt_unique_name(test, "dfree"), 1, 512);
	ks = kt_set_create(test, &p);
	block = kpool_set_alloc(ks->set, 200, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, block);
	KUNIT_EXPECT_EQ(test, kpool_set_free(ks->set, block), 0);
	KUNIT_EXPECT_EQ(test, kpool_set_free(ks->set, block), -EALREADY);
	kpool_get_stats(kpool_set_class_pool(ks->set,
					     kt_set_class_index(test, ks->set,
								200)),
			&ps);
	KUNIT_EXPECT_EQ(test, ps.err_double_free, 1);
	KUNIT_EXPECT_EQ(test, ps.blocks_in_use, 0);
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.frees, 1);
	KUNIT_EXPECT_EQ(test, st.err_foreign, 0);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
}

/*
 * Bulk: one class for all, all or nothing at a cap, a mixed free_bulk
 * with NULL entries, a bad size, a bad entry amid good ones.
 */
static void kt_set_bulk(struct kunit *test)
{
	void **v, **w, **mixed, *held[4];
	struct kpool_set_params p;
	struct kpool_set_stats st;
	struct kt_set *ks;
	unsigned int i;
	int on_stack;

	kt_set_params_init(&p, kt_unique_name(test, "bulk"), 1, 2048);
	p.max_blocks = KT_SET_BULK;
	ks = kt_set_create(test, &p);
	v = ks->blocks;
	w = ks->blocks + KT_SET_BULK;
	mixed = ks->blocks + 2 * KT_SET_BULK;

	KUNIT_ASSERT_EQ(test, kpool_set_alloc_bulk(ks->set, 100, GFP_KERNEL,
						   KT_SET_BULK, v), 0);
	KUNIT_ASSERT_EQ(test, kpool_set_alloc_bulk(ks->set, 1500, GFP_KERNEL,
						   KT_SET_BULK, w), 0);
	for (i = 0; i < KT_SET_BULK; i++) {
		KUNIT_EXPECT_EQ(test, kpool_set_block_size(ks->set, v[i]),
				kt_set_fitting_class(ks->set, 100));
		KUNIT_EXPECT_EQ(test, kpool_set_block_size(ks->set, w[i]),
				kt_set_fitting_class(ks->set, 1500));
	}
	/* the 100-byte class is at its cap: all or nothing */
	KUNIT_EXPECT_EQ(test, kpool_set_alloc_bulk(ks->set, 97, GFP_KERNEL, 1,
						   held), -ENOMEM);
	KUNIT_EXPECT_EQ(test, kpool_set_alloc_bulk(ks->set, 0, GFP_KERNEL, 1,
						   held), -EINVAL);
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 2 * KT_SET_BULK);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 2);
	KUNIT_EXPECT_EQ(test, st.too_large, 1);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, KT_SET_BULK * (100 + 1500));

	/* half of each, interleaved, with NULL gaps, freed in one call */
	for (i = 0; i < KT_SET_BULK; i++) {
		mixed[3 * i] = i % 2 ? v[i] : w[i];
		mixed[3 * i + 1] = NULL;
		mixed[3 * i + 2] = i % 2 ? w[i] : v[i];
		v[i] = NULL;
		w[i] = NULL;
	}
	KUNIT_EXPECT_EQ(test, kpool_set_free_bulk(ks->set, 3 * KT_SET_BULK,
						  mixed), 0);
	memset(mixed, 0, 3 * KT_SET_BULK * sizeof(*mixed));
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.frees, 2 * KT_SET_BULK);

	/* 4 held in the 64-byte class: 13 more would pass its cap of 16 */
	KUNIT_ASSERT_EQ(test, kpool_set_alloc_bulk(ks->set, 64, GFP_KERNEL, 4,
						   held), 0);
	KUNIT_EXPECT_EQ(test, kpool_set_alloc_bulk(ks->set, 60, GFP_KERNEL,
						   KT_SET_BULK - 3, v), -ENOMEM);
	for (i = 0; i < KT_SET_BULK - 3; i++)
		KUNIT_EXPECT_NULL(test, v[i]);
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 4);

	/* a bad entry amid good ones: refused, the others freed */
	v[0] = held[1];
	held[1] = &on_stack;
	KUNIT_EXPECT_EQ(test, kpool_set_free_bulk(ks->set, 4, held), -EINVAL);
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 1);
	KUNIT_EXPECT_EQ(test, st.err_foreign, 1);
	KUNIT_EXPECT_EQ(test, kpool_set_free(ks->set, v[0]), 0);
	v[0] = NULL;
}

/**
 * struct kt_bad_set - parameters kpool_set_create() must refuse
 * @desc: what is wrong.
 * @change: makes valid parameters wrong.
 * @err: the documented errno.
 */
struct kt_bad_set {
	const char *desc;
	void (*change)(struct kpool_set_params *p);
	int err;
};

static void kt_no_name(struct kpool_set_params *p)
{
	p->name = NULL;
}

static void kt_empty_name(struct kpool_set_params *p)
{
	p->name = "";
}

static void kt_long_name(struct kpool_set_params *p)
{
	static char name[KPOOL_SET_NAME_LEN + 1];

	memset(name, 'l', KPOOL_SET_NAME_LEN);
	p->name = name;
}

static void kt_bad_char(struct kpool_set_params *p)
{
	p->name = "a/b";
}

static void kt_min_zero(struct kpool_set_params *p)
{
	p->min_size = 0;
}

static void kt_max_below_min(struct kpool_set_params *p)
{
	p->max_size = 8;
}

static void kt_max_too_big(struct kpool_set_params *p)
{
	p->max_size = KPOOL_SET_MAX_SIZE + 1;
}

static void kt_align_small(struct kpool_set_params *p)
{
	p->align = 4;
}

static void kt_align_odd(struct kpool_set_params *p)
{
	p->align = 24;
}

static void kt_align_big(struct kpool_set_params *p)
{
	p->align = 2 * PAGE_SIZE;
}

static void kt_spacing_odd(struct kpool_set_params *p)
{
	p->classes_per_doubling = 3;
}

static void kt_spacing_big(struct kpool_set_params *p)
{
	p->classes_per_doubling = 2 * KPOOL_SET_MAX_SPACING;
}

static void kt_too_many(struct kpool_set_params *p)
{
	p->min_size = 1;
	p->max_size = KPOOL_SET_MAX_SIZE;
	p->classes_per_doubling = KPOOL_SET_MAX_SPACING;
}

static void kt_bad_flags(struct kpool_set_params *p)
{
	p->flags = 0x80;
}

static void kt_bad_reserve(struct kpool_set_params *p)
{
	p->min_blocks = 9;
	p->max_blocks = 8;
}

static const struct kt_bad_set kt_bad_sets[] = {
	{ "no name", kt_no_name, -EINVAL },
	{ "empty name", kt_empty_name, -EINVAL },
	{ "name too long", kt_long_name, -EINVAL },
	{ "bad name character", kt_bad_char, -EINVAL },
	{ "min_size 0", kt_min_zero, -EINVAL },
	{ "max_size below min_size", kt_max_below_min, -EINVAL },
	{ "max_size too big", kt_max_too_big, -EINVAL },
	{ "align below the minimum", kt_align_small, -EINVAL },
	{ "align not a power of two", kt_align_odd, -EINVAL },
	{ "align above a page", kt_align_big, -EINVAL },
	{ "spacing not a power of two", kt_spacing_odd, -EINVAL },
	{ "spacing too big", kt_spacing_big, -EINVAL },
	{ "too many classes", kt_too_many, -E2BIG },
	{ "unknown flag", kt_bad_flags, -EINVAL },
	{ "reserve above cap", kt_bad_reserve, -EINVAL },
};

static void kt_bad_set_desc(const struct kt_bad_set *b, char *desc)
{
	strscpy(desc, b->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_bad_set, kt_bad_sets, kt_bad_set_desc);

/* Each bad parameter gets its errno and leaves no pool behind. */
static void kt_set_bad_params(struct kunit *test)
{
	const struct kt_bad_set *bad = test->param_value;
	int pools = kt_count_pools();
	struct kpool_set_params p;

	kt_set_params_init(&p, kt_unique_name(test, "bad"), 16, 64);
	KUNIT_ASSERT_EQ(test, kt_set_create_errno(&p), 0);
	KUNIT_ASSERT_EQ(test, kt_count_pools(), pools);
	bad->change(&p);
	KUNIT_EXPECT_EQ(test, kt_set_create_errno(&p), bad->err);
	KUNIT_EXPECT_EQ(test, kt_count_pools(), pools);
}

/*
 * Limits that are valid: the longest name, the largest max_size; names are
 * unique among the sets of one owner, and a pool named like a class pool
 * does not collide with it (the class pools have owners of their own).
 */
static void kt_set_limits(struct kunit *test)
{
	char name[KPOOL_SET_NAME_LEN], pool_name[KPOOL_NAME_LEN];
	int pools = kt_count_pools();
	struct kpool_set_params p;
	struct kpool_params pp;
	struct kt_set *ks;
	unsigned int nr;

	KUNIT_EXPECT_EQ(test, PTR_ERR(kpool_set_create(NULL)), -EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_set_destroy(NULL), 0);

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	kt_set_params_init(&p, name, 1, KPOOL_SET_MAX_SIZE);
	ks = kt_set_create(test, &p);
	nr = kpool_set_nr_classes(ks->set);
	KUNIT_EXPECT_STREQ(test, kpool_set_name(ks->set), name);
	KUNIT_EXPECT_NULL(test, kpool_set_owner(ks->set));
	KUNIT_EXPECT_EQ(test, kpool_set_class_size(ks->set, nr - 1),
			KPOOL_SET_MAX_SIZE);
	snprintf(pool_name, sizeof(pool_name), "%s-%d", name,
		 KPOOL_SET_MAX_SIZE);
	KUNIT_EXPECT_STREQ(test,
			   kpool_name(kpool_set_class_pool(ks->set, nr - 1)),
			   pool_name);
	KUNIT_EXPECT_EQ(test, kt_count_pools(), pools + nr);
	KUNIT_EXPECT_EQ(test, kt_set_create_errno(&p), -EEXIST);
	KUNIT_EXPECT_EQ(test, kt_count_pools(), pools + nr);

	/* a module's pool named like the set's third class: no collision */
	kt_set_params_init(&p, kt_unique_name(test, "taken"), 1, 64);
	snprintf(pool_name, sizeof(pool_name), "%s-24", p.name);
	kt_params_init(&pp, pool_name, 24);
	kt_create(test, &pp, 0);
	KUNIT_EXPECT_EQ(test, kt_set_create_errno(&p), 0);
	KUNIT_EXPECT_EQ(test, kt_count_pools(), pools + nr + 1);
}

/*
 * Set names are unique per owner: another owner's set of the same name is
 * built (its own class pools and debugfs directory), the same owner's is
 * -EEXIST; a set made with __GFP_ACCOUNT reports its tables' size.
 */
static void kt_set_owner_names(struct kunit *test)
{
	static char owner_a, owner_b;
	const void *owner = NULL;
	struct kpool_set_params p;
	struct kt_set *a, *b, *k;
	int pools = kt_count_pools();

	kt_set_params_init(&p, kt_unique_name(test, "own"), 1, 256);
	p.owner = &owner_a;
	p.gfp = __GFP_ACCOUNT;
	a = kt_set_create(test, &p);
	KUNIT_EXPECT_EQ(test, kt_set_create_errno(&p), -EEXIST);
	p.owner = &owner_b;
	b = kt_set_create(test, &p);
	p.owner = NULL;
	k = kt_set_create(test, &p);
	KUNIT_EXPECT_EQ(test, kt_count_pools(),
			pools + 3 * kpool_set_nr_classes(a->set));
	KUNIT_EXPECT_PTR_EQ(test, kpool_set_owner(b->set), (const void *)&owner_b);
	KUNIT_EXPECT_GT(test, kpool_set_meta_bytes(a->set),
			kpool_set_nr_classes(a->set) * sizeof(void *));

	/* the owner behind a class pool's cookie */
	KUNIT_EXPECT_TRUE(test,
			  kpool_set_cookie_owner(kpool_owner(kpool_set_class_pool(a->set, 0)),
						 &owner));
	KUNIT_EXPECT_PTR_EQ(test, owner, (const void *)&owner_a);
	KUNIT_EXPECT_TRUE(test,
			  kpool_set_cookie_owner(kpool_owner(kpool_set_class_pool(k->set, 1)),
						 &owner));
	KUNIT_EXPECT_NULL(test, owner);
	KUNIT_EXPECT_FALSE(test, kpool_set_cookie_owner(&owner_a, &owner));
}

/*
 * kpool_set_free_sized() frees by the size's class without a lookup; a
 * block of another class or a size no class serves is refused, counted
 * and nothing is freed.
 */
static void kt_set_free_sized(struct kunit *test)
{
	struct kpool_set_params p;
	struct kpool_set_stats st;
	struct kt_set *ks;
	void *small, *big;

	kt_set_params_init(&p, kt_unique_name(test, "sized"), 1, 1024);
	ks = kt_set_create(test, &p);
	small = kpool_set_alloc(ks->set, 30, GFP_KERNEL);
	big = kpool_set_alloc(ks->set, 1000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, big);

	KUNIT_EXPECT_EQ(test, kpool_set_free_sized(ks->set, big, 30), -EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_set_free_sized(ks->set, small, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_set_free_sized(ks->set, small, 1025),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kpool_set_free_sized(ks->set, NULL, 30), 0);
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 2);
	KUNIT_EXPECT_EQ(test, st.err_foreign, 3);

	/* the request's size, or any size of the same class */
	KUNIT_EXPECT_EQ(test, kpool_set_free_sized(ks->set, small, 30), 0);
	KUNIT_EXPECT_EQ(test, kpool_set_free_sized(ks->set, small, 30),
			-EALREADY);
	KUNIT_EXPECT_EQ(test,
			kpool_set_free_sized(ks->set, big,
					     kpool_set_block_size(ks->set, big)),
			0);
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.frees, 2);
}

/* Destroy refuses while any class has a block out, the set intact. */
static void kt_set_destroy_busy(struct kunit *test)
{
	struct kpool_set_params p;
	struct kpool_set_stats st;
	int pools = kt_count_pools();
	struct kt_set *ks;

	kt_set_params_init(&p, kt_unique_name(test, "busy"), 1, 4096);
	ks = kt_set_create(test, &p);
	ks->blocks[0] = kpool_set_alloc(ks->set, 3000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ks->blocks[0]);
	KUNIT_EXPECT_EQ(test, kpool_set_destroy(ks->set), -EBUSY);
	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 1);
	KUNIT_EXPECT_EQ(test, kt_count_pools(),
			pools + kpool_set_nr_classes(ks->set));
	ks->blocks[1] = kpool_set_alloc(ks->set, 10, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, ks->blocks[1]);
	KUNIT_EXPECT_EQ(test, kpool_set_free(ks->set, ks->blocks[0]), 0);
	ks->blocks[0] = NULL;
	KUNIT_EXPECT_EQ(test, kpool_set_destroy(ks->set), -EBUSY);
	KUNIT_EXPECT_EQ(test, kpool_set_free(ks->set, ks->blocks[1]), 0);
	ks->blocks[1] = NULL;
	KUNIT_ASSERT_EQ(test, kpool_set_destroy(ks->set), 0);
	ks->set = NULL;
	KUNIT_EXPECT_EQ(test, kt_count_pools(), pools);
}

/*
 * Concurrency: every online CPU allocates and frees mixed sizes; the last
 * block of each batch goes into a ring shared by all workers, and each
 * worker frees one block from the ring per batch, mostly another CPU's.
 */

/**
 * struct kt_set_worker - one thread of the concurrency case
 * @set: the set.
 * @ring: blocks handed over between workers (ptr_ring's own locks).
 * @id: its number, part of every pattern it writes.
 * @iterations: loop iterations completed.
 * @allocs: blocks it allocated.
 * @requested: bytes it asked for.
 * @handed: blocks it put into @ring.
 * @errors: pattern mismatches, wrong classes, refused frees, NULLs.
 * @task: the thread.
 * @done: completed when its work is over.
 */
struct kt_set_worker {
	struct kpool_set *set;
	struct ptr_ring *ring;
	unsigned int id;
	unsigned int iterations;
	u64 allocs;
	u64 requested;
	u64 handed;
	unsigned int errors;
	struct task_struct *task;
	struct completion done;
};

/* Sizes of a worker: small-heavy, every class of 1..KT_SET_CONC_MAX. */
static size_t kt_set_worker_size(u32 *state)
{
	*state = *state * 1664525u + 1013904223u;
	if ((*state >> 24) % 4)
		return 1 + (*state >> 8) % 256;
	return 1 + (*state >> 8) % KT_SET_CONC_MAX;
}

static void kt_set_worker_batch(struct kt_set_worker *w, u32 *state,
				unsigned int n, u32 seed)
{
	size_t sizes[KT_SET_CONC_BATCH];
	void *held[KT_SET_CONC_BATCH];
	unsigned int got, i;

	for (got = 0; got < n; got++) {
		sizes[got] = kt_set_worker_size(state);
		held[got] = kpool_set_alloc(w->set, sizes[got], GFP_KERNEL);
		if (!held[got]) {
			w->errors++;
			break;
		}
		if (kpool_set_block_size(w->set, held[got]) < sizes[got])
			w->errors++;
		kt_fill(held[got], sizes[got], seed + got);
		w->allocs++;
		w->requested += sizes[got];
	}
	for (i = 0; i < got; i++)
		if (kt_check(held[i], sizes[i], seed + i) != -1)
			w->errors++;
	if (got && !ptr_ring_produce(w->ring, held[got - 1])) {
		got--;
		w->handed++;
	}
	if (kpool_set_free_bulk(w->set, got, held))
		w->errors++;
	if (kpool_set_free(w->set, ptr_ring_consume(w->ring)))
		w->errors++;
}

static int kt_set_worker_thread(void *data)
{
	struct kt_set_worker *w = data;
	u32 state = w->id + 1;
	unsigned int iter;

	allow_signal(SIGKILL);
	for (iter = 0; iter < KT_SET_CONC_ITERS; iter++) {
		if (fatal_signal_pending(current))
			break;
		kt_set_worker_batch(w, &state, 1 + iter % KT_SET_CONC_BATCH,
				    w->id << 24 | iter << 4);
		cond_resched();
	}
	w->iterations = iter;
	complete_all(&w->done);
	return 0;
}

static void kt_set_concurrency(struct kunit *test)
{
	u64 allocs = 0, requested = 0, class_allocs = 0, handed = 0;
	unsigned int nr = 0, i, c, cpu, errors = 0;
	struct ptr_ring ring;
	struct kpool_set_class_stats cs;
	struct kt_set_worker *workers;
	struct kpool_set_params p;
	struct kpool_set_stats st;
	bool in_time = true;
	struct kt_set *ks;

	workers = kunit_kcalloc(test, nr_cpu_ids, sizeof(*workers),
				GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, workers);
	kt_set_params_init(&p, kt_unique_name(test, "conc"), 1,
			   KT_SET_CONC_MAX);
	ks = kt_set_create(test, &p);
	KUNIT_ASSERT_EQ(test, ptr_ring_init(&ring, KT_SET_CONC_RING,
					    GFP_KERNEL), 0);

	/* From here on nothing aborts the case until the ring is gone. */
	for_each_online_cpu(cpu) {
		struct kt_set_worker *w = &workers[nr];

		w->set = ks->set;
		w->ring = &ring;
		w->id = nr;
		init_completion(&w->done);
		w->task = kt_start_on_cpu(kt_set_worker_thread, w, cpu,
					  "kpool_kt_set/%u");
		if (IS_ERR(w->task))
			break;
		nr++;
	}
	for (i = 0; i < nr; i++) {
		in_time &= kt_stop(workers[i].task, &workers[i].done,
				   KT_SET_CONC_TIMEOUT);
		allocs += workers[i].allocs;
		requested += workers[i].requested;
		handed += workers[i].handed;
		errors += workers[i].errors;
		KUNIT_EXPECT_EQ(test, workers[i].iterations,
				KT_SET_CONC_ITERS);
	}
	/* the blocks still in the ring */
	while (!ptr_ring_empty(&ring))
		errors += !!kpool_set_free(ks->set, ptr_ring_consume(&ring));
	ptr_ring_cleanup(&ring, NULL);
	KUNIT_EXPECT_EQ(test, nr, num_online_cpus());
	KUNIT_EXPECT_TRUE(test, in_time);
	KUNIT_EXPECT_EQ(test, errors, 0);

	kt_set_stats(ks, &st);
	KUNIT_EXPECT_EQ(test, st.allocs, allocs);
	KUNIT_EXPECT_EQ(test, st.frees, allocs);
	KUNIT_EXPECT_EQ(test, st.requested_bytes, requested);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.bytes_in_use, 0);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 0);
	KUNIT_EXPECT_EQ(test, st.err_foreign, 0);
	for (c = 0; c < st.nr_classes; c++) {
		KUNIT_ASSERT_EQ(test, kpool_set_get_class_stats(ks->set, c, &cs),
				0);
		class_allocs += cs.allocs;
		KUNIT_EXPECT_EQ(test, cs.pool.blocks_in_use, 0);
		KUNIT_EXPECT_EQ(test, cs.pool.allocs, cs.allocs);
		KUNIT_EXPECT_EQ(test, cs.pool.frees, cs.allocs);
		KUNIT_EXPECT_EQ(test, cs.pool.err_double_free +
				cs.pool.err_foreign + cs.pool.err_misaligned, 0);
	}
	KUNIT_EXPECT_EQ(test, class_allocs, allocs);
	KUNIT_EXPECT_GT(test, handed, 0);
	kunit_info(test, "%u threads, %llu blocks of %u classes (%llu handed over), %llu pages\n",
		   nr, allocs, st.nr_classes, handed, st.pages);
}

static struct kunit_case kt_set_cases[] = {
	KUNIT_CASE_PARAM(kt_set_layout, kt_layout_gen_params),
	KUNIT_CASE_PARAM(kt_set_boundaries, kt_layout_gen_params),
	KUNIT_CASE_PARAM(kt_set_waste_bound, kt_layout_gen_params),
	KUNIT_CASE(kt_set_measured_fragmentation),
	KUNIT_CASE(kt_set_free_every_class),
	KUNIT_CASE(kt_set_foreign),
	KUNIT_CASE(kt_set_double_free),
	KUNIT_CASE(kt_set_bulk),
	KUNIT_CASE_PARAM(kt_set_bad_params, kt_bad_set_gen_params),
	KUNIT_CASE(kt_set_limits),
	KUNIT_CASE(kt_set_owner_names),
	KUNIT_CASE(kt_set_free_sized),
	KUNIT_CASE(kt_set_destroy_busy),
	KUNIT_CASE(kt_set_concurrency),
	{}
};

static struct kunit_suite kt_set_suite = {
	.name = "kpool_set",
	.init = kt_set_init,
	.exit = kt_set_exit,
	.test_cases = kt_set_cases,
};

kunit_test_suite(kt_set_suite);
