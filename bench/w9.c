// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_bench w9: the per-CPU object-pool workload of lib/test_objpool.c
 * (its synchronous cases), kpool against objpool in the same boot.
 *
 * A kthread bound to each CPU pops BULK objects, writes to each one it got
 * and pushes them back, over and over, for w9_ms milliseconds; every
 * 32768th time it sleeps for a jiffy while holding them (test_objpool's
 * msleep(0)). With an hrtimer, every W9_HRTIMER_MS the same pop/push of
 * BULK objects runs in hardirq context on that CPU too. The pool holds
 * W9_PER_CPU objects per possible CPU (test_objpool's nr_objs) of
 * W9_OBJ_SIZE bytes (its struct ot_node). A pop that finds nothing is a
 * miss, not an error: hits and misses per second are the result. BULK 16
 * is test_objpool's overrun case: two CPUs may ask for more objects than
 * the pool holds.
 *
 * Candidates: objpool (6.7+), kpool_fixed (min_blocks == max_blocks ==
 * the object count: the classic preallocated pool) and kpool_min0
 * (min_blocks 0, max_blocks the same count: grown on demand). kpool
 * allocates with GFP_ATOMIC | __GFP_NOWARN in both contexts: like
 * objpool_pop(), it must never sleep here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME "," fmt

#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/utsname.h>

#include "kpool_bench.h"

#define W9_PER_CPU	8	/* objects per possible CPU */
#define W9_OBJ_SIZE	280	/* sizeof(struct ot_node), lib/test_objpool.c */
#define W9_MAX_BULK	16
#define W9_HRTIMER_MS	4	/* test_objpool's hrtimer period */
#define W9_CHECK	64	/* iterations between two looks at the clock */
#define W9_SLEEP_MASK	0x7fff	/* test_objpool sleeps every 32768 iterations */

/**
 * struct w9_case - one case of the workload
 * @name: as reported.
 * @bulk: objects popped at once, by the thread and by the hrtimer.
 * @hrtimer_ms: period of the hardirq user, 0 for none.
 */
struct w9_case {
	const char *name;
	unsigned int bulk;
	unsigned int hrtimer_ms;
};

static const struct w9_case w9_cases[] = {
	{ "bulk1", 1, 0 },
	{ "bulk1_hrtimer", 1, W9_HRTIMER_MS },
	{ "bulk16", 16, 0 },
	{ "bulk16_hrtimer", 16, W9_HRTIMER_MS },
};

static const enum bench_cand_id w9_cands[] = {
	CAND_OBJPOOL, CAND_KPOOL_FIXED, CAND_KPOOL_MIN0,
};

struct w9_job;

/**
 * struct w9_cpu - one worker's state
 * @job: the measurement.
 * @timer: the hardirq user.
 * @stop: tells @timer not to rearm.
 * @niters: the thread's iterations (for the periodic sleep).
 * @hits: objects got, by the thread [0] and in hardirq [1].
 * @miss: pops that found nothing, likewise.
 */
struct w9_cpu {
	struct w9_job *job;
	struct hrtimer timer;
	bool stop;
	u32 niters;
	u64 hits[2];
	u64 miss[2];
} ____cacheline_aligned_in_smp;

/**
 * struct w9_job - one measurement
 * @c: the candidate.
 * @cs: the case.
 * @ns: how long each thread runs.
 * @cpu: per worker.
 */
struct w9_job {
	struct bench_cand *c;
	const struct w9_case *cs;
	u64 ns;
	struct w9_cpu *cpu;
};

typedef void *(*w9_alloc_t)(struct bench_cand *c);
typedef void (*w9_free_t)(struct bench_cand *c, void *p);

static __always_inline void *w9_kpool_alloc(struct bench_cand *c)
{
	return kpool_alloc(c->pool, GFP_ATOMIC | __GFP_NOWARN);
}

static __always_inline void w9_kpool_free(struct bench_cand *c, void *p)
{
	kpool_free(c->pool, p);
}

/* test_objpool's ot_bulk_sync(): pop @bulk, touch and push back the hits. */
static __always_inline void w9_bulk(struct bench_cand *c, struct w9_cpu *me,
				    unsigned int bulk, int irq,
				    w9_alloc_t alloc, w9_free_t free)
{
	void *v[W9_MAX_BULK];
	unsigned int i;

	for (i = 0; i < bulk; i++)
		v[i] = alloc(c);
	if (!irq && !(++me->niters & W9_SLEEP_MASK))
		schedule_timeout_uninterruptible(1);
	while (i-- > 0) {
		if (v[i]) {
			((unsigned long *)v[i])[2]++;	/* ot_node.refs */
			free(c, v[i]);
			me->hits[irq]++;
		} else {
			me->miss[irq]++;
		}
	}
}

/* The thread's loop, until @deadline (ktime_get_ns()). */
static __always_inline void w9_loop(struct bench_cand *c, struct w9_cpu *me,
				    unsigned int bulk, u64 deadline,
				    w9_alloc_t alloc, w9_free_t free)
{
	unsigned int i;

	do {
		for (i = 0; i < W9_CHECK; i++)
			w9_bulk(c, me, bulk, 0, alloc, free);
	} while (ktime_get_ns() < deadline);
}

static void w9_thread(struct bench_cand *c, struct w9_cpu *me,
		      unsigned int bulk, u64 deadline)
{
	switch (c->id) {
	case CAND_KPOOL_FIXED:
	case CAND_KPOOL_MIN0:
		w9_loop(c, me, bulk, deadline, w9_kpool_alloc, w9_kpool_free);
		break;
#if BENCH_HAVE_OBJPOOL
	case CAND_OBJPOOL:
		w9_loop(c, me, bulk, deadline, objpool_cand_alloc,
			objpool_cand_free);
		break;
#endif
	default:
		break;
	}
}

static void w9_irq(struct bench_cand *c, struct w9_cpu *me, unsigned int bulk)
{
	switch (c->id) {
	case CAND_KPOOL_FIXED:
	case CAND_KPOOL_MIN0:
		w9_bulk(c, me, bulk, 1, w9_kpool_alloc, w9_kpool_free);
		break;
#if BENCH_HAVE_OBJPOOL
	case CAND_OBJPOOL:
		w9_bulk(c, me, bulk, 1, objpool_cand_alloc, objpool_cand_free);
		break;
#endif
	default:
		break;
	}
}

static enum hrtimer_restart w9_timer(struct hrtimer *t)
{
	struct w9_cpu *me = container_of(t, struct w9_cpu, timer);
	const struct w9_case *cs = me->job->cs;

	if (READ_ONCE(me->stop))
		return HRTIMER_NORESTART;
	w9_irq(me->job->c, me, cs->bulk);
	hrtimer_forward_now(t, ms_to_ktime(cs->hrtimer_ms));
	return HRTIMER_RESTART;
}

static int w9_body(struct bench_worker *w)
{
	struct w9_job *job = w->arg;
	struct w9_cpu *me = &job->cpu[w->index];
	const struct w9_case *cs = job->cs;
	/* Pinned and hard: in hardirq on this CPU, PREEMPT_RT included. */
	const enum hrtimer_mode mode = HRTIMER_MODE_REL_PINNED_HARD;

	if (cs->hrtimer_ms) {
		hrtimer_setup(&me->timer, w9_timer, CLOCK_MONOTONIC, mode);
		hrtimer_start(&me->timer, ms_to_ktime(cs->hrtimer_ms), mode);
	}
	bench_mark_start(w);
	w9_thread(job->c, me, cs->bulk, w->start_ns + job->ns);
	if (cs->hrtimer_ms) {
		WRITE_ONCE(me->stop, true);
		hrtimer_cancel(&me->timer);
	}
	bench_mark_end(w);
	return 0;
}

/* kpool's own view of a measurement: counters before and after. */
static void w9_report_kpool(const struct w9_case *cs, struct bench_cand *c,
			    unsigned int round, const struct kpool_stats *a,
			    const struct kpool_stats *b)
{
	BENCH_CSV("w9k,%s,%s,%u,%llu,%llu,%llu,%llu,%llu,%llu,%llu", cs->name,
		  cand_name(c->id), round, b->allocs - a->allocs,
		  b->cache_hits - a->cache_hits,
		  b->cache_misses - a->cache_misses, b->steals - a->steals,
		  b->drains - a->drains,
		  b->alloc_failures - a->alloc_failures, b->grows - a->grows);
}

/* One measurement of @job->c on @nr CPUs, reported. */
static int w9_measure(struct w9_job *job, unsigned int round,
		      const int *cpus, unsigned int nr,
		      struct bench_worker *workers, struct kpool_stats *st)
{
	bool is_kpool = job->c->id != CAND_OBJPOOL;
	u64 hits[2] = {}, miss[2] = {}, ns = 0;
	unsigned int i;
	int ret;

	memset(job->cpu, 0, nr * sizeof(*job->cpu));
	for (i = 0; i < nr; i++)
		job->cpu[i].job = job;
	if (is_kpool)
		kpool_get_stats(job->c->pool, &st[0]);
	ret = bench_run_on_cpus(cpus, nr, w9_body, job, workers);
	if (ret) {
		pr_err("w9: %s failed: %d\n", cand_name(job->c->id), ret);
		return ret;
	}
	for (i = 0; i < nr; i++) {
		hits[0] += job->cpu[i].hits[0];
		hits[1] += job->cpu[i].hits[1];
		miss[0] += job->cpu[i].miss[0];
		miss[1] += job->cpu[i].miss[1];
		ns = max(ns, workers[i].end_ns - workers[i].start_ns);
	}
	BENCH_CSV("w9,%s,%s,%u,%llu,%llu,%llu,%llu,%llu", job->cs->name,
		  cand_name(job->c->id), round, ns, hits[0], miss[0], hits[1],
		  miss[1]);
	if (is_kpool) {
		kpool_get_stats(job->c->pool, &st[1]);
		w9_report_kpool(job->cs, job->c, round, &st[0], &st[1]);
	}
	return 0;
}

/* Create the available candidates of @ids into @cands; @n gets how many. */
static int w9_create(struct bench_cand *cands, unsigned int *n,
		     const enum bench_cand_id *ids, unsigned int nr,
		     const struct bench_cand_cfg *cfg)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < nr && !ret; i++) {
		if (!cand_available(ids[i]))
			continue;
		ret = cand_create(&cands[*n], ids[i], cfg);
		if (ret)
			pr_err("w9: cannot create %s: %d\n", cand_name(ids[i]),
			       ret);
		else
			(*n)++;
	}
	return ret;
}

static int w9_case(struct w9_job *job, const int *cpus, unsigned int nr,
		   struct bench_worker *workers, unsigned int rounds,
		   struct bench_cand *cands, struct kpool_stats *st)
{
	struct bench_cand_cfg cfg = {
		.size = W9_OBJ_SIZE, .depth = W9_PER_CPU,
		.blocks = W9_PER_CPU * num_possible_cpus(),
	};
	unsigned int i, n = 0, round;
	int ret;

	ret = w9_create(cands, &n, w9_cands, ARRAY_SIZE(w9_cands), &cfg);
	for (round = 0; round < rounds && !ret; round++) {
		for (i = 0; i < n && !ret; i++) {
			job->c = &cands[(i + round) % n];
			ret = w9_measure(job, round, cpus, nr, workers, st);
		}
	}
	while (n > 0)
		cand_destroy(&cands[--n]);
	return ret;
}

/**
 * w9_run() - the per-CPU object-pool workload, every case.
 * @cpus: the CPUs to run on, one kthread each.
 * @nr: how many.
 * @workers: @nr worker slots.
 * @rounds: rounds; the candidates take turns within each.
 * @ms: milliseconds per measurement.
 *
 * Context: process context; sleeps.
 * Return: 0 or a negative errno.
 */
int w9_run(const int *cpus, unsigned int nr, struct bench_worker *workers,
	   unsigned int rounds, unsigned int ms)
{
	struct w9_job job = { .ns = (u64)ms * NSEC_PER_MSEC };
	struct bench_cand *cands;
	struct kpool_stats *st;
	unsigned int i;
	int ret = -ENOMEM;

	if (!BENCH_HAVE_OBJPOOL)
		BENCH_CSV("skip,w9,objpool,not in Linux %s",
			  utsname()->release);
	BENCH_CSV("w9env,%u,%u,%u,%u,%u", num_possible_cpus(), nr,
		  W9_PER_CPU * num_possible_cpus(), W9_OBJ_SIZE, ms);
	job.cpu = kcalloc(nr, sizeof(*job.cpu), GFP_KERNEL);
	cands = kcalloc(ARRAY_SIZE(w9_cands), sizeof(*cands), GFP_KERNEL);
	st = kcalloc(2, sizeof(*st), GFP_KERNEL);
	if (job.cpu && cands && st) {
		ret = 0;
		for (i = 0; i < ARRAY_SIZE(w9_cases) && !ret; i++) {
			job.cs = &w9_cases[i];
			ret = w9_case(&job, cpus, nr, workers, rounds, cands,
				      st);
		}
	}
	kfree(st);
	kfree(cands);
	kfree(job.cpu);
	return ret;
}

/*
 * w9miss: what one of W9's misses costs, for the instruction counts of the
 * icount boot. On the first benchmark CPU, each candidate's pool (W9's
 * objects per CPU, at least W9_MAX_BULK in all: a bulk allocation could
 * succeed from the full pool) is emptied with the atomic mask, as W9 does,
 * and then @calls failed pops are timed at the loop's boundaries: one
 * object at a time (kpool_alloc(), objpool_pop(): W9's pop) and, for
 * kpool, a kpool_alloc_bulk() of W9_MAX_BULK. The null candidate is the
 * loop alone.
 * Results: "w9miss,shape,cand,round,calls,ns,cycles" and
 * "w9missenv,possible CPUs,objects,object size".
 */
#define W9_MISS_WARM	64

static const enum bench_cand_id w9miss_cands[] = {
	CAND_OBJPOOL, CAND_KPOOL_FIXED, CAND_KPOOL_MIN0, CAND_NULL,
};

/**
 * struct w9miss_job - one measurement
 * @c: the candidate.
 * @bulk: kpool_alloc_bulk() of W9_MAX_BULK instead of one pop per call.
 * @calls: calls timed.
 * @hits: calls that got something (the pool was not empty: an error).
 * @v: room for a bulk allocation.
 */
struct w9miss_job {
	struct bench_cand *c;
	bool bulk;
	u64 calls;
	u64 hits;
	void *v[W9_MAX_BULK];
};

/* The null candidate's pop: nothing, the loop alone. */
static __always_inline void *w9_null_pop(struct bench_cand *c)
{
	void *p = NULL;

	OPTIMIZER_HIDE_VAR(p);
	return p;
}

static __always_inline void w9_null_push(struct bench_cand *c, void *p)
{
}

static __always_inline u64 w9miss_pops(struct bench_cand *c, u64 n,
				       w9_alloc_t alloc, w9_free_t free)
{
	u64 hits = 0;
	void *p;

	while (n--) {
		p = alloc(c);
		if (unlikely(p)) {
			free(c, p);
			hits++;
		}
	}
	return hits;
}

static u64 w9miss_calls(struct w9miss_job *job, u64 n)
{
	struct bench_cand *c = job->c;
	u64 hits = 0;

	if (job->bulk) {
		while (n--) {
			if (unlikely(!kpool_alloc_bulk(c->pool,
						       GFP_ATOMIC | __GFP_NOWARN,
						       W9_MAX_BULK, job->v))) {
				kpool_free_bulk(c->pool, W9_MAX_BULK, job->v);
				hits++;
			}
		}
		return hits;
	}
	switch (c->id) {
	case CAND_KPOOL_FIXED:
	case CAND_KPOOL_MIN0:
		return w9miss_pops(c, n, w9_kpool_alloc, w9_kpool_free);
#if BENCH_HAVE_OBJPOOL
	case CAND_OBJPOOL:
		return w9miss_pops(c, n, objpool_cand_alloc,
				   objpool_cand_free);
#endif
	default:
		return w9miss_pops(c, n, w9_null_pop, w9_null_push);
	}
}

static int w9miss_body(struct bench_worker *w)
{
	struct w9miss_job *job = w->arg;

	job->hits = w9miss_calls(job, W9_MISS_WARM);
	bench_mark_start(w);
	job->hits += w9miss_calls(job, job->calls);
	bench_mark_end(w);
	return job->hits ? -EBUSY : 0;
}

/*
 * The pop and the push of @c, called through pointers (where nothing is
 * timed): the null candidate pops nothing.
 */
static void w9_ops(const struct bench_cand *c, w9_alloc_t *pop,
		   w9_free_t *push)
{
	switch (c->id) {
	case CAND_KPOOL_FIXED:
	case CAND_KPOOL_MIN0:
		*pop = w9_kpool_alloc;
		*push = w9_kpool_free;
		break;
#if BENCH_HAVE_OBJPOOL
	case CAND_OBJPOOL:
		*pop = objpool_cand_alloc;
		*push = objpool_cand_free;
		break;
#endif
	default:
		*pop = w9_null_pop;
		*push = w9_null_push;
		break;
	}
}

/* Every shape of one candidate in one round, its pool emptied meanwhile. */
static int w9miss_measure(struct w9miss_job *job, const int *cpus,
			  struct bench_worker *workers, void **held,
			  unsigned int objects, unsigned int round)
{
	struct bench_worker *w = &workers[0];
	bool is_kpool = job->c->id == CAND_KPOOL_FIXED ||
			job->c->id == CAND_KPOOL_MIN0;
	unsigned int n = 0, shape;
	w9_alloc_t pop;
	w9_free_t push;
	int ret = 0;

	w9_ops(job->c, &pop, &push);
	while (n <= objects && (held[n] = pop(job->c)))
		n++;
	if (n > objects)
		ret = -EIO;	/* more objects than the pool should hold */
	/* the bulk call is kpool's alone */
	for (shape = 0; shape <= is_kpool && !ret; shape++) {
		job->bulk = shape;
		ret = bench_run_on_cpus(cpus, 1, w9miss_body, job, workers);
		if (!ret)
			BENCH_CSV("w9miss,%s,%s,%u,%llu,%llu,%llu",
				  job->bulk ? "bulk16" : "pop",
				  cand_name(job->c->id), round, job->calls,
				  w->end_ns - w->start_ns,
				  w->end_cycles - w->start_cycles);
	}
	while (n > 0)
		push(job->c, held[--n]);
	if (ret)
		pr_err("w9miss: %s failed: %d\n", cand_name(job->c->id), ret);
	return ret;
}

/**
 * w9miss_run() - the cost of a failed pop from an empty pool, every
 * candidate.
 * @cpus: the first one runs it.
 * @workers: a worker slot.
 * @rounds: rounds; the candidates take turns within each.
 * @calls: failed calls per measurement.
 *
 * Context: process context; sleeps.
 * Return: 0 or a negative errno.
 */
int w9miss_run(const int *cpus, struct bench_worker *workers,
	       unsigned int rounds, unsigned int calls)
{
	/* W9's objects per CPU, and a whole bulk's worth at least */
	unsigned int depth = max(W9_PER_CPU, DIV_ROUND_UP(W9_MAX_BULK,
							  num_possible_cpus()));
	unsigned int objects = depth * num_possible_cpus();
	struct bench_cand_cfg cfg = {
		.size = W9_OBJ_SIZE, .depth = depth, .blocks = objects,
	};
	struct w9miss_job job = { .calls = calls };
	struct bench_cand *cands;
	unsigned int i, n = 0, round;
	void **held;
	int ret = -ENOMEM;

	BENCH_CSV("w9missenv,%u,%u,%u", num_possible_cpus(), objects,
		  W9_OBJ_SIZE);
	held = kmalloc_array(objects + 1, sizeof(*held), GFP_KERNEL);
	cands = kcalloc(ARRAY_SIZE(w9miss_cands), sizeof(*cands), GFP_KERNEL);
	if (held && cands)
		ret = w9_create(cands, &n, w9miss_cands,
				ARRAY_SIZE(w9miss_cands), &cfg);
	for (round = 0; round < rounds && !ret; round++) {
		for (i = 0; i < n && !ret; i++) {
			job.c = &cands[(i + round) % n];
			ret = w9miss_measure(&job, cpus, workers, held, objects,
					     round);
		}
	}
	while (n > 0)
		cand_destroy(&cands[--n]);
	kfree(cands);
	kfree(held);
	return ret;
}
