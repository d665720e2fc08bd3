// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_bench w10: the cost of a free deferred past an RCU grace period,
 * kpool_free_rcu() (no rcu_head in the block) against kfree_rcu() of a
 * kmem_cache object that holds an rcu_head, in the same boot.
 *
 * On the first benchmark CPU, each round and each candidate in turn: take
 * W10_BLOCKS blocks (not timed), then free every one of them deferred,
 * timed at the loop's boundaries (the per-block cost of the call: what a
 * caller pays), then rcu_barrier() (timed apart: the grace periods and the
 * callbacks that finish the frees, mostly waiting). Results:
 * "w10,size,cand,round,blocks,call_ns,call_cycles,barrier_ns".
 */
#define pr_fmt(fmt) KBUILD_MODNAME "," fmt

#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "kpool_bench.h"

#define W10_BLOCKS	4096

static const unsigned int w10_sizes[] = { 64, 1024 };

enum w10_cand { W10_KPOOL, W10_SLAB, W10_NR };

static const char *const w10_names[W10_NR] = { "kpool_free_rcu", "kfree_rcu" };

/* A kmem_cache object: its rcu_head is part of it, at the start. */
struct w10_obj {
	struct rcu_head rcu;
};

/**
 * struct w10_job - one measurement of one candidate
 * @cand: which one.
 * @pool: kpool's pool.
 * @cache: the kmem_cache.
 * @blocks: the blocks taken before the timed loop.
 */
struct w10_job {
	enum w10_cand cand;
	struct kpool *pool;
	struct kmem_cache *cache;
	void **blocks;
};

static int w10_body(struct bench_worker *w)
{
	struct w10_job *job = w->arg;
	unsigned int i;
	int err = 0;

	for (i = 0; i < W10_BLOCKS; i++) {
		job->blocks[i] = job->cand == W10_KPOOL ?
				 kpool_alloc(job->pool, GFP_KERNEL) :
				 kmem_cache_alloc(job->cache, GFP_KERNEL);
		if (!job->blocks[i])
			break;
	}
	w->ops = i;
	bench_mark_start(w);
	if (job->cand == W10_KPOOL) {
		while (i--)
			err |= kpool_free_rcu(job->pool, job->blocks[i]);
	} else {
		while (i--) {
			struct w10_obj *obj = job->blocks[i];

			kfree_rcu(obj, rcu);
		}
	}
	bench_mark_end(w);
	if (w->ops < W10_BLOCKS)
		return -ENOMEM;
	return err;
}

static int w10_measure(struct w10_job *job, const int *cpus,
		       struct bench_worker *workers, unsigned int size,
		       unsigned int round)
{
	struct bench_worker *w = &workers[0];
	u64 t0;
	int ret;

	ret = bench_run_on_cpus(cpus, 1, w10_body, job, workers);
	t0 = ktime_get_ns();
	rcu_barrier();
	/* round 0 warms up, unreported */
	if (!ret && round)
		BENCH_CSV("w10,%u,%s,%u,%llu,%llu,%llu,%llu", size,
			  w10_names[job->cand], round, w->ops,
			  w->end_ns - w->start_ns,
			  w->end_cycles - w->start_cycles,
			  ktime_get_ns() - t0);
	return ret;
}

static int w10_size(const int *cpus, struct bench_worker *workers,
		    unsigned int rounds, unsigned int size)
{
	struct kpool_params p = {
		.name = "bench_w10",
		.block_size = size,
		.node = NUMA_NO_NODE,
		.order = KPOOL_ORDER_AUTO,
	};
	struct w10_job job = {};
	unsigned int round, k;
	int ret = -ENOMEM;

	job.blocks = kvmalloc_array(W10_BLOCKS, sizeof(void *), GFP_KERNEL);
	job.cache = kmem_cache_create("bench_w10", size, 0, 0, NULL);
	job.pool = kpool_create(&p);
	if (IS_ERR(job.pool)) {
		ret = PTR_ERR(job.pool);
		job.pool = NULL;
	}
	if (!job.blocks || !job.cache || !job.pool)
		goto out;
	/* warm: both have their memory and their batches once */
	for (k = 0; k < W10_NR; k++) {
		job.cand = k;
		ret = w10_measure(&job, cpus, workers, size, 0);
		if (ret)
			goto out;
	}
	for (round = 1; round <= rounds && !ret; round++) {
		for (k = 0; k < W10_NR && !ret; k++) {
			/* the first one rotates, as in the other workloads */
			job.cand = (round + k) % W10_NR;
			ret = w10_measure(&job, cpus, workers, size, round);
		}
	}
out:
	rcu_barrier();
	if (job.pool)
		kpool_destroy(job.pool);
	kmem_cache_destroy(job.cache);
	kvfree(job.blocks);
	return ret;
}

int w10_run(const int *cpus, struct bench_worker *workers,
	    unsigned int rounds)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(w10_sizes) && !ret; i++)
		ret = w10_size(cpus, workers, rounds, w10_sizes[i]);
	return ret;
}
