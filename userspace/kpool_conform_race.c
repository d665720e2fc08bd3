// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_conform_race - the conformance cases of threads: two threads
 * freeing the same handles.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>

#include "kpool_conform.h"

/* ---- two threads free the same handles ------------------------------------ */

#define RACE_HANDLES	256
#define RACE_ROUNDS	16

/* One of two threads freeing the same handles one by one. */
struct free_racer {
	int fd;
	u32 pool;
	const u32 *handles;
	int ret[RACE_HANDLES];
	pthread_barrier_t *start;
};

static void *free_racer_main(void *arg)
{
	struct free_racer *r = arg;
	u32 i;

	pthread_barrier_wait(r->start);
	for (i = 0; i < RACE_HANDLES; i++)
		r->ret[i] = kp_free(r->fd, r->pool, 1, &r->handles[i], NULL, NULL);
	return NULL;
}

/* Both threads free every handle: one must win, the other get ENOENT. */
static bool free_race_round(struct fx *fx, u32 *h, pthread_barrier_t *start,
			    u64 *second_wins)
{
	struct free_racer r[2] = {
		{ fx->fd, fx->pool, h, { 0 }, start },
		{ fx->fd, fx->pool, h, { 0 }, start },
	};
	pthread_t t;
	bool ok = true;
	u32 i;

	if (!WANT(kp_alloc(fx->fd, fx->pool, RACE_HANDLES, h), 0))
		return false;
	if (pthread_create(&t, NULL, free_racer_main, &r[1])) {
		kp_free(fx->fd, fx->pool, RACE_HANDLES, h, NULL, NULL);
		return false;
	}
	free_racer_main(&r[0]);
	pthread_join(t, NULL);
	for (i = 0; i < RACE_HANDLES; i++) {
		if (!r[0].ret[i] == !r[1].ret[i] ||
		    r[0].ret[i] + r[1].ret[i] != -ENOENT) {
			ktap_diag("handle %u: FREE returned %s and %s", h[i],
				  kp_errname(r[0].ret[i]), kp_errname(r[1].ret[i]));
			ok = false;
		}
		*second_wins += !r[1].ret[i];
	}
	return ok;
}

static enum result t_free_race(struct fx *fx)
{
	pthread_barrier_t start;
	u64 second_wins = 0;
	u32 h[RACE_HANDLES], round;
	bool ok = true;

	pthread_barrier_init(&start, NULL, 2);
	for (round = 0; round < RACE_ROUNDS && ok; round++)
		ok &= free_race_round(fx, h, &start, &second_wins);
	pthread_barrier_destroy(&start);
	ok &= CHECK_EQ(in_use(fx->fd, fx->pool), 0);
	ktap_diag("%u handles, each freed by two threads: the second won %llu",
		  RACE_HANDLES * RACE_ROUNDS, second_wins);
	return verdict(ok);
}

/* ---- the table ------------------------------------------------------------------ */

const struct tcase race_cases[] = {
	{ .name = "hardening: two threads FREE the same handles, one wins each",
	  .fn = t_free_race, .pool = { .block_size = 64 } },
};

const size_t nr_race_cases = ARRAY_SIZE(race_cases);
