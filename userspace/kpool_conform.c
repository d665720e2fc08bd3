// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_conform - conformance tests of the /dev/kpool ioctl ABI, as KTAP.
 *
 * Every command is checked against the rules of include/uapi/linux/kpool.h:
 * the size protocol (short, zero, longer with a zero or non-zero tail, the
 * 4096-byte limit, a struct or its tail running into an unmapped page),
 * bad argument pointers, read-only argument pages, then each command's own
 * cases: flags and padding, counts, embedded pointers, handles of other
 * pools and files, permissions across files and for kernel pools, offsets,
 * and the happy paths with their data and statistics checked.
 *
 * Each case prints "ok N - name" or "not ok N - name" with "# ..."
 * diagnostics saying what differed. Exit status 0 iff every case passed.
 *
 * Cases are tables: the generic ones (each command against each rule of
 * the size protocol), a row per bad field value (field_cases[]), a block
 * size per round trip (size_cases[]), and the named cases (cases_table[]
 * here, race_cases[] in kpool_conform_race.c: threads, CPUs and user pages
 * that fault slowly). Each runs in the fixture its row describes (struct
 * tcase): what it needs of the system (else it is skipped with the
 * reason), a module parameter set for it and restored after, and up to two
 * pools of its own with blocks allocated, destroyed after it.
 *
 * The suite does not use the kernel's kselftest_harness.h. It would fit
 * the runs (it builds static and -m32, its fork per case keeps the open
 * files and pages, a main of our own can drop to --uid before
 * test_harness_run()), but it reads worse here: it registers each case
 * at compile time, so a one-line row of field_cases[], size_cases[] or
 * cases_table[] becomes a FIXTURE_VARIANT_ADD block or a TEST_F; its
 * names are C identifiers (fixture.variant.test) where ours state the
 * rule checked; its EXPECT_EQ() prints numbers where WANT() names the
 * errno; and the header ships in no Debian package, so make userspace
 * would need a kernel source tree or a copy of it and kselftest.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "kpool_conform.h"

/* Seconds one case may take before the run is declared hung. */
#define CASE_TIMEOUT		120
#define CAP_SYS_ADMIN_BIT	21

/* ---- checks ------------------------------------------------------------- */

bool want_ret(int line, const char *expr, int got, int want)
{
	if (got == want)
		return true;
	ktap_diag("line %d: %s = %s (%d), expected %s", line, expr,
		  kp_errname(got), got, kp_errname(want));
	return false;
}

bool check_true(int line, const char *expr, bool ok)
{
	if (!ok)
		ktap_diag("line %d: check failed: %s", line, expr);
	return ok;
}

bool check_u64(int line, const char *expr, u64 got, u64 want)
{
	if (got == want)
		return true;
	ktap_diag("line %d: %s = %llu, expected %llu", line, expr,
		  got, want);
	return false;
}

/* ---- pools -------------------------------------------------------------- */

void unique_name(struct fx *fx, char name[KPOOL_IOC_NAME_LEN])
{
	snprintf(name, KPOOL_IOC_NAME_LEN, "kc%d-%u", (int)getpid(), ++fx->seq);
}

bool pool_new_spec(struct fx *fx, int fd, const struct pool_spec *s, u32 *id)
{
	struct kpool_ioc_create c = {
		.flags = s->flags,
		.block_size = s->block_size,
		.align = s->align,
		.min_blocks = s->min_blocks,
		.max_blocks = s->max_blocks,
		.order = KPOOL_IOC_ORDER_AUTO,
	};
	int ret;

	unique_name(fx, c.name);
	ret = kp_create(fd, &c);
	if (ret) {
		ktap_diag("cannot create pool %s (block size %llu): %s",
			  c.name, s->block_size, kp_errname(ret));
		return false;
	}
	*id = c.pool_id;
	return true;
}

bool pool_new(struct fx *fx, int fd, u64 block_size, u32 *id)
{
	struct pool_spec s = { .block_size = block_size };

	return pool_new_spec(fx, fd, &s, id);
}

bool stats_of(int fd, u32 id, struct kpool_ioc_stats *st)
{
	int ret = kp_stats(fd, id, st);

	if (ret)
		ktap_diag("STATS of pool %u: %s", id, kp_errname(ret));
	return !ret;
}

u64 in_use(int fd, u32 id)
{
	struct kpool_ioc_stats st;

	return stats_of(fd, id, &st) ? st.blocks_in_use : UINT64_MAX;
}

/* The LIST entry of pool @id, through @fd. */
static bool list_entry(int fd, u32 id, struct kpool_ioc_pool_entry *out)
{
	struct kpool_ioc_pool_entry *e;
	u32 n, i;
	bool found = false;

	if (kp_list(fd, &e, &n))
		return false;
	for (i = 0; i < n; i++) {
		if (e[i].pool_id == id) {
			*out = e[i];
			found = true;
		}
	}
	free(e);
	return found;
}

bool pool_listed(int fd, u32 id)
{
	struct kpool_ioc_pool_entry e;

	return list_entry(fd, id, &e);
}

static bool name_listed(int fd, const char *name)
{
	u32 id;

	return kp_find_pool(fd, name, &id) == 0;
}

/* Read (or with @write set) parameter @p->name of @p->module into *@v. */
static bool param_io(const struct param *p, u64 *v, bool write)
{
	char path[128], buf[64];
	bool ok;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s",
		 p->module, p->name);
	f = fopen(path, write ? "w" : "r");
	if (!f)
		return false;
	if (write)
		ok = fprintf(f, "%llu\n", *v) > 0;
	else
		ok = fgets(buf, sizeof(buf), f) &&
		     !kp_parse_u64(strtok(buf, "\n"), v);
	return !fclose(f) && ok;
}

bool read_param(const char *name, u64 *v)
{
	const struct param p = { "kpool_dev", name, 0 };

	return param_io(&p, v, false);
}

bool write_param(const char *name, u64 v)
{
	const struct param p = { "kpool_dev", name, 0 };

	return param_io(&p, &v, true);
}

/* Fill @len bytes with a pattern derived from @seed. */
void pattern(unsigned char *buf, size_t len, u32 seed)
{
	u64 s = kp_rand_seed(seed);
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(kp_rand(&s) >> 56);
}

static bool all_bytes(const unsigned char *buf, size_t len, unsigned char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != c)
			return false;
	return true;
}

/* Put @len bytes of @src at the very end of @fx->edge (before @none). */
static void *at_edge(struct fx *fx, const void *src, size_t len)
{
	void *dst = fx->edge + fx->page - len;

	memcpy(dst, src, len);
	return dst;
}

/* Fill the read-only page with @len bytes of @src; returns the page. */
static void *read_only_copy(struct fx *fx, const void *src, size_t len)
{
	mprotect(fx->ro, fx->page, PROT_READ | PROT_WRITE);
	memset(fx->ro, 0, fx->page);
	memcpy(fx->ro, src, len);
	mprotect(fx->ro, fx->page, PROT_READ);
	return fx->ro;
}

/*
 * Pointers to @len bytes a command must refuse to write to (EFAULT): NULL,
 * an unmapped page, a read-only page, and @len bytes that run 4 bytes into
 * an unmapped page; named in bad_out_names[].
 */
#define NR_BAD_OUT	4

static const char *const bad_out_names[NR_BAD_OUT] = {
	"NULL", "unmapped", "read-only", "running into an unmapped page",
};

static void bad_out_pointers(struct fx *fx, size_t len, void *bad[NR_BAD_OUT])
{
	bad[0] = NULL;
	bad[1] = fx->none;
	bad[2] = read_only_copy(fx, "", 0);
	bad[3] = fx->edge + fx->page + 4 - len;
}

/*
 * Command @cmd on @arg with its count *@count set to @n and its output
 * pointer *@out at each place bad for @len bytes: EFAULT every time.
 */
static bool efault_each_bad_out(struct fx *fx, unsigned long cmd, void *arg,
				u32 *count, u32 n, u64 *out, size_t len,
				int line)
{
	void *bad[NR_BAD_OUT];
	bool ok = true;
	int i;

	bad_out_pointers(fx, len, bad);
	for (i = 0; i < NR_BAD_OUT; i++) {
		*count = n;
		*out = (uintptr_t)bad[i];
		ok &= want_ret(line, bad_out_names[i], kp_ioctl(fx->fd, cmd, arg),
			       -EFAULT);
	}
	return ok;
}

/* ---- the generic cases, for every command -------------------------------- */

/* What a prepared call needs; the argument struct is built in @arg. */
struct prep {
	union kt_arg arg;
	bool has_pool;		/* @pool was made for the call */
	u32 pool;
	bool has_set;		/* @set was made for the call */
	u32 set;
	struct kpool_ioc_set_class classes[4];
	struct kpool_ioc_set_entry sets[4];
	char name[KPOOL_IOC_NAME_LEN];	/* CREATE: the name it uses */
	u32 handles[2];
	unsigned char data[64];
	struct kpool_ioc_pool_entry entries[8];
	u32 map[8];
};

struct cmd_desc {
	const char *name;
	unsigned long nr;
	u32 size;		/* first published size */
	u32 cur;		/* the size this tool was built with */
	bool writes_back;	/* the struct has output fields */
	bool mutates;		/* needs a file open for writing */
	bool (*prepare)(struct fx *fx, struct prep *p);
};

/* A set of requests of 1..@max_size bytes (default align and spacing). */
static bool set_new_sized(struct fx *fx, int fd, u64 max_size, u32 *id)
{
	struct kpool_ioc_set_create c = { .min_size = 1, .max_size = max_size };
	int ret;

	unique_name(fx, c.name);
	ret = kp_set_create(fd, &c);
	if (ret) {
		ktap_diag("cannot create set %s: %s", c.name, kp_errname(ret));
		return false;
	}
	*id = c.set_id;
	return true;
}

/* A set of requests of 1..4096 bytes (default align and spacing). */
static bool set_new(struct fx *fx, int fd, u32 *id)
{
	return set_new_sized(fx, fd, 4096, id);
}

/*
 * The set a command's argument cases work on: small (a few classes), since
 * each case makes one and a set's classes are pools.
 */
#define PREP_SET_MAX	128

/* The pool (or with @set the set) the call works on; its id into *@id. */
static bool prep_object(struct fx *fx, struct prep *p, bool set, u32 *id)
{
	if (set)
		p->has_set = set_new_sized(fx, fx->fd, PREP_SET_MAX, &p->set);
	else
		p->has_pool = pool_new(fx, fx->fd, 64, &p->pool);
	*id = set ? p->set : p->pool;
	return set ? p->has_set : p->has_pool;
}

/* ...with one block allocated, its handle in p->handles[0]. */
static bool prep_block(struct fx *fx, struct prep *p, bool set, u32 *id)
{
	if (!prep_object(fx, p, set, id))
		return false;
	if (set)
		return WANT(kp_set_alloc(fx->fd, p->set, 100, 1, p->handles, NULL), 0);
	return WANT(kp_alloc(fx->fd, p->pool, 1, p->handles), 0);
}

/* CREATE and SET_CREATE: a name no pool or set has, in p->name and @name. */
static bool prep_name(struct fx *fx, struct prep *p, char *name)
{
	unique_name(fx, p->name);
	memcpy(name, p->name, sizeof(p->name));
	return true;
}

static bool prep_version(struct fx *fx, struct prep *p)
{
	(void)fx;
	p->arg.version.size = V1_SIZE(struct kpool_ioc_version);
	return true;
}

static bool prep_create(struct fx *fx, struct prep *p)
{
	p->arg.create = (struct kpool_ioc_create){
		.size = KP_V1_CREATE,
		.block_size = 64,
		.order = KPOOL_IOC_ORDER_AUTO,
	};
	return prep_name(fx, p, p->arg.create.name);
}

/* DESTROY and SHRINK */
static bool prep_pool_arg(struct fx *fx, struct prep *p)
{
	p->arg.pool.size = V1_SIZE(struct kpool_ioc_pool);
	return prep_object(fx, p, false, &p->arg.pool.pool_id);
}

static bool prep_alloc(struct fx *fx, struct prep *p)
{
	p->arg.alloc = (struct kpool_ioc_alloc){
		.size = V1_SIZE(struct kpool_ioc_alloc),
		.count = 1,
		.handles = (uintptr_t)p->handles,
	};
	return prep_object(fx, p, false, &p->arg.alloc.pool_id);
}

/* FREE (@set false) and SET_FREE */
static bool prep_free_in(struct fx *fx, struct prep *p, bool set)
{
	p->arg.free = (struct kpool_ioc_free){
		.size = V1_SIZE(struct kpool_ioc_free),
		.count = 1,
		.handles = (uintptr_t)p->handles,
	};
	return prep_block(fx, p, set, &p->arg.free.pool_id);
}

static bool prep_free(struct fx *fx, struct prep *p)
{
	return prep_free_in(fx, p, false);
}

static bool prep_set_free(struct fx *fx, struct prep *p)
{
	return prep_free_in(fx, p, true);
}

/* WRITE and READ */
static bool prep_rw(struct fx *fx, struct prep *p)
{
	p->arg.rw = (struct kpool_ioc_rw){
		.size = V1_SIZE(struct kpool_ioc_rw),
		.len = 16,
		.buf = (uintptr_t)p->data,
	};
	if (!prep_block(fx, p, false, &p->arg.rw.pool_id))
		return false;
	p->arg.rw.handle = p->handles[0];
	return true;
}

static bool prep_stats(struct fx *fx, struct prep *p)
{
	p->arg.stats.size = KP_V1_STATS;
	return prep_object(fx, p, false, &p->arg.stats.pool_id);
}

/* LIST (@set false) and SET_LIST, into p->entries or p->sets */
static bool prep_list_in(struct fx *fx, struct prep *p, bool set)
{
	p->arg.list = (struct kpool_ioc_list){
		.size = V1_SIZE(struct kpool_ioc_list),
		.count = set ? ARRAY_SIZE(p->sets) : ARRAY_SIZE(p->entries),
		.entry_size = set ? sizeof(p->sets[0]) : sizeof(p->entries[0]),
		.entries = set ? (uintptr_t)p->sets : (uintptr_t)p->entries,
	};
	return !set || prep_object(fx, p, true, &p->set);
}

static bool prep_list(struct fx *fx, struct prep *p)
{
	return prep_list_in(fx, p, false);
}

static bool prep_set_list(struct fx *fx, struct prep *p)
{
	return prep_list_in(fx, p, true);
}

static bool prep_info(struct fx *fx, struct prep *p)
{
	p->arg.info = (struct kpool_ioc_info){
		.size = V1_SIZE(struct kpool_ioc_info),
		.nr_chunks = ARRAY_SIZE(p->map),
		.map = (uintptr_t)p->map,
	};
	return prep_block(fx, p, false, &p->arg.info.pool_id);
}

static bool prep_fault(struct fx *fx, struct prep *p)
{
	p->arg.fault.size = V1_SIZE(struct kpool_ioc_fault);
	return prep_object(fx, p, false, &p->arg.fault.pool_id);
}

static bool prep_set_create(struct fx *fx, struct prep *p)
{
	p->arg.set_create = (struct kpool_ioc_set_create){
		.size = V1_SIZE(struct kpool_ioc_set_create),
		.min_size = 1,
		.max_size = 256,
	};
	return prep_name(fx, p, p->arg.set_create.name);
}

static bool prep_set_destroy(struct fx *fx, struct prep *p)
{
	p->arg.set.size = V1_SIZE(struct kpool_ioc_set);
	return prep_object(fx, p, true, &p->arg.set.set_id);
}

static bool prep_set_alloc(struct fx *fx, struct prep *p)
{
	p->arg.set_alloc = (struct kpool_ioc_set_alloc){
		.size = V1_SIZE(struct kpool_ioc_set_alloc),
		.bytes = 100,
		.count = 1,
		.handles = (uintptr_t)p->handles,
	};
	return prep_object(fx, p, true, &p->arg.set_alloc.set_id);
}

static bool prep_set_info(struct fx *fx, struct prep *p)
{
	p->arg.set_info = (struct kpool_ioc_set_info){
		.size = KP_V1_SET_INFO,
		.nr_classes = ARRAY_SIZE(p->classes),
		.class_size = sizeof(p->classes[0]),
		.classes = (uintptr_t)p->classes,
	};
	return prep_object(fx, p, true, &p->arg.set_info.set_id);
}

/* CMD(name, struct, first size, writes back, mutates, prepare) */
#define CMD(n, type, first, wb, mut, prep) \
	{ #n, KPOOL_IOC_##n, first, sizeof(type), wb, mut, prep }
#define CMD_V1(n, type, wb, mut, prep)	CMD(n, type, V1_SIZE(type), wb, mut, prep)

static const struct cmd_desc cmds[] = {
	CMD_V1(VERSION, struct kpool_ioc_version, true, false, prep_version),
	CMD(CREATE, struct kpool_ioc_create, KP_V1_CREATE, true, true, prep_create),
	CMD_V1(DESTROY, struct kpool_ioc_pool, false, true, prep_pool_arg),
	CMD_V1(ALLOC, struct kpool_ioc_alloc, false, true, prep_alloc),
	CMD_V1(FREE, struct kpool_ioc_free, true, true, prep_free),
	CMD_V1(WRITE, struct kpool_ioc_rw, false, true, prep_rw),
	CMD_V1(READ, struct kpool_ioc_rw, false, false, prep_rw),
	CMD_V1(SHRINK, struct kpool_ioc_pool, true, true, prep_pool_arg),
	CMD(STATS, struct kpool_ioc_stats, KP_V1_STATS, true, false, prep_stats),
	CMD_V1(LIST, struct kpool_ioc_list, true, false, prep_list),
	CMD_V1(INFO, struct kpool_ioc_info, true, false, prep_info),
	CMD_V1(FAULT, struct kpool_ioc_fault, false, true, prep_fault),
	CMD_V1(SET_CREATE, struct kpool_ioc_set_create, true, true, prep_set_create),
	CMD_V1(SET_DESTROY, struct kpool_ioc_set, false, true, prep_set_destroy),
	CMD_V1(SET_ALLOC, struct kpool_ioc_set_alloc, true, true, prep_set_alloc),
	CMD_V1(SET_FREE, struct kpool_ioc_free, true, true, prep_set_free),
	CMD(SET_INFO, struct kpool_ioc_set_info, KP_V1_SET_INFO, true, false, prep_set_info),
	CMD_V1(SET_LIST, struct kpool_ioc_list, true, false, prep_set_list),
};

/* The command of @name in cmds[]. */
static const struct cmd_desc *cmd_named(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* Undo what the prepared call (and the call itself) created. */
static void unprepare(struct fx *fx, const struct cmd_desc *d, struct prep *p)
{
	u32 id;

	if (p->has_pool)
		kp_destroy(fx->fd, p->pool);	/* may be gone (DESTROY) */
	if (d->nr == KPOOL_IOC_CREATE && !kp_find_pool(fx->fd, p->name, &id))
		kp_destroy(fx->fd, id);
	if (p->has_set) {
		/* its blocks (SET_FREE, SET_ALLOC), may be gone; then the set */
		kp_set_free(fx->fd, p->set, 1, p->handles, NULL, NULL);
		kp_set_destroy(fx->fd, p->set);
	}
	if (d->nr == KPOOL_IOC_SET_CREATE && !kp_find_set(fx->fd, p->name, &id))
		kp_set_destroy(fx->fd, id);
}

enum generic_kind {
	G_SIZE_SHORT,
	G_SIZE_ZERO,
	G_TAIL_NONZERO,
	G_TAIL_ZERO,
	G_SIZE_TOO_BIG,
	G_AT_PAGE_END,
	G_ARG_NULL,
	G_ARG_UNMAPPED,
	G_STRUCT_UNMAPPED,
	G_TAIL_UNMAPPED,
	G_READ_ONLY,
	G_NR_KINDS
};

static const char *const generic_names[G_NR_KINDS] = {
	[G_SIZE_SHORT] = "size = first size - 1 -> EINVAL",
	[G_SIZE_ZERO] = "size = 0 -> EINVAL",
	[G_TAIL_NONZERO] = "size + 8 with a non-zero tail -> E2BIG",
	[G_TAIL_ZERO] = "size + 8 with a zero tail is accepted",
	[G_SIZE_TOO_BIG] = "size 4097 (zero tail) -> E2BIG",
	[G_AT_PAGE_END] = "exact size ending at an unmapped page is accepted",
	[G_ARG_NULL] = "NULL argument -> EFAULT",
	[G_ARG_UNMAPPED] = "unmapped argument -> EFAULT",
	[G_STRUCT_UNMAPPED] = "struct running into an unmapped page -> EFAULT",
	[G_TAIL_UNMAPPED] = "size + 8 with the tail unmapped -> EFAULT",
	[G_READ_ONLY] = "argument in a read-only page",
};

struct generic_case {
	const struct cmd_desc *cmd;
	enum generic_kind kind;
};

static void set_size(struct prep *p, u32 size)
{
	memcpy(p->arg.raw, &size, sizeof(size));
}

static enum result t_generic(struct fx *fx)
{
	const struct generic_case *gc = fx->arg;
	const struct cmd_desc *d = gc->cmd;
	struct prep *p = calloc(1, sizeof(*p));
	int want = 0, got;
	bool ok = false;
	void *where;
	u32 id;

	if (!p)
		return FAIL;
	if (!d->prepare(fx, p))
		goto out;
	where = p->arg.raw;
	switch (gc->kind) {
	case G_SIZE_SHORT:
		set_size(p, d->size - 1);
		want = -EINVAL;
		break;
	case G_SIZE_ZERO:
		set_size(p, 0);
		want = -EINVAL;
		break;
	case G_TAIL_NONZERO:
		set_size(p, d->cur + 8);
		p->arg.raw[d->cur + 5] = 0x5a;
		want = -E2BIG;
		break;
	case G_TAIL_ZERO:
		set_size(p, d->cur + 8);
		break;
	case G_SIZE_TOO_BIG:
		set_size(p, KT_MAX_ARG_SIZE + 1);
		want = -E2BIG;
		break;
	case G_AT_PAGE_END:
		where = at_edge(fx, p->arg.raw, d->size);
		break;
	case G_ARG_NULL:
		where = NULL;
		want = -EFAULT;
		break;
	case G_ARG_UNMAPPED:
		where = fx->none;
		want = -EFAULT;
		break;
	case G_STRUCT_UNMAPPED:
		where = at_edge(fx, p->arg.raw, sizeof(u32));
		want = -EFAULT;
		break;
	case G_TAIL_UNMAPPED:
		set_size(p, d->cur + 8);
		where = at_edge(fx, p->arg.raw, d->cur);
		want = -EFAULT;
		break;
	case G_READ_ONLY:
		where = read_only_copy(fx, p->arg.raw, d->size);
		want = d->writes_back ? -EFAULT : 0;
		break;
	default:
		goto out;
	}
	got = kp_ioctl(fx->fd, d->nr, where);
	ok = want_ret(__LINE__, d->name, got, want);
	if (gc->kind == G_READ_ONLY && d->nr == KPOOL_IOC_CREATE)
		ok &= CHECK(!name_listed(fx->fd, p->name));
	if (gc->kind == G_READ_ONLY && d->nr == KPOOL_IOC_SET_CREATE)
		ok &= CHECK(kp_find_set(fx->fd, p->name, &id) == -ENOENT);
out:
	unprepare(fx, d, p);
	free(p);
	return verdict(ok);
}

/* ---- command numbers ------------------------------------------------------ */

static enum result t_unknown_commands(struct fx *fx)
{
	static const unsigned int unknown[] = { 0x12, 0x13, 0x7f, 0xff };
	struct kpool_ioc_version v = { .size = sizeof(v) };
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		unsigned long nr = _IOC(_IOC_READ | _IOC_WRITE, KPOOL_IOC_MAGIC,
					unknown[i], sizeof(v));

		ok &= WANT(kp_ioctl(fx->fd, nr, &v), -ENOTTY);
	}
	/* unknown command with a bad pointer: ENOTTY before the argument */
	ok &= WANT(kp_ioctl(fx->fd, _IO(KPOOL_IOC_MAGIC, 0x12), NULL), -ENOTTY);
	return verdict(ok);
}

static enum result t_wrong_magic(struct fx *fx)
{
	struct kpool_ioc_version v = { .size = sizeof(v) };
	unsigned long nr;
	bool ok = true;

	nr = _IOWR(KPOOL_IOC_MAGIC ^ 0x01, 0x00, struct kpool_ioc_version);
	ok &= WANT(kp_ioctl(fx->fd, nr, &v), -ENOTTY);
	nr = _IOWR(KPOOL_IOC_MAGIC ^ 0x80, 0x08, struct kpool_ioc_stats);
	ok &= WANT(kp_ioctl(fx->fd, nr, &v), -ENOTTY);
	/* a common tty ioctl on /dev/kpool */
	ok &= WANT(kp_ioctl(fx->fd, TCGETS, &v), -ENOTTY);
	return verdict(ok);
}

static enum result t_number_size_ignored(struct fx *fx)
{
	static const unsigned int sizes[] = { 200, 1 };
	struct kpool_ioc_version v;
	unsigned long nr;
	bool ok = true;
	size_t i;

	/* the same command with another size in the number still dispatches */
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		nr = _IOC(_IOC_READ | _IOC_WRITE, KPOOL_IOC_MAGIC, 0x00, sizes[i]);
		memset(&v, 0, sizeof(v));
		v.size = sizeof(v);
		ok &= WANT(kp_ioctl(fx->fd, nr, &v), 0);
		ok &= CHECK_EQ(v.abi_version, KPOOL_ABI_VERSION);
	}
	return verdict(ok);
}

/* ---- VERSION -------------------------------------------------------------- */

static enum result t_version(struct fx *fx)
{
	const u64 feats = KPOOL_FEAT_BATCH | KPOOL_FEAT_RW |
			       KPOOL_FEAT_OCCUPANCY | KPOOL_FEAT_FAULT |
			       KPOOL_FEAT_SETS;
	struct kpool_ioc_version v;
	bool ok = true;

	memset(&v, 0xff, sizeof(v));	/* outputs are outputs only */
	v.size = sizeof(v);
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_VERSION, &v), 0);
	ok &= CHECK_EQ(v.size, sizeof(v));
	ok &= CHECK_EQ(v.abi_version, KPOOL_ABI_VERSION);
	ok &= CHECK_EQ(v.features & feats, feats);
	ok &= CHECK_EQ(v.max_batch, KPOOL_IOC_MAX_BATCH);
	ok &= CHECK_EQ(v.max_name_len, KPOOL_IOC_NAME_LEN);
	return verdict(ok);
}

/* ---- CREATE ----------------------------------------------------------------- */

static enum result t_create_happy(struct fx *fx)
{
	struct kpool_ioc_create c = {
		.block_size = 200,
		.order = KPOOL_IOC_ORDER_AUTO,
	};
	struct kpool_ioc_pool_entry e;
	struct kpool_ioc_stats st;
	bool ok = false;

	unique_name(fx, c.name);
	c.pool_id = 0xdeadbeef;
	if (!WANT(kp_create(fx->fd, &c), 0))
		goto out;
	ok = CHECK(list_entry(fx->fd, c.pool_id, &e));
	if (ok) {
		ok &= CHECK_EQ(e.owner, KPOOL_OWNER_SELF);
		ok &= CHECK_EQ(e.block_size, 200);
		ok &= CHECK_EQ(e.blocks_in_use, 0);
		ok &= CHECK(!strncmp(e.name, c.name, KPOOL_IOC_NAME_LEN));
	}
	ok &= stats_of(fx->fd, c.pool_id, &st);
	ok &= CHECK_EQ(st.pool_id, c.pool_id);
	ok &= CHECK(!strncmp(st.name, c.name, KPOOL_IOC_NAME_LEN));
	ok &= CHECK_EQ(st.block_size, 200);
	ok &= CHECK(st.block_stride >= 200);
	/* user pools always zero their blocks */
	ok &= CHECK(st.flags & KPOOL_IOC_F_ZERO);
	ok &= CHECK(!(st.flags & KPOOL_IOC_F_DEBUG));
	ok &= CHECK_EQ(st.blocks_in_use, 0);
	ok &= WANT(kp_destroy(fx->fd, c.pool_id), 0);
	ok &= CHECK(!pool_listed(fx->fd, c.pool_id));
out:
	return verdict(ok);
}

static enum result t_create_flags(struct fx *fx)
{
	struct kpool_ioc_create c = { .block_size = 64, .order = KPOOL_IOC_ORDER_AUTO };
	struct kpool_ioc_stats st;
	bool ok = true;

	/* both known flags together are fine (unknown ones: field_cases[]) */
	unique_name(fx, c.name);
	c.flags = KPOOL_IOC_F_ZERO | KPOOL_IOC_F_DEBUG;
	if (!WANT(kp_create(fx->fd, &c), 0))
		return FAIL;
	ok &= stats_of(fx->fd, c.pool_id, &st);
	ok &= CHECK_EQ(st.flags & KPOOL_IOC_F_ALL, KPOOL_IOC_F_ALL);
	ok &= WANT(kp_destroy(fx->fd, c.pool_id), 0);
	return verdict(ok);
}

/* CREATE with one field changed must fail with @err and leave no pool. */
static bool create_fails(struct fx *fx, struct kpool_ioc_create *c, int err,
			 int line)
{
	char name[KPOOL_IOC_NAME_LEN + 1];
	int ret = kp_create(fx->fd, c);
	bool ok = want_ret(line, "CREATE", ret, err);

	kp_name(name, c->name);
	if (!ret)
		kp_destroy(fx->fd, c->pool_id);
	else if (*name && err != -EEXIST)
		ok &= check_true(line, "no pool left", !name_listed(fx->fd, name));
	return ok;
}

static void create_defaults(struct fx *fx, struct kpool_ioc_create *c)
{
	memset(c, 0, sizeof(*c));
	c->block_size = 64;
	c->order = KPOOL_IOC_ORDER_AUTO;
	unique_name(fx, c->name);
}

static enum result t_create_bad_names(struct fx *fx)
{
	static const char *const bad[] = {
		"", "has space", ".hidden", "a/b", "tab\there", "caf\xc3\xa9",
		"semi;colon",
	};
	struct kpool_ioc_create c;
	char name[8];
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		create_defaults(fx, &c);
		memset(c.name, 0, sizeof(c.name));
		memcpy(c.name, bad[i], strlen(bad[i]));
		if (!create_fails(fx, &c, -EINVAL, __LINE__)) {
			ktap_diag("name \"%s\" was not refused", bad[i]);
			ok = false;
		}
	}
	/* all 32 bytes used: no terminating NUL */
	create_defaults(fx, &c);
	memset(c.name, 'x', sizeof(c.name));
	ok &= create_fails(fx, &c, -EINVAL, __LINE__);
	/* every allowed character, 31 of them */
	create_defaults(fx, &c);
	memset(c.name, 'a', sizeof(c.name) - 1);
	c.name[sizeof(c.name) - 1] = '\0';
	memcpy(c.name, "Az09_.:-", 8);
	snprintf(name, sizeof(name), "%05d", (int)(getpid() % 100000));
	memcpy(c.name + 8, name, 5);
	ok &= WANT(kp_create(fx->fd, &c), 0);
	ok &= WANT(kp_destroy(fx->fd, c.pool_id), 0);
	return verdict(ok);
}

static enum result t_create_duplicate(struct fx *fx)
{
	struct kpool_ioc_create c, c2;
	bool ok = true;
	int ret;

	create_defaults(fx, &c);
	if (!WANT(kp_create(fx->fd, &c), 0))
		return FAIL;
	c2 = c;
	ok &= create_fails(fx, &c2, -EEXIST, __LINE__);
	/* names are unique per file: another file has a name space of its own */
	c2 = c;
	ret = kp_create(fx->fd2, &c2);
	ok &= WANT(ret, 0);
	ok &= CHECK(ret || c2.pool_id != c.pool_id);
	if (!ret)
		ok &= WANT(kp_destroy(fx->fd2, c2.pool_id), 0);
	ok &= WANT(kp_destroy(fx->fd, c.pool_id), 0);
	/* the name is free again in this file */
	c2 = c;
	ok &= WANT(kp_create(fx->fd, &c2), 0);
	ok &= WANT(kp_destroy(fx->fd, c2.pool_id), 0);
	return verdict(ok);
}

static enum result t_create_reserve(struct fx *fx)
{
	struct kpool_ioc_stats st;
	u32 id = fx->pool;
	bool ok = true;

	ok &= stats_of(fx->fd, id, &st);
	ok &= CHECK_EQ(st.min_blocks, 40);
	ok &= CHECK(st.blocks_total >= 40);
	ok &= CHECK_EQ(st.blocks_reserved, 40);
	ok &= CHECK_EQ(st.blocks_in_use, 0);
	ok &= WANT(kp_destroy(fx->fd, id), 0);
	return verdict(ok);
}

static enum result t_create_pool_limit(struct fx *fx)
{
	u64 limit;
	u32 id, i;
	bool ok = true;
	int fd, ret;

	if (!read_param("max_pools_per_fd", &limit) || limit > 4096)
		return skip(fx, "max_pools_per_fd not readable or too large");
	fd = kp_open(NULL);
	if (fd < 0)
		return FAIL;
	for (i = 0; i < limit && ok; i++)
		ok &= pool_new(fx, fd, 8, &id);
	if (ok) {
		struct kpool_ioc_create c;

		create_defaults(fx, &c);
		ret = kp_create(fd, &c);
		ok &= WANT(ret, -ENOSPC);
		ok &= CHECK(!name_listed(fd, c.name));
	}
	close(fd);
	/* closing the file destroyed them: a new file may create again */
	fd = kp_open(NULL);
	if (fd < 0)
		return FAIL;
	ok &= pool_new(fx, fd, 8, &id);
	close(fd);
	return verdict(ok);
}

static enum result t_create_byte_limit(struct fx *fx)
{
	struct kpool_ioc_create c;
	u64 limit, blocks;
	bool ok = true;

	if (!read_param("max_bytes_per_fd", &limit))
		return skip(fx, "max_bytes_per_fd not readable");
	blocks = limit / 4096 + 1;
	if (blocks > UINT32_MAX)
		return skip(fx, "max_bytes_per_fd too large to exceed");
	create_defaults(fx, &c);
	c.block_size = 4096;
	c.min_blocks = (u32)blocks;
	ok &= create_fails(fx, &c, -ENOMEM, __LINE__);
	/* a reserve that overflows 64 bits */
	create_defaults(fx, &c);
	c.block_size = 1ULL << 62;
	c.min_blocks = 8;
	ok &= create_fails(fx, &c, -EINVAL, __LINE__);
	return verdict(ok);
}

/* ---- DESTROY ---------------------------------------------------------------- */

static enum result t_destroy_with_blocks(struct fx *fx)
{
	u32 a = fx->pool, b = fx->pool2, *h = fx->h, hb = fx->h2[0];
	bool ok;

	ok = WANT(kp_destroy(fx->fd, a), 0);
	ok &= CHECK(!pool_listed(fx->fd, a));
	/* its handles are gone with it; another pool's are untouched */
	ok &= WANT(kp_free(fx->fd, b, 1, &h[3], NULL, NULL), -ENOENT);
	ok &= WANT(kp_write(fx->fd, b, h[0], 0, "x", 1), -ENOENT);
	ok &= CHECK_EQ(in_use(fx->fd, b), 1);
	ok &= WANT(kp_destroy(fx->fd, a), -ENOENT);
	ok &= WANT(kp_free(fx->fd, b, 1, &hb, NULL, NULL), 0);
	return verdict(ok);
}

/* ---- pool ids: unknown, another file's ------------------------------------ */

/* Each pool-taking command on pool @id through @fd must give @err. */
static bool every_pool_command(int fd, u32 id, u32 handle, int err,
			       bool include_readers, int reader_err)
{
	s32 status[1];
	u32 h = handle, hs[1];
	unsigned char buf[8] = { 0 };
	struct kpool_ioc_stats st;
	u32 *map, nr, bpc;
	u64 pages;
	bool ok = true;
	int ret;

	ok &= WANT(kp_alloc(fd, id, 1, hs), err);
	ok &= WANT(kp_free(fd, id, 1, &h, status, NULL), err);
	ok &= WANT(kp_write(fd, id, h, 0, buf, sizeof(buf)), err);
	ok &= WANT(kp_read(fd, id, h, 0, buf, sizeof(buf)), err);
	ok &= WANT(kp_shrink(fd, id, &pages), err);
	ok &= WANT(kp_fault(fd, id, 0, 0), err);
	ok &= WANT(kp_destroy(fd, id), err);
	if (include_readers) {
		ok &= WANT(kp_stats(fd, id, &st), reader_err);
		ret = kp_info(fd, id, &map, &nr, &bpc);
		if (!ret)
			free(map);
		ok &= WANT(ret, reader_err);
	}
	return ok;
}

static enum result t_unknown_pool(struct fx *fx)
{
	return verdict(every_pool_command(fx->fd, NO_SUCH_POOL, 1, -ENOENT,
					  true, -ENOENT));
}

static enum result t_destroyed_pool(struct fx *fx)
{
	u32 id, h;
	bool ok;

	if (!pool_new(fx, fx->fd, 64, &id))
		return FAIL;
	ok = WANT(kp_alloc(fx->fd, id, 1, &h), 0);
	ok &= WANT(kp_destroy(fx->fd, id), 0);
	ok &= every_pool_command(fx->fd, id, h, -ENOENT, true, -ENOENT);
	return verdict(ok);
}

static enum result t_other_file_pool(struct fx *fx)
{
	int reader = fx->cap_sys_admin ? 0 : -EPERM;
	struct kpool_ioc_stats st;
	u32 id, h;
	bool ok = false;

	if (!pool_new(fx, fx->fd2, 64, &id))
		return FAIL;
	if (!WANT(kp_alloc(fx->fd2, id, 1, &h), 0))
		goto out;
	ok = every_pool_command(fx->fd, id, h, -EPERM, true, reader);
	/* nothing happened to it */
	ok &= CHECK(pool_listed(fx->fd, id));
	ok &= stats_of(fx->fd2, id, &st);
	ok &= CHECK_EQ(st.blocks_in_use, 1);
	ok &= WANT(kp_free(fx->fd2, id, 1, &h, NULL, NULL), 0);
out:
	kp_destroy(fx->fd2, id);
	return verdict(ok);
}

static enum result t_other_file_readers(struct fx *fx)
{
	struct kpool_ioc_stats st;
	u32 id, h[3], *map = NULL, nr, bpc;
	bool ok = false;

	if (!pool_new(fx, fx->fd2, 96, &id))
		return FAIL;
	if (!WANT(kp_alloc(fx->fd2, id, 3, h), 0))
		goto out;
	ok = WANT(kp_stats(fx->fd, id, &st), 0);
	ok &= CHECK_EQ(st.pool_id, id);
	ok &= CHECK_EQ(st.block_size, 96);
	ok &= CHECK_EQ(st.blocks_in_use, 3);
	ok &= WANT(kp_info(fx->fd, id, &map, &nr, &bpc), 0);
	ok &= CHECK(nr >= 1);
out:
	free(map);
	kp_destroy(fx->fd2, id);
	return verdict(ok);
}

/* ---- ALLOC ------------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* The @n handles are non-zero, at most INT_MAX and distinct. */
static bool handles_sane(const u32 *h, u32 n)
{
	u32 *s = malloc(n * sizeof(*s)), i;
	bool ok = true;

	if (!s)
		return false;
	memcpy(s, h, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u32);
	for (i = 0; i < n; i++) {
		if (!s[i] || s[i] > INT32_MAX || (i && s[i] == s[i - 1])) {
			ktap_diag("bad or repeated handle %u", s[i]);
			ok = false;
			break;
		}
	}
	free(s);
	return ok;
}

static enum result t_alloc_max_batch(struct fx *fx)
{
	const u32 n = KPOOL_IOC_MAX_BATCH;
	struct kpool_ioc_stats st0, st;
	u32 id = fx->pool, freed = 0, *h;
	bool ok = false;

	h = calloc(n, sizeof(*h));
	if (!h || !stats_of(fx->fd, id, &st0)) {
		free(h);
		return FAIL;
	}
	if (!WANT(kp_alloc(fx->fd, id, n, h), 0))
		goto out;
	ok = handles_sane(h, n);
	ok &= stats_of(fx->fd, id, &st);
	ok &= CHECK_EQ(st.blocks_in_use, n);
	ok &= CHECK(st.high_watermark >= n);
	ok &= CHECK(st.blocks_total >= n);
	ok &= CHECK_EQ(st.allocs - st0.allocs, n);
	ok &= WANT(kp_free(fx->fd, id, n, h, NULL, &freed), 0);
	ok &= CHECK_EQ(freed, n);
	ok &= stats_of(fx->fd, id, &st);
	ok &= CHECK_EQ(st.blocks_in_use, 0);
	ok &= CHECK_EQ(st.frees - st0.frees, n);
out:
	free(h);
	return verdict(ok);
}

/* ALLOC of @count into @handles must fail with EFAULT and leak nothing. */
static bool alloc_efault(struct fx *fx, u32 id, u32 count, void *handles,
			 const char *what)
{
	bool ok = want_ret(__LINE__, what, kp_alloc(fx->fd, id, count, handles),
			   -EFAULT);

	if (!check_u64(__LINE__, "blocks_in_use", in_use(fx->fd, id), 0))
		ktap_diag("after ALLOC into %s", what);
	return ok && !in_use(fx->fd, id);
}

static enum result t_alloc_bad_handles(struct fx *fx)
{
	u32 id = fx->pool, h[2];
	void *bad[NR_BAD_OUT];
	bool ok = true;
	int i;

	/* two handles: the first fits before the unmapped page, the second not */
	bad_out_pointers(fx, 2 * sizeof(u32), bad);
	for (i = 0; i < NR_BAD_OUT; i++)
		ok &= alloc_efault(fx, id, 2, bad[i], bad_out_names[i]);
	ok &= alloc_efault(fx, id, KPOOL_IOC_MAX_BATCH, fx->edge, "the largest batch");
	ok &= alloc_efault(fx, id, 1, (void *)0xffff888000000000UL, "a kernel address");
	/* the pool still works */
	ok &= WANT(kp_alloc(fx->fd, id, 2, h), 0);
	ok &= CHECK_EQ(in_use(fx->fd, id), 2);
	return verdict(ok);
}

static enum result t_alloc_misaligned_handles(struct fx *fx)
{
	unsigned char raw[3 * sizeof(u32) + 1];
	u32 id = fx->pool, h[3];
	bool ok;

	ok = WANT(kp_alloc(fx->fd, id, 3, (u32 *)(raw + 1)), 0);
	memcpy(h, raw + 1, sizeof(h));
	ok &= handles_sane(h, 3);
	ok &= WANT(kp_free(fx->fd, id, 3, h, NULL, NULL), 0);
	return verdict(ok);
}

static enum result t_alloc_cap_all_or_nothing(struct fx *fx)
{
	struct kpool_ioc_stats st;
	u32 id = fx->pool, h[8];
	bool ok = true;

	ok &= WANT(kp_alloc(fx->fd, id, 6, h), 0);
	ok &= WANT(kp_alloc(fx->fd, id, 4, h + 6), -ENOMEM);
	ok &= CHECK_EQ(in_use(fx->fd, id), 6);
	ok &= WANT(kp_alloc(fx->fd, id, 2, h + 6), 0);
	ok &= WANT(kp_alloc(fx->fd, id, 1, h), -ENOMEM);
	ok &= stats_of(fx->fd, id, &st);
	ok &= CHECK_EQ(st.blocks_in_use, 8);
	ok &= CHECK(st.blocks_total <= 8);
	/* a free makes room again */
	ok &= WANT(kp_free(fx->fd, id, 1, &h[7], NULL, NULL), 0);
	ok &= WANT(kp_alloc(fx->fd, id, 1, &h[7]), 0);
	ok &= WANT(kp_alloc(fx->fd, id, 9, h), -ENOMEM);
	return verdict(ok);
}

/* The blocks of the ALLOC that passes max_bytes_per_fd. */
#define ALLOC_LIMIT_BLOCK	(64 * 1024)

static enum result t_alloc_byte_limit(struct fx *fx)
{
	const u64 block = ALLOC_LIMIT_BLOCK;
	u64 limit, count;
	u32 id = fx->pool, *h;
	bool ok;

	if (!read_param("max_bytes_per_fd", &limit))
		return skip(fx, "max_bytes_per_fd not readable");
	count = limit / block + 1;
	if (count > KPOOL_IOC_MAX_BATCH)
		return skip(fx, "max_bytes_per_fd too large for one batch");
	h = calloc(count, sizeof(*h));
	if (!h)
		return FAIL;
	ok = WANT(kp_alloc(fx->fd, id, (u32)count, h), -ENOMEM);
	ok &= CHECK_EQ(in_use(fx->fd, id), 0);
	/* well below the limit works */
	ok &= WANT(kp_alloc(fx->fd, id, (u32)(count / 2), h), 0);
	free(h);
	return verdict(ok);
}

static enum result t_handles_unique_per_file(struct fx *fx)
{
	u32 h[64];

	memcpy(h, fx->h, 32 * sizeof(*h));
	memcpy(h + 32, fx->h2, 32 * sizeof(*h));
	return verdict(handles_sane(h, 64));
}

/* ---- FREE --------------------------------------------------------------------- */

static enum result t_free_fields(struct fx *fx)
{
	struct kpool_ioc_free f = {
		.size = sizeof(f),
		.pool_id = fx->pool,
		.count = 1,
		.handles = (uintptr_t)fx->h,
		.freed = 12345,
	};
	bool ok;

	/* bad counts, flags and pad: field_cases[]; outputs are outputs only */
	ok = WANT(kp_ioctl(fx->fd, KPOOL_IOC_FREE, &f), 0);
	ok &= CHECK_EQ(f.freed, 1);
	ok &= CHECK_EQ(in_use(fx->fd, fx->pool), 0);
	return verdict(ok);
}

/* FREE must fail with EFAULT and free nothing. */
static bool free_efault(struct fx *fx, u32 id, u32 count,
			const void *handles, void *status, int line)
{
	u64 before = in_use(fx->fd, id);
	bool ok;

	ok = want_ret(line, "FREE", kp_free(fx->fd, id, count, handles, status,
					    NULL), -EFAULT);
	ok &= check_u64(line, "blocks_in_use", in_use(fx->fd, id), before);
	return ok;
}

static enum result t_free_bad_pointers(struct fx *fx)
{
	u32 id = fx->pool, *h = fx->h;
	void *bad[NR_BAD_OUT];
	s32 status[4];
	bool ok;
	int i;

	ok = free_efault(fx, id, 1, NULL, NULL, __LINE__);
	ok &= free_efault(fx, id, 4, fx->none, NULL, __LINE__);
	/* handles running into an unmapped page */
	ok &= free_efault(fx, id, 4, at_edge(fx, h, 2 * sizeof(u32)), NULL, __LINE__);
	/* status written to each bad place (NULL is none) */
	bad_out_pointers(fx, sizeof(status), bad);
	for (i = 1; i < NR_BAD_OUT; i++)
		ok &= free_efault(fx, id, 4, h, bad[i], __LINE__);
	/* the handles are all still valid */
	ok &= WANT(kp_free(fx->fd, id, 4, h, status, NULL), 0);
	ok &= CHECK_EQ(in_use(fx->fd, id), 0);
	return verdict(ok);
}

static enum result t_free_mixed_batch(struct fx *fx)
{
	struct kpool_ioc_free f = { .size = sizeof(f) };
	u32 a = fx->pool, b = fx->pool2, *ha = fx->h, hb = fx->h2[0], batch[5];
	s32 status[5];
	bool ok;

	/* valid, unknown, another pool's, valid, 0 */
	batch[0] = ha[0];
	batch[1] = 0x7ffffff0;
	batch[2] = hb;
	batch[3] = ha[1];
	batch[4] = 0;
	memset(status, 0x55, sizeof(status));
	f.pool_id = a;
	f.count = 5;
	f.handles = (uintptr_t)batch;
	f.status = (uintptr_t)status;
	ok = WANT(kp_ioctl(fx->fd, KPOOL_IOC_FREE, &f), -ENOENT);
	ok &= CHECK_EQ(f.freed, 2);
	ok &= CHECK_EQ((u32)status[0], 0);
	ok &= CHECK_EQ((u32)-status[1], ENOENT);
	ok &= CHECK_EQ((u32)-status[2], EINVAL);
	ok &= CHECK_EQ((u32)status[3], 0);
	ok &= CHECK_EQ((u32)-status[4], ENOENT);
	ok &= CHECK_EQ(in_use(fx->fd, a), 0);
	/* the other pool's block was left alone */
	ok &= CHECK_EQ(in_use(fx->fd, b), 1);
	/* the first bad handle decides the error: here another pool's */
	f.pool_id = a;
	f.count = 1;
	f.handles = (uintptr_t)&hb;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_FREE, &f), -EINVAL);
	ok &= CHECK_EQ(f.freed, 0);
	ok &= CHECK_EQ(in_use(fx->fd, b), 1);
	ok &= WANT(kp_free(fx->fd, b, 1, &hb, NULL, NULL), 0);
	return verdict(ok);
}

static enum result t_free_double(struct fx *fx)
{
	u32 id = fx->pool, *h = fx->h, twice[2], freed;
	s32 status[2];
	bool ok;

	ok = WANT(kp_free(fx->fd, id, 1, &h[0], NULL, NULL), 0);
	ok &= WANT(kp_free(fx->fd, id, 1, &h[0], NULL, NULL), -ENOENT);
	/* the same handle twice in one batch: freed once */
	twice[0] = h[1];
	twice[1] = h[1];
	ok &= WANT(kp_free(fx->fd, id, 2, twice, status, &freed), -ENOENT);
	ok &= CHECK_EQ(freed, 1);
	ok &= CHECK_EQ((u32)status[0], 0);
	ok &= CHECK_EQ((u32)-status[1], ENOENT);
	ok &= CHECK_EQ(in_use(fx->fd, id), 1);
	/* a freed handle is not usable for READ/WRITE either */
	ok &= WANT(kp_write(fx->fd, id, h[0], 0, "x", 1), -ENOENT);
	ok &= WANT(kp_read(fx->fd, id, h[1], 0, status, 1), -ENOENT);
	return verdict(ok);
}

static enum result t_handles_per_file(struct fx *fx)
{
	u32 mine, theirs, h;
	int fd3;
	bool ok = false;

	fd3 = kp_open(NULL);
	if (fd3 < 0)
		return FAIL;
	if (!pool_new(fx, fd3, 32, &mine) || !pool_new(fx, fx->fd2, 32, &theirs))
		goto out;
	if (!WANT(kp_alloc(fx->fd2, theirs, 1, &h), 0))
		goto out;
	/* fd3 never allocated: the other file's handle is unknown here */
	ok = WANT(kp_free(fd3, mine, 1, &h, NULL, NULL), -ENOENT);
	ok &= WANT(kp_read(fd3, mine, h, 0, &mine, 1), -ENOENT);
	ok &= CHECK_EQ(in_use(fx->fd2, theirs), 1);
	ok &= WANT(kp_destroy(fx->fd2, theirs), 0);
out:
	close(fd3);
	return verdict(ok);
}

/* ---- WRITE / READ -------------------------------------------------------------- */

/* Write a pattern over a whole block, read it back. */
static bool round_trip(int fd, u32 id, u32 h, size_t size,
		       u32 seed)
{
	unsigned char *w = malloc(size), *r = malloc(size);
	bool ok = false;

	if (!w || !r)
		goto out;
	pattern(w, size, seed);
	memset(r, 0, size);
	if (!WANT(kp_write(fd, id, h, 0, w, size), 0))
		goto out;
	if (!WANT(kp_read(fd, id, h, 0, r, size), 0))
		goto out;
	ok = CHECK(!memcmp(w, r, size));
out:
	free(w);
	free(r);
	return ok;
}

struct size_case {
	u64 block_size;
	u32 flags;
};

static const struct size_case size_cases[] = {
	{ 8, 0 }, { 24, 0 }, { 100, 0 }, { 512, 0 }, { 4096, 0 },
	{ 9000, 0 }, { 65536, 0 }, { 264, KPOOL_IOC_F_DEBUG },
};

static enum result t_rw_block_size(struct fx *fx)
{
	const struct size_case *sc = fx->arg;
	unsigned char *buf = malloc(sc->block_size);
	struct kpool_ioc_stats st;
	u32 id = fx->pool, *h = fx->h, i;
	bool ok = true;

	if (!buf)
		return FAIL;
	for (i = 0; i < 3; i++) {
		/* a fresh block reads as zeros */
		ok &= WANT(kp_read(fx->fd, id, h[i], 0, buf, sc->block_size), 0);
		ok &= CHECK(all_bytes(buf, sc->block_size, 0));
		ok &= round_trip(fx->fd, id, h[i], sc->block_size, h[i] * 7 + i);
	}
	/* the blocks do not overlap: each still holds its own pattern */
	for (i = 0; i < 3; i++) {
		unsigned char *want = malloc(sc->block_size);

		if (!want)
			break;
		pattern(want, sc->block_size, h[i] * 7 + i);
		ok &= WANT(kp_read(fx->fd, id, h[i], 0, buf, sc->block_size), 0);
		ok &= CHECK(!memcmp(buf, want, sc->block_size));
		free(want);
	}
	ok &= stats_of(fx->fd, id, &st);
	ok &= CHECK_EQ(st.block_size, sc->block_size);
	ok &= CHECK_EQ(st.blocks_in_use, 3);
	ok &= CHECK(st.block_stride >= st.block_size);
	ok &= CHECK(st.blocks_per_chunk >= 1);
	ok &= CHECK(st.pages >= (u64)st.chunks << st.chunk_order);
	if (st.align)
		ok &= CHECK(st.block_stride % st.align == 0);
	free(buf);
	return verdict(ok);
}

static enum result t_rw_partial(struct fx *fx)
{
	unsigned char block[256], part[40], r[256];
	u32 id = fx->pool, h = fx->h[0];
	bool ok;

	pattern(block, sizeof(block), 1);
	pattern(part, sizeof(part), 2);
	if (!WANT(kp_write(fx->fd, id, h, 0, block, sizeof(block)), 0))
		return FAIL;
	ok = WANT(kp_write(fx->fd, id, h, 100, part, sizeof(part)), 0);
	memcpy(block + 100, part, sizeof(part));
	ok &= WANT(kp_read(fx->fd, id, h, 0, r, sizeof(r)), 0);
	ok &= CHECK(!memcmp(r, block, sizeof(block)));
	/* the last byte, and reads at offsets */
	ok &= WANT(kp_write(fx->fd, id, h, 255, "Z", 1), 0);
	ok &= WANT(kp_read(fx->fd, id, h, 255, r, 1), 0);
	ok &= CHECK_EQ(r[0], 'Z');
	ok &= WANT(kp_read(fx->fd, id, h, 101, r, 10), 0);
	ok &= CHECK(!memcmp(r, part + 1, 10));
	/* len 0 is a no-op, up to the end of the block */
	ok &= WANT(kp_read(fx->fd, id, h, 256, r, 0), 0);
	ok &= WANT(kp_write(fx->fd, id, h, 0, NULL, 0), 0);
	return verdict(ok);
}

static enum result t_rw_bounds(struct fx *fx)
{
	static const struct {
		u64 offset, len;
	} bad[] = {
		{ 0, 65 }, { 64, 1 }, { 63, 2 }, { 65, 0 }, { 1, 64 },
		{ UINT64_MAX, 2 }, { 2, UINT64_MAX }, { UINT64_MAX, 0 },
		{ 1ULL << 32, 1 }, { 0, 1ULL << 32 },
	};
	unsigned char buf[128] = { 0 };
	u32 id = fx->pool, h = fx->h[0];
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		bool w = WANT(kp_write(fx->fd, id, h, bad[i].offset, buf, bad[i].len), -EINVAL);
		bool r = WANT(kp_read(fx->fd, id, h, bad[i].offset, buf, bad[i].len), -EINVAL);

		if (!w || !r) {
			ktap_diag("offset %llu len %llu on a 64-byte block",
				  bad[i].offset, bad[i].len);
			ok = false;
		}
	}
	ok &= WANT(kp_write(fx->fd, id, h, 0, buf, 64), 0);
	return verdict(ok);
}

static enum result t_rw_flags_and_handles(struct fx *fx)
{
	struct kpool_ioc_rw rw = { .size = sizeof(rw), .len = 8 };
	unsigned char buf[8] = { 0 };
	u32 a = fx->pool, ha = fx->h[0], hb = fx->h2[0];
	bool ok;

	rw.pool_id = a;
	rw.handle = ha;
	rw.buf = (uintptr_t)buf;
	rw.flags = 2;	/* the first bit after KPOOL_IOC_RW_F_SET */
	ok = WANT(kp_ioctl(fx->fd, KPOOL_IOC_WRITE, &rw), -EINVAL);
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_READ, &rw), -EINVAL);
	rw.flags = 1u << 31;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_READ, &rw), -EINVAL);
	/* another pool's handle, an unknown handle, handle 0 */
	ok &= WANT(kp_write(fx->fd, a, hb, 0, buf, 8), -EINVAL);
	ok &= WANT(kp_read(fx->fd, a, hb, 0, buf, 8), -EINVAL);
	ok &= WANT(kp_write(fx->fd, a, 0x7ffffff0, 0, buf, 8), -ENOENT);
	ok &= WANT(kp_read(fx->fd, a, 0x7ffffff0, 0, buf, 8), -ENOENT);
	ok &= WANT(kp_read(fx->fd, a, 0, 0, buf, 8), -ENOENT);
	ok &= WANT(kp_read(fx->fd, a, UINT32_MAX, 0, buf, 8), -ENOENT);
	ok &= WANT(kp_read(fx->fd, a, ha, 0, buf, 8), 0);
	return verdict(ok);
}

static enum result t_rw_bad_buffers(struct fx *fx)
{
	unsigned char data[64], back[64];
	u32 id = fx->pool, h = fx->h[0];
	void *bad[NR_BAD_OUT];
	bool ok = true;
	int i;

	bad_out_pointers(fx, 8, bad);
	for (i = 0; i < NR_BAD_OUT; i++) {
		ok &= want_ret(__LINE__, bad_out_names[i],
			       kp_read(fx->fd, id, h, 0, bad[i], 8), -EFAULT);
		/* WRITE only reads the buffer: a read-only one is fine */
		if (bad[i] != fx->ro)
			ok &= want_ret(__LINE__, bad_out_names[i],
				       kp_write(fx->fd, id, h, 0, bad[i], 8), -EFAULT);
	}
	pattern(data, sizeof(data), 3);
	ok &= WANT(kp_write(fx->fd, id, h, 0, read_only_copy(fx, data, sizeof(data)), 64), 0);
	ok &= WANT(kp_read(fx->fd, id, h, 0, back, sizeof(back)), 0);
	ok &= CHECK(!memcmp(data, back, sizeof(data)));
	/* a buffer that ends exactly at an unmapped page */
	ok &= WANT(kp_read(fx->fd, id, h, 0, fx->edge + fx->page - 64, 64), 0);
	ok &= CHECK(!memcmp(fx->edge + fx->page - 64, data, 64));
	return verdict(ok);
}

#define STALE_BLOCK	512

/* Freed and re-allocated blocks never show what was written before. */
static enum result t_rw_no_stale_data(struct fx *fx)
{
	const u32 n = 64, size = STALE_BLOCK;
	unsigned char *buf = malloc(size);
	u32 id = fx->pool, h[64], round, i;
	bool ok = !!buf;

	for (round = 0; round < 3 && ok; round++) {
		if (!WANT(kp_alloc(fx->fd, id, n, h), 0))
			goto out;
		for (i = 0; i < n; i++) {
			ok &= WANT(kp_read(fx->fd, id, h[i], 0, buf, size), 0);
			if (!all_bytes(buf, size, 0)) {
				ktap_diag("round %u: handle %u has stale data",
					  round, h[i]);
				ok = false;
				break;
			}
			memset(buf, 0xa5, size);
			ok &= WANT(kp_write(fx->fd, id, h[i], 0, buf, size), 0);
		}
		ok &= WANT(kp_free(fx->fd, id, n, h, NULL, NULL), 0);
	}
out:
	free(buf);
	return verdict(ok);
}

/* ---- SHRINK --------------------------------------------------------------------- */

#define SHRINK_BLOCKS	2000
#define SHRINK_RESERVE	20

static enum result t_shrink(struct fx *fx)
{
	struct kpool_ioc_stats before, after;
	u32 id = fx->pool, *h = fx->h;
	u64 pages = 0;
	bool ok;

	if (!WANT(kp_free(fx->fd, id, SHRINK_BLOCKS, h, NULL, NULL), 0) ||
	    !stats_of(fx->fd, id, &before))
		return FAIL;
	ok = WANT(kp_shrink(fx->fd, id, &pages), 0);
	ok &= stats_of(fx->fd, id, &after);
	ok &= CHECK(pages > 0);
	ok &= CHECK_EQ(before.pages - after.pages, pages);
	ok &= CHECK(after.blocks_total >= SHRINK_RESERVE);
	ok &= CHECK(after.blocks_total < before.blocks_total);
	ok &= CHECK_EQ(after.blocks_in_use, 0);
	ok &= CHECK(after.shrinks > before.shrinks);
	/* a second shrink has nothing left to give but the reserve */
	ok &= WANT(kp_shrink(fx->fd, id, &pages), 0);
	ok &= stats_of(fx->fd, id, &after);
	ok &= CHECK(after.blocks_total >= SHRINK_RESERVE);
	/* the pool grows again */
	ok &= WANT(kp_alloc(fx->fd, id, 100, h), 0);
	ok &= CHECK_EQ(in_use(fx->fd, id), 100);
	return verdict(ok);
}

/* ---- STATS ------------------------------------------------------------------------ */

static enum result t_stats_counts(struct fx *fx)
{
	struct kpool_ioc_stats st0, st;
	u32 id = fx->pool, h[10];
	bool ok;

	if (!stats_of(fx->fd, id, &st0))
		return FAIL;
	ok = CHECK_EQ(st0.blocks_in_use, 0);
	ok &= CHECK_EQ(st0.max_blocks, 1000);
	ok &= WANT(kp_alloc(fx->fd, id, 7, h), 0);
	ok &= WANT(kp_alloc(fx->fd, id, 1, h + 7), 0);
	ok &= WANT(kp_alloc(fx->fd, id, 2, h + 8), 0);
	ok &= stats_of(fx->fd, id, &st);
	ok &= CHECK_EQ(st.blocks_in_use, 10);
	ok &= CHECK_EQ(st.allocs - st0.allocs, 10);
	ok &= CHECK(st.high_watermark >= 10);
	ok &= CHECK(st.blocks_total >= 10);
	ok &= CHECK(st.blocks_total <= 1000);
	ok &= CHECK(st.blocks_free <= st.blocks_total - st.blocks_in_use);
	ok &= WANT(kp_free(fx->fd, id, 4, h, NULL, NULL), 0);
	ok &= WANT(kp_free(fx->fd, id, 1, h + 4, NULL, NULL), 0);
	ok &= stats_of(fx->fd, id, &st);
	ok &= CHECK_EQ(st.blocks_in_use, 5);
	ok &= CHECK_EQ(st.frees - st0.frees, 5);
	ok &= CHECK(st.high_watermark >= 10);
	/* refused frees are not blocks freed */
	ok &= WANT(kp_free(fx->fd, id, 1, h, NULL, NULL), -ENOENT);
	ok &= stats_of(fx->fd, id, &st);
	ok &= CHECK_EQ(st.frees - st0.frees, 5);
	ok &= CHECK_EQ(st.allocs - st.frees, st0.allocs - st0.frees + 5);
	return verdict(ok);
}

static enum result t_stats_outputs_only(struct fx *fx)
{
	struct kpool_ioc_stats st, st2;
	u32 id = fx->pool;
	bool ok;

	/* garbage in the output fields does not matter */
	memset(&st, 0xee, sizeof(st));
	st.size = sizeof(st);
	st.pool_id = id;
	ok = WANT(kp_ioctl(fx->fd, KPOOL_IOC_STATS, &st), 0);
	ok &= stats_of(fx->fd, id, &st2);
	ok &= CHECK_EQ(st.blocks_in_use, 0);
	ok &= CHECK(!memcmp(st.name, st2.name, sizeof(st.name)));
	ok &= CHECK_EQ(st.err_redzone, 0);
	return verdict(ok);
}

/* ---- LIST ------------------------------------------------------------------------- */

static enum result t_list_sizing(struct fx *fx)
{
	struct kpool_ioc_list l = { .size = sizeof(l), .entry_size = 64 };
	u32 id, n;
	bool ok;

	if (!pool_new(fx, fx->fd, 64, &id))
		return FAIL;
	/* count 0: nothing is written, so any pointer will do */
	l.count = 0;
	l.entries = (uintptr_t)fx->none;
	ok = WANT(kp_ioctl(fx->fd, KPOOL_IOC_LIST, &l), 0);
	n = l.count;
	ok &= CHECK(n >= 1);
	l.count = 0;
	l.entries = 0;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_LIST, &l), 0);
	ok &= CHECK_EQ(l.count, n);
	/* one pool less, one entry less */
	ok &= WANT(kp_destroy(fx->fd, id), 0);
	l.count = 0;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_LIST, &l), 0);
	ok &= CHECK_EQ(l.count, n - 1);
	return verdict(ok);
}

static enum result t_list_capacity(struct fx *fx)
{
	struct kpool_ioc_list l = { .size = sizeof(l), .entry_size = 64 };
	struct kpool_ioc_pool_entry e[4];
	u32 ids[3], i;
	bool ok = true;

	for (i = 0; i < 3; i++)
		ok &= pool_new(fx, fx->fd, 64, &ids[i]);
	if (ok) {
		/* capacity 1: one entry written, the total reported */
		memset(e, 0xcc, sizeof(e));
		l.count = 1;
		l.entries = (uintptr_t)e;
		ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_LIST, &l), 0);
		ok &= CHECK(l.count >= 3);
		ok &= CHECK(e[0].block_size != 0xccccccccccccccccULL);
		ok &= CHECK(all_bytes((unsigned char *)&e[1], sizeof(e[1]), 0xcc));
		/* entries exactly filling a page before an unmapped one */
		l.count = 2;
		l.entries = (uintptr_t)(fx->edge + fx->page - 2 * 64);
		ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_LIST, &l), 0);
		/* and one entry more than fits */
		l.count = 3;
		ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_LIST, &l), -EFAULT);
	}
	for (i = 0; i < 3; i++)
		kp_destroy(fx->fd, ids[i]);
	return verdict(ok);
}

static enum result t_list_entry_stride(struct fx *fx)
{
	const u32 stride = 128;
	struct kpool_ioc_list l = { .size = sizeof(l), .entry_size = stride };
	unsigned char buf[4 * 128];
	struct kpool_ioc_pool_entry e;
	u32 ids[2], i;
	bool ok = true;

	ok &= pool_new(fx, fx->fd, 72, &ids[0]);
	ok &= ok && pool_new(fx, fx->fd, 72, &ids[1]);
	if (!ok)
		goto out;
	memset(buf, 0xcc, sizeof(buf));
	l.count = 2;
	l.entries = (uintptr_t)buf;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_LIST, &l), 0);
	for (i = 0; i < 2 && ok; i++) {
		memcpy(&e, buf + i * stride, sizeof(e));
		ok &= CHECK(e.owner <= KPOOL_OWNER_KERNEL);
		ok &= CHECK(e.block_size != 0);
		/* bytes past the kernel's entry are zeroed */
		ok &= CHECK(all_bytes(buf + i * stride + sizeof(e),
				      stride - sizeof(e), 0));
	}
	/* nothing past the entries asked for */
	ok &= CHECK(all_bytes(buf + 2 * stride, 2 * stride, 0xcc));
out:
	kp_destroy(fx->fd, ids[0]);
	kp_destroy(fx->fd, ids[1]);
	return verdict(ok);
}

static enum result t_list_bad_entries(struct fx *fx)
{
	struct kpool_ioc_list l = { .size = sizeof(l), .entry_size = 64 };
	bool ok;

	/* the case's pool is there: the first entry is written */
	ok = efault_each_bad_out(fx, KPOOL_IOC_LIST, &l, &l.count, 4, &l.entries,
				 l.entry_size, __LINE__);
	/* an address range that wraps around */
	l.count = 4;
	l.entries = UINT64_MAX - 63;
	ok &= CHECK(kp_ioctl(fx->fd, KPOOL_IOC_LIST, &l) != 0);
	return verdict(ok);
}

static enum result t_list_owners(struct fx *fx)
{
	struct kpool_ioc_pool_entry e;
	u32 ids[2];	/* fx->fd's pool, fx->fd2's */
	int fds[2] = { fx->fd, fx->fd2 };
	bool ok = false;
	int by, of;

	if (!pool_new(fx, fx->fd, 40, &ids[0]))
		return FAIL;
	if (!pool_new(fx, fx->fd2, 40, &ids[1]))
		goto out;
	ok = true;
	/* each file's pool as each file lists it */
	for (by = 0; by < 2; by++) {
		for (of = 0; of < 2; of++) {
			if (CHECK(list_entry(fds[by], ids[of], &e)) &&
			    CHECK_EQ(e.owner, by == of ? KPOOL_OWNER_SELF :
				     KPOOL_OWNER_OTHER_FILE))
				continue;
			ktap_diag("file %d's pool listed by file %d", of + 1, by + 1);
			ok = false;
		}
	}
	kp_destroy(fx->fd2, ids[1]);
out:
	kp_destroy(fx->fd, ids[0]);
	return verdict(ok);
}

static enum result t_list_counts(struct fx *fx)
{
	struct kpool_ioc_pool_entry e;
	u32 id = fx->pool, *h = fx->h;
	bool ok;

	if (!WANT(kp_free(fx->fd, id, 2, h, NULL, NULL), 0))
		return FAIL;
	ok = CHECK(list_entry(fx->fd, id, &e));
	ok &= CHECK_EQ(e.block_size, 1000);
	ok &= CHECK_EQ(e.blocks_in_use, 3);
	ok &= CHECK(e.blocks_total >= 3);
	return verdict(ok);
}

static enum result t_close_destroys(struct fx *fx)
{
	struct kpool_ioc_stats st;
	struct kpool_ioc_create c;
	u32 h[16];
	bool ok = false;
	int fd3;

	fd3 = kp_open(NULL);
	if (fd3 < 0)
		return FAIL;
	create_defaults(fx, &c);
	c.min_blocks = 4;
	if (!WANT(kp_create(fd3, &c), 0)) {
		close(fd3);
		return FAIL;
	}
	ok = WANT(kp_alloc(fd3, c.pool_id, 16, h), 0);
	ok &= CHECK(pool_listed(fx->fd, c.pool_id));
	close(fd3);
	/* close() runs release() once the last reference is gone: now */
	ok &= CHECK(!pool_listed(fx->fd, c.pool_id));
	ok &= CHECK(!name_listed(fx->fd, c.name));
	ok &= WANT(kp_stats(fx->fd, c.pool_id, &st), -ENOENT);
	/* its name may be used again */
	ok &= WANT(kp_create(fx->fd, &c), 0);
	ok &= WANT(kp_destroy(fx->fd, c.pool_id), 0);
	return verdict(ok);
}

/* ---- INFO ------------------------------------------------------------------------- */

static enum result t_info_map(struct fx *fx)
{
	struct kpool_ioc_info in = { .size = sizeof(in) };
	struct kpool_ioc_stats st;
	u32 id = fx->pool, *map = NULL, nr, bpc, i;
	u64 sum = 0;
	bool ok = false;

	if (!WANT(kp_free(fx->fd, id, 150, fx->h + 200, NULL, NULL), 0))
		return FAIL;
	/* nr_chunks 0: only the counts */
	in.pool_id = id;
	if (!WANT(kp_ioctl(fx->fd, KPOOL_IOC_INFO, &in), 0))
		goto out;
	if (!stats_of(fx->fd, id, &st))
		goto out;
	ok = CHECK_EQ(in.nr_chunks, st.chunks);
	ok &= CHECK_EQ(in.blocks_per_chunk, st.blocks_per_chunk);
	ok &= CHECK(in.nr_chunks >= 2);
	if (!WANT(kp_info(fx->fd, id, &map, &nr, &bpc), 0))
		goto out;
	ok &= CHECK_EQ(nr, st.chunks);
	for (i = 0; i < nr; i++) {
		ok &= CHECK(map[i] <= bpc);
		sum += map[i];
	}
	ok &= CHECK_EQ(sum, 450);
	ok &= CHECK_EQ(sum, st.blocks_in_use);
out:
	free(map);
	return verdict(ok);
}

static enum result t_info_capacity(struct fx *fx)
{
	struct kpool_ioc_info in = { .size = sizeof(in) };
	u32 map[3];
	bool ok;

	map[1] = 0xcccccccc;
	map[2] = 0xcccccccc;
	in.pool_id = fx->pool;
	in.nr_chunks = 1;
	in.map = (uintptr_t)map;
	if (!WANT(kp_ioctl(fx->fd, KPOOL_IOC_INFO, &in), 0))
		return FAIL;
	ok = CHECK(in.nr_chunks >= 2);
	ok &= CHECK(map[0] <= in.blocks_per_chunk);
	ok &= CHECK_EQ(map[1], 0xcccccccc);
	/* bad map pointers, when something is to be written */
	ok &= efault_each_bad_out(fx, KPOOL_IOC_INFO, &in, &in.nr_chunks, 2,
				  &in.map, 2 * sizeof(*map), __LINE__);
	/* a huge capacity is only a capacity */
	in.nr_chunks = UINT32_MAX;
	in.map = (uintptr_t)fx->edge;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_INFO, &in), 0);
	return verdict(ok);
}

/* ---- FAULT ------------------------------------------------------------------------ */

/*
 * With growth failing, single allocations succeed only from the blocks the
 * pool already has: at most blocks_total of them, then -ENOMEM. Returns
 * the number that succeeded, or -1 if none failed.
 */
static long alloc_until_enomem(struct fx *fx, u32 id, u32 *h,
			       u32 max)
{
	struct kpool_ioc_stats st;
	u32 n;
	int ret = 0;

	if (!stats_of(fx->fd, id, &st))
		return -1;
	for (n = 0; n < max; n++) {
		ret = kp_alloc(fx->fd, id, 1, &h[n]);
		if (ret)
			break;
	}
	if (!WANT(ret, -ENOMEM))
		return -1;
	if (!CHECK(n <= st.blocks_total - st.blocks_in_use))
		return -1;
	return n;
}

static enum result t_fault_every(struct fx *fx)
{
	struct kpool_ioc_stats st;
	u32 id = fx->pool, h[256];
	bool ok = true;

	ok &= WANT(kp_fault(fx->fd, id, 1, 0), 0);
	ok &= alloc_until_enomem(fx, id, h, ARRAY_SIZE(h)) >= 0;
	ok &= stats_of(fx->fd, id, &st);
	ok &= CHECK(st.faults_injected >= 1);
	ok &= CHECK(st.alloc_failures >= 1);
	ok &= WANT(kp_fault(fx->fd, id, 0, 0), 0);
	ok &= WANT(kp_alloc(fx->fd, id, 4, h), 0);
	ok &= CHECK_EQ(in_use(fx->fd, id), 4);
	return verdict(ok);
}

static enum result t_fault_probability(struct fx *fx)
{
	struct kpool_ioc_fault f = { .size = sizeof(f) };
	u32 id = fx->pool, h[64];
	bool ok = true;

	f.pool_id = id;
	f.probability_ppm = 1000001;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_FAULT, &f), -EINVAL);
	f.probability_ppm = UINT32_MAX;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_FAULT, &f), -EINVAL);
	ok &= WANT(kp_fault(fx->fd, id, 0, 1000000), 0);
	ok &= alloc_until_enomem(fx, id, h, ARRAY_SIZE(h)) >= 0;
	ok &= WANT(kp_fault(fx->fd, id, 0, 0), 0);
	ok &= WANT(kp_alloc(fx->fd, id, 1, h), 0);
	return verdict(ok);
}

/* The reserve serves min_blocks allocations while every growth fails. */
static enum result t_fault_reserve(struct fx *fx)
{
	u32 id = fx->pool, h[64];
	bool ok = true;

	ok &= WANT(kp_fault(fx->fd, id, 1, 0), 0);
	ok &= CHECK(alloc_until_enomem(fx, id, h, ARRAY_SIZE(h)) >= 6);
	/* a free refills the reserve: the next allocation succeeds */
	ok &= WANT(kp_free(fx->fd, id, 1, &h[0], NULL, NULL), 0);
	ok &= WANT(kp_alloc(fx->fd, id, 1, &h[0]), 0);
	return verdict(ok);
}

/*
 * kpool's fail_grow_every parameter fails the growth of every pool, with
 * no FAULT setting and on kernels without CONFIG_FAULT_INJECTION; the pool
 * works again, with its data, when it is 0.
 */
static enum result t_fault_module_param(struct fx *fx)
{
	unsigned char data[1024], back[1024];
	struct kpool_ioc_stats st;
	u32 id = fx->pool, h[256];
	long got;
	bool ok;

	got = alloc_until_enomem(fx, id, h, ARRAY_SIZE(h));
	ok = CHECK(param_restore(fx));
	if (got < 0)
		return FAIL;
	ok &= stats_of(fx->fd, id, &st);
	ok &= CHECK(st.faults_injected >= 1);
	ok &= CHECK_EQ(st.grow_failures, st.faults_injected);
	ok &= CHECK_EQ(st.blocks_in_use, (u64)got);
	/* the pool is intact: it grows again and keeps what is written */
	pattern(data, sizeof(data), id);
	ok &= WANT(kp_alloc(fx->fd, id, 8, h), 0);
	ok &= WANT(kp_write(fx->fd, id, h[7], 0, data, sizeof(data)), 0);
	ok &= WANT(kp_read(fx->fd, id, h[7], 0, back, sizeof(back)), 0);
	ok &= CHECK(!memcmp(data, back, sizeof(data)));
	ok &= CHECK_EQ(in_use(fx->fd, id), (u64)got + 8);
	return verdict(ok);
}

/* ---- hardening ------------------------------------------------------------------------ */

/*
 * Handles are published only once they all reached user space: an ALLOC
 * whose copy-out faults after the first handle was written leaves that
 * handle unknown to the file.
 */
static enum result t_hardening_alloc_unpublished(struct fx *fx)
{
	u32 *half = (u32 *)(fx->edge + fx->page - sizeof(u32));
	unsigned char byte;
	u32 id = fx->pool, h[3], leaked;
	bool ok = true;

	ok &= WANT(kp_alloc(fx->fd, id, 1, h), 0);
	*half = 0;
	/* the first handle lands before the unmapped page, the second faults */
	ok &= WANT(kp_alloc(fx->fd, id, 2, half), -EFAULT);
	leaked = *half;
	ok &= CHECK_EQ(in_use(fx->fd, id), 1);
	if (leaked) {
		ok &= WANT(kp_read(fx->fd, id, leaked, 0, &byte, 1), -ENOENT);
		ok &= WANT(kp_free(fx->fd, id, 1, &leaked, NULL, NULL), -ENOENT);
	} else {
		ktap_diag("the kernel wrote no handle before the fault");
	}
	ok &= WANT(kp_alloc(fx->fd, id, 2, h + 1), 0);
	ok &= handles_sane(h, 3);
	ok &= CHECK_EQ(in_use(fx->fd, id), 3);
	return verdict(ok);
}

#define FRESH_BLOCK	4000

/* A fresh pool hands out zeroed blocks: every block of its first chunks. */
static enum result t_hardening_fresh_zero(struct fx *fx)
{
	struct kpool_ioc_stats st;
	unsigned char buf[FRESH_BLOCK];
	u32 id = fx->pool, h[64], n, i;
	bool ok;

	ok = stats_of(fx->fd, id, &st);
	n = st.blocks_per_chunk * 2 < 64 ? (u32)st.blocks_per_chunk * 2 : 64;
	ok &= WANT(kp_alloc(fx->fd, id, n, h), 0);
	for (i = 0; ok && i < n; i++) {
		ok &= WANT(kp_read(fx->fd, id, h[i], 0, buf, sizeof(buf)), 0);
		if (ok && !all_bytes(buf, sizeof(buf), 0)) {
			ktap_diag("handle %u of a fresh pool is not zeroed", h[i]);
			ok = false;
		}
	}
	return verdict(ok);
}

/*
 * In a child: open a file, drop CAP_SYS_ADMIN, open another. Exit status
 * 0 when STATS of kernel pool @pool works through the first (its opener
 * had the capability) and is refused through the second; 1, 2 when not;
 * 3 when the setup failed.
 */
static int opener_creds_child(u32 pool)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct caps[2];
	struct kpool_ioc_stats st;
	int before = kp_open(NULL), after;

	if (before < 0 || syscall(SYS_capget, &hdr, caps))
		return 3;
	caps[0].effective &= ~(1U << CAP_SYS_ADMIN_BIT);
	caps[0].permitted &= ~(1U << CAP_SYS_ADMIN_BIT);
	if (syscall(SYS_capset, &hdr, caps))
		return 3;
	after = kp_open(NULL);
	if (after < 0)
		return 3;
	if (kp_stats(before, pool, &st))
		return 1;
	return kp_stats(after, pool, &st) == -EPERM ? 0 : 2;
}

/* Capabilities are checked against the file's opener, not the caller. */
static enum result t_hardening_opener_creds(struct fx *fx)
{
	static const char *const what[] = {
		[1] = "the opener's CAP_SYS_ADMIN was not honoured",
		[2] = "a file opened without CAP_SYS_ADMIN read a kernel pool",
		[3] = "setup (open, capget, capset) failed",
	};
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return FAIL;
	if (!pid)
		_exit(opener_creds_child(fx->kernel_pool));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return FAIL;
	status = WEXITSTATUS(status);
	if (status && status < (int)ARRAY_SIZE(what))
		ktap_diag("%s", what[status]);
	return verdict(!status);
}

/* The largest reserve user space can ask for is refused, and leaves nothing. */
static enum result t_hardening_huge_reserve(struct fx *fx)
{
	struct kpool_ioc_create c;

	create_defaults(fx, &c);
	c.block_size = 256 * 1024;
	c.min_blocks = UINT32_MAX;
	return verdict(create_fails(fx, &c, -ENOMEM, __LINE__));
}

#define TOTAL_CAP_RESERVE	(1024 * 1024)

/*
 * With max_bytes_total at 1.5 times TOTAL_CAP_RESERVE, reserves of two
 * files that fit only one at a time.
 */
static enum result t_hardening_total_cap(struct fx *fx)
{
	const u64 reserve = TOTAL_CAP_RESERVE;
	struct kpool_ioc_create c;
	bool ok = true;
	u32 id;

	create_defaults(fx, &c);
	c.block_size = 4096;
	c.min_blocks = (u32)(reserve / 4096);
	ok &= WANT(kp_create(fx->fd, &c), 0);
	id = c.pool_id;
	unique_name(fx, c.name);
	ok &= create_fails(fx, &c, -ENOMEM, __LINE__);
	/* the charge goes with the pool */
	ok &= WANT(kp_destroy(fx->fd, id), 0);
	ok &= WANT(kp_create(fx->fd2, &c), 0);
	kp_destroy(fx->fd2, c.pool_id);
	return verdict(ok);
}

/* ---- sets ----------------------------------------------------------------------------- */

/* A set's statistics and class table; false (with a diagnostic) on error. */
static bool set_info_of(int fd, u32 id, struct kpool_ioc_set_info *in,
			struct kpool_ioc_set_class **cl)
{
	int ret = kp_set_info(fd, id, in, cl);

	if (ret)
		ktap_diag("SET_INFO of set %u: %s", id, kp_errname(ret));
	return !ret;
}

/* The smallest class of @cl[0..@n) of at least @bytes; 0 if none. */
static u64 class_for(const struct kpool_ioc_set_class *cl, u32 n, u64 bytes)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (cl[i].block_size >= bytes)
			return cl[i].block_size;
	return 0;
}

/* Free every handle of @h through SET_FREE and destroy the set. */
static bool set_drop(int fd, u32 id, const u32 *h, u32 n)
{
	bool ok = true;

	if (n)
		ok &= WANT(kp_set_free(fd, id, n, h, NULL, NULL), 0);
	ok &= WANT(kp_set_destroy(fd, id), 0);
	return ok;
}

/*
 * The class table: ascending multiples of align from the first to the
 * last class, each a class pool listed with its size, and spaced so that
 * a block wastes less than align bytes, or less than 1 / (spacing + 1) of
 * itself (kpool_set.h).
 */
static enum result t_set_classes(struct fx *fx)
{
	struct kpool_ioc_set_create c = { .min_size = 1, .max_size = 4096 };
	struct kpool_ioc_pool_entry e;
	struct kpool_ioc_set_class *cl;
	struct kpool_ioc_set_info in;
	char want[KPOOL_IOC_NAME_LEN + 16], got[KPOOL_IOC_NAME_LEN + 1];
	u64 waste;
	bool ok = true;
	u32 i;

	unique_name(fx, c.name);
	c.set_id = 12345;	/* output only */
	if (!WANT(kp_set_create(fx->fd, &c), 0))
		return FAIL;
	if (!set_info_of(fx->fd, c.set_id, &in, &cl)) {
		kp_set_destroy(fx->fd, c.set_id);
		return FAIL;
	}
	ok &= CHECK(!strncmp(in.name, c.name, sizeof(in.name)));
	ok &= CHECK_EQ(in.align, 8);
	ok &= CHECK_EQ(in.classes_per_doubling, 8);
	ok &= CHECK_EQ(in.min_size, 8);
	ok &= CHECK_EQ(in.max_size, 4096);
	ok &= CHECK(in.flags & KPOOL_IOC_F_ZERO);
	ok &= CHECK(in.nr_classes > 1 && in.nr_classes <= KPOOL_IOC_SET_MAX_CLASSES);
	ok &= CHECK_EQ(cl[0].block_size, in.min_size);
	ok &= CHECK_EQ(cl[in.nr_classes - 1].block_size, in.max_size);
	for (i = 0; ok && i < in.nr_classes; i++) {
		ok &= CHECK_EQ(cl[i].block_size % in.align, 0);
		ok &= CHECK(list_entry(fx->fd, cl[i].pool_id, &e));
		ok &= CHECK_EQ(e.block_size, cl[i].block_size);
		ok &= CHECK_EQ(e.owner, KPOOL_OWNER_SELF);
		ok &= CHECK(e.flags & KPOOL_ENTRY_F_CLASS);
		snprintf(want, sizeof(want), "%s-%llu", c.name, cl[i].block_size);
		kp_name(got, e.name);
		ok &= CHECK(!strcmp(got, want));
		if (!i)
			continue;
		ok &= CHECK(cl[i].block_size > cl[i - 1].block_size);
		/* the worst request of the class: one byte above the last */
		waste = cl[i].block_size - cl[i - 1].block_size - 1;
		ok &= CHECK(waste < in.align ||
			    waste * (in.classes_per_doubling + 1) < cl[i].block_size);
	}
	if (!ok)
		ktap_diag("%u classes, class %u failed", in.nr_classes, i - 1);
	free(cl);
	ok &= WANT(kp_set_destroy(fx->fd, c.set_id), 0);
	return verdict(ok);
}

/* One SET_CREATE that must fail; a NULL name is a fresh unique one. */
struct set_create_case {
	u64 min_size, max_size, align;
	u32 classes_per_doubling, min_blocks, max_blocks, flags;
	const char *name;
	int err;
};

static const struct set_create_case bad_set_creates[] = {
	{ 1, 256, 0, 0, 0, 0, 1U << 7, NULL, -EINVAL },
	{ 1, 256, 0, 0, 0, 0, KPOOL_IOC_F_NO_SHRINK, NULL, -EINVAL },
	{ 0, 256, 0, 0, 0, 0, 0, NULL, -EINVAL },
	{ 300, 256, 0, 0, 0, 0, 0, NULL, -EINVAL },
	{ 1, KPOOL_IOC_SET_MAX_SIZE + 1, 0, 0, 0, 0, 0, NULL, -EINVAL },
	{ 1, UINT64_MAX, 0, 0, 0, 0, 0, NULL, -EINVAL },
	{ UINT64_MAX, UINT64_MAX, 0, 0, 0, 0, 0, NULL, -EINVAL },
	{ 1, 256, 12, 0, 0, 0, 0, NULL, -EINVAL },
	{ 1, 256, 4, 0, 0, 0, 0, NULL, -EINVAL },
	{ 1, 256, 1ULL << 40, 0, 0, 0, 0, NULL, -EINVAL },
	{ 1, 256, 0, 3, 0, 0, 0, NULL, -EINVAL },
	{ 1, 256, 0, 32, 0, 0, 0, NULL, -EINVAL },
	{ 1, 256, 0, 0, 4, 2, 0, NULL, -EINVAL },
	/* 16 classes per doubling from 8 to 64K: more than the most classes */
	{ 8, 65536, 0, 16, 0, 0, 0, NULL, -E2BIG },
	{ 1, 256, 0, 0, 0, 0, 0, "", -EINVAL },
	{ 1, 256, 0, 0, 0, 0, 0, "a b", -EINVAL },
	{ 1, 256, 0, 0, 0, 0, 0, ".dot", -EINVAL },
	{ 1, 256, 0, 0, 0, 0, 0, "aaaaaaaaaaaaaaaaaaaaaaaa", -EINVAL },
};

static bool set_create_fails(struct fx *fx, const struct set_create_case *t)
{
	struct kpool_ioc_set_create c = {
		.min_size = t->min_size,
		.max_size = t->max_size,
		.align = t->align,
		.classes_per_doubling = t->classes_per_doubling,
		.min_blocks = t->min_blocks,
		.max_blocks = t->max_blocks,
		.flags = t->flags,
	};
	int ret;

	if (t->name)
		snprintf(c.name, sizeof(c.name), "%s", t->name);
	else
		unique_name(fx, c.name);
	ret = kp_set_create(fx->fd, &c);
	if (!ret)
		kp_set_destroy(fx->fd, c.set_id);
	if (ret == t->err)
		return true;
	ktap_diag("SET_CREATE '%s' %llu..%llu align %llu spacing %u flags %#x: %s, expected %s",
		  c.name, t->min_size, t->max_size, t->align,
		  t->classes_per_doubling, t->flags, kp_errname(ret),
		  kp_errname(t->err));
	return false;
}

static enum result t_set_create_bad(struct fx *fx)
{
	struct kpool_ioc_set_create c = { .min_size = 1, .max_size = 256 };
	bool ok = true;
	size_t i;
	u32 id;

	for (i = 0; i < ARRAY_SIZE(bad_set_creates); i++)
		ok &= set_create_fails(fx, &bad_set_creates[i]);
	/* no NUL in the whole field */
	memset(c.name, 'a', sizeof(c.name));
	ok &= WANT(kp_set_create(fx->fd, &c), -EINVAL);
	/* the name of a live set of the file; another file has its own names */
	if (!set_new(fx, fx->fd, &id))
		return FAIL;
	snprintf(c.name, sizeof(c.name), "kc%d-%u", (int)getpid(), fx->seq);
	ok &= WANT(kp_set_create(fx->fd, &c), -EEXIST);
	ok &= WANT(kp_set_create(fx->fd2, &c), 0);
	ok &= WANT(kp_set_destroy(fx->fd2, c.set_id), 0);
	ok &= WANT(kp_set_destroy(fx->fd, id), 0);
	return verdict(ok);
}

/* max_sets_per_fd sets per file, -ENOSPC after; other files unaffected. */
static enum result t_set_limit(struct fx *fx)
{
	struct kpool_ioc_set_create c = { .min_size = 1, .max_size = 64 };
	u32 *ids, id, n = 0;
	u64 max;
	bool ok = true;

	if (!read_param("max_sets_per_fd", &max) || max > 256)
		return skip(fx, "max_sets_per_fd not readable or above 256");
	ids = calloc(max + 1, sizeof(*ids));
	if (!ids)
		return FAIL;
	/* two classes each: the class pools stay within max_pools_per_fd */
	while (n < max && set_new_sized(fx, fx->fd, 16, &ids[n]))
		n++;
	ok &= CHECK_EQ(n, max);
	unique_name(fx, c.name);
	ok &= WANT(kp_set_create(fx->fd, &c), -ENOSPC);
	/* pools are counted apart, and another file has its own count */
	ok &= CHECK(pool_new(fx, fx->fd, 64, &id) && !kp_destroy(fx->fd, id));
	ok &= CHECK(set_new(fx, fx->fd2, &id) && !kp_set_destroy(fx->fd2, id));
	while (n)
		ok &= WANT(kp_set_destroy(fx->fd, ids[--n]), 0);
	ok &= WANT(kp_set_create(fx->fd, &c), 0);
	ok &= WANT(kp_set_destroy(fx->fd, c.set_id), 0);
	free(ids);
	return verdict(ok);
}

/*
 * With max_bytes_per_fd lowered to 4 MiB (room for the metadata of a set's
 * 56 class pools, debugfs entries included, on a kernel with fault
 * injection's debugfs files): a set whose reserves pass it and an
 * allocation that passes it fail with -ENOMEM and leave nothing behind.
 */
#define SET_BYTE_CAP	(4 << 20)

static enum result t_set_byte_limit(struct fx *fx)
{
	struct kpool_ioc_set_create c = { .min_size = 1, .max_size = 4096 };
	char last_class[KPOOL_IOC_NAME_LEN + 8];
	struct kpool_ioc_set_class *cl;
	struct kpool_ioc_set_info in;
	u32 h[SET_BYTE_CAP / 4096], id;
	bool ok = true;

	/* the 4096-byte class alone reserves the cap, the others more */
	unique_name(fx, c.name);
	c.min_blocks = SET_BYTE_CAP / 4096;
	ok &= WANT(kp_set_create(fx->fd, &c), -ENOMEM);
	ok &= CHECK(kp_find_set(fx->fd, c.name, &id) == -ENOENT);
	snprintf(last_class, sizeof(last_class), "%s-4096", c.name);
	ok &= CHECK(!name_listed(fx->fd, last_class));
	if (set_new(fx, fx->fd, &id)) {
		ok &= WANT(kp_set_alloc(fx->fd, id, 4000, ARRAY_SIZE(h), h, NULL), -ENOMEM);
		/* the set's tables and class pools are charged too */
		ok &= WANT(kp_set_alloc(fx->fd, id, 4000, 150, h, NULL), 0);
		if (set_info_of(fx->fd, id, &in, &cl)) {
			ok &= CHECK_EQ(in.blocks_in_use, 150);
			ok &= CHECK_EQ(in.bytes_in_use, 150 * 4096);
			ok &= CHECK(in.charged_bytes >= in.pages * fx->page + in.meta_bytes);
			ok &= CHECK(in.charged_bytes <= SET_BYTE_CAP);
			free(cl);
		} else {
			ok = false;
		}
		ok &= set_drop(fx->fd, id, h, 150);
	} else {
		ok = false;
	}
	return verdict(ok);
}

/*
 * Blocks of every size the set serves come from the smallest class that
 * fits, hold a whole block's data, and are counted: requested and block
 * bytes, so the fragmentation figure is the one the sizes asked give.
 */
static enum result t_set_alloc_sizes(struct fx *fx)
{
	static const u64 sizes[] = { 1, 8, 9, 63, 64, 65, 100, 129, 1000, 2049, 4095, 4096 };
	unsigned char data[4096], back[4096];
	struct kpool_ioc_set_class *cl;
	struct kpool_ioc_set_info in;
	u64 bs, want_bs, requested = 0, blocks = 0;
	u32 h[ARRAY_SIZE(sizes) * 3], id, i, n = 0;
	bool ok = true;

	if (!set_new(fx, fx->fd, &id))
		return FAIL;
	if (!set_info_of(fx->fd, id, &in, &cl)) {
		kp_set_destroy(fx->fd, id);
		return FAIL;
	}
	for (i = 0; ok && i < ARRAY_SIZE(sizes); i++) {
		want_bs = class_for(cl, in.nr_classes, sizes[i]);
		ok &= WANT(kp_set_alloc(fx->fd, id, sizes[i], 3, h + n, &bs), 0);
		ok &= CHECK_EQ(bs, want_bs);
		pattern(data, bs, h[n]);
		ok &= WANT(kp_set_write(fx->fd, id, h[n], 0, data, bs), 0);
		ok &= WANT(kp_set_read(fx->fd, id, h[n], 0, back, bs), 0);
		ok &= CHECK(!memcmp(data, back, bs));
		/* the next block reads as zeros: blocks are zeroed */
		ok &= WANT(kp_set_read(fx->fd, id, h[n + 1], 0, back, bs), 0);
		ok &= CHECK(all_bytes(back, bs, 0));
		ok &= WANT(kp_set_write(fx->fd, id, h[n], bs, data, 1), -EINVAL);
		ok &= WANT(kp_set_read(fx->fd, id, h[n], 1, back, bs), -EINVAL);
		requested += 3 * sizes[i];
		blocks += 3 * bs;
		n += 3;
	}
	free(cl);
	if (!ok || !set_info_of(fx->fd, id, &in, &cl)) {
		set_drop(fx->fd, id, h, n);
		return FAIL;
	}
	ok &= CHECK_EQ(in.allocs, n);
	ok &= CHECK_EQ(in.blocks_in_use, n);
	ok &= CHECK_EQ(in.requested_bytes, requested);
	ok &= CHECK_EQ(in.block_bytes, blocks);
	ok &= CHECK_EQ(in.bytes_in_use, blocks);
	/* per class: the same sums; waste of each block within the bound */
	for (i = 0, requested = blocks = 0; i < in.nr_classes; i++) {
		requested += cl[i].requested_bytes;
		blocks += cl[i].allocs * cl[i].block_size;
		ok &= CHECK(cl[i].requested_bytes <= cl[i].allocs * cl[i].block_size);
		ok &= CHECK_EQ(cl[i].blocks_in_use, cl[i].allocs);
	}
	ok &= CHECK_EQ(requested, in.requested_bytes);
	ok &= CHECK_EQ(blocks, in.block_bytes);
	ktap_diag("fragmentation %.2f%% (%llu bytes asked for, %llu handed out)",
		  100.0 * (1.0 - (double)in.requested_bytes / (double)in.block_bytes),
		  in.requested_bytes, in.block_bytes);
	free(cl);
	ok &= set_drop(fx->fd, id, h, n);
	return verdict(ok);
}

static enum result t_set_alloc_bad(struct fx *fx)
{
	struct kpool_ioc_set_alloc a = { .size = sizeof(a), .bytes = 64, .count = 1 };
	struct kpool_ioc_set_info in;
	struct kpool_ioc_set_class *cl;
	u32 id, *h;
	bool ok;

	h = calloc(KPOOL_IOC_MAX_BATCH + 1, sizeof(*h));
	if (!h || !set_new(fx, fx->fd, &id)) {
		free(h);
		return FAIL;
	}
	a.set_id = id;
	a.handles = (uintptr_t)h;
	/* bad counts, sizes and flags: field_cases[]; bad handles pointers */
	ok = efault_each_bad_out(fx, KPOOL_IOC_SET_ALLOC, &a, &a.count, 8,
				 &a.handles, 8 * sizeof(u32), __LINE__);
	ok &= WANT(kp_set_alloc(fx->fd, NO_SUCH_POOL, 64, 1, h, NULL), -ENOENT);
	ok &= WANT(kp_set_alloc(fx->fd, 0, 64, 1, h, NULL), -ENOENT);
	/* the failed calls gave back what they took (EFAULT after allocating) */
	if (set_info_of(fx->fd, id, &in, &cl)) {
		ok &= CHECK_EQ(in.blocks_in_use, 0);
		ok &= CHECK_EQ(in.allocs, in.frees);
		free(cl);
	} else {
		ok = false;
	}
	/* the largest batch, all or nothing */
	ok &= WANT(kp_set_alloc(fx->fd, id, 4096, KPOOL_IOC_MAX_BATCH, h, NULL), 0);
	ok &= CHECK(handles_sane(h, KPOOL_IOC_MAX_BATCH));
	ok &= set_drop(fx->fd, id, h, KPOOL_IOC_MAX_BATCH);
	free(h);
	return verdict(ok);
}

/*
 * SET_FREE: a double free and a freed handle -> ENOENT, handles of a pool
 * or another set -> EINVAL (and FREE of a set's handle -> EINVAL), another
 * file's -> ENOENT; the good ones of a mixed batch are freed.
 */
static enum result t_set_free_handles(struct fx *fx)
{
	struct kpool_ioc_free f = { .size = sizeof(f), .count = 1 };
	u32 a, b, pool, other, ha[4], hb, hp, ho, mixed[6];
	s32 status[6];
	u32 freed = 0;
	bool ok = false;

	if (!set_new(fx, fx->fd, &a) || !set_new(fx, fx->fd, &b) ||
	    !pool_new(fx, fx->fd, 64, &pool) || !set_new(fx, fx->fd2, &other))
		return FAIL;
	if (!WANT(kp_set_alloc(fx->fd, a, 50, 4, ha, NULL), 0) ||
	    !WANT(kp_set_alloc(fx->fd, b, 50, 1, &hb, NULL), 0) ||
	    !WANT(kp_alloc(fx->fd, pool, 1, &hp), 0) ||
	    !WANT(kp_set_alloc(fx->fd2, other, 50, 1, &ho, NULL), 0))
		goto out;
	ok = WANT(kp_set_free(fx->fd, a, 1, &hb, NULL, NULL), -EINVAL);
	ok &= WANT(kp_set_free(fx->fd, a, 1, &hp, NULL, NULL), -EINVAL);
	ok &= WANT(kp_free(fx->fd, pool, 1, &ha[0], NULL, NULL), -EINVAL);
	ok &= WANT(kp_set_free(fx->fd, a, 1, &ho, NULL, NULL), -ENOENT);
	ok &= WANT(kp_set_free(fx->fd2, other, 1, &ha[0], NULL, NULL), -ENOENT);
	/* flags, pad and counts: field_cases[] */
	f.pool_id = a;
	f.handles = (uintptr_t)ha;
	f.status = (uintptr_t)fx->none;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_FREE, &f), -EFAULT);
	f.status = 0;
	f.handles = (uintptr_t)fx->none;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_FREE, &f), -EFAULT);
	/* nothing was freed by any of that */
	ok &= WANT(kp_set_write(fx->fd, a, ha[0], 0, "x", 1), 0);
	ok &= WANT(kp_set_write(fx->fd, b, hb, 0, "x", 1), 0);
	ok &= WANT(kp_write(fx->fd, pool, hp, 0, "x", 1), 0);
	/* a mixed batch: good, other set, good, pool, unknown, good */
	mixed[0] = ha[0];
	mixed[1] = hb;
	mixed[2] = ha[1];
	mixed[3] = hp;
	mixed[4] = 0x7ffffff0;
	mixed[5] = ha[2];
	ok &= WANT(kp_set_free(fx->fd, a, 6, mixed, status, &freed), -EINVAL);
	ok &= CHECK_EQ(freed, 3);
	ok &= CHECK(!status[0] && !status[2] && !status[5]);
	ok &= CHECK(status[1] == -EINVAL && status[3] == -EINVAL && status[4] == -ENOENT);
	/* double free */
	ok &= WANT(kp_set_free(fx->fd, a, 1, &ha[0], NULL, NULL), -ENOENT);
	ok &= WANT(kp_set_write(fx->fd, a, ha[0], 0, "x", 1), -ENOENT);
	ok &= WANT(kp_set_free(fx->fd, a, 1, &ha[3], NULL, NULL), 0);
	ok &= WANT(kp_set_free(fx->fd, a, 1, &ha[3], NULL, NULL), -ENOENT);
	ok &= WANT(kp_set_free(fx->fd, b, 1, &hb, NULL, NULL), 0);
	ok &= WANT(kp_free(fx->fd, pool, 1, &hp, NULL, NULL), 0);
	ok &= WANT(kp_set_free(fx->fd2, other, 1, &ho, NULL, NULL), 0);
out:
	kp_set_destroy(fx->fd, a);
	kp_set_destroy(fx->fd, b);
	kp_destroy(fx->fd, pool);
	kp_set_destroy(fx->fd2, other);
	return verdict(ok);
}

/* READ/WRITE flags: KPOOL_IOC_RW_F_SET names a set; other bits -> EINVAL. */
static enum result t_set_rw_flags(struct fx *fx)
{
	unsigned char buf[8] = "1234567";
	struct kpool_ioc_rw rw = { .size = sizeof(rw), .len = 4 };
	u32 set, pool, hs, hp;
	bool ok = false;

	if (!set_new(fx, fx->fd, &set) || !pool_new(fx, fx->fd, 64, &pool))
		return FAIL;
	if (!WANT(kp_set_alloc(fx->fd, set, 16, 1, &hs, NULL), 0) ||
	    !WANT(kp_alloc(fx->fd, pool, 1, &hp), 0))
		goto out;
	rw.buf = (uintptr_t)buf;
	rw.pool_id = set;
	rw.handle = hs;
	rw.flags = KPOOL_IOC_RW_F_SET | 2;
	ok = WANT(kp_ioctl(fx->fd, KPOOL_IOC_WRITE, &rw), -EINVAL);
	rw.flags = 1U << 31;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_READ, &rw), -EINVAL);
	rw.flags = KPOOL_IOC_RW_F_SET;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_WRITE, &rw), 0);
	/* a set's handle through its pool-less path, a pool's through a set */
	ok &= WANT(kp_write(fx->fd, pool, hs, 0, buf, 4), -EINVAL);
	ok &= WANT(kp_set_write(fx->fd, set, hp, 0, buf, 4), -EINVAL);
	ok &= WANT(kp_set_read(fx->fd, NO_SUCH_POOL, hs, 0, buf, 4), -ENOENT);
	/* the block is 16 bytes: its class */
	ok &= WANT(kp_set_read(fx->fd, set, hs, 12, buf, 4), 0);
	ok &= WANT(kp_set_read(fx->fd, set, hs, 13, buf, 4), -EINVAL);
	ok &= WANT(kp_set_read(fx->fd, set, hs, UINT64_MAX, buf, 2), -EINVAL);
	ok &= WANT(kp_set_read(fx->fd, set, hs, 0, fx->none, 4), -EFAULT);
	ok &= WANT(kp_set_free(fx->fd, set, 1, &hs, NULL, NULL), 0);
	ok &= WANT(kp_free(fx->fd, pool, 1, &hp, NULL, NULL), 0);
out:
	kp_set_destroy(fx->fd, set);
	kp_destroy(fx->fd, pool);
	return verdict(ok);
}

/* SET_DESTROY with blocks out -> EBUSY, the set intact; then it goes. */
static enum result t_set_destroy_busy(struct fx *fx)
{
	unsigned char back[4];
	struct kpool_ioc_set_class *cl;
	struct kpool_ioc_set_info in;
	u32 id, h[2], pool_id = 0;
	bool ok;

	if (!set_new(fx, fx->fd, &id))
		return FAIL;
	ok = WANT(kp_set_alloc(fx->fd, id, 2000, 2, h, NULL), 0);
	ok &= WANT(kp_set_write(fx->fd, id, h[1], 0, "data", 4), 0);
	ok &= WANT(kp_set_destroy(fx->fd, id), -EBUSY);
	ok &= WANT(kp_set_destroy(fx->fd, id), -EBUSY);
	ok &= WANT(kp_set_read(fx->fd, id, h[1], 0, back, 4), 0);
	ok &= CHECK(!memcmp(back, "data", 4));
	ok &= set_info_of(fx->fd, id, &in, &cl);
	if (ok) {
		ok &= CHECK_EQ(in.blocks_in_use, 2);
		pool_id = cl[in.nr_classes - 1].pool_id;
		free(cl);
	}
	ok &= WANT(kp_set_free(fx->fd, id, 1, h, NULL, NULL), 0);
	ok &= WANT(kp_set_destroy(fx->fd, id), -EBUSY);
	ok &= WANT(kp_set_free(fx->fd, id, 1, h + 1, NULL, NULL), 0);
	ok &= WANT(kp_set_destroy(fx->fd, id), 0);
	ok &= WANT(kp_set_destroy(fx->fd, id), -ENOENT);
	ok &= WANT(kp_set_info(fx->fd, id, &in, &cl), -ENOENT);
	ok &= WANT(kp_set_alloc(fx->fd, id, 1, 1, h, NULL), -ENOENT);
	ok &= CHECK(pool_id && !pool_listed(fx->fd, pool_id));
	return verdict(ok);
}

/*
 * Another file's set: every SET_* command and READ/WRITE -> EPERM; the
 * class pools of a set, even this file's, only through the set.
 */
static enum result t_set_other_file(struct fx *fx)
{
	struct kpool_ioc_set_class *cl;
	struct kpool_ioc_set_info in;
	unsigned char buf[4] = { 0 };
	u32 id, mine, h, hm, pool;
	bool ok = false;

	if (!set_new(fx, fx->fd2, &id) || !set_new(fx, fx->fd, &mine))
		return FAIL;
	if (!WANT(kp_set_alloc(fx->fd2, id, 10, 1, &h, NULL), 0) ||
	    !WANT(kp_set_alloc(fx->fd, mine, 10, 1, &hm, NULL), 0) ||
	    !set_info_of(fx->fd, mine, &in, &cl))
		goto out;
	pool = cl[1].pool_id;	/* the class of 16-byte blocks */
	free(cl);
	ok = WANT(kp_set_alloc(fx->fd, id, 10, 1, &h, NULL), -EPERM);
	ok &= WANT(kp_set_free(fx->fd, id, 1, &h, NULL, NULL), -EPERM);
	ok &= WANT(kp_set_write(fx->fd, id, h, 0, buf, 4), -EPERM);
	ok &= WANT(kp_set_read(fx->fd, id, h, 0, buf, 4), -EPERM);
	ok &= WANT(kp_set_info(fx->fd, id, &in, &cl), -EPERM);
	ok &= WANT(kp_set_destroy(fx->fd, id), -EPERM);
	ok &= every_pool_command(fx->fd, pool, hm, -EPERM, false, 0);
	ok &= every_pool_command(fx->fd2, pool, hm, -EPERM, false, 0);
	ok &= WANT(kp_set_read(fx->fd2, id, h, 0, buf, 4), 0);
	ok &= WANT(kp_set_read(fx->fd, mine, hm, 0, buf, 4), 0);
	ok &= WANT(kp_set_free(fx->fd2, id, 1, &h, NULL, NULL), 0);
	ok &= WANT(kp_set_free(fx->fd, mine, 1, &hm, NULL, NULL), 0);
out:
	kp_set_destroy(fx->fd2, id);
	kp_set_destroy(fx->fd, mine);
	return verdict(ok);
}

/* close() with blocks of several classes out frees and destroys it all. */
static enum result t_set_close_frees(struct fx *fx)
{
	struct kpool_ioc_set_class *cl;
	struct kpool_ioc_set_info in;
	u32 id, h[64], *pools = NULL, nr = 0, i;
	int fd = kp_open(NULL);
	bool ok = fd >= 0;

	if (!ok || !set_new(fx, fd, &id)) {
		if (fd >= 0)
			close(fd);
		return FAIL;
	}
	for (i = 0; ok && i < 8; i++)
		ok &= WANT(kp_set_alloc(fd, id, 1 + 500 * i, 8, h + 8 * i, NULL), 0);
	ok &= set_info_of(fd, id, &in, &cl);
	if (ok) {
		nr = in.nr_classes;
		pools = calloc(nr, sizeof(*pools));
		for (i = 0; pools && i < nr; i++)
			pools[i] = cl[i].pool_id;
		ok &= CHECK(pools && in.blocks_in_use == 64);
		free(cl);
	}
	/* the class pools are there, then gone with the file */
	for (i = 0; ok && i < nr; i++)
		ok &= CHECK(pool_listed(fx->fd, pools[i]));
	close(fd);
	for (i = 0; ok && i < nr; i++)
		ok &= CHECK(!pool_listed(fx->fd, pools[i]));
	free(pools);
	return verdict(ok);
}

/* SET_INFO: capacity, stride with a zeroed tail, bad sizes and pointer. */
static enum result t_set_info_table(struct fx *fx)
{
	struct kpool_ioc_set_info in = { .size = sizeof(in) };
	struct kpool_ioc_set_class *all;
	struct kpool_ioc_set_info full;
	unsigned char buf[4 * 128];
	u32 id, i;
	bool ok = true;

	if (!set_new(fx, fx->fd, &id))
		return FAIL;
	if (!set_info_of(fx->fd, id, &full, &all)) {
		kp_set_destroy(fx->fd, id);
		return FAIL;
	}
	in.set_id = id;
	in.class_size = sizeof(struct kpool_ioc_set_class);
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_INFO, &in), 0);
	ok &= CHECK_EQ(in.nr_classes, full.nr_classes);
	ok &= CHECK_EQ(in.max_size, 4096);
	/* room for 2 entries of 128 bytes: 2 written, tails zeroed */
	memset(buf, 0xee, sizeof(buf));
	in.nr_classes = 2;
	in.class_size = 128;
	in.classes = (uintptr_t)buf;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_INFO, &in), 0);
	ok &= CHECK_EQ(in.nr_classes, full.nr_classes);
	for (i = 0; i < 2; i++) {
		ok &= CHECK(!memcmp(buf + 128 * i, &all[i], sizeof(all[i])));
		ok &= CHECK(all_bytes(buf + 128 * i + sizeof(all[i]),
				      128 - sizeof(all[i]), 0));
	}
	ok &= CHECK(all_bytes(buf + 256, sizeof(buf) - 256, 0xee));
	in.nr_classes = 2;
	in.class_size = sizeof(struct kpool_ioc_set_class) - 1;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_INFO, &in), -EINVAL);
	in.class_size = 4097;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_INFO, &in), -EINVAL);
	in.class_size = 0;
	in.nr_classes = 0;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_INFO, &in), -EINVAL);
	in.class_size = sizeof(struct kpool_ioc_set_class);
	ok &= efault_each_bad_out(fx, KPOOL_IOC_SET_INFO, &in, &in.nr_classes, 2,
				  &in.classes, in.class_size, __LINE__);
	in.set_id = NO_SUCH_POOL;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_INFO, &in), -ENOENT);
	free(all);
	ok &= WANT(kp_set_destroy(fx->fd, id), 0);
	return verdict(ok);
}

/* SET_LIST: this file's sets only, sized like LIST, fields checked. */
static enum result t_set_list(struct fx *fx)
{
	struct kpool_ioc_list l = { .size = sizeof(l) };
	struct kpool_ioc_set_entry *e;
	u32 a, b, other, n, h;
	bool ok = true;

	if (!set_new(fx, fx->fd, &a) || !set_new(fx, fx->fd, &b) ||
	    !set_new(fx, fx->fd2, &other))
		return FAIL;
	ok &= WANT(kp_set_alloc(fx->fd, b, 3000, 1, &h, NULL), 0);
	l.entry_size = sizeof(*e);
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_LIST, &l), 0);
	ok &= CHECK_EQ(l.count, 2);
	l.entry_size = sizeof(*e) - 1;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_LIST, &l), -EINVAL);
	l.entry_size = sizeof(*e);
	l.pad = 1;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_LIST, &l), -EINVAL);
	l.pad = 0;
	l.count = 1;
	l.entries = (uintptr_t)fx->none;
	ok &= WANT(kp_ioctl(fx->fd, KPOOL_IOC_SET_LIST, &l), -EFAULT);
	if (WANT(kp_set_list(fx->fd, &e, &n), 0)) {
		ok &= CHECK_EQ(n, 2);
		ok &= CHECK(n == 2 && e[0].set_id == a && e[1].set_id == b);
		ok &= CHECK(n == 2 && e[1].blocks_in_use == 1 &&
			    e[1].bytes_in_use >= 3000 && e[1].max_size == 4096);
		free(e);
	} else {
		ok = false;
	}
	ok &= WANT(kp_set_free(fx->fd, b, 1, &h, NULL, NULL), 0);
	ok &= WANT(kp_set_destroy(fx->fd, a), 0);
	ok &= WANT(kp_set_destroy(fx->fd, b), 0);
	ok &= WANT(kp_set_destroy(fx->fd2, other), 0);
	return verdict(ok);
}

/* ---- kernel-owned pool -------------------------------------------------------------- */

static enum result t_kernel_pool_listed(struct fx *fx)
{
	struct kpool_ioc_pool_entry e;
	bool ok;

	ok = CHECK(list_entry(fx->fd, fx->kernel_pool, &e));
	ok = ok && CHECK_EQ(e.owner, KPOOL_OWNER_KERNEL);
	ok = ok && CHECK(list_entry(fx->fd2, fx->kernel_pool, &e));
	ok = ok && CHECK_EQ(e.owner, KPOOL_OWNER_KERNEL);
	return verdict(ok);
}

static enum result t_kernel_pool_read_only(struct fx *fx)
{
	int reader = fx->cap_sys_admin ? 0 : -EPERM;
	bool ok;

	ok = every_pool_command(fx->fd, fx->kernel_pool, 1, -EPERM, true, reader);
	ok &= CHECK(pool_listed(fx->fd, fx->kernel_pool));
	return verdict(ok);
}

/* ---- fields: one bad value of one field, a row each ------------------------------------ */

/*
 * A command prepared as for the generic cases (cmds[]), with one field
 * overwritten: the call must fail with @err and change nothing (the
 * prepared pool keeps its blocks; no pool or set of the prepared name).
 */
struct field_case {
	const char *cmd;
	const char *field;
	size_t offset;
	unsigned int width;	/* 4 or 8 bytes */
	u64 value;
	int err;
};

/* FIELD(command, struct, field, its width in bytes, bad value, errno) */
#define FIELD(c, type, f, w, v, e) \
	{ #c, #f, offsetof(type, f), w, (u64)(v), e }
#define ALLOC_F(f, v)	FIELD(ALLOC, struct kpool_ioc_alloc, f, 4, v, -EINVAL)
#define FREE_F(c, f, v)	FIELD(c, struct kpool_ioc_free, f, 4, v, -EINVAL)
#define CREATE_F(f, w, v) FIELD(CREATE, struct kpool_ioc_create, f, w, v, -EINVAL)
#define LIST_F(c, f, v)	FIELD(c, struct kpool_ioc_list, f, 4, v, -EINVAL)
#define SETC_F(f, w, v)	FIELD(SET_CREATE, struct kpool_ioc_set_create, f, w, v, -EINVAL)
#define SETA_F(f, w, v)	FIELD(SET_ALLOC, struct kpool_ioc_set_alloc, f, w, v, -EINVAL)

static const struct field_case field_cases[] = {
	ALLOC_F(count, 0), ALLOC_F(count, KPOOL_IOC_MAX_BATCH + 1),
	ALLOC_F(count, 1u << 20), ALLOC_F(count, UINT32_MAX),
	ALLOC_F(flags, 1), ALLOC_F(flags, 1u << 31),
	FREE_F(FREE, count, 0), FREE_F(FREE, count, KPOOL_IOC_MAX_BATCH + 1),
	FREE_F(FREE, count, UINT32_MAX), FREE_F(FREE, flags, 1), FREE_F(FREE, pad, 1),
	FREE_F(SET_FREE, count, 0), FREE_F(SET_FREE, count, KPOOL_IOC_MAX_BATCH + 1),
	FREE_F(SET_FREE, flags, 1), FREE_F(SET_FREE, flags, 1u << 31),
	FREE_F(SET_FREE, pad, 1), FREE_F(SET_FREE, pad, UINT32_MAX),
	CREATE_F(block_size, 8, 0), CREATE_F(block_size, 8, 7),
	CREATE_F(block_size, 8, 1ULL << 40), CREATE_F(block_size, 8, UINT64_MAX),
	CREATE_F(align, 8, 3), CREATE_F(align, 8, 1 << 20), CREATE_F(align, 8, 1ULL << 63),
	CREATE_F(order, 4, 42), CREATE_F(order, 4, -2), CREATE_F(order, 4, INT32_MIN),
	CREATE_F(flags, 4, 1u << 2), CREATE_F(flags, 4, 1u << 3), CREATE_F(flags, 4, 1u << 31),
	CREATE_F(boundary, 8, 3), CREATE_F(boundary, 8, UINT64_MAX),
	CREATE_F(max_blocks, 4, 1),	/* below the reserve of 2 t_field() asks for */
	LIST_F(LIST, entry_size, 0), LIST_F(LIST, entry_size, 1), LIST_F(LIST, entry_size, 63),
	LIST_F(LIST, entry_size, 4097), LIST_F(LIST, entry_size, UINT32_MAX),
	LIST_F(LIST, pad, 1),
	LIST_F(SET_LIST, entry_size, 71), LIST_F(SET_LIST, entry_size, 4097),
	LIST_F(SET_LIST, pad, 1),
	FIELD(SET_INFO, struct kpool_ioc_set_info, class_size, 4, 63, -EINVAL),
	FIELD(SET_INFO, struct kpool_ioc_set_info, class_size, 4, 4097, -EINVAL),
	FIELD(FAULT, struct kpool_ioc_fault, probability_ppm, 4, 1000001, -EINVAL),
	FIELD(FAULT, struct kpool_ioc_fault, probability_ppm, 4, UINT32_MAX, -EINVAL),
	FIELD(READ, struct kpool_ioc_rw, flags, 4, 2, -EINVAL),
	FIELD(WRITE, struct kpool_ioc_rw, flags, 4, 1u << 31, -EINVAL),
	FIELD(READ, struct kpool_ioc_rw, offset, 8, 60, -EINVAL),
	FIELD(WRITE, struct kpool_ioc_rw, len, 8, 65, -EINVAL),
	FIELD(WRITE, struct kpool_ioc_rw, offset, 8, UINT64_MAX, -EINVAL),
	FIELD(READ, struct kpool_ioc_rw, handle, 4, 0, -ENOENT),
	FIELD(READ, struct kpool_ioc_rw, handle, 4, INT32_MAX, -ENOENT),
	FIELD(STATS, struct kpool_ioc_stats, pool_id, 4, 0, -ENOENT),
	FIELD(DESTROY, struct kpool_ioc_pool, pool_id, 4, 0xfffffff0u, -ENOENT),
	FIELD(SET_DESTROY, struct kpool_ioc_set, set_id, 4, 0x7ffffff0u, -ENOENT),
	SETC_F(flags, 4, 1u << 2), SETC_F(min_size, 8, 0), SETC_F(max_size, 8, 0),
	SETC_F(max_size, 8, KPOOL_IOC_SET_MAX_SIZE + 1), SETC_F(align, 8, 3),
	SETC_F(classes_per_doubling, 4, 3), SETC_F(classes_per_doubling, 4, 32),
	SETA_F(bytes, 8, 0), SETA_F(bytes, 8, 4097), SETA_F(bytes, 8, 1ULL << 32),
	SETA_F(bytes, 8, UINT64_MAX), SETA_F(count, 4, 0),
	SETA_F(count, 4, KPOOL_IOC_MAX_BATCH + 1), SETA_F(count, 4, UINT32_MAX),
	SETA_F(flags, 4, 1),
};

static void field_name(const struct field_case *f, char *buf, size_t size)
{
	const char *e = kp_errname(f->err);

	if (f->width == 8 && f->value > UINT32_MAX)
		snprintf(buf, size, "%s: %s = %#llx -> %s", f->cmd, f->field, f->value, e);
	else if (!strcmp(f->field, "order"))
		snprintf(buf, size, "%s: %s = %d -> %s", f->cmd, f->field, (int)f->value, e);
	else
		snprintf(buf, size, "%s: %s = %llu -> %s", f->cmd, f->field, f->value, e);
}

static enum result t_field(struct fx *fx)
{
	const struct field_case *f = fx->arg;
	const struct cmd_desc *d = cmd_named(f->cmd);
	struct prep *p = calloc(1, sizeof(*p));
	u64 before = 0;
	u32 v32 = (u32)f->value, id;
	bool ok = false;

	if (!p || !d)
		goto out;
	if (!d->prepare(fx, p))
		goto out;
	/* a reserve above the cap: max_blocks 1 is bad only with min_blocks 2 */
	if (d->nr == KPOOL_IOC_CREATE)
		p->arg.create.min_blocks = 2;
	if (f->width == 8)
		memcpy(p->arg.raw + f->offset, &f->value, 8);
	else
		memcpy(p->arg.raw + f->offset, &v32, 4);
	/* a field the first version lacks: the struct of today */
	if (f->offset + f->width > d->size)
		memcpy(p->arg.raw, &d->cur, sizeof(u32));
	if (p->has_pool)
		before = in_use(fx->fd, p->pool);
	ok = want_ret(__LINE__, d->name, kp_ioctl(fx->fd, d->nr, p->arg.raw), f->err);
	if (p->has_pool)
		ok &= CHECK_EQ(in_use(fx->fd, p->pool), before);
	if (d->nr == KPOOL_IOC_CREATE)
		ok &= CHECK(!name_listed(fx->fd, p->name));
	if (d->nr == KPOOL_IOC_SET_CREATE)
		ok &= CHECK(kp_find_set(fx->fd, p->name, &id) == -ENOENT);
out:
	if (p && d)
		unprepare(fx, d, p);
	free(p);
	return verdict(ok);
}

/* ---- the open mode ------------------------------------------------------------------ */

/*
 * A file opened O_RDONLY: every command that changes anything -> EBADF
 * (before its argument is even read), the others are served.
 */
static enum result t_open_read_only(struct fx *fx)
{
	struct prep *p = calloc(1, sizeof(*p));
	struct kpool_ioc_version v;
	bool ok = true;
	int ro, ret;
	size_t i;

	ro = kp_open_mode(NULL, O_RDONLY);
	if (ro < 0 || !p) {
		ktap_diag("cannot open the device read-only: %s", kp_errname(ro));
		free(p);
		return FAIL;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		memset(p, 0, sizeof(*p));
		if (!cmds[i].prepare(fx, p)) {
			ok = false;
			continue;
		}
		ret = kp_ioctl(ro, cmds[i].nr, p->arg.raw);
		if (cmds[i].mutates)
			ok &= want_ret(__LINE__, cmds[i].name, ret, -EBADF);
		else if (ret == -EBADF)
			ok &= want_ret(__LINE__, cmds[i].name, ret, 0);
		/* a bad pointer too: EBADF comes first */
		if (cmds[i].mutates)
			ok &= want_ret(__LINE__, cmds[i].name,
				       kp_ioctl(ro, cmds[i].nr, fx->none), -EBADF);
		unprepare(fx, &cmds[i], p);
	}
	/* a monitoring client reads */
	ok &= WANT(kp_version(ro, &v), 0);
	ok &= CHECK(v.features & KPOOL_FEAT_OPEN_MODE);
	ok &= CHECK(pool_listed(ro, fx->have_kernel_pool ? fx->kernel_pool : 0) ||
		    !fx->have_kernel_pool);
	close(ro);
	free(p);
	return verdict(ok);
}

/* ---- charges -------------------------------------------------------------------- */

/*
 * The memory the pools of @fd pin, by STATS: pages and metadata, and what
 * the file is charged for them. Every pool's charge covers what it holds.
 */
bool pinned_by(int fd, const u32 *ids, u32 n, long page, u64 *held,
	       u64 *charged)
{
	struct kpool_ioc_stats st;
	bool ok = true;
	u32 i;

	*held = *charged = 0;
	for (i = 0; i < n; i++) {
		if (!stats_of(fd, ids[i], &st))
			return false;
		*held += st.pages * page + st.meta_bytes;
		*charged += st.charged_bytes;
		if (st.charged_bytes < st.pages * page + st.meta_bytes) {
			ktap_diag("pool %u: %llu pages + %llu bytes of metadata, %llu charged",
				  ids[i], st.pages, st.meta_bytes, st.charged_bytes);
			ok = false;
		}
	}
	return ok;
}

/* What /proc/meminfo says of the memory free and the per-CPU areas. */
struct meminfo {
	s64 free;		/* MemFree, bytes */
	s64 percpu;		/* Percpu, bytes */
};

static bool read_meminfo(struct meminfo *m)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long kb;
	char line[128];
	int found = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemFree: %llu kB", &kb) == 1) {
			m->free = kb * 1024;
			found++;
		} else if (sscanf(line, "Percpu: %llu kB", &kb) == 1) {
			m->percpu = kb * 1024;
			found++;
		}
	}
	fclose(f);
	return found == 2;
}

#define CHARGE_PAGES_CAP	(1024 * 1024)
#define CHARGE_POOLS	64

/*
 * With max_bytes_per_fd at 1 MiB, one file builds up to 64 pools of 8-byte
 * blocks in chunks of the largest order it may ask for (7 with
 * CAP_SYS_ADMIN), a reserve of one block (@arg: or none, one block
 * allocated): what its pools pin (STATS pages and metadata) never passes
 * the cap, every pool's charge covers what it holds, and the cap bites.
 * /proc/meminfo agrees: MemFree drops by no more than the cap plus what is
 * not the pools' (the file, debugfs entries, pages the page allocator
 * keeps on its per-CPU lists: another cap's worth at most), and Percpu
 * grows by no more than the cap.
 */
static enum result t_charge_pages(struct fx *fx)
{
	const u64 cap = CHARGE_PAGES_CAP;
	bool reserve = !fx->arg;
	u64 held, charged;
	struct meminfo m0, m1;
	u32 ids[CHARGE_POOLS], n = 0, h;
	int fd, ret = 0, refusals = 0;
	bool ok = true;

	ok &= CHECK(read_meminfo(&m0));
	fd = kp_open(NULL);
	while (fd >= 0 && n < CHARGE_POOLS) {
		struct kpool_ioc_create c = {
			.block_size = 8,
			.min_blocks = reserve,
			.order = fx->cap_sys_admin ? 7 : 3,
		};

		unique_name(fx, c.name);
		ret = kp_create(fd, &c);
		if (!ret) {
			ids[n++] = c.pool_id;
			if (!reserve)
				ret = kp_alloc(fd, c.pool_id, 1, &h);
		}
		if (ret == -ENOMEM) {
			refusals++;
			if (refusals > 4)
				break;
		} else if (ret) {
			ok &= WANT(ret, 0);
			break;
		}
	}
	ok &= CHECK(fd >= 0);
	ok &= pinned_by(fd, ids, n, fx->page, &held, &charged);
	ok &= CHECK(read_meminfo(&m1));
	ktap_diag("%u pools: %llu bytes pinned, %llu charged, cap %llu; "
		  "MemFree %+lld, Percpu %+lld bytes",
		  n, held, charged, cap, (long long)(m1.free - m0.free),
		  (long long)(m1.percpu - m0.percpu));
	ok &= CHECK(held <= cap);
	ok &= CHECK(charged <= cap);
	ok &= CHECK(m0.free - m1.free <= 2 * (s64)cap);
	ok &= CHECK(m1.percpu - m0.percpu <= (s64)cap);
	/* 64 chunks of order 3 or 7 do not fit 1 MiB: the cap must bite */
	ok &= CHECK(refusals > 0);
	if (fd >= 0)
		close(fd);
	return verdict(ok);
}

/*
 * Metadata is charged: a set's tables and pools with no block at all
 * (their struct, per-CPU area and debugfs entries) fill the cap; the
 * refusal is ENOMEM. The cap is set, once the set and one pool are made,
 * to what they are charged plus room for 15.5 more such pools (what a pool
 * costs differs between kernels), so the 17th pool is refused.
 */
#define CHARGE_META_POOLS	16

static enum result t_charge_metadata(struct fx *fx)
{
	struct kpool_ioc_set_create sc = { .min_size = 1, .max_size = 64 };
	struct kpool_ioc_set_class *cl;
	struct kpool_ioc_set_info in = { 0 };
	struct kpool_ioc_stats st;
	u64 held, charged, cap = fx->tc->param.value;
	u32 ids[CHARGE_POOLS], n = 0;
	int fd, ret = 0;
	bool ok = true;

	fd = kp_open(NULL);
	ok &= CHECK(fd >= 0);
	unique_name(fx, sc.name);
	ok &= WANT(kp_set_create(fd, &sc), 0);
	if (ok && set_info_of(fd, sc.set_id, &in, &cl)) {
		ok &= CHECK(in.meta_bytes > 0);
		ok &= CHECK(in.charged_bytes > in.meta_bytes);
		free(cl);
	}
	while (ok && n < CHARGE_POOLS) {
		struct kpool_ioc_create c = { .block_size = 64, .order = KPOOL_IOC_ORDER_AUTO };

		unique_name(fx, c.name);
		ret = kp_create(fd, &c);
		if (ret)
			break;
		ids[n++] = c.pool_id;
		if (n == 1 && stats_of(fd, c.pool_id, &st)) {
			cap = in.charged_bytes + st.charged_bytes * CHARGE_META_POOLS +
			      st.charged_bytes / 2;
			ok &= CHECK(write_param("max_bytes_per_fd", cap));
		}
	}
	ok &= WANT(ret, -ENOMEM);
	ok &= CHECK_EQ(n, CHARGE_META_POOLS);
	if (n && stats_of(fd, ids[0], &st)) {
		ok &= CHECK_EQ(st.pages, 0);
		ok &= CHECK(st.meta_bytes >= st.percpu_bytes && st.percpu_bytes > 0);
		ok &= CHECK(st.charged_bytes >= st.meta_bytes);
	}
	ok &= pinned_by(fd, ids, n, fx->page, &held, &charged);
	ktap_diag("%u empty pools and a set: %llu bytes of pool metadata, %llu charged, set %llu",
		  n, held, charged, in.charged_bytes);
	ok &= CHECK(charged + in.charged_bytes <= cap);
	if (fd >= 0)
		close(fd);
	return verdict(ok);
}

/* An explicit chunk order above 3 is for CAP_SYS_ADMIN only. */
static enum result t_charge_order(struct fx *fx)
{
	struct kpool_ioc_create c = { .block_size = 8, .order = 7 };
	struct kpool_ioc_stats st;
	bool ok;

	unique_name(fx, c.name);
	if (!WANT(kp_create(fx->fd, &c), 0))
		return FAIL;
	ok = stats_of(fx->fd, c.pool_id, &st);
	if (fx->cap_sys_admin)
		ok &= CHECK_EQ(st.chunk_order, 7);
	else
		ok &= CHECK(st.chunk_order <= 3);
	ok &= WANT(kp_destroy(fx->fd, c.pool_id), 0);
	return verdict(ok);
}

/* A set's class pools count against max_pools_per_fd. */
static enum result t_charge_class_pools(struct fx *fx)
{
	struct kpool_ioc_set_create c = { .min_size = 1, .max_size = 64 };
	u32 id;
	bool ok = true;
	int fd;

	/* 1..64 bytes: classes 8, 16, ..., 64 */
	fd = kp_open(NULL);
	ok &= CHECK(fd >= 0);
	ok &= pool_new(fx, fd, 32, &id) && pool_new(fx, fd, 32, &id) &&
	      pool_new(fx, fd, 32, &id);
	unique_name(fx, c.name);
	ok &= WANT(kp_set_create(fd, &c), -ENOSPC);
	ok &= CHECK(kp_find_set(fd, c.name, &id) == -ENOENT);
	ok &= WANT(kp_destroy(fd, id), 0);
	ok &= WANT(kp_set_create(fd, &c), 0);
	ok &= CHECK(!pool_new(fx, fd, 32, &id));
	ok &= WANT(kp_set_destroy(fd, c.set_id), 0);
	ok &= CHECK(pool_new(fx, fd, 32, &id));
	close(fd);
	return verdict(ok);
}

/* ---- name spaces, ids, LIST as an unprivileged caller ---------------------------------- */

/*
 * Two files use the same pool and set names; a kernel module's pool name
 * is free for a file. LIST shows both pools, told apart by id and owner.
 */
static enum result t_names_per_file(struct fx *fx)
{
	struct kpool_ioc_create a = { .block_size = 64, .order = KPOOL_IOC_ORDER_AUTO }, b;
	struct kpool_ioc_set_create sa = { .min_size = 1, .max_size = 64 }, sb;
	struct kpool_ioc_pool_entry e;
	char name[KPOOL_IOC_NAME_LEN + 1];
	bool ok = true;

	unique_name(fx, a.name);
	b = a;
	ok &= WANT(kp_create(fx->fd, &a), 0);
	ok &= WANT(kp_create(fx->fd2, &b), 0);
	ok &= CHECK(a.pool_id != b.pool_id);
	ok &= CHECK(list_entry(fx->fd, b.pool_id, &e) && e.owner == KPOOL_OWNER_OTHER_FILE);
	ok &= CHECK(list_entry(fx->fd, a.pool_id, &e) && e.owner == KPOOL_OWNER_SELF);
	memcpy(sa.name, a.name, sizeof(sa.name));
	sb = sa;
	ok &= WANT(kp_set_create(fx->fd, &sa), 0);
	ok &= WANT(kp_set_create(fx->fd2, &sb), 0);
	ok &= WANT(kp_set_create(fx->fd2, &sb), -EEXIST);
	ok &= WANT(kp_set_destroy(fx->fd, sa.set_id), 0);
	ok &= WANT(kp_set_destroy(fx->fd2, sb.set_id), 0);
	ok &= WANT(kp_destroy(fx->fd, a.pool_id), 0);
	ok &= WANT(kp_destroy(fx->fd2, b.pool_id), 0);
	/* the kernel pool's name */
	if (fx->have_kernel_pool && list_entry(fx->fd, fx->kernel_pool, &e)) {
		kp_name(name, e.name);
		memset(a.name, 0, sizeof(a.name));
		memcpy(a.name, name, strlen(name));
		ok &= WANT(kp_create(fx->fd, &a), 0);
		ok &= CHECK(a.pool_id != fx->kernel_pool);
		ok &= WANT(kp_destroy(fx->fd, a.pool_id), 0);
	}
	return verdict(ok);
}

/* A destroyed pool's or set's id is not given to the next one. */
static enum result t_ids_cyclic(struct fx *fx)
{
	u32 a, b, sa, sb;
	bool ok = true;

	ok &= pool_new(fx, fx->fd, 64, &a) && !kp_destroy(fx->fd, a);
	ok &= pool_new(fx, fx->fd, 64, &b) && !kp_destroy(fx->fd, b);
	if (!CHECK(a != b))
		ktap_diag("pool id %u handed out again at once", a);
	ok &= a != b;
	ok &= set_new_sized(fx, fx->fd, 16, &sa) && !kp_set_destroy(fx->fd, sa);
	ok &= set_new_sized(fx, fx->fd, 16, &sb) && !kp_set_destroy(fx->fd, sb);
	ok &= CHECK(sa != sb);
	return verdict(ok);
}

/*
 * A handle is dead once freed: its slot's next block gets another handle
 * and the old one stays ENOENT.
 */
static enum result t_handles_stale(struct fx *fx)
{
	u32 id = fx->pool, h, h2;
	unsigned char byte;
	bool ok = true;

	ok &= WANT(kp_alloc(fx->fd, id, 1, &h), 0);
	ok &= WANT(kp_free(fx->fd, id, 1, &h, NULL, NULL), 0);
	ok &= WANT(kp_alloc(fx->fd, id, 1, &h2), 0);
	ok &= CHECK(h2 != h);
	ok &= WANT(kp_read(fx->fd, id, h, 0, &byte, 1), -ENOENT);
	ok &= WANT(kp_free(fx->fd, id, 1, &h, NULL, NULL), -ENOENT);
	ok &= WANT(kp_read(fx->fd, id, h2, 0, &byte, 1), 0);
	return verdict(ok);
}

/*
 * LIST gives a caller without CAP_SYS_ADMIN what STATS would: counts of
 * its own pools and of its sets' class pools; another owner's pool only
 * with name, id, owner kind and block size (KPOOL_ENTRY_F_REDACTED).
 */
static enum result t_list_redacted(struct fx *fx)
{
	struct kpool_ioc_pool_entry e;
	struct kpool_ioc_set_class *cl;
	struct kpool_ioc_set_info in;
	u32 mine, theirs, set, h[3];
	bool ok = true;

	if (!pool_new(fx, fx->fd, 96, &mine) || !pool_new(fx, fx->fd2, 96, &theirs))
		return FAIL;
	ok &= WANT(kp_alloc(fx->fd, mine, 2, h), 0);
	ok &= WANT(kp_alloc(fx->fd2, theirs, 3, h), 0);
	ok &= CHECK(list_entry(fx->fd, mine, &e));
	ok &= CHECK_EQ(e.blocks_in_use, 2);
	ok &= CHECK(!(e.flags & KPOOL_ENTRY_F_REDACTED));
	ok &= CHECK(list_entry(fx->fd, theirs, &e));
	ok &= CHECK_EQ(e.block_size, 96);
	ok &= CHECK_EQ(e.owner, KPOOL_OWNER_OTHER_FILE);
	if (fx->cap_sys_admin) {
		ok &= CHECK_EQ(e.blocks_in_use, 3);
		ok &= CHECK(!(e.flags & KPOOL_ENTRY_F_REDACTED));
	} else {
		ok &= CHECK_EQ(e.blocks_in_use, 0);
		ok &= CHECK_EQ(e.blocks_total, 0);
		ok &= CHECK(e.flags & KPOOL_ENTRY_F_REDACTED);
	}
	/* a class pool of the file's set: its own, with counts */
	if (set_new_sized(fx, fx->fd, 16, &set)) {
		ok &= WANT(kp_set_alloc(fx->fd, set, 16, 1, h, NULL), 0);
		if (set_info_of(fx->fd, set, &in, &cl)) {
			ok &= CHECK(list_entry(fx->fd, cl[1].pool_id, &e));
			ok &= CHECK_EQ(e.owner, KPOOL_OWNER_SELF);
			ok &= CHECK(e.flags & KPOOL_ENTRY_F_CLASS);
			ok &= CHECK_EQ(e.blocks_in_use, 1);
			ok &= CHECK(list_entry(fx->fd2, cl[1].pool_id, &e));
			ok &= CHECK_EQ(e.owner, KPOOL_OWNER_OTHER_FILE);
			ok &= CHECK(fx->cap_sys_admin || (e.flags & KPOOL_ENTRY_F_REDACTED));
			free(cl);
		}
		ok &= set_drop(fx->fd, set, h, 1);
	} else {
		ok = false;
	}
	kp_destroy(fx->fd, mine);
	kp_destroy(fx->fd2, theirs);
	return verdict(ok);
}

/* ---- drains ------------------------------------------------------------------------ */

#define DRAIN_TRIES	500

/*
 * Failing allocations ask other CPUs to drain their magazines at most once
 * per interval (a jiffy at most: bounded by one per millisecond): ALLOCs
 * past max_blocks (refused before the core is asked) and ALLOCs whose
 * growth fails (FAULT every_nth 1), counted by STATS.drains.
 */
/* DRAIN_TRIES failing ALLOCs of pool @id drain about once a millisecond. */
static bool drains_rare(struct fx *fx, u32 id, const char *what)
{
	struct kpool_ioc_stats st0, st;
	double start, ms;
	bool ok = true;
	u32 i, h;

	ok &= stats_of(fx->fd, id, &st0);
	start = kp_now();
	for (i = 0; ok && i < DRAIN_TRIES; i++)
		ok &= WANT(kp_alloc(fx->fd, id, 1, &h), -ENOMEM);
	ms = (kp_now() - start) * 1000;
	ok &= stats_of(fx->fd, id, &st);
	ktap_diag("%u %s in %.0f ms: %llu drains", DRAIN_TRIES, what, ms,
		  st.drains - st0.drains);
	return ok && CHECK(st.drains - st0.drains <= 2 + (u64)ms);
}

static enum result t_drains_bounded(struct fx *fx)
{
	/* the capped pool is full (fixture), growth of the other fails */
	return verdict(WANT(kp_fault(fx->fd, fx->pool2, 1, 0), 0) &&
		       drains_rare(fx, fx->pool, "capped ALLOCs") &&
		       drains_rare(fx, fx->pool2, "ALLOCs with growth failing"));
}

/* ---- the case table ------------------------------------------------------------------ */

/* A pool of the case's own (fx->pool), of @size-byte blocks, and more. */
#define POOL(size, ...)		.pool = { .block_size = (size), __VA_ARGS__ }
#define POOL2(size, ...)	.pool2 = { .block_size = (size), __VA_ARGS__ }
/* kpool_dev's parameter @name set to @v while the case runs. */
#define DEV_PARAM(name, v)	.param = { "kpool_dev", name, v }
#define CASE(n, f, ...)		{ .name = (n), .fn = (f), __VA_ARGS__ }

static const struct tcase cases_table[] = {
	CASE("ioctl: unknown command numbers -> ENOTTY", t_unknown_commands),
	CASE("ioctl: wrong magic -> ENOTTY", t_wrong_magic),
	CASE("ioctl: the size in the number is not used for dispatch", t_number_size_ignored),
	CASE("VERSION: ABI version, features and limits", t_version),
	CASE("CREATE: pool listed as SELF with its name and geometry", t_create_happy),
	CASE("CREATE: known flags reported", t_create_flags),
	CASE("CREATE: bad names -> EINVAL", t_create_bad_names),
	CASE("CREATE: duplicate name -> EEXIST in the file; other files unaffected",
	     t_create_duplicate),
	CASE("CREATE: min_blocks reserve in place", t_create_reserve,
	     POOL(128, .min_blocks = 40)),
	CASE("CREATE: max_pools_per_fd -> ENOSPC", t_create_pool_limit),
	CASE("CREATE: reserve over max_bytes_per_fd -> ENOMEM", t_create_byte_limit),
	CASE("DESTROY: pool with blocks out; its handles die with it", t_destroy_with_blocks,
	     POOL(64), .blocks = 8, POOL2(64), .blocks2 = 1),
	CASE("pool id unknown -> ENOENT for every command", t_unknown_pool),
	CASE("pool id destroyed -> ENOENT for every command", t_destroyed_pool),
	CASE("another file's pool -> EPERM for every changing command", t_other_file_pool),
	CASE("another file's pool: STATS and INFO with CAP_SYS_ADMIN", t_other_file_readers,
	     .needs = NEED_ADMIN),
	CASE("ALLOC: count = KPOOL_IOC_MAX_BATCH, stats checked", t_alloc_max_batch, POOL(16)),
	CASE("ALLOC: bad handles pointer -> EFAULT, nothing leaked", t_alloc_bad_handles,
	     POOL(32)),
	CASE("ALLOC: misaligned handles array works", t_alloc_misaligned_handles, POOL(32)),
	CASE("ALLOC: all or nothing at max_blocks", t_alloc_cap_all_or_nothing,
	     POOL(64, .max_blocks = 8)),
	CASE("ALLOC: over max_bytes_per_fd -> ENOMEM, nothing leaked", t_alloc_byte_limit,
	     POOL(ALLOC_LIMIT_BLOCK)),
	CASE("ALLOC: handles unique across a file's pools", t_handles_unique_per_file,
	     POOL(16), .blocks = 32, POOL2(48), .blocks2 = 32),
	CASE("FREE: outputs ignored (count, flags, pad: the field cases)", t_free_fields, POOL(32),
	     .blocks = 1),
	CASE("FREE: bad handles/status pointer -> EFAULT, nothing freed", t_free_bad_pointers,
	     POOL(32), .blocks = 4),
	CASE("FREE: mixed batch frees the good, reports the bad", t_free_mixed_batch,
	     POOL(32), .blocks = 2, POOL2(32), .blocks2 = 1),
	CASE("FREE: double free -> ENOENT", t_free_double, POOL(32), .blocks = 3),
	CASE("FREE: another file's handle is unknown -> ENOENT", t_handles_per_file),
	CASE("READ/WRITE: partial ranges, last byte, len 0", t_rw_partial, POOL(256), .blocks = 1),
	CASE("READ/WRITE: offset/len past the block -> EINVAL", t_rw_bounds, POOL(64), .blocks = 1),
	CASE("READ/WRITE: flags; foreign -> EINVAL, unknown -> ENOENT", t_rw_flags_and_handles,
	     POOL(64), .blocks = 1, POOL2(64), .blocks2 = 1),
	CASE("READ/WRITE: bad buffers -> EFAULT, read-only source ok", t_rw_bad_buffers, POOL(64),
	     .blocks = 1),
	CASE("READ: re-allocated blocks read as zeros", t_rw_no_stale_data, POOL(STALE_BLOCK)),
	CASE("READ: re-allocated blocks read as zeros (debug pool)", t_rw_no_stale_data,
	     POOL(STALE_BLOCK, .flags = KPOOL_IOC_F_DEBUG)),
	CASE("SHRINK: returns free chunks, keeps the reserve", t_shrink,
	     POOL(256, .min_blocks = SHRINK_RESERVE), .blocks = SHRINK_BLOCKS),
	CASE("STATS: in_use, allocs, frees, watermark", t_stats_counts,
	     POOL(48, .max_blocks = 1000)),
	CASE("STATS: output fields are not input", t_stats_outputs_only, POOL(64)),
	CASE("LIST: count 0 sizes the buffer", t_list_sizing),
	CASE("LIST: capacity respected, total reported", t_list_capacity),
	CASE("LIST: entry_size stride, tail zeroed", t_list_entry_stride),
	CASE("LIST: bad entries pointer -> EFAULT", t_list_bad_entries, POOL(64)),
	CASE("LIST: owner SELF vs OTHER_FILE", t_list_owners),
	CASE("LIST: block size and blocks in use", t_list_counts, POOL(1000), .blocks = 5),
	CASE("close() destroys the file's pools and frees their blocks", t_close_destroys),
	CASE("INFO: occupancy map matches STATS", t_info_map, POOL(128), .blocks = 600),
	CASE("INFO: capacity respected, bad map -> EFAULT", t_info_capacity, POOL(512),
	     .blocks = 300),
	CASE("FAULT: every_nth fails growth, off restores it", t_fault_every, POOL(2048)),
	CASE("FAULT: probability, range checked", t_fault_probability, POOL(4096)),
	CASE("FAULT: the reserve serves min_blocks while growth fails", t_fault_reserve,
	     POOL(1024, .min_blocks = 6)),
	CASE("FAULT: kpool's fail_grow_every fails growth, pool intact", t_fault_module_param,
	     .param = { "kpool", "fail_grow_every", 1 }, POOL(1024)),
	CASE("hardening: handles of a failed ALLOC copy-out are never published",
	     t_hardening_alloc_unpublished, POOL(64)),
	CASE("hardening: a fresh pool's blocks read as zeros", t_hardening_fresh_zero,
	     POOL(FRESH_BLOCK)),
	CASE("hardening: a fresh debug pool's blocks read as zeros", t_hardening_fresh_zero,
	     POOL(FRESH_BLOCK, .flags = KPOOL_IOC_F_DEBUG)),
	CASE("hardening: the largest reserve -> ENOMEM, nothing left", t_hardening_huge_reserve),
	CASE("hardening: capabilities are the opener's, not the caller's", t_hardening_opener_creds,
	     .needs = NEED_ADMIN | NEED_KERNEL_POOL),
	CASE("hardening: max_bytes_total caps all files together -> ENOMEM", t_hardening_total_cap,
	     DEV_PARAM("max_bytes_total", TOTAL_CAP_RESERVE * 3 / 2)),
	CASE("SET_CREATE: class table: sizes, spacing bound, class pools listed", t_set_classes),
	CASE("SET_CREATE: bad flags, sizes, align, spacing, names; names per file",
	     t_set_create_bad),
	CASE("SET_CREATE: max_sets_per_fd -> ENOSPC", t_set_limit),
	CASE("SET_CREATE/SET_ALLOC: over max_bytes_per_fd -> ENOMEM, nothing left",
	     t_set_byte_limit, DEV_PARAM("max_bytes_per_fd", SET_BYTE_CAP)),
	CASE("SET_ALLOC: smallest class that fits, data, counts, fragmentation", t_set_alloc_sizes),
	CASE("SET_ALLOC: bad pointers and ids; max batch", t_set_alloc_bad),
	CASE("SET_FREE: double, foreign, other file's handles; mixed batch", t_set_free_handles),
	CASE("READ/WRITE: KPOOL_IOC_RW_F_SET, class size bounds", t_set_rw_flags),
	CASE("SET_DESTROY: blocks out -> EBUSY and intact; then destroyed", t_set_destroy_busy),
	CASE("another file's set -> EPERM; class pools only through the set", t_set_other_file),
	CASE("close() frees a set's blocks and destroys its class pools", t_set_close_frees),
	CASE("SET_INFO: capacity, stride, bad sizes and pointers", t_set_info_table),
	CASE("SET_LIST: this file's sets, sizes and pointers checked", t_set_list),
	CASE("kernel pool: listed as KERNEL", t_kernel_pool_listed, .needs = NEED_KERNEL_POOL),
	CASE("kernel pool: read-only from user space -> EPERM", t_kernel_pool_read_only,
	     .needs = NEED_KERNEL_POOL),
	CASE("open mode: O_RDONLY refuses every changing command (EBADF), serves the rest",
	     t_open_read_only),
	CASE("charge: many pools of large chunks with a reserve pin at most max_bytes_per_fd",
	     t_charge_pages, DEV_PARAM("max_bytes_per_fd", CHARGE_PAGES_CAP)),
	CASE("charge: many pools of large chunks, a block each, pin at most max_bytes_per_fd",
	     t_charge_pages, .arg = "no reserve", DEV_PARAM("max_bytes_per_fd", CHARGE_PAGES_CAP)),
	CASE("charge: metadata of empty pools and a set's tables count -> ENOMEM",
	     t_charge_metadata, DEV_PARAM("max_bytes_per_fd", 64 << 20)),
	CASE("charge: chunk order above 3 only with CAP_SYS_ADMIN", t_charge_order),
	CASE("charge: a set's class pools count against max_pools_per_fd -> ENOSPC",
	     t_charge_class_pools, DEV_PARAM("max_pools_per_fd", 10)),
	CASE("names: pools and sets named alike in two files; a kernel pool's name is free",
	     t_names_per_file),
	CASE("ids: a destroyed pool's or set's id is not reused at once", t_ids_cyclic),
	CASE("handles: a freed handle stays dead when its slot is reused", t_handles_stale,
	     POOL(64)),
	CASE("LIST: another owner's counts only with CAP_SYS_ADMIN; own class pools counted",
	     t_list_redacted),
	CASE("drains: failing ALLOCs at the cap and with growth failing drain rarely",
	     t_drains_bounded, POOL(256, .max_blocks = 4), .blocks = 4, POOL2(4096)),
};

static struct tcase *cases;
static unsigned int nr_cases;

/* Add a case of table @c, named @name (copied). */
static void add_case(const struct tcase *c, const char *name)
{
	cases[nr_cases] = *c;
	cases[nr_cases++].name = strdup(name);
}

/*
 * Every case: the generic ones of each command, a row of field_cases[]
 * each, the named ones of cases_table[] and race_cases[], and a round trip
 * per block size of size_cases[].
 */
static bool build_cases(void)
{
	static struct generic_case generic[ARRAY_SIZE(cmds) * G_NR_KINDS];
	char name[160];
	size_t i, k, n = 0;

	cases = calloc(ARRAY_SIZE(generic) + ARRAY_SIZE(field_cases) +
		       ARRAY_SIZE(cases_table) + nr_race_cases + ARRAY_SIZE(size_cases),
		       sizeof(*cases));
	if (!cases)
		return false;
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (k = 0; k < G_NR_KINDS; k++) {
			generic[n] = (struct generic_case){ &cmds[i], k };
			snprintf(name, sizeof(name), "%s: %s%s", cmds[i].name,
				 generic_names[k],
				 k != G_READ_ONLY ? "" :
				 cmds[i].writes_back ? " -> EFAULT" : " is accepted");
			add_case(&(struct tcase){ .fn = t_generic, .arg = &generic[n++] }, name);
		}
	}
	for (i = 0; i < ARRAY_SIZE(field_cases); i++) {
		field_name(&field_cases[i], name, sizeof(name));
		add_case(&(struct tcase){ .fn = t_field, .arg = &field_cases[i] }, name);
	}
	for (i = 0; i < ARRAY_SIZE(cases_table); i++)
		add_case(&cases_table[i], cases_table[i].name);
	for (i = 0; i < nr_race_cases; i++)
		add_case(&race_cases[i], race_cases[i].name);
	for (i = 0; i < ARRAY_SIZE(size_cases); i++) {
		snprintf(name, sizeof(name), "READ/WRITE: %llu-byte blocks%s round trip",
			 size_cases[i].block_size,
			 size_cases[i].flags & KPOOL_IOC_F_DEBUG ? " (debug pool)" : "");
		add_case(&(struct tcase){
			.fn = t_rw_block_size, .arg = &size_cases[i], .blocks = 3,
			POOL(size_cases[i].block_size, .flags = size_cases[i].flags),
		}, name);
	}
	return true;
}

/* ---- the fixture ---------------------------------------------------------------------- */

bool param_restore(struct fx *fx)
{
	return param_io(&fx->tc->param, &fx->param_saved, true);
}

/* A pool of @spec (none if no block size), with @blocks blocks allocated. */
static bool fixture_pool(struct fx *fx, const struct pool_spec *spec,
			 u32 blocks, u32 *id, u32 **h)
{
	if (!spec->block_size)
		return true;
	if (!pool_new_spec(fx, fx->fd, spec, id))
		return false;
	if (!blocks)
		return true;
	*h = calloc(blocks, sizeof(**h));
	return *h && WANT(kp_alloc(fx->fd, *id, blocks, *h), 0);
}

/*
 * What case @c needs, set up: SKIP (with fx->skip_reason) when the system
 * lacks it, FAIL when it cannot be made.
 */
static enum result fixture_up(struct fx *fx, const struct tcase *c)
{
	static char why[96];
	u64 v = c->param.value;

	fx->tc = c;
	fx->arg = c->arg;
	fx->skip_reason = NULL;
	if ((c->needs & NEED_ADMIN) && !fx->cap_sys_admin)
		return skip(fx, "needs CAP_SYS_ADMIN");
	if ((c->needs & NEED_KERNEL_POOL) && !fx->have_kernel_pool)
		return skip(fx, "no kernel-owned pool listed (load kpool_example)");
	if ((c->needs & NEED_TWO_CPUS) && fx->cpus[1] < 0)
		return skip(fx, "needs two CPUs it may run on");
	if ((c->needs & NEED_USERFAULTFD) && uffd_unavailable())
		return skip(fx, uffd_unavailable());
	if (c->param.name) {
		if (!param_io(&c->param, &fx->param_saved, false) ||
		    !param_io(&c->param, &v, true)) {
			snprintf(why, sizeof(why), "%s's %s not writable (needs root)",
				 c->param.module, c->param.name);
			return skip(fx, why);
		}
		fx->param_set = true;
	}
	if (!fixture_pool(fx, &c->pool, c->blocks, &fx->pool, &fx->h) ||
	    !fixture_pool(fx, &c->pool2, c->blocks2, &fx->pool2, &fx->h2))
		return FAIL;
	return PASS;
}

/* Undo fixture_up(), however far it went; FAIL if a parameter stays changed. */
static enum result fixture_down(struct fx *fx, enum result r)
{
	/* the case may have destroyed them */
	if (fx->pool)
		kp_destroy(fx->fd, fx->pool);
	if (fx->pool2)
		kp_destroy(fx->fd, fx->pool2);
	free(fx->h);
	free(fx->h2);
	if (fx->param_set && !CHECK(param_restore(fx)))
		r = FAIL;
	fx->pool = 0;
	fx->pool2 = 0;
	fx->h = NULL;
	fx->h2 = NULL;
	fx->param_set = false;
	fx->tc = NULL;
	return r;
}

/* ---- setup and main ------------------------------------------------------------------ */

static bool has_cap_sys_admin(void)
{
	char line[256];
	unsigned long long caps;
	bool found = false, ok = false;
	FILE *f = fopen("/proc/self/status", "r");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "CapEff: %llx", &caps) == 1) {
				found = true;
				ok = caps & (1ULL << CAP_SYS_ADMIN_BIT);
				break;
			}
		}
		fclose(f);
	}
	return found ? ok : geteuid() == 0;
}

/* The kernel pool to test: "example" if listed, else any kernel pool. */
static void find_kernel_pool(struct fx *fx)
{
	struct kpool_ioc_pool_entry *e;
	u32 n, i;

	if (kp_list(fx->fd, &e, &n))
		return;
	for (i = 0; i < n; i++) {
		if (e[i].owner != KPOOL_OWNER_KERNEL)
			continue;
		if (!fx->have_kernel_pool ||
		    !strncmp(e[i].name, "example", KPOOL_IOC_NAME_LEN)) {
			fx->kernel_pool = e[i].pool_id;
			fx->have_kernel_pool = true;
		}
	}
	free(e);
}

/* The first two CPUs this process may run on (fx->cpus[1] -1 if one). */
static void find_cpus(struct fx *fx)
{
	cpu_set_t set;
	int cpu, n = 0;

	fx->cpus[0] = -1;
	fx->cpus[1] = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			fx->cpus[n++] = cpu;
}

static bool setup(struct fx *fx, const char *device)
{
	unsigned char *m;

	fx->page = sysconf(_SC_PAGESIZE);
	fx->fd = kt_open(device);
	if (fx->fd < 0)
		return false;
	fx->fd2 = kt_open(device);
	if (fx->fd2 < 0)
		return false;
	/* [edge: rw][none: PROT_NONE][ro] */
	m = mmap(NULL, 3 * fx->page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return false;
	fx->edge = m;
	fx->none = m + fx->page;
	fx->ro = m + 2 * fx->page;
	if (mprotect(fx->none, fx->page, PROT_NONE) ||
	    mprotect(fx->ro, fx->page, PROT_READ))
		return false;
	fx->cap_sys_admin = has_cap_sys_admin();
	find_kernel_pool(fx);
	find_cpus(fx);
	return true;
}

/*
 * The watchdog: a case stuck in the kernel (a wait that only a fatal
 * signal ends) is reported as failed and the run ends; _exit() kills the
 * stuck thread too.
 */
static pthread_mutex_t watchdog_lock = PTHREAD_MUTEX_INITIALIZER;
static double watchdog_deadline;	/* 0: no case running */
static char watchdog_line[256];		/* the result line of a timeout */

static void *watchdog(void *arg)
{
	bool expired;

	(void)arg;
	for (;;) {
		sleep(1);
		pthread_mutex_lock(&watchdog_lock);
		expired = watchdog_deadline && kp_now() > watchdog_deadline;
		if (expired) {
			fflush(stdout);
			fputs(watchdog_line, stdout);
			fflush(stdout);
			_exit(1);
		}
		pthread_mutex_unlock(&watchdog_lock);
	}
	return NULL;
}

/* Arm the watchdog for case @name (number @nr), or disarm it (NULL). */
static void watchdog_arm(unsigned int nr, const char *name)
{
	pthread_mutex_lock(&watchdog_lock);
	if (name) {
		snprintf(watchdog_line, sizeof(watchdog_line),
			 "not ok %u - %s # timed out after %d s\n", nr, name,
			 CASE_TIMEOUT);
		watchdog_deadline = kp_now() + CASE_TIMEOUT;
	} else {
		watchdog_deadline = 0;
	}
	pthread_mutex_unlock(&watchdog_lock);
}

static void print_help(FILE *f)
{
	fprintf(f,
		"Usage: kpool_conform [--device PATH] [--list] [--filter TEXT] [--uid UID]\n"
		"\n"
		"Conformance tests of the /dev/kpool ioctl ABI; KTAP on stdout.\n"
		"  --device PATH   the device (default " KP_DEFAULT_DEVICE ")\n"
		"  --list          print the case names and exit\n"
		"  --filter TEXT   run only the cases whose name contains TEXT\n"
		"  --uid UID       drop to user and group UID (no capabilities) first:\n"
		"                  the unprivileged run (the device mode must let it in)\n"
		"Exit status: 0 all passed, 1 a case failed, 2 usage, 3 no device.\n");
}

int main(int argc, char **argv)
{
	struct fx fx = { .fd = -1, .fd2 = -1 };
	unsigned int i, planned = 0;
	struct kt_args args = { 0 };
	const char *filter;
	struct ktap t;
	pthread_t wd;
	int ret;

	ret = kt_parse_args(argc, argv, true, print_help, &args);
	if (ret >= 0)
		return ret;
	filter = args.filter;
	if (optind != argc) {
		print_help(stderr);
		return 2;
	}
	if (!build_cases())
		return 1;
	for (i = 0; i < nr_cases; i++) {
		if (filter && !strstr(cases[i].name, filter))
			continue;
		if (args.list)
			printf("%s\n", cases[i].name);
		planned++;
	}
	if (args.list)
		return 0;
	ktap_begin(&t, planned);
	if (kt_drop_privileges(&args))
		return 1;
	if (!setup(&fx, args.device)) {
		ktap_diag("setup failed; nothing was tested");
		return 3;
	}
	ktap_diag("uid %u; CAP_SYS_ADMIN: %s; kernel pool: %s; %zu-bit", (unsigned int)getuid(),
		  fx.cap_sys_admin ? "yes" : "no", fx.have_kernel_pool ? "yes" : "none listed",
		  8 * sizeof(void *));
	if (pthread_create(&wd, NULL, watchdog, NULL)) {
		ktap_diag("cannot start the watchdog thread");
		return 1;
	}
	for (i = 0; i < nr_cases; i++) {
		enum result r;
		double start;

		if (filter && !strstr(cases[i].name, filter))
			continue;
		watchdog_arm(t.next, cases[i].name);
		start = kp_now();
		r = fixture_up(&fx, &cases[i]);
		if (r == PASS)
			r = cases[i].fn(&fx);
		r = fixture_down(&fx, r);
		watchdog_arm(0, NULL);
		/* where a slow kernel's time goes */
		if (kp_now() - start >= 1)
			ktap_diag("%.1f s", kp_now() - start);
		if (r == SKIP)
			ktap_skip(&t, fx.skip_reason ? fx.skip_reason : "", "%s",
				  cases[i].name);
		else
			ktap_result(&t, r == PASS, "%s", cases[i].name);
	}
	close(fx.fd);
	close(fx.fd2);
	for (i = 0; i < nr_cases; i++)
		free((char *)cases[i].name);
	free(cases);
	return ktap_end(&t);
}
