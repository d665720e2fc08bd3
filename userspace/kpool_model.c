// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_model - exhaustive check of the per-CPU magazine protocol of
 * kpool_cpu.c (!PREEMPT_RT) against interrupts arriving between any two
 * steps.
 *
 * One CPU's magazine is modelled step by step, as kpool_cpu.c runs it:
 *
 *  kpool_alloc()      pin; this_cpu_inc_return(guard) == 1, or lower the
 *                     guard again and take the slow path; n = nr; pop
 *                     loop: block = mag[--n], compare-and-exchange of its
 *                     state CACHED -> ALLOC (a failure skips a stale
 *                     pointer); nr = n (or 0); lower the guard; unpin.
 *  kpool_free()       pin; the state must be ALLOC and the pool not tight;
 *                     raise the guard (or lower it and go slow); room
 *                     check, n = nr (or release and go slow); state =
 *                     CACHED; mag[n] = block; nr = n + 1; hint = chunk;
 *                     lower the guard. If it could not, the same again
 *                     once (kpool_free_lookup(), with the chunk found
 *                     from the page), then the slow free;
 *                     kpool_free_owned() goes slow at once.
 *  kpool_alloc_bulk() the pop loop of kpool_alloc() for each block under
 *                     one claim, then the depot under the lock, then the
 *                     slow allocation for each block still missing.
 *  kpool_free_bulk()  kpool_free()'s fast path (or its slow one) for each
 *                     block in turn.
 *  slow allocation    claim the magazine with the guard (or go without
 *                     it); under the pool lock, a FREE block for the
 *                     caller and, with the magazine claimed, a batch of
 *                     FREE blocks into it as CACHED; release; then the
 *                     steal: racy search for a CACHED block, compare-
 *                     and-exchange to ALLOC, next candidate on failure.
 *  slow free          compare-and-exchange ALLOC -> FREEING; claim (or
 *                     not); under the lock: a full magazine flushes its
 *                     oldest batch (CACHED -> FREE by compare-and-
 *                     exchange, stale pointers dropped), the block goes
 *                     in as CACHED, or to the depot as FREE; release.
 *  drain              (process context, a work item on this CPU) claim,
 *                     which must succeed; under the lock flush every
 *                     entry; release.
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
 *  - at the end, the guard is 0 and no block is lost: every block is held
 *    by exactly one user (ALLOC), or CACHED with a pointer to it in a
 *    magazine (stale pointers may remain: their blocks are not CACHED),
 *    or FREE in the depot; none is left FREEING.
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

/* Steps; see the header comment. */
enum pc {
	A_PIN, A_CLAIM, A_CLAIM_UNDO, A_LOAD_NR, A_POP, A_CAS, A_CAS_WRITE,
	A_STORE_NR, A_EMPTY, A_RELEASE, A_UNPIN,
	SA_CLAIM, SA_CLAIM_UNDO, SA_LOCKED, SA_RELEASE, SA_STEAL,
	F_CHECK, F_CLAIM, F_CLAIM_UNDO, F_ROOM, F_ROOM_UNDO, F_STATE, F_PUSH,
	F_INC_NR, F_RELEASE, F_LATE_STATE,
	SF_CAS, SF_CLAIM, SF_CLAIM_UNDO, SF_LOCKED, SF_RELEASE,
	D_CLAIM, D_LOCKED, D_RELEASE,
	BA_DEPOT, FB_NEXT, F_HINT,
	DONE,
};

/* Broken variants, for the negative self-tests. */
enum broken {
	BROKEN_NONE,
	BROKEN_POP_RELEASE_EARLY,	/* guard lowered before nr is stored */
	BROKEN_FREE_STATE_LATE,		/* CACHED written after the release */
	BROKEN_POP_NO_CAS,		/* test, then set: no compare-and-exchange */
	BROKEN_FREE_NO_GUARD,		/* the fast free does not claim */
	BROKEN_FLUSH_BLIND,		/* the flush frees stale pointers too */
	NR_BROKEN
};

static const char *const broken_name[] = {
	[BROKEN_POP_RELEASE_EARLY] = "pop lowers the guard before storing nr",
	[BROKEN_FREE_STATE_LATE] = "free writes CACHED after releasing the magazine",
	[BROKEN_POP_NO_CAS] = "pop tests CACHED and then writes ALLOC",
	[BROKEN_FREE_NO_GUARD] = "fast free does not raise the guard",
	[BROKEN_FLUSH_BLIND] = "flush moves stale pointers to the depot",
};

struct ctx {
	u8 op;
	u8 pc;
	u8 who;		/* H_TASK or H_IRQ */
	s8 block;		/* freed, or popped/taken */
	s8 n;		/* the pop's copy of nr */
	s8 claimed;		/* a slow path owns the magazine */
	s8 from;		/* where the steal's search goes on */
	s8 got;		/* bulk allocation: blocks taken */
	s8 retried;	/* the fast free was tried again after the lookup */
	s8 i;		/* bulk free: the block being freed */
	s8 blocks[BULK];	/* bulk free: the blocks */
};

struct state {
	u8 st[NB];
	u8 holder[NB];
	s8 mag[MAG];
	u8 nr;
	u8 guard;
	u8 remote[NB];	/* pointers in the remote CPU's magazine */
	u8 depth;		/* contexts on the stack: task, irq, irq */
	struct ctx c[1 + MAX_DEPTH];
	u8 next_op;	/* of the task's program */
	u8 irqs_left;
	u8 thief_left;
};

struct scenario {
	const char *name;
	bool tight;
	/* initial: states, holders, magazine */
	u8 st[NB];
	u8 holder[NB];
	s8 mag[MAG];
	u8 nr;
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

/* kpool_mag_flush(): the @n oldest pointers to the depot. */
static void locked_flush(struct state *s, int n)
{
	int i, b;

	for (i = 0; i < n; i++) {
		b = s->mag[i];
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
		s->st[b] = CACHED;
		s->mag[s->nr++] = b;
	}
	return got;
}

/* The locked part of kpool_free_slow(). */
static void locked_free(struct state *s, const struct ctx *c)
{
	if (c->claimed && !m.sc->tight) {
		if (s->nr == MAG)
			locked_flush(s, BATCH);
		s->st[c->block] = CACHED;
		s->mag[s->nr++] = c->block;
	} else {
		s->st[c->block] = FREE;
	}
}

/* this_cpu_inc_return(guard) == 1 */
static bool claim(struct state *s)
{
	return ++s->guard == 1;
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

/*
 * The fast free could not be done: kpool_free_lookup() finds the chunk
 * from the page and tries the fast free once more, then the slow path.
 */
static int free_fast_failed(struct ctx *c)
{
	if (c->retried)
		return SF_CAS;
	c->retried = 1;
	return F_CHECK;
}

/* A free is over: the next block of a bulk free, or the end. */
static int free_next(struct ctx *c)
{
	if (c->op != OP_FREE_BULK || ++c->i >= BULK)
		return DONE;
	c->retried = 0;
	return FB_NEXT;
}

/* Run one step of context @c; return a label for the trace. */
static const char *step(struct state *s, struct ctx *c)
{
	int b;

	switch (c->pc) {
	/* kpool_alloc() */
	case A_PIN:
		c->pc = A_CLAIM;
		return "alloc: pin";
	case A_CLAIM:
		c->pc = claim(s) ? A_LOAD_NR : A_CLAIM_UNDO;
		return "alloc: guard++";
	case A_CLAIM_UNDO:
		s->guard--;
		c->pc = c->op == OP_ALLOC_BULK ? BA_DEPOT : SA_CLAIM;
		return "alloc: guard busy, guard--";
	case A_LOAD_NR:
		c->n = s->nr;
		c->pc = A_POP;
		return "alloc: n = nr";
	case A_POP:
		if (!c->n) {
			c->pc = A_EMPTY;
			return "alloc: magazine empty";
		}
		c->block = s->mag[--c->n];
		c->pc = A_CAS;
		return "alloc: block = mag[--n]";
	case A_CAS:
		b = c->block;
		if (m.broken == BROKEN_POP_NO_CAS) {
			c->pc = s->st[b] == CACHED ? A_CAS_WRITE : A_POP;
			return "alloc: state == CACHED?";
		}
		if (s->st[b] == CACHED) {
			s->st[b] = ALLOC;
			acquire(s, b, c->who);
			c->pc = m.broken == BROKEN_POP_RELEASE_EARLY ?
				A_RELEASE : A_STORE_NR;
			return "alloc: cmpxchg CACHED->ALLOC ok";
		}
		c->pc = A_POP;
		return "alloc: cmpxchg failed, stale pointer";
	case A_CAS_WRITE:
		s->st[c->block] = ALLOC;
		acquire(s, c->block, c->who);
		c->pc = A_STORE_NR;
		return "alloc: state = ALLOC";
	case A_STORE_NR:
		s->nr = c->n;
		c->pc = m.broken == BROKEN_POP_RELEASE_EARLY ? A_UNPIN :
							       A_RELEASE;
		if (c->op == OP_ALLOC_BULK && ++c->got < BULK)
			c->pc = A_LOAD_NR;
		return "alloc: nr = n";
	case A_EMPTY:
		s->nr = 0;
		c->block = -1;
		c->pc = A_RELEASE;
		return "alloc: nr = 0";
	case A_RELEASE:
		s->guard--;
		c->pc = m.broken == BROKEN_POP_RELEASE_EARLY && c->block >= 0 ?
			A_STORE_NR : A_UNPIN;
		return "alloc: guard--";
	case A_UNPIN:
		if (c->op == OP_ALLOC_BULK) {
			c->pc = c->got < BULK ? BA_DEPOT : DONE;
			return "alloc bulk: unpin";
		}
		if (c->block >= 0) {
			c->pc = DONE;
			return "alloc: unpin, hit";
		}
		c->pc = SA_CLAIM;
		return "alloc: unpin, miss";

	/* the slow allocation */
	case SA_CLAIM:
		c->claimed = claim(s);
		c->pc = c->claimed ? SA_LOCKED : SA_CLAIM_UNDO;
		return "alloc slow: guard++";
	case SA_CLAIM_UNDO:
		s->guard--;
		c->pc = SA_LOCKED;
		return "alloc slow: guard busy, guard--";
	case SA_LOCKED:
		c->block = locked_refill(s, c);
		c->pc = c->claimed ? SA_RELEASE : SA_STEAL;
		if (c->block >= 0 && !c->claimed)
			c->pc = alloc_slow_next(c);
		return "alloc slow: [lock] depot -> caller, batch -> magazine";
	case SA_RELEASE:
		s->guard--;
		c->pc = c->block >= 0 ? alloc_slow_next(c) : SA_STEAL;
		return "alloc slow: guard--";
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

	/* kpool_free() */
	case F_CHECK:
		b = c->block;
		if (s->st[b] != ALLOC || m.sc->tight) {
			c->pc = free_fast_failed(c);
			return "free: not ALLOC or tight";
		}
		c->pc = m.broken == BROKEN_FREE_NO_GUARD ? F_ROOM : F_CLAIM;
		return "free: state ALLOC";
	case F_CLAIM:
		c->pc = claim(s) ? F_ROOM : F_CLAIM_UNDO;
		return "free: guard++";
	case F_CLAIM_UNDO:
		s->guard--;
		c->pc = free_fast_failed(c);
		return "free: guard busy, guard--";
	case F_ROOM:
		c->n = s->nr;
		c->pc = c->n >= MAG ? F_ROOM_UNDO : F_STATE;
		if (m.broken == BROKEN_FREE_NO_GUARD && c->pc == F_ROOM_UNDO)
			c->pc = free_fast_failed(c);
		if (m.broken == BROKEN_FREE_STATE_LATE && c->pc == F_STATE)
			c->pc = F_PUSH;
		return "free: n = nr, room?";
	case F_ROOM_UNDO:
		s->guard--;
		c->pc = free_fast_failed(c);
		return "free: full, guard--";
	case F_STATE:
		s->st[c->block] = CACHED;
		c->pc = F_PUSH;
		return "free: state = CACHED";
	case F_PUSH:
		s->mag[c->n] = c->block;
		c->pc = F_INC_NR;
		return "free: mag[n] = block";
	case F_INC_NR:
		s->nr = c->n + 1;
		c->pc = F_HINT;
		return "free: nr = nr + 1";
	case F_HINT:
		c->pc = m.broken == BROKEN_FREE_NO_GUARD ? free_next(c) :
							   F_RELEASE;
		return "free: hint = chunk";
	case F_RELEASE:
		s->guard--;
		c->pc = m.broken == BROKEN_FREE_STATE_LATE ? F_LATE_STATE :
							     free_next(c);
		return "free: guard--";
	case F_LATE_STATE:
		s->st[c->block] = CACHED;
		c->pc = free_next(c);
		return "free: state = CACHED (late)";

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
		c->claimed = claim(s);
		c->pc = c->claimed ? SF_LOCKED : SF_CLAIM_UNDO;
		return "free slow: guard++";
	case SF_CLAIM_UNDO:
		s->guard--;
		c->pc = SF_LOCKED;
		return "free slow: guard busy, guard--";
	case SF_LOCKED:
		locked_free(s, c);
		c->pc = c->claimed ? SF_RELEASE : free_next(c);
		return "free slow: [lock] flush if full, to magazine or depot";
	case SF_RELEASE:
		s->guard--;
		c->pc = free_next(c);
		return "free slow: guard--";

	/* kpool_drain_work() */
	case D_CLAIM:
		if (!claim(s))
			fail("drain found the guard raised");
		c->pc = D_LOCKED;
		return "drain: guard++";
	case D_LOCKED:
		locked_flush(s, s->nr);
		c->pc = D_RELEASE;
		return "drain: [lock] flush the magazine";
	case D_RELEASE:
		s->guard--;
		c->pc = DONE;
		return "drain: guard--";

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

	/* kpool_free_bulk(): kpool_free()'s fast and slow paths, per block */
	case FB_NEXT:
		c->block = c->blocks[c->i];
		c->pc = F_CHECK;
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
	c->n = 0;
	c->from = 0;
	switch (op) {
	case OP_ALLOC:
		c->pc = A_PIN;
		c->block = -1;
		break;
	case OP_FREE:
		c->pc = F_CHECK;
		break;
	case OP_FREE_OWNED:
		/* kpool_free_owned(): one fast attempt, then the slow free */
		c->pc = F_CHECK;
		c->retried = 1;
		break;
	case OP_ALLOC_BULK:
		c->pc = A_PIN;
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

	if (s->guard)
		fail("guard is %d at the end", s->guard);
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
	{ "alloc: magazine hit, stale pointer below",
	  false, { C, A, F, A, A }, { _, X, _, T, I }, { 1, 0 }, 2,
	  { 0 }, { OP_ALLOC } },
	{ "free into the magazine",
	  false, { C, C, F, A, A }, { _, _, _, T, I }, { 0, 1 }, 2,
	  { 0 }, { OP_FREE } },
	{ "alloc, then free",
	  false, { C, F, F, A, A }, { _, _, _, T, I }, { 0 }, 1,
	  { 0 }, { OP_ALLOC, OP_FREE } },
	{ "free into a full magazine: flush, stale pointer in it",
	  false, { C, A, C, A, A }, { _, I, _, T, I }, { 0, 1, 2 }, 3,
	  { 0 }, { OP_FREE } },
	{ "alloc from an empty magazine: refill with a batch",
	  false, { F, F, F, A, A }, { _, _, _, T, I }, { 0 }, 0,
	  { 0 }, { OP_ALLOC } },
	{ "alloc with the depot empty: steal",
	  false, { C, A, A, A, C }, { _, T, T, I, _ }, { 0 }, 0,
	  { 1, 0, 0, 0, 1 }, { OP_ALLOC } },
	{ "drain",
	  false, { C, A, C, A, A }, { _, X, _, T, I }, { 0, 1, 2 }, 3,
	  { 0 }, { OP_DRAIN } },
	{ "tight pool: frees go to the depot",
	  true, { C, F, F, A, A }, { _, _, _, T, I }, { 0 }, 1,
	  { 0 }, { OP_FREE, OP_ALLOC } },
	{ "free, then drain",
	  false, { C, F, A, A, A }, { _, _, I, T, I }, { 0 }, 1,
	  { 0 }, { OP_FREE, OP_DRAIN } },
	{ "bulk alloc: magazine, then depot",
	  false, { C, F, A, A, A }, { _, _, X, T, I }, { 0 }, 1,
	  { 0 }, { OP_ALLOC_BULK } },
	{ "bulk alloc from an empty magazine: depot, steal",
	  false, { A, C, F, A, A }, { T, _, _, T, I }, { 0 }, 0,
	  { 0, 1, 0, 0, 0 }, { OP_ALLOC_BULK } },
	{ "bulk free into a magazine that fills up",
	  false, { C, C, A, A, A }, { _, _, T, T, I }, { 0, 1 }, 2,
	  { 0 }, { OP_FREE_BULK } },
	{ "bulk free, tight pool",
	  true, { C, F, A, A, A }, { _, _, T, T, I }, { 0 }, 1,
	  { 0 }, { OP_FREE_BULK } },
	{ "kpool_free_owned() into a full magazine, then alloc",
	  false, { C, A, C, A, A }, { _, I, _, T, I }, { 0, 1, 2 }, 3,
	  { 0 }, { OP_FREE_OWNED, OP_ALLOC } },
	{ "bulk alloc, then bulk free",
	  false, { C, F, F, A, A }, { _, _, _, T, I }, { 0 }, 1,
	  { 0 }, { OP_ALLOC_BULK, OP_FREE_BULK } },
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
