// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics: event counters, kpool_get_stats(), kpool_occupancy() and
 * the debugfs files.
 */

#include "kpool_internal.h"

/* Each counter's name, and where it goes in struct kpool_stats. */
#define KPOOL_EV_DESC(name, ...) { #name, offsetof(struct kpool_stats, name) },
static const struct {
	const char *name;
	unsigned short offset;
} kpool_events[KPOOL_NR_EVENTS] = {
	KPOOL_IOC_STATS_EVENTS(KPOOL_EV_DESC)
};

/* every name fits a kpool_error event */
#define KPOOL_EV_LONG(name, ...) -(sizeof(#name) > KPOOL_TRACE_ERROR_LEN)
static_assert((0 KPOOL_IOC_STATS_EVENTS(KPOOL_EV_LONG)) == 0);

const char *kpool_event_name(enum kpool_event item)
{
	return kpool_events[item].name;
}

static u64 kpool_counter(struct kpool *pool, enum kpool_event item)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct kpool_cpu *pc = per_cpu_ptr(pool->cpu, cpu);

		sum += READ_ONCE(pc->ev[item]);
		/* the inline hit paths count in the magazine */
		if (item == KPOOL_EV_cache_hits)
			sum += READ_ONCE(pc->mag.hits);
		else if (item == KPOOL_EV_frees)
			sum += READ_ONCE(pc->mag.frees);
	}
	return sum;
}

/* Introspection */

/* Blocks handed out in @chunk (those being freed count too). */
static unsigned int kpool_chunk_in_use(const struct kpool_chunk *chunk)
{
	unsigned int i, n = 0;

	for (i = 0; i < chunk->nr_blocks; i++)
		n += READ_ONCE(chunk->state[i]) >= KPOOL_B_ALLOC;
	return n;
}

unsigned long kpool_in_use(struct kpool *pool)
{
	struct kpool_chunk *chunk;
	unsigned long in_use = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(chunk, &pool->chunks, node)
		in_use += kpool_chunk_in_use(chunk);
	rcu_read_unlock();
	return in_use;
}

/* Bytes of a full chunk outside every block. */
static u64 kpool_waste(const struct kpool *pool)
{
	return pool->chunk_bytes - (u64)pool->per_chunk * pool->size;
}

/* Blocks given to kpool_free_rcu() and not yet back in the pool. */
static u64 kpool_rcu_pending(struct kpool *pool)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(pool->deferred.cpu, cpu)->pending);
	return max(sum, 0L);
}

/**
 * kpool_get_stats() - take a snapshot of a pool's geometry and counters
 * @pool: the pool.
 * @stats: filled in, every field (see struct kpool_stats for what is exact
 *	   and when; high_watermark is sampled on the slow path).
 *
 * Context: Any context but NMI. Reads every block's state.
 */
void kpool_get_stats(struct kpool *pool, struct kpool_stats *stats)
{
	unsigned long flags;
	unsigned int i;

	memset(stats, 0, sizeof(*stats));
	strscpy(stats->name, pool->name, sizeof(stats->name));
	stats->id = pool->id;
	stats->flags = pool->flags;
	stats->node = pool->node;
	stats->block_size = pool->size;
	stats->block_stride = pool->stride;
	stats->align = pool->align;
	stats->boundary = pool->boundary;
	stats->chunk_order = pool->order;
	stats->blocks_per_chunk = pool->per_chunk;
	stats->min_blocks = pool->min_blocks;
	stats->max_blocks = pool->max_blocks;
	stats->wasted_per_chunk = kpool_waste(pool);
	stats->meta_per_chunk = pool->chunk_meta;
	stats->meta_per_chunk += kpool_debug_meta_per_chunk(pool);
	stats->percpu_bytes = (u64)(sizeof(struct kpool_cpu) +
				    sizeof(struct kpool_rcu_cpu)) *
			      num_possible_cpus();

	raw_spin_lock_irqsave(&pool->lock, flags);
	stats->chunks = pool->nr_chunks;
	stats->blocks_total = pool->blocks_total;
	stats->blocks_reserved = pool->nr_reserve;
	stats->high_watermark = pool->high_watermark;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	stats->pages = stats->chunks << pool->order;
	stats->meta_bytes = sizeof(*pool) + stats->percpu_bytes +
			    stats->chunks * stats->meta_per_chunk +
			    pool->debugfs_bytes +
			    atomic_long_read(&pool->deferred.batches) *
			    KPOOL_RCU_BATCH_BYTES;

	stats->blocks_in_use = kpool_in_use(pool);
	stats->blocks_rcu_pending = kpool_rcu_pending(pool);
	if (stats->blocks_in_use < stats->blocks_total)
		stats->blocks_free = stats->blocks_total - stats->blocks_in_use;

	for (i = 0; i < KPOOL_NR_EVENTS; i++)
		*(u64 *)((void *)stats + kpool_events[i].offset) =
			kpool_counter(pool, i);
	/* the counter of allocs holds the slow paths' only */
	stats->allocs += stats->cache_hits;
}
EXPORT_SYMBOL_NS_GPL(kpool_get_stats, KPOOL_NS);

/**
 * kpool_occupancy() - blocks in use in each chunk
 * @pool: the pool.
 * @in_use: receives the count of each chunk, in creation order.
 * @nr: room in @in_use; may be 0 (then @in_use may be NULL).
 *
 * Context: Any context but NMI.
 * Return: the number of chunks; only the first min(@nr, chunks) entries
 * of @in_use are written.
 */
long kpool_occupancy(struct kpool *pool, u32 *in_use, unsigned long nr)
{
	struct kpool_chunk *chunk;
	unsigned long n = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(chunk, &pool->chunks, node) {
		if (n < nr)
			in_use[n] = kpool_chunk_in_use(chunk);
		n++;
	}
	rcu_read_unlock();
	return n;
}
EXPORT_SYMBOL_NS_GPL(kpool_occupancy, KPOOL_NS);

/* debugfs */

/* Every field of struct kpool_stats but the name, for the stats file. */
struct kpool_stat_field {
	const char *name;
	unsigned short offset;
	unsigned short size;
};

#define KPOOL_STAT_FIELD(type, name) \
	{ #name, offsetof(struct kpool_stats, name), sizeof(type) },
#define KPOOL_STAT_EVENT(name, ...) KPOOL_STAT_FIELD(u64, name)

static const struct kpool_stat_field kpool_stat_fields[] = {
	KPOOL_STATE(KPOOL_STAT_FIELD)
	KPOOL_IOC_STATS_EVENTS(KPOOL_STAT_EVENT)
};

static int kpool_debugfs_stats_show(struct seq_file *m, void *unused)
{
	const struct kpool_stat_field *f;
	struct kpool_stats *stats;
	const void *field;
	s64 v;

	stats = kmalloc_obj(*stats, GFP_KERNEL);
	if (!stats)
		return -ENOMEM;
	kpool_get_stats(m->private, stats);
	seq_printf(m, "name: %s\n", stats->name);
	for (f = kpool_stat_fields; f < kpool_stat_fields +
	     ARRAY_SIZE(kpool_stat_fields); f++) {
		field = (const void *)stats + f->offset;
		/* the 32-bit fields are the id, the flags and the node */
		v = f->size == sizeof(u64) ? *(const s64 *)field :
					     *(const s32 *)field;
		seq_printf(m, "%s: %lld\n", f->name, v);
	}
	kfree(stats);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kpool_debugfs_stats);

void kpool_debugfs_add(struct kpool *pool)
{
	char dir[KPOOL_NAME_LEN + 12];
	unsigned int entries = 2;	/* the directory and "stats" */

	/* pools of different owners may share a name: theirs get the id */
	if (pool->owner)
		snprintf(dir, sizeof(dir), "%s@%u", pool->name, pool->id);
	else
		strscpy(dir, pool->name, sizeof(dir));
	pool->debugfs = debugfs_create_dir(dir, kpool_debugfs_root);
	if (IS_ERR(pool->debugfs))
		return;
	debugfs_create_file("stats", 0400, pool->debugfs, pool,
			    &kpool_debugfs_stats_fops);
	entries += kpool_debug_debugfs(pool);
	entries += kpool_fault_debugfs(pool);
	pool->debugfs_bytes = entries * (sizeof(struct dentry) +
					 sizeof(struct inode));
}
