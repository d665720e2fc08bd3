// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_model - exhaustive check of the per-CPU magazine protocol of
 * kpool.h and kpool_cpu.c (!PREEMPT_RT) against interrupts arriving
 * between any two steps.
 *
 * One CPU's magazine is modelled step by step, as the kernel runs it. Its
 * count is nr + busy * 2^32 (nr: slots in use; busy: owners); a slot
 * holds a block and the address of its state byte. Blocks 0-2 are one
 * chunk, 3-4 another; the hint is one of them. preempt_disable() and
 * preempt_enable() are not steps: nothing else runs on this CPU between
 * them but interrupts, which may arrive anywhere.
 *
 *  kpool_alloc()      old = xadd(count, 2^32); if busy was raised or nr is
 *                     0: count -= 2^32, the slow allocation; block =
 *                     slot[nr - 1]; compare-and-exchange of its state
 *                     CACHED -> ALLOC; count = nr - 1 (pops and gives
 *                     the magazine back, on a failure too: the stale slot
 *                     is dropped, then the slow allocation).
 *  kpool_free()       old = xadd(count, 2^32); busy was 0, nr < mag_limit
 *                     (0 when tight), the block in the hint chunk and
 *                     ALLOC, or count -= 2^32 and kpool_free_miss();
 *                     slot[nr] = {block, state}; state = CACHED; count =
 *                     nr + 1 (pushes and gives the magazine back).
 *  kpool_free_miss()  the fast free out of line, with the chunk found from
 *                     the page: the state must be ALLOC; own (or the slow
 *                     free); n = nr, room below mag_limit (or release and
 *                     the slow free); nr = n + 1; slot[n] = {block,
 *                     state}; state = CACHED; hint = chunk; release.
 *                     kpool_free_owned() starts here.
 *  kpool_alloc_bulk() own (or go to the depot); pop loop: block =
 *                     slot[--nr], compare-and-exchange CACHED -> ALLOC (a
 *                     failure skips a stale slot); release; then the
 *                     depot under the lock; then the slow allocation for
 *                     each block still missing.
 *  kpool_free_bulk()  kpool_free_miss()'s fast free (or the slow free) for
 *                     each block in turn.
 *  slow allocation    own (or go without the magazine); under the pool
 *                     lock, a FREE block for the caller and, with the
 *                     magazine owned, a batch of FREE blocks into it as
 *                     CACHED; release; then the steal: racy search for a
 *                     CACHED block, compare-and-exchange to ALLOC, next
 *                     candidate on failure.
 *  slow free          compare-and-exchange ALLOC -> FREEING; own (or not);
 *                     under the lock: a full magazine flushes its oldest
 *                     batch (state CACHED -> FREE by compare-and-exchange,
 *                     stale slots dropped), the block goes in as CACHED,
 *                     or to the depot as FREE; release.
 *  drain              (process context, a work item on this CPU) own,
 *                     which must succeed; under the lock flush every slot;
 *                     release.
 *
 * To own is kpool_mag_own(): new = xadd(count, 2^32), owning iff new <
 * 2 * 2^32 (busy was 0), else count -= 2^32; to release is count -= 2^32;
 * an owner reads and writes nr as plain steps.
 *
 * Each line above that ends in ';' is one step; an interrupt may arrive
 * between any two of them and run a whole allocation or free (itself
 * interruptible, to a nesting depth of 2), and a remote CPU ("thief") may
 * act between any two steps of anything: steal a CACHED block (compare-
 * and-exchange to ALLOC, as kpool_steal() and the remote CPU's own pops
 * do), free a block it holds into its own magazine (ALLOC -> CACHED) or
 * to the depot (FREE). What runs under the pool lock with interrupts off
 * is one step. A depth-first search explores every such interleaving of a
 * scenario (a starting state and the operations of the task) and checks:
 *
 *  - no block is handed out while someone holds it;
 *  - no legitimate free is refused;
 *  - busy never drops below 0;
 *  - at the end, busy is 0 and no block is lost: every block is held by
 *    exactly one user (ALLOC), or CACHED in a slot of a magazine (stale
 *    slots may remain: their blocks are not CACHED), or FREE in the
 *    depot; none is left FREEING.
 *
 * Broken variants of the protocol (steps swapped or missing) must be
 * caught: they run as negative self-tests. Results are KTAP; the exit
 * status is 1 when a check fails or a broken variant goes unnoticed.
 *
 *   kpool_model [-v]     -v prints the counterexample trace of each
 *                        broken variant
 */
#include <linux/types.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef __u8 u8;
typedef __s8 s8;
typedef __u64 u64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define NB		5	/* blocks */
#define MAG		3	/* magazine slots (KPOOL_MAG_SIZE) */
#define BATCH		(MAG / 2)	/* refill and flush (KPOOL_MAG_BATCH) */
#define MAX_IRQS	2	/* interrupts per execution */
#define MAX_DEPTH	2	/* interrupts nested in interrupts: 2 deep */
#define MAX_THIEF	3	/* remote actions per execution */
#define MAX_TRACE	256
#define MAX_PROG	3
#define BULK		2	/* blocks of a bulk operation */

enum bstate { FREE, CACHED, ALLOC, FREEING };
static const char *const bstate_name[] = { "FREE", "CACHED", "ALLOC",
					   "FREEING" };

/* Who holds a block: nobody, the task, interrupts, the remote CPU. */
enum holder { H_NONE, H_TASK, H_IRQ, H_THIEF };
static const char *const holder_name[] = { "-", "task", "irq", "thief" };

enum op { OP_NONE, OP_ALLOC, OP_FREE, OP_DRAIN, OP_ALLOC_BULK, OP_FREE_BULK,
	  OP_FREE_OWNED };

/* The chunk of block @b: the inline free checks it against the hint. */
#define CHUNK(b)	((b) >= 3)

/* Steps; see the header comment. */
enum pc {
	/* kpool_alloc()'s hit */
	A_XADD, A_UNDO, A_LOAD, A_CAS, A_CAS_WRITE, A_STORE,
	A_LOAD_NR, A_RELEASE, A_STORE_NR,
	/* the slow allocation */
	SA_CLAIM, SA_CLAIM_UNDO, SA_LOCKED, SA_RELEASE, SA_STEAL,
	/* kpool_free()'s hit */
	F_XADD, F_CHECK, F_UNDO, F_LOAD_NR, F_SLOT, F_STATE, F_STORE, F_LATE_STATE,
	/* kpool_free_miss()'s fast free */
	M_CHECK, M_CLAIM, M_CLAIM_UNDO, M_ROOM, M_ROOM_UNDO, M_INC_NR,
	M_SLOT, M_STATE, M_HINT, M_RELEASE,
	/* the slow free */
	SF_CAS, SF_CLAIM, SF_CLAIM_UNDO, SF_LOCKED, SF_RELEASE,
	/* the drain */
	D_CLAIM, D_LOCKED, D_RELEASE,
	/* kpool_alloc_bulk() and kpool_free_bulk() */
	BA_CLAIM, BA_CLAIM_UNDO, BA_POP, BA_CAS, BA_RELEASE, BA_DEPOT,
	FB_NEXT,
	DONE,
};

/* Broken variants, for the negative self-tests. */
enum broken {
	BROKEN_NONE,
	BROKEN_HIT_NR_EARLY,		/* alloc hit: nr loaded before the xadd */
	BROKEN_HIT_RELEASE_EARLY,	/* alloc hit: busy lowered, then nr stored */
	BROKEN_FREE_STATE_LATE,		/* CACHED written after the release */
	BROKEN_POP_NO_CAS,		/* test, then set: no compare-and-exchange */
	BROKEN_FREE_NR_EARLY,		/* free hit: nr loaded before the xadd */
	BROKEN_FREE_NO_BUSY,		/* free hit: count loaded, busy not raised */
	BROKEN_OWN_SHARED,		/* kpool_mag_own() with an owner there */
	BROKEN_FLUSH_BLIND,		/* the flush frees stale slots too */
	NR_BROKEN
};

static const char *const broken_name[] = {
	[BROKEN_HIT_NR_EARLY] =
		"alloc hit loads nr, then raises busy: count = nr - 1 from a stale nr",
	[BROKEN_HIT_RELEASE_EARLY] =
		"alloc hit lowers busy (count -= 2^32), then stores nr",
	[BROKEN_FREE_STATE_LATE] =
		"free hit writes CACHED after the store that releases",
	[BROKEN_POP_NO_CAS] = "alloc hit tests CACHED and then writes ALLOC",
	[BROKEN_FREE_NR_EARLY] =
		"free hit loads nr, then raises busy: count = nr + 1 from a stale nr",
	[BROKEN_FREE_NO_BUSY] =
		"free hit loads count and checks busy without raising it",
	[BROKEN_OWN_SHARED] = "kpool_mag_own() owns with busy already 1",
	[BROKEN_FLUSH_BLIND] = "flush moves stale slots to the depot",
};

struct ctx {
	u8 op;
	u8 pc;
	u8 who;		/* H_TASK or H_IRQ */
	s8 block;		/* freed, or popped/taken */
	s8 n;		/* the hit's nr, from the xadd (or a load) */
	s8 busy;		/* the hit's busy, from the xadd (or a load) */
	s8 claimed;		/* a slow path owns the magazine */
	s8 from;		/* where the steal's search goes on */
	s8 got;		/* bulk allocation: blocks taken */
	s8 i;		/* bulk free: the block being freed */
	s8 blocks[BULK];	/* bulk free: the blocks */
};

struct state {
	u8 st[NB];
	u8 holder[NB];
	s8 mag[MAG];	/* slot: the block, and its state byte: st[block] */
	u8 nr;		/* count, low half */
	u8 busy;	/* count, high half */
	u8 hint;	/* the chunk of the hint */
	u8 remote[NB];	/* slots in the remote CPU's magazine */
	u8 depth;		/* contexts on the stack: task, irq, irq */
	struct ctx c[1 + MAX_DEPTH];
	u8 next_op;	/* of the task's program */
	u8 irqs_left;
	u8 thief_left;
};

struct scenario {
	const char *name;
	bool tight;
	/* initial: states, holders, magazine, nr, hint (a chunk) */
	u8 st[NB];
	u8 holder[NB];
	s8 mag[MAG];
	u8 nr;
	u8 hint;
	u8 remote[NB];
	u8 prog[MAX_PROG];	/* OP_* of the task, OP_NONE ends */
};

static struct {
	const struct scenario *sc;
	enum broken broken;
	unsigned long long executions, states, steps;
	bool failed;
	char why[256];
	const char *trace[MAX_TRACE];
	char trace_buf[MAX_TRACE][64];
	int depth;
	char fail_trace[MAX_TRACE * 64];
} m;

static bool verbose;

static void fail(const char *fmt, ...)
{
	va_list ap;
	size_t len = 0;
	int i;

	if (m.failed)
		return;
	m.failed = true;
	va_start(ap, fmt);
	vsnprintf(m.why, sizeof(m.why), fmt, ap);
	va_end(ap);
	m.fail_trace[0] = '\0';
	for (i = 0; i < m.depth && len < sizeof(m.fail_trace) - 80; i++)
		len += snprintf(m.fail_trace + len, sizeof(m.fail_trace) - len,
				"#   %s\n", m.trace[i]);
}

static void push_trace(const char *fmt, ...)
{
	va_list ap;

	if (m.depth >= MAX_TRACE) {
		fail("trace too deep");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(m.trace_buf[m.depth], sizeof(m.trace_buf[0]), fmt, ap);
	va_end(ap);
	m.trace[m.depth] = m.trace_buf[m.depth];
	m.depth++;
}

/* A block is handed to @who: nobody may hold it. */
static void acquire(struct state *s, int b, int who)
{
	if (s->holder[b] != H_NONE)
		fail("block %d handed to %s while %s holds it", b,
		     holder_name[who], holder_name[s->holder[b]]);
	s->holder[b] = who;
}

static bool in_mag(const struct state *s, int b)
{
	int i;

	for (i = 0; i < s->nr; i++)
		if (s->mag[i] == b)
			return true;
	return false;
}

/* The pool lock's critical sections: one step each. */

/* kpool_mag_flush(): the @n oldest slots to the depot. */
static void locked_flush(struct state *s, int n)
{
	int i, b;

	for (i = 0; i < n; i++) {
		b = s->mag[i];
		/* cmpxchg(slot.state, CACHED, FREE) */
		if (m.broken == BROKEN_FLUSH_BLIND)
			s->st[b] = FREE;
		else if (s->st[b] == CACHED)
			s->st[b] = FREE;
	}
	memmove(s->mag, s->mag + n, (s->nr - n) * sizeof(s->mag[0]));
	s->nr -= n;
	for (i = s->nr; i < MAG; i++)
		s->mag[i] = -1;
}

/* kpool_refill(): a FREE block for the caller, a batch for the magazine. */
static int locked_refill(struct state *s, const struct ctx *c)
{
	int b, got = -1;

	for (b = 0; b < NB; b++) {
		if (s->st[b] != FREE)
			continue;
		if (got < 0) {
			s->st[b] = ALLOC;
			acquire(s, b, c->who);
			got = b;
			if (!c->claimed || m.sc->tight)
				break;
			continue;
		}
		if (s->nr >= BATCH)
			break;
		/* kpool_mag_fill(): slot = {block, state} */
		s->st[b] = CACHED;
		s->mag[s->nr++] = b;
	}
	return got;
}

/* The locked part of kpool_free_slow(). */
static void locked_free(struct state *s, const struct ctx *c)
{
	if (c->claimed && !m.sc->tight) {
		if (s->nr >= MAG)
			locked_flush(s, BATCH);
		s->st[c->block] = CACHED;
		s->mag[s->nr++] = c->block;
	} else {
		s->st[c->block] = FREE;
	}
}

/* count += 2^32, as this_cpu_add_return(): the old nr and busy */
static void busy_xadd(struct state *s, struct ctx *c)
{
	c->n = s->nr;
	c->busy = s->busy++;
}

/* count -= 2^32 */
static void busy_sub(struct state *s)
{
	if (!s->busy)
		fail("busy lowered below 0");
	else
		s->busy--;
}

/* count = @nr: busy 0 in the same store */
static void count_store(struct state *s, int nr)
{
	if (nr < 0 || nr > MAG)
		fail("nr stored out of range: %d", nr);
	s->nr = nr;
	s->busy = 0;
}

/* kpool_mag_own(): new = xadd(count, 2^32) < 2 * 2^32 */
static bool mag_own(struct state *s)
{
	return ++s->busy < (m.broken == BROKEN_OWN_SHARED ? 3 : 2);
}

/* mag_limit: blocks a free may leave in the magazine, 0 when tight */
static int mag_limit(void)
{
	return m.sc->tight ? 0 : MAG;
}

/* A slow allocation got @c->block (or nothing): what comes next. */
static int alloc_slow_next(struct ctx *c)
{
	if (c->op != OP_ALLOC_BULK || c->block < 0)
		return DONE;
	/*
	 * A failed bulk request frees what it took with kpool_free(), which
	 * the model checks on its own: here the blocks stay with the user.
	 */
	c->from = 0;
	return ++c->got < BULK ? SA_CLAIM : DONE;
}

/* A free is over: the next block of a bulk free, or the end. */
static int free_next(struct ctx *c)
{
	if (c->op != OP_FREE_BULK || ++c->i >= BULK)
		return DONE;
	return FB_NEXT;
}

/* Run one step of context @c; return a label for the trace. */
static const char *step(struct state *s, struct ctx *c)
{
	int b;

	switch (c->pc) {
	/* kpool_alloc()'s hit */
	case A_LOAD_NR:
		/* BROKEN_HIT_NR_EARLY */
		c->n = s->nr;
		c->pc = A_XADD;
		return "alloc: nr = count (a load of its own)";
	case A_XADD:
		if (m.broken == BROKEN_HIT_NR_EARLY)
			c->busy = s->busy++;
		else
			busy_xadd(s, c);
		c->pc = c->busy || !c->n ? A_UNDO : A_LOAD;
		return "alloc: old = xadd(count, 2^32)";
	case A_UNDO:
		busy_sub(s);
		c->pc = SA_CLAIM;
		return "alloc: busy or empty, count -= 2^32; miss";
	case A_LOAD:
		c->block = s->mag[c->n - 1];
		c->pc = A_CAS;
		return "alloc: block = slot[nr - 1]";
	case A_CAS:
		b = c->block;
		if (m.broken == BROKEN_POP_NO_CAS) {
			c->pc = s->st[b] == CACHED ? A_CAS_WRITE : A_STORE;
			if (c->pc == A_STORE)
				c->block = -1;
			return "alloc: state == CACHED?";
		}
		c->pc = m.broken == BROKEN_HIT_RELEASE_EARLY ? A_RELEASE :
							       A_STORE;
		if (s->st[b] == CACHED) {
			s->st[b] = ALLOC;
			acquire(s, b, c->who);
			return "alloc: cmpxchg CACHED->ALLOC ok";
		}
		c->block = -1;
		return "alloc: cmpxchg failed, stale slot";
	case A_CAS_WRITE:
		s->st[c->block] = ALLOC;
		acquire(s, c->block, c->who);
		c->pc = A_STORE;
		return "alloc: state = ALLOC";
	case A_STORE:
		count_store(s, c->n - 1);
		c->pc = c->block >= 0 ? DONE : SA_CLAIM;
		return c->block >= 0 ? "alloc: count = nr - 1; hit" :
				       "alloc: count = nr - 1; miss";
	case A_RELEASE:
		/* BROKEN_HIT_RELEASE_EARLY */
		busy_sub(s);
		c->pc = A_STORE_NR;
		return "alloc: count -= 2^32";
	case A_STORE_NR:
		s->nr = c->n - 1;
		c->pc = c->block >= 0 ? DONE : SA_CLAIM;
		return "alloc: nr = nr - 1 (the low half)";

	/* the slow allocation */
	case SA_CLAIM:
		c->claimed = mag_own(s);
		c->pc = c->claimed ? SA_LOCKED : SA_CLAIM_UNDO;
		return "alloc slow: own: xadd(count, 2^32)";
	case SA_CLAIM_UNDO:
		busy_sub(s);
		c->pc = SA_LOCKED;
		return "alloc slow: busy, count -= 2^32";
	case SA_LOCKED:
		c->block = locked_refill(s, c);
		c->pc = c->claimed ? SA_RELEASE : SA_STEAL;
		if (c->block >= 0 && !c->claimed)
			c->pc = alloc_slow_next(c);
		return "alloc slow: [lock] depot -> caller, batch -> magazine";
	case SA_RELEASE:
		busy_sub(s);
		c->claimed = 0;
		c->pc = c->block >= 0 ? alloc_slow_next(c) : SA_STEAL;
		return "alloc slow: release: count -= 2^32";
	case SA_STEAL:
		for (b = c->from; b < NB && s->st[b] != CACHED; b++)
			;
		if (b >= NB) {
			c->block = -1;
			c->pc = DONE;
			return "alloc slow: steal found nothing";
		}
		/* the compare-and-exchange after the racy search */
		if (s->st[b] == CACHED) {
			s->st[b] = ALLOC;
			acquire(s, b, c->who);
			c->block = b;
			c->pc = alloc_slow_next(c);
			return "alloc slow: steal cmpxchg CACHED->ALLOC";
		}
		c->from = b + 1;
		return "alloc slow: steal cmpxchg failed";

	/* kpool_free()'s hit */
	case F_LOAD_NR:
		/* BROKEN_FREE_NR_EARLY */
		c->n = s->nr;
		c->pc = F_XADD;
		return "free: nr = count (a load of its own)";
	case F_XADD:
		if (m.broken == BROKEN_FREE_NO_BUSY) {
			c->n = s->nr;
			c->busy = s->busy;
			c->pc = F_CHECK;
			return "free: old = count (no xadd)";
		}
		if (m.broken == BROKEN_FREE_NR_EARLY)
			c->busy = s->busy++;
		else
			busy_xadd(s, c);
		c->pc = F_CHECK;
		return "free: old = xadd(count, 2^32)";
	case F_CHECK:
		b = c->block;
		if (c->busy || c->n >= mag_limit() || CHUNK(b) != s->hint ||
		    s->st[b] != ALLOC) {
			c->pc = m.broken == BROKEN_FREE_NO_BUSY ? M_CHECK :
								  F_UNDO;
			return "free: busy, full, tight, not the hint chunk or not ALLOC";
		}
		c->pc = F_SLOT;
		return "free: room, hint chunk, ALLOC";
	case F_UNDO:
		busy_sub(s);
		c->pc = M_CHECK;
		return "free: count -= 2^32; kpool_free_miss()";
	case F_SLOT:
		s->mag[c->n] = c->block;
		c->pc = m.broken == BROKEN_FREE_STATE_LATE ? F_STORE : F_STATE;
		return "free: slot[nr] = {block, state}";
	case F_STATE:
		s->st[c->block] = CACHED;
		c->pc = F_STORE;
		return "free: state = CACHED";
	case F_STORE:
		count_store(s, c->n + 1);
		c->pc = m.broken == BROKEN_FREE_STATE_LATE ? F_LATE_STATE :
							     free_next(c);
		return "free: count = nr + 1";
	case F_LATE_STATE:
		s->st[c->block] = CACHED;
		c->pc = free_next(c);
		return "free: state = CACHED (late)";

	/* kpool_free_miss(): the fast free out of line, owning */
	case M_CHECK:
		if (s->st[c->block] != ALLOC) {
			c->pc = SF_CAS;
			return "free miss: not ALLOC";
		}
		c->pc = M_CLAIM;
		return "free miss: state ALLOC";
	case M_CLAIM:
		c->pc = mag_own(s) ? M_ROOM : M_CLAIM_UNDO;
		return "free miss: own: xadd(count, 2^32)";
	case M_CLAIM_UNDO:
		busy_sub(s);
		c->pc = SF_CAS;
		return "free miss: busy, count -= 2^32";
	case M_ROOM:
		c->n = s->nr;
		c->pc = c->n >= mag_limit() ? M_ROOM_UNDO : M_INC_NR;
		return "free miss: n = nr, room?";
	case M_ROOM_UNDO:
		busy_sub(s);
		c->pc = SF_CAS;
		return "free miss: full or tight, release: count -= 2^32";
	case M_INC_NR:
		s->nr = c->n + 1;
		c->pc = M_SLOT;
		return "free miss: nr = n + 1";
	case M_SLOT:
		s->mag[c->n] = c->block;
		c->pc = M_STATE;
		return "free miss: slot[n] = {block, state}";
	case M_STATE:
		s->st[c->block] = CACHED;
		c->pc = M_HINT;
		return "free miss: state = CACHED";
	case M_HINT:
		s->hint = CHUNK(c->block);
		c->pc = M_RELEASE;
		return "free miss: hint = chunk";
	case M_RELEASE:
		busy_sub(s);
		c->pc = free_next(c);
		return "free miss: release: count -= 2^32";

	/* kpool_free_slow() */
	case SF_CAS:
		if (s->st[c->block] != ALLOC) {
			fail("free of block %d held by %s refused (state %s)",
			     c->block, holder_name[c->who],
			     bstate_name[s->st[c->block]]);
			c->pc = free_next(c);
			return "free slow: cmpxchg failed";
		}
		s->st[c->block] = FREEING;
		c->pc = SF_CLAIM;
		return "free slow: cmpxchg ALLOC->FREEING";
	case SF_CLAIM:
		c->claimed = mag_own(s);
		c->pc = c->claimed ? SF_LOCKED : SF_CLAIM_UNDO;
		return "free slow: own: xadd(count, 2^32)";
	case SF_CLAIM_UNDO:
		busy_sub(s);
		c->pc = SF_LOCKED;
		return "free slow: busy, count -= 2^32";
	case SF_LOCKED:
		locked_free(s, c);
		c->pc = c->claimed ? SF_RELEASE : free_next(c);
		return "free slow: [lock] flush if full, to magazine or depot";
	case SF_RELEASE:
		busy_sub(s);
		c->claimed = 0;
		c->pc = free_next(c);
		return "free slow: release: count -= 2^32";

	/* kpool_drain_work() */
	case D_CLAIM:
		if (!mag_own(s))
			fail("drain found the magazine owned");
		c->pc = D_LOCKED;
		return "drain: own: xadd(count, 2^32)";
	case D_LOCKED:
		locked_flush(s, s->nr);
		c->pc = D_RELEASE;
		return "drain: [lock] flush the magazine";
	case D_RELEASE:
		busy_sub(s);
		c->pc = DONE;
		return "drain: release: count -= 2^32";

	/* kpool_alloc_bulk(): the magazine owned, kpool_mag_pop() */
	case BA_CLAIM:
		c->claimed = mag_own(s);
		c->pc = c->claimed ? BA_POP : BA_CLAIM_UNDO;
		return "alloc bulk: own: xadd(count, 2^32)";
	case BA_CLAIM_UNDO:
		busy_sub(s);
		c->claimed = 0;
		c->pc = BA_DEPOT;
		return "alloc bulk: busy, count -= 2^32";
	case BA_POP:
		if (!s->nr || c->got >= BULK) {
			c->pc = BA_RELEASE;
			return "alloc bulk: magazine empty or done";
		}
		c->block = s->mag[--s->nr];
		c->pc = BA_CAS;
		return "alloc bulk: block = slot[--nr]";
	case BA_CAS:
		b = c->block;
		c->block = -1;
		c->pc = BA_POP;
		if (s->st[b] == CACHED) {
			s->st[b] = ALLOC;
			acquire(s, b, c->who);
			c->got++;
			return "alloc bulk: cmpxchg CACHED->ALLOC ok";
		}
		return "alloc bulk: cmpxchg failed, stale slot";
	case BA_RELEASE:
		busy_sub(s);
		c->claimed = 0;
		c->pc = c->got < BULK ? BA_DEPOT : DONE;
		return "alloc bulk: release: count -= 2^32";

	/* kpool_alloc_bulk() past the magazine: the depot under the lock */
	case BA_DEPOT:
		for (b = 0; b < NB && c->got < BULK; b++) {
			if (s->st[b] != FREE)
				continue;
			s->st[b] = ALLOC;
			acquire(s, b, c->who);
			c->got++;
		}
		c->block = -1;
		c->pc = c->got < BULK ? SA_CLAIM : DONE;
		return "alloc bulk: [lock] depot -> caller";

	/* kpool_free_bulk(): kpool_free_miss()'s paths, per block */
	case FB_NEXT:
		c->block = c->blocks[c->i];
		c->pc = M_CHECK;
		return "free bulk: next block";
	}
	fail("unknown pc %d", c->pc);
	c->pc = DONE;
	return "?";
}

static void start_op(struct ctx *c, int op, int who, int block)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->who = who;
	c->block = block;
	switch (op) {
	case OP_ALLOC:
		c->pc = m.broken == BROKEN_HIT_NR_EARLY ? A_LOAD_NR : A_XADD;
		c->block = -1;
		break;
	case OP_FREE:
		c->pc = m.broken == BROKEN_FREE_NR_EARLY ? F_LOAD_NR : F_XADD;
		break;
	case OP_FREE_OWNED:
		/* kpool_free_owned(): the fast free with the page's chunk */
		c->pc = M_CHECK;
		break;
	case OP_ALLOC_BULK:
		c->pc = BA_CLAIM;
		c->block = -1;
		break;
	case OP_FREE_BULK:
		c->pc = FB_NEXT;
		break;
	default:
		c->pc = D_CLAIM;
		break;
	}
}

/* The operation of @c is over (its block went to its user already). */
static void finish_op(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
}

/*
 * States already explored, by a 64-bit hash of their bytes (hash
 * compaction: a collision, about 1 in 10^12 here, would skip a state).
 */
static struct {
	u64 *slot;
	size_t size, used;
} seen;

static u64 hash_state(const struct state *s)
{
	const unsigned char *p = (const unsigned char *)s;
	u64 h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(*s); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h | 1;
}

static void seen_reset(void)
{
	if (!seen.slot) {
		seen.size = 1 << 16;
		seen.slot = calloc(seen.size, sizeof(*seen.slot));
		if (!seen.slot)
			abort();
	}
	memset(seen.slot, 0, seen.size * sizeof(*seen.slot));
	seen.used = 0;
}

static bool seen_insert(u64 h);

static void seen_grow(void)
{
	u64 *old = seen.slot;
	size_t i, size = seen.size;

	seen.size *= 2;
	seen.slot = calloc(seen.size, sizeof(*seen.slot));
	if (!seen.slot)
		abort();
	seen.used = 0;
	for (i = 0; i < size; i++)
		if (old[i])
			seen_insert(old[i]);
	free(old);
}

/* Return: whether @h was new. */
static bool seen_insert(u64 h)
{
	size_t i;

	if (2 * (seen.used + 1) > seen.size)
		seen_grow();
	for (i = h & (seen.size - 1); seen.slot[i];
	     i = (i + 1) & (seen.size - 1))
		if (seen.slot[i] == h)
			return false;
	seen.slot[i] = h;
	seen.used++;
	return true;
}

static void final_checks(const struct state *s)
{
	int b;

	if (s->busy)
		fail("busy is %d at the end", s->busy);
	if (s->nr > MAG)
		fail("nr %d past the magazine", s->nr);
	for (b = 0; b < NB; b++) {
		switch (s->st[b]) {
		case FREE:
			if (s->holder[b])
				fail("block %d FREE but held by %s", b,
				     holder_name[s->holder[b]]);
			break;
		case CACHED:
			if (s->holder[b])
				fail("block %d CACHED but held by %s", b,
				     holder_name[s->holder[b]]);
			else if (!in_mag(s, b) && !s->remote[b])
				fail("block %d lost: CACHED in no magazine", b);
			break;
		case ALLOC:
			if (!s->holder[b])
				fail("block %d lost: ALLOC, held by no one", b);
			break;
		default:
			fail("block %d left %s", b, bstate_name[s->st[b]]);
		}
	}
}

static void explore(const struct state *s);

static void try(const struct state *next, const char *label)
{
	m.steps++;
	push_trace("%s", label);
	if (!m.failed)
		explore(next);
	m.depth--;
}

static void explore_thief(const struct state *s)
{
	struct state n;
	int b;

	if (!s->thief_left)
		return;
	for (b = 0; b < NB && !m.failed; b++) {
		if (s->st[b] == CACHED) {
			n = *s;
			n.thief_left--;
			n.st[b] = ALLOC;
			acquire(&n, b, H_THIEF);
			push_trace("thief: cmpxchg block %d CACHED->ALLOC", b);
			if (!m.failed)
				explore(&n);
			m.depth--;
		}
		if (s->holder[b] == H_THIEF) {
			n = *s;
			n.thief_left--;
			n.holder[b] = H_NONE;
			n.st[b] = CACHED;
			n.remote[b]++;
			try(&n, "thief: frees a block into its magazine");
			n = *s;
			n.thief_left--;
			n.holder[b] = H_NONE;
			n.st[b] = FREE;
			try(&n, "thief: frees a block to the depot");
		}
	}
}

/* An interrupt arrives on top of the running context. */
static void explore_irq(const struct state *s)
{
	struct state n;
	struct ctx *c;
	int b;

	if (!s->irqs_left || s->depth > MAX_DEPTH)
		return;
	n = *s;
	n.irqs_left--;
	c = &n.c[n.depth++];
	start_op(c, OP_ALLOC, H_IRQ, -1);
	try(&n, "IRQ: kpool_alloc()");
	for (b = 0; b < NB && !m.failed; b++) {
		if (s->holder[b] != H_IRQ)
			continue;
		n = *s;
		n.irqs_left--;
		n.holder[b] = H_NONE;
		c = &n.c[n.depth++];
		start_op(c, OP_FREE, H_IRQ, b);
		push_trace("IRQ: kpool_free(block %d)", b);
		if (!m.failed)
			explore(&n);
		m.depth--;
	}
}

static const char *const op_name[] = {
	[OP_ALLOC] = "task: kpool_alloc()",
	[OP_DRAIN] = "task: drain",
	[OP_ALLOC_BULK] = "task: kpool_alloc_bulk(2)",
};

/* The task frees one of its blocks, any of them. */
static void explore_task_free(const struct state *s, int op)
{
	struct state n;
	int b;

	for (b = 0; b < NB && !m.failed; b++) {
		if (s->holder[b] != H_TASK)
			continue;
		n = *s;
		n.next_op++;
		n.depth = 1;
		n.holder[b] = H_NONE;
		start_op(&n.c[0], op, H_TASK, b);
		push_trace("task: %s(block %d)", op == OP_FREE ? "kpool_free" :
			   "kpool_free_owned", b);
		explore(&n);
		m.depth--;
	}
}

/* The task frees two of its blocks with kpool_free_bulk(). */
static void explore_task_free_bulk(const struct state *s)
{
	struct state n;
	int a, b;

	for (a = 0; a < NB && !m.failed; a++) {
		for (b = 0; b < NB && !m.failed; b++) {
			if (a == b || s->holder[a] != H_TASK ||
			    s->holder[b] != H_TASK)
				continue;
			n = *s;
			n.next_op++;
			n.depth = 1;
			n.holder[a] = H_NONE;
			n.holder[b] = H_NONE;
			start_op(&n.c[0], OP_FREE_BULK, H_TASK, a);
			n.c[0].blocks[0] = a;
			n.c[0].blocks[1] = b;
			push_trace("task: kpool_free_bulk(blocks %d, %d)", a, b);
			explore(&n);
			m.depth--;
		}
	}
}

static void explore(const struct state *s)
{
	struct state n;
	struct ctx *top;
	int op;

	if (m.failed || !seen_insert(hash_state(s)))
		return;
	m.states++;
	if (!s->depth) {
		/* the task starts its next operation, or the end */
		op = m.sc->prog[s->next_op];
		if (op == OP_NONE || s->next_op >= MAX_PROG) {
			m.executions++;
			final_checks(s);
			return;
		}
		explore_thief(s);
		if (op == OP_FREE || op == OP_FREE_OWNED) {
			explore_task_free(s, op);
		} else if (op == OP_FREE_BULK) {
			explore_task_free_bulk(s);
		} else {
			n = *s;
			n.next_op++;
			n.depth = 1;
			start_op(&n.c[0], op, H_TASK, -1);
			try(&n, op_name[op]);
		}
		return;
	}

	top = (struct ctx *)&s->c[s->depth - 1];
	if (top->pc == DONE) {
		n = *s;
		finish_op(&n.c[n.depth - 1]);
		n.depth--;
		try(&n, n.depth ? "IRQ returns" : "task: operation done");
		return;
	}
	/* the running context takes its next step... */
	n = *s;
	try(&n, step(&n, &n.c[n.depth - 1]));
	/* ...or an interrupt comes first, or the remote CPU acts */
	explore_irq(s);
	explore_thief(s);
}

static void init_state(struct state *s, const struct scenario *sc)
{
	int i;

	memset(s, 0, sizeof(*s));
	memcpy(s->st, sc->st, sizeof(s->st));
	memcpy(s->holder, sc->holder, sizeof(s->holder));
	memcpy(s->remote, sc->remote, sizeof(s->remote));
	for (i = 0; i < MAG; i++)
		s->mag[i] = i < sc->nr ? sc->mag[i] : -1;
	s->nr = sc->nr;
	s->hint = sc->hint;
	s->irqs_left = MAX_IRQS;
	s->thief_left = MAX_THIEF;
}

static bool run(const struct scenario *sc, enum broken broken)
{
	struct state s;

	memset(&m, 0, sizeof(m));
	m.sc = sc;
	m.broken = broken;
	init_state(&s, sc);
	seen_reset();
	final_checks(&s);	/* the scenario itself must be sound */
	if (m.failed) {
		fprintf(stderr, "scenario %s: %s\n", sc->name, m.why);
		return false;
	}
	explore(&s);
	return !m.failed;
}

#define C CACHED
#define A ALLOC
#define F FREE
#define T H_TASK
#define I H_IRQ
#define X H_THIEF
#define _ H_NONE

static const struct scenario scenarios[] = {
	{ "alloc: magazine hit, stale slot below",
	  false, { C, A, F, A, A }, { _, X, _, T, I }, { 1, 0 }, 2, 1,
	  { 0 }, { OP_ALLOC } },
	{ "free into the magazine",
	  false, { C, C, F, A, A }, { _, _, _, T, I }, { 0, 1 }, 2, 1,
	  { 0 }, { OP_FREE } },
	{ "alloc, then free",
	  false, { C, F, F, A, A }, { _, _, _, T, I }, { 0 }, 1, 1,
	  { 0 }, { OP_ALLOC, OP_FREE } },
	{ "free into a full magazine: flush, stale slot in it",
	  false, { C, A, C, A, A }, { _, I, _, T, I }, { 0, 1, 2 }, 3, 1,
	  { 0 }, { OP_FREE } },
	{ "alloc from an empty magazine: refill with a batch",
	  false, { F, F, F, A, A }, { _, _, _, T, I }, { 0 }, 0, 1,
	  { 0 }, { OP_ALLOC } },
	{ "alloc with the depot empty: steal",
	  false, { C, A, A, A, C }, { _, T, T, I, _ }, { 0 }, 0, 1,
	  { 1, 0, 0, 0, 1 }, { OP_ALLOC } },
	{ "drain",
	  false, { C, A, C, A, A }, { _, X, _, T, I }, { 0, 1, 2 }, 3, 1,
	  { 0 }, { OP_DRAIN } },
	{ "tight pool: frees go to the depot",
	  true, { C, F, F, A, A }, { _, _, _, T, I }, { 0 }, 1, 1,
	  { 0 }, { OP_FREE, OP_ALLOC } },
	{ "free, then drain",
	  false, { C, F, A, A, A }, { _, _, I, T, I }, { 0 }, 1, 1,
	  { 0 }, { OP_FREE, OP_DRAIN } },
	{ "bulk alloc: magazine, then depot",
	  false, { C, F, A, A, A }, { _, _, X, T, I }, { 0 }, 1, 1,
	  { 0 }, { OP_ALLOC_BULK } },
	{ "bulk alloc from an empty magazine: depot, steal",
	  false, { A, C, F, A, A }, { T, _, _, T, I }, { 0 }, 0, 1,
	  { 0, 1, 0, 0, 0 }, { OP_ALLOC_BULK } },
	{ "bulk free into a magazine that fills up",
	  false, { C, C, A, A, A }, { _, _, T, T, I }, { 0, 1 }, 2, 1,
	  { 0 }, { OP_FREE_BULK } },
	{ "bulk free, tight pool",
	  true, { C, F, A, A, A }, { _, _, T, T, I }, { 0 }, 1, 1,
	  { 0 }, { OP_FREE_BULK } },
	{ "kpool_free_owned() into a full magazine, then alloc",
	  false, { C, A, C, A, A }, { _, I, _, T, I }, { 0, 1, 2 }, 3, 1,
	  { 0 }, { OP_FREE_OWNED, OP_ALLOC } },
	{ "bulk alloc, then bulk free",
	  false, { C, F, F, A, A }, { _, _, _, T, I }, { 0 }, 1, 1,
	  { 0 }, { OP_ALLOC_BULK, OP_FREE_BULK } },
	{ "free outside the hint chunk: kpool_free_miss(), then alloc",
	  false, { C, F, F, A, A }, { _, _, _, T, I }, { 0 }, 1, 0,
	  { 0 }, { OP_FREE, OP_ALLOC } },
	{ "free, then alloc: hits",
	  false, { C, F, C, A, A }, { _, _, _, T, I }, { 0, 2 }, 2, 1,
	  { 0 }, { OP_FREE, OP_ALLOC } },
};

/* The scenarios that expose each broken variant: all of them. */

int main(int argc, char **argv)
{
	unsigned int nr = ARRAY_SIZE(scenarios);
	unsigned int i, t = 0, failures = 0;
	unsigned long long execs = 0;
	bool caught;
	int br;

	verbose = argc > 1 && !strcmp(argv[1], "-v");
	printf("KTAP version 1\n1..%u\n", nr + NR_BROKEN - 1);
	for (i = 0; i < nr; i++) {
		bool ok = run(&scenarios[i], BROKEN_NONE);

		execs += m.states;
		printf("%s %u %s # %llu states, %llu ends, %llu steps\n",
		       ok ? "ok" : "not ok", ++t, scenarios[i].name,
		       m.states, m.executions, m.steps);
		if (!ok) {
			failures++;
			printf("# violation: %s\n%s", m.why, m.fail_trace);
		}
	}
	for (br = BROKEN_NONE + 1; br < NR_BROKEN; br++) {
		caught = false;
		for (i = 0; i < nr && !caught; i++)
			caught = !run(&scenarios[i], br);
		printf("%s %u negative: %s", caught ? "ok" : "not ok", ++t,
		       broken_name[br]);
		if (caught)
			printf(" # caught in \"%s\": %s\n",
			       scenarios[i - 1].name, m.why);
		else
			printf(" # not caught\n");
		if (caught && verbose)
			printf("%s", m.fail_trace);
		failures += !caught;
	}
	printf("# %llu states of the correct protocol explored\n", execs);
	printf("# Totals: pass:%u fail:%u\n", t - failures, failures);
	return failures ? 1 : 0;
}
