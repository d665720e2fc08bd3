/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpool sets - variable-size allocation over size classes of kpool pools.
 *
 * Design
 * ------
 * A set serves requests of any size from min_size to max_size bytes. It
 * owns one ordinary kpool pool per size class, so every block still comes
 * from a fixed-block pool, with its per-CPU magazines, validation, debug
 * mode, statistics and shrinker. A request is routed to the smallest class
 * that fits through a lookup table indexed by the size in granules (align
 * bytes): O(1), no search. A block is freed by pointer alone: the page of
 * the block names its chunk and pool (kpool_block_owner()), and each class
 * pool is created with its class as owner cookie, so the class is found in
 * O(1) too, with that one page lookup (kpool_free_owned()); a pointer that
 * is not a block of one of the set's classes is refused and counted.
 * kpool_set_free_sized() takes the size instead and needs no page lookup.
 * Set names are unique per owner (kpool_set_params.owner), as pool names
 * are: sets of different owners never collide.
 *
 * Classes
 * -------
 * Class sizes are multiples of align. From the first class
 * (round_up(min_size, align)) each class is the previous one plus a step
 * of max(align, rounddown_pow_of_two(previous) / classes_per_doubling),
 * rounded up to align, until max_size (rounded up to align) is reached,
 * which is always the last class. So above align * classes_per_doubling
 * bytes there are classes_per_doubling classes per power of two and the
 * waste of a block (bytes not asked for) is less than
 * 1 / (classes_per_doubling + 1) of the block: less than 1/9 (11.1%) with
 * the default 8, 1/5 with 4; below that point, classes are align bytes
 * apart and the waste is less than align bytes.
 * Each class pool is named "<set name>-<class size>" and gets the set's
 * flags, gfp, node, and the per-class min_blocks (reserve) and
 * max_blocks (cap).
 *
 * Large requests
 * --------------
 * A request above max_size fails: kpool_set_alloc() returns NULL and
 * counts it in too_large. A set never falls back to the page allocator:
 * what it hands out is always a block of one of its classes.
 *
 * Context
 * -------
 * As for pools (kpool.h): kpool_set_alloc() and kpool_set_alloc_bulk()
 * with an atomic gfp, kpool_set_free(), kpool_set_free_bulk() and the
 * statistics from any context but NMI; kpool_set_create() and
 * kpool_set_destroy() from process context.
 *
 * Limits
 * ------
 * name: as for a pool, at most KPOOL_SET_NAME_LEN - 1 characters (the
 * class pools add "-<size>").
 * min_size: at least 1; max_size: min_size .. KPOOL_SET_MAX_SIZE.
 * align: 0 (KPOOL_SET_DEFAULT_ALIGN) or a power of two from
 * KPOOL_MIN_BLOCK_SIZE to PAGE_SIZE.
 * classes_per_doubling: 0 (KPOOL_SET_DEFAULT_SPACING) or a power of two
 * from 1 to KPOOL_SET_MAX_SPACING.
 * At most KPOOL_SET_MAX_CLASSES classes: a spacing that would need more
 * is refused with -E2BIG.
 */
#ifndef _KPOOL_SET_H
#define _KPOOL_SET_H

#include "kpool.h"

#define KPOOL_SET_NAME_LEN		(KPOOL_NAME_LEN - 8)
#define KPOOL_SET_MAX_SIZE		(64 * 1024)
#define KPOOL_SET_MAX_CLASSES		128
#define KPOOL_SET_DEFAULT_ALIGN		8
#define KPOOL_SET_DEFAULT_SPACING	8
#define KPOOL_SET_MAX_SPACING		16

struct kpool_set;

/**
 * struct kpool_set_params - how to build a set
 * @name: the set's name (copied); its class pools are "<name>-<size>".
 * @min_size: smallest request expected; the first class is this size
 *	      rounded up to @align (smaller requests use it too).
 * @max_size: largest request served; the last class.
 * @align: alignment of every block, and the granule of class sizes; 0 for
 *	   KPOOL_SET_DEFAULT_ALIGN.
 * @classes_per_doubling: class spacing, see Classes; 0 for
 *			  KPOOL_SET_DEFAULT_SPACING.
 * @min_blocks: reserve of every class pool (kpool_params.min_blocks).
 * @max_blocks: cap of every class pool, 0 for none.
 * @node: NUMA node for the chunks, or NUMA_NO_NODE.
 * @gfp: extra GFP flags for growth (only KPOOL_GFP_ALLOWED).
 * @flags: KPOOL_F_* flags of every class pool.
 * @owner: opaque cookie of the creator (kpool_set_owner()); NULL for
 *	   modules.
 */
struct kpool_set_params {
	const char *name;
	size_t min_size;
	size_t max_size;
	size_t align;
	unsigned int classes_per_doubling;
	unsigned int min_blocks;
	unsigned int max_blocks;
	int node;
	gfp_t gfp;
	unsigned int flags;
	const void *owner;
};

/**
 * struct kpool_set_class_stats - one size class of a set
 * @block_size: the class size.
 * @allocs: blocks handed out by this class through the set.
 * @requested_bytes: sum of the sizes asked for by those allocations.
 * @pool: the class pool's statistics (kpool_get_stats()).
 */
struct kpool_set_class_stats {
	u64 block_size;
	u64 allocs;
	u64 requested_bytes;
	struct kpool_stats pool;
};

/**
 * struct kpool_set_stats - a snapshot of a whole set
 * @name: the set's name.
 * @nr_classes: its classes.
 * @min_size: the first class size.
 * @max_size: the last class size.
 * @align: the block alignment.
 * @classes_per_doubling: the spacing in use.
 * @allocs: blocks handed out (bulk included).
 * @frees: blocks given back (bulk included).
 * @alloc_failures: allocations that failed (too_large included).
 * @too_large: requests above max_size, or of size 0.
 * @err_foreign: frees of pointers that are not blocks of the set's
 *		 classes.
 * @requested_bytes: sum of the sizes asked for by all allocations.
 * @block_bytes: sum of the block sizes handed out for them: the measured
 *		 internal fragmentation is 1 - requested / block bytes.
 * @blocks_in_use: blocks of all classes handed out now.
 * @bytes_in_use: their block bytes.
 * @pages: pages held by all class pools.
 */
struct kpool_set_stats {
	char name[KPOOL_NAME_LEN];
	u32 nr_classes;
	u64 min_size;
	u64 max_size;
	u64 align;
	u32 classes_per_doubling;
	u64 allocs;
	u64 frees;
	u64 alloc_failures;
	u64 too_large;
	u64 err_foreign;
	u64 requested_bytes;
	u64 block_bytes;
	u64 blocks_in_use;
	u64 bytes_in_use;
	u64 pages;
};

struct kpool_set *kpool_set_create(const struct kpool_set_params *params);
int kpool_set_destroy(struct kpool_set *set);

void *kpool_set_alloc(struct kpool_set *set, size_t size, gfp_t gfp);
int kpool_set_free(struct kpool_set *set, void *ptr);
int kpool_set_free_sized(struct kpool_set *set, void *ptr, size_t size);
int kpool_set_alloc_bulk(struct kpool_set *set, size_t size, gfp_t gfp,
			 unsigned int n, void **ptrs);
int kpool_set_free_bulk(struct kpool_set *set, unsigned int n, void **ptrs);

size_t kpool_set_block_size(struct kpool_set *set, const void *ptr);
unsigned int kpool_set_nr_classes(const struct kpool_set *set);
size_t kpool_set_class_size(const struct kpool_set *set, unsigned int class);
struct kpool *kpool_set_class_pool(const struct kpool_set *set,
				   unsigned int class);
const char *kpool_set_name(const struct kpool_set *set);
const void *kpool_set_owner(const struct kpool_set *set);
size_t kpool_set_meta_bytes(const struct kpool_set *set);
bool kpool_set_cookie_owner(const void *cookie, const void **owner);

void kpool_set_get_stats(struct kpool_set *set, struct kpool_set_stats *stats);
int kpool_set_get_class_stats(struct kpool_set *set, unsigned int class,
			      struct kpool_set_class_stats *stats);

#endif /* _KPOOL_SET_H */
