// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_rcu: RCU readers of pool blocks, and kpool_free_rcu().
 *
 * - kpool_free_rcu() hands a block out again only after a grace period: a
 *   reader inside rcu_read_lock() from before the call still sees every
 *   byte of the block, the pool (drained dry, at its cap) has no block to
 *   give meanwhile, and the grace period cookie taken before the call has
 *   not expired; afterwards a sleeping allocation gets that very block.
 *   From a task and from a hard hrtimer (hardirq context, where no batch
 *   can be allocated: the block is marked in its state byte), in plain,
 *   debug and type-safe pools; in plain pools also with a batch already
 *   open on the CPU, which kpool_free_rcu()'s fast path fills (from the
 *   hrtimer too).
 * - A burst of deferred frees from a task, alone or beside a hard hrtimer
 *   doing the same, is counted (rcu_frees) and a kpool_destroy() right
 *   after it returns 0: it waits for the grace periods.
 * - Blocks deferred on a CPU that then goes offline come back: its open
 *   batch is closed and their grace period ends (CPU hotplug, where a
 *   second CPU can go offline).
 * - Bad pointers are refused at the call with kpool_free()'s errnos and
 *   counters, with a batch open on the CPU (kpool_free_rcu()'s fast path
 *   meets them first), and a block waiting for its grace period cannot be
 *   freed again by either call.
 * - KPOOL_F_TYPESAFE_RCU: readers under rcu_read_lock() dereference blocks
 *   that a writer frees (kpool_free() and kpool_free_rcu()) and allocates
 *   again, while kpool_shrink() and the shrinker (drop_caches) give empty
 *   chunks back; the type field the constructor set must always be there.
 *   A chunk given back to the page allocator before the readers' grace
 *   period would be a KASAN report (its pages are poisoned when freed),
 *   an oops under debug_pagealloc or a wrong type.
 */
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "kpool_test.h"

#define KT_RCU_BLOCK	128
#define KT_RCU_DRY	16		/* blocks of a pool run dry */
#define KT_RCU_SEED	0x5eedu
#define KT_RCU_BURST	2000		/* deferred frees of a burst */
#define KT_RCU_TICK_NS	(1000 * NSEC_PER_USEC)
#define KT_RCU_SLOTS	256		/* published objects */
#define KT_RCU_READERS	2
#define KT_RCU_TYPE	0x7e5afe01u
#define KT_RCU_RUN	(HZ / 2)	/* how long readers and writer run... */
#define KT_RCU_ROUNDS	8		/* ...for at least this many rounds */

/* Context: hardirq. */
struct kt_rcu_shot {
	struct hrtimer timer;
	struct kpool *pool;
	void *block;
	int err;
	bool hardirq;
	bool done;
};

static enum hrtimer_restart kt_rcu_shot_fn(struct hrtimer *t)
{
	struct kt_rcu_shot *s = container_of(t, struct kt_rcu_shot, timer);

	s->hardirq = in_hardirq();
	s->err = kpool_free_rcu(s->pool, s->block);
	/* pairs with the acquire in kt_rcu_free_hardirq() */
	smp_store_release(&s->done, true);
	return HRTIMER_NORESTART;
}

/*
 * kpool_free_rcu() from a hard hrtimer on this CPU; the caller waits. @s
 * is allocated beforehand: the caller may be in an RCU read-side section.
 */
static int kt_rcu_free_hardirq(struct kunit *test, struct kt_rcu_shot *s,
			       struct kpool *pool, void *block)
{
	unsigned long deadline = jiffies + HZ;

	s->pool = pool;
	s->block = block;
	hrtimer_setup(&s->timer, kt_rcu_shot_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_HARD);
	hrtimer_start(&s->timer, ns_to_ktime(NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	/* pairs with the release in kt_rcu_shot_fn() */
	while (!smp_load_acquire(&s->done) && time_before(jiffies, deadline))
		cpu_relax();
	hrtimer_cancel(&s->timer);
	KUNIT_EXPECT_TRUE_MSG(test, s->done, "the hrtimer never ran");
	if (!IS_ENABLED(CONFIG_PREEMPT_RT) || s->done)
		KUNIT_EXPECT_TRUE(test, s->hardirq);
	return s->done ? s->err : -ETIME;
}

struct kt_rcu_kind {
	const char *name;
	unsigned int flags;
	bool hardirq;
	bool open;		/* a batch open on the CPU: the fast path */
};

static void kt_rcu_kind_desc(const struct kt_rcu_kind *k, char *desc)
{
	strscpy(desc, k->name, KUNIT_PARAM_DESC_SIZE);
}

static const struct kt_rcu_kind kt_rcu_reuse_kinds[] = {
	{ "plain, task", 0, false },
	{ "plain, task, batch open", 0, false, true },
	{ "plain, hardirq", 0, true },
	{ "plain, hardirq, batch open", 0, true, true },
	{ "debug, task", KPOOL_F_DEBUG, false },
	{ "debug, hardirq", KPOOL_F_DEBUG, true },
	{ "typesafe, task", KPOOL_F_TYPESAFE_RCU, false },
	{ "typesafe, hardirq", KPOOL_F_TYPESAFE_RCU, true },
};

KUNIT_ARRAY_PARAM(kt_rcu_reuse, kt_rcu_reuse_kinds, kt_rcu_kind_desc);

static void kt_rcu_not_reused(struct kunit *test)
{
	const struct kt_rcu_kind *k = test->param_value;
	struct kt_rcu_shot *shot;
	struct kpool_stats st0, st;
	struct kpool_params p;
	unsigned long cookie;
	void *block, *again;
	struct kt_pool *kp;
	bool expired;
	long at;
	int err;

	kt_params_init(&p, kt_unique_name(test, "rcu_reuse"), KT_RCU_BLOCK);
	p.flags = k->flags;
	p.min_blocks = KT_RCU_DRY;
	p.max_blocks = KT_RCU_DRY;
	kp = kt_create(test, &p, KT_RCU_DRY);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, KT_RCU_DRY, GFP_KERNEL),
			KT_RCU_DRY);
	block = kp->blocks[0];
	kt_fill(block, KT_RCU_BLOCK, KT_RCU_SEED);
	shot = kunit_kzalloc(test, sizeof(*shot), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, shot);
	/* the hrtimer fires on this CPU too */
	migrate_disable();
	if (k->open) {
		KUNIT_EXPECT_EQ(test, kpool_free_rcu(kp->pool, kp->blocks[1]), 0);
		kp->blocks[1] = NULL;
	}
	kt_stats(kp, &st0);

	rcu_read_lock();
	cookie = get_state_synchronize_rcu();
	if (k->hardirq)
		err = kt_rcu_free_hardirq(test, shot, kp->pool, block);
	else
		err = kpool_free_rcu(kp->pool, block);
	again = kpool_alloc(kp->pool, GFP_ATOMIC);
	kt_stats(kp, &st);
	at = kt_check(block, KT_RCU_BLOCK, KT_RCU_SEED);
	expired = poll_state_synchronize_rcu(cookie);
	rcu_read_unlock();
	migrate_enable();

	/* a block handed out is the case's to free, whatever it is */
	kp->blocks[0] = again;
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_PTR_EQ(test, again, NULL);
	KUNIT_EXPECT_EQ_MSG(test, at, -1, "byte %ld changed in the reader", at);
	KUNIT_EXPECT_FALSE(test, expired);
	KUNIT_EXPECT_EQ(test, st.blocks_rcu_pending, st0.blocks_rcu_pending + 1);
	KUNIT_EXPECT_EQ(test, st.rcu_frees, st0.rcu_frees + 1);
	KUNIT_EXPECT_EQ(test, st.blocks_in_use, KT_RCU_DRY);
	/* outside hardirq context the block went into a new batch: metadata */
	if (!k->hardirq && !k->open)
		KUNIT_EXPECT_GT(test, st.meta_bytes, st0.meta_bytes);
	if (again)
		return;

	/* after the grace period, the free blocks are that one (and slot 1's) */
	again = kpool_alloc(kp->pool, GFP_KERNEL);
	if (k->open) {
		kp->blocks[1] = kpool_alloc(kp->pool, GFP_KERNEL);
		if (kp->blocks[1] == block)
			swap(again, kp->blocks[1]);
	}
	kp->blocks[0] = again;
	KUNIT_EXPECT_PTR_EQ(test, again, block);
	KUNIT_EXPECT_TRUE(test, poll_state_synchronize_rcu(cookie));
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_rcu_pending, 0);
	kt_expect_in_use(test, kp, KT_RCU_DRY);
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, KT_RCU_DRY), 0);
	KUNIT_EXPECT_EQ(test, kt_destroy(test, kp), 0);
}

/**
 * struct kt_rcu_burst - deferred frees from a task and a hard hrtimer
 * @timer: allocates a block and defers its free, every tick.
 * @pool: the pool.
 * @stop: the timer does not re-arm once this is set.
 * @irq_ok: deferred frees the timer made.
 * @irq_failed: deferred frees refused in the timer (must stay 0).
 * @irq_wrong: ticks not in hardirq context (must stay 0).
 */
struct kt_rcu_burst {
	struct hrtimer timer;
	struct kpool *pool;
	bool stop;
	unsigned long irq_ok;
	unsigned long irq_failed;
	unsigned long irq_wrong;
};

static enum hrtimer_restart kt_rcu_burst_tick(struct hrtimer *t)
{
	struct kt_rcu_burst *b = container_of(t, struct kt_rcu_burst, timer);
	void *block;

	if (READ_ONCE(b->stop))
		return HRTIMER_NORESTART;
	if (!in_hardirq())
		b->irq_wrong++;
	/* in hardirq context the pool does not grow: it may have none */
	block = kpool_alloc(b->pool, GFP_ATOMIC);
	if (block) {
		kt_fill(block, KT_RCU_BLOCK, KT_RCU_SEED);
		if (kpool_free_rcu(b->pool, block))
			b->irq_failed++;
		else
			b->irq_ok++;
	}
	hrtimer_forward_now(t, ns_to_ktime(KT_RCU_TICK_NS));
	return HRTIMER_RESTART;
}

static const struct kt_rcu_kind kt_rcu_burst_kinds[] = {
	{ "task", 0, false },
	{ "task and hardirq", 0, true },
	{ "debug, task and hardirq", KPOOL_F_DEBUG, true },
	{ "typesafe, task and hardirq", KPOOL_F_TYPESAFE_RCU, true },
};

KUNIT_ARRAY_PARAM(kt_rcu_burst, kt_rcu_burst_kinds, kt_rcu_kind_desc);

static void kt_rcu_burst_destroy(struct kunit *test)
{
	const struct kt_rcu_kind *k = test->param_value;
	struct kt_rcu_burst *b;
	unsigned long ok = 0;
	struct kpool_stats st;
	struct kpool_params p;
	struct kt_pool *kp;
	unsigned int i;
	void *block;

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	kt_params_init(&p, kt_unique_name(test, "rcu_burst"), KT_RCU_BLOCK);
	p.flags = k->flags;
	p.min_blocks = KT_RCU_DRY;
	kp = kt_create(test, &p, 0);
	b->pool = kp->pool;
	if (k->hardirq) {
		hrtimer_setup(&b->timer, kt_rcu_burst_tick, CLOCK_MONOTONIC,
			      HRTIMER_MODE_REL_HARD);
		hrtimer_start(&b->timer, ns_to_ktime(KT_RCU_TICK_NS),
			      HRTIMER_MODE_REL_HARD);
	}
	for (i = 0; i < KT_RCU_BURST; i++) {
		block = kpool_alloc(kp->pool, GFP_KERNEL);
		if (!block)
			break;
		kt_fill(block, KT_RCU_BLOCK, KT_RCU_SEED + i);
		ok += !kpool_free_rcu(kp->pool, block);
		if (!(i % 64))
			cond_resched();
	}
	if (k->hardirq) {
		WRITE_ONCE(b->stop, true);
		hrtimer_cancel(&b->timer);
	}

	KUNIT_EXPECT_EQ(test, i, KT_RCU_BURST);
	KUNIT_EXPECT_EQ(test, ok, KT_RCU_BURST);
	KUNIT_EXPECT_EQ(test, b->irq_failed, 0);
	KUNIT_EXPECT_EQ(test, b->irq_wrong, 0);
	kunit_info(test, "%lu deferred frees in hardirq context", b->irq_ok);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.rcu_frees, ok + b->irq_ok);
	KUNIT_EXPECT_LE(test, st.blocks_rcu_pending, st.rcu_frees);
	KUNIT_EXPECT_EQ(test, st.err_double_free + st.err_foreign +
			st.err_misaligned, 0);
	/* at once: kpool_destroy() waits for the grace periods */
	KUNIT_EXPECT_EQ(test, kt_destroy(test, kp), 0);
}

/**
 * struct kt_rcu_hp - deferred frees on a CPU about to go offline
 * @kp: the pool and the blocks.
 * @err: what kpool_free_rcu() returned, ORed.
 * @done: completed by the thread when it is done.
 */
struct kt_rcu_hp {
	struct kt_pool *kp;
	int err;
	struct completion done;
};

static int kt_rcu_hp_thread(void *data)
{
	struct kt_rcu_hp *h = data;
	unsigned int i;

	for (i = 0; i < KT_RCU_DRY; i++) {
		h->err |= kpool_free_rcu(h->kp->pool, h->kp->blocks[i]);
		h->kp->blocks[i] = NULL;
	}
	complete_all(&h->done);
	return 0;
}

static void kt_rcu_dead_cpu(struct kunit *test)
{
	struct task_struct *task;
	struct kpool_stats st;
	struct kpool_params p;
	struct kt_rcu_hp *h;
	int victim, err;

	/* CPU 0 may not go offline: this thread moves there, CPU 1 goes */
	victim = 1;
	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || !cpu_online(0) ||
	    !cpu_online(victim))
		kunit_skip(test, "needs CPUs 0 and 1 online and CPU hotplug");
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(0)), 0);
	h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	init_completion(&h->done);
	kt_params_init(&p, kt_unique_name(test, "rcu_hotplug"), KT_RCU_BLOCK);
	h->kp = kt_create(test, &p, KT_RCU_DRY);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(h->kp, 0, KT_RCU_DRY, GFP_KERNEL),
			KT_RCU_DRY);

	/* fewer blocks than a batch holds: it stays open on that CPU */
	task = kt_start_on_cpu(kt_rcu_hp_thread, h, victim, "kt_rcu_hp/%u");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	KUNIT_EXPECT_TRUE(test, kt_stop(task, &h->done, 10 * HZ));
	KUNIT_EXPECT_EQ(test, h->err, 0);
	err = remove_cpu(victim);
	if (err)
		kunit_skip(test, "CPU %d did not go offline: %d", victim, err);

	KUNIT_EXPECT_EQ(test, kt_wait_rcu_idle(h->kp->pool), 0);
	KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);
	kt_stats(h->kp, &st);
	KUNIT_EXPECT_EQ(test, st.rcu_frees, KT_RCU_DRY);
	kt_expect_in_use(test, h->kp, 0);
	KUNIT_EXPECT_EQ(test, kt_destroy(test, h->kp), 0);
}

/* What the refused call is given, and what it is refused for. */
enum kt_rcu_ptr {
	KT_RCU_FOREIGN,		/* kmalloc() memory */
	KT_RCU_INSIDE,		/* a pointer 8 bytes into a block */
	KT_RCU_BLOCK_PTR,	/* the block itself, already freed */
};

/* How the block was freed before the refused call. */
enum kt_rcu_before {
	KT_RCU_NONE,
	KT_RCU_FREE,		/* kpool_free() */
	KT_RCU_FREE_RCU,	/* kpool_free_rcu(): waiting for a grace period */
};

struct kt_rcu_bad {
	const char *name;
	enum kt_rcu_before before;
	enum kt_rcu_ptr ptr;
	bool rcu;		/* the refused call is kpool_free_rcu() */
	int err;
	size_t counter;		/* offset in struct kpool_stats */
};

static const struct kt_rcu_bad kt_rcu_bads[] = {
	{ "foreign", KT_RCU_NONE, KT_RCU_FOREIGN, true, -EINVAL,
	  offsetof(struct kpool_stats, err_foreign) },
	{ "misaligned", KT_RCU_NONE, KT_RCU_INSIDE, true, -EINVAL,
	  offsetof(struct kpool_stats, err_misaligned) },
	{ "deferred twice", KT_RCU_FREE_RCU, KT_RCU_BLOCK_PTR, true,
	  -EALREADY, offsetof(struct kpool_stats, err_double_free) },
	{ "deferred after free", KT_RCU_FREE, KT_RCU_BLOCK_PTR, true,
	  -EALREADY, offsetof(struct kpool_stats, err_double_free) },
	{ "free while deferred", KT_RCU_FREE_RCU, KT_RCU_BLOCK_PTR, false,
	  -EALREADY, offsetof(struct kpool_stats, err_double_free) },
};

static void kt_rcu_bad_desc(const struct kt_rcu_bad *b, char *desc)
{
	strscpy(desc, b->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(kt_rcu_bad, kt_rcu_bads, kt_rcu_bad_desc);

static u64 kt_rcu_counter(const struct kpool_stats *st, size_t offset)
{
	return *(const u64 *)((const void *)st + offset);
}

static void kt_rcu_refused(struct kunit *test)
{
	const struct kt_rcu_bad *b = test->param_value;
	struct kpool_stats before, after;
	struct kpool_params p;
	struct kt_pool *kp;
	void *block, *ptr;
	int err;

	kt_params_init(&p, kt_unique_name(test, "rcu_bad"), KT_RCU_BLOCK);
	kp = kt_create(test, &p, 3);
	KUNIT_ASSERT_EQ(test, kt_alloc_slots(kp, 0, 3, GFP_KERNEL), 3);
	block = kp->blocks[0];
	/*
	 * An open batch on this CPU whose hint is the blocks' chunk: the
	 * refused call meets kpool_free_rcu()'s fast path first.
	 */
	migrate_disable();
	KUNIT_ASSERT_EQ(test, kpool_free_rcu(kp->pool, kp->blocks[2]), 0);
	kp->blocks[2] = NULL;
	if (b->before == KT_RCU_FREE)
		KUNIT_ASSERT_EQ(test, kpool_free(kp->pool, block), 0);
	else if (b->before == KT_RCU_FREE_RCU)
		KUNIT_ASSERT_EQ(test, kpool_free_rcu(kp->pool, block), 0);
	if (b->before != KT_RCU_NONE)
		kp->blocks[0] = NULL;

	if (b->ptr == KT_RCU_FOREIGN) {
		ptr = kunit_kzalloc(test, KT_RCU_BLOCK, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, ptr);
	} else {
		ptr = block + (b->ptr == KT_RCU_INSIDE ? 8 : 0);
	}

	kt_stats(kp, &before);
	err = b->rcu ? kpool_free_rcu(kp->pool, ptr) :
		       kpool_free(kp->pool, ptr);
	migrate_enable();
	kt_stats(kp, &after);
	KUNIT_EXPECT_EQ(test, err, b->err);
	KUNIT_EXPECT_EQ(test, kt_rcu_counter(&after, b->counter),
			kt_rcu_counter(&before, b->counter) + 1);
	KUNIT_EXPECT_EQ(test, after.rcu_frees, before.rcu_frees);
	KUNIT_EXPECT_EQ(test, after.blocks_rcu_pending,
			before.blocks_rcu_pending);
	KUNIT_EXPECT_EQ(test, after.blocks_in_use, before.blocks_in_use);
	/* NULL is no error and changes nothing */
	KUNIT_EXPECT_EQ(test, kpool_free_rcu(kp->pool, NULL), 0);

	/* the pool is intact: everything comes back, the destroy succeeds */
	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, 2), 0);
	KUNIT_EXPECT_EQ(test, kt_destroy(test, kp), 0);
}

/* Type-safe reuse */

/**
 * struct kt_rcu_obj - what the readers find in a block
 * @type: KT_RCU_TYPE, set by the constructor, never changed by anyone.
 * @id: set by each owner.
 */
struct kt_rcu_obj {
	u32 type;
	u32 id;
};

static void kt_rcu_ctor(void *block, void *arg)
{
	struct kt_rcu_obj *obj = block;

	obj->type = KT_RCU_TYPE;
}

/**
 * struct kt_rcu_share - the objects readers look at
 * @pool: the type-safe pool.
 * @slots: published objects, or NULL.
 * @stop: threads finish when it is set.
 * @rounds: rounds the writer finished.
 * @reads: objects the readers looked at.
 * @bad_type: objects whose type was wrong (must stay 0).
 * @writes: objects the writer published.
 * @errors: frees the pool refused, allocations that failed (must stay 0).
 */
struct kt_rcu_share {
	struct kpool *pool;
	struct kt_rcu_obj __rcu *slots[KT_RCU_SLOTS];
	bool stop;
	unsigned int rounds;
	atomic_long_t reads;
	atomic_long_t bad_type;
	atomic_long_t writes;
	atomic_long_t errors;
};

/* One reader or the writer. */
struct kt_rcu_thread {
	struct kt_rcu_share *sh;
	struct task_struct *task;
	struct completion done;
};

static int kt_rcu_reader(void *data)
{
	struct kt_rcu_thread *t = data;
	struct kt_rcu_share *sh = t->sh;
	long reads = 0, bad = 0;
	struct kt_rcu_obj *obj;
	unsigned int i;

	while (!READ_ONCE(sh->stop)) {
		rcu_read_lock();
		for (i = 0; i < KT_RCU_SLOTS; i++) {
			obj = rcu_dereference(sh->slots[i]);
			if (!obj)
				continue;
			/* the object may be freed and reused meanwhile */
			bad += READ_ONCE(obj->type) != KT_RCU_TYPE;
			/* the whole object is readable, not only the type */
			reads += READ_ONCE(obj->id) != U32_MAX;
		}
		rcu_read_unlock();
		cond_resched();
	}
	atomic_long_add(reads, &sh->reads);
	atomic_long_add(bad, &sh->bad_type);
	complete_all(&t->done);
	return 0;
}

/* Replace slot @i's object by @obj (may be NULL) and free the old one. */
static void kt_rcu_replace(struct kt_rcu_share *sh, unsigned int i,
			   struct kt_rcu_obj *obj, bool deferred)
{
	struct kt_rcu_obj *old;
	int err;

	old = rcu_replace_pointer(sh->slots[i], obj, true);
	if (!old)
		return;
	/* at once, even with readers on it: the pool is type-safe */
	err = deferred ? kpool_free_rcu(sh->pool, old) :
			 kpool_free(sh->pool, old);
	if (err)
		atomic_long_inc(&sh->errors);
}

/*
 * The writer: rounds of new objects in every slot, every old one freed
 * (odd slots after a grace period, even ones at once); every other round
 * empties the slots, so that chunks become free and can be given back.
 */
static int kt_rcu_writer(void *data)
{
	struct kt_rcu_thread *t = data;
	struct kt_rcu_share *sh = t->sh;
	struct kt_rcu_obj *obj;
	unsigned int round, i;

	for (round = 0; !READ_ONCE(sh->stop); round++) {
		for (i = 0; i < KT_RCU_SLOTS; i++) {
			obj = NULL;
			if (round % 2 == 0) {
				obj = kpool_alloc(sh->pool, GFP_KERNEL);
				if (!obj) {
					atomic_long_inc(&sh->errors);
					break;
				}
				WRITE_ONCE(obj->id, round * KT_RCU_SLOTS + i);
				atomic_long_inc(&sh->writes);
			}
			kt_rcu_replace(sh, i, obj, i & 1);
		}
		WRITE_ONCE(sh->rounds, round + 1);
		/* empty slots: a moment for the shrinkers, readers still on */
		if (round % 2)
			usleep_range(2000, 4000);
		cond_resched();
	}
	for (i = 0; i < KT_RCU_SLOTS; i++)
		kt_rcu_replace(sh, i, NULL, i & 1);
	complete_all(&t->done);
	return 0;
}

/* Run every shrinker, kpool's among them, as memory pressure would. */
static int kt_rcu_drop_caches(void)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = filp_open("/proc/sys/vm/drop_caches", O_WRONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, "2\n", 2, &pos);
	filp_close(f, NULL);
	return n == 2 ? 0 : n < 0 ? n : -EIO;
}

static const struct kt_rcu_kind kt_rcu_typesafe_kinds[] = {
	{ "typesafe", KPOOL_F_TYPESAFE_RCU, false },
	{ "typesafe, debug", KPOOL_F_TYPESAFE_RCU | KPOOL_F_DEBUG, false },
};

KUNIT_ARRAY_PARAM(kt_rcu_typesafe, kt_rcu_typesafe_kinds, kt_rcu_kind_desc);

static void kt_rcu_typesafe_readers(struct kunit *test)
{
	const struct kt_rcu_kind *k = test->param_value;
	unsigned long deadline, limit, shrunk = 0, drops = 0;
	struct kt_rcu_thread *threads;
	struct kpool_stats st, last;
	struct kt_rcu_share *sh;
	struct kpool_params p;
	struct kt_pool *kp;
	unsigned int i;
	int err;

	sh = kunit_kzalloc(test, sizeof(*sh), GFP_KERNEL);
	threads = kunit_kcalloc(test, KT_RCU_READERS + 1, sizeof(*threads),
				GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sh);
	KUNIT_ASSERT_NOT_NULL(test, threads);
	kt_params_init(&p, kt_unique_name(test, "rcu_typesafe"),
		       sizeof(struct kt_rcu_obj) * 8);
	p.flags = k->flags;
	p.ctor = kt_rcu_ctor;
	/* one-page chunks: many of them, each soon empty */
	p.order = 0;
	kp = kt_create(test, &p, 0);
	sh->pool = kp->pool;

	for (i = 0; i <= KT_RCU_READERS; i++) {
		threads[i].sh = sh;
		init_completion(&threads[i].done);
		threads[i].task = kt_start_on_cpu(i ? kt_rcu_reader :
						  kt_rcu_writer, &threads[i],
						  -1, i ? "kt_rcu_reader" :
						  "kt_rcu_writer");
		if (IS_ERR(threads[i].task)) {
			err = PTR_ERR(threads[i].task);
			WRITE_ONCE(sh->stop, true);
			while (i--)
				kt_stop(threads[i].task, &threads[i].done, HZ);
			KUNIT_FAIL(test, "thread not started: %d", err);
			return;
		}
	}

	/* until a chunk was given back under the readers, as well */
	deadline = jiffies + KT_RCU_RUN;
	limit = jiffies + 60 * HZ;
	while ((time_before(jiffies, deadline) ||
		READ_ONCE(sh->rounds) < KT_RCU_ROUNDS || !shrunk) &&
	       time_before(jiffies, limit)) {
		shrunk += kpool_shrink(kp->pool);
		if (!(drops++ % 8)) {
			err = kt_rcu_drop_caches();
			KUNIT_EXPECT_EQ(test, err, 0);
		}
		usleep_range(1000, 2000);
	}
	WRITE_ONCE(sh->stop, true);
	for (i = 0; i <= KT_RCU_READERS; i++)
		KUNIT_EXPECT_TRUE(test, kt_stop(threads[i].task,
						&threads[i].done, 30 * HZ));

	KUNIT_EXPECT_EQ(test, atomic_long_read(&sh->bad_type), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&sh->errors), 0);
	KUNIT_EXPECT_GT(test, atomic_long_read(&sh->reads), 0);
	KUNIT_EXPECT_GT(test, atomic_long_read(&sh->writes), KT_RCU_SLOTS);
	KUNIT_EXPECT_GT(test, shrunk, 0);

	/* every object is free once its grace period is over... */
	KUNIT_EXPECT_EQ(test, kt_wait_rcu_idle(kp->pool), 0);
	kt_stats(kp, &last);
	/*
	 * ...and then the shrinker gives their chunks back (it may find the
	 * CPU hotplug lock taken, and skip the pool: a few tries).
	 */
	for (i = 0; i < 10; i++) {
		KUNIT_EXPECT_EQ(test, kt_rcu_drop_caches(), 0);
		kt_stats(kp, &st);
		if (st.shrinks > last.shrinks)
			break;
		msleep(20);
	}
	kunit_info(test, "%u rounds, %ld reads, %ld writes, %lu pages shrunk, %llu chunks given back in all",
		   READ_ONCE(sh->rounds), atomic_long_read(&sh->reads),
		   atomic_long_read(&sh->writes), shrunk, st.shrinks);
	KUNIT_EXPECT_GT(test, st.shrinks, last.shrinks);
	KUNIT_EXPECT_EQ(test, kt_destroy(test, kp), 0);
}

static struct kunit_case kt_rcu_cases[] = {
	KUNIT_CASE_PARAM(kt_rcu_not_reused, kt_rcu_reuse_gen_params),
	KUNIT_CASE_PARAM(kt_rcu_burst_destroy, kt_rcu_burst_gen_params),
	KUNIT_CASE(kt_rcu_dead_cpu),
	KUNIT_CASE_PARAM(kt_rcu_refused, kt_rcu_bad_gen_params),
	KUNIT_CASE_PARAM(kt_rcu_typesafe_readers, kt_rcu_typesafe_gen_params),
	{}
};

static struct kunit_suite kt_rcu_suite = {
	.name = "kpool_rcu",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_rcu_cases,
};

kunit_test_suite(kt_rcu_suite);
