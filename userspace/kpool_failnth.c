// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_failnth - a fail-nth sweep of every /dev/kpool ioctl, as KTAP.
 *
 * For each command, its preconditions (a pool, blocks) are built without
 * injection, then for N = 1, 2, ... N is written to
 * /proc/thread-self/fail-nth, the ioctl is issued and the counter is read
 * back: the kernel fails the Nth fault site the thread reaches (slab and
 * page allocations, user copies, kpool's growth), and a counter still
 * non-zero means the call reached fewer than N sites, which ends the
 * command's sweep with N - 1 sites reached. Each injected run must return
 * 0 or a documented error of a failed allocation or copy (ENOMEM,
 * EFAULT), and leave kpool as user space knows it: this file's pools and
 * sets as LIST and SET_LIST show them (nothing left of a failed CREATE or
 * SET_CREATE), each block it holds still readable, the blocks in use of
 * the pool or set equal to the handles held, and for every command but
 * FREE and SET_FREE (which free what they can, see the uapi header)
 * nothing changed. Everything is cleaned up between runs.
 *
 * What the sites are depends on the fault knobs: the guest plan makes
 * failslab and fail_page_alloc not ignore GFP_KERNEL or order 0.
 * Exit status 0 iff every command passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpool_lib.h"
#include "kpool_test.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
/* A bug must not make a sweep loop forever. */
#define MAX_N		10000
/* Blocks a run holds at most. */
#define MAX_HANDLES	8
#define BLOCK_SIZE	1024
#define RW_LEN		64

/*
 * One run of one command: what it set up and what it holds. Its object is
 * a pool or, for the set commands, a set (@set): @has_pool and @pool then
 * stand for the set and its id.
 */
struct run {
	int fd;
	bool set;
	bool has_pool;
	u32 pool;
	u32 handles[MAX_HANDLES];
	u32 nr_handles;
	char name[KPOOL_IOC_NAME_LEN];
	union kt_arg arg;
	/* buffers the argument points to */
	u32 out_handles[MAX_HANDLES];
	s32 status[MAX_HANDLES];
	unsigned char data[RW_LEN];
	struct kpool_ioc_pool_entry entries[8];
	struct kpool_ioc_set_entry set_entries[8];
	struct kpool_ioc_set_class classes[8];
	u32 map[8];
};

/**
 * struct cmd - a command to sweep
 * @name: as in the uapi header.
 * @set: the run's object is a set.
 * @nr: the ioctl number.
 * @prepare: builds the preconditions and the argument; false on failure.
 * @done: records what a successful call did (NULL: nothing to record).
 * @partial: an injected failure may leave part of the work done.
 */
struct cmd {
	const char *name;
	bool set;
	unsigned long nr;
	bool (*prepare)(struct run *r);
	void (*done)(struct run *r);
	bool partial;
};

static unsigned int seq;

/* ---- preconditions ------------------------------------------------------ */

static void unique_name(char *name)
{
	snprintf(name, KPOOL_IOC_NAME_LEN, "kfn%d-%u", (int)getpid(), ++seq);
}

/* Sets of three classes: BLOCK_SIZE / 2, BLOCK_SIZE and 2 * BLOCK_SIZE. */
static void set_create_arg(struct kpool_ioc_set_create *c, u32 min_blocks)
{
	c->size = sizeof(*c);
	c->min_size = BLOCK_SIZE / 2;
	c->max_size = BLOCK_SIZE * 2;
	c->classes_per_doubling = 1;
	c->min_blocks = min_blocks;
	unique_name(c->name);
}

/* The run's pool or set, without a reserve. */
static bool new_object(struct run *r)
{
	struct kpool_ioc_set_create sc = { 0 };
	struct kpool_ioc_create c = {
		.block_size = BLOCK_SIZE,
		.order = KPOOL_IOC_ORDER_AUTO,
	};
	int ret;

	if (r->set) {
		set_create_arg(&sc, 0);
		ret = kp_set_create(r->fd, &sc);
		r->pool = sc.set_id;
	} else {
		unique_name(c.name);
		ret = kp_create(r->fd, &c);
		r->pool = c.pool_id;
	}
	if (ret) {
		ktap_diag("setup: CREATE: %s", kp_strerror(ret));
		return false;
	}
	r->has_pool = true;
	return true;
}

static bool hold_blocks(struct run *r, u32 n)
{
	u32 *h = r->handles + r->nr_handles;
	int ret = r->set ? kp_set_alloc(r->fd, r->pool, BLOCK_SIZE, n, h, NULL) :
		  kp_alloc(r->fd, r->pool, n, h);

	if (ret) {
		ktap_diag("setup: ALLOC %u: %s", n, kp_strerror(ret));
		return false;
	}
	r->nr_handles += n;
	return true;
}

/*
 * An argument on the run's pool or set, made with @blocks blocks held:
 * its @size, and the object's id. Every such argument struct starts with
 * these two, as struct kpool_ioc_pool does.
 */
static bool prep_object(struct run *r, u32 size, u32 blocks)
{
	r->arg.pool.size = size;
	if (!new_object(r) || (blocks && !hold_blocks(r, blocks)))
		return false;
	r->arg.pool.pool_id = r->pool;
	return true;
}

static bool prep_version(struct run *r)
{
	r->arg.version.size = sizeof(r->arg.version);
	return true;
}

/* A reserve, so that CREATE grows the pool. */
static bool prep_create(struct run *r)
{
	struct kpool_ioc_create *c = &r->arg.create;

	c->size = sizeof(*c);
	c->block_size = BLOCK_SIZE;
	c->min_blocks = 8;
	c->order = KPOOL_IOC_ORDER_AUTO;
	unique_name(c->name);
	memcpy(r->name, c->name, sizeof(r->name));
	return true;
}

/* A reserve in every class, so that SET_CREATE grows its pools. */
static bool prep_set_create(struct run *r)
{
	set_create_arg(&r->arg.set_create, 2);
	memcpy(r->name, r->arg.set_create.name, sizeof(r->name));
	return true;
}

static bool prep_destroy(struct run *r)
{
	return prep_object(r, sizeof(r->arg.pool), 2);
}

/* Free chunks to give back. */
static bool prep_shrink(struct run *r)
{
	if (!prep_object(r, sizeof(r->arg.pool), MAX_HANDLES))
		return false;
	if (kp_free(r->fd, r->pool, r->nr_handles, r->handles, NULL, NULL))
		return false;
	r->nr_handles = 0;
	return true;
}

/* More blocks than a chunk holds: ALLOC grows the pool more than once. */
static bool prep_alloc(struct run *r)
{
	struct kpool_ioc_alloc *a = &r->arg.alloc;

	a->count = MAX_HANDLES;
	a->handles = (uintptr_t)r->out_handles;
	return prep_object(r, sizeof(*a), 0);
}

static bool prep_set_alloc(struct run *r)
{
	struct kpool_ioc_set_alloc *a = &r->arg.set_alloc;

	a->bytes = BLOCK_SIZE;
	a->count = MAX_HANDLES;
	a->handles = (uintptr_t)r->out_handles;
	return prep_object(r, sizeof(*a), 0);
}

static bool prep_set_destroy(struct run *r)
{
	return prep_object(r, sizeof(r->arg.set), 0);
}

static bool prep_free(struct run *r)
{
	struct kpool_ioc_free *f = &r->arg.free;

	if (!prep_object(r, sizeof(*f), 4))
		return false;
	f->count = r->nr_handles;
	f->handles = (uintptr_t)r->handles;
	f->status = (uintptr_t)r->status;
	return true;
}

static bool prep_rw(struct run *r)
{
	struct kpool_ioc_rw *rw = &r->arg.rw;

	rw->len = RW_LEN;
	rw->buf = (uintptr_t)r->data;
	if (!prep_object(r, sizeof(*rw), 1))
		return false;
	rw->handle = r->handles[0];
	rw->flags = r->set ? KPOOL_IOC_RW_F_SET : 0;
	return true;
}

static bool prep_stats(struct run *r)
{
	return prep_object(r, sizeof(r->arg.stats), 1);
}

/* LIST or SET_LIST into @entries (@count of @entry_size bytes). */
static bool prep_list_into(struct run *r, void *entries, u32 count,
			   size_t entry_size)
{
	struct kpool_ioc_list *l = &r->arg.list;

	l->size = sizeof(*l);
	l->count = count;
	l->entry_size = (u32)entry_size;
	l->entries = (uintptr_t)entries;
	return new_object(r);
}

/* LIST, or for the set commands SET_LIST, with the run's object to list. */
static bool prep_list(struct run *r)
{
	if (r->set)
		return prep_list_into(r, r->set_entries,
				      ARRAY_SIZE(r->set_entries),
				      sizeof(r->set_entries[0]));
	return prep_list_into(r, r->entries, ARRAY_SIZE(r->entries),
			      sizeof(r->entries[0]));
}

static bool prep_set_info(struct run *r)
{
	struct kpool_ioc_set_info *in = &r->arg.set_info;

	in->nr_classes = ARRAY_SIZE(r->classes);
	in->class_size = sizeof(r->classes[0]);
	in->classes = (uintptr_t)r->classes;
	return prep_object(r, sizeof(*in), 1);
}

static bool prep_info(struct run *r)
{
	struct kpool_ioc_info *in = &r->arg.info;

	in->nr_chunks = ARRAY_SIZE(r->map);
	in->map = (uintptr_t)r->map;
	return prep_object(r, sizeof(*in), 1);
}

static bool prep_fault(struct run *r)
{
	struct kpool_ioc_fault *f = &r->arg.fault;

	f->every_nth = 3;
	return prep_object(r, sizeof(*f), 0);
}

/* ---- what a successful call did ------------------------------------------ */

static void done_create(struct run *r)
{
	r->has_pool = true;
	r->pool = r->set ? r->arg.set_create.set_id : r->arg.create.pool_id;
}

static void done_destroy(struct run *r)
{
	r->has_pool = false;
	r->nr_handles = 0;
}

static void done_alloc(struct run *r)
{
	memcpy(r->handles + r->nr_handles, r->out_handles, sizeof(r->out_handles));
	r->nr_handles += MAX_HANDLES;
}

static void done_free(struct run *r)
{
	r->nr_handles = 0;
}

/*
 * Every command of include/uapi/linux/kpool.h; a new one is one line here
 * (and its prepare function).
 */
static const struct cmd cmds[] = {
	{ "VERSION", false, KPOOL_IOC_VERSION, prep_version, NULL, false },
	{ "CREATE", false, KPOOL_IOC_CREATE, prep_create, done_create, false },
	{ "DESTROY", false, KPOOL_IOC_DESTROY, prep_destroy, done_destroy, false },
	{ "ALLOC", false, KPOOL_IOC_ALLOC, prep_alloc, done_alloc, false },
	{ "FREE", false, KPOOL_IOC_FREE, prep_free, done_free, true },
	{ "WRITE", false, KPOOL_IOC_WRITE, prep_rw, NULL, false },
	{ "READ", false, KPOOL_IOC_READ, prep_rw, NULL, false },
	{ "SHRINK", false, KPOOL_IOC_SHRINK, prep_shrink, NULL, false },
	{ "STATS", false, KPOOL_IOC_STATS, prep_stats, NULL, false },
	{ "LIST", false, KPOOL_IOC_LIST, prep_list, NULL, false },
	{ "INFO", false, KPOOL_IOC_INFO, prep_info, NULL, false },
	{ "FAULT", false, KPOOL_IOC_FAULT, prep_fault, NULL, false },
	{ "SET_CREATE", true, KPOOL_IOC_SET_CREATE, prep_set_create, done_create,
	  false },
	{ "SET_DESTROY", true, KPOOL_IOC_SET_DESTROY, prep_set_destroy,
	  done_destroy, false },
	{ "SET_ALLOC", true, KPOOL_IOC_SET_ALLOC, prep_set_alloc, done_alloc,
	  false },
	{ "SET_FREE", true, KPOOL_IOC_SET_FREE, prep_free, done_free, true },
	{ "SET_INFO", true, KPOOL_IOC_SET_INFO, prep_set_info, NULL, false },
	{ "SET_LIST", true, KPOOL_IOC_SET_LIST, prep_list, NULL, false },
	{ "WRITE (set)", true, KPOOL_IOC_WRITE, prep_rw, NULL, false },
	{ "READ (set)", true, KPOOL_IOC_READ, prep_rw, NULL, false },
};

/* ---- fail-nth ------------------------------------------------------------ */

static int fail_nth_fd = -1;

static bool fail_nth_set(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fail_nth_fd, buf, len, 0) == len;
}

/*
 * Read the counter back: the number of sites still to pass before the
 * fault, 0 once it was injected. The read copies to user space, itself a
 * site while the counter is not 0: an EFAULT from it means the counter
 * was 1 before the read, so the call did not reach the fault.
 * Return: the counter, or -1 if it cannot be read.
 */
static long fail_nth_left(void)
{
	char buf[16] = "";
	ssize_t len = pread(fail_nth_fd, buf, sizeof(buf) - 1, 0);

	if (len < 0)
		return errno == EFAULT ? 1 : -1;
	return strtol(buf, NULL, 10);
}

/* Disarm: writing 0 may itself consume the last site, harmlessly. */
static bool fail_nth_clear(void)
{
	fail_nth_set(0);
	return fail_nth_left() == 0;
}

/* ---- checks ------------------------------------------------------------- */

/* Pools this file owns, as LIST shows them; -errno on error. */
static long own_pools(int fd)
{
	struct kpool_ioc_pool_entry *e;
	long own = 0;
	u32 n, i;
	int ret;

	ret = kp_list(fd, &e, &n);
	if (ret)
		return ret;
	/* a set's class pools are listed as its owner's: not counted here */
	for (i = 0; i < n; i++)
		own += e[i].owner == KPOOL_OWNER_SELF &&
		       !(e[i].flags & KPOOL_ENTRY_F_CLASS);
	free(e);
	return own;
}

/* Sets this file owns, as SET_LIST shows them; -errno on error. */
static long own_sets(int fd)
{
	struct kpool_ioc_set_entry *e;
	u32 n;
	int ret;

	ret = kp_set_list(fd, &e, &n);
	if (ret)
		return ret;
	free(e);
	return n;
}

/* Pools (a set's class pools among them) whose name starts with @prefix. */
static long pools_named(int fd, const char *prefix)
{
	char name[KPOOL_IOC_NAME_LEN + 1];
	struct kpool_ioc_pool_entry *e;
	long found = 0;
	u32 n, i;

	if (kp_list(fd, &e, &n))
		return -1;
	for (i = 0; i < n; i++) {
		kp_name(name, e[i].name);
		found += !strncmp(name, prefix, strlen(prefix));
	}
	free(e);
	return found;
}

static int read_byte(const struct run *r, u32 handle)
{
	unsigned char byte;

	if (r->set)
		return kp_set_read(r->fd, r->pool, handle, 0, &byte, 1);
	return kp_read(r->fd, r->pool, handle, 0, &byte, 1);
}

/* Blocks in use in the run's pool or set, or -errno. */
static long long blocks_in_use(const struct run *r)
{
	struct kpool_ioc_set_class *classes;
	struct kpool_ioc_set_info info;
	struct kpool_ioc_stats st;
	int ret;

	if (!r->set) {
		ret = kp_stats(r->fd, r->pool, &st);
		return ret ? ret : (long long)st.blocks_in_use;
	}
	ret = kp_set_info(r->fd, r->pool, &info, &classes);
	if (ret)
		return ret;
	free(classes);
	return info.blocks_in_use;
}

/* Drop the handles of @r that no longer name a block. */
static void probe_handles(struct run *r)
{
	u32 i, kept = 0;

	for (i = 0; i < r->nr_handles; i++)
		if (read_byte(r, r->handles[i]) != -ENOENT)
			r->handles[kept++] = r->handles[i];
	r->nr_handles = kept;
}

/*
 * kpool as @r knows it: no pool of this file but the run's, no set but
 * the run's, its blocks exactly those held.
 */
static bool consistent(struct run *r, unsigned int n)
{
	long pools = own_pools(r->fd), sets = own_sets(r->fd);
	long long in_use;
	bool ok = true;
	u32 i;
	int ret;

	if (pools < 0 || sets < 0) {
		ktap_diag("N = %u: LIST %s, SET_LIST %s", n,
			  kp_errname(pools < 0 ? pools : 0),
			  kp_errname(sets < 0 ? sets : 0));
		ok = false;
	} else if (pools != (!r->set && r->has_pool) ||
		   sets != (r->set && r->has_pool)) {
		ktap_diag("N = %u: this file has %ld pools and %ld sets, expected %d",
			  n, pools, sets, r->has_pool);
		ok = false;
	}
	if (!r->has_pool)
		return ok;
	in_use = blocks_in_use(r);
	if (in_use != r->nr_handles) {
		ktap_diag("N = %u: %lld blocks in use (or -errno), %u handles held",
			  n, in_use, r->nr_handles);
		ok = false;
	}
	for (i = 0; i < r->nr_handles; i++) {
		ret = read_byte(r, r->handles[i]);
		if (ret) {
			ktap_diag("N = %u: handle %u: READ %s", n, r->handles[i],
				  kp_errname(ret));
			ok = false;
		}
	}
	return ok;
}

/* A CREATE or SET_CREATE that failed left nothing behind. */
static bool nothing_left(const struct run *r)
{
	char prefix[KPOOL_IOC_NAME_LEN + 2];
	bool left;
	u32 id;

	if (r->has_pool || !r->name[0])
		return true;
	snprintf(prefix, sizeof(prefix), "%s-", r->name);
	if (r->set)
		left = !kp_find_set(r->fd, r->name, &id) ||
		       pools_named(r->fd, prefix);
	else
		left = !kp_find_pool(r->fd, r->name, &id);
	if (left) {
		ktap_diag("%s exists though its creation failed", r->name);
		return false;
	}
	return true;
}

static bool cleanup(struct run *r)
{
	int ret = 0;

	if (!r->has_pool)
		return true;
	/* a set is destroyed only with no block out */
	if (r->set && r->nr_handles)
		ret = kp_set_free(r->fd, r->pool, r->nr_handles, r->handles,
				  NULL, NULL);
	if (!ret)
		ret = r->set ? kp_set_destroy(r->fd, r->pool) :
		      kp_destroy(r->fd, r->pool);
	if (ret)
		ktap_diag("DESTROY after the run: %s", kp_strerror(ret));
	return !ret;
}

/* ---- the sweep ------------------------------------------------------------ */

static bool documented(int ret)
{
	return !ret || ret == -ENOMEM || ret == -EFAULT;
}

/*
 * One run with the Nth site failing. Sets *@injected; returns false on a
 * failure (described on stdout).
 */
static bool run_once(int fd, const struct cmd *c, unsigned int n,
		     bool *injected)
{
	struct run *r = calloc(1, sizeof(*r));
	u32 handles_before;
	bool ok = false;
	long left;
	int ret;

	*injected = false;
	if (!r)
		return false;
	r->fd = fd;
	r->set = c->set;
	if (!c->prepare(r))
		goto out;
	handles_before = r->nr_handles;

	if (!fail_nth_set(n)) {
		ktap_diag("cannot write %s: %s", FAIL_NTH, strerror(errno));
		goto out;
	}
	ret = kp_ioctl(fd, c->nr, &r->arg);
	left = fail_nth_left();
	if (!fail_nth_clear() || left < 0) {
		ktap_diag("cannot read %s back", FAIL_NTH);
		goto out;
	}
	*injected = !left;

	ok = true;
	if (!ret && c->done)
		c->done(r);
	if (ret && !*injected) {
		ktap_diag("N = %u: %s without injection", n, kp_errname(ret));
		ok = false;
	} else if (!documented(ret)) {
		ktap_diag("N = %u: undocumented error %s", n, kp_errname(ret));
		ok = false;
	}
	if (ret && r->has_pool) {
		probe_handles(r);
		if (!c->partial && r->nr_handles != handles_before) {
			ktap_diag("N = %u: failed with %s but %u of %u handles are gone",
				  n, kp_errname(ret), handles_before - r->nr_handles,
				  handles_before);
			ok = false;
		}
	}
	ok &= consistent(r, n) && nothing_left(r);
out:
	ok &= cleanup(r);
	free(r);
	return ok;
}

/* Sweep one command; returns the sites reached, -1 on a failure. */
static long sweep(int fd, const struct cmd *c)
{
	bool injected = true, ok = true;
	unsigned int n;

	for (n = 1; n <= MAX_N && injected && ok; n++)
		ok = run_once(fd, c, n, &injected);
	if (!ok)
		return -1;
	if (injected) {
		ktap_diag("%s: still injecting at N = %u", c->name, MAX_N);
		return -1;
	}
	return n - 2;
}

static void print_help(FILE *f)
{
	fprintf(f,
		"Usage: kpool_failnth [--device PATH] [--filter NAME] [--uid UID]\n"
		"\n"
		"Sweeps every /dev/kpool ioctl (or the one called NAME) with\n"
		"/proc/thread-self/fail-nth: N = 1, 2, ... until the call reaches\n"
		"fewer than N fault sites. KTAP, one result per command, with\n"
		"'# failnth NAME sites=N' lines; exit 0 iff all passed.\n");
}

int main(int argc, char **argv)
{
	struct kt_args args = { 0 };
	unsigned int i, planned = 0;
	long sites, total = 0;
	const char *filter;
	struct ktap t;
	int ret, fd;

	ret = kt_parse_args(argc, argv, false, print_help, &args);
	if (ret >= 0)
		return ret;
	filter = args.filter;
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		planned += !filter || !strcmp(filter, cmds[i].name);
	ktap_begin(&t, planned);
	if (kt_drop_privileges(&args))
		return 1;
	fd = kt_open(args.device);
	if (fd < 0)
		return 3;
	fail_nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (filter && strcmp(filter, cmds[i].name))
			continue;
		if (fail_nth_fd < 0) {
			ktap_skip(&t, "no " FAIL_NTH " (CONFIG_FAULT_INJECTION)",
				  "%s", cmds[i].name);
			continue;
		}
		sites = sweep(fd, &cmds[i]);
		if (sites >= 0) {
			ktap_diag("failnth %s sites=%ld", cmds[i].name, sites);
			total += sites;
		}
		ktap_result(&t, sites >= 0, "%s: every injected fault failed cleanly",
			    cmds[i].name);
	}
	ktap_diag("failnth total sites=%ld", total);
	return ktap_end(&t);
}
