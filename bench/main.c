// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_bench - kpool against kmem_cache, mempool, a locked free list, a
 * per-CPU LIFO (the limit) and objpool, at the same block size and
 * alignment, in the same boot.
 *
 * Loading the module runs one workload (module parameter "workload") and
 * prints its results as "kpool_bench,csv,..." lines; scripts/bench.sh
 * collects them and writes the report. Every measurement runs in kthreads
 * bound to CPUs; loops are timed at their boundaries only (but for the
 * latency percentiles of w6), after a warm-up; a measurement is the
 * fastest of "repeat" back-to-back runs; the candidates take turns within
 * every round (A/B/A/B, the first one rotating), so a slow phase of the
 * machine hits all of them alike.
 *
 *  w1  alloc+free pairs on one CPU (and a KPOOL_F_ZERO pool, w5's yardstick)
 *  w2  allocate K then free K (LIFO, FIFO), and the bulk interfaces
 *  w3  producer/consumer: allocate on one CPU, free on another
 *  w4  scaling: pairs on 1, 2, 4 ... all CPUs at once, every CPU count
 *      in every round (w4_rounds)
 *  w6  growth from an empty pool, then refill, each allocation timed
 *  w7  memory geometry over w7_sizes (the module stays loaded so that the
 *      guest can read the caches' /sys/kernel/slab files; rmmod releases
 *      everything)
 *  w8  variable sizes: a kpool_set against kmalloc on the same sequence of
 *      sizes, pairs and batches, and the block bytes each one uses
 *  w9  lib/test_objpool.c's per-CPU pop/push workload, kpool against
 *      objpool (w9.c)
 *  w9miss  what one of w9's misses costs: failed pops from an empty pool
 *      (w9.c; for the icount boot)
 *  w10 deferred frees: kpool_free_rcu() against kfree_rcu() of a
 *      kmem_cache object with an rcu_head (w10.c)
 */
#define pr_fmt(fmt) KBUILD_MODNAME "," fmt

#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/utsname.h>

#include "kpool_bench.h"

#define BENCH_MAX_SIZES	8
#define BENCH_MAX_W7_SIZES	16
#define BENCH_MAX_K	1024

static char *workload = "w1";
module_param(workload, charp, 0444);
MODULE_PARM_DESC(workload, "w1, w2, w3, w4, w6, w7, w8, w9, w9miss or w10 (see the source)");

static int sizes[BENCH_MAX_SIZES] = { 16, 64, 256, 1024, 4096 };
static int nr_sizes = 5;
module_param_array(sizes, int, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "block sizes (bytes, up to PAGE_SIZE)");

static unsigned int rounds = 7;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "rounds; every candidate runs once per round");

static unsigned int pairs = 20000;
module_param(pairs, uint, 0444);
MODULE_PARM_DESC(pairs, "blocks allocated and freed per measurement");

static unsigned int repeat = 3;
module_param(repeat, uint, 0444);
MODULE_PARM_DESC(repeat, "runs per measurement; the fastest counts");

static unsigned int warmup = 2000;
module_param(warmup, uint, 0444);
MODULE_PARM_DESC(warmup, "blocks allocated and freed before each measurement");

static unsigned int growth_blocks = 4096;
module_param(growth_blocks, uint, 0444);
MODULE_PARM_DESC(growth_blocks, "w6: blocks allocated from an empty pool");

static unsigned int max_cpus;
module_param(max_cpus, uint, 0444);
MODULE_PARM_DESC(max_cpus, "CPUs used at most (0: all online)");

static unsigned int w4_rounds;
module_param(w4_rounds, uint, 0444);
MODULE_PARM_DESC(w4_rounds, "w4: rounds (0: 2 * rounds + 1)");

/* The powers of two, then sizes that are not (issue 11's geometry list). */
static int w7_sizes[BENCH_MAX_W7_SIZES] = {
	16, 64, 256, 1024, 4096, 24, 100, 192, 2304, 3000, 9000, 40000,
};

static int nr_w7_sizes = 12;
module_param_array(w7_sizes, int, &nr_w7_sizes, 0444);
MODULE_PARM_DESC(w7_sizes, "w7: block sizes (bytes, up to KPOOL_MAX_BLOCK_SIZE)");

static unsigned int w9_ms = 200;
module_param(w9_ms, uint, 0444);
MODULE_PARM_DESC(w9_ms, "w9: milliseconds per measurement");

/* The online CPUs a measurement may use, and one worker slot for each. */
static int *bench_cpus;
static unsigned int bench_nr_cpus;
static struct bench_worker *bench_workers;

/**
 * struct cand_set - the candidates of one workload at one block size.
 * @c: the candidates, in the order they take turns.
 * @nr: how many.
 */
struct cand_set {
	struct bench_cand c[NR_CANDS];
	unsigned int nr;
};

/**
 * struct bench_job - one measurement of one candidate.
 * @c: the candidate.
 * @kind: the loop.
 * @warm: the untimed warm-up loop (@warm.n == 0: none).
 * @args: the timed loop.
 */
struct bench_job {
	struct bench_cand *c;
	enum loop_kind kind;
	struct loop_args warm;
	struct loop_args args;
};

struct bench_result {
	u64 ns;
	u64 cycles;
};

static void set_destroy(struct cand_set *s)
{
	while (s->nr > 0)
		cand_destroy(&s->c[--s->nr]);
	kfree(s);
}

static void report_skips(const enum bench_cand_id *ids, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!cand_available(ids[i]))
			BENCH_CSV("skip,%s,%s,not in Linux %s", workload,
				  cand_name(ids[i]), utsname()->release);
}

/* Create the available candidates of @ids; NULL on failure (reported). */
static struct cand_set *set_create(const enum bench_cand_id *ids,
				   unsigned int nr,
				   const struct bench_cand_cfg *cfg)
{
	struct cand_set *s = kzalloc_obj(*s, GFP_KERNEL);
	unsigned int i;
	int ret;

	if (!s)
		return NULL;
	for (i = 0; i < nr; i++) {
		if (!cand_available(ids[i]))
			continue;
		ret = cand_create(&s->c[s->nr], ids[i], cfg);
		if (ret) {
			pr_err("cannot create %s for %zu-byte blocks: %d\n",
			       cand_name(ids[i]), cfg->size, ret);
			set_destroy(s);
			return NULL;
		}
		s->nr++;
	}
	return s;
}

/* The candidate that goes @j-th in @round: the first one rotates. */
static struct bench_cand *set_pick(struct cand_set *s, unsigned int round,
				   unsigned int j)
{
	return &s->c[(j + round) % s->nr];
}

/* A worker: warm up, then run the timed loop between the two marks. */
static int body_job(struct bench_worker *w)
{
	const struct bench_job *job = w->arg;
	int ret = 0;

	if (job->warm.n)
		ret = cand_loop(job->c, job->kind, &job->warm);
	if (ret)
		return ret;
	bench_mark_start(w);
	ret = cand_loop(job->c, job->kind, &job->args);
	bench_mark_end(w);
	return ret;
}

/* Run @body on the first @nr CPUs; the span from first start to last end. */
static int measure_once(struct bench_job *job, bench_body_t body,
			unsigned int nr, struct bench_result *r)
{
	u64 start_ns = U64_MAX, end_ns = 0, start_cyc = U64_MAX, end_cyc = 0;
	struct bench_worker *w = bench_workers;
	unsigned int i;
	int ret;

	ret = bench_run_on_cpus(bench_cpus, nr, body, job, w);
	if (ret) {
		pr_err("%s: %s failed: %d\n", workload, cand_name(job->c->id),
		       ret);
		return ret;
	}
	for (i = 0; i < nr; i++) {
		start_ns = min(start_ns, w[i].start_ns);
		end_ns = max(end_ns, w[i].end_ns);
		start_cyc = min(start_cyc, w[i].start_cycles);
		end_cyc = max(end_cyc, w[i].end_cycles);
	}
	r->ns = end_ns - start_ns;
	r->cycles = end_cyc - start_cyc;
	return 0;
}

static void keep_fastest(struct bench_result *best,
			 const struct bench_result *r, unsigned int run)
{
	if (!run || r->ns < best->ns)
		*best = *r;
}

/*
 * The fastest of @repeat back-to-back runs: the host may be shared, and
 * whatever else runs there only ever adds time.
 */
static int measure(struct bench_job *job, bench_body_t body, unsigned int nr,
		   struct bench_result *best)
{
	struct bench_result r;
	unsigned int run;
	int ret;

	for (run = 0; run < repeat; run++) {
		ret = measure_once(job, body, nr, &r);
		if (ret)
			return ret;
		keep_fastest(best, &r, run);
	}
	return 0;
}

/* Measure every candidate of @s in @round with one loop on @nr CPUs. */
static int measure_round(struct cand_set *s, unsigned int round,
			 struct bench_job *job, unsigned int nr,
			 void (*report)(const struct bench_job *job,
					unsigned int round,
					const struct bench_result *r))
{
	struct bench_result r;
	unsigned int j;
	int ret;

	for (j = 0; j < s->nr; j++) {
		job->c = set_pick(s, round, j);
		ret = measure(job, body_job, nr, &r);
		if (ret)
			return ret;
		report(job, round, &r);
	}
	return 0;
}

/* w1: alloc+free pairs on one CPU. */

static const enum bench_cand_id all_cands[] = {
	CAND_KPOOL, CAND_SLAB, CAND_MEMPOOL, CAND_LOCKED, CAND_PERCPU,
	CAND_OBJPOOL, CAND_NULL,
};

/* w1 adds the zeroing pool: w5's yardstick for /dev/kpool's pools. */
static const enum bench_cand_id w1_cands[] = {
	CAND_KPOOL, CAND_SLAB, CAND_MEMPOOL, CAND_LOCKED, CAND_PERCPU,
	CAND_OBJPOOL, CAND_NULL, CAND_KPOOL_ZERO,
};

static void report_w1(const struct bench_job *job, unsigned int round,
		      const struct bench_result *r)
{
	BENCH_CSV("w1,%zu,%s,%u,%llu,%llu,%llu", job->c->size,
		  cand_name(job->c->id), round, job->args.n, r->ns, r->cycles);
}

static int w1_size(size_t size)
{
	struct bench_cand_cfg cfg = { .size = size, .depth = 64 };
	struct bench_job job = {
		.kind = LOOP_PAIRS,
		.warm = { .n = warmup },
		.args = { .n = pairs },
	};
	struct cand_set *s = set_create(w1_cands, ARRAY_SIZE(w1_cands), &cfg);
	unsigned int round;
	int ret = 0;

	if (!s)
		return -ENOMEM;
	for (round = 0; round < rounds && !ret; round++)
		ret = measure_round(s, round, &job, 1, report_w1);
	set_destroy(s);
	return ret;
}

/* w2: allocate K, then free K; and the bulk interfaces. */

static const unsigned int w2_k[] = { 16, 64, BENCH_MAX_K };

/* null: the bulk loop alone, subtracted from instruction counts. */
static const enum bench_cand_id bulk_cands[] = {
	CAND_KPOOL, CAND_SLAB, CAND_NULL,
};

static const char *w2_order(const struct bench_job *job)
{
	if (job->kind == LOOP_BULK)
		return "bulk";
	return job->args.fifo ? "fifo" : "lifo";
}

static void report_w2(const struct bench_job *job, unsigned int round,
		      const struct bench_result *r)
{
	BENCH_CSV("w2,%zu,%s,%u,%s,%u,%llu,%llu,%llu", job->c->size,
		  cand_name(job->c->id), job->args.k, w2_order(job), round,
		  job->args.n * job->args.k, r->ns, r->cycles);
}

/* Every round of one loop shape (K, order) over the candidates of @s. */
static int w2_shape(struct cand_set *s, enum loop_kind kind, unsigned int k,
		    bool fifo, void **v)
{
	struct bench_job job = {
		.kind = kind,
		.warm = { .n = max(warmup / k, 1U), .k = k, .fifo = fifo,
			  .v = v },
		.args = { .n = max(pairs / k, 1U), .k = k, .fifo = fifo,
			  .v = v },
	};
	unsigned int round;
	int ret = 0;

	for (round = 0; round < rounds && !ret; round++)
		ret = measure_round(s, round, &job, 1, report_w2);
	return ret;
}

static int w2_size(size_t size)
{
	struct bench_cand_cfg cfg = { .size = size, .depth = BENCH_MAX_K };
	struct cand_set *s, *bulk;
	unsigned int i;
	void **v;
	int ret = -ENOMEM;

	v = kvmalloc_array(BENCH_MAX_K, sizeof(*v), GFP_KERNEL);
	s = set_create(all_cands, ARRAY_SIZE(all_cands), &cfg);
	bulk = set_create(bulk_cands, ARRAY_SIZE(bulk_cands), &cfg);
	if (!v || !s || !bulk)
		goto out;
	ret = 0;
	for (i = 0; i < ARRAY_SIZE(w2_k) && !ret; i++) {
		ret = w2_shape(s, LOOP_BATCH, w2_k[i], false, v);
		if (!ret)
			ret = w2_shape(s, LOOP_BATCH, w2_k[i], true, v);
		if (!ret)
			ret = w2_shape(bulk, LOOP_BULK, w2_k[i], false, v);
	}
out:
	if (bulk)
		set_destroy(bulk);
	if (s)
		set_destroy(s);
	kvfree(v);
	return ret;
}

/* w3: producer on the first CPU, consumer on the second, through a ring. */

static const enum bench_cand_id w3_cands[] = {
	CAND_KPOOL, CAND_SLAB, CAND_MEMPOOL, CAND_LOCKED, CAND_OBJPOOL,
};

static int body_pc(struct bench_worker *w)
{
	const struct bench_job *job = w->arg;
	int ret;

	bench_mark_start(w);
	ret = cand_loop(job->c, w->index ? LOOP_CONSUME : LOOP_PRODUCE,
			&job->args);
	bench_mark_end(w);
	return ret;
}

/* The fastest of @repeat runs, each with an empty ring. */
static int w3_run(struct bench_job *job, struct bench_result *best)
{
	struct bench_ring *ring = job->args.ring;
	struct bench_result r;
	unsigned int run;
	int ret;

	for (run = 0; run < repeat; run++) {
		ring->head = 0;
		ring->tail = 0;
		ring->abort = false;
		ret = measure_once(job, body_pc, 2, &r);
		if (ret)
			return ret;
		keep_fastest(best, &r, run);
	}
	return 0;
}

static int w3_size(size_t size)
{
	struct bench_cand_cfg cfg = { .size = size,
				      .depth = 2 * BENCH_RING_SIZE };
	struct bench_job job = { .kind = LOOP_PRODUCE };
	struct bench_result r;
	struct cand_set *s;
	unsigned int round, j;
	int ret = -ENOMEM;

	job.args.ring = kzalloc_obj(*job.args.ring, GFP_KERNEL);
	s = set_create(w3_cands, ARRAY_SIZE(w3_cands), &cfg);
	if (!job.args.ring || !s)
		goto out;
	/* Warm-up: one untimed run of each. */
	job.args.n = warmup;
	for (j = 0, ret = 0; j < s->nr && !ret; j++) {
		job.c = &s->c[j];
		ret = w3_run(&job, &r);
	}
	job.args.n = pairs;
	for (round = 0; round < rounds && !ret; round++) {
		for (j = 0; j < s->nr && !ret; j++) {
			job.c = set_pick(s, round, j);
			ret = w3_run(&job, &r);
			if (!ret)
				BENCH_CSV("w3,%zu,%s,%u,%llu,%llu,%llu", size,
					  cand_name(job.c->id), round,
					  job.args.n, r.ns, r.cycles);
		}
	}
out:
	if (s)
		set_destroy(s);
	kfree(job.args.ring);
	return ret;
}

/*
 * w4: pairs on 1, 2, 4, ... and all CPUs at once. Every round measures
 * every CPU count of every candidate, so that the efficiency
 * T(N) / (N * T(1)) can be taken within a round (the host's slow phases
 * then hit both terms alike) and its median over many rounds reported.
 * mempool is left out: it scales as the kmem_cache under it.
 */

static const enum bench_cand_id w4_cands[] = {
	CAND_KPOOL, CAND_SLAB, CAND_LOCKED, CAND_PERCPU, CAND_OBJPOOL,
};

/* 1, 2, 4, ... and the number of CPUs, which ends the series. */
static unsigned int w4_next(unsigned int n)
{
	return n < bench_nr_cpus ? min(2 * n, bench_nr_cpus) : n + 1;
}

static int w4_size(size_t size)
{
	struct bench_cand_cfg cfg = { .size = size, .depth = 64 };
	struct bench_job job = {
		.kind = LOOP_PAIRS,
		.warm = { .n = warmup },
		.args = { .n = pairs },
	};
	unsigned int nr_rounds = w4_rounds ? w4_rounds : 2 * rounds + 1;
	struct bench_result r;
	struct cand_set *s;
	unsigned int n, round, j;
	int ret = 0;

	s = set_create(w4_cands, ARRAY_SIZE(w4_cands), &cfg);
	if (!s)
		return -ENOMEM;
	for (round = 0; round < nr_rounds && !ret; round++) {
		for (n = 1; n <= bench_nr_cpus && !ret; n = w4_next(n)) {
			for (j = 0; j < s->nr && !ret; j++) {
				job.c = set_pick(s, round, j);
				ret = measure(&job, body_job, n, &r);
				if (!ret)
					BENCH_CSV("w4,%zu,%s,%u,%u,%llu,%llu",
						  size, cand_name(job.c->id), n,
						  round, n * job.args.n, r.ns);
			}
		}
	}
	set_destroy(s);
	return ret;
}

/* w6: growth from an empty pool, then refill; every allocation timed. */

static const enum bench_cand_id w6_cands[] = { CAND_KPOOL, CAND_SLAB };

enum { PHASE_GROW, PHASE_REFILL, NR_PHASES };
static const char *const phase_names[NR_PHASES] = { "grow", "refill" };

/* Quantiles reported, in units of 1/100000. */
static const unsigned int quantiles[] = {
	0, 1000, 5000, 10000, 20000, 30000, 40000, 50000, 60000, 70000,
	80000, 90000, 95000, 98000, 99000, 99500, 99800, 99900, 99950, 99990,
	100000,
};

/**
 * struct growth_job - w6 on one candidate in one round.
 * @c: a fresh candidate (it starts empty).
 * @args: growth_blocks blocks into @args.v.
 * @lat: where each phase's latencies go.
 * @r: each phase's totals.
 */
struct growth_job {
	struct bench_cand *c;
	struct loop_args args;
	u32 *lat[NR_PHASES];
	struct bench_result r[NR_PHASES];
};

static int body_growth(struct bench_worker *w)
{
	struct growth_job *job = w->arg;
	unsigned int phase;
	int ret;

	for (phase = 0; phase < NR_PHASES; phase++) {
		job->args.lat = job->lat[phase];
		bench_mark_start(w);
		ret = cand_loop(job->c, LOOP_TIMED, &job->args);
		bench_mark_end(w);
		if (ret)
			return ret;
		job->r[phase].ns = w->end_ns - w->start_ns;
		job->r[phase].cycles = w->end_cycles - w->start_cycles;
		cand_loop(job->c, LOOP_FREE, &job->args);
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static void report_quantiles(size_t size, enum bench_cand_id id,
			     unsigned int phase, u32 *lat, size_t n)
{
	char line[512];
	size_t len = 0, i, idx;

	sort(lat, n, sizeof(*lat), cmp_u32, NULL);
	for (i = 0; i < ARRAY_SIZE(quantiles); i++) {
		idx = min_t(size_t, n - 1, (u64)quantiles[i] * n / 100000);
		len += scnprintf(line + len, sizeof(line) - len, "%s%u:%u",
				 i ? ";" : "", quantiles[i], lat[idx]);
	}
	BENCH_CSV("w6q,%zu,%s,%s,%zu,%s", size, cand_name(id),
		  phase_names[phase], n, line);
}

/* One round of one candidate: create it empty, grow, refill, destroy. */
static int w6_one(struct growth_job *job, struct bench_cand *c,
		  enum bench_cand_id id, size_t size, unsigned int round)
{
	struct bench_cand_cfg cfg = { .size = size, .depth = growth_blocks };
	struct bench_worker *w = bench_workers;
	unsigned int phase;
	int ret;

	ret = cand_create(c, id, &cfg);
	if (ret)
		return ret;
	job->c = c;
	ret = bench_run_on_cpus(bench_cpus, 1, body_growth, job, w);
	cand_destroy(c);
	if (ret) {
		pr_err("w6: %s failed: %d\n", cand_name(id), ret);
		return ret;
	}
	for (phase = 0; phase < NR_PHASES; phase++)
		BENCH_CSV("w6,%zu,%s,%s,%u,%llu,%llu,%llu", size,
			  cand_name(id), phase_names[phase], round,
			  job->args.n, job->r[phase].ns,
			  job->r[phase].cycles);
	return 0;
}

static int w6_size(size_t size)
{
	const unsigned int nr = ARRAY_SIZE(w6_cands);
	size_t per_run = growth_blocks, total = (size_t)rounds * per_run;
	u32 *lat[ARRAY_SIZE(w6_cands)][NR_PHASES] = {};
	struct growth_job job = { .args = { .n = growth_blocks } };
	unsigned int round, j, i, phase;
	struct bench_cand *c;
	int ret = -ENOMEM;

	c = kzalloc_obj(*c, GFP_KERNEL);
	job.args.v = kvmalloc_array(per_run, sizeof(void *), GFP_KERNEL);
	if (!c || !job.args.v)
		goto out;
	for (i = 0; i < nr; i++) {
		for (phase = 0; phase < NR_PHASES; phase++) {
			lat[i][phase] = kvmalloc_array(total, sizeof(u32),
						       GFP_KERNEL);
			if (!lat[i][phase])
				goto out;
		}
	}
	ret = 0;
	for (round = 0; round < rounds && !ret; round++) {
		for (j = 0; j < nr && !ret; j++) {
			i = (j + round) % nr;
			for (phase = 0; phase < NR_PHASES; phase++)
				job.lat[phase] = lat[i][phase] + round * per_run;
			ret = w6_one(&job, c, w6_cands[i], size, round);
		}
	}
	for (i = 0; i < nr && !ret; i++)
		for (phase = 0; phase < NR_PHASES; phase++)
			report_quantiles(size, w6_cands[i], phase,
					 lat[i][phase], total);
out:
	for (i = 0; i < nr; i++)
		for (phase = 0; phase < NR_PHASES; phase++)
			kvfree(lat[i][phase]);
	kvfree(job.args.v);
	kfree(c);
	return ret;
}

/*
 * w7: memory geometry. One pool and one private cache per size, each
 * holding one block, stay until the module is removed, so that the guest
 * can read /sys/kernel/slab/kpool_bench_w7-<size>/.
 */
static struct kpool *w7_pools[BENCH_MAX_W7_SIZES];
static void *w7_blocks[BENCH_MAX_W7_SIZES];
static struct kmem_cache *w7_caches[BENCH_MAX_W7_SIZES];
static void *w7_objs[BENCH_MAX_W7_SIZES];

static void w7_release(void)
{
	int i;

	for (i = 0; i < BENCH_MAX_W7_SIZES; i++) {
		if (w7_blocks[i])
			kpool_free(w7_pools[i], w7_blocks[i]);
		if (w7_pools[i])
			kpool_destroy(w7_pools[i]);
		if (w7_objs[i])
			kmem_cache_free(w7_caches[i], w7_objs[i]);
		kmem_cache_destroy(w7_caches[i]);
	}
}

static void report_w7(size_t size, const struct kpool_stats *st)
{
	BENCH_CSV("w7kpool,%zu,%llu,%llu,%u,%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu",
		  size, st->block_stride, st->align, st->chunk_order,
		  st->blocks_per_chunk, st->pages, st->chunks,
		  st->wasted_per_chunk, st->meta_per_chunk, st->percpu_bytes,
		  st->meta_bytes, st->boundary);
	BENCH_CSV("w7slab,%zu,kpool_bench_w7-%zu", size, size);
}

static int w7_size(int i, size_t size)
{
	char name[KPOOL_NAME_LEN];
	struct kpool_params params = {
		.name = name, .block_size = size, .node = NUMA_NO_NODE,
		.order = KPOOL_ORDER_AUTO,
	};
	struct kpool_stats *st;
	struct kpool *pool;

	snprintf(name, sizeof(name), "bench-w7-%zu", size);
	pool = kpool_create(&params);
	if (IS_ERR_OR_NULL(pool))
		return pool ? PTR_ERR(pool) : -ENOMEM;
	w7_pools[i] = pool;
	w7_blocks[i] = kpool_alloc(pool, GFP_KERNEL);
	snprintf(name, sizeof(name), "kpool_bench_w7-%zu", size);
	w7_caches[i] = bench_cache_create(name, size);
	if (!w7_blocks[i] || !w7_caches[i])
		return -ENOMEM;
	w7_objs[i] = kmem_cache_alloc(w7_caches[i], GFP_KERNEL);
	st = kzalloc_obj(*st, GFP_KERNEL);
	if (!w7_objs[i] || !st) {
		kfree(st);
		return -ENOMEM;
	}
	kpool_get_stats(pool, st);
	report_w7(size, st);
	kfree(st);
	return 0;
}

static int w7_run(void)
{
	int i, ret = 0;

	for (i = 0; i < nr_w7_sizes && !ret; i++)
		ret = w7_size(i, w7_sizes[i]);
	return ret;
}

/*
 * w8: variable sizes, kpool_set against kmalloc. Each distribution is
 * turned into a fixed pseudo-random sequence of W8_NR_SIZES sizes, taken
 * in turn by every allocation of the sized candidates; every measurement
 * starts at its beginning, so all candidates see the same sizes in the
 * same order.
 */
#define W8_NR_SIZES	4096
#define W8_MAX_SIZE	4096
#define W8_BATCH	64

/**
 * struct w8_band - part of a size distribution
 * @permille: its share of the requests; a distribution's add up to 1000.
 * @lo: smallest size.
 * @hi: largest size.
 */
struct w8_band {
	unsigned int permille;
	u16 lo;
	u16 hi;
};

/**
 * struct w8_dist - a distribution of request sizes
 * @name: as reported.
 * @bands: its bands, uniform within each.
 */
struct w8_dist {
	const char *name;
	struct w8_band bands[3];
};

static const struct w8_dist w8_dists[] = {
	{ "uniform", { { 1000, 8, W8_MAX_SIZE } } },
	{ "small", { { 700, 8, 128 }, { 250, 129, 1024 },
		     { 50, 1025, W8_MAX_SIZE } } },
};

/*
 * The set first: w8_fragmentation() uses it. The sized free and its
 * baseline run where kpool_set.h has kpool_set_free_sized().
 */
static const enum bench_cand_id w8_cands[] = {
	CAND_SET, CAND_KMALLOC, CAND_SIZED_NULL, CAND_SET_SIZED,
	CAND_SIZED_STACK_NULL,
};

/* A fixed 64-bit LCG (Knuth's MMIX): the same sequence on every boot. */
static u32 w8_random(u64 *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 32;
}

static void w8_fill_sizes(const struct w8_dist *d, u16 *sizes)
{
	const struct w8_band *band;
	unsigned int i, pick;
	u64 state = 1;

	for (i = 0; i < W8_NR_SIZES; i++) {
		pick = w8_random(&state) % 1000;
		for (band = d->bands; pick >= band->permille; band++)
			pick -= band->permille;
		sizes[i] = band->lo +
			   w8_random(&state) % (band->hi - band->lo + 1);
	}
}

/*
 * One pass over the sizes: the block bytes the set used (from its own
 * statistics) and those of kmalloc's buckets.
 */
static int w8_fragmentation(const struct w8_dist *d, struct kpool_set *set,
			    const u16 *sizes)
{
	struct kpool_set_stats *before, *after;
	u64 kmalloc_bytes = 0;
	int ret = -ENOMEM;
	unsigned int i;
	void *p;

	before = kmalloc_obj(*before, GFP_KERNEL);
	after = kmalloc_obj(*after, GFP_KERNEL);
	if (!before || !after)
		goto out;
	kpool_set_get_stats(set, before);
	for (i = 0; i < W8_NR_SIZES; i++) {
		p = kpool_set_alloc(set, sizes[i], GFP_KERNEL);
		if (!p)
			goto out;
		kpool_set_free(set, p);
		kmalloc_bytes += kmalloc_size_roundup(sizes[i]);
	}
	kpool_set_get_stats(set, after);
	BENCH_CSV("w8frag,%s,%llu,%llu,%llu", d->name,
		  after->requested_bytes - before->requested_bytes,
		  after->block_bytes - before->block_bytes, kmalloc_bytes);
	ret = 0;
out:
	kfree(after);
	kfree(before);
	return ret;
}

/* Chunk geometry of every class of @set (the same for each distribution). */
static int w8_classes(struct kpool_set *set)
{
	struct kpool_set_class_stats *cs = kmalloc_obj(*cs, GFP_KERNEL);
	unsigned int class;
	int ret = 0;

	if (!cs)
		return -ENOMEM;
	for (class = 0; class < kpool_set_nr_classes(set) && !ret; class++) {
		ret = kpool_set_get_class_stats(set, class, cs);
		if (!ret)
			BENCH_CSV("w8class,%llu,%llu,%u,%u,%llu,%llu,%llu",
				  cs->block_size, cs->pool.block_stride,
				  cs->pool.chunk_order,
				  cs->pool.blocks_per_chunk,
				  cs->pool.wasted_per_chunk,
				  cs->pool.meta_per_chunk,
				  cs->pool.percpu_bytes);
	}
	kfree(cs);
	return ret;
}

/* Every round of one loop shape over the sized candidates of @s. */
static int w8_shape(struct cand_set *s, const struct w8_dist *d,
		    struct bench_job *job)
{
	struct bench_result r;
	unsigned int round, j;
	int ret = 0;

	for (round = 0; round < rounds && !ret; round++) {
		for (j = 0; j < s->nr && !ret; j++) {
			job->c = set_pick(s, round, j);
			job->c->next = 0;
			job->c->sp = 0;
			ret = measure(job, body_job, 1, &r);
			if (!ret)
				BENCH_CSV("w8,%s,%s,%s,%u,%llu,%llu,%llu",
					  d->name, cand_name(job->c->id),
					  job->kind == LOOP_PAIRS ? "pairs" :
					  "batch64", round,
					  job->args.n * max(job->args.k, 1U),
					  r.ns, r.cycles);
		}
	}
	return ret;
}

static int w8_dist(const struct w8_dist *d, u16 *sizes, void **v)
{
	struct bench_cand_cfg cfg = {
		.size = W8_MAX_SIZE, .depth = W8_BATCH,
		.sizes = sizes, .nr_sizes = W8_NR_SIZES,
	};
	struct bench_job pairs_job = {
		.kind = LOOP_PAIRS,
		.warm = { .n = warmup },
		.args = { .n = pairs },
	};
	struct bench_job batch_job = {
		.kind = LOOP_BATCH,
		.warm = { .n = max(warmup / W8_BATCH, 1U), .k = W8_BATCH,
			  .v = v },
		.args = { .n = max(pairs / W8_BATCH, 1U), .k = W8_BATCH,
			  .v = v },
	};
	struct cand_set *s;
	int ret;

	w8_fill_sizes(d, sizes);
	s = set_create(w8_cands, ARRAY_SIZE(w8_cands), &cfg);
	if (!s)
		return -ENOMEM;
	ret = w8_fragmentation(d, s->c[0].set, sizes);
	if (!ret && d == w8_dists)
		ret = w8_classes(s->c[0].set);
	if (!ret)
		ret = w8_shape(s, d, &pairs_job);
	if (!ret)
		ret = w8_shape(s, d, &batch_job);
	set_destroy(s);
	return ret;
}

static int w8_run(void)
{
	u16 *sizes = kmalloc_array(W8_NR_SIZES, sizeof(*sizes), GFP_KERNEL);
	void **v = kmalloc_array(W8_BATCH, sizeof(*v), GFP_KERNEL);
	unsigned int i;
	int ret = -ENOMEM;

	if (sizes && v) {
		ret = 0;
		for (i = 0; i < ARRAY_SIZE(w8_dists) && !ret; i++)
			ret = w8_dist(&w8_dists[i], sizes, v);
	}
	kfree(v);
	kfree(sizes);
	return ret;
}

static int w9_main(void)
{
	return w9_run(bench_cpus, bench_nr_cpus, bench_workers, rounds, w9_ms);
}

static int w9miss_main(void)
{
	return w9miss_run(bench_cpus, bench_workers, rounds, pairs);
}

static int w10_main(void)
{
	return w10_run(bench_cpus, bench_workers, rounds);
}

/* Workload table. */

/**
 * struct bench_workload - one workload
 * @name: its module parameter value.
 * @per_size: runs it at one block size (sizes parameter), or NULL.
 * @min_cpus: CPUs it needs.
 * @run: runs the whole of a workload that has its own sizes.
 */
struct bench_workload {
	const char *name;
	int (*per_size)(size_t size);
	unsigned int min_cpus;
	int (*run)(void);
};

static const struct bench_workload workloads[] = {
	{ "w1", w1_size, 1 },
	{ "w2", w2_size, 1 },
	{ "w3", w3_size, 2 },
	{ "w4", w4_size, 1 },
	{ "w6", w6_size, 1 },
	{ "w7", NULL, 1, w7_run },
	{ "w8", NULL, 1, w8_run },
	{ "w9", NULL, 1, w9_main },
	{ "w9miss", NULL, 1, w9miss_main },
	{ "w10", NULL, 1, w10_main },
};

static const struct bench_workload *find_workload(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(workloads); i++)
		if (!strcmp(workload, workloads[i].name))
			return &workloads[i];
	return NULL;
}

static int check_params(void)
{
	int i;

	if (!rounds || !pairs || !growth_blocks || !repeat || !w9_ms) {
		pr_err("rounds, pairs, repeat, growth_blocks, w9_ms must be positive\n");
		return -EINVAL;
	}
	for (i = 0; i < nr_sizes; i++) {
		if (sizes[i] < KPOOL_MIN_BLOCK_SIZE || sizes[i] > PAGE_SIZE) {
			pr_err("size %d out of %d..%lu\n", sizes[i],
			       KPOOL_MIN_BLOCK_SIZE, PAGE_SIZE);
			return -EINVAL;
		}
	}
	for (i = 0; i < nr_w7_sizes; i++) {
		if (w7_sizes[i] < KPOOL_MIN_BLOCK_SIZE ||
		    w7_sizes[i] > KPOOL_MAX_BLOCK_SIZE) {
			pr_err("w7 size %d out of %d..%d\n", w7_sizes[i],
			       KPOOL_MIN_BLOCK_SIZE, KPOOL_MAX_BLOCK_SIZE);
			return -EINVAL;
		}
	}
	return 0;
}

static int setup_cpus(void)
{
	unsigned int limit = max_cpus ? max_cpus : num_online_cpus();
	int cpu;

	bench_cpus = kcalloc(num_online_cpus(), sizeof(*bench_cpus),
			     GFP_KERNEL);
	bench_workers = kcalloc(num_online_cpus(), sizeof(*bench_workers),
				GFP_KERNEL);
	if (!bench_cpus || !bench_workers)
		return -ENOMEM;
	/* CPU hotplug during a benchmark is not supported. */
	for_each_online_cpu(cpu) {
		if (bench_nr_cpus == limit)
			break;
		bench_cpus[bench_nr_cpus++] = cpu;
	}
	return 0;
}

static void free_cpus(void)
{
	kfree(bench_workers);
	kfree(bench_cpus);
}

static int run_workload(const struct bench_workload *wl)
{
	int i, ret = 0;

	if (wl->run)
		return wl->run();
	report_skips(w1_cands, ARRAY_SIZE(w1_cands));
	for (i = 0; i < nr_sizes && !ret; i++)
		ret = wl->per_size(sizes[i]);
	return ret;
}

static int __init kpool_bench_init(void)
{
	const struct bench_workload *wl = find_workload();
	int ret;

	if (!wl) {
		pr_err("unknown workload '%s'\n", workload);
		return -EINVAL;
	}
	ret = check_params();
	if (!ret)
		ret = setup_cpus();
	if (ret)
		goto out;
	BENCH_CSV("env,%s,%u,%u,%u,%u,%u,%s", workload, bench_nr_cpus,
		  rounds, pairs, warmup, repeat, utsname()->release);
	BENCH_CSV("feature,objpool,%d", BENCH_HAVE_OBJPOOL);
	BENCH_CSV("feature,set_free_sized,%d", BENCH_HAVE_SET_FREE_SIZED);
	if (bench_nr_cpus < wl->min_cpus) {
		BENCH_CSV("skip,%s,all,needs %u CPUs", workload, wl->min_cpus);
		goto out;
	}
	ret = run_workload(wl);
	BENCH_CSV("done,%s,%d", workload, ret);
out:
	free_cpus();
	if (ret)
		w7_release();
	return ret;
}

static void __exit kpool_bench_exit(void)
{
	w7_release();
}

module_init(kpool_bench_init);
module_exit(kpool_bench_exit);

MODULE_DESCRIPTION("kpool benchmark against kmem_cache, mempool and others");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(KPOOL_NS);
