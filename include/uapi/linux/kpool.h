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
 *  - a command that changes anything (CREATE, DESTROY, ALLOC, FREE, WRITE,
 *    SHRINK, FAULT and the SET_* commands but SET_INFO and SET_LIST) on a
 *    file not opened for writing: -EBADF, before its argument is read; a
 *    read-only open is a monitoring client (VERSION, LIST, READ, and STATS
 *    and INFO as its privileges allow);
 *  - unknown bits in @flags, non-zero reserved or padding fields: -EINVAL;
 *  - a bad user pointer: -EFAULT;
 *  - counts above KPOOL_IOC_MAX_BATCH or sizes that overflow: -EINVAL;
 *  - a pool id that does not exist: -ENOENT; a pool that belongs to another
 *    file or to a kernel module, used for anything but LIST/STATS/INFO:
 *    -EPERM; STATS/INFO on a pool of another file or of a kernel module
 *    need CAP_SYS_ADMIN: -EPERM;
 *  - a handle not known to this file: -ENOENT; a handle of another pool of
 *    this file: -EINVAL;
 *  - per-file limits (module parameters of kpool_dev, see "Limits").
 *
 * Pools created through a file belong to it: close() frees their blocks and
 * destroys them. Blocks are named by handles (non-zero integers up to
 * INT_MAX, unique among the file's live handles), never by addresses; a
 * freed handle is unknown (-ENOENT) at least until its slot in the file's
 * table has been reused 2047 times.
 *
 * No command waits for another's user memory: READ and WRITE copy without
 * holding the file's lock, so a buffer that faults slowly (userfaultfd,
 * FUSE, NFS) holds up no other command of the file. A FREE of a handle
 * whose block a READ or WRITE is copying kills the handle at once
 * (-ENOENT from then on); the block goes back to its pool when the last
 * copy ends, and until then it counts as out (STATS.blocks_in_use,
 * SET_DESTROY's -EBUSY). DESTROY kills its pool's handles at once and
 * returns once such copies end. READ and WRITE of one block in several
 * threads at once race as threads on shared memory do.
 *
 * Name spaces: pool and set names are unique per file. Pools and sets of
 * different files, and the pools of kernel modules, never collide: a file
 * can never make another file's CREATE or SET_CREATE, nor a module's
 * kpool_create(), fail. LIST tells them apart by id and owner kind (the
 * debugfs directory of a user pool is "<name>@<id>"). Pool and set ids are
 * allocated cyclically: an id is not given to a new pool (set) right after
 * its pool (set) is destroyed.
 *
 * Limits (kpool_dev's module parameters; a refusal logs a rate-limited
 * message naming the parameter):
 *  - max_pools_per_fd: pools of a file, the class pools of its sets
 *    included (-ENOSPC); max_sets_per_fd: its sets (-ENOSPC);
 *  - max_bytes_per_fd: the memory a file pins (-ENOMEM), charged at chunk
 *    granularity: every page its pools and its sets' class pools hold (the
 *    reserve included: STATS.pages), the metadata of each pool
 *    (STATS.meta_bytes: the pool, its per-CPU area over every possible
 *    CPU, the chunk headers) and of each set (SET_INFO.meta_bytes), and the
 *    file's handle table (allocated 512 handles at a time). A pool is
 *    charged by whole chunks before an ALLOC that may grow it past its
 *    charge, and settled to what it holds after every ALLOC that made it
 *    grow (within the charge too: blocks freed on one CPU may wait in that
 *    CPU's cache while an ALLOC on another grows the pool; past the caps
 *    such an ALLOC fails with -ENOMEM and takes nothing) and when it
 *    shrinks: STATS.charged_bytes, never below pages * page size +
 *    meta_bytes when the call returns. An ALLOC past a
 *    pool's max_blocks fails with -ENOMEM before the pool is asked (it is
 *    not counted in the pool's alloc_failures);
 *  - max_bytes_total: the same charges of all files together (-ENOMEM);
 *  - chunk order: an explicit CREATE order above 3
 *    (PAGE_ALLOC_COSTLY_ORDER) needs CAP_SYS_ADMIN; without it the pool is
 *    built with the automatic order instead (STATS.chunk_order says which);
 *  - handles: at most KPOOL_IOC_MAX_HANDLES live handles per file
 *    (-ENOSPC).
 * Everything a file causes the kernel to allocate is also charged to the
 * opener's memory cgroup (__GFP_ACCOUNT).
 */
#ifndef _UAPI_LINUX_KPOOL_H
#define _UAPI_LINUX_KPOOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KPOOL_IOC_MAGIC		0xBB	/* unused in ioctl-number.rst (6.12) */
#define KPOOL_ABI_VERSION	1
#define KPOOL_IOC_NAME_LEN	32
#define KPOOL_IOC_MAX_BATCH	4096
#define KPOOL_IOC_MAX_HANDLES	(1U << 20)	/* live handles per file */

/* kpool_ioc_version.features */
#define KPOOL_FEAT_BATCH	(1ULL << 0)
#define KPOOL_FEAT_RW		(1ULL << 1)
#define KPOOL_FEAT_OCCUPANCY	(1ULL << 2)
#define KPOOL_FEAT_FAULT	(1ULL << 3)
#define KPOOL_FEAT_SETS		(1ULL << 4)	/* the SET_* commands */
/* the limits above: pages charged, per-file names, open mode honoured */
#define KPOOL_FEAT_CHARGE_PAGES	(1ULL << 5)
#define KPOOL_FEAT_OPEN_MODE	(1ULL << 6)
#define KPOOL_FEAT_NAME_SPACES	(1ULL << 7)
#define KPOOL_FEAT_RCU_STATS	(1ULL << 8)	/* kpool_ioc_stats.rcu_* */

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
	 * [A-Za-z0-9_.:-], not starting with '.'; unique among the live
	 * pools of this file (else -EEXIST).
	 */
	char name[KPOOL_IOC_NAME_LEN];
	/* since KPOOL_FEAT_NAME_SPACES: */
	__u64 boundary;		/* 0, or a power of two no block crosses */
};

/* DESTROY and SHRINK */
struct kpool_ioc_pool {
	__u32 size;
	__u32 pool_id;
	__u64 result;		/* out, SHRINK: pages returned */
};

/*
 * ALLOC: all or nothing. The handles are written before the blocks are
 * taken: a call that fails may leave values in @handles that are no
 * handles of the file.
 */
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

/*
 * The event counters, each listed once with what it counts: X(name,
 * offset) is a __u64 at byte @offset of struct kpool_ioc_stats. The kpool
 * core derives its counters from this list (struct kpool_stats, debugfs,
 * the kpool_error tracepoint's names of errors), kpoolctl its names.
 *
 * Counters count since the pool was created; each is a sum over CPUs that
 * may lag concurrent operations by a few events. cache_hits + cache_misses
 * is every allocation tried. frees also counts the blocks a failed bulk
 * allocation gives back, and a block of rcu_frees once its grace period is
 * over. faults_injected counts every growth made to fail: FAULT,
 * kpool_set_fault(), kpool's fail_grow_every parameter and a pool's
 * fail_grow fault_attr. The struct grew twice, so the counters come
 * in three runs; the offsets are the ABI (kpool_dev and the tools check
 * them when they are built): the list is never reordered, a new counter is
 * a new run at the end of a grown struct.
 */
#define KPOOL_IOC_STATS_EVENTS_V1(X)					\
	X(allocs, 160)		/* blocks handed out, bulk included */	\
	X(frees, 168)		/* blocks given back, bulk included */	\
	X(bulk_allocs, 176)	/* bulk allocation calls that succeeded */ \
	X(bulk_frees, 184)	/* bulk free calls */			\
	X(alloc_failures, 192)	/* allocation calls that failed */	\
	X(waits, 200)		/* allocations that slept for a free */	\
	X(grows, 208)		/* chunks carved, the reserve's included */ \
	X(grow_failures, 216)	/* growths failed, injected faults included */ \
	X(shrinks, 224)		/* chunks given back */			\
	X(reserve_allocs, 232)	/* blocks taken from the reserve */	\
	X(cache_hits, 240)	/* allocations served by the CPU's cache */ \
	X(cache_misses, 248)	/* allocations that took the slow path */ \
	X(faults_injected, 256)	/* growths failed on purpose (above) */	\
	X(err_double_free, 264)	/* frees of blocks not allocated */	\
	X(err_foreign, 272)	/* frees of memory not the pool's */	\
	X(err_misaligned, 280)	/* frees of a pointer not a block's start */ \
	X(err_poison, 288)	/* debug pools: free blocks found written */ \
	X(err_redzone, 296)	/* debug pools: red zones found damaged */
/* since KPOOL_FEAT_CHARGE_PAGES: */
#define KPOOL_IOC_STATS_EVENTS_V2(X)					\
	X(drains, 344)		/* drains of every CPU's cache asked for */ \
	X(steals, 352)		/* blocks taken from another CPU's cache */ \
	X(grow_reclaims, 360)	/* growths allowed direct reclaim */
/* since KPOOL_FEAT_RCU_STATS: */
#define KPOOL_IOC_STATS_EVENTS_V3(X)					\
	X(rcu_frees, 384)	/* blocks kpool_free_rcu() accepted */
#define KPOOL_IOC_STATS_EVENTS(X)					\
	KPOOL_IOC_STATS_EVENTS_V1(X)					\
	KPOOL_IOC_STATS_EVENTS_V2(X)					\
	KPOOL_IOC_STATS_EVENTS_V3(X)

#define __KPOOL_IOC_STATS_EVENT(name, offset)	__u64 name;

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

	KPOOL_IOC_STATS_EVENTS_V1(__KPOOL_IOC_STATS_EVENT)
	/* since KPOOL_FEAT_CHARGE_PAGES: */
	__u64 boundary;		/* 0, or the power of two no block crosses */
	__u64 meta_per_chunk;	/* out-of-line metadata of each chunk */
	__u64 percpu_bytes;	/* the per-CPU area, every possible CPU */
	__u64 meta_bytes;	/* all of the pool's metadata */
	__u64 charged_bytes;	/* charged to this file for the pool, or 0 */

	KPOOL_IOC_STATS_EVENTS_V2(__KPOOL_IOC_STATS_EVENT)
	__s32 node;		/* NUMA node of the chunks, or -1 */
	__u32 reserved;		/* 0 */
	/* since KPOOL_FEAT_RCU_STATS: */
	__u64 blocks_rcu_pending; /* freed with kpool_free_rcu(), not yet free */

	KPOOL_IOC_STATS_EVENTS_V3(__KPOOL_IOC_STATS_EVENT)
};

/* kpool_ioc_pool_entry.owner */
#define KPOOL_OWNER_SELF	0	/* created through this file */
#define KPOOL_OWNER_OTHER_FILE	1	/* created through another file */
#define KPOOL_OWNER_KERNEL	2	/* created by a kernel module */

/* kpool_ioc_pool_entry.flags */
#define KPOOL_ENTRY_F_CLASS	(1U << 0)	/* a class pool of a set */
#define KPOOL_ENTRY_F_REDACTED	(1U << 1)	/* counts withheld (zero) */

/*
 * @owner says whose the pool is: a class pool of a set is its set's
 * owner's (with KPOOL_ENTRY_F_CLASS). Names are unique per owner only, so
 * a name may appear more than once; @pool_id tells the pools apart.
 */
struct kpool_ioc_pool_entry {
	__u32 pool_id;
	__u32 owner;		/* KPOOL_OWNER_* */
	__u64 block_size;
	__u64 blocks_total;	/* 0 when KPOOL_ENTRY_F_REDACTED */
	__u64 blocks_in_use;	/* 0 when KPOOL_ENTRY_F_REDACTED */
	char name[KPOOL_IOC_NAME_LEN];
	/* since KPOOL_FEAT_NAME_SPACES: */
	__u32 flags;		/* KPOOL_ENTRY_F_* */
	__u32 reserved;		/* 0 */
};

/*
 * LIST copies up to @count entries into @entries and sets @count to the
 * number of pools that exist (call with count = 0 to size the buffer).
 * Entry i is written at @entries + i * @entry_size; @entry_size must be at
 * least the first version of struct kpool_ioc_pool_entry (64 bytes) and at
 * most 4096 (else -EINVAL); bytes past the kernel's entry are zeroed.
 * A caller without CAP_SYS_ADMIN sees only what STATS would give it: the
 * counts of its own pools (and of its sets' class pools); those of every
 * other pool are withheld (KPOOL_ENTRY_F_REDACTED).
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
 * it. Set ids are unique among the live sets of all files (and allocated
 * cyclically); a set of another file: -EPERM, an id no live set has:
 * -ENOENT. The class pools are listed by LIST (named "<set name>-<class
 * size>", with KPOOL_ENTRY_F_CLASS and the set's owner), but only the
 * SET_* commands change them: ALLOC, FREE, DESTROY, ... on a class pool's
 * id give -EPERM.
 * Blocks of a set are named by handles from the same per-file space as
 * pool blocks; READ/WRITE reach them with KPOOL_IOC_RW_F_SET.
 * Limits: more than max_sets_per_fd sets: -ENOSPC; each class pool counts
 * against max_pools_per_fd (-ENOSPC); max_bytes_per_fd is charged for the
 * set's metadata and every page and the metadata of its class pools, as
 * for pools (see Limits above; SET_INFO.charged_bytes).
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
	 * pools; unique among the live sets of this file (else -EEXIST). Too
	 * many classes for the spacing: -E2BIG.
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
	/* since KPOOL_FEAT_CHARGE_PAGES: */
	__u64 meta_bytes;	/* the set's own tables (not its pools') */
	__u64 charged_bytes;	/* charged to this file for the set */
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
