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
 * bits of the number are ignored. Every argument struct starts with a __u32
 * size: it is read with get_user() and the struct with
 * copy_struct_from_user() into a zeroed kernel copy, so older (shorter)
 * structs are zero-extended and newer (longer) ones are accepted only with
 * a zero tail. Results are copied back with at most min(user size, kernel
 * size) bytes.
 *
 * Ownership
 * ---------
 * Pools created through a file belong to it: struct kpool_params.owner is
 * the file's struct kpool_file, and the file keeps its pools in its own
 * xarray, indexed by the core's global pool id. Only that file may use them
 * for anything but LIST; every other pool (another file's or a kernel
 * module's) is reached only through kpool_with_id()/kpool_for_each(), for
 * LIST by anyone and for STATS/INFO with CAP_SYS_ADMIN (checked against the
 * opener's credentials). Blocks are named by handles, small integers from a
 * per-file xarray, never by addresses. release() frees the file's blocks
 * and destroys its sets and pools.
 *
 * Sets
 * ----
 * A file's pool sets (kpool_set.h) are kept like its pools, in
 * kpool_file.sets under pools_sem, with ids from kpool_dev_set_ids, which
 * holds the id of every live set of every file (the owning file as an
 * opaque cookie, to tell another file's set, -EPERM, from none, -ENOENT).
 * Blocks of a set get handles in the same per-file table as pool blocks;
 * each records its class size, which bounds READ/WRITE and is charged to
 * the file. SET_DESTROY refuses a set with blocks out (-EBUSY); release()
 * frees them first.
 *
 * Locking and lifetimes
 * ---------------------
 * Many threads may use one file at once. Three things need protecting:
 *
 *  - pool lifetime: kpool_file.pools_sem. Every command that uses a pool of
 *    the file holds it for reading for as long as it uses the pool; CREATE
 *    and DESTROY hold it for writing. A pool of the file therefore cannot
 *    be destroyed under a concurrent ALLOC, FREE, READ, WRITE, ...; and
 *    while pools_sem is held every pool the file owns in the registry is in
 *    kpool_file.pools (CREATE publishes and DESTROY unpublishes under the
 *    write lock).
 *  - handle -> block mapping: the xarray's own lock (xa_lock). FREE claims a
 *    handle by erasing it under that lock, so of two threads freeing the
 *    same handle exactly one wins.
 *  - block lifetime: struct kpool_dev_block.ref, one reference held by the
 *    handle table and one by each READ/WRITE in flight. READ/WRITE take
 *    their reference under xa_lock while the handle is still in the table
 *    (refcount_inc_not_zero()); whoever drops the last reference returns
 *    the block to the pool (always with pools_sem held, so the pool is
 *    alive).
 *
 * Lock order: pools_sem, then the kpool registry mutex (kpool_create(),
 * kpool_destroy(), kpool_with_id()), then xa_lock or charge_lock (then
 * kpool_dev_charged). Nothing here is taken inside a
 * kpool_with_id()/kpool_for_each() callback.
 *
 * Limits
 * ------
 * max_pools_per_fd caps the pools of a file (-ENOSPC). max_bytes_per_fd
 * caps the bytes charged to it (-ENOMEM): each pool's reserve
 * (min_blocks * block_size) from CREATE to DESTROY, and each live handle's
 * block_size plus its bookkeeping. max_bytes_total caps the same charges
 * of all files together (-ENOMEM). User pools are created with
 * __GFP_ACCOUNT, __GFP_ZERO and KPOOL_F_ZERO, so their memory is charged
 * to the opener's memory cgroup and READ never shows stale kernel data.
 * Allocations for user space never wait for another thread's free: at a
 * pool's max_blocks cap ALLOC fails with -ENOMEM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/numa.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>

#include <uapi/linux/kpool.h>
#include "kpool.h"
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
				 KPOOL_FEAT_SETS)
/*
 * ALLOC uses kpool_alloc_bulk(), which never waits for a free; growth for
 * user space may reclaim but never invokes the OOM killer.
 */
#define KPOOL_DEV_ALLOC_GFP	(GFP_KERNEL | __GFP_NORETRY)
#define KPOOL_DEV_HANDLE_LIMIT	XA_LIMIT(1, INT_MAX)
/*
 * Pools for user space: charged to the opener's memory cgroup; zeroed
 * chunks and blocks, so no stale kernel data is ever readable.
 */
#define KPOOL_DEV_POOL_GFP	(__GFP_ACCOUNT | __GFP_ZERO)
#define KPOOL_DEV_SET_ID_LIMIT	XA_LIMIT(1, INT_MAX)

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "permissions of /dev/kpool (default 0600)");

static unsigned long max_bytes_per_fd = SZ_64M;
module_param(max_bytes_per_fd, ulong, 0644);
MODULE_PARM_DESC(max_bytes_per_fd,
		 "bytes of pool reserves and blocks one open file may hold (default 64 MiB)");

static unsigned long max_bytes_total = SZ_1G;
module_param(max_bytes_total, ulong, 0644);
MODULE_PARM_DESC(max_bytes_total,
		 "bytes of pool reserves and blocks all open files may hold (default 1 GiB)");

/* kpool_dev_charged guards kpool_dev_total, the bytes all files hold. */
static DEFINE_SPINLOCK(kpool_dev_charged);
static u64 kpool_dev_total;

static unsigned int max_pools_per_fd = 64;
module_param(max_pools_per_fd, uint, 0644);
MODULE_PARM_DESC(max_pools_per_fd,
		 "pools one open file may own (default 64)");

static unsigned int max_sets_per_fd = 16;
module_param(max_sets_per_fd, uint, 0644);
MODULE_PARM_DESC(max_sets_per_fd,
		 "pool sets one open file may own (default 16)");

/*
 * The id of every live set of every file -> the file that owns it (only
 * compared, never dereferenced). Its xa_lock guards it.
 */
static DEFINE_XARRAY_ALLOC1(kpool_dev_set_ids);

/**
 * struct kpool_file - state of one open file of /dev/kpool
 * @pools_sem: guards @pools, @nr_pools, @sets and @nr_sets and keeps every
 *	pool in @pools and set in @sets alive: held for reading by each
 *	command while it uses a pool or set of this file, for writing by
 *	CREATE, DESTROY, SET_CREATE and SET_DESTROY.
 * @pools: pool id -> struct kpool_dev_pool, the pools this file owns.
 * @nr_pools: number of entries in @pools.
 * @sets: set id -> struct kpool_dev_set, the sets this file owns.
 * @nr_sets: number of entries in @sets.
 * @handles: handle -> struct kpool_dev_block. Its xa_lock guards the
 *	mapping and @next_handle; a handle is claimed by erasing it under
 *	xa_lock, and references to its block are taken only under xa_lock.
 * @next_handle: cursor of the cyclic handle allocator.
 * @charge_lock: guards @charged.
 * @charged: bytes charged against max_bytes_per_fd.
 */
struct kpool_file {
	struct rw_semaphore pools_sem;	/* pools, sets, their lifetime */
	struct xarray pools;
	unsigned int nr_pools;
	struct xarray sets;
	unsigned int nr_sets;
	struct xarray handles;		/* xa_lock: mapping, next_handle */
	u32 next_handle;
	spinlock_t charge_lock;		/* charged */
	u64 charged;
};

/**
 * struct kpool_dev_pool - a pool owned by an open file
 * @pool: the core's pool.
 * @block_size: bytes of each block that READ/WRITE may access.
 * @reserve_bytes: charged to the file from CREATE to DESTROY.
 */
struct kpool_dev_pool {
	struct kpool *pool;
	size_t block_size;
	u64 reserve_bytes;
};

/**
 * struct kpool_dev_set - a pool set owned by an open file
 * @set: the set.
 * @reserve_bytes: its class pools' reserves, charged to the file from
 *	SET_CREATE to SET_DESTROY.
 */
struct kpool_dev_set {
	struct kpool_set *set;
	u64 reserve_bytes;
};

/**
 * struct kpool_dev_block - the block a handle names
 * @dp: the pool the block belongs to, or NULL for a block of a set.
 * @ds: the set the block belongs to, or NULL for a block of a pool.
 * @addr: the block.
 * @size: its block size: the bytes READ/WRITE may access.
 * @ref: one reference for the handle table, one for each READ/WRITE that
 *	uses the block; the last one returns the block to the pool.
 */
struct kpool_dev_block {
	struct kpool_dev_pool *dp;
	struct kpool_dev_set *ds;
	void *addr;
	size_t size;
	refcount_t ref;
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

/* The bytes a handle of a block of @block_size charges to its file. */
static u64 kpool_dev_block_cost(size_t block_size)
{
	return block_size + sizeof(struct kpool_dev_block);
}

/* The pool or set a block belongs to. */
static void *kpool_dev_block_home(const struct kpool_dev_block *b)
{
	return b->ds ? (void *)b->ds : (void *)b->dp;
}

/* @charged + @bytes, if within @limit. */
static bool kpool_dev_fits(u64 charged, u64 bytes, u64 limit, u64 *total)
{
	return !check_add_overflow(charged, bytes, total) && *total <= limit;
}

/*
 * Charge @bytes to the file and to the global total, or to neither.
 * Lock order: kf->charge_lock, then kpool_dev_charged.
 */
static int kpool_dev_charge(struct kpool_file *kf, u64 bytes)
{
	u64 fd_limit = READ_ONCE(max_bytes_per_fd);
	u64 limit = READ_ONCE(max_bytes_total);
	const char *what = NULL;
	u64 fd_total, total;

	spin_lock(&kf->charge_lock);
	spin_lock(&kpool_dev_charged);
	if (!kpool_dev_fits(kf->charged, bytes, fd_limit, &fd_total))
		what = "max_bytes_per_fd";
	else if (!kpool_dev_fits(kpool_dev_total, bytes, limit, &total))
		what = "max_bytes_total";
	if (!what) {
		kf->charged = fd_total;
		kpool_dev_total = total;
	}
	spin_unlock(&kpool_dev_charged);
	spin_unlock(&kf->charge_lock);
	if (!what)
		return 0;
	pr_warn_ratelimited("%s[%d]: %s reached\n", current->comm,
			    task_pid_nr(current), what);
	return -ENOMEM;
}

static void kpool_dev_uncharge(struct kpool_file *kf, u64 bytes)
{
	spin_lock(&kf->charge_lock);
	spin_lock(&kpool_dev_charged);
	kf->charged -= bytes;
	kpool_dev_total -= bytes;
	spin_unlock(&kpool_dev_charged);
	spin_unlock(&kf->charge_lock);
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
 * Drop a reference to a block; the last one returns it to its pool (a
 * refused free is reported and counted by the core itself).
 * Context: pools_sem held, so the pool is alive.
 */
static void kpool_dev_block_put(struct kpool_file *kf,
				struct kpool_dev_block *b)
{
	if (!refcount_dec_and_test(&b->ref))
		return;
	if (b->ds)
		kpool_set_free(b->ds->set, b->addr);
	else
		kpool_free(b->dp->pool, b->addr);
	kpool_dev_uncharge(kf, kpool_dev_block_cost(b->size));
	kfree(b);
}

/*
 * Look up @handle for @home, the pool or set it must belong to.
 * Context: xa_lock of kf->handles held.
 * Return: the block, ERR_PTR(-ENOENT) for a handle this file does not know,
 * ERR_PTR(-EINVAL) for a handle of another pool or set.
 */
static struct kpool_dev_block *kpool_dev_block_find(struct kpool_file *kf,
						    const void *home,
						    u32 handle)
{
	struct kpool_dev_block *b;

	lockdep_assert_held(&kf->handles.xa_lock);
	b = xa_load(&kf->handles, handle);
	if (!b)
		return ERR_PTR(-ENOENT);
	if (kpool_dev_block_home(b) != home)
		return ERR_PTR(-EINVAL);
	return b;
}

/* Take a reference to the block of @handle (for READ/WRITE). */
static struct kpool_dev_block *kpool_dev_block_get(struct kpool_file *kf,
						   const void *home,
						   u32 handle)
{
	struct kpool_dev_block *b;

	xa_lock(&kf->handles);
	b = kpool_dev_block_find(kf, home, handle);
	/* the table holds a reference: zero only if a bug freed it */
	if (!IS_ERR(b) && !refcount_inc_not_zero(&b->ref))
		b = ERR_PTR(-ENOENT);
	xa_unlock(&kf->handles);
	return b;
}

/* Remove @handle from the table; the caller inherits the table's ref. */
static struct kpool_dev_block *kpool_dev_block_claim(struct kpool_file *kf,
						     const void *home,
						     u32 handle)
{
	struct kpool_dev_block *b;

	xa_lock(&kf->handles);
	b = kpool_dev_block_find(kf, home, handle);
	if (!IS_ERR(b))
		__xa_erase(&kf->handles, handle);
	xa_unlock(&kf->handles);
	return b;
}

/*
 * Free the blocks of @dp that this file holds, or all of its blocks when
 * @dp is NULL.
 * Context: no other user of the file (pools_sem held for writing, or
 * release()), so every block holds only the table's reference.
 */
static void kpool_dev_free_blocks(struct kpool_file *kf,
				  struct kpool_dev_pool *dp)
{
	struct kpool_dev_block *b;
	unsigned long handle;

	xa_for_each(&kf->handles, handle, b) {
		if (dp && b->dp != dp)
			continue;
		xa_erase(&kf->handles, handle);
		kpool_dev_block_put(kf, b);
		cond_resched();
	}
}

/*
 * Destroy a pool whose blocks have all been freed.
 * Context: no other user of the pool (pools_sem held for writing, or
 * release()).
 */
static int kpool_dev_destroy_pool(struct kpool_file *kf,
				  struct kpool_dev_pool *dp)
{
	int ret;

	ret = kpool_destroy(dp->pool);
	if (ret)
		return ret;
	kpool_dev_uncharge(kf, dp->reserve_bytes);
	kfree(dp);
	return 0;
}

/* kpool_with_id() callback: the pool exists but is not this file's. */
static int kpool_dev_deny(struct kpool *pool, void *arg)
{
	return -EPERM;
}

/*
 * Find pool @id of this file.
 * Context: pools_sem held (then every pool this file owns is in
 * kf->pools).
 * Return: the pool, ERR_PTR(-EPERM) for a pool of another owner,
 * ERR_PTR(-ENOENT) for no pool.
 */
static struct kpool_dev_pool *kpool_dev_find_pool(struct kpool_file *kf,
						  u32 id)
{
	struct kpool_dev_pool *dp;

	lockdep_assert_held(&kf->pools_sem);
	dp = xa_load(&kf->pools, id);
	if (dp)
		return dp;
	return ERR_PTR(kpool_with_id(id, kpool_dev_deny, NULL));
}

/*
 * Find set @id of this file.
 * Context: pools_sem held.
 * Return: the set, ERR_PTR(-EPERM) for a set of another file,
 * ERR_PTR(-ENOENT) for no set.
 */
static struct kpool_dev_set *kpool_dev_find_set(struct kpool_file *kf, u32 id)
{
	struct kpool_dev_set *ds;

	lockdep_assert_held(&kf->pools_sem);
	ds = xa_load(&kf->sets, id);
	if (ds)
		return ds;
	return ERR_PTR(xa_load(&kpool_dev_set_ids, id) ? -EPERM : -ENOENT);
}

/*
 * Find pool @id of this file, or set @id when @set is true, and keep it
 * alive.
 * Context: takes pools_sem for reading; on success the caller releases it
 * with up_read() when done with the pool or set.
 * Return: the struct kpool_dev_pool or struct kpool_dev_set, or an
 * ERR_PTR() as kpool_dev_find_pool() and kpool_dev_find_set() say.
 */
static void *kpool_dev_lock_home(struct kpool_file *kf, u32 id, bool set)
{
	void *home;

	if (down_read_killable(&kf->pools_sem))
		return ERR_PTR(-EINTR);
	if (set)
		home = kpool_dev_find_set(kf, id);
	else
		home = kpool_dev_find_pool(kf, id);
	if (IS_ERR(home))
		up_read(&kf->pools_sem);
	return home;
}

/* Find pool @id of this file and keep it alive (kpool_dev_lock_home()). */
static struct kpool_dev_pool *kpool_dev_lock_pool(struct kpool_file *kf,
						  u32 id)
{
	return kpool_dev_lock_home(kf, id, false);
}

/* Find set @id of this file and keep it alive (kpool_dev_lock_home()). */
static struct kpool_dev_set *kpool_dev_lock_set(struct kpool_file *kf, u32 id)
{
	return kpool_dev_lock_home(kf, id, true);
}

/*
 * Run @fn on pool @id for a read-only command (STATS, INFO): a pool of
 * this file under pools_sem, any other pool under the registry mutex and
 * only if the opener of @call's file has CAP_SYS_ADMIN.
 */
static int kpool_dev_read_pool(const struct kpool_dev_call *call, u32 id,
			       int (*fn)(struct kpool *pool, void *arg),
			       void *arg)
{
	struct kpool_dev_pool *dp;
	int ret;

	dp = kpool_dev_lock_pool(call->kf, id);
	if (!IS_ERR(dp)) {
		ret = fn(dp->pool, arg);
		up_read(&call->kf->pools_sem);
		return ret;
	}
	if (PTR_ERR(dp) != -EPERM)
		return PTR_ERR(dp);
	if (!file_ns_capable(call->file, &init_user_ns, CAP_SYS_ADMIN))
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
	    c->block_size > KPOOL_MAX_BLOCK_SIZE || c->align > PAGE_SIZE)
		return -EINVAL;
	return 0;
}

/* The kpool flags of a pool (or a set's class pools) made for user space. */
static unsigned int kpool_dev_pool_flags(u32 ioc_flags)
{
	return KPOOL_F_ZERO | (ioc_flags & KPOOL_IOC_F_DEBUG ? KPOOL_F_DEBUG : 0);
}

/* A per-file count is at its limit @param: say so (rate-limited). */
static bool kpool_dev_at_limit(unsigned int nr, unsigned int limit,
			       const char *param)
{
	if (nr < limit)
		return false;
	pr_warn_ratelimited("%s[%d]: %s reached\n", current->comm,
			    task_pid_nr(current), param);
	return true;
}

/* Build, publish and report a pool. Context: pools_sem held for writing. */
static int kpool_dev_create_locked(const struct kpool_dev_call *call,
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
	};
	int ret;

	if (kpool_dev_at_limit(kf->nr_pools, READ_ONCE(max_pools_per_fd),
			       "max_pools_per_fd"))
		return -ENOSPC;
	ret = kpool_dev_charge(kf, dp->reserve_bytes);
	if (ret)
		return ret;
	dp->pool = kpool_create(&params);
	if (IS_ERR(dp->pool)) {
		ret = PTR_ERR(dp->pool);
		goto uncharge;
	}
	c->pool_id = kpool_id(dp->pool);
	ret = xa_insert(&kf->pools, c->pool_id, dp, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto destroy;
	/* Other threads of this file see the pool only after up_write(). */
	ret = kpool_dev_copy_out(call, c);
	if (ret)
		goto erase;
	kf->nr_pools++;
	return 0;

erase:
	xa_erase(&kf->pools, c->pool_id);
destroy:
	kpool_destroy(dp->pool);
uncharge:
	kpool_dev_uncharge(kf, dp->reserve_bytes);
	return ret;
}

static long kpool_dev_create(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_create *c = data;
	struct kpool_dev_pool *dp;
	u64 reserve_bytes;
	int ret;

	ret = kpool_dev_check_create(c);
	if (ret)
		return ret;
	if (check_mul_overflow((u64)c->min_blocks, c->block_size,
			       &reserve_bytes))
		return -EINVAL;

	dp = kzalloc(sizeof(*dp), GFP_KERNEL_ACCOUNT);
	if (!dp)
		return -ENOMEM;
	dp->block_size = c->block_size;
	dp->reserve_bytes = reserve_bytes;

	if (down_write_killable(&call->kf->pools_sem)) {
		ret = -EINTR;
		goto free;
	}
	ret = kpool_dev_create_locked(call, c, dp);
	up_write(&call->kf->pools_sem);
	if (!ret)
		return 0;
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

	if (down_write_killable(&kf->pools_sem))
		return -EINTR;
	dp = kpool_dev_find_pool(kf, p->pool_id);
	if (IS_ERR(dp)) {
		ret = PTR_ERR(dp);
		goto unlock;
	}
	kpool_dev_free_blocks(kf, dp);
	ret = kpool_dev_destroy_pool(kf, dp);
	if (ret)
		goto unlock;
	xa_erase(&kf->pools, p->pool_id);
	kf->nr_pools--;
unlock:
	up_write(&kf->pools_sem);
	return ret;
}

/* Undo kpool_dev_reserve_handles() for the first @count blocks. */
static void kpool_dev_unreserve_handles(struct kpool_file *kf,
					struct kpool_dev_block **blocks,
					const u32 *handles, u32 count)
{
	u32 i;

	for (i = 0; i < count; i++) {
		xa_erase(&kf->handles, handles[i]);
		kfree(blocks[i]);
	}
}

/*
 * Give blocks @addrs[0..@count) of the pool or set of @tmpl (a template
 * for their records: home and size) handles, reserved but not yet
 * visible to lookups (the xarray holds a reserved entry until
 * kpool_dev_publish()). On failure nothing is left reserved.
 */
static int kpool_dev_reserve_handles(struct kpool_file *kf,
				     const struct kpool_dev_block *tmpl,
				     void **addrs,
				     struct kpool_dev_block **blocks,
				     u32 *handles, u32 count)
{
	struct kpool_dev_block *b;
	u32 i;
	int ret;

	for (i = 0; i < count; i++) {
		b = kmalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
		if (!b) {
			ret = -ENOMEM;
			break;
		}
		b->dp = tmpl->dp;
		b->ds = tmpl->ds;
		b->size = tmpl->size;
		b->addr = addrs[i];
		refcount_set(&b->ref, 1);
		ret = xa_alloc_cyclic(&kf->handles, &handles[i], NULL,
				      KPOOL_DEV_HANDLE_LIMIT, &kf->next_handle,
				      GFP_KERNEL_ACCOUNT);
		if (ret < 0) {
			kfree(b);
			break;
		}
		blocks[i] = b;
	}
	if (i == count)
		return 0;
	kpool_dev_unreserve_handles(kf, blocks, handles, i);
	return ret;
}

/* Make reserved handles visible; replacing a reserved entry cannot fail. */
static void kpool_dev_publish(struct kpool_file *kf,
			      struct kpool_dev_block **blocks,
			      const u32 *handles, u32 count)
{
	u32 i;

	for (i = 0; i < count; i++)
		xa_store(&kf->handles, handles[i], blocks[i], GFP_KERNEL);
}

/* Allocate @count blocks of @bytes (sets only) for @tmpl's pool or set. */
static int kpool_dev_alloc_bulk(const struct kpool_dev_block *tmpl,
				size_t bytes, u32 count, void **addrs)
{
	if (tmpl->ds)
		return kpool_set_alloc_bulk(tmpl->ds->set, bytes,
					    KPOOL_DEV_ALLOC_GFP, count, addrs);
	return kpool_alloc_bulk(tmpl->dp->pool, KPOOL_DEV_ALLOC_GFP, count,
				addrs);
}

/* Undo kpool_dev_alloc_bulk(). */
static void kpool_dev_free_bulk(const struct kpool_dev_block *tmpl,
				u32 count, void **addrs)
{
	if (tmpl->ds)
		kpool_set_free_bulk(tmpl->ds->set, count, addrs);
	else
		kpool_free_bulk(tmpl->dp->pool, count, addrs);
}

/*
 * Allocate @count blocks for the pool or set of @tmpl (a template of their
 * records), of @bytes for a set, all or nothing, and hand their handles to
 * user space. Nothing is visible to other threads unless the handles
 * reached user space.
 * Context: pools_sem held for reading.
 */
static int kpool_dev_alloc_blocks(struct kpool_file *kf,
				  const struct kpool_dev_block *tmpl,
				  size_t bytes, u32 count,
				  u32 __user *uhandles)
{
	struct kpool_dev_block **blocks;
	void **addrs;
	u32 *handles;
	u64 cost;
	int ret;

	if (check_mul_overflow((u64)count, kpool_dev_block_cost(tmpl->size),
			       &cost))
		return -EINVAL;
	ret = kpool_dev_charge(kf, cost);
	if (ret)
		return ret;

	ret = -ENOMEM;
	addrs = kvcalloc(count, sizeof(*addrs), GFP_KERNEL | __GFP_NOWARN);
	blocks = kvcalloc(count, sizeof(*blocks), GFP_KERNEL | __GFP_NOWARN);
	handles = kvcalloc(count, sizeof(*handles), GFP_KERNEL | __GFP_NOWARN);
	if (!addrs || !blocks || !handles)
		goto free_arrays;
	ret = kpool_dev_alloc_bulk(tmpl, bytes, count, addrs);
	if (ret)
		goto free_arrays;
	ret = kpool_dev_reserve_handles(kf, tmpl, addrs, blocks, handles,
					count);
	if (ret)
		goto free_blocks;
	if (copy_to_user(uhandles, handles, array_size(count, sizeof(*handles)))) {
		ret = -EFAULT;
		goto unreserve;
	}
	kpool_dev_publish(kf, blocks, handles, count);
	/* The charge now belongs to the handles. */
	goto free_arrays;

unreserve:
	kpool_dev_unreserve_handles(kf, blocks, handles, count);
free_blocks:
	kpool_dev_free_bulk(tmpl, count, addrs);
free_arrays:
	kvfree(handles);
	kvfree(blocks);
	kvfree(addrs);
	if (ret)
		kpool_dev_uncharge(kf, cost);
	return ret;
}

static long kpool_dev_alloc(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_alloc *a = data;
	struct kpool_dev_block tmpl = {};
	struct kpool_dev_pool *dp;
	int ret;

	if (a->flags || !a->count || a->count > KPOOL_IOC_MAX_BATCH)
		return -EINVAL;
	dp = kpool_dev_lock_pool(call->kf, a->pool_id);
	if (IS_ERR(dp))
		return PTR_ERR(dp);
	tmpl.dp = dp;
	tmpl.size = dp->block_size;
	ret = kpool_dev_alloc_blocks(call->kf, &tmpl, 0, a->count,
				     u64_to_user_ptr(a->handles));
	up_read(&call->kf->pools_sem);
	return ret;
}

/*
 * Free each handle of @handles that names a block of @home (a pool or a
 * set); record the error of each bad one in @status (when not NULL).
 * Context: pools_sem held for reading.
 * Return: 0, or the error of the first bad handle.
 */
static int kpool_dev_free_handles(struct kpool_file *kf, const void *home,
				  const u32 *handles, s32 *status, u32 count,
				  u32 *freed)
{
	struct kpool_dev_block *b;
	int ret = 0;
	u32 i;

	for (i = 0; i < count; i++) {
		b = kpool_dev_block_claim(kf, home, handles[i]);
		if (IS_ERR(b)) {
			if (!ret)
				ret = PTR_ERR(b);
			if (status)
				status[i] = PTR_ERR(b);
			continue;
		}
		kpool_dev_block_put(kf, b);
		(*freed)++;
	}
	return ret;
}

/* FREE (@set false) and SET_FREE (@set true: @f->pool_id is a set id). */
static long kpool_dev_free_in(const struct kpool_dev_call *call,
			      struct kpool_ioc_free *f, bool set)
{
	s32 __user *ustatus = u64_to_user_ptr(f->status);
	size_t status_bytes = array_size(f->count, sizeof(s32));
	s32 *status = NULL;
	void *home;
	u32 *handles;
	int ret;

	if (f->flags || f->pad || !f->count || f->count > KPOOL_IOC_MAX_BATCH)
		return -EINVAL;
	handles = vmemdup_array_user(u64_to_user_ptr(f->handles), f->count,
				     sizeof(*handles));
	if (IS_ERR(handles))
		return PTR_ERR(handles);
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
	ret = kpool_dev_free_handles(call->kf, home, handles, status, f->count,
				     &f->freed);
	up_read(&call->kf->pools_sem);

	if (status && copy_to_user(ustatus, status, status_bytes))
		ret = -EFAULT;
	if (kpool_dev_copy_out(call, f))
		ret = -EFAULT;
out:
	kvfree(status);
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
	struct kpool_dev_block *b;
	unsigned long left;
	void *home;
	u64 end;
	int ret;

	if (rw->flags & ~KPOOL_IOC_RW_F_SET)
		return -EINVAL;
	home = kpool_dev_lock_home(call->kf, rw->pool_id,
				   rw->flags & KPOOL_IOC_RW_F_SET);
	if (IS_ERR(home))
		return PTR_ERR(home);
	b = kpool_dev_block_get(call->kf, home, rw->handle);
	if (IS_ERR(b)) {
		ret = PTR_ERR(b);
		goto unlock;
	}
	ret = -EINVAL;
	if (check_add_overflow(rw->offset, rw->len, &end) || end > b->size)
		goto put;
	if (write)
		left = copy_from_user(b->addr + rw->offset, ubuf, rw->len);
	else
		left = copy_to_user(ubuf, b->addr + rw->offset, rw->len);
	ret = left ? -EFAULT : 0;
put:
	kpool_dev_block_put(call->kf, b);
unlock:
	up_read(&call->kf->pools_sem);
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
	p->result = kpool_shrink(dp->pool);
	up_read(&call->kf->pools_sem);
	return kpool_dev_copy_out(call, p);
}

static u32 kpool_dev_ioc_flags(unsigned int flags)
{
	return (flags & KPOOL_F_ZERO ? KPOOL_IOC_F_ZERO : 0) |
	       (flags & KPOOL_F_DEBUG ? KPOOL_IOC_F_DEBUG : 0) |
	       (flags & KPOOL_F_NO_SHRINK ? KPOOL_IOC_F_NO_SHRINK : 0);
}

/* kpool_dev_read_pool() callback of STATS: @arg is the ioctl struct. */
static int kpool_dev_fill_stats(struct kpool *pool, void *arg)
{
	struct kpool_ioc_stats *out = arg;
	struct kpool_stats st = {};

	kpool_get_stats(pool, &st);
	strscpy(out->name, st.name, sizeof(out->name));
	out->pool_id = st.id;
	out->flags = kpool_dev_ioc_flags(st.flags);
	out->chunk_order = st.chunk_order;
	out->block_size = st.block_size;
	out->block_stride = st.block_stride;
	out->align = st.align;
	out->blocks_per_chunk = st.blocks_per_chunk;
	out->chunks = st.chunks;
	out->pages = st.pages;
	out->blocks_total = st.blocks_total;
	out->blocks_in_use = st.blocks_in_use;
	out->blocks_free = st.blocks_free;
	out->blocks_reserved = st.blocks_reserved;
	out->min_blocks = st.min_blocks;
	out->max_blocks = st.max_blocks;
	out->high_watermark = st.high_watermark;
	out->wasted_per_chunk = st.wasted_per_chunk;
	out->allocs = st.allocs;
	out->frees = st.frees;
	out->bulk_allocs = st.bulk_allocs;
	out->bulk_frees = st.bulk_frees;
	out->alloc_failures = st.alloc_failures;
	out->waits = st.waits;
	out->grows = st.grows;
	out->grow_failures = st.grow_failures;
	out->shrinks = st.shrinks;
	out->reserve_allocs = st.reserve_allocs;
	out->cache_hits = st.cache_hits;
	out->cache_misses = st.cache_misses;
	out->faults_injected = st.faults_injected;
	out->err_double_free = st.err_double_free;
	out->err_foreign = st.err_foreign;
	out->err_misaligned = st.err_misaligned;
	out->err_poison = st.err_poison;
	out->err_redzone = st.err_redzone;
	return 0;
}

static long kpool_dev_stats(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_stats *s = data;
	u32 id = s->pool_id;
	int ret;

	/* Only @size and @pool_id are input; start the output from zero. */
	memset(s, 0, sizeof(*s));
	s->size = call->usize;
	ret = kpool_dev_read_pool(call, id, kpool_dev_fill_stats, s);
	if (ret)
		return ret;
	return kpool_dev_copy_out(call, s);
}

/**
 * struct kpool_dev_list_walk - state of one LIST pass over the registry
 * @kf: the listing file, to tell SELF from OTHER_FILE.
 * @entries: room for @nr entries (NULL when @nr is 0).
 * @nr: capacity of @entries.
 * @found: pools seen so far.
 */
struct kpool_dev_list_walk {
	const struct kpool_file *kf;
	struct kpool_ioc_pool_entry *entries;
	u32 nr;
	long found;
};

static u32 kpool_dev_owner_kind(const struct kpool *pool,
				const struct kpool_file *kf)
{
	const void *owner = kpool_owner(pool);

	if (!owner)
		return KPOOL_OWNER_KERNEL;
	return owner == kf ? KPOOL_OWNER_SELF : KPOOL_OWNER_OTHER_FILE;
}

/* kpool_for_each() callback of LIST; runs under the registry mutex. */
static int kpool_dev_list_one(struct kpool *pool, void *arg)
{
	struct kpool_dev_list_walk *walk = arg;
	struct kpool_ioc_pool_entry *e;
	struct kpool_stats st = {};

	if (walk->found < walk->nr) {
		e = &walk->entries[walk->found];
		kpool_get_stats(pool, &st);
		e->pool_id = st.id;
		e->owner = kpool_dev_owner_kind(pool, walk->kf);
		e->block_size = st.block_size;
		e->blocks_total = st.blocks_total;
		e->blocks_in_use = st.blocks_in_use;
		strscpy(e->name, st.name, sizeof(e->name));
	}
	walk->found++;
	return 0;
}

/* kpool_dev_snapshot() fill function of LIST; @ctx is the listing file. */
static long kpool_dev_list_fill(void *ctx, void *buf, u32 nr)
{
	struct kpool_dev_list_walk walk = {
		.kf = ctx,
		.entries = buf,
		.nr = nr,
	};
	int ret;

	ret = kpool_for_each(kpool_dev_list_one, &walk);
	return ret ? ret : walk.found;
}

/* An entry stride user space may ask for: from the first version up. */
static bool kpool_dev_entry_size_ok(u32 entry_size, u32 first_size)
{
	return entry_size >= first_size && entry_size <= KPOOL_DEV_MAX_ARG_SIZE;
}

/*
 * Write @n entries of @elem_size bytes each to user space, @entry_size
 * bytes apart.
 */
static int kpool_dev_copy_entries(u64 uentries, u32 entry_size,
				  const void *entries, size_t elem_size, u32 n)
{
	size_t len = min_t(size_t, entry_size, elem_size);
	void __user *dst;
	u64 end;
	u32 i;

	if (check_add_overflow(uentries, (u64)n * entry_size, &end))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		dst = u64_to_user_ptr(uentries + (u64)i * entry_size);
		if (copy_to_user(dst, entries + i * elem_size, len))
			return -EFAULT;
		if (entry_size > len && clear_user(dst + len, entry_size - len))
			return -EFAULT;
	}
	return 0;
}

static long kpool_dev_list(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_list *l = data;
	struct kpool_ioc_pool_entry *entries = NULL;
	long total;
	int ret;

	if (l->pad ||
	    !kpool_dev_entry_size_ok(l->entry_size, KPOOL_DEV_ENTRY_SIZE_VER0))
		return -EINVAL;
	total = kpool_dev_snapshot(kpool_dev_list_fill, call->kf,
				   sizeof(*entries), l->count,
				   (void **)&entries);
	if (total < 0)
		return total;
	ret = kpool_dev_copy_entries(l->entries, l->entry_size, entries,
				     sizeof(*entries),
				     min_t(long, l->count, total));
	kvfree(entries);
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
	struct kpool_stats st = {};

	walk->chunks = kpool_occupancy(pool, walk->map, walk->nr);
	if (walk->chunks < 0)
		return walk->chunks;
	kpool_get_stats(pool, &st);
	walk->blocks_per_chunk = st.blocks_per_chunk;
	return 0;
}

/* kpool_dev_snapshot() fill function of INFO. */
static long kpool_dev_info_fill(void *ctx, void *buf, u32 nr)
{
	struct kpool_dev_info_walk *walk = ctx;
	int ret;

	walk->map = buf;
	walk->nr = nr;
	ret = kpool_dev_read_pool(walk->call, walk->pool_id,
				  kpool_dev_info_one, walk);
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
	ret = kpool_set_fault(dp->pool, f->every_nth, f->probability_ppm);
	up_read(&call->kf->pools_sem);
	return ret;
}

/*
 * An upper bound of the reserves of a set's class pools, known before the
 * set is built: KPOOL_SET_MAX_CLASSES classes of at most max_size rounded
 * up to the alignment (at most PAGE_SIZE), min_blocks blocks each.
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

/*
 * Bytes of the reserves of @set's class pools, @min_blocks each; at most
 * kpool_dev_set_reserve_bound(), so no overflow.
 */
static u64 kpool_dev_set_reserve(const struct kpool_set *set, u32 min_blocks)
{
	unsigned int class, nr = kpool_set_nr_classes(set);
	u64 bytes = 0;

	for (class = 0; class < nr; class++)
		bytes += (u64)min_blocks * kpool_set_class_size(set, class);
	return bytes;
}

/*
 * The size of the class of @set that serves requests of @bytes: the
 * smallest class that fits (classes grow with their index). 0 if none.
 */
static size_t kpool_dev_set_class_for(const struct kpool_set *set, u64 bytes)
{
	unsigned int lo = 0, hi = kpool_set_nr_classes(set), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (kpool_set_class_size(set, mid) < bytes)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < kpool_set_nr_classes(set) ? kpool_set_class_size(set, lo) : 0;
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

/*
 * Destroy a set with no block out and give back its id and charge.
 * Context: no other user of the set (pools_sem held for writing, or
 * release()).
 */
static int kpool_dev_destroy_set(struct kpool_file *kf, u32 id,
				 struct kpool_dev_set *ds)
{
	int ret;

	ret = kpool_set_destroy(ds->set);
	if (ret)
		return ret;
	xa_erase(&kpool_dev_set_ids, id);
	kpool_dev_uncharge(kf, ds->reserve_bytes);
	kfree(ds);
	return 0;
}

/* Build, publish and report a set. Context: pools_sem held for writing. */
static int kpool_dev_set_create_locked(const struct kpool_dev_call *call,
				       struct kpool_ioc_set_create *c,
				       struct kpool_dev_set *ds)
{
	struct kpool_file *kf = call->kf;
	u64 bound;
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
	int ret;

	if (kpool_dev_at_limit(kf->nr_sets, READ_ONCE(max_sets_per_fd),
			       "max_sets_per_fd"))
		return -ENOSPC;
	/*
	 * The reserves are known once the classes are: charge a bound while
	 * the set is built, then keep only the exact reserves charged.
	 */
	ret = kpool_dev_set_reserve_bound(c, &bound);
	if (!ret)
		ret = kpool_dev_charge(kf, bound);
	if (ret)
		return ret;
	ret = xa_alloc(&kpool_dev_set_ids, &c->set_id, kf,
		       KPOOL_DEV_SET_ID_LIMIT, GFP_KERNEL);
	if (ret)
		goto uncharge_bound;
	ds->set = kpool_set_create(&params);
	if (IS_ERR(ds->set)) {
		ret = PTR_ERR(ds->set);
		goto free_id;
	}
	ds->reserve_bytes = kpool_dev_set_reserve(ds->set, c->min_blocks);
	kpool_dev_uncharge(kf, bound - ds->reserve_bytes);
	ret = xa_insert(&kf->sets, c->set_id, ds, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto uncharge;
	/* Other threads of this file see the set only after up_write(). */
	ret = kpool_dev_copy_out(call, c);
	if (ret)
		goto erase;
	kf->nr_sets++;
	return 0;

erase:
	xa_erase(&kf->sets, c->set_id);
uncharge:
	kpool_set_destroy(ds->set);
	xa_erase(&kpool_dev_set_ids, c->set_id);
	kpool_dev_uncharge(kf, ds->reserve_bytes);
	return ret;

free_id:
	xa_erase(&kpool_dev_set_ids, c->set_id);
uncharge_bound:
	kpool_dev_uncharge(kf, bound);
	return ret;
}

static long kpool_dev_set_create(const struct kpool_dev_call *call,
				 void *data)
{
	struct kpool_ioc_set_create *c = data;
	struct kpool_dev_set *ds;
	int ret;

	ret = kpool_dev_check_set_create(c);
	if (ret)
		return ret;
	ds = kzalloc(sizeof(*ds), GFP_KERNEL_ACCOUNT);
	if (!ds)
		return -ENOMEM;
	if (down_write_killable(&call->kf->pools_sem)) {
		ret = -EINTR;
		goto free;
	}
	ret = kpool_dev_set_create_locked(call, c, ds);
	up_write(&call->kf->pools_sem);
	if (!ret)
		return 0;
free:
	kfree(ds);
	return ret;
}

static long kpool_dev_set_destroy(const struct kpool_dev_call *call,
				  void *data)
{
	struct kpool_ioc_set *p = data;
	struct kpool_file *kf = call->kf;
	struct kpool_set_stats st;
	struct kpool_dev_set *ds;
	int ret;

	if (down_write_killable(&kf->pools_sem))
		return -EINTR;
	ds = kpool_dev_find_set(kf, p->set_id);
	if (IS_ERR(ds)) {
		ret = PTR_ERR(ds);
		goto unlock;
	}
	/* Only this file allocates from the set, and it is held off. */
	kpool_set_get_stats(ds->set, &st);
	ret = -EBUSY;
	if (st.blocks_in_use)
		goto unlock;
	ret = kpool_dev_destroy_set(kf, p->set_id, ds);
	if (ret)
		goto unlock;
	xa_erase(&kf->sets, p->set_id);
	kf->nr_sets--;
unlock:
	up_write(&kf->pools_sem);
	return ret;
}

static long kpool_dev_set_alloc(const struct kpool_dev_call *call,
				void *data)
{
	struct kpool_ioc_set_alloc *a = data;
	struct kpool_dev_block tmpl = {};
	struct kpool_dev_set *ds;
	int ret;

	if (a->flags || !a->bytes || !a->count ||
	    a->count > KPOOL_IOC_MAX_BATCH)
		return -EINVAL;
	ds = kpool_dev_lock_set(call->kf, a->set_id);
	if (IS_ERR(ds))
		return PTR_ERR(ds);
	tmpl.ds = ds;
	tmpl.size = kpool_dev_set_class_for(ds->set, a->bytes);
	ret = -EINVAL;
	if (!tmpl.size)
		goto unlock;
	/* Report the class size first: once handles are out, nothing fails. */
	a->block_size = tmpl.size;
	ret = kpool_dev_copy_out(call, a);
	if (!ret)
		ret = kpool_dev_alloc_blocks(call->kf, &tmpl, a->bytes,
					     a->count,
					     u64_to_user_ptr(a->handles));
unlock:
	up_read(&call->kf->pools_sem);
	return ret;
}

static long kpool_dev_set_free(const struct kpool_dev_call *call, void *data)
{
	return kpool_dev_free_in(call, data, true);
}

/* The KPOOL_IOC_F_* flags of a set's class pools. */
static u32 kpool_dev_set_flags(const struct kpool_set *set)
{
	struct kpool_stats st = {};

	kpool_get_stats(kpool_set_class_pool(set, 0), &st);
	return kpool_dev_ioc_flags(st.flags);
}

static void kpool_dev_fill_set_info(struct kpool_ioc_set_info *out,
				    const struct kpool_set *set,
				    const struct kpool_set_stats *st)
{
	strscpy(out->name, st->name, sizeof(out->name));
	out->flags = kpool_dev_set_flags(set);
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
}

/* Fill the first @n entries of @set's class table. */
static int kpool_dev_fill_set_classes(struct kpool_set *set,
				      struct kpool_ioc_set_class *classes,
				      u32 n)
{
	struct kpool_set_class_stats cs;
	u32 i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = kpool_set_get_class_stats(set, i, &cs);
		if (ret)
			return ret;
		classes[i].block_size = cs.block_size;
		classes[i].allocs = cs.allocs;
		classes[i].requested_bytes = cs.requested_bytes;
		classes[i].blocks_in_use = cs.pool.blocks_in_use;
		classes[i].blocks_total = cs.pool.blocks_total;
		classes[i].pages = cs.pool.pages;
		classes[i].alloc_failures = cs.pool.alloc_failures;
		classes[i].pool_id = cs.pool.id;
	}
	return 0;
}

static long kpool_dev_set_info(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_set_info *in = data;
	struct kpool_ioc_set_class *classes = NULL;
	struct kpool_set_stats st;
	struct kpool_dev_set *ds;
	u32 n = 0;
	int ret;

	if (!kpool_dev_entry_size_ok(in->class_size,
				     KPOOL_DEV_SET_CLASS_SIZE_VER0))
		return -EINVAL;
	ds = kpool_dev_lock_set(call->kf, in->set_id);
	if (IS_ERR(ds))
		return PTR_ERR(ds);
	kpool_set_get_stats(ds->set, &st);
	kpool_dev_fill_set_info(in, ds->set, &st);
	n = min(in->nr_classes, st.nr_classes);
	ret = -ENOMEM;
	classes = kvcalloc(n, sizeof(*classes),
			   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (classes)
		ret = kpool_dev_fill_set_classes(ds->set, classes, n);
	up_read(&call->kf->pools_sem);
	if (!ret)
		ret = kpool_dev_copy_entries(in->classes, in->class_size,
					     classes, sizeof(*classes), n);
	kvfree(classes);
	if (ret)
		return ret;
	in->nr_classes = st.nr_classes;
	return kpool_dev_copy_out(call, in);
}

static void kpool_dev_fill_set_entry(struct kpool_ioc_set_entry *e, u32 id,
				     struct kpool_dev_set *ds)
{
	struct kpool_set_stats st;

	kpool_set_get_stats(ds->set, &st);
	e->set_id = id;
	e->nr_classes = st.nr_classes;
	e->min_size = st.min_size;
	e->max_size = st.max_size;
	e->blocks_in_use = st.blocks_in_use;
	e->bytes_in_use = st.bytes_in_use;
	strscpy(e->name, st.name, sizeof(e->name));
}

static long kpool_dev_set_list(const struct kpool_dev_call *call, void *data)
{
	struct kpool_ioc_list *l = data;
	struct kpool_file *kf = call->kf;
	struct kpool_ioc_set_entry *entries;
	struct kpool_dev_set *ds;
	unsigned long id;
	u32 n = 0, total;
	int ret;

	if (l->pad ||
	    !kpool_dev_entry_size_ok(l->entry_size,
				     KPOOL_DEV_SET_ENTRY_SIZE_VER0))
		return -EINVAL;
	if (down_read_killable(&kf->pools_sem))
		return -EINTR;
	total = kf->nr_sets;
	entries = kvcalloc(min(l->count, total), sizeof(*entries),
			   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!entries) {
		up_read(&kf->pools_sem);
		return -ENOMEM;
	}
	xa_for_each(&kf->sets, id, ds) {
		if (n == min(l->count, total))
			break;
		kpool_dev_fill_set_entry(&entries[n++], id, ds);
	}
	up_read(&kf->pools_sem);
	ret = kpool_dev_copy_entries(l->entries, l->entry_size, entries,
				     sizeof(*entries), n);
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
 */
struct kpool_dev_cmd {
	long (*handler)(const struct kpool_dev_call *call, void *arg);
	u32 size;
	u32 min_size;
};

#define KPOOL_DEV_CMD(_handler, _type, _last_v0_field) {		\
	.handler = _handler,						\
	.size = sizeof(_type),						\
	.min_size = offsetofend(_type, _last_v0_field),			\
}

static const struct kpool_dev_cmd kpool_dev_cmds[] = {
	[_IOC_NR(KPOOL_IOC_VERSION)] = KPOOL_DEV_CMD(kpool_dev_version,
		struct kpool_ioc_version, max_name_len),
	[_IOC_NR(KPOOL_IOC_CREATE)] = KPOOL_DEV_CMD(kpool_dev_create,
		struct kpool_ioc_create, name),
	[_IOC_NR(KPOOL_IOC_DESTROY)] = KPOOL_DEV_CMD(kpool_dev_destroy,
		struct kpool_ioc_pool, result),
	[_IOC_NR(KPOOL_IOC_ALLOC)] = KPOOL_DEV_CMD(kpool_dev_alloc,
		struct kpool_ioc_alloc, handles),
	[_IOC_NR(KPOOL_IOC_FREE)] = KPOOL_DEV_CMD(kpool_dev_free,
		struct kpool_ioc_free, pad),
	[_IOC_NR(KPOOL_IOC_WRITE)] = KPOOL_DEV_CMD(kpool_dev_write,
		struct kpool_ioc_rw, buf),
	[_IOC_NR(KPOOL_IOC_READ)] = KPOOL_DEV_CMD(kpool_dev_read,
		struct kpool_ioc_rw, buf),
	[_IOC_NR(KPOOL_IOC_SHRINK)] = KPOOL_DEV_CMD(kpool_dev_shrink,
		struct kpool_ioc_pool, result),
	[_IOC_NR(KPOOL_IOC_STATS)] = KPOOL_DEV_CMD(kpool_dev_stats,
		struct kpool_ioc_stats, err_redzone),
	[_IOC_NR(KPOOL_IOC_LIST)] = KPOOL_DEV_CMD(kpool_dev_list,
		struct kpool_ioc_list, entries),
	[_IOC_NR(KPOOL_IOC_INFO)] = KPOOL_DEV_CMD(kpool_dev_info,
		struct kpool_ioc_info, map),
	[_IOC_NR(KPOOL_IOC_FAULT)] = KPOOL_DEV_CMD(kpool_dev_fault,
		struct kpool_ioc_fault, probability_ppm),
	[_IOC_NR(KPOOL_IOC_SET_CREATE)] = KPOOL_DEV_CMD(kpool_dev_set_create,
		struct kpool_ioc_set_create, name),
	[_IOC_NR(KPOOL_IOC_SET_DESTROY)] = KPOOL_DEV_CMD(kpool_dev_set_destroy,
		struct kpool_ioc_set, set_id),
	[_IOC_NR(KPOOL_IOC_SET_ALLOC)] = KPOOL_DEV_CMD(kpool_dev_set_alloc,
		struct kpool_ioc_set_alloc, block_size),
	[_IOC_NR(KPOOL_IOC_SET_FREE)] = KPOOL_DEV_CMD(kpool_dev_set_free,
		struct kpool_ioc_free, pad),
	[_IOC_NR(KPOOL_IOC_SET_INFO)] = KPOOL_DEV_CMD(kpool_dev_set_info,
		struct kpool_ioc_set_info, err_foreign),
	[_IOC_NR(KPOOL_IOC_SET_LIST)] = KPOOL_DEV_CMD(kpool_dev_set_list,
		struct kpool_ioc_list, entries),
};

/* Room for the argument struct of any command. */
union kpool_dev_arg {
	struct kpool_ioc_version version;
	struct kpool_ioc_create create;
	struct kpool_ioc_pool pool;
	struct kpool_ioc_alloc alloc;
	struct kpool_ioc_free free;
	struct kpool_ioc_rw rw;
	struct kpool_ioc_stats stats;
	struct kpool_ioc_list list;
	struct kpool_ioc_info info;
	struct kpool_ioc_fault fault;
	struct kpool_ioc_set_create set_create;
	struct kpool_ioc_set set;
	struct kpool_ioc_set_alloc set_alloc;
	struct kpool_ioc_set_info set_info;
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
	union kpool_dev_arg arg;
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (_IOC_TYPE(cmd) != KPOOL_IOC_MAGIC ||
	    nr >= ARRAY_SIZE(kpool_dev_cmds))
		return -ENOTTY;
	desc = &kpool_dev_cmds[array_index_nospec(nr,
						  ARRAY_SIZE(kpool_dev_cmds))];
	if (!desc->handler)
		return -ENOTTY;

	if (get_user(call.usize, (u32 __user *)call.uarg))
		return -EFAULT;
	if (call.usize < desc->min_size)
		return -EINVAL;
	if (call.usize > KPOOL_DEV_MAX_ARG_SIZE)
		return -E2BIG;
	call.ksize = desc->size;
	memset(&arg, 0, sizeof(arg));
	ret = copy_struct_from_user(&arg, desc->size, call.uarg, call.usize);
	if (ret)
		return ret;
	return desc->handler(&call, &arg);
}

static int kpool_dev_open(struct inode *inode, struct file *file)
{
	struct kpool_file *kf;

	kf = kzalloc(sizeof(*kf), GFP_KERNEL_ACCOUNT);
	if (!kf)
		return -ENOMEM;
	init_rwsem(&kf->pools_sem);
	xa_init_flags(&kf->pools, XA_FLAGS_ACCOUNT);
	xa_init_flags(&kf->sets, XA_FLAGS_ACCOUNT);
	xa_init_flags(&kf->handles, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	spin_lock_init(&kf->charge_lock);
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

	kpool_dev_free_blocks(kf, NULL);
	xa_for_each(&kf->sets, id, ds) {
		ret = kpool_dev_destroy_set(kf, id, ds);
		if (ret)
			pr_err("set %lu: cannot destroy on close (%d), leaked\n",
			       id, ret);
	}
	xa_destroy(&kf->sets);
	xa_for_each(&kf->pools, id, dp) {
		ret = kpool_dev_destroy_pool(kf, dp);
		if (ret)
			pr_err("pool %lu: cannot destroy on close (%d), leaked\n",
			       id, ret);
	}
	xa_destroy(&kf->pools);
	xa_destroy(&kf->handles);
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
static_assert(sizeof(union kpool_dev_arg) <= KPOOL_DEV_MAX_ARG_SIZE);
static_assert(KPOOL_IOC_SET_NAME_LEN == KPOOL_SET_NAME_LEN);
static_assert(KPOOL_IOC_SET_MAX_SIZE == KPOOL_SET_MAX_SIZE);
static_assert(KPOOL_IOC_SET_MAX_CLASSES == KPOOL_SET_MAX_CLASSES);

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

MODULE_IMPORT_NS(KPOOL);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("kpool developers");
MODULE_DESCRIPTION("/dev/kpool: user-space interface to kpool block pools");
