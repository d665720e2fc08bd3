/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kpool user-space ABI: the ioctls of /dev/kpool.
 *
 * Every argument struct starts with a __u32 @size that user space sets to
 * sizeof(the struct it was built against). The kernel accepts any size from
 * the first published one up: a shorter (older) struct is zero-extended, a
 * longer (newer) one is accepted only if every byte the kernel does not
 * know is zero (else -E2BIG; a @size above 4096 is always -E2BIG). The
 * size encoded in the ioctl number is not used for dispatch, so the number
 * stays the same as a struct grows.
 *
 * Rules for every command:
 *  - unknown command: -ENOTTY; @size below the first version: -EINVAL;
 *  - unknown bits in @flags, non-zero reserved or padding fields: -EINVAL;
 *  - a bad user pointer: -EFAULT;
 *  - counts above KPOOL_IOC_MAX_BATCH or sizes that overflow: -EINVAL;
 *  - a pool id that does not exist: -ENOENT; a pool that belongs to another
 *    file or to a kernel module, used for anything but LIST/STATS/INFO:
 *    -EPERM; STATS/INFO on a pool of another file or of a kernel module
 *    need CAP_SYS_ADMIN: -EPERM;
 *  - a handle not known to this file: -ENOENT; a handle of another pool of
 *    this file: -EINVAL;
 *  - per-file limits (module parameters of kpool_dev): more than
 *    max_pools_per_fd pools: -ENOSPC; more than max_bytes_per_fd bytes
 *    charged (each pool's reserve, min_blocks * block_size, plus each live
 *    handle's block_size and a small bookkeeping cost): -ENOMEM; the same
 *    charges of all files together above max_bytes_total: -ENOMEM.
 *
 * Pools created through a file belong to it: close() frees their blocks and
 * destroys them. Blocks are named by handles (small integers, unique in the
 * file), never by addresses.
 */
#ifndef _UAPI_LINUX_KPOOL_H
#define _UAPI_LINUX_KPOOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KPOOL_IOC_MAGIC		0xBB	/* unused in ioctl-number.rst (6.12) */
#define KPOOL_ABI_VERSION	1
#define KPOOL_IOC_NAME_LEN	32
#define KPOOL_IOC_MAX_BATCH	4096

/* kpool_ioc_version.features */
#define KPOOL_FEAT_BATCH	(1ULL << 0)
#define KPOOL_FEAT_RW		(1ULL << 1)
#define KPOOL_FEAT_OCCUPANCY	(1ULL << 2)
#define KPOOL_FEAT_FAULT	(1ULL << 3)
#define KPOOL_FEAT_SETS		(1ULL << 4)	/* the SET_* commands */

struct kpool_ioc_version {
	__u32 size;
	__u32 abi_version;	/* out: KPOOL_ABI_VERSION */
	__u64 features;		/* out: KPOOL_FEAT_* */
	__u32 max_batch;	/* out: KPOOL_IOC_MAX_BATCH */
	__u32 max_name_len;	/* out: KPOOL_IOC_NAME_LEN */
};

/*
 * kpool_ioc_create.flags: the pool flags user space may set. Pools created
 * through /dev/kpool always zero their blocks, so KPOOL_IOC_F_ZERO is
 * implied (and reported by STATS) whether it is set or not.
 */
#define KPOOL_IOC_F_ZERO	(1U << 0)	/* zero blocks on allocation */
#define KPOOL_IOC_F_DEBUG	(1U << 1)	/* poison, red zones, owners */
#define KPOOL_IOC_F_ALL		(KPOOL_IOC_F_ZERO | KPOOL_IOC_F_DEBUG)
/* kpool_ioc_stats.flags only (kernel pools): the shrinker skips the pool */
#define KPOOL_IOC_F_NO_SHRINK	(1U << 2)

#define KPOOL_IOC_ORDER_AUTO	(-1)

struct kpool_ioc_create {
	__u32 size;
	__u32 flags;		/* KPOOL_IOC_F_* */
	__u64 block_size;
	__u64 align;		/* 0: natural */
	__u32 min_blocks;
	__u32 max_blocks;	/* 0: no cap other than the file's memory cap */
	__s32 order;		/* KPOOL_IOC_ORDER_AUTO or a chunk order */
	__u32 pool_id;		/* out */
	/*
	 * NUL-terminated, 1..KPOOL_IOC_NAME_LEN - 1 characters from
	 * [A-Za-z0-9_.:-], not starting with '.'; unique among all live
	 * pools (else -EEXIST).
	 */
	char name[KPOOL_IOC_NAME_LEN];
};

/* DESTROY and SHRINK */
struct kpool_ioc_pool {
	__u32 size;
	__u32 pool_id;
	__u64 result;		/* out, SHRINK: pages returned */
};

struct kpool_ioc_alloc {
	__u32 size;
	__u32 pool_id;
	__u32 count;		/* 1..KPOOL_IOC_MAX_BATCH; all or nothing */
	__u32 flags;		/* must be 0 */
	__u64 handles;		/* user pointer to __u32[count], out */
};

/*
 * FREE frees every valid handle of the array and skips the bad ones. It
 * returns 0 when all were freed, else -ENOENT or -EINVAL (the error of the
 * first bad handle); @freed counts the handles freed either way and, when
 * @status is not 0, status[i] is 0 or the negative errno of handle i.
 * A bad @handles or @status pointer fails with -EFAULT before anything is
 * freed (status[] is cleared first).
 */
struct kpool_ioc_free {
	__u32 size;
	__u32 pool_id;
	__u32 count;		/* 1..KPOOL_IOC_MAX_BATCH */
	__u32 flags;		/* must be 0 */
	__u64 handles;		/* user pointer to __u32[count] */
	__u64 status;		/* 0, or user pointer to __s32[count], out */
	__u32 freed;		/* out */
	__u32 pad;		/* must be 0 */
};

/* kpool_ioc_rw.flags: @pool_id names a set of this file (SET_CREATE) */
#define KPOOL_IOC_RW_F_SET	(1U << 0)

/*
 * WRITE and READ: bytes [offset, offset + len) of one block. The block
 * size that bounds them is the pool's block size, or for a block of a set
 * the size of its class (kpool_ioc_set_alloc.block_size).
 */
struct kpool_ioc_rw {
	__u32 size;
	__u32 pool_id;		/* a pool id, or a set id with KPOOL_IOC_RW_F_SET */
	__u32 handle;
	__u32 flags;		/* 0 or KPOOL_IOC_RW_F_SET */
	__u64 offset;
	__u64 len;		/* offset + len <= block size */
	__u64 buf;		/* user pointer */
};

struct kpool_ioc_stats {
	__u32 size;
	__u32 pool_id;
	char name[KPOOL_IOC_NAME_LEN];
	__u32 flags;
	__u32 chunk_order;
	__u64 block_size;
	__u64 block_stride;
	__u64 align;
	__u64 blocks_per_chunk;
	__u64 chunks;
	__u64 pages;
	__u64 blocks_total;
	__u64 blocks_in_use;
	__u64 blocks_free;
	__u64 blocks_reserved;
	__u64 min_blocks;
	__u64 max_blocks;
	__u64 high_watermark;
	__u64 wasted_per_chunk;
	__u64 allocs;
	__u64 frees;
	__u64 bulk_allocs;
	__u64 bulk_frees;
	__u64 alloc_failures;
	__u64 waits;
	__u64 grows;
	__u64 grow_failures;
	__u64 shrinks;
	__u64 reserve_allocs;
	__u64 cache_hits;
	__u64 cache_misses;
	__u64 faults_injected;
	__u64 err_double_free;
	__u64 err_foreign;
	__u64 err_misaligned;
	__u64 err_poison;
	__u64 err_redzone;
};

/* kpool_ioc_pool_entry.owner */
#define KPOOL_OWNER_SELF	0	/* created through this file */
#define KPOOL_OWNER_OTHER_FILE	1	/* created through another file */
#define KPOOL_OWNER_KERNEL	2	/* created by a kernel module */

struct kpool_ioc_pool_entry {
	__u32 pool_id;
	__u32 owner;		/* KPOOL_OWNER_* */
	__u64 block_size;
	__u64 blocks_total;
	__u64 blocks_in_use;
	char name[KPOOL_IOC_NAME_LEN];
};

/*
 * LIST copies up to @count entries into @entries and sets @count to the
 * number of pools that exist (call with count = 0 to size the buffer).
 * Entry i is written at @entries + i * @entry_size; @entry_size must be at
 * least the first version of struct kpool_ioc_pool_entry (64 bytes) and at
 * most 4096 (else -EINVAL); bytes past the kernel's entry are zeroed.
 */
struct kpool_ioc_list {
	__u32 size;
	__u32 count;		/* in: capacity; out: pools that exist */
	__u32 entry_size;	/* sizeof(struct kpool_ioc_pool_entry) */
	__u32 pad;		/* must be 0 */
	__u64 entries;		/* user pointer */
};

/*
 * INFO: the occupancy map, blocks in use in each chunk, in chunk order.
 * @nr_chunks in: capacity of @map; out: chunks that exist.
 */
struct kpool_ioc_info {
	__u32 size;
	__u32 pool_id;
	__u32 nr_chunks;
	__u32 blocks_per_chunk;	/* out */
	__u64 map;		/* user pointer to __u32[nr_chunks], out */
};

/* Growth fault injection: fail every Nth growth and/or with a probability. */
struct kpool_ioc_fault {
	__u32 size;
	__u32 pool_id;
	__u32 every_nth;	/* 0: off */
	__u32 probability_ppm;	/* 0..1000000 */
};

/*
 * Pool sets (KPOOL_FEAT_SETS): variable-size allocation routed to size
 * classes, each an ordinary pool of fixed-size blocks. A set belongs to the
 * file that created it, like a pool: close() frees its blocks and destroys
 * it. Set ids are unique among the live sets of all files; a set of
 * another file: -EPERM, an id no live set has: -ENOENT. The class pools
 * are listed by LIST (named "<set name>-<class size>", owner OTHER_FILE:
 * they belong to the set), but only the SET_* commands change them: ALLOC,
 * FREE, DESTROY, ... on a class pool's id give -EPERM.
 * Blocks of a set are named by handles from the same per-file space as
 * pool blocks; READ/WRITE reach them with KPOOL_IOC_RW_F_SET.
 * Limits: more than max_sets_per_fd sets: -ENOSPC (class pools do not
 * count against max_pools_per_fd); bytes charged against max_bytes_per_fd:
 * each class pool's reserve (min_blocks * class size) from SET_CREATE to
 * SET_DESTROY, and each live handle's class size plus the bookkeeping
 * cost. The classes are known only once the set is built: SET_CREATE
 * charges a bound, min_blocks * (max_size + page size) * 128, while it
 * builds the set, so a set whose bound does not fit fails with -ENOMEM.
 */

/*
 * SET_CREATE: classes from min_size (rounded up to align) to max_size,
 * classes_per_doubling classes per power of two above
 * align * classes_per_doubling bytes (see kpool_set.h).
 */
#define KPOOL_IOC_SET_NAME_LEN	24	/* class pools add "-<size>" */
#define KPOOL_IOC_SET_MAX_SIZE	65536
#define KPOOL_IOC_SET_MAX_CLASSES 128

struct kpool_ioc_set_create {
	__u32 size;
	__u32 flags;		/* KPOOL_IOC_F_*, for every class pool */
	__u64 min_size;		/* 1..max_size */
	__u64 max_size;		/* min_size..KPOOL_IOC_SET_MAX_SIZE */
	__u64 align;		/* 0 (8) or a power of two, 8..page size */
	__u32 classes_per_doubling; /* 0 (8) or a power of two, 1..16 */
	__u32 min_blocks;	/* reserve of every class pool */
	__u32 max_blocks;	/* cap of every class pool, 0: none */
	__u32 set_id;		/* out */
	/*
	 * NUL-terminated, 1..KPOOL_IOC_SET_NAME_LEN - 1 characters, as for
	 * pools; a class pool name in use: -EEXIST. Too many classes for
	 * the spacing: -E2BIG.
	 */
	char name[KPOOL_IOC_NAME_LEN];
};

/*
 * SET_DESTROY: only a set with no block out (else -EBUSY, and the set is
 * left as it was): free its handles first (close() frees them all).
 */
struct kpool_ioc_set {
	__u32 size;
	__u32 set_id;
};

/*
 * SET_ALLOC: @count blocks of at least @bytes bytes each, from the
 * smallest class that fits, all or nothing. @bytes 0 or above the largest
 * class: -EINVAL. @block_size reports the class size every block got.
 */
struct kpool_ioc_set_alloc {
	__u32 size;
	__u32 set_id;
	__u64 bytes;		/* 1..the largest class */
	__u32 count;		/* 1..KPOOL_IOC_MAX_BATCH */
	__u32 flags;		/* must be 0 */
	__u64 handles;		/* user pointer to __u32[count], out */
	__u64 block_size;	/* out */
};

/*
 * SET_FREE takes struct kpool_ioc_free with @pool_id naming the set and
 * follows FREE's rules: every valid handle is freed, status[i] is 0,
 * -ENOENT (a handle this file does not hold: never allocated, already
 * freed, another file's) or -EINVAL (a handle of a pool or another set).
 */

/* One class of a set, as SET_INFO reports it. */
struct kpool_ioc_set_class {
	__u64 block_size;	/* the class size */
	__u64 allocs;		/* blocks handed out through the set */
	__u64 requested_bytes;	/* sum of the sizes asked for by them */
	__u64 blocks_in_use;
	__u64 blocks_total;
	__u64 pages;
	__u64 alloc_failures;
	__u32 pool_id;		/* the class pool (LIST, debugfs) */
	__u32 pad;
};

/*
 * SET_INFO: the set's statistics, and its class table in @classes: up to
 * @nr_classes entries (in: capacity, may be 0; out: classes the set has),
 * entry i at @classes + i * @class_size. @class_size: 64 (the first
 * version of struct kpool_ioc_set_class) .. 4096, else -EINVAL; bytes past
 * the kernel's entry are zeroed. The measured internal fragmentation is
 * 1 - requested_bytes / block_bytes.
 */
struct kpool_ioc_set_info {
	__u32 size;
	__u32 set_id;
	__u32 nr_classes;	/* in: capacity; out: classes */
	__u32 class_size;	/* sizeof(struct kpool_ioc_set_class) */
	__u64 classes;		/* user pointer */
	char name[KPOOL_IOC_NAME_LEN];	/* out, and everything below */
	__u32 flags;		/* KPOOL_IOC_F_* of the class pools */
	__u32 classes_per_doubling;
	__u64 min_size;		/* the first class */
	__u64 max_size;		/* the last class */
	__u64 align;
	__u64 allocs;
	__u64 frees;
	__u64 alloc_failures;
	__u64 requested_bytes;	/* sum of the sizes asked for */
	__u64 block_bytes;	/* sum of the class sizes handed out */
	__u64 blocks_in_use;
	__u64 bytes_in_use;	/* their class sizes */
	__u64 pages;
	__u64 err_foreign;
};

/* One set, as SET_LIST reports it. */
struct kpool_ioc_set_entry {
	__u32 set_id;
	__u32 nr_classes;
	__u64 min_size;
	__u64 max_size;
	__u64 blocks_in_use;
	__u64 bytes_in_use;
	char name[KPOOL_IOC_NAME_LEN];
};

/*
 * SET_LIST takes struct kpool_ioc_list and follows LIST's rules, for the
 * sets of this file: entry_size 72 (the first version of struct
 * kpool_ioc_set_entry) .. 4096.
 */

#define KPOOL_IOC_VERSION	_IOWR(KPOOL_IOC_MAGIC, 0x00, struct kpool_ioc_version)
#define KPOOL_IOC_CREATE	_IOWR(KPOOL_IOC_MAGIC, 0x01, struct kpool_ioc_create)
#define KPOOL_IOC_DESTROY	_IOW(KPOOL_IOC_MAGIC, 0x02, struct kpool_ioc_pool)
#define KPOOL_IOC_ALLOC		_IOW(KPOOL_IOC_MAGIC, 0x03, struct kpool_ioc_alloc)
#define KPOOL_IOC_FREE		_IOWR(KPOOL_IOC_MAGIC, 0x04, struct kpool_ioc_free)
#define KPOOL_IOC_WRITE		_IOW(KPOOL_IOC_MAGIC, 0x05, struct kpool_ioc_rw)
#define KPOOL_IOC_READ		_IOW(KPOOL_IOC_MAGIC, 0x06, struct kpool_ioc_rw)
#define KPOOL_IOC_SHRINK	_IOWR(KPOOL_IOC_MAGIC, 0x07, struct kpool_ioc_pool)
#define KPOOL_IOC_STATS		_IOWR(KPOOL_IOC_MAGIC, 0x08, struct kpool_ioc_stats)
#define KPOOL_IOC_LIST		_IOWR(KPOOL_IOC_MAGIC, 0x09, struct kpool_ioc_list)
#define KPOOL_IOC_INFO		_IOWR(KPOOL_IOC_MAGIC, 0x0a, struct kpool_ioc_info)
#define KPOOL_IOC_FAULT		_IOW(KPOOL_IOC_MAGIC, 0x0b, struct kpool_ioc_fault)
#define KPOOL_IOC_SET_CREATE	_IOWR(KPOOL_IOC_MAGIC, 0x0c, struct kpool_ioc_set_create)
#define KPOOL_IOC_SET_DESTROY	_IOW(KPOOL_IOC_MAGIC, 0x0d, struct kpool_ioc_set)
#define KPOOL_IOC_SET_ALLOC	_IOWR(KPOOL_IOC_MAGIC, 0x0e, struct kpool_ioc_set_alloc)
#define KPOOL_IOC_SET_FREE	_IOWR(KPOOL_IOC_MAGIC, 0x0f, struct kpool_ioc_free)
#define KPOOL_IOC_SET_INFO	_IOWR(KPOOL_IOC_MAGIC, 0x10, struct kpool_ioc_set_info)
#define KPOOL_IOC_SET_LIST	_IOWR(KPOOL_IOC_MAGIC, 0x11, struct kpool_ioc_list)

#endif /* _UAPI_LINUX_KPOOL_H */
