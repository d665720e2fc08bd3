// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_set - variable-size allocation over size classes of kpool pools.
 *
 * A separate module on top of the exported API of kpool.ko; kpool_set.h
 * describes the design, the class spacing and the limits.
 *
 * Layout
 * ------
 * struct kpool_set holds its classes in a flexible array, each with its
 * class pool and block size, and a lookup table of one u8 class index per
 * granule of align bytes: a request of size bytes is served by class
 * lookup[(size - 1) >> align_shift]. A class pool's owner cookie is the
 * address of its struct kpool_set_class, so kpool_set_free() frees a
 * pointer with kpool_free_owned() over the range of the set's classes: one
 * page lookup finds the pool and proves it one of the set's own, and the
 * pool validates the pointer further (block start, allocated).
 * kpool_set_free_sized() needs no lookup at all: the size names the class.
 *
 * Memory: a set created with __GFP_ACCOUNT in its gfp (a set made for user
 * space) charges its struct, lookup table and per-CPU counters to the
 * caller's memory cgroup too, as its class pools do theirs.
 *
 * Counters
 * --------
 * Per CPU (struct kpool_set_cpu): the set's event counters and, per
 * class, the blocks handed out and the bytes asked for. The fast paths add
 * to them with this_cpu_add(): no lock, no atomic instruction. Readers sum
 * every possible CPU's counters; a sum may lag concurrent operations.
 *
 * Locking
 * -------
 * kpool_set_lock (mutex) guards kpool_set_list, the live sets, so that set
 * names are unique per owner (as pool names are). Sets with an owner get
 * the debugfs directory "<name>@<id>", those of modules "<name>". Everything
 * else of a set is fixed from kpool_set_create() to kpool_set_destroy(),
 * and the class pools do their own locking.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kpool_set.h"

/**
 * struct kpool_set_class - one size class
 * @pool: its pool; the pool's owner cookie is this struct.
 * @size: its block size.
 */
struct kpool_set_class {
	struct kpool *pool;
	size_t size;
};

/**
 * struct kpool_set_class_cpu - one CPU's counters of one class
 * @allocs: blocks handed out.
 * @requested: bytes asked for by those allocations.
 */
struct kpool_set_class_cpu {
	u64 allocs;
	u64 requested;
};

/**
 * struct kpool_set_cpu - one CPU's counters of a set
 * @frees: blocks given back.
 * @alloc_failures: allocations that failed, @too_large included.
 * @too_large: requests of size 0 or above the last class.
 * @err_foreign: frees of pointers that are not blocks of the classes.
 * @classes: each class's counters.
 */
struct kpool_set_cpu {
	u64 frees;
	u64 alloc_failures;
	u64 too_large;
	u64 err_foreign;
	struct kpool_set_class_cpu classes[];
};

/**
 * struct kpool_set - a set of size classes
 * @name: its name.
 * @owner: the creator's cookie.
 * @id: its id, for the debugfs directory of sets with an owner.
 * @list: entry in kpool_set_list.
 * @align: block alignment, the granule of class sizes.
 * @align_shift: log2(@align).
 * @max_size: the last class size; larger requests are refused.
 * @classes_per_doubling: the class spacing.
 * @nr_classes: entries of @classes.
 * @lookup: class index of each granule: (size - 1) >> @align_shift.
 * @cpu: per-CPU counters.
 * @cpu_size: bytes of @cpu per CPU.
 * @debugfs: its debugfs directory.
 * @classes: the classes, smallest first.
 */
struct kpool_set {
	char name[KPOOL_SET_NAME_LEN];
	const void *owner;
	int id;
	struct list_head list;
	size_t align;
	unsigned int align_shift;
	size_t max_size;
	unsigned int classes_per_doubling;
	unsigned int nr_classes;
	u8 *lookup;
	struct kpool_set_cpu __percpu *cpu;
	size_t cpu_size;
	struct dentry *debugfs;
	struct kpool_set_class classes[];
};

/* The u8 lookup table must be able to name every class. */
static_assert(KPOOL_SET_MAX_CLASSES <= 256);
/* "<set name>-<class size>" must fit a pool name. */
static_assert(KPOOL_SET_NAME_LEN - 1 + sizeof("-65536") <= KPOOL_NAME_LEN);
static_assert(KPOOL_SET_MAX_SIZE <= 65536);

static DEFINE_MUTEX(kpool_set_lock);
static LIST_HEAD(kpool_set_list);	/* guarded by kpool_set_lock */
static DEFINE_IDA(kpool_set_ids);
static struct dentry *kpool_set_debugfs_root;

/**
 * struct kpool_set_geometry - the class layout of a set
 * @align: block alignment.
 * @classes_per_doubling: the spacing.
 * @first: the first class size.
 * @last: the last class size.
 */
struct kpool_set_geometry {
	size_t align;
	unsigned int classes_per_doubling;
	size_t first;
	size_t last;
};

/* The class after one of @size bytes (see Classes in kpool_set.h). */
static size_t kpool_set_next_class(const struct kpool_set_geometry *g,
				   size_t size)
{
	size_t step = max(g->align, rounddown_pow_of_two(size) /
				    g->classes_per_doubling);

	return min(round_up(size + step, g->align), g->last);
}

/*
 * Walk the classes of @g, writing their sizes to @classes unless it is
 * NULL. Return: how many there are, or KPOOL_SET_MAX_CLASSES + 1 if there
 * are more than KPOOL_SET_MAX_CLASSES (then @classes is not written past
 * its end).
 */
static unsigned int kpool_set_walk_classes(const struct kpool_set_geometry *g,
					   struct kpool_set_class *classes)
{
	unsigned int nr = 0;
	size_t size = g->first;

	for (;;) {
		if (nr == KPOOL_SET_MAX_CLASSES)
			return nr + 1;
		if (classes)
			classes[nr].size = size;
		nr++;
		if (size == g->last)
			return nr;
		size = kpool_set_next_class(g, size);
	}
}

static bool kpool_set_power_of_2_in(size_t v, size_t lo, size_t hi)
{
	return is_power_of_2(v) && v >= lo && v <= hi;
}

/* Check what kpool_create() does not; fill in @g. Return: 0 or errno. */
static int kpool_set_check_params(const struct kpool_set_params *p,
				  struct kpool_set_geometry *g)
{
	size_t len;

	if (!p || !p->name)
		return -EINVAL;
	len = strnlen(p->name, KPOOL_SET_NAME_LEN);
	g->align = p->align ? p->align : KPOOL_SET_DEFAULT_ALIGN;
	g->classes_per_doubling = p->classes_per_doubling ?
				  p->classes_per_doubling :
				  KPOOL_SET_DEFAULT_SPACING;
	if (!len || len == KPOOL_SET_NAME_LEN ||
	    !p->min_size || p->max_size < p->min_size ||
	    p->max_size > KPOOL_SET_MAX_SIZE ||
	    !kpool_set_power_of_2_in(g->align, KPOOL_MIN_BLOCK_SIZE,
				     PAGE_SIZE) ||
	    !kpool_set_power_of_2_in(g->classes_per_doubling, 1,
				     KPOOL_SET_MAX_SPACING))
		return -EINVAL;
	g->first = round_up(p->min_size, g->align);
	g->last = round_up(p->max_size, g->align);
	if (kpool_set_walk_classes(g, NULL) > KPOOL_SET_MAX_CLASSES)
		return -E2BIG;
	return 0;
}

/* Every granule up to a class size maps to the smallest class that fits. */
static void kpool_set_fill_lookup(struct kpool_set *set)
{
	unsigned int class = 0;
	size_t granule;

	for (granule = 0; granule < set->max_size >> set->align_shift;
	     granule++) {
		if (((granule + 1) << set->align_shift) >
		    set->classes[class].size)
			class++;
		set->lookup[granule] = class;
	}
}

static void kpool_set_free_memory(struct kpool_set *set)
{
	free_percpu(set->cpu);
	kfree(set->lookup);
	kfree(set);
}

static struct kpool_set *kpool_set_alloc_set(const struct kpool_set_params *p,
					     const struct kpool_set_geometry *g)
{
	gfp_t gfp = GFP_KERNEL | (p->gfp & __GFP_ACCOUNT);
	unsigned int nr = kpool_set_walk_classes(g, NULL);
	struct kpool_set *set;

	set = kzalloc(struct_size(set, classes, nr), gfp);
	if (!set)
		return NULL;
	set->lookup = kmalloc(g->last / g->align, gfp);
	set->cpu_size = sizeof(struct kpool_set_cpu) +
			nr * sizeof(struct kpool_set_class_cpu);
	set->cpu = __alloc_percpu_gfp(set->cpu_size,
				      __alignof__(struct kpool_set_cpu), gfp);
	if (!set->lookup || !set->cpu) {
		kpool_set_free_memory(set);
		return NULL;
	}
	strscpy(set->name, p->name, sizeof(set->name));
	set->owner = p->owner;
	set->id = -1;
	INIT_LIST_HEAD(&set->list);
	set->align = g->align;
	set->align_shift = ilog2(g->align);
	set->max_size = g->last;
	set->classes_per_doubling = g->classes_per_doubling;
	set->nr_classes = nr;
	kpool_set_walk_classes(g, set->classes);
	kpool_set_fill_lookup(set);
	return set;
}

/*
 * Claim the set's name among its owner's sets, and an id for its debugfs
 * directory. Return: 0, -EEXIST if a live set of the same owner has the
 * name, or -ENOMEM.
 */
static int kpool_set_register(struct kpool_set *set)
{
	struct kpool_set *other;
	int err = 0;

	mutex_lock(&kpool_set_lock);
	list_for_each_entry(other, &kpool_set_list, list) {
		if (other->owner == set->owner &&
		    !strcmp(other->name, set->name)) {
			err = -EEXIST;
			goto out;
		}
	}
	if (set->owner) {
		set->id = ida_alloc(&kpool_set_ids, GFP_KERNEL);
		if (set->id < 0) {
			err = set->id;
			goto out;
		}
	}
	list_add_tail(&set->list, &kpool_set_list);
out:
	mutex_unlock(&kpool_set_lock);
	return err;
}

static void kpool_set_unregister(struct kpool_set *set)
{
	mutex_lock(&kpool_set_lock);
	list_del(&set->list);
	if (set->id >= 0)
		ida_free(&kpool_set_ids, set->id);
	mutex_unlock(&kpool_set_lock);
}

/*
 * Destroy the pools of the first @nr classes, largest first. Their blocks
 * are all free: the callers made sure of it (and kpool_destroy() reports
 * a leak itself if a caller broke that rule).
 */
static void kpool_set_destroy_pools(struct kpool_set *set, unsigned int nr)
{
	while (nr--)
		kpool_destroy(set->classes[nr].pool);
}

static int kpool_set_create_pools(struct kpool_set *set,
				  const struct kpool_set_params *p)
{
	char name[KPOOL_NAME_LEN];
	struct kpool_params params = {
		.name = name,
		.align = set->align,
		.min_blocks = p->min_blocks,
		.max_blocks = p->max_blocks,
		.node = p->node,
		.gfp = p->gfp,
		.flags = p->flags,
		.order = KPOOL_ORDER_AUTO,
	};
	struct kpool_set_class *class;
	unsigned int i;

	for (i = 0; i < set->nr_classes; i++) {
		class = &set->classes[i];
		snprintf(name, sizeof(name), "%s-%zu", set->name, class->size);
		params.block_size = class->size;
		params.owner = class;
		class->pool = kpool_create(&params);
		if (IS_ERR(class->pool)) {
			int err = PTR_ERR(class->pool);

			kpool_set_destroy_pools(set, i);
			return err;
		}
	}
	return 0;
}

static void kpool_set_debugfs_add(struct kpool_set *set);

/**
 * kpool_set_create() - create a set of size classes
 * @params: what to build (see kpool_set.h); read only during the call.
 *
 * Validates @params, computes the classes and creates one kpool pool per
 * class ("<name>-<class size>", with the set's align, reserve, cap, node,
 * gfp and flags), then adds the set's debugfs directory
 * (kpool_set/<name>/, or kpool_set/<name>@<id>/ for a set with an owner).
 * Set names are unique per owner: sets of different owners never collide.
 * With __GFP_ACCOUNT in @params->gfp the set's own tables are charged to
 * the caller's memory cgroup as well. On failure nothing is left behind.
 * Every set holds
 * a reference to the kpool_set module until kpool_set_destroy().
 *
 * Context: Process context; may sleep.
 * Return: the set, or an ERR_PTR(): -EINVAL for bad parameters (name
 * missing, empty or too long; min_size 0; max_size below min_size or above
 * KPOOL_SET_MAX_SIZE; align or classes_per_doubling not a power of two in
 * range; and whatever kpool_create() refuses: name characters, flags, gfp,
 * node, min_blocks above max_blocks), -E2BIG when the spacing needs more
 * than KPOOL_SET_MAX_CLASSES classes, -EEXIST when a live set of the same
 * owner has the same name, -ENOMEM.
 */
struct kpool_set *kpool_set_create(const struct kpool_set_params *params)
{
	struct kpool_set_geometry geometry;
	struct kpool_set *set;
	int err;

	err = kpool_set_check_params(params, &geometry);
	if (err)
		return ERR_PTR(err);
	set = kpool_set_alloc_set(params, &geometry);
	if (!set)
		return ERR_PTR(-ENOMEM);
	err = kpool_set_register(set);
	if (err)
		goto free_set;
	err = kpool_set_create_pools(set, params);
	if (err)
		goto unregister;

	kpool_set_debugfs_add(set);
	__module_get(THIS_MODULE);
	return set;

unregister:
	kpool_set_unregister(set);
free_set:
	kpool_set_free_memory(set);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_NS_GPL(kpool_set_create, KPOOL_NS);

static u64 kpool_set_blocks_in_use(struct kpool_set *set)
{
	struct kpool_stats st;
	unsigned int i;
	u64 in_use = 0;

	for (i = 0; i < set->nr_classes; i++) {
		kpool_get_stats(set->classes[i].pool, &st);
		in_use += st.blocks_in_use;
	}
	return in_use;
}

/**
 * kpool_set_destroy() - destroy a set
 * @set: the set, or NULL (then nothing happens).
 *
 * Refuses while any class has blocks allocated: it reports how many and
 * leaves the set fully usable. Otherwise the set leaves debugfs and its
 * class pools and memory are freed. Nothing may use the set concurrently
 * or afterwards.
 *
 * Context: Process context; may sleep.
 * Return: 0, or -EBUSY if blocks are still allocated.
 */
int kpool_set_destroy(struct kpool_set *set)
{
	u64 in_use;

	if (!set)
		return 0;
	in_use = kpool_set_blocks_in_use(set);
	if (in_use) {
		pr_warn("set %s: not destroyed, %llu blocks still allocated\n",
			set->name, in_use);
		return -EBUSY;
	}

	debugfs_remove_recursive(set->debugfs);
	kpool_set_unregister(set);
	kpool_set_destroy_pools(set, set->nr_classes);
	kpool_set_free_memory(set);
	module_put(THIS_MODULE);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_destroy, KPOOL_NS);

/* Alloc and free */

/* The class index of a request, or -1 for size 0 or above max_size. */
static __always_inline int kpool_set_class_of(const struct kpool_set *set,
					      size_t size)
{
	/* size 0 wraps around */
	if (unlikely(size - 1 >= set->max_size))
		return -1;
	return set->lookup[(size - 1) >> set->align_shift];
}

static noinline void kpool_set_alloc_failed(struct kpool_set *set,
					    bool too_large)
{
	if (too_large)
		this_cpu_inc(set->cpu->too_large);
	this_cpu_inc(set->cpu->alloc_failures);
}

static __always_inline void kpool_set_count_allocs(struct kpool_set *set,
						   int class, size_t size,
						   unsigned int n)
{
	this_cpu_add(set->cpu->classes[class].allocs, n);
	this_cpu_add(set->cpu->classes[class].requested, (u64)size * n);
}

/**
 * kpool_set_alloc() - allocate a block of at least @size bytes
 * @set: the set.
 * @size: bytes needed, 1 to the last class size.
 * @gfp: as for kpool_alloc(); __GFP_ZERO zeroes the whole block.
 *
 * The block comes from the smallest class of at least @size bytes and is
 * aligned to the set's align.
 *
 * Context: As kpool_alloc(): any context but NMI with an atomic @gfp,
 * process context with a sleeping @gfp.
 * Return: the block, or NULL: @size is 0 or above the last class (counted
 * in too_large), or the class pool had no block (see kpool_alloc()).
 */
void *kpool_set_alloc(struct kpool_set *set, size_t size, gfp_t gfp)
{
	int class = kpool_set_class_of(set, size);
	void *block;

	if (unlikely(class < 0)) {
		kpool_set_alloc_failed(set, true);
		return NULL;
	}
	block = kpool_alloc(set->classes[class].pool, gfp);
	if (unlikely(!block)) {
		kpool_set_alloc_failed(set, false);
		return NULL;
	}
	kpool_set_count_allocs(set, class, size, 1);
	return block;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_alloc, KPOOL_NS);

/**
 * kpool_set_alloc_bulk() - allocate @n blocks of at least @size bytes
 * @set: the set.
 * @size: bytes needed by each block, 1 to the last class size.
 * @gfp: as for kpool_alloc_bulk().
 * @n: how many blocks.
 * @ptrs: receives the blocks.
 *
 * All or nothing, from one class, as kpool_alloc_bulk().
 *
 * Context: As kpool_set_alloc().
 * Return: 0; -EINVAL if @size is 0 or above the last class (counted in
 * too_large); -ENOMEM if not all blocks could be had (nothing allocated).
 */
int kpool_set_alloc_bulk(struct kpool_set *set, size_t size, gfp_t gfp,
			 unsigned int n, void **ptrs)
{
	int class = kpool_set_class_of(set, size);
	int err;

	if (unlikely(class < 0)) {
		kpool_set_alloc_failed(set, true);
		return -EINVAL;
	}
	err = kpool_alloc_bulk(set->classes[class].pool, gfp, n, ptrs);
	if (unlikely(err)) {
		kpool_set_alloc_failed(set, false);
		return err;
	}
	kpool_set_count_allocs(set, class, size, n);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_alloc_bulk, KPOOL_NS);

/* The class of @ptr if it lies in a chunk of one of @set's classes. */
static __always_inline struct kpool_set_class *
kpool_set_ptr_class(struct kpool_set *set, const void *ptr)
{
	unsigned long off = (unsigned long)kpool_block_owner(ptr) -
			    (unsigned long)set->classes;

	if (unlikely(off >= set->nr_classes * sizeof(set->classes[0]) ||
		     off % sizeof(set->classes[0])))
		return NULL;
	return &set->classes[off / sizeof(set->classes[0])];
}

static noinline void kpool_set_bad_free(struct kpool_set *set,
					const void *ptr)
{
	this_cpu_inc(set->cpu->err_foreign);
	pr_warn_ratelimited("set %s: free of memory that is not a block of its classes (%p) refused\n",
			    set->name, ptr);
}

/**
 * kpool_set_free() - free a block of a set
 * @set: the set the block came from.
 * @ptr: the block, or NULL (then nothing happens).
 *
 * The class is found from @ptr alone, with one page lookup
 * (kpool_free_owned() over the set's classes). A pointer that is not in a
 * chunk of one of the set's class pools is refused, counted in err_foreign
 * and reported (rate-limited); the class pool refuses, counts and reports
 * a pointer that is not the start of a block or not allocated (see
 * kpool_free()). A refused free leaves the set untouched.
 *
 * Context: Any context but NMI.
 * Return: 0; -EINVAL for memory that is not a block of the set; -EALREADY
 * for a block that is not allocated.
 */
int kpool_set_free(struct kpool_set *set, void *ptr)
{
	const void *owner = NULL;
	int err;

	if (unlikely(!ptr))
		return 0;
	err = kpool_free_owned(ptr, set->classes, set->classes + set->nr_classes,
			       &owner);
	if (unlikely(!owner)) {
		kpool_set_bad_free(set, ptr);
		return -EINVAL;
	}
	if (likely(!err))
		this_cpu_inc(set->cpu->frees);
	return err;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_free, KPOOL_NS);

/**
 * kpool_set_free_sized() - free a block of a set, given its size
 * @set: the set the block came from.
 * @ptr: the block, or NULL (then nothing happens).
 * @size: the size it was allocated for (kpool_set_alloc()'s @size), or
 *	  any size its class serves (e.g. kpool_set_block_size()).
 *
 * Like kpool_set_free() without the page lookup that finds the class: the
 * class comes from @size through the lookup table, and its pool validates
 * @ptr as kpool_free() does. A size no class serves, or a block of another
 * class, is refused, counted in err_foreign and reported (rate-limited);
 * nothing is freed then.
 *
 * Context: Any context but NMI.
 * Return: 0; -EINVAL for a size no class serves or memory that is not a
 * block of the size's class; -EALREADY for a block that is not allocated.
 */
int kpool_set_free_sized(struct kpool_set *set, void *ptr, size_t size)
{
	int class = kpool_set_class_of(set, size);
	int err;

	if (unlikely(!ptr))
		return 0;
	if (unlikely(class < 0)) {
		kpool_set_bad_free(set, ptr);
		return -EINVAL;
	}
	err = kpool_free(set->classes[class].pool, ptr);
	if (likely(!err))
		this_cpu_inc(set->cpu->frees);
	else if (err == -EINVAL)
		this_cpu_inc(set->cpu->err_foreign);
	return err;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_free_sized, KPOOL_NS);

/**
 * kpool_set_free_bulk() - free @n blocks of a set, of any classes
 * @set: the set.
 * @n: how many.
 * @ptrs: the blocks; NULL entries are skipped.
 *
 * Every block is handled as by kpool_set_free(): bad ones are refused and
 * counted, the others are freed.
 *
 * Context: Any context but NMI.
 * Return: 0, or the error of the first block refused.
 */
int kpool_set_free_bulk(struct kpool_set *set, unsigned int n, void **ptrs)
{
	unsigned int i;
	int err, first = 0;

	for (i = 0; i < n; i++) {
		err = kpool_set_free(set, ptrs[i]);
		if (err && !first)
			first = err;
	}
	return first;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_free_bulk, KPOOL_NS);

/* Introspection */

/**
 * kpool_set_block_size() - the usable size of a block of a set
 * @set: the set.
 * @ptr: any pointer.
 *
 * Context: Any context but NMI.
 * Return: the class size of the class pool whose chunk holds @ptr, or 0
 * if @ptr is not in a chunk of the set's classes. Like kpool_block_owner()
 * it does not check that @ptr is the start of an allocated block.
 */
size_t kpool_set_block_size(struct kpool_set *set, const void *ptr)
{
	struct kpool_set_class *class = kpool_set_ptr_class(set, ptr);

	return class ? class->size : 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_block_size, KPOOL_NS);

/**
 * kpool_set_nr_classes() - the number of classes of a set
 * @set: the set.
 *
 * Context: Any context.
 * Return: the number of classes, at least 1.
 */
unsigned int kpool_set_nr_classes(const struct kpool_set *set)
{
	return set->nr_classes;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_nr_classes, KPOOL_NS);

/**
 * kpool_set_class_size() - the block size of a class
 * @set: the set.
 * @class: 0 (the smallest) to kpool_set_nr_classes() - 1.
 *
 * Context: Any context.
 * Return: the class size, or 0 if there is no such class.
 */
size_t kpool_set_class_size(const struct kpool_set *set, unsigned int class)
{
	return class < set->nr_classes ? set->classes[class].size : 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_class_size, KPOOL_NS);

/**
 * kpool_set_class_pool() - the pool of a class
 * @set: the set.
 * @class: 0 (the smallest) to kpool_set_nr_classes() - 1.
 *
 * The pool belongs to the set: a caller may read its statistics but must
 * neither destroy it nor free blocks of the set through it.
 *
 * Context: Any context.
 * Return: the pool, or NULL if there is no such class.
 */
struct kpool *kpool_set_class_pool(const struct kpool_set *set,
				   unsigned int class)
{
	return class < set->nr_classes ? set->classes[class].pool : NULL;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_class_pool, KPOOL_NS);

/**
 * kpool_set_name() - the name of a set
 * @set: the set.
 *
 * Context: Any context.
 * Return: the name, valid as long as the set.
 */
const char *kpool_set_name(const struct kpool_set *set)
{
	return set->name;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_name, KPOOL_NS);

/**
 * kpool_set_owner() - the creator's cookie
 * @set: the set.
 *
 * Context: Any context.
 * Return: kpool_set_params.owner as given to kpool_set_create().
 */
const void *kpool_set_owner(const struct kpool_set *set)
{
	return set->owner;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_owner, KPOOL_NS);

/**
 * kpool_set_meta_bytes() - the memory of a set's own tables
 * @set: the set.
 *
 * Context: Any context.
 * Return: the bytes of the set's struct (with its classes), its lookup
 * table and its per-CPU counters over every possible CPU; the class pools
 * report their own (kpool_stats.meta_bytes and pages).
 */
size_t kpool_set_meta_bytes(const struct kpool_set *set)
{
	return struct_size(set, classes, set->nr_classes) +
	       (set->max_size >> set->align_shift) +
	       set->cpu_size * num_possible_cpus();
}
EXPORT_SYMBOL_NS_GPL(kpool_set_meta_bytes, KPOOL_NS);

/**
 * kpool_set_cookie_owner() - the set owner behind a class pool's cookie
 * @cookie: an owner cookie, as kpool_owner() returns it; only compared,
 *	    never dereferenced.
 * @owner: receives the owner of the set whose class @cookie is.
 *
 * Tells a class pool of a live set from any other pool, for listings.
 *
 * Context: Process context; takes kpool_set_lock, so not from within a
 * kpool_set_create() or kpool_set_destroy() of the caller's own.
 * Return: true, and *@owner set, if @cookie is a class of a live set.
 */
bool kpool_set_cookie_owner(const void *cookie, const void **owner)
{
	struct kpool_set *set;
	bool found = false;

	mutex_lock(&kpool_set_lock);
	list_for_each_entry(set, &kpool_set_list, list) {
		if (cookie >= (const void *)set->classes &&
		    cookie < (const void *)(set->classes + set->nr_classes)) {
			*owner = set->owner;
			found = true;
			break;
		}
	}
	mutex_unlock(&kpool_set_lock);
	return found;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_cookie_owner, KPOOL_NS);

/* The sum over every possible CPU of the u64 at @offset in the counters. */
static u64 kpool_set_counter(struct kpool_set *set, size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((void *)per_cpu_ptr(set->cpu, cpu) + offset);
	return sum;
}

#define KPOOL_SET_COUNTER(set, field) \
	kpool_set_counter(set, offsetof(struct kpool_set_cpu, field))

/**
 * kpool_set_get_class_stats() - take a snapshot of one class
 * @set: the set.
 * @class: 0 (the smallest) to kpool_set_nr_classes() - 1.
 * @stats: filled in, every field.
 *
 * Context: Any context but NMI (see kpool_get_stats()).
 * Return: 0, or -EINVAL if there is no such class (@stats untouched).
 */
int kpool_set_get_class_stats(struct kpool_set *set, unsigned int class,
			      struct kpool_set_class_stats *stats)
{
	if (class >= set->nr_classes)
		return -EINVAL;
	memset(stats, 0, sizeof(*stats));
	stats->block_size = set->classes[class].size;
	stats->allocs = KPOOL_SET_COUNTER(set, classes[class].allocs);
	stats->requested_bytes = KPOOL_SET_COUNTER(set,
						   classes[class].requested);
	kpool_get_stats(set->classes[class].pool, &stats->pool);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_get_class_stats, KPOOL_NS);

static void kpool_set_add_class(struct kpool_set_stats *stats,
				const struct kpool_set_class_stats *cs)
{
	stats->allocs += cs->allocs;
	stats->requested_bytes += cs->requested_bytes;
	stats->block_bytes += cs->allocs * cs->block_size;
	stats->blocks_in_use += cs->pool.blocks_in_use;
	stats->bytes_in_use += cs->pool.blocks_in_use * cs->block_size;
	stats->pages += cs->pool.pages;
}

/**
 * kpool_set_get_stats() - take a snapshot of a whole set
 * @set: the set.
 * @stats: filled in, every field: the set's counters, and the sums over
 *	   its classes (kpool_set_get_class_stats()).
 *
 * Context: Any context but NMI. Walks every class pool's chunks.
 */
void kpool_set_get_stats(struct kpool_set *set, struct kpool_set_stats *stats)
{
	struct kpool_set_class_stats cs;
	unsigned int i;

	memset(stats, 0, sizeof(*stats));
	strscpy(stats->name, set->name, sizeof(stats->name));
	stats->nr_classes = set->nr_classes;
	stats->min_size = set->classes[0].size;
	stats->max_size = set->max_size;
	stats->align = set->align;
	stats->classes_per_doubling = set->classes_per_doubling;
	stats->frees = KPOOL_SET_COUNTER(set, frees);
	stats->alloc_failures = KPOOL_SET_COUNTER(set, alloc_failures);
	stats->too_large = KPOOL_SET_COUNTER(set, too_large);
	stats->err_foreign = KPOOL_SET_COUNTER(set, err_foreign);
	for (i = 0; i < set->nr_classes; i++) {
		kpool_set_get_class_stats(set, i, &cs);
		kpool_set_add_class(stats, &cs);
	}
}
EXPORT_SYMBOL_NS_GPL(kpool_set_get_stats, KPOOL_NS);

/* debugfs */

/* Print 100 * @part / @whole with two decimals ("-" when @whole is 0). */
static void kpool_set_seq_percent(struct seq_file *m, u64 part, u64 whole)
{
	u64 hundredths;

	if (!whole) {
		seq_puts(m, "-");
		return;
	}
	hundredths = div64_u64(part * 10000, whole);
	seq_printf(m, "%llu.%02llu%%", hundredths / 100, hundredths % 100);
}

static int kpool_set_debugfs_classes_show(struct seq_file *m, void *unused)
{
	struct kpool_set *set = m->private;
	struct kpool_set_class_stats *cs;
	unsigned int i;
	u64 blocks;

	cs = kmalloc_obj(*cs, GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	seq_puts(m, "size allocs requested_bytes blocks_in_use pages waste\n");
	for (i = 0; i < set->nr_classes; i++) {
		kpool_set_get_class_stats(set, i, cs);
		blocks = cs->allocs * cs->block_size;
		seq_printf(m, "%llu %llu %llu %llu %llu ", cs->block_size,
			   cs->allocs, cs->requested_bytes,
			   cs->pool.blocks_in_use, cs->pool.pages);
		kpool_set_seq_percent(m, blocks - cs->requested_bytes, blocks);
		seq_putc(m, '\n');
	}
	kfree(cs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kpool_set_debugfs_classes);

static int kpool_set_debugfs_stats_show(struct seq_file *m, void *unused)
{
	struct kpool_set_stats *st;

	st = kmalloc_obj(*st, GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	kpool_set_get_stats(m->private, st);
	seq_printf(m, "name: %s\nnr_classes: %u\nmin_size: %llu\nmax_size: %llu\nalign: %llu\nclasses_per_doubling: %u\n",
		   st->name, st->nr_classes, st->min_size, st->max_size,
		   st->align, st->classes_per_doubling);
	seq_printf(m, "allocs: %llu\nfrees: %llu\nalloc_failures: %llu\ntoo_large: %llu\nerr_foreign: %llu\n",
		   st->allocs, st->frees, st->alloc_failures, st->too_large,
		   st->err_foreign);
	seq_printf(m, "requested_bytes: %llu\nblock_bytes: %llu\nblocks_in_use: %llu\nbytes_in_use: %llu\npages: %llu\n",
		   st->requested_bytes, st->block_bytes, st->blocks_in_use,
		   st->bytes_in_use, st->pages);
	seq_puts(m, "fragmentation: ");
	kpool_set_seq_percent(m, st->block_bytes - st->requested_bytes,
			      st->block_bytes);
	seq_putc(m, '\n');
	kfree(st);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kpool_set_debugfs_stats);

/* Like every debugfs file, optional: a failure is not an error. */
static void kpool_set_debugfs_add(struct kpool_set *set)
{
	char dir[KPOOL_SET_NAME_LEN + 12];

	/* sets of different owners may share a name: theirs get the id */
	if (set->owner)
		snprintf(dir, sizeof(dir), "%s@%d", set->name, set->id);
	else
		strscpy(dir, set->name, sizeof(dir));
	set->debugfs = debugfs_create_dir(dir, kpool_set_debugfs_root);
	debugfs_create_file("classes", 0400, set->debugfs, set,
			    &kpool_set_debugfs_classes_fops);
	debugfs_create_file("stats", 0400, set->debugfs, set,
			    &kpool_set_debugfs_stats_fops);
}

static int __init kpool_set_init(void)
{
	kpool_set_debugfs_root = debugfs_create_dir("kpool_set", NULL);
	return 0;
}

static void __exit kpool_set_exit(void)
{
	debugfs_remove_recursive(kpool_set_debugfs_root);
}

module_init(kpool_set_init);
module_exit(kpool_set_exit);

MODULE_IMPORT_NS(KPOOL_NS);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("kpool developers");
MODULE_DESCRIPTION("Variable-size allocation over size classes of kpool pools");
