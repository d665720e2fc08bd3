// SPDX-License-Identifier: GPL-2.0
/*
 * Pool lifetime (create, destroy, the registry), the driver glue (devres,
 * mempool) and the module.
 *
 * (The contract is in kpool.h; the theory of each part is at the top of
 * the file implementing it, the shared data in kpool_internal.h.)
 */

#include "kpool_internal.h"

#define CREATE_TRACE_POINTS
#include "kpool_trace.h"

/* kpool_registry_lock guards kpool_list, kpool_ids and name uniqueness. */
DEFINE_MUTEX(kpool_registry_lock);
LIST_HEAD(kpool_list);
DEFINE_XARRAY_ALLOC1(kpool_ids);

struct workqueue_struct *kpool_wq;
struct workqueue_struct *kpool_rcu_wq;
struct dentry *kpool_debugfs_root;
static enum cpuhp_state kpool_cpuhp_state;

/**
 * kpool_set_fault() - inject growth failures
 * @pool: the pool.
 * @every_nth: fail every Nth growth attempt from now on; 0 for never.
 * @probability_ppm: fail each other attempt with this probability, in
 *		     parts per million (0 .. KPOOL_FAULT_PPM_MAX).
 *
 * Both 0 turn this pool's injection off (the module parameter
 * fail_grow_every and the pool's fail_grow fault_attr are separate).
 * Injected failures count in faults_injected and grow_failures; the
 * reserve filled at create is not affected.
 *
 * Context: Any context but NMI.
 * Return: 0, or -EINVAL if @probability_ppm is out of range.
 */
int kpool_set_fault(struct kpool *pool, unsigned int every_nth,
		    unsigned int probability_ppm)
{
	unsigned long flags;

	if (probability_ppm > KPOOL_FAULT_PPM_MAX)
		return -EINVAL;
	raw_spin_lock_irqsave(&pool->lock, flags);
	WRITE_ONCE(pool->fault.every, every_nth);
	WRITE_ONCE(pool->fault.ppm, probability_ppm);
	atomic_set(&pool->fault.count, 0);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_set_fault, KPOOL_NS);

/**
 * kpool_id() - the pool's registry id
 * @pool: the pool.
 *
 * Context: Any context.
 * Return: the id, never 0.
 */
u32 kpool_id(const struct kpool *pool)
{
	return pool->id;
}
EXPORT_SYMBOL_NS_GPL(kpool_id, KPOOL_NS);

/**
 * kpool_name() - the pool's name
 * @pool: the pool.
 *
 * Context: Any context.
 * Return: the name, valid as long as the pool.
 */
const char *kpool_name(const struct kpool *pool)
{
	return pool->name;
}
EXPORT_SYMBOL_NS_GPL(kpool_name, KPOOL_NS);

/**
 * kpool_owner() - the creator's cookie
 * @pool: the pool.
 *
 * Context: Any context.
 * Return: kpool_params.owner as given to kpool_create().
 */
const void *kpool_owner(const struct kpool *pool)
{
	return pool->owner;
}
EXPORT_SYMBOL_NS_GPL(kpool_owner, KPOOL_NS);

/**
 * kpool_block_owner() - the owner cookie of the pool holding a pointer
 * @ptr: any pointer.
 *
 * Finds, in O(1) and without trusting @ptr, the pool whose chunk holds
 * @ptr (nothing but @ptr's struct page and kpool's own memory is read)
 * and returns that pool's kpool_params.owner. It says nothing about
 * whether @ptr is the start of a block or allocated: kpool_free() checks
 * that. Pool sets use it to find a block's size class; a caller must not
 * use the result to reach a pool it does not own.
 *
 * Context: Any context but NMI.
 * Return: the owner cookie, or NULL if @ptr is in no live pool's chunk or
 * the pool was created without a cookie.
 */
const void *kpool_block_owner(const void *ptr)
{
	struct kpool_chunk *chunk;
	const void *owner = NULL;

	/* cheaper than rcu_read_lock() where RCU is preemptible */
	kpool_cpu_pin();
	chunk = kpool_ptr_chunk((unsigned long)kasan_reset_tag(ptr));
	if (chunk)
		owner = READ_ONCE(chunk->pool)->owner;
	kpool_cpu_unpin();
	return owner;
}
EXPORT_SYMBOL_NS_GPL(kpool_block_owner, KPOOL_NS);

/**
 * kpool_block_size() - the size of the pool's blocks
 * @pool: the pool.
 *
 * Context: Any context.
 * Return: kpool_params.block_size.
 */
size_t kpool_block_size(const struct kpool *pool)
{
	return pool->size;
}
EXPORT_SYMBOL_NS_GPL(kpool_block_size, KPOOL_NS);

/**
 * kpool_nr_chunks() - the chunks a pool holds now
 * @pool: the pool.
 *
 * kpool_get_stats()'s chunks without the rest of the snapshot: /dev/kpool
 * reads it after every allocation to see whether the pool grew.
 *
 * Context: Any context but NMI.
 * Return: chunks carved and not given back (a snapshot).
 */
unsigned long kpool_nr_chunks(const struct kpool *pool)
{
	return READ_ONCE(pool->nr_chunks);
}
EXPORT_SYMBOL_NS_GPL(kpool_nr_chunks, KPOOL_NS);

/* Creation and destruction */

bool kpool_name_valid(const char *name)
{
	size_t len, i;

	if (!name)
		return false;
	len = strnlen(name, KPOOL_NAME_LEN);
	if (!len || len == KPOOL_NAME_LEN || name[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!(isascii(name[i]) && isalnum(name[i])) &&
		    !strchr("_.:-", name[i]))
			return false;
	return true;
}

static void kpool_pool_free_rcu(struct rcu_head *rcu)
{
	struct kpool *pool = container_of(rcu, struct kpool, rcu);

	free_percpu(pool->cpu);
	kfree(pool);
}

void kpool_free_memory(struct kpool *pool)
{
	struct kpool_chunk *chunk, *next;

	list_for_each_entry_safe(chunk, next, &pool->chunks, node)
		kpool_chunk_release(pool, chunk);
	kpool_rcu_free(pool);
	/* kpool_block_owner() and kpool_cpu_dead() may still read it */
	call_rcu(&pool->rcu, kpool_pool_free_rcu);
}

/*
 * The allocation masks for which a kpool_alloc() hit has more to do than
 * return the block (struct kpool_hot.finish): __GFP_ZERO; every mask where
 * each block is zeroed (KPOOL_F_ZERO, init_on_alloc without a
 * constructor), KASAN unpoisons it or lockdep checks the context; sleeping
 * masks where might_sleep() checks them.
 */
static gfp_t kpool_finish_mask(const struct kpool_params *p)
{
	if ((p->flags & KPOOL_F_ZERO) || (want_init_on_alloc(0) && !p->ctor) ||
	    IS_ENABLED(CONFIG_KASAN_GENERIC) || IS_ENABLED(CONFIG_LOCKDEP))
		return KPOOL_GFP_ANY;
	if (IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP))
		return __GFP_ZERO | __GFP_DIRECT_RECLAIM;
	return __GFP_ZERO;
}

static struct kpool *kpool_alloc_pool(const struct kpool_params *p,
				      const struct kpool_geometry *g)
{
	gfp_t gfp = GFP_KERNEL | (p->gfp & __GFP_ACCOUNT);
	struct kpool *pool;
	int cpu;

	pool = kzalloc_obj(*pool, gfp);
	if (!pool)
		return NULL;
	pool->cpu = alloc_percpu_gfp(struct kpool_cpu, gfp);
	if (!pool->cpu) {
		kfree(pool);
		return NULL;
	}
	if (kpool_rcu_init(pool, gfp)) {
		free_percpu(pool->cpu);
		kfree(pool);
		return NULL;
	}
	for_each_possible_cpu(cpu) {
		struct kpool_cpu *pc = per_cpu_ptr(pool->cpu, cpu);

		pc->mag.hint = &kpool_no_chunk.range;
		local_lock_init(&pc->mag.lock);
		INIT_WORK(&pc->drain_work, kpool_drain_work);
		pc->pool = pool;
	}

	pool->flags = p->flags;
	pool->zero_gfp = (p->flags & KPOOL_F_ZERO) ? __GFP_ZERO : 0;
	/* debug pools have no magazines: every operation is checked */
	pool->mag_size = kpool_debug_checks(pool) ? 0 : KPOOL_MAG_SIZE;
	pool->hot.mag = &pool->cpu->mag;
	pool->hot.mag_limit = pool->mag_size;
	pool->hot.finish = kpool_finish_mask(p);
	kpool_set_geometry(pool, p, g);
	raw_spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->partial);
	INIT_LIST_HEAD(&pool->full);
	INIT_LIST_HEAD(&pool->empty);
	INIT_LIST_HEAD(&pool->chunks);
	init_swait_queue_head(&pool->wait);
	mutex_init(&pool->release_lock);
	INIT_WORK(&pool->drain_work, kpool_drain_all_work);
	pool->drain_next = jiffies;
	pool->min_blocks = p->min_blocks;
	pool->max_blocks = p->max_blocks;
	pool->node = p->node;
	pool->gfp = p->gfp;
	pool->ctor = p->ctor;
	pool->ctor_arg = p->ctor_arg;
	pool->owner = p->owner;
	atomic_set(&pool->fault.count, 0);
	kpool_fault_attr_init(pool);
	strscpy(pool->name, p->name, sizeof(pool->name));
	return pool;
}

/* Carve chunks until the reserve can be set aside. */
static int kpool_fill_reserve(struct kpool *pool)
{
	u64 chunks = DIV_ROUND_UP_ULL(pool->min_blocks, pool->per_chunk);
	unsigned long flags;

	/* fail at once rather than after eating all memory */
	if ((chunks << pool->order) > totalram_pages())
		return -ENOMEM;
	while (pool->blocks_total < pool->min_blocks) {
		if (kpool_grow(pool, kpool_grow_gfp(pool, GFP_KERNEL |
						    __GFP_RETRY_MAYFAIL, false)))
			return -ENOMEM;
	}
	raw_spin_lock_irqsave(&pool->lock, flags);
	pool->nr_reserve = pool->min_blocks;
	kpool_update_tight(pool);
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	return 0;
}

static struct kpool *kpool_find_name(const char *name, const void *owner)
{
	struct kpool *pool;

	lockdep_assert_held(&kpool_registry_lock);
	list_for_each_entry(pool, &kpool_list, list)
		if (pool->owner == owner && !strcmp(pool->name, name))
			return pool;
	return NULL;
}

/* The next id to try: ids of destroyed pools are not reused at once. */
static u32 kpool_next_id;

static int kpool_register(struct kpool *pool)
{
	int err;

	mutex_lock(&kpool_registry_lock);
	if (kpool_find_name(pool->name, pool->owner)) {
		err = -EEXIST;
		goto out;
	}
	err = xa_alloc_cyclic(&kpool_ids, &pool->id, pool, xa_limit_32b,
			      &kpool_next_id, GFP_KERNEL);
	if (err < 0)
		goto out;
	err = 0;
	list_add_tail_rcu(&pool->list, &kpool_list);
out:
	mutex_unlock(&kpool_registry_lock);
	return err;
}

/**
 * kpool_create() - create a pool
 * @params: what to build; read only during the call (the name is copied).
 *
 * Validates @params, carves enough chunks to set aside the reserve of
 * min_blocks blocks, registers the pool (id, name) and adds its debugfs
 * directory. On failure nothing is left behind. Every pool holds a
 * reference to the kpool module until kpool_destroy().
 *
 * Context: Process context; may sleep.
 * Return: the pool, or an ERR_PTR(): -EINVAL for bad parameters (name,
 * block_size, align, boundary, flags, gfp, order, node, min_blocks >
 * max_blocks, a constructor with KPOOL_F_ZERO), -ENOMEM when memory or the
 * reserve could not be had, -EEXIST when a live pool of the same owner has
 * the same name.
 */
struct kpool *kpool_create(const struct kpool_params *params)
{
	struct kpool_geometry geometry;
	struct kpool *pool;
	int err;

	if (!params)
		return ERR_PTR(-EINVAL);
	err = kpool_layout(params, &geometry);
	if (err)
		return ERR_PTR(err);

	pool = kpool_alloc_pool(params, &geometry);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	err = kpool_fill_reserve(pool);
	if (err)
		goto fail;
	err = kpool_register(pool);
	if (err)
		goto fail;

	kpool_debugfs_add(pool);
	__module_get(THIS_MODULE);
	return pool;

fail:
	kpool_free_memory(pool);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_NS_GPL(kpool_create, KPOOL_NS);

/**
 * kpool_destroy() - destroy a pool
 * @pool: the pool, or NULL (then nothing happens).
 *
 * Drains every CPU's magazine, then refuses if blocks are still allocated:
 * it reports how many (and, for a debug pool, where they were allocated)
 * and leaves the pool fully usable. Otherwise the pool leaves the registry
 * and debugfs and all its memory is freed. Nothing may use the pool
 * concurrently or afterwards.
 *
 * Context: Process context; may sleep.
 * Return: 0, or -EBUSY if blocks are still allocated.
 */
int kpool_destroy(struct kpool *pool)
{
	unsigned long in_use;

	if (!pool)
		return 0;
	kpool_rcu_barrier(pool);
	kpool_drain_all(pool, false);
	in_use = kpool_in_use(pool);
	if (in_use) {
		kpool_report_leaks(pool, in_use);
		return -EBUSY;
	}

	/* first, so that a new pool of the same name gets its directory */
	debugfs_remove_recursive(pool->debugfs);
	mutex_lock(&kpool_registry_lock);
	list_del_rcu(&pool->list);
	xa_erase(&kpool_ids, pool->id);
	mutex_unlock(&kpool_registry_lock);

	cancel_work_sync(&pool->drain_work);
	kpool_free_memory(pool);
	module_put(THIS_MODULE);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_destroy, KPOOL_NS);

/* Registry */

/**
 * kpool_for_each() - call @fn for every live pool
 * @fn: the callback; a non-zero return stops the walk. It runs under the
 *	registry mutex: it may sleep and use the pool, but must not create
 *	or destroy pools or walk the registry.
 * @arg: passed to @fn.
 *
 * Context: Process context; may sleep.
 * Return: 0, or the first non-zero value @fn returned.
 */
int kpool_for_each(int (*fn)(struct kpool *pool, void *arg), void *arg)
{
	u32 pos = 1;

	/* every pool in one step: one hold of the mutex */
	return kpool_registry_walk(fn, arg, &pos, UINT_MAX);
}
EXPORT_SYMBOL_NS_GPL(kpool_for_each, KPOOL_INTERNAL_NS);

/**
 * kpool_registry_walk() - call @fn for up to @steps live pools, by id
 * @fn: the callback, under the registry mutex (see kpool_for_each()).
 * @arg: passed to @fn.
 * @pos: in: the lowest id to visit; out: the id to start the next step
 *	 at, or 0 when no pool is left.
 * @steps: how many pools this step visits at most.
 *
 * A walk in bounded steps, each its own hold of the registry mutex, so a
 * caller can yield between them: start with *@pos = 1 and call again
 * while *@pos is not 0. Pools created or destroyed during the walk may or
 * may not be visited; none is visited twice.
 *
 * Context: Process context; may sleep.
 * Return: 0, or the first non-zero value @fn returned.
 */
int kpool_registry_walk(int (*fn)(struct kpool *pool, void *arg), void *arg,
			u32 *pos, unsigned int steps)
{
	unsigned long id, start = *pos ?: 1;
	struct kpool *pool;
	int ret = 0;

	mutex_lock(&kpool_registry_lock);
	*pos = 0;
	xa_for_each_start(&kpool_ids, id, pool, start) {
		if (!steps--) {
			*pos = id;
			break;
		}
		ret = fn(pool, arg);
		if (ret)
			break;
	}
	mutex_unlock(&kpool_registry_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(kpool_registry_walk, KPOOL_INTERNAL_NS);

/**
 * kpool_with_id() - call @fn for the pool with id @id
 * @id: the id (kpool_id()).
 * @fn: the callback, under the registry mutex (see kpool_for_each()).
 * @arg: passed to @fn.
 *
 * Context: Process context; may sleep.
 * Return: what @fn returned, or -ENOENT if no live pool has that id.
 */
int kpool_with_id(u32 id, int (*fn)(struct kpool *pool, void *arg),
		  void *arg)
{
	struct kpool *pool;
	int ret = -ENOENT;

	mutex_lock(&kpool_registry_lock);
	pool = xa_load(&kpool_ids, id);
	if (pool)
		ret = fn(pool, arg);
	mutex_unlock(&kpool_registry_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(kpool_with_id, KPOOL_INTERNAL_NS);

/* Driver glue: pools managed by the driver model, pools under a mempool */

/* devres release: as kpool_destroy(), which reports blocks still out */
static void devm_kpool_release(struct device *dev, void *res)
{
	kpool_destroy(*(struct kpool **)res);
}

/**
 * devm_kpool_create() - create a pool destroyed when @dev is unbound
 * @dev: the device whose driver owns the pool.
 * @params: as for kpool_create().
 *
 * Managed kpool_create(), as dmam_pool_create() is dma_pool_create()'s:
 * the pool is destroyed by kpool_destroy() when the driver is detached
 * from @dev (or @dev is released without a driver). A pool that still has
 * blocks out then is reported exactly as kpool_destroy() reports it
 * (count, and the allocation sites of a debug pool) and is left alive,
 * its blocks valid, rather than freed under its users. Names are unique
 * among modules' pools (kpool_params.owner NULL): a driver with several
 * devices names each device's pool apart (e.g. after dev_name()).
 *
 * Context: Process context; may sleep.
 * Return: the pool, or an ERR_PTR(): kpool_create()'s errors, or -ENOMEM
 * if the devres entry could not be had.
 */
struct kpool *devm_kpool_create(struct device *dev,
				const struct kpool_params *params)
{
	struct kpool **res, *pool;

	res = devres_alloc(devm_kpool_release, sizeof(*res), GFP_KERNEL);
	if (!res)
		return ERR_PTR(-ENOMEM);
	pool = kpool_create(params);
	if (IS_ERR(pool))
		goto fail;
	*res = pool;
	devres_add(dev, res);
	return pool;

fail:
	devres_free(res);
	return pool;
}
EXPORT_SYMBOL_NS_GPL(devm_kpool_create, KPOOL_NS);

/* kpool_mempool_alloc()'s miss: a sleeping mask never waits for a free. */
static noinline void *kpool_mempool_miss(struct kpool *pool, gfp_t gfp)
{
	void *element;

	if (!gfpflags_allow_blocking(gfp))
		return kpool_alloc_miss(pool, gfp);
	if (kpool_alloc_bulk(pool, gfp, 1, &element))
		return NULL;
	return element;
}

/**
 * kpool_mempool_alloc() - mempool_alloc_t over a kpool pool
 * @gfp_mask: the allocation context mempool_alloc() passes on.
 * @pool_data: the pool (struct kpool *), as given to mempool_create().
 *
 * As mempool_alloc_slab() is for a kmem_cache: mempool_create(min_nr,
 * kpool_mempool_alloc, kpool_mempool_free, pool) puts a mempool's reserve
 * of min_nr elements on top of @pool_data. An atomic @gfp_mask is served
 * as by kpool_alloc(); a sleeping one (mempool_create()'s preallocation,
 * mempool_alloc()'s retry once its reserve is empty) by this CPU's
 * magazine as kpool_alloc()'s hit, else by kpool_alloc_bulk(), which may
 * reclaim to grow the pool but never waits
 * for a kpool_free(): mempool_alloc() waits for mempool_free() itself, and
 * mempool_free() refills the mempool's reserve before it frees to the
 * pool, so a wait inside the pool could miss the very frees it needs.
 *
 * Context: As kpool_alloc() for @gfp_mask.
 * Return: a block of the pool, or NULL.
 */
void *kpool_mempool_alloc(gfp_t gfp_mask, void *pool_data)
{
	return kpool_alloc_hit(pool_data, gfp_mask, kpool_mempool_miss);
}
EXPORT_SYMBOL_NS_GPL(kpool_mempool_alloc, KPOOL_NS);

/**
 * kpool_mempool_free() - mempool_free_t over a kpool pool
 * @element: a block of the pool, from kpool_mempool_alloc().
 * @pool_data: the pool (struct kpool *), as given to mempool_create().
 *
 * Frees @element to the pool with kpool_free(), whose checks apply: a
 * block that is not the pool's, or not allocated, is refused, counted and
 * reported, and the pool stays intact.
 *
 * Context: Any context but NMI.
 */
void kpool_mempool_free(void *element, void *pool_data)
{
	kpool_free(pool_data, element);
}
EXPORT_SYMBOL_NS_GPL(kpool_mempool_free, KPOOL_NS);

static int __init kpool_init(void)
{
	struct kpool_chunk_table *table;
	int err = -ENOMEM;

	kpool_page_key = get_random_long() | BIT(BITS_PER_LONG - 1);
	table = kpool_table_alloc(KPOOL_TABLE_MIN, GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	RCU_INIT_POINTER(kpool_chunks, table);
	kpool_wq = alloc_workqueue("kpool", WQ_MEM_RECLAIM | WQ_PERCPU, 0);
	if (!kpool_wq)
		goto fail_table;
	kpool_rcu_wq = alloc_workqueue("kpool_rcu", WQ_MEM_RECLAIM | WQ_PERCPU,
				       0);
	if (!kpool_rcu_wq)
		goto fail_wq;
	err = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "kpool:dead",
					NULL, kpool_cpu_dead);
	if (err < 0)
		goto fail_rcu_wq;
	kpool_cpuhp_state = err;
	kpool_shrinker = kpool_shrinker_create("kpool", kpool_shrink_count,
					       kpool_shrink_scan);
	if (!kpool_shrinker) {
		err = -ENOMEM;
		goto fail_cpuhp;
	}
	/* without the stack depot, owners are tracked by caller address */
	kpool_stack_depot_ready = IS_ENABLED(CONFIG_STACKDEPOT) &&
				  !stack_depot_init();
	kpool_debugfs_root = debugfs_create_dir("kpool", NULL);
	return 0;

fail_cpuhp:
	cpuhp_remove_state_nocalls(kpool_cpuhp_state);
fail_rcu_wq:
	destroy_workqueue(kpool_rcu_wq);
fail_wq:
	destroy_workqueue(kpool_wq);
fail_table:
	kvfree(table);
	return err;
}

static void __exit kpool_exit(void)
{
	debugfs_remove_recursive(kpool_debugfs_root);
	kpool_shrinker_destroy(kpool_shrinker);
	cpuhp_remove_state_nocalls(kpool_cpuhp_state);
	/* chunks of destroyed pools are still waiting for a grace period */
	rcu_barrier();
	WARN(atomic_long_read(&kpool_pages_held),
	     "kpool: %ld chunk pages never given back\n",
	     atomic_long_read(&kpool_pages_held));
	destroy_workqueue(kpool_rcu_wq);
	destroy_workqueue(kpool_wq);
	xa_destroy(&kpool_ids);
	/* no chunk is left, nor any reader of the table */
	kvfree(rcu_dereference_protected(kpool_chunks, true));
	ida_destroy(&kpool_chunk_ids);
}

module_init(kpool_init);
module_exit(kpool_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Pools of fixed-size blocks carved from page chunks");
MODULE_AUTHOR("kpool developers");
