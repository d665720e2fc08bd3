// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_bench candidates: how each allocator under test is set up and torn
 * down. Their allocation and free operations are in kpool_bench.h.
 *
 *  kpool        a pool of the block size, natural alignment, no flags.
 *  kpool_zero   the same with KPOOL_F_ZERO (every /dev/kpool pool zeroes).
 *  kpool_fixed  w9: the classic preallocated pool, min_blocks ==
 *               max_blocks (the workload's object count).
 *  kpool_min0   w9: min_blocks 0, max_blocks the same count.
 *  kmem_cache   a cache of the same size and alignment, no SLAB_ACCOUNT.
 *               It is created with a usercopy region so SLUB never merges
 *               it with another cache: its slabs, growth and sysfs
 *               geometry are its own.
 *  mempool      mempool_create_slab_pool() over such a cache.
 *  locked_list  the textbook pool: one free list of blocks carved from
 *               pages, behind one spin_lock_irqsave() lock.
 *  percpu_lifo  the limit baseline: per-CPU stacks of block pointers,
 *               changed under preempt_disable() with no checks at all,
 *               filled at creation with the most blocks a workload keeps
 *               outstanding on one CPU.
 *  objpool      lib/objpool (Linux 6.7 and later); objects are aligned to
 *               sizeof(long) only, which objpool does not let us change;
 *               slots come from kmalloc below 512-byte objects, else
 *               vmalloc, as in lib/test_objpool.c.
 *  null         hands out one fixed block: measures the loop itself.
 *
 * Sized candidates (w8): each allocation asks for the next size of a
 * sequence, all three alike.
 *  kpool_set    a set of size classes from 8 to the largest size, with the
 *               default spacing and alignment.
 *  kmalloc      kmalloc() and kfree().
 *  sized_null   the loop and the size sequence alone.
 *  kpool_set_sized   the set freed with kpool_set_free_sized() (where
 *               kpool_set.h has it), the caller remembering each size.
 *  sized_null_stack  the loop, the sequence and that remembering alone.
 */
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/atomic.h>
#include <linux/err.h>

#include "kpool_bench.h"

/* Reserve of the mempool candidate (as a typical driver would size it). */
#define BENCH_MEMPOOL_MIN	16

/* Makes the names of pools and caches unique while several are alive. */
static atomic_t bench_serial = ATOMIC_INIT(0);

static const char *const cand_names[NR_CANDS] = {
	[CAND_KPOOL] = "kpool",
	[CAND_KPOOL_ZERO] = "kpool_zero",
	[CAND_KPOOL_FIXED] = "kpool_fixed",
	[CAND_KPOOL_MIN0] = "kpool_min0",
	[CAND_SLAB] = "kmem_cache",
	[CAND_MEMPOOL] = "mempool",
	[CAND_LOCKED] = "locked_list",
	[CAND_PERCPU] = "percpu_lifo",
	[CAND_OBJPOOL] = "objpool",
	[CAND_NULL] = "null",
	[CAND_SET] = "kpool_set",
	[CAND_KMALLOC] = "kmalloc",
	[CAND_SIZED_NULL] = "sized_null",
	[CAND_SET_SIZED] = "kpool_set_sized",
	[CAND_SIZED_STACK_NULL] = "sized_null_stack",
};

const char *cand_name(enum bench_cand_id id)
{
	return cand_names[id];
}

bool cand_available(enum bench_cand_id id)
{
	switch (id) {
	case CAND_OBJPOOL:
		return BENCH_HAVE_OBJPOOL;
	case CAND_SET_SIZED:
	case CAND_SIZED_STACK_NULL:
		return BENCH_HAVE_SET_FREE_SIZED;
	default:
		return true;
	}
}

/* kpool's natural alignment, which every candidate is given too. */
size_t bench_align(size_t size)
{
	size_t align = size & -size;

	return clamp_t(size_t, align, sizeof(void *), PAGE_SIZE);
}

/*
 * Carve a new page into a NULL-terminated list of blocks, linked through
 * their first word. Returns the first block, or NULL.
 */
static void *carve_page(size_t size, struct page **pagep)
{
	unsigned int i = PAGE_SIZE / size;
	struct page *page;
	void *base, *head = NULL;

	page = alloc_page(GFP_KERNEL);
	if (!page)
		return NULL;
	base = page_address(page);
	while (i-- > 0) {
		void *block = base + i * size;

		*(void **)block = head;
		head = block;
	}
	*pagep = page;
	return head;
}

static void free_pages_list(struct list_head *pages)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

/*
 * The locked list ran dry: carve a page, keep its first block for the
 * caller and put the others on the list.
 */
void *locked_pool_grow(struct bench_cand *c)
{
	size_t last_offset = (PAGE_SIZE / c->size - 1) * c->size;
	struct page *page;
	unsigned long flags;
	void *head, *last;

	head = carve_page(c->size, &page);
	if (!head)
		return NULL;
	last = page_address(page) + last_offset;
	spin_lock_irqsave(&c->locked.lock, flags);
	list_add(&page->lru, &c->locked.pages);
	*(void **)last = c->locked.free;
	c->locked.free = *(void **)head;
	spin_unlock_irqrestore(&c->locked.lock, flags);
	return head;
}

static int kpool_cand_create(struct bench_cand *c,
			     const struct bench_cand_cfg *cfg)
{
	char name[KPOOL_NAME_LEN];
	struct kpool_params params = {
		.name = name,
		.block_size = c->size,
		.align = c->align,
		.node = NUMA_NO_NODE,
		.order = KPOOL_ORDER_AUTO,
	};
	struct kpool *pool;

	switch (c->id) {
	case CAND_KPOOL_ZERO:
		params.flags = KPOOL_F_ZERO;
		break;
	case CAND_KPOOL_FIXED:
		params.min_blocks = cfg->blocks;
		params.max_blocks = cfg->blocks;
		break;
	case CAND_KPOOL_MIN0:
		params.max_blocks = cfg->blocks;
		break;
	default:
		break;
	}

	snprintf(name, sizeof(name), "bench-%zu-%d", c->size,
		 atomic_inc_return(&bench_serial));
	pool = kpool_create(&params);
	if (IS_ERR_OR_NULL(pool))
		return pool ? PTR_ERR(pool) : -ENOMEM;
	c->pool = pool;
	return 0;
}

static int set_cand_create(struct bench_cand *c)
{
	char name[KPOOL_SET_NAME_LEN];
	struct kpool_set_params params = {
		.name = name,
		.min_size = KPOOL_MIN_BLOCK_SIZE,
		.max_size = c->size,
		.node = NUMA_NO_NODE,
	};
	struct kpool_set *set;

	snprintf(name, sizeof(name), "bench-set-%d",
		 atomic_inc_return(&bench_serial));
	set = kpool_set_create(&params);
	if (IS_ERR(set))
		return PTR_ERR(set);
	c->set = set;
	return 0;
}

/**
 * bench_cache_create() - a cache of @size-byte blocks at kpool's alignment.
 * @name: its name (copied).
 * @size: object size.
 *
 * The cache has a usercopy region, so SLUB never merges it with another
 * cache: its slabs, growth and sysfs geometry are its own.
 *
 * Context: process context; sleeps.
 * Return: the cache, or NULL.
 */
struct kmem_cache *bench_cache_create(const char *name, size_t size)
{
	return kmem_cache_create_usercopy(name, size, bench_align(size), 0, 0,
					  size, NULL);
}

static int slab_cand_create(struct bench_cand *c)
{
	char name[48];

	snprintf(name, sizeof(name), "kpool_bench_%s-%zu-%d",
		 c->id == CAND_SLAB ? "slab" : "mempool", c->size,
		 atomic_inc_return(&bench_serial));
	c->cache = bench_cache_create(name, c->size);
	return c->cache ? 0 : -ENOMEM;
}

static int mempool_cand_create(struct bench_cand *c)
{
	int ret = slab_cand_create(c);

	if (ret)
		return ret;
	c->mempool = mempool_create_slab_pool(BENCH_MEMPOOL_MIN, c->cache);
	if (!c->mempool) {
		kmem_cache_destroy(c->cache);
		return -ENOMEM;
	}
	return 0;
}

static int locked_cand_create(struct bench_cand *c)
{
	if (c->size > PAGE_SIZE)
		return -EINVAL;
	spin_lock_init(&c->locked.lock);
	c->locked.free = NULL;
	INIT_LIST_HEAD(&c->locked.pages);
	return 0;
}

static void percpu_cand_destroy(struct bench_cand *c)
{
	int cpu;

	for_each_possible_cpu(cpu)
		kvfree(per_cpu_ptr(c->lifo, cpu)->slot);
	free_percpu(c->lifo);
	free_pages_list(&c->lifo_pages);
}

/* Push @depth blocks, carved from new pages, on one CPU's stack. */
static int lifo_fill(struct bench_cand *c, struct lifo_cpu *s,
		     unsigned int depth)
{
	struct page *page;
	void *block;

	while (s->n < depth) {
		block = carve_page(c->size, &page);
		if (!block)
			return -ENOMEM;
		list_add(&page->lru, &c->lifo_pages);
		for (; block && s->n < depth; block = *(void **)block)
			s->slot[s->n++] = block;
	}
	return 0;
}

static int percpu_cand_create(struct bench_cand *c, unsigned int depth)
{
	struct lifo_cpu *s;
	int cpu, ret;

	if (c->size > PAGE_SIZE)
		return -EINVAL;
	INIT_LIST_HEAD(&c->lifo_pages);
	c->lifo = alloc_percpu(struct lifo_cpu);
	if (!c->lifo)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		s = per_cpu_ptr(c->lifo, cpu);
		s->slot = kvmalloc_array(depth, sizeof(void *), GFP_KERNEL);
		ret = s->slot ? lifo_fill(c, s, depth) : -ENOMEM;
		if (ret) {
			percpu_cand_destroy(c);
			return ret;
		}
	}
	return 0;
}

#if BENCH_HAVE_OBJPOOL
static int objpool_cand_create(struct bench_cand *c, unsigned int depth)
{
	/* objpool's slots: kmalloc with GFP_ATOMIC, vmalloc otherwise. */
	gfp_t gfp = c->size < 512 ? GFP_ATOMIC : GFP_KERNEL;

	return objpool_init(&c->objpool, depth * num_possible_cpus(), c->size,
			    gfp, NULL, NULL, NULL);
}
#endif

static int null_cand_create(struct bench_cand *c)
{
	c->null_block = kmalloc(c->size, GFP_KERNEL);
	return c->null_block ? 0 : -ENOMEM;
}

/**
 * cand_create() - set up one candidate for a workload.
 * @c: the candidate, filled in.
 * @id: which allocator.
 * @cfg: block size and the most blocks outstanding on one CPU.
 *
 * Context: process context; sleeps.
 * Return: 0, -EOPNOTSUPP when this kernel lacks the allocator, or another
 * negative errno.
 */
int cand_create(struct bench_cand *c, enum bench_cand_id id,
		const struct bench_cand_cfg *cfg)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->size = cfg->size;
	c->align = bench_align(cfg->size);
	c->sizes = cfg->sizes;
	c->sizes_mask = cfg->nr_sizes - 1;

	switch (id) {
	case CAND_KPOOL:
	case CAND_KPOOL_ZERO:
	case CAND_KPOOL_FIXED:
	case CAND_KPOOL_MIN0:
		return kpool_cand_create(c, cfg);
	case CAND_SLAB:
		return slab_cand_create(c);
	case CAND_MEMPOOL:
		return mempool_cand_create(c);
	case CAND_LOCKED:
		return locked_cand_create(c);
	case CAND_PERCPU:
		return percpu_cand_create(c, cfg->depth);
	case CAND_OBJPOOL:
#if BENCH_HAVE_OBJPOOL
		return objpool_cand_create(c, cfg->depth);
#else
		return -EOPNOTSUPP;
#endif
	case CAND_NULL:
	case CAND_SIZED_NULL:
	case CAND_SIZED_STACK_NULL:
		return null_cand_create(c);
	case CAND_SET:
	case CAND_SET_SIZED:
		return set_cand_create(c);
	case CAND_KMALLOC:
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * cand_destroy() - tear down a candidate made by cand_create().
 * @c: the candidate; every block it handed out must be back.
 *
 * Context: process context; sleeps.
 */
void cand_destroy(struct bench_cand *c)
{
	switch (c->id) {
	case CAND_KPOOL:
	case CAND_KPOOL_ZERO:
	case CAND_KPOOL_FIXED:
	case CAND_KPOOL_MIN0:
		kpool_destroy(c->pool);
		break;
	case CAND_MEMPOOL:
		mempool_destroy(c->mempool);
		fallthrough;
	case CAND_SLAB:
		kmem_cache_destroy(c->cache);
		break;
	case CAND_LOCKED:
		free_pages_list(&c->locked.pages);
		break;
	case CAND_PERCPU:
		percpu_cand_destroy(c);
		break;
	case CAND_OBJPOOL:
#if BENCH_HAVE_OBJPOOL
		objpool_fini(&c->objpool);
#endif
		break;
	case CAND_NULL:
	case CAND_SIZED_NULL:
	case CAND_SIZED_STACK_NULL:
		kfree(c->null_block);
		break;
	case CAND_SET:
	case CAND_SET_SIZED:
		kpool_set_destroy(c->set);
		break;
	default:
		break;
	}
}
