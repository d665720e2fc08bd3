// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_dev - /dev/kpool, the user-space interface of kpool
 *
 * A separate module on top of the exported API of kpool.ko, as i2c-dev is
 * on top of i2c-core. It registers the misc device /dev/kpool and
 * implements the ioctls of include/uapi/linux/kpool.h.
 *
 * Ioctl dispatch
 * --------------
 * Commands are dispatched on _IOC_TYPE and _IOC_NR through kpool_dev_cmds[]
 * (the index clamped with array_index_nospec()); the size and direction
 * bits of the number are ignored. A command that changes anything needs a
 * file opened for writing (FMODE_WRITE, else -EBADF before the argument is
 * read). Every argument struct starts with a __u32 size: it is read with
 * get_user() and the struct with copy_struct_from_user() into a kernel
 * copy on the stack, so older (shorter) structs are zero-extended and newer
 * (longer) ones are accepted only with a zero tail. Results are copied back
 * with at most min(user size, kernel size) bytes.
 *
 * Ownership and names
 * -------------------
 * Pools created through a file belong to it: struct kpool_params.owner is
 * the file's struct kpool_file, so their names are the file's own name
 * space (the core keeps names unique per owner), and so are its sets'
 * (kpool_set does the same). The file keeps its pools in its own xarray,
 * indexed by the core's global pool id, and its sets likewise under set
 * ids from kpool_dev_set_ids (cyclic, global, to tell another file's set,
 * -EPERM, from none, -ENOENT). Only the owning file may use its pools and
 * sets for anything but LIST; every other pool is reached only through
 * kpool_with_id()/kpool_for_each(): for LIST by anyone (its counts only
 * with CAP_SYS_ADMIN, checked against the opener's credentials) and for
 * STATS/INFO with CAP_SYS_ADMIN. release() frees the file's blocks and
 * destroys its sets and pools.
 *
 * Handles
 * -------
 * Blocks are named by handles, never by addresses. A file's handles index
 * a flat table of slots (struct kpool_dev_slot: block, home, generation),
 * allocated KPOOL_DEV_CHUNK_SLOTS slots at a time under a fixed directory,
 * so slots never move. A handle is the slot index in its low
 * KPOOL_DEV_IDX_BITS bits and the slot's generation above them: freeing a
 * slot bumps its generation, so a stale handle is -ENOENT until the slot
 * has been reused KPOOL_DEV_GEN_MAX times. Free slots form a LIFO stack
 * threaded through the slots themselves. A batch takes the file's lock
 * once, moves the charge once and calls the pool's bulk functions once; no
 * per-block allocation, no global lock.
 *
 * User copies
 * -----------
 * kf->lock is never held across a user access that may fault: a fault may
 * take as long as its page takes to come (userfaultfd, FUSE, NFS), and
 * every data command of the file would wait for it.
 *  - READ and WRITE copy with no lock held: under it they find the slot
 *    and take a reference to it (struct kpool_dev_slot.users), which keeps
 *    the block out of its pool until the copy ends. FREE (or DESTROY) of
 *    the handle meanwhile kills the handle at once (-ENOENT from then on)
 *    and leaves the block to the last copy, which gives it back
 *    (kpool_dev_slot_unref()). DESTROY waits, without the locks, until
 *    such blocks of its pool are back. close() cannot meet a copy: an
 *    ioctl in flight holds a reference to the file.
 *  - ALLOC and SET_ALLOC write their handles (and block size) before they
 *    take anything, with page faults disabled under the lock; a page that
 *    is not there makes them drop the lock, write the same bytes with
 *    faults allowed, and start over (kpool_dev_alloc_in()).
 *  - CREATE and SET_CREATE report under kf->admin only, before the pool or
 *    set is published; the other commands copy before locking or after
 *    unlocking.
 *
 * Locking and lifetimes
 * ---------------------
 *  - kpool_file.admin (mutex): CREATE, DESTROY, SET_CREATE and SET_DESTROY
 *    of one file run one at a time; it guards the pool and set counts.
 *  - kpool_file.lock (mutex): the handle table, each pool's and class's
 *    charge state, and the file's pools and sets xarrays as far as data
 *    commands see them: a pool or set is published in (and removed from)
 *    them under it, and ALLOC, FREE, READ, WRITE, SHRINK, STATS, INFO, ...
 *    use a pool or set of the file only while holding it, so it cannot be
 *    destroyed under them. The block copies of READ and WRITE run without
 *    it, on a reference to the block's slot (User copies, above); a slot's
 *    reference count drops to zero only under it.
 * Lock order: admin, then lock, then the kpool registry mutex
 * (kpool_create(), kpool_destroy(), kpool_with_id()), then kpool_set_lock
 * (kpool_set_cookie_owner()); nothing here is taken inside a
 * kpool_with_id()/kpool_for_each() callback.
 *
 * Charges
 * -------
 * max_bytes_per_fd caps what a file pins, max_bytes_total what all files
 * pin together (atomic counters, no lock). Each pool is charged by whole
 * chunks: struct kpool_dev_acct holds the bytes charged for it, which
 * cover its metadata and some number of chunks, and the number of blocks
 * (@covered) that may be out before the pool has to grow past that. An
 * ALLOC that stays within @covered charges nothing; one that goes past it
 * charges the chunks it may need first, then settles the charge to what
 * the pool holds after the call (kpool_get_stats(): pages and metadata).
 * A pool may grow within @covered too: an allocation takes this CPU's
 * magazine and the depot before the free blocks other CPUs' magazines
 * hold, so blocks freed on one CPU do not stop an ALLOC on another from
 * growing the pool. Every ALLOC therefore compares the pool's chunks
 * (kpool_nr_chunks()) with those charged, and one that made it grow past
 * them settles as above (and fails with -ENOMEM, undone, past the caps).
 * SHRINK settles down; DESTROY and close() give everything back. A set is
 * charged its own tables (kpool_set_meta_bytes()) and each class pool as
 * above; each class pool counts against max_pools_per_fd. The handle table
 * is charged as it grows. Everything is also allocated with
 * __GFP_ACCOUNT/GFP_KERNEL_ACCOUNT, for the opener's memory cgroup; user
 * pools are created with __GFP_ZERO and KPOOL_F_ZERO so READ never shows
 * stale kernel data. An explicit chunk order above PAGE_ALLOC_COSTLY_ORDER
 * needs CAP_SYS_ADMIN (else the automatic order is used). An ALLOC that
 * would pass a pool's max_blocks fails at once with -ENOMEM, before the
 * core is asked (the file holds every block of its pools, so the count is
 * exact): no wait, no drain of other CPUs' magazines.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/math64.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/numa.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <uapi/linux/kpool.h>
#include "kpool.h"
#include "kpool_registry.h"
#include "kpool_set.h"

/* Larger argument structs are refused, not scanned for a zero tail. */
#define KPOOL_DEV_MAX_ARG_SIZE	SZ_4K
/* LIST entry_size limits: the first entry version .. KPOOL_DEV_MAX_ARG_SIZE */
#define KPOOL_DEV_ENTRY_SIZE_VER0 \
	offsetofend(struct kpool_ioc_pool_entry, name)
/* ...and of SET_LIST entries and SET_INFO class entries */
#define KPOOL_DEV_SET_ENTRY_SIZE_VER0 \
	offsetofend(struct kpool_ioc_set_entry, name)
#define KPOOL_DEV_SET_CLASS_SIZE_VER0 \
	offsetofend(struct kpool_ioc_set_class, pad)
#define KPOOL_DEV_FEATURES	(KPOOL_FEAT_BATCH | KPOOL_FEAT_RW | \
				 KPOOL_FEAT_OCCUPANCY | KPOOL_FEAT_FAULT | \
				 KPOOL_FEAT_SETS | KPOOL_FEAT_CHARGE_PAGES | \
				 KPOOL_FEAT_OPEN_MODE | KPOOL_FEAT_NAME_SPACES | \
				 KPOOL_FEAT_RCU_STATS)
/*
 * ALLOC uses kpool_alloc_bulk(), which never waits for a free; growth for
 * user space may reclaim but never invokes the OOM killer.
 */
#define KPOOL_DEV_ALLOC_GFP	(GFP_KERNEL | __GFP_NORETRY)
/*
 * Pools for user space: charged to the opener's memory cgroup; zeroed
 * chunks and blocks, so no stale kernel data is ever readable.
 */
#define KPOOL_DEV_POOL_GFP	(__GFP_ACCOUNT | __GFP_ZERO)
#define KPOOL_DEV_SET_ID_LIMIT	XA_LIMIT(1, INT_MAX)

/* Handles: slot index below KPOOL_DEV_IDX_BITS, generation above. */
#define KPOOL_DEV_IDX_BITS	20
#define KPOOL_DEV_IDX_MASK	(KPOOL_IOC_MAX_HANDLES - 1)
#define KPOOL_DEV_GEN_MAX	((1U << (31 - KPOOL_DEV_IDX_BITS)) - 1)
#define KPOOL_DEV_CHUNK_SLOTS	512
#define KPOOL_DEV_DIR_SIZE	(KPOOL_IOC_MAX_HANDLES / KPOOL_DEV_CHUNK_SLOTS)
#define KPOOL_DEV_NO_SLOT	U32_MAX
/* Batches up to this many blocks use arrays on the stack. */
#define KPOOL_DEV_STACK_BATCH	16
/* Tries of an ALLOC whose report met a page that was not there. */
#define KPOOL_DEV_REPORT_TRIES	4

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "permissions of /dev/kpool (default 0600)");

static unsigned long max_bytes_per_fd = SZ_64M;
module_param(max_bytes_per_fd, ulong, 0644);
MODULE_PARM_DESC(max_bytes_per_fd,
		 "bytes of pool pages and metadata one open file may pin (default 64 MiB)");

static unsigned long max_bytes_total = SZ_1G;
module_param(max_bytes_total, ulong, 0644);
MODULE_PARM_DESC(max_bytes_total,
		 "bytes of pool pages and metadata all open files may pin (default 1 GiB)");

/* The bytes all files have charged. */
static atomic64_t kpool_dev_total = ATOMIC64_INIT(0);

static unsigned int max_pools_per_fd = 256;
module_param(max_pools_per_fd, uint, 0644);
MODULE_PARM_DESC(max_pools_per_fd,
		 "pools one open file may own, its sets' class pools included (default 256)");

static unsigned int max_sets_per_fd = 16;
module_param(max_sets_per_fd, uint, 0644);
MODULE_PARM_DESC(max_sets_per_fd,
		 "pool sets one open file may own (default 16)");

/*
 * The id of every live set of every file -> the file that owns it (only
 * compared, never dereferenced). Its xa_lock guards it and the cursor.
 */
static DEFINE_XARRAY_ALLOC1(kpool_dev_set_ids);
static u32 kpool_dev_next_set_id;

/**
 * struct kpool_dev_slot - one entry of a file's handle table
 * @addr: the block, or NULL when the slot is free.
 * @home: the struct kpool_dev_pool or kpool_dev_set of the block.
 * @next: free slots: the index of the next free slot.
 * @users: slots with a block: one reference for its handle, until the
 *	handle is freed, and one for each READ or WRITE copying the block;
 *	the last one gives the block back. Taken only under kf->lock.
 * @gen: the generation of the handle that names the slot now.
 * @class: blocks of a set: their class.
 * @set: @home is a struct kpool_dev_set.
 * @dead: the handle was freed while READ or WRITE calls copied the block:
 *	no lookup finds the slot; the last copy gives the block back.
 */
struct kpool_dev_slot {
	void *addr;
	void *home;
	union {
		u32 next;
		refcount_t users;
	};
	u16 gen;
	u8 class;
	u8 set:1;
	u8 dead:1;
};

/**
 * struct kpool_dev_table - a file's handles
 * @dir: KPOOL_DEV_DIR_SIZE pointers to chunks of KPOOL_DEV_CHUNK_SLOTS
 *	slots, allocated at the first ALLOC; chunks never move.
 * @nr_chunks: chunks allocated.
 * @free: the first free slot, or KPOOL_DEV_NO_SLOT.
 * @nr_free: free slots.
 */
struct kpool_dev_table {
	struct kpool_dev_slot **dir;
	u32 nr_chunks;
	u32 free;
	u32 nr_free;
};

/**
 * struct kpool_dev_acct - what a file is charged for one pool
 * @pool: the pool (a pool of the file, or a class pool of its set).
 * @charged: bytes charged to the file for it.
 * @base: its metadata that does not grow with it (struct, per-CPU area).
 * @chunk_cost: bytes of one chunk: its pages and its metadata.
 * @per_chunk: blocks per chunk.
 * @reserve: its min_blocks.
 * @max_blocks: its cap, 0 for none.
 * @covered: blocks that may be out before it grows past @charged.
 * @chunks: chunks @charged pays for.
 * @out: blocks the file holds (at most KPOOL_IOC_MAX_HANDLES), those of
 *	freed handles still being copied included; read without kf->lock
 *	by a DESTROY waiting for them.
 */
struct kpool_dev_acct {
	struct kpool *pool;
	u64 charged;
	u64 base;
	u64 chunk_cost;
	u32 per_chunk;
	u32 reserve;
	u32 max_blocks;
	u64 covered;
	u64 chunks;
	u32 out;
};

/**
 * struct kpool_file - state of one open file of /dev/kpool
 * @admin: serialises CREATE, DESTROY, SET_CREATE and SET_DESTROY; guards
 *	@nr_pools and @nr_sets.
 * @lock: guards @table, @pools and @sets as data commands see them, and
 *	every struct kpool_dev_acct of the file (see Locking).
 * @pools: pool id -> struct kpool_dev_pool, the pools this file owns.
 * @nr_pools: its pools, its sets' class pools included.
 * @sets: set id -> struct kpool_dev_set, the sets this file owns.
 * @nr_sets: number of entries in @sets; changed under both locks.
 * @table: the handle table.
 * @charged: bytes charged against max_bytes_per_fd.
 * @released: a DESTROY waits here for the blocks of its pool that READ or
 *	WRITE calls still copy; woken when one of them goes back.
 */
struct kpool_file {
	struct mutex admin;		/* pool and set creation, counts */
	struct mutex lock;		/* table, accts, data commands */
	struct xarray pools;
	unsigned int nr_pools;
	struct xarray sets;
	unsigned int nr_sets;
	struct kpool_dev_table table;
	atomic64_t charged;
	wait_queue_head_t released;
};

/**
 * struct kpool_dev_pool - a pool owned by an open file
 * @acct: its charge state, @acct.pool the core's pool.
 * @block_size: bytes of each block that READ/WRITE may access.
 * @dying: DESTROY runs: no command finds the pool (changed under kf->lock).
 */
struct kpool_dev_pool {
	struct kpool_dev_acct acct;
	size_t block_size;
	bool dying;
};

/**
 * struct kpool_dev_set - a pool set owned by an open file
 * @set: the set.
 * @id: its set id.
 * @meta: bytes of its own tables, charged from SET_CREATE to SET_DESTROY.
 * @nr_classes: entries of @classes.
 * @classes: the charge state of each class pool.
 */
struct kpool_dev_set {
	struct kpool_set *set;
	u32 id;
	u64 meta;
	unsigned int nr_classes;
	struct kpool_dev_acct classes[];
};

/**
 * struct kpool_dev_call - one ioctl call
 * @kf: the file's state.
 * @file: the file, for capability checks against its opener.
 * @uarg: the user's argument struct.
 * @usize: its size as user space gave it.
 * @ksize: the size of the kernel's version of the struct.
 */
struct kpool_dev_call {
	struct kpool_file *kf;
	const struct file *file;
	void __user *uarg;
	u32 usize;
	u32 ksize;
};

/* Does the opener of @call's file have CAP_SYS_ADMIN? */
static bool kpool_dev_admin(const struct kpool_dev_call *call)
{
	return file_ns_capable(call->file, &init_user_ns, CAP_SYS_ADMIN);
}

/* A limit @param refused a request: say so (rate-limited). */
static void kpool_dev_refused(const char *param)
{
	pr_warn_ratelimited("%s[%d]: %s reached\n", current->comm,
			    task_pid_nr(current), param);
}

/*
 * Charge @bytes to the file and to the global total, or to neither.
 * Return: 0, or -ENOMEM (reported, naming the cap).
 */
static int kpool_dev_charge(struct kpool_file *kf, u64 bytes)
{
	u64 fd_limit = min_t(u64, READ_ONCE(max_bytes_per_fd), S64_MAX / 4);
	u64 limit = min_t(u64, READ_ONCE(max_bytes_total), S64_MAX / 4);

	if (!bytes)
		return 0;
	if (bytes > fd_limit ||
	    (u64)atomic64_add_return(bytes, &kf->charged) > fd_limit) {
		if (bytes <= fd_limit)
			atomic64_sub(bytes, &kf->charged);
		kpool_dev_refused("max_bytes_per_fd");
		return -ENOMEM;
	}
	if (bytes > limit ||
	    (u64)atomic64_add_return(bytes, &kpool_dev_total) > limit) {
		if (bytes <= limit)
			atomic64_sub(bytes, &kpool_dev_total);
		atomic64_sub(bytes, &kf->charged);
		kpool_dev_refused("max_bytes_total");
		return -ENOMEM;
	}
	return 0;
}

static void kpool_dev_uncharge(struct kpool_file *kf, u64 bytes)
{
	atomic64_sub(bytes, &kf->charged);
	atomic64_sub(bytes, &kpool_dev_total);
}

/* Copy the result struct back: at most min(user size, kernel size). */
static int kpool_dev_copy_out(const struct kpool_dev_call *call,
			      const void *arg)
{
	if (copy_to_user(call->uarg, arg, min(call->usize, call->ksize)))
		return -EFAULT;
	return 0;
}

/*
 * A snapshot of @pool's statistics, kmalloc()ed (struct kpool_stats is
 * large for the stack): kfree() it. NULL without memory.
 */
static struct kpool_stats *kpool_dev_get_stats(struct kpool *pool)
{
	struct kpool_stats *st = kmalloc_obj(*st, GFP_KERNEL);

	if (st)
		kpool_get_stats(pool, st);
	return st;
}

/* ---- charges of pools ---------------------------------------------------- */

/* Recompute @acct->covered from its charge (see Charges). */
static void kpool_dev_acct_cover(struct kpool_dev_acct *acct)
{
	u64 chunks = 0, blocks;

	if (acct->charged > acct->base && acct->chunk_cost)
		chunks = div64_u64(acct->charged - acct->base, acct->chunk_cost);
	blocks = chunks * acct->per_chunk;
	acct->covered = blocks > acct->reserve ? blocks - acct->reserve : 0;
	acct->chunks = chunks;
}

/* Has @acct's pool grown past the chunks its charge pays for? */
static bool kpool_dev_grew(const struct kpool_dev_acct *acct)
{
	return kpool_nr_chunks(acct->pool) > acct->chunks;
}

/* How kpool_dev_settle() may move a charge. */
enum kpool_dev_settle_mode {
	KPOOL_DEV_SETTLE_UP,	/* raise it within the caps, never lower it */
	KPOOL_DEV_SETTLE_EXACT,	/* raise it within the caps, or lower it */
	KPOOL_DEV_SETTLE_FORCE,	/* make it exact, past the caps if need be */
};

/*
 * Settle @acct's charge to what its pool holds now (its pages and its
 * metadata), as @how allows.
 * With @kf NULL only the geometry is read (no charge moves).
 * Context: kf->lock held (or the acct not yet published).
 * Return: 0, or -ENOMEM if the pool holds more than the caps allow (then
 * the charge is unchanged, except with KPOOL_DEV_SETTLE_FORCE).
 */
static int kpool_dev_settle(struct kpool_file *kf, struct kpool_dev_acct *acct,
			    enum kpool_dev_settle_mode how)
{
	struct kpool_stats *st;
	u64 held;
	int ret = 0;

	st = kpool_dev_get_stats(acct->pool);
	if (!st)
		return -ENOMEM;
	held = (st->pages << PAGE_SHIFT) + st->meta_bytes;
	acct->chunk_cost = (PAGE_SIZE << st->chunk_order) + st->meta_per_chunk;
	acct->base = st->meta_bytes - st->chunks * st->meta_per_chunk;
	acct->per_chunk = st->blocks_per_chunk;
	acct->reserve = st->min_blocks;
	acct->max_blocks = st->max_blocks;
	kfree(st);
	if (!kf)		/* a probe: the geometry only */
		return 0;
	if (held > acct->charged) {
		if (how == KPOOL_DEV_SETTLE_FORCE) {
			atomic64_add(held - acct->charged, &kf->charged);
			atomic64_add(held - acct->charged, &kpool_dev_total);
		} else {
			ret = kpool_dev_charge(kf, held - acct->charged);
		}
		if (!ret)
			acct->charged = held;
	} else if (how != KPOOL_DEV_SETTLE_UP && held < acct->charged) {
		kpool_dev_uncharge(kf, acct->charged - held);
		acct->charged = held;
	}
	kpool_dev_acct_cover(acct);
	return ret;
}

/*
 * An ALLOC failed or was undone: give back the precharge, and what the
 * pool can give back if it holds more than the caps allow; the charge is
 * exact afterwards.
 */
static void kpool_dev_settle_back(struct kpool_file *kf,
				  struct kpool_dev_acct *acct)
{
	if (!kpool_dev_settle(kf, acct, KPOOL_DEV_SETTLE_EXACT))
		return;
	kpool_shrink(acct->pool);
	kpool_dev_settle(kf, acct, KPOOL_DEV_SETTLE_FORCE);
}

/*
 * Before @n more blocks go out of @acct's pool and past what is covered:
 * charge the whole chunks the pool may have to carve for them.
 */
static int kpool_dev_precharge(struct kpool_file *kf,
			       struct kpool_dev_acct *acct, u32 n)
{
	u64 need = acct->out + n - acct->covered;
	u64 chunks = DIV_ROUND_UP_ULL(need, max(acct->per_chunk, 1U));
	int ret;

	ret = kpool_dev_charge(kf, chunks * acct->chunk_cost);
	if (ret)
		return ret;
	acct->charged += chunks * acct->chunk_cost;
	kpool_dev_acct_cover(acct);
	return 0;
}

/* Give back everything charged for @acct. */
static void kpool_dev_acct_release(struct kpool_file *kf,
				   struct kpool_dev_acct *acct)
{
	kpool_dev_uncharge(kf, acct->charged);
	acct->charged = 0;
}

/* ---- the handle table ---------------------------------------------------- */

static struct kpool_dev_slot *kpool_dev_slot(struct kpool_dev_table *t,
					     u32 idx)
{
	return &t->dir[idx / KPOOL_DEV_CHUNK_SLOTS][idx % KPOOL_DEV_CHUNK_SLOTS];
}

/* The slot index of @handle. */
static u32 kpool_dev_idx(u32 handle)
{
	return handle & KPOOL_DEV_IDX_MASK;
}

/* The handle that names slot @idx now. */
static u32 kpool_dev_handle(const struct kpool_dev_slot *s, u32 idx)
{
	return (u32)s->gen << KPOOL_DEV_IDX_BITS | idx;
}

/* The bytes a table with @nr_chunks chunks is charged. */
static u64 kpool_dev_table_bytes(u32 nr_chunks)
{
	if (!nr_chunks)
		return 0;
	return KPOOL_DEV_DIR_SIZE * sizeof(void *) +
	       (u64)nr_chunks * KPOOL_DEV_CHUNK_SLOTS *
	       sizeof(struct kpool_dev_slot);
}

/* Add one chunk of free slots. Context: kf->lock held. */
static int kpool_dev_table_grow(struct kpool_file *kf)
{
	struct kpool_dev_table *t = &kf->table;
	u64 bytes = kpool_dev_table_bytes(t->nr_chunks + 1) -
		    kpool_dev_table_bytes(t->nr_chunks);
	struct kpool_dev_slot *chunk;
	u32 i, base;
	int ret;

	if (t->nr_chunks == KPOOL_DEV_DIR_SIZE) {
		kpool_dev_refused("KPOOL_IOC_MAX_HANDLES");
		return -ENOSPC;
	}
	ret = kpool_dev_charge(kf, bytes);
	if (ret)
		return ret;
	if (!t->dir) {
		t->dir = kvcalloc(KPOOL_DEV_DIR_SIZE, sizeof(*t->dir),
				  GFP_KERNEL_ACCOUNT);
		if (!t->dir)
			goto uncharge;
	}
	chunk = kvcalloc(KPOOL_DEV_CHUNK_SLOTS, sizeof(*chunk),
			 GFP_KERNEL_ACCOUNT);
	if (!chunk)
		goto uncharge;
	base = t->nr_chunks * KPOOL_DEV_CHUNK_SLOTS;
	/* the lowest index on top of the stack */
	for (i = KPOOL_DEV_CHUNK_SLOTS; i--; ) {
		chunk[i].gen = 1;
		chunk[i].next = t->free;
		t->free = base + i;
	}
	t->dir[t->nr_chunks++] = chunk;
	t->nr_free += KPOOL_DEV_CHUNK_SLOTS;
	return 0;

uncharge:
	kpool_dev_uncharge(kf, bytes);
	return -ENOMEM;
}

/* Make sure @n slots are free. Context: kf->lock held. */
static int kpool_dev_table_reserve(struct kpool_file *kf, u32 n)
{
	int ret;

	while (kf->table.nr_free < n) {
		ret = kpool_dev_table_grow(kf);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The handles the next @n kpool_dev_slot_take() calls give, in order (@n
 * slots are free). Context: kf->lock held.
 */
static void kpool_dev_table_peek(struct kpool_dev_table *t, u32 *handles,
				 u32 n)
{
	struct kpool_dev_slot *s;
	u32 i, idx = t->free;

	for (i = 0; i < n; i++) {
		s = kpool_dev_slot(t, idx);
		handles[i] = kpool_dev_handle(s, idx);
		idx = s->next;
	}
}

/*
 * Put slot @idx on the free stack: the handle that named it is dead from
 * now on. Context: kf->lock held.
 */
static void kpool_dev_slot_put(struct kpool_dev_table *t, u32 idx)
{
	struct kpool_dev_slot *s = kpool_dev_slot(t, idx);

	s->addr = NULL;
	s->home = NULL;
	s->dead = 0;
	s->gen = s->gen == KPOOL_DEV_GEN_MAX ? 1 : s->gen + 1;
	s->next = t->free;
	t->free = idx;
	t->nr_free++;
}

/*
 * The live slot @handle names, if it belongs to @home.
 * Context: kf->lock held.
 * Return: the slot, ERR_PTR(-ENOENT) for a handle this file does not hold,
 * ERR_PTR(-EINVAL) for a handle of another pool or set.
 */
static struct kpool_dev_slot *kpool_dev_slot_find(struct kpool_dev_table *t,
						  const void *home, u32 handle)
{
	u32 idx = kpool_dev_idx(handle);
	u32 gen = handle >> KPOOL_DEV_IDX_BITS;
	struct kpool_dev_slot *s;

	if (!gen || gen > KPOOL_DEV_GEN_MAX ||
	    idx >= t->nr_chunks * KPOOL_DEV_CHUNK_SLOTS)
		return ERR_PTR(-ENOENT);
	idx = array_index_nospec(idx, t->nr_chunks * KPOOL_DEV_CHUNK_SLOTS);
	s = kpool_dev_slot(t, idx);
	if (!s->addr || s->dead || s->gen != gen)
		return ERR_PTR(-ENOENT);
	if (s->home != home)
		return ERR_PTR(-EINVAL);
	return s;
}

static void kpool_dev_table_destroy(struct kpool_file *kf)
{
	struct kpool_dev_table *t = &kf->table;
	u32 i;

	kpool_dev_uncharge(kf, kpool_dev_table_bytes(t->nr_chunks));
	for (i = 0; i < t->nr_chunks; i++)
		kvfree(t->dir[i]);
	kvfree(t->dir);
	memset(t, 0, sizeof(*t));
}

/* ---- blocks -------------------------------------------------------------- */

/**
 * struct kpool_dev_home - where blocks come from: a pool or a set's class
 * @home: the struct kpool_dev_pool or kpool_dev_set, as slots record it.
 * @dp: the pool, or NULL for a set.
 * @ds: the set, or NULL for a pool.
 * @acct: the charge state of the pool or class.
 * @class: the class (sets).
 * @size: the block size.
 */
struct kpool_dev_home {
	void *home;
	struct kpool_dev_pool *dp;
	struct kpool_dev_set *ds;
	struct kpool_dev_acct *acct;
	u8 class;
	size_t size;
};

static void kpool_dev_pool_home(struct kpool_dev_home *h,
				struct kpool_dev_pool *dp)
{
	*h = (struct kpool_dev_home){
		.home = dp,
		.dp = dp,
		.acct = &dp->acct,
		.size = dp->block_size,
	};
}

static void kpool_dev_set_home(struct kpool_dev_home *h,
			       struct kpool_dev_set *ds, unsigned int class)
{
	*h = (struct kpool_dev_home){
		.home = ds,
		.ds = ds,
		.acct = &ds->classes[class],
		.class = class,
		.size = kpool_set_class_size(ds->set, class),
	};
}

/* The home of the block in slot @s (of a pool or a set). */
static void kpool_dev_slot_home(struct kpool_dev_home *h,
				const struct kpool_dev_slot *s)
{
	if (s->set)
		kpool_dev_set_home(h, s->home, s->class);
	else
		kpool_dev_pool_home(h, s->home);
}

/* Return @n blocks of @h to their pool. Context: kf->lock held. */
static void kpool_dev_put_blocks(const struct kpool_dev_home *h, u32 n,
				 void **addrs)
{
	u32 i;

	/* a refused free is reported and counted by the core itself */
	if (h->dp && n == 1) {
		kpool_free(h->acct->pool, addrs[0]);	/* the single-block path */
	} else if (h->dp) {
		kpool_free_bulk(h->acct->pool, n, addrs);
	} else {
		for (i = 0; i < n; i++)
			kpool_set_free_sized(h->ds->set, addrs[i], h->size);
	}
	/* a DESTROY waiting for its pool's blocks reads it without the lock */
	WRITE_ONCE(h->acct->out, h->acct->out - n);
}

/*
 * Give the block @addr of @h slot @idx (a free one), referenced by its
 * handle alone. Context: kf->lock held.
 */
static void kpool_dev_slot_take(struct kpool_dev_table *t, u32 idx,
				const struct kpool_dev_home *h, void *addr)
{
	struct kpool_dev_slot *s = kpool_dev_slot(t, idx);

	t->free = s->next;
	t->nr_free--;
	s->addr = addr;
	s->home = h->home;
	s->class = h->class;
	s->set = !!h->ds;
	refcount_set(&s->users, 1);
}

/*
 * Free the handle of slot @s: no lookup finds the slot from now on.
 * Return: true if its block may go back now (the caller gives it back and
 * puts the slot), false if READ or WRITE calls still copy it: the last of
 * them does that (kpool_dev_slot_unref()).
 * Context: kf->lock held.
 */
static bool kpool_dev_slot_kill(struct kpool_dev_slot *s)
{
	if (refcount_dec_and_test(&s->users))
		return true;
	s->dead = 1;
	return false;
}

/*
 * Give the block of slot @idx back to its pool and the slot to the free
 * stack. Context: kf->lock held; the slot's last reference is gone.
 */
static void kpool_dev_slot_release(struct kpool_file *kf, u32 idx)
{
	struct kpool_dev_slot *s = kpool_dev_slot(&kf->table, idx);
	struct kpool_dev_home h;
	void *addr = s->addr;

	kpool_dev_slot_home(&h, s);
	kpool_dev_slot_put(&kf->table, idx);
	kpool_dev_put_blocks(&h, 1, &addr);
}

/*
 * A READ or WRITE is done with the block of slot @idx: drop its reference
 * (kpool_dev_rw()). When the handle was freed meanwhile and this was the
 * last copy, give the block back and wake a DESTROY waiting for it.
 */
static void kpool_dev_slot_unref(struct kpool_file *kf,
				 struct kpool_dev_slot *s, u32 idx)
{
	/* down to 1 without the lock; to 0 only under it, as in slot_kill() */
	if (!refcount_dec_and_mutex_lock(&s->users, &kf->lock))
		return;
	kpool_dev_slot_release(kf, idx);
	wake_up_all(&kf->released);
	mutex_unlock(&kf->lock);
}

/*
 * Free every block this file holds of @home (a pool or set of the file),
 * or all of them when @home is NULL; a block being copied goes back when
 * its last copy ends.
 * Context: kf->lock held, or release().
 */
static void kpool_dev_free_home(struct kpool_file *kf, const void *home)
{
	struct kpool_dev_table *t = &kf->table;
	struct kpool_dev_slot *s;
	u32 idx;

	for (idx = 0; idx < t->nr_chunks * KPOOL_DEV_CHUNK_SLOTS; idx++) {
		s = kpool_dev_slot(t, idx);
		if (s->addr && !s->dead && (!home || s->home == home) &&
		    kpool_dev_slot_kill(s))
			kpool_dev_slot_release(kf, idx);
		if (!(idx % KPOOL_DEV_CHUNK_SLOTS))
			cond_resched();
	}
}

/*
 * Write @n handles, and @block_size when @ublock_size is not NULL, to user
 * space. With @may_fault false page faults are disabled: the caller holds
 * kf->lock, which never waits for a user fault (User copies).
 * Return: 0, or -EFAULT.
 */
static int kpool_dev_report(u32 __user *uhandles, const u32 *handles, u32 n,
			    u64 __user *ublock_size, u64 block_size,
			    bool may_fault)
{
	int ret = 0;

	if (!may_fault)
		pagefault_disable();
	if (ublock_size)
		ret = put_user(block_size, ublock_size);
	/* one handle: put_user() is a fraction of copy_to_user() */
	if (!ret && n == 1)
		ret = put_user(handles[0], uhandles);
	else if (!ret && copy_to_user(uhandles, handles, n * sizeof(*handles)))
		ret = -EFAULT;
	if (!may_fault)
		pagefault_enable();
	return ret;
}

/*
 * Allocate @n blocks of @h (of @bytes each, for a set), all or nothing,
 * and hand their handles to user space at @uhandles (and the block size at
 * @ublock_size, for a set). The handles are written first, with page
 * faults disabled, and published last: a failed call leaves at most
 * handles the file does not know in @uhandles. Within the blocks covered
 * by @h's charge nothing is charged and the pool is not asked for its
 * statistics unless it grew; past them, whole chunks are charged first and
 * the charge is settled to what the pool holds before the handles go out.
 * @addrs and @handles have room for @n entries.
 * Context: kf->lock held.
 * Return: 0; -EFAULT when a page of the report was not there (nothing was
 * taken); -ENOMEM, -ENOSPC.
 */
static int kpool_dev_take(struct kpool_file *kf,
			  const struct kpool_dev_home *h, size_t bytes, u32 n,
			  void **addrs, u32 *handles, u32 __user *uhandles,
			  u64 __user *ublock_size)
{
	struct kpool_dev_acct *acct = h->acct;
	bool slow;
	u32 i;
	int ret;

	if (acct->max_blocks && acct->out + n > acct->max_blocks)
		return -ENOMEM;
	ret = kpool_dev_table_reserve(kf, n);
	if (ret)
		return ret;
	kpool_dev_table_peek(&kf->table, handles, n);
	ret = kpool_dev_report(uhandles, handles, n, ublock_size, h->size,
			       false);
	if (ret)
		return ret;
	slow = acct->out + n > acct->covered;
	if (slow) {
		ret = kpool_dev_precharge(kf, acct, n);
		if (ret)
			return ret;
	}
	if (h->ds)
		ret = kpool_set_alloc_bulk(h->ds->set, bytes, KPOOL_DEV_ALLOC_GFP,
					   n, addrs);
	else
		ret = kpool_alloc_bulk(acct->pool, KPOOL_DEV_ALLOC_GFP, n, addrs);
	if (ret)
		goto settle;
	WRITE_ONCE(acct->out, acct->out + n);
	/* within the charge too, when other CPUs' magazines hold its blocks */
	if (slow || kpool_dev_grew(acct)) {
		slow = true;
		ret = kpool_dev_settle(kf, acct, KPOOL_DEV_SETTLE_EXACT);
		if (ret)
			goto put;
	}
	/* the slots kpool_dev_table_peek() saw, in the same order */
	for (i = 0; i < n; i++)
		kpool_dev_slot_take(&kf->table, kpool_dev_idx(handles[i]), h,
				    addrs[i]);
	return 0;

put:
	kpool_dev_put_blocks(h, n, addrs);
settle:
	if (slow)
		kpool_dev_settle_back(kf, acct);
	return ret;
}

/*
 * Free each handle of @handles that names a block of @home (a pool, or a
 * set when @set); record the error of each bad one in @status (when not
 * NULL). The blocks of a pool go back in bulk, KPOOL_DEV_STACK_BATCH at a
 * time; a block being copied goes back when its last copy ends.
 * Context: kf->lock held.
 * Return: 0, or the error of the first bad handle.
 */
static int kpool_dev_drop(struct kpool_file *kf, void *home, bool set,
			  const u32 *handles, s32 *status, u32 count,
			  u32 *freed)
{
	void *addrs[KPOOL_DEV_STACK_BATCH];
	struct kpool_dev_slot *s;
	struct kpool_dev_home h;
	u32 i, n = 0;
	int ret = 0;

	/* a pool's blocks all have the same home; a set's by their class */
	if (!set)
		kpool_dev_pool_home(&h, home);
	for (i = 0; i < count; i++) {
		s = kpool_dev_slot_find(&kf->table, home, handles[i]);
		if (IS_ERR(s)) {
			if (!ret)
				ret = PTR_ERR(s);
			if (status)
				status[i] = PTR_ERR(s);
			continue;
		}
		(*freed)++;
		if (!kpool_dev_slot_kill(s))
			continue;
		if (set)
			kpool_dev_set_home(&h, home, s->class);
		addrs[n++] = s->addr;
		kpool_dev_slot_put(&kf->table, kpool_dev_idx(handles[i]));
		if (set || n == ARRAY_SIZE(addrs)) {
			kpool_dev_put_blocks(&h, n, addrs);
			n = 0;
		}
	}
	if (n)
		kpool_dev_put_blocks(&h, n, addrs);
	return ret;
}

/* ---- pools and sets of the file ------------------------------------------ */

/*
 * kpool_with_id() callback: the pool exists but is not in the file's
 * table. One the file is creating right now (@arg) does not exist yet.
 */
static int kpool_dev_deny(struct kpool *pool, void *arg)
{
	return kpool_owner(pool) == arg ? -ENOENT : -EPERM;
}

/* Why pool @id is none of this file's: -EPERM, or -ENOENT for no pool. */
static int kpool_dev_not_mine(struct kpool_file *kf, u32 id)
{
	return kpool_with_id(id, kpool_dev_deny, kf);
}

/* Why set @id is none of this file's: -EPERM, or -ENOENT for no set. */
static int kpool_dev_set_not_mine(struct kpool_file *kf, u32 id)
{
	void *owner = xa_load(&kpool_dev_set_ids, id);

	return owner && owner != kf ? -EPERM : -ENOENT;
}

/*
 * The file's pool @id (its set @id when @set is true), or NULL; a pool
 * being destroyed is none. Context: kf->lock held.
 */
static void *kpool_dev_find_home(struct kpool_file *kf, u32 id, bool set)
{
	struct kpool_dev_pool *dp;

	if (set)
		return xa_load(&kf->sets, id);
	dp = xa_load(&kf->pools, id);
	return dp && !dp->dying ? dp : NULL;
}

/*
 * Lock the file and find its pool @id, or its set @id when @set is true.
 * Return: the struct kpool_dev_pool or kpool_dev_set with kf->lock held
 * (the caller unlocks it), or an ERR_PTR(): -EPERM for a pool or set of
 * another owner, -ENOENT for none, -EINTR.
 */
static void *kpool_dev_lock_home(struct kpool_file *kf, u32 id, bool set)
{
	void *home;

	if (mutex_lock_killable(&kf->lock))
		return ERR_PTR(-EINTR);
	home = kpool_dev_find_home(kf, id, set);
	if (home)
		return home;
	mutex_unlock(&kf->lock);
	return ERR_PTR(set ? kpool_dev_set_not_mine(kf, id) :
			     kpool_dev_not_mine(kf, id));
}

static struct kpool_dev_pool *kpool_dev_lock_pool(struct kpool_file *kf,
						  u32 id)
{
	return kpool_dev_lock_home(kf, id, false);
}

static struct kpool_dev_set *kpool_dev_lock_set(struct kpool_file *kf, u32 id)
{
	return kpool_dev_lock_home(kf, id, true);
}

/*
 * DESTROY and SET_DESTROY: kpool_dev_lock_home() with kf->admin taken
 * first; on success the caller unlocks both.
 */
static void *kpool_dev_lock_admin_home(struct kpool_file *kf, u32 id,
				       bool set)
{
	void *home;

	if (mutex_lock_killable(&kf->admin))
		return ERR_PTR(-EINTR);
	home = kpool_dev_lock_home(kf, id, set);
	if (IS_ERR(home))
		mutex_unlock(&kf->admin);
	return home;
}

/*
 * The charge state of pool @id if it is a class pool of one of this
 * file's sets, else NULL.
 * Context: kf->lock held.
 */
static struct kpool_dev_acct *kpool_dev_own_class(struct kpool_file *kf,
						  u32 id)
{
	struct kpool_dev_set *ds;
	unsigned long set_id;
	unsigned int i;

	xa_for_each(&kf->sets, set_id, ds)
		for (i = 0; i < ds->nr_classes; i++)
			if (kpool_id(ds->classes[i].pool) == id)
				return &ds->classes[i];
	return NULL;
}

/*
 * Run @fn on pool @id for a read-only command (STATS, INFO): a pool of
 * this file or a class pool of one of its sets under kf->lock (then
 * *@charged is what the file is charged for it); any other pool under the
 * registry mutex and only if the opener of @call's file has CAP_SYS_ADMIN
 * (then *@charged is 0).
 */
static int kpool_dev_read_pool(const struct kpool_dev_call *call, u32 id,
			       int (*fn)(struct kpool *pool, void *arg),
			       void *arg, u64 *charged)
{
	struct kpool_file *kf = call->kf;
	struct kpool_dev_acct *acct;
	struct kpool_dev_pool *dp;
	int ret;

	*charged = 0;
	if (mutex_lock_killable(&kf->lock))
		return -EINTR;
	dp = kpool_dev_find_home(kf, id, false);
	acct = dp ? &dp->acct : kpool_dev_own_class(kf, id);
	if (acct) {
		ret = fn(acct->pool, arg);
		*charged = acct->charged;
		mutex_unlock(&kf->lock);
		return ret;
	}
	mutex_unlock(&kf->lock);
	ret = kpool_dev_not_mine(kf, id);
	if (ret != -EPERM)
		return ret;
	if (!kpool_dev_admin(call))
		return -EPERM;
	return kpool_with_id(id, fn, arg);
}

/*
 * kpool_dev_snapshot - copy a list whose length may change into a buffer
 * @fill: fills up to @nr elements of @buf and returns how many exist, or a
 *	negative errno; called with @buf NULL and @nr 0 to count.
 * @ctx: passed to @fill.
 * @elem_size: size of one element.
 * @cap: the most elements the caller wants.
 * @bufp: out, a kvmalloc'ed buffer (or NULL) to kvfree().
 *
 * Counts, then fills a zeroed buffer of min(@cap, count) elements, and
 * retries with a larger buffer while the list grew past the buffer and
 * @cap allows more. Each retry strictly grows the buffer up to @cap.
 *
 * Return: the number of elements that exist; *@bufp then holds
 * min(that, @cap) of them. A negative errno on failure.
 */
static long kpool_dev_snapshot(long (*fill)(void *ctx, void *buf, u32 nr),
			       void *ctx, size_t elem_size, u32 cap,
			       void **bufp)
{
	void *buf = NULL;
	long total;
	u32 nr = 0;

	for (;;) {
		total = fill(ctx, buf, nr);
		if (total <= nr || nr == cap)
			break;
		kvfree(buf);
		nr = min_t(long, cap, total);
		buf = kvcalloc(nr, elem_size,
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!buf)
			return -ENOMEM;
	}
	if (total < 0) {
		kvfree(buf);
		return total;
	}
	*bufp = buf;
	return total;
}

static long kpool_dev_version(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_version *v = data;

	v->abi_version = KPOOL_ABI_VERSION;
	v->features = KPOOL_DEV_FEATURES;
	v->max_batch = KPOOL_IOC_MAX_BATCH;
	v->max_name_len = KPOOL_IOC_NAME_LEN;
	return kpool_dev_copy_out(call, v);
}

static int kpool_dev_check_create(const struct kpool_ioc_create *c)
{
	if (c->flags & ~KPOOL_IOC_F_ALL)
		return -EINVAL;
	/*
	 * kpool_create() checks the parameters, the name (NUL-terminated
	 * within its array) included; these bounds keep the casts exact.
	 */
	if (c->block_size < KPOOL_MIN_BLOCK_SIZE ||
	    c->block_size > KPOOL_MAX_BLOCK_SIZE || c->align > PAGE_SIZE ||
	    c->boundary > (PAGE_SIZE << KPOOL_MAX_ORDER) ||
	    (c->order != KPOOL_ORDER_AUTO &&
	     (c->order < 0 || c->order > KPOOL_MAX_ORDER)))
		return -EINVAL;
	return 0;
}

/* The kpool flags of a pool (or a set's class pools) made for user space. */
static unsigned int kpool_dev_pool_flags(u32 ioc_flags)
{
	return KPOOL_F_ZERO | (ioc_flags & KPOOL_IOC_F_DEBUG ? KPOOL_F_DEBUG : 0);
}

/*
 * Would @more pools or sets pass @limit (@param)? Say so (rate-limited).
 */
static bool kpool_dev_at_limit(unsigned int nr, unsigned int more,
			       unsigned int limit, const char *param)
{
	if (nr + more <= limit && nr + more >= nr)
		return false;
	kpool_dev_refused(param);
	return true;
}

/*
 * What a pool built with @params and its reserve will pin, known before it
 * is built: the geometry of a probe pool without reserve (same parameters,
 * an owner cookie of its own, so no name collides) gives the chunk cost
 * and the blocks per chunk; the reserve takes whole chunks.
 */
static int kpool_dev_reserve_bound(const struct kpool_params *params,
				   u64 *bytes)
{
	struct kpool_params probe_params = *params;
	struct kpool_dev_acct probe = {};
	u64 chunks;
	int ret;

	*bytes = 0;
	if (!params->min_blocks)
		return 0;
	probe_params.min_blocks = 0;
	probe_params.owner = &probe;
	probe.pool = kpool_create(&probe_params);
	if (IS_ERR(probe.pool))
		return PTR_ERR(probe.pool);
	/* no charge moves: @probe.charged stays 0 and the pool holds no page */
	ret = kpool_dev_settle(NULL, &probe, KPOOL_DEV_SETTLE_UP);
	kpool_destroy(probe.pool);
	if (ret)
		return ret;
	chunks = DIV_ROUND_UP_ULL(params->min_blocks, max(probe.per_chunk, 1U));
	if (check_mul_overflow(chunks, probe.chunk_cost, bytes) ||
	    check_add_overflow(*bytes, probe.base, bytes)) {
		kpool_dev_refused("max_bytes_per_fd");
		return -ENOMEM;
	}
	return 0;
}

/*
 * Build a pool of the file and charge it exactly. Context: kf->admin held.
 */
static int kpool_dev_build_pool(const struct kpool_dev_call *call,
				struct kpool_ioc_create *c,
				struct kpool_dev_pool *dp)
{
	struct kpool_file *kf = call->kf;
	struct kpool_params params = {
		.name = c->name,
		.block_size = c->block_size,
		.align = c->align,
		.min_blocks = c->min_blocks,
		.max_blocks = c->max_blocks,
		.node = NUMA_NO_NODE,
		.gfp = KPOOL_DEV_POOL_GFP,
		.flags = kpool_dev_pool_flags(c->flags),
		.order = c->order,
		.owner = kf,
		.boundary = c->boundary,
	};
	u64 bound;
	int ret;

	/* large chunks pin much for few blocks: for the privileged only */
	if (params.order > PAGE_ALLOC_COSTLY_ORDER && !kpool_dev_admin(call))
		params.order = KPOOL_ORDER_AUTO;
	if (kpool_dev_at_limit(kf->nr_pools, 1, READ_ONCE(max_pools_per_fd),
			       "max_pools_per_fd"))
		return -ENOSPC;
	ret = kpool_dev_reserve_bound(&params, &bound);
	if (!ret)
		ret = kpool_dev_charge(kf, bound);
	if (ret)
		return ret;
	dp->acct.pool = kpool_create(&params);
	if (IS_ERR(dp->acct.pool)) {
		kpool_dev_uncharge(kf, bound);
		return PTR_ERR(dp->acct.pool);
	}
	/* the bound becomes the exact charge */
	dp->acct.charged = bound;
	ret = kpool_dev_settle(kf, &dp->acct, KPOOL_DEV_SETTLE_EXACT);
	if (ret) {
		kpool_destroy(dp->acct.pool);
		kpool_dev_acct_release(kf, &dp->acct);
	}
	return ret;
}

/*
 * CREATE and SET_CREATE: report the new pool or set (@arg, with its id
 * @id), then publish @home under @id in @xa and count it in *@nr: no
 * command sees it before. Context: kf->admin held.
 */
static int kpool_dev_publish(const struct kpool_dev_call *call, void *arg,
			     struct xarray *xa, u32 id, void *home,
			     unsigned int *nr)
{
	struct kpool_file *kf = call->kf;
	int ret;

	ret = kpool_dev_copy_out(call, arg);
	if (ret)
		return ret;
	mutex_lock(&kf->lock);
	ret = xa_insert(xa, id, home, GFP_KERNEL_ACCOUNT);
	if (!ret)
		(*nr)++;
	mutex_unlock(&kf->lock);
	return ret;
}

static long kpool_dev_create(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_create *c = data;
	struct kpool_file *kf = call->kf;
	struct kpool_dev_pool *dp;
	int ret;

	ret = kpool_dev_check_create(c);
	if (ret)
		return ret;
	dp = kzalloc_obj(*dp, GFP_KERNEL_ACCOUNT);
	if (!dp)
		return -ENOMEM;
	dp->block_size = c->block_size;
	if (mutex_lock_killable(&kf->admin)) {
		ret = -EINTR;
		goto free;
	}
	ret = kpool_dev_build_pool(call, c, dp);
	if (ret)
		goto unlock_admin;
	c->pool_id = kpool_id(dp->acct.pool);
	ret = kpool_dev_publish(call, c, &kf->pools, c->pool_id, dp,
				&kf->nr_pools);
	if (ret) {
		kpool_destroy(dp->acct.pool);
		kpool_dev_acct_release(kf, &dp->acct);
		goto unlock_admin;
	}
	mutex_unlock(&kf->admin);
	return 0;

unlock_admin:
	mutex_unlock(&kf->admin);
free:
	kfree(dp);
	return ret;
}

static long kpool_dev_destroy(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_pool *p = data;
	struct kpool_file *kf = call->kf;
	struct kpool_dev_pool *dp;
	int ret;

	dp = kpool_dev_lock_admin_home(kf, p->pool_id, false);
	if (IS_ERR(dp))
		return PTR_ERR(dp);
	dp->dying = true;
	kpool_dev_free_home(kf, dp);
	if (dp->acct.out) {
		/*
		 * READ or WRITE calls copy blocks of the pool: wait for them
		 * to give them back, without the locks (a DESTROY of the
		 * same id meanwhile finds no pool). Killed, the pool stays
		 * dying until release().
		 */
		mutex_unlock(&kf->lock);
		mutex_unlock(&kf->admin);
		if (wait_event_killable(kf->released, !READ_ONCE(dp->acct.out)) ||
		    mutex_lock_killable(&kf->admin))
			return -EINTR;
		mutex_lock(&kf->lock);
	}
	ret = kpool_destroy(dp->acct.pool);
	if (!ret)
		xa_erase(&kf->pools, p->pool_id);
	else
		dp->dying = false;
	mutex_unlock(&kf->lock);
	if (!ret) {
		kpool_dev_acct_release(kf, &dp->acct);
		kfree(dp);
		kf->nr_pools--;
	}
	mutex_unlock(&kf->admin);
	return ret;
}

/*
 * The class of @set that serves requests of @bytes: the smallest class
 * that fits (classes grow with their index). -1 if none.
 */
static int kpool_dev_set_class_for(const struct kpool_set *set, u64 bytes)
{
	unsigned int lo = 0, hi = kpool_set_nr_classes(set), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (kpool_set_class_size(set, mid) < bytes)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < kpool_set_nr_classes(set) ? lo : -1;
}

/*
 * Where ALLOC or SET_ALLOC takes blocks from: pool @home, or the class of
 * set @home (@set) that serves requests of @bytes (-EINVAL if none).
 */
static int kpool_dev_alloc_home(struct kpool_dev_home *h, void *home,
				bool set, u64 bytes)
{
	int class;

	if (!set) {
		kpool_dev_pool_home(h, home);
		return 0;
	}
	class = kpool_dev_set_class_for(((struct kpool_dev_set *)home)->set,
					bytes);
	if (class < 0)
		return -EINVAL;
	kpool_dev_set_home(h, home, class);
	return 0;
}

/*
 * ALLOC (@set false) and SET_ALLOC (@set true: @id is a set id, @bytes
 * the request size, @ublock_size where the class size goes). Under
 * kf->lock the report is written with page faults disabled, before
 * anything is taken; when a page of it is not there, the same report is
 * written with the lock dropped (which brings the page in, or fails with
 * -EFAULT) and the call starts over.
 */
static long kpool_dev_alloc_in(const struct kpool_dev_call *call, u32 id,
			       bool set, u64 bytes, u32 n, u64 handles_ptr,
			       u64 __user *ublock_size)
{
	u32 __user *uhandles = u64_to_user_ptr(handles_ptr);
	void *stack_addrs[KPOOL_DEV_STACK_BATCH];
	u32 stack_handles[KPOOL_DEV_STACK_BATCH];
	void **addrs = stack_addrs;
	u32 *handles = stack_handles;
	struct kpool_dev_home h;
	unsigned int tries = 0;
	void *home;
	int ret;

	if (n > KPOOL_DEV_STACK_BATCH) {
		ret = -ENOMEM;
		addrs = kvmalloc_array(n, sizeof(*addrs), GFP_KERNEL);
		handles = kvmalloc_array(n, sizeof(*handles), GFP_KERNEL);
		if (!addrs || !handles)
			goto out;
	}
	do {
		home = kpool_dev_lock_home(call->kf, id, set);
		if (IS_ERR(home)) {
			ret = PTR_ERR(home);
			break;
		}
		ret = kpool_dev_alloc_home(&h, home, set, bytes);
		if (!ret)
			ret = kpool_dev_take(call->kf, &h, bytes, n, addrs,
					     handles, uhandles, ublock_size);
		mutex_unlock(&call->kf->lock);
		if (ret != -EFAULT ||
		    kpool_dev_report(uhandles, handles, n, ublock_size, h.size,
				     true))
			break;
	} while (++tries < KPOOL_DEV_REPORT_TRIES);
out:
	if (addrs != stack_addrs)
		kvfree(addrs);
	if (handles != stack_handles)
		kvfree(handles);
	return ret;
}

static long kpool_dev_alloc(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_alloc *a = data;

	if (a->flags || !a->count || a->count > KPOOL_IOC_MAX_BATCH)
		return -EINVAL;
	return kpool_dev_alloc_in(call, a->pool_id, false, 0, a->count,
				  a->handles, NULL);
}

/* FREE (@set false) and SET_FREE (@set true: @f->pool_id is a set id). */
static long kpool_dev_free_in(const struct kpool_dev_call *call,
			      struct kpool_ioc_free *f, bool set)
{
	s32 __user *ustatus = u64_to_user_ptr(f->status);
	size_t status_bytes = array_size(f->count, sizeof(s32));
	u32 stack_handles[KPOOL_DEV_STACK_BATCH];
	u32 *handles = stack_handles;
	s32 *status = NULL;
	void *home;
	int ret;

	if (f->flags || f->pad || !f->count || f->count > KPOOL_IOC_MAX_BATCH)
		return -EINVAL;
	if (f->count == 1) {
		if (get_user(handles[0], (u32 __user *)u64_to_user_ptr(f->handles)))
			return -EFAULT;
	} else if (f->count <= KPOOL_DEV_STACK_BATCH) {
		if (copy_from_user(handles, u64_to_user_ptr(f->handles),
				   f->count * sizeof(*handles)))
			return -EFAULT;
	} else {
		handles = vmemdup_array_user(u64_to_user_ptr(f->handles),
					     f->count, sizeof(*handles));
		if (IS_ERR(handles))
			return PTR_ERR(handles);
	}
	if (ustatus) {
		ret = -ENOMEM;
		status = kvzalloc(status_bytes, GFP_KERNEL | __GFP_NOWARN);
		if (!status)
			goto out;
		ret = -EFAULT;
		if (clear_user(ustatus, status_bytes))
			goto out;
	}

	home = kpool_dev_lock_home(call->kf, f->pool_id, set);
	if (IS_ERR(home)) {
		ret = PTR_ERR(home);
		goto out;
	}
	f->freed = 0;
	ret = kpool_dev_drop(call->kf, home, set, handles, status, f->count,
			     &f->freed);
	mutex_unlock(&call->kf->lock);

	if (status && copy_to_user(ustatus, status, status_bytes))
		ret = -EFAULT;
	/* the only output field: within every size accepted */
	if (put_user(f->freed,
		     &((struct kpool_ioc_free __user *)call->uarg)->freed))
		ret = -EFAULT;
out:
	kvfree(status);
	if (handles != stack_handles)
		kvfree(handles);
	return ret;
}

static long kpool_dev_free(const struct kpool_dev_call *call, void *data)
{
	return kpool_dev_free_in(call, data, false);
}

static long kpool_dev_rw(const struct kpool_dev_call *call,
			 const struct kpool_ioc_rw *rw, bool write)
{
	void __user *ubuf = u64_to_user_ptr(rw->buf);
	bool set = rw->flags & KPOOL_IOC_RW_F_SET;
	struct kpool_file *kf = call->kf;
	struct kpool_dev_slot *s;
	struct kpool_dev_home h;
	unsigned long left;
	void *home, *block;
	u64 end;
	int ret;

	if (rw->flags & ~KPOOL_IOC_RW_F_SET)
		return -EINVAL;
	home = kpool_dev_lock_home(kf, rw->pool_id, set);
	if (IS_ERR(home))
		return PTR_ERR(home);
	s = kpool_dev_slot_find(&kf->table, home, rw->handle);
	if (IS_ERR(s)) {
		ret = PTR_ERR(s);
		goto unlock;
	}
	kpool_dev_slot_home(&h, s);
	ret = -EINVAL;
	if (check_add_overflow(rw->offset, rw->len, &end) || end > h.size)
		goto unlock;
	/* the handle's reference keeps a live slot's count above zero */
	ret = -ENOENT;
	if (!refcount_inc_not_zero(&s->users))
		goto unlock;
	block = s->addr + rw->offset;
	mutex_unlock(&kf->lock);

	/* a reference, not the lock: the block stays out until we are done */
	if (write)
		left = copy_from_user(block, ubuf, rw->len);
	else
		left = copy_to_user(ubuf, block, rw->len);
	kpool_dev_slot_unref(kf, s, kpool_dev_idx(rw->handle));
	return left ? -EFAULT : 0;

unlock:
	mutex_unlock(&kf->lock);
	return ret;
}

static long kpool_dev_write(const struct kpool_dev_call *call, void *data)
{
	return kpool_dev_rw(call, data, true);
}

static long kpool_dev_read(const struct kpool_dev_call *call, void *data)
{
	return kpool_dev_rw(call, data, false);
}

static long kpool_dev_shrink(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_pool *p = data;
	struct kpool_dev_pool *dp;

	dp = kpool_dev_lock_pool(call->kf, p->pool_id);
	if (IS_ERR(dp))
		return PTR_ERR(dp);
	p->result = kpool_shrink(dp->acct.pool);
	kpool_dev_settle(call->kf, &dp->acct, KPOOL_DEV_SETTLE_FORCE);
	mutex_unlock(&call->kf->lock);
	return kpool_dev_copy_out(call, p);
}

static u32 kpool_dev_ioc_flags(unsigned int flags)
{
	return (flags & KPOOL_F_ZERO ? KPOOL_IOC_F_ZERO : 0) |
	       (flags & KPOOL_F_DEBUG ? KPOOL_IOC_F_DEBUG : 0) |
	       (flags & KPOOL_F_NO_SHRINK ? KPOOL_IOC_F_NO_SHRINK : 0);
}

/**
 * struct kpool_dev_event - where STATS copies one event counter
 * @ioc: its offset in struct kpool_ioc_stats (the ABI's).
 * @pool: its offset in struct kpool_stats.
 */
struct kpool_dev_event {
	u16 ioc;
	u16 pool;
};

/* The uapi's counters, each from the core's counter of the same name. */
#define KPOOL_DEV_EVENT(name, offset) { offset, offsetof(struct kpool_stats, name) },
static const struct kpool_dev_event kpool_dev_events[] = {
	KPOOL_IOC_STATS_EVENTS(KPOOL_DEV_EVENT)
};

/* kpool_dev_read_pool() callback of STATS: @arg is the ioctl struct. */
static int kpool_dev_fill_stats(struct kpool *pool, void *arg)
{
	const struct kpool_dev_event *ev;
	struct kpool_ioc_stats *out = arg;
	struct kpool_stats *st = kpool_dev_get_stats(pool);

	if (!st)
		return -ENOMEM;
	strscpy(out->name, st->name, sizeof(out->name));
	out->pool_id = st->id;
	out->flags = kpool_dev_ioc_flags(st->flags);
	out->node = st->node;
	out->chunk_order = st->chunk_order;
	out->block_size = st->block_size;
	out->block_stride = st->block_stride;
	out->align = st->align;
	out->boundary = st->boundary;
	out->blocks_per_chunk = st->blocks_per_chunk;
	out->chunks = st->chunks;
	out->pages = st->pages;
	out->blocks_total = st->blocks_total;
	out->blocks_in_use = st->blocks_in_use;
	out->blocks_free = st->blocks_free;
	out->blocks_rcu_pending = st->blocks_rcu_pending;
	out->blocks_reserved = st->blocks_reserved;
	out->min_blocks = st->min_blocks;
	out->max_blocks = st->max_blocks;
	out->high_watermark = st->high_watermark;
	out->wasted_per_chunk = st->wasted_per_chunk;
	out->meta_per_chunk = st->meta_per_chunk;
	out->percpu_bytes = st->percpu_bytes;
	out->meta_bytes = st->meta_bytes;
	for (ev = kpool_dev_events; ev < kpool_dev_events + ARRAY_SIZE(kpool_dev_events); ev++)
		memcpy((void *)out + ev->ioc, (void *)st + ev->pool, sizeof(u64));
	kfree(st);
	return 0;
}

static long kpool_dev_stats(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_stats *s = data;
	u32 id = s->pool_id;
	u64 charged;
	int ret;

	/* Only @size and @pool_id are input; start the output from zero. */
	memset(s, 0, sizeof(*s));
	s->size = call->usize;
	ret = kpool_dev_read_pool(call, id, kpool_dev_fill_stats, s, &charged);
	if (ret)
		return ret;
	s->charged_bytes = charged;
	return kpool_dev_copy_out(call, s);
}

/**
 * struct kpool_dev_list_item - one pool as LIST collects it
 * @e: the entry user space gets.
 * @owner: the pool's owner cookie; only compared, never dereferenced.
 */
struct kpool_dev_list_item {
	struct kpool_ioc_pool_entry e;
	const void *owner;
};

/**
 * struct kpool_dev_list_walk - state of one LIST pass over the registry
 * @items: room for @nr items (NULL when @nr is 0).
 * @nr: capacity of @items.
 * @found: pools seen so far.
 */
struct kpool_dev_list_walk {
	struct kpool_dev_list_item *items;
	u32 nr;
	long found;
};

/*
 * kpool_registry_walk() callback of LIST; runs under the registry mutex, so it
 * only copies what the pool keeps at hand: no statistics, no lock.
 */
static int kpool_dev_list_one(struct kpool *pool, void *arg)
{
	struct kpool_dev_list_walk *walk = arg;
	struct kpool_dev_list_item *item;

	if (walk->found < walk->nr) {
		item = &walk->items[walk->found];
		item->e.pool_id = kpool_id(pool);
		item->e.block_size = kpool_block_size(pool);
		strscpy(item->e.name, kpool_name(pool), sizeof(item->e.name));
		item->owner = kpool_owner(pool);
	}
	walk->found++;
	return 0;
}

/* Pools LIST visits per hold of the registry mutex. */
#define KPOOL_DEV_LIST_STEP	64

/*
 * kpool_dev_snapshot() fill function of LIST: the registry in bounded
 * steps, yielding between them.
 */
static long kpool_dev_list_fill(void *ctx, void *buf, u32 nr)
{
	struct kpool_dev_list_walk walk = {
		.items = buf,
		.nr = nr,
	};
	u32 pos = 1;
	int ret;

	do {
		ret = kpool_registry_walk(kpool_dev_list_one, &walk, &pos,
					  KPOOL_DEV_LIST_STEP);
		cond_resched();
	} while (!ret && pos);
	return ret ? ret : walk.found;
}

/* kpool_with_id() callback of LIST: the counts of one pool. */
static int kpool_dev_list_counts(struct kpool *pool, void *arg)
{
	struct kpool_ioc_pool_entry *e = arg;
	struct kpool_stats *st = kpool_dev_get_stats(pool);

	if (!st)
		return -ENOMEM;
	e->blocks_total = st->blocks_total;
	e->blocks_in_use = st->blocks_in_use;
	kfree(st);
	return 0;
}

/*
 * Owner kind and flags of the pool of @item, as the file @kf sees it: the
 * class pools of a set are their set's owner's.
 */
static void kpool_dev_list_owner(struct kpool_file *kf,
				 struct kpool_dev_list_item *item)
{
	const void *owner = item->owner;

	if (owner && owner != kf && kpool_set_cookie_owner(owner, &owner))
		item->e.flags |= KPOOL_ENTRY_F_CLASS;
	if (!owner)
		item->e.owner = KPOOL_OWNER_KERNEL;
	else if (owner == kf)
		item->e.owner = KPOOL_OWNER_SELF;
	else
		item->e.owner = KPOOL_OWNER_OTHER_FILE;
}

/*
 * Complete the @n items of a LIST one pool at a time, each step its own
 * lock hold: owners, and the counts of the file's own pools (all pools'
 * with CAP_SYS_ADMIN). A pool destroyed meanwhile keeps zero counts.
 */
static void kpool_dev_list_complete(const struct kpool_dev_call *call,
				    struct kpool_dev_list_item *items, u32 n)
{
	bool admin = kpool_dev_admin(call);
	struct kpool_dev_list_item *item;
	u32 i;

	for (i = 0; i < n; i++) {
		item = &items[i];
		kpool_dev_list_owner(call->kf, item);
		if (admin || item->e.owner == KPOOL_OWNER_SELF)
			kpool_with_id(item->e.pool_id, kpool_dev_list_counts,
				      &item->e);
		else
			item->e.flags |= KPOOL_ENTRY_F_REDACTED;
		cond_resched();
	}
}

/* An entry stride user space may ask for: from the first version up. */
static bool kpool_dev_entry_size_ok(u32 entry_size, u32 first_size)
{
	return entry_size >= first_size && entry_size <= KPOOL_DEV_MAX_ARG_SIZE;
}

/*
 * Write @n entries of @elem_size bytes each, @kstride bytes apart in
 * @entries, to user space, @entry_size bytes apart.
 */
static int kpool_dev_copy_entries(u64 uentries, u32 entry_size,
				  const void *entries, size_t kstride,
				  size_t elem_size, u32 n)
{
	size_t len = min_t(size_t, entry_size, elem_size);
	void __user *dst;
	u64 end;
	u32 i;

	if (check_add_overflow(uentries, (u64)n * entry_size, &end))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		dst = u64_to_user_ptr(uentries + (u64)i * entry_size);
		if (copy_to_user(dst, entries + i * kstride, len))
			return -EFAULT;
		if (entry_size > len && clear_user(dst + len, entry_size - len))
			return -EFAULT;
	}
	return 0;
}

static long kpool_dev_list(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_list *l = data;
	struct kpool_dev_list_item *items = NULL;
	long total;
	u32 n;
	int ret;

	if (l->pad ||
	    !kpool_dev_entry_size_ok(l->entry_size, KPOOL_DEV_ENTRY_SIZE_VER0))
		return -EINVAL;
	total = kpool_dev_snapshot(kpool_dev_list_fill, NULL, sizeof(*items),
				   l->count, (void **)&items);
	if (total < 0)
		return total;
	n = min_t(long, l->count, total);
	kpool_dev_list_complete(call, items, n);
	ret = kpool_dev_copy_entries(l->entries, l->entry_size, items,
				     sizeof(*items), sizeof(items->e), n);
	kvfree(items);
	if (ret)
		return ret;
	l->count = min_t(long, total, U32_MAX);
	return kpool_dev_copy_out(call, l);
}

/**
 * struct kpool_dev_info_walk - state of one INFO pass
 * @call: the ioctl call, for the permission check.
 * @pool_id: the pool.
 * @map: room for @nr entries of the occupancy map (NULL when @nr is 0).
 * @nr: capacity of @map.
 * @chunks: out, chunks the pool has.
 * @blocks_per_chunk: out, from the pool's stats.
 */
struct kpool_dev_info_walk {
	const struct kpool_dev_call *call;
	u32 pool_id;
	u32 *map;
	u32 nr;
	long chunks;
	u32 blocks_per_chunk;
};

/* kpool_dev_read_pool() callback of INFO. */
static int kpool_dev_info_one(struct kpool *pool, void *arg)
{
	struct kpool_dev_info_walk *walk = arg;
	struct kpool_stats *st;

	walk->chunks = kpool_occupancy(pool, walk->map, walk->nr);
	if (walk->chunks < 0)
		return walk->chunks;
	st = kpool_dev_get_stats(pool);
	if (!st)
		return -ENOMEM;
	walk->blocks_per_chunk = st->blocks_per_chunk;
	kfree(st);
	return 0;
}

/* kpool_dev_snapshot() fill function of INFO. */
static long kpool_dev_info_fill(void *ctx, void *buf, u32 nr)
{
	struct kpool_dev_info_walk *walk = ctx;
	u64 charged;
	int ret;

	walk->map = buf;
	walk->nr = nr;
	ret = kpool_dev_read_pool(walk->call, walk->pool_id,
				  kpool_dev_info_one, walk, &charged);
	return ret ? ret : walk->chunks;
}

static long kpool_dev_info(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_info *info = data;
	struct kpool_dev_info_walk walk = {
		.call = call,
		.pool_id = info->pool_id,
	};
	u32 *map = NULL;
	long chunks;
	size_t bytes;
	int ret = 0;

	chunks = kpool_dev_snapshot(kpool_dev_info_fill, &walk, sizeof(*map),
				    info->nr_chunks, (void **)&map);
	if (chunks < 0)
		return chunks;
	bytes = array_size(min_t(long, info->nr_chunks, chunks), sizeof(*map));
	if (copy_to_user(u64_to_user_ptr(info->map), map, bytes))
		ret = -EFAULT;
	kvfree(map);
	if (ret)
		return ret;
	info->nr_chunks = min_t(long, chunks, U32_MAX);
	info->blocks_per_chunk = walk.blocks_per_chunk;
	return kpool_dev_copy_out(call, info);
}

static long kpool_dev_fault(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_fault *f = data;
	struct kpool_dev_pool *dp;
	int ret;

	if (f->probability_ppm > KPOOL_FAULT_PPM_MAX)
		return -EINVAL;
	dp = kpool_dev_lock_pool(call->kf, f->pool_id);
	if (IS_ERR(dp))
		return PTR_ERR(dp);
	ret = kpool_set_fault(dp->acct.pool, f->every_nth, f->probability_ppm);
	mutex_unlock(&call->kf->lock);
	return ret;
}

/* ---- sets ---------------------------------------------------------------- */

/*
 * A bound of the reserves of a set's class pools, known before the set is
 * built: KPOOL_SET_MAX_CLASSES classes of at most max_size rounded up to
 * the alignment (at most PAGE_SIZE), min_blocks blocks each.
 */
static int kpool_dev_set_reserve_bound(const struct kpool_ioc_set_create *c,
				       u64 *bytes)
{
	u64 class_bytes;

	if (check_mul_overflow((u64)c->min_blocks, c->max_size + PAGE_SIZE,
			       &class_bytes) ||
	    check_mul_overflow(class_bytes, (u64)KPOOL_SET_MAX_CLASSES, bytes))
		return -ENOMEM;
	return 0;
}

static int kpool_dev_check_set_create(const struct kpool_ioc_set_create *c)
{
	if (c->flags & ~KPOOL_IOC_F_ALL)
		return -EINVAL;
	/*
	 * kpool_set_create() checks the parameters; these bounds keep the
	 * casts exact and the name NUL-terminated within the set's limit.
	 */
	if (!c->min_size || c->min_size > c->max_size ||
	    c->max_size > KPOOL_SET_MAX_SIZE || c->align > PAGE_SIZE ||
	    strnlen(c->name, sizeof(c->name)) >= KPOOL_SET_NAME_LEN)
		return -EINVAL;
	return 0;
}

/* Destroy a set of the file, its blocks all freed, and uncharge it. */
static int kpool_dev_destroy_set(struct kpool_file *kf,
				 struct kpool_dev_set *ds)
{
	unsigned int i;
	int ret;

	ret = kpool_set_destroy(ds->set);
	if (ret)
		return ret;
	for (i = 0; i < ds->nr_classes; i++)
		kpool_dev_acct_release(kf, &ds->classes[i]);
	kpool_dev_uncharge(kf, ds->meta);
	return 0;
}

/*
 * Build a set of the file, charge it exactly and count its class pools.
 * Context: kf->admin held.
 * Return: the set's file state, or an ERR_PTR().
 */
static struct kpool_dev_set *
kpool_dev_build_set(const struct kpool_dev_call *call,
		    const struct kpool_ioc_set_create *c)
{
	struct kpool_file *kf = call->kf;
	struct kpool_set_params params = {
		.name = c->name,
		.min_size = c->min_size,
		.max_size = c->max_size,
		.align = c->align,
		.classes_per_doubling = c->classes_per_doubling,
		.min_blocks = c->min_blocks,
		.max_blocks = c->max_blocks,
		.node = NUMA_NO_NODE,
		.gfp = KPOOL_DEV_POOL_GFP,
		.flags = kpool_dev_pool_flags(c->flags),
		.owner = kf,
	};
	struct kpool_dev_set *ds;
	struct kpool_set *set;
	unsigned int i, nr;
	u64 bound;
	int ret;

	ret = kpool_dev_set_reserve_bound(c, &bound);
	if (ret) {
		kpool_dev_refused("max_bytes_per_fd");
		return ERR_PTR(ret);
	}
	/* the reserves are known once the classes are: charge a bound */
	ret = kpool_dev_charge(kf, bound);
	if (ret)
		return ERR_PTR(ret);
	set = kpool_set_create(&params);
	kpool_dev_uncharge(kf, bound);
	if (IS_ERR(set))
		return ERR_CAST(set);
	nr = kpool_set_nr_classes(set);
	ret = -ENOSPC;
	if (kpool_dev_at_limit(kf->nr_pools, nr, READ_ONCE(max_pools_per_fd),
			       "max_pools_per_fd"))
		goto destroy;
	ret = -ENOMEM;
	ds = kzalloc(struct_size(ds, classes, nr), GFP_KERNEL_ACCOUNT);
	if (!ds)
		goto destroy;
	ds->set = set;
	ds->nr_classes = nr;
	for (i = 0; i < nr; i++)
		ds->classes[i].pool = kpool_set_class_pool(set, i);
	ret = kpool_dev_charge(kf, kpool_set_meta_bytes(set));
	if (ret)
		goto free;
	ds->meta = kpool_set_meta_bytes(set);
	for (i = 0; i < nr; i++) {
		ret = kpool_dev_settle(kf, &ds->classes[i],
				       KPOOL_DEV_SETTLE_EXACT);
		if (ret)
			goto uncharge;
	}
	return ds;

uncharge:
	while (i--)
		kpool_dev_acct_release(kf, &ds->classes[i]);
	kpool_dev_uncharge(kf, ds->meta);
free:
	kfree(ds);
destroy:
	kpool_set_destroy(set);
	return ERR_PTR(ret);
}

static long kpool_dev_set_create(const struct kpool_dev_call *call,
				 void *data)
{
	struct kpool_ioc_set_create *c = data;
	struct kpool_file *kf = call->kf;
	struct kpool_dev_set *ds;
	u32 id;
	int ret;

	ret = kpool_dev_check_set_create(c);
	if (ret)
		return ret;
	if (mutex_lock_killable(&kf->admin))
		return -EINTR;
	ret = -ENOSPC;
	if (kpool_dev_at_limit(kf->nr_sets, 1, READ_ONCE(max_sets_per_fd),
			       "max_sets_per_fd"))
		goto unlock_admin;
	ret = xa_alloc_cyclic(&kpool_dev_set_ids, &id, kf,
			      KPOOL_DEV_SET_ID_LIMIT, &kpool_dev_next_set_id,
			      GFP_KERNEL);
	if (ret < 0)
		goto unlock_admin;
	ds = kpool_dev_build_set(call, c);
	if (IS_ERR(ds)) {
		ret = PTR_ERR(ds);
		goto free_id;
	}
	ds->id = id;
	c->set_id = id;
	ret = kpool_dev_publish(call, c, &kf->sets, id, ds, &kf->nr_sets);
	if (ret) {
		kpool_dev_destroy_set(kf, ds);
		kfree(ds);
		goto free_id;
	}
	kf->nr_pools += ds->nr_classes;
	mutex_unlock(&kf->admin);
	return 0;

free_id:
	xa_erase(&kpool_dev_set_ids, id);
unlock_admin:
	mutex_unlock(&kf->admin);
	return ret;
}

/* Blocks of @ds the file holds. Context: kf->lock held. */
static u64 kpool_dev_set_out(const struct kpool_dev_set *ds)
{
	unsigned int i;
	u64 out = 0;

	for (i = 0; i < ds->nr_classes; i++)
		out += ds->classes[i].out;
	return out;
}

static long kpool_dev_set_destroy(const struct kpool_dev_call *call,
				  void *data)
{
	struct kpool_ioc_set *p = data;
	struct kpool_file *kf = call->kf;
	struct kpool_dev_set *ds;
	int ret = -EBUSY;

	ds = kpool_dev_lock_admin_home(kf, p->set_id, true);
	if (IS_ERR(ds))
		return PTR_ERR(ds);
	if (!kpool_dev_set_out(ds))
		ret = kpool_dev_destroy_set(kf, ds);
	if (!ret) {
		xa_erase(&kf->sets, p->set_id);
		kf->nr_sets--;
	}
	mutex_unlock(&kf->lock);
	if (!ret) {
		xa_erase(&kpool_dev_set_ids, p->set_id);
		kf->nr_pools -= ds->nr_classes;
		kfree(ds);
	}
	mutex_unlock(&kf->admin);
	return ret;
}

static long kpool_dev_set_alloc(const struct kpool_dev_call *call,
				void *data)
{
	struct kpool_ioc_set_alloc __user *ua = call->uarg;
	struct kpool_ioc_set_alloc *a = data;

	if (a->flags || !a->bytes || !a->count ||
	    a->count > KPOOL_IOC_MAX_BATCH)
		return -EINVAL;
	/* block_size is the only output field: within every size accepted */
	return kpool_dev_alloc_in(call, a->set_id, true, a->bytes, a->count,
				  a->handles, &ua->block_size);
}

static long kpool_dev_set_free(const struct kpool_dev_call *call, void *data)
{
	return kpool_dev_free_in(call, data, true);
}

/* The KPOOL_IOC_F_* flags of a set's class pools. */
static u32 kpool_dev_set_flags(const struct kpool_set *set)
{
	struct kpool_stats *st = kpool_dev_get_stats(kpool_set_class_pool(set, 0));
	u32 flags = 0;

	if (st)
		flags = kpool_dev_ioc_flags(st->flags);
	kfree(st);
	return flags;
}

static void kpool_dev_fill_set_info(struct kpool_ioc_set_info *out,
				    const struct kpool_dev_set *ds,
				    const struct kpool_set_stats *st)
{
	unsigned int i;

	strscpy(out->name, st->name, sizeof(out->name));
	out->flags = kpool_dev_set_flags(ds->set);
	out->classes_per_doubling = st->classes_per_doubling;
	out->min_size = st->min_size;
	out->max_size = st->max_size;
	out->align = st->align;
	out->allocs = st->allocs;
	out->frees = st->frees;
	out->alloc_failures = st->alloc_failures;
	out->requested_bytes = st->requested_bytes;
	out->block_bytes = st->block_bytes;
	out->blocks_in_use = st->blocks_in_use;
	out->bytes_in_use = st->bytes_in_use;
	out->pages = st->pages;
	out->err_foreign = st->err_foreign;
	out->meta_bytes = ds->meta;
	out->charged_bytes = ds->meta;
	for (i = 0; i < ds->nr_classes; i++)
		out->charged_bytes += ds->classes[i].charged;
}

/* Fill the first @n entries of @set's class table. */
static int kpool_dev_fill_set_classes(struct kpool_set *set,
				      struct kpool_ioc_set_class *classes,
				      u32 n)
{
	struct kpool_set_class_stats *cs;
	u32 i;
	int ret = 0;

	cs = kmalloc_obj(*cs, GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ret = kpool_set_get_class_stats(set, i, cs);
		if (ret)
			break;
		classes[i].block_size = cs->block_size;
		classes[i].allocs = cs->allocs;
		classes[i].requested_bytes = cs->requested_bytes;
		classes[i].blocks_in_use = cs->pool.blocks_in_use;
		classes[i].blocks_total = cs->pool.blocks_total;
		classes[i].pages = cs->pool.pages;
		classes[i].alloc_failures = cs->pool.alloc_failures;
		classes[i].pool_id = cs->pool.id;
	}
	kfree(cs);
	return ret;
}

static long kpool_dev_set_info(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_set_info *in = data;
	struct kpool_ioc_set_class *classes = NULL;
	struct kpool_set_stats *st;
	struct kpool_dev_set *ds;
	u32 n = 0, nr;
	int ret;

	if (!kpool_dev_entry_size_ok(in->class_size,
				     KPOOL_DEV_SET_CLASS_SIZE_VER0))
		return -EINVAL;
	st = kmalloc_obj(*st, GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	ds = kpool_dev_lock_set(call->kf, in->set_id);
	if (IS_ERR(ds)) {
		kfree(st);
		return PTR_ERR(ds);
	}
	kpool_set_get_stats(ds->set, st);
	kpool_dev_fill_set_info(in, ds, st);
	nr = st->nr_classes;
	kfree(st);
	n = min(in->nr_classes, nr);
	ret = -ENOMEM;
	classes = kvcalloc(n, sizeof(*classes),
			   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (classes)
		ret = kpool_dev_fill_set_classes(ds->set, classes, n);
	mutex_unlock(&call->kf->lock);
	if (!ret)
		ret = kpool_dev_copy_entries(in->classes, in->class_size,
					     classes, sizeof(*classes),
					     sizeof(*classes), n);
	kvfree(classes);
	if (ret)
		return ret;
	in->nr_classes = nr;
	return kpool_dev_copy_out(call, in);
}

static void kpool_dev_fill_set_entry(struct kpool_ioc_set_entry *e, u32 id,
				     struct kpool_dev_set *ds,
				     struct kpool_set_stats *st)
{
	kpool_set_get_stats(ds->set, st);
	e->set_id = id;
	e->nr_classes = st->nr_classes;
	e->min_size = st->min_size;
	e->max_size = st->max_size;
	e->blocks_in_use = st->blocks_in_use;
	e->bytes_in_use = st->bytes_in_use;
	strscpy(e->name, st->name, sizeof(e->name));
}

static long kpool_dev_set_list(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_list *l = data;
	struct kpool_file *kf = call->kf;
	struct kpool_ioc_set_entry *entries;
	struct kpool_set_stats *st;
	struct kpool_dev_set *ds;
	unsigned long id;
	u32 n = 0, total;
	int ret = -ENOMEM;

	if (l->pad ||
	    !kpool_dev_entry_size_ok(l->entry_size,
				     KPOOL_DEV_SET_ENTRY_SIZE_VER0))
		return -EINVAL;
	st = kmalloc_obj(*st, GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	if (mutex_lock_killable(&kf->lock)) {
		kfree(st);
		return -EINTR;
	}
	total = kf->nr_sets;
	entries = kvcalloc(min(l->count, total), sizeof(*entries),
			   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (entries) {
		xa_for_each(&kf->sets, id, ds) {
			if (n == min(l->count, total))
				break;
			kpool_dev_fill_set_entry(&entries[n++], id, ds, st);
		}
		ret = 0;
	}
	mutex_unlock(&kf->lock);
	kfree(st);
	if (!ret)
		ret = kpool_dev_copy_entries(l->entries, l->entry_size, entries,
					     sizeof(*entries), sizeof(*entries),
					     n);
	kvfree(entries);
	if (ret)
		return ret;
	l->count = total;
	return kpool_dev_copy_out(call, l);
}

/**
 * struct kpool_dev_cmd - one entry of the command table
 * @handler: runs the command on the zero-extended kernel copy of the
 *	argument; copies results back itself (kpool_dev_copy_out()).
 * @size: size of the kernel's argument struct.
 * @min_size: the first published size of the struct.
 * @write: the command changes something: it needs FMODE_WRITE.
 */
struct kpool_dev_cmd {
	long (*handler)(const struct kpool_dev_call *call, void *arg);
	u32 size;
	u32 min_size;
	bool write;
};

/* Room on the stack for the argument of any command; each is checked. */
#define KPOOL_DEV_ARG_ROOM	512

#define KPOOL_DEV_CMD(_handler, _type, _last_v0_field, _write) {	\
	.handler = _handler,						\
	.size = sizeof(_type) +						\
		BUILD_BUG_ON_ZERO(sizeof(_type) > KPOOL_DEV_ARG_ROOM),	\
	.min_size = offsetofend(_type, _last_v0_field),			\
	.write = _write,						\
}

static const struct kpool_dev_cmd kpool_dev_cmds[] = {
	[_IOC_NR(KPOOL_IOC_VERSION)] = KPOOL_DEV_CMD(kpool_dev_version,
		struct kpool_ioc_version, max_name_len, false),
	[_IOC_NR(KPOOL_IOC_CREATE)] = KPOOL_DEV_CMD(kpool_dev_create,
		struct kpool_ioc_create, name, true),
	[_IOC_NR(KPOOL_IOC_DESTROY)] = KPOOL_DEV_CMD(kpool_dev_destroy,
		struct kpool_ioc_pool, result, true),
	[_IOC_NR(KPOOL_IOC_ALLOC)] = KPOOL_DEV_CMD(kpool_dev_alloc,
		struct kpool_ioc_alloc, handles, true),
	[_IOC_NR(KPOOL_IOC_FREE)] = KPOOL_DEV_CMD(kpool_dev_free,
		struct kpool_ioc_free, pad, true),
	[_IOC_NR(KPOOL_IOC_WRITE)] = KPOOL_DEV_CMD(kpool_dev_write,
		struct kpool_ioc_rw, buf, true),
	[_IOC_NR(KPOOL_IOC_READ)] = KPOOL_DEV_CMD(kpool_dev_read,
		struct kpool_ioc_rw, buf, false),
	[_IOC_NR(KPOOL_IOC_SHRINK)] = KPOOL_DEV_CMD(kpool_dev_shrink,
		struct kpool_ioc_pool, result, true),
	[_IOC_NR(KPOOL_IOC_STATS)] = KPOOL_DEV_CMD(kpool_dev_stats,
		struct kpool_ioc_stats, err_redzone, false),
	[_IOC_NR(KPOOL_IOC_LIST)] = KPOOL_DEV_CMD(kpool_dev_list,
		struct kpool_ioc_list, entries, false),
	[_IOC_NR(KPOOL_IOC_INFO)] = KPOOL_DEV_CMD(kpool_dev_info,
		struct kpool_ioc_info, map, false),
	[_IOC_NR(KPOOL_IOC_FAULT)] = KPOOL_DEV_CMD(kpool_dev_fault,
		struct kpool_ioc_fault, probability_ppm, true),
	[_IOC_NR(KPOOL_IOC_SET_CREATE)] = KPOOL_DEV_CMD(kpool_dev_set_create,
		struct kpool_ioc_set_create, name, true),
	[_IOC_NR(KPOOL_IOC_SET_DESTROY)] = KPOOL_DEV_CMD(kpool_dev_set_destroy,
		struct kpool_ioc_set, set_id, true),
	[_IOC_NR(KPOOL_IOC_SET_ALLOC)] = KPOOL_DEV_CMD(kpool_dev_set_alloc,
		struct kpool_ioc_set_alloc, block_size, true),
	[_IOC_NR(KPOOL_IOC_SET_FREE)] = KPOOL_DEV_CMD(kpool_dev_set_free,
		struct kpool_ioc_free, pad, true),
	[_IOC_NR(KPOOL_IOC_SET_INFO)] = KPOOL_DEV_CMD(kpool_dev_set_info,
		struct kpool_ioc_set_info, err_foreign, false),
	[_IOC_NR(KPOOL_IOC_SET_LIST)] = KPOOL_DEV_CMD(kpool_dev_set_list,
		struct kpool_ioc_list, entries, false),
};

static long kpool_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long uarg)
{
	struct kpool_dev_call call = {
		.kf = file->private_data,
		.file = file,
		.uarg = (void __user *)uarg,
	};
	const struct kpool_dev_cmd *desc;
	u64 arg[KPOOL_DEV_ARG_ROOM / sizeof(u64)];
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (_IOC_TYPE(cmd) != KPOOL_IOC_MAGIC ||
	    nr >= ARRAY_SIZE(kpool_dev_cmds))
		return -ENOTTY;
	desc = &kpool_dev_cmds[array_index_nospec(nr,
						  ARRAY_SIZE(kpool_dev_cmds))];
	if (!desc->handler)
		return -ENOTTY;
	/* a read-only open is a monitoring client */
	if (desc->write && !(file->f_mode & FMODE_WRITE))
		return -EBADF;

	if (get_user(call.usize, (u32 __user *)call.uarg))
		return -EFAULT;
	if (call.usize < desc->min_size)
		return -EINVAL;
	if (call.usize > KPOOL_DEV_MAX_ARG_SIZE)
		return -E2BIG;
	call.ksize = desc->size;
	/* all desc->size bytes: a shorter struct is zero-extended */
	ret = copy_struct_from_user(arg, desc->size, call.uarg, call.usize);
	if (ret)
		return ret;
	return desc->handler(&call, arg);
}

static int kpool_dev_open(struct inode *inode, struct file *file)
{
	struct kpool_file *kf;

	kf = kzalloc_obj(*kf, GFP_KERNEL_ACCOUNT);
	if (!kf)
		return -ENOMEM;
	mutex_init(&kf->admin);
	mutex_init(&kf->lock);
	init_waitqueue_head(&kf->released);
	xa_init_flags(&kf->pools, XA_FLAGS_ACCOUNT);
	xa_init_flags(&kf->sets, XA_FLAGS_ACCOUNT);
	kf->table.free = KPOOL_DEV_NO_SLOT;
	atomic64_set(&kf->charged, 0);
	file->private_data = kf;
	return nonseekable_open(inode, file);
}

/*
 * The last reference to the file is gone, so no ioctl runs on it: free its
 * blocks, then destroy its sets and pools.
 */
static int kpool_dev_release(struct inode *inode, struct file *file)
{
	struct kpool_file *kf = file->private_data;
	struct kpool_dev_pool *dp;
	struct kpool_dev_set *ds;
	unsigned long id;
	int ret;

	kpool_dev_free_home(kf, NULL);
	kpool_dev_table_destroy(kf);
	xa_for_each(&kf->sets, id, ds) {
		ret = kpool_dev_destroy_set(kf, ds);
		if (ret)
			pr_err("set %lu: cannot destroy on close (%d), leaked\n",
			       id, ret);
		else
			kfree(ds);
		xa_erase(&kpool_dev_set_ids, id);
	}
	xa_destroy(&kf->sets);
	xa_for_each(&kf->pools, id, dp) {
		ret = kpool_destroy(dp->acct.pool);
		if (ret) {
			pr_err("pool %lu: cannot destroy on close (%d), leaked\n",
			       id, ret);
			continue;
		}
		kpool_dev_acct_release(kf, &dp->acct);
		kfree(dp);
	}
	xa_destroy(&kf->pools);
	/* what a leaked pool or set was charged stays in the total */
	kfree(kf);
	return 0;
}

static const struct file_operations kpool_dev_fops = {
	.owner = THIS_MODULE,
	.open = kpool_dev_open,
	.release = kpool_dev_release,
	.unlocked_ioctl = kpool_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* The ABI's limits are the kernel API's, and every argument fits. */
static_assert(KPOOL_IOC_NAME_LEN == KPOOL_NAME_LEN);
static_assert(KPOOL_IOC_ORDER_AUTO == KPOOL_ORDER_AUTO);
static_assert(KPOOL_DEV_ARG_ROOM <= KPOOL_DEV_MAX_ARG_SIZE);
static_assert(KPOOL_IOC_SET_NAME_LEN == KPOOL_SET_NAME_LEN);
static_assert(KPOOL_IOC_SET_MAX_SIZE == KPOOL_SET_MAX_SIZE);
static_assert(KPOOL_IOC_SET_MAX_CLASSES == KPOOL_SET_MAX_CLASSES);
/* handles: non-zero (the generation is), at most INT_MAX */
static_assert(KPOOL_IOC_MAX_HANDLES == 1U << KPOOL_DEV_IDX_BITS);
static_assert(KPOOL_DEV_GEN_MAX <= U16_MAX);
static_assert(KPOOL_IOC_MAX_HANDLES % KPOOL_DEV_CHUNK_SLOTS == 0);
/* a u8 names every class of a set */
static_assert(KPOOL_SET_MAX_CLASSES <= 256);
/*
 * STATS: each counter at the offset the ABI has given it since it was
 * published, in a struct of the size it has had since
 * KPOOL_FEAT_RCU_STATS.
 */
#define KPOOL_DEV_MOVED(name, offset) -(offsetof(struct kpool_ioc_stats, name) != (offset))
static_assert((0 KPOOL_IOC_STATS_EVENTS(KPOOL_DEV_MOVED)) == 0);
static_assert(sizeof(struct kpool_ioc_stats) == 392);

static struct miscdevice kpool_dev_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kpool",
	.fops = &kpool_dev_fops,
};

static int __init kpool_dev_init(void)
{
	if (mode & ~0666) {
		pr_err("mode %#o: only read/write permission bits allowed\n",
		       mode);
		return -EINVAL;
	}
	kpool_dev_misc.mode = mode;
	return misc_register(&kpool_dev_misc);
}

static void __exit kpool_dev_exit(void)
{
	misc_deregister(&kpool_dev_misc);
}

module_init(kpool_dev_init);
module_exit(kpool_dev_exit);

MODULE_IMPORT_NS(KPOOL_NS);
MODULE_IMPORT_NS(KPOOL_INTERNAL_NS);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("kpool developers");
MODULE_DESCRIPTION("/dev/kpool: user-space interface to kpool block pools");
