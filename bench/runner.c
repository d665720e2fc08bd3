// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_bench runner: one measurement on one or more CPUs, a kthread bound
 * to each, all released together by a start gate.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "kpool_bench.h"

/**
 * struct bench_run - one measurement in flight.
 * @body: what every worker runs.
 * @nr: workers.
 * @ready: workers at the gate; the last one to arrive opens it.
 * @go: the gate.
 * @left: workers still running @body.
 * @done: completed when @left drops to zero.
 */
struct bench_run {
	bench_body_t body;
	unsigned int nr;
	atomic_t ready;
	bool go;
	atomic_t left;
	struct completion done;
};

/*
 * Spinning at the gate (rather than sleeping) releases every worker within
 * a few instructions of the others; it is bounded because every worker is
 * bound to its own CPU and woken before anyone waits.
 */
static void bench_gate(struct bench_run *run)
{
	if (atomic_inc_return(&run->ready) == run->nr) {
		WRITE_ONCE(run->go, true);
		return;
	}
	while (!READ_ONCE(run->go))
		cpu_relax();
}

static int bench_thread(void *data)
{
	struct bench_worker *w = data;
	struct bench_run *run = w->run;

	bench_gate(run);
	w->err = run->body(w);
	if (atomic_dec_and_test(&run->left))
		complete(&run->done);

	/* Stay until kthread_stop(), which then cannot race with our exit. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void bench_stop_all(struct task_struct **tasks, unsigned int nr)
{
	while (nr-- > 0)
		kthread_stop(tasks[nr]);
}

/**
 * bench_run_on_cpus() - run @body once on each of @cpus, all at once.
 * @cpus: CPUs, one worker each; all must be online.
 * @nr: how many.
 * @body: the workload; it times itself with bench_mark_start/_end().
 * @arg: passed to @body as worker->arg.
 * @workers: @nr entries, filled with each worker's results.
 *
 * Context: process context; sleeps until every worker is done.
 * Return: 0, or the first error of thread creation or of @body.
 */
int bench_run_on_cpus(const int *cpus, unsigned int nr, bench_body_t body,
		      void *arg, struct bench_worker *workers)
{
	struct bench_run run = { .body = body, .nr = nr };
	struct task_struct **tasks;
	unsigned int i;
	int ret = 0;

	tasks = kcalloc(nr, sizeof(*tasks), GFP_KERNEL);
	if (!tasks)
		return -ENOMEM;
	atomic_set(&run.ready, 0);
	atomic_set(&run.left, nr);
	init_completion(&run.done);

	for (i = 0; i < nr; i++) {
		workers[i] = (struct bench_worker) {
			.run = &run, .index = i, .cpu = cpus[i], .arg = arg,
		};
		tasks[i] = kthread_create_on_cpu(bench_thread, &workers[i],
						 cpus[i], "kpool_bench/%u");
		if (IS_ERR(tasks[i])) {
			ret = PTR_ERR(tasks[i]);
			/* Never woken, they stop without running @body. */
			bench_stop_all(tasks, i);
			goto out;
		}
	}
	for (i = 0; i < nr; i++)
		wake_up_process(tasks[i]);
	wait_for_completion(&run.done);
	bench_stop_all(tasks, nr);
	for (i = 0; i < nr && !ret; i++)
		ret = workers[i].err;
out:
	kfree(tasks);
	return ret;
}
