// SPDX-License-Identifier: GPL-2.0
/*
 * kpoolctl - administer kpool block pools through /dev/kpool.
 *
 * One verb per invocation, or many in a session ("kpoolctl run FILE"),
 * which keeps one file open: pools belong to the open file that created
 * them and are destroyed when it is closed, so a pool created by one
 * kpoolctl process dies with that process.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "json.h"
#include "kpool_lib.h"

#define KPOOLCTL_VERSION	"1.0"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the operation failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NODEV = 3,		/* /dev/kpool missing or not usable */
};

/* Largest READ accepted on the command line (blocks are at most 256 KiB). */
#define MAX_READ_LEN		(16u << 20)
/* Runs of handles printed per line by alloc: plain, with their @refs. */
#define HANDLES_PER_LINE	16
#define REFS_PER_LINE		4
/* Cells per row of the occupancy map. */
#define MAP_ROW			64

/* A handle allocated in this session, in allocation order (@N refers to it). */
struct held {
	u32 pool_id;		/* or set id */
	u32 handle;
	bool set;		/* a block of a set */
	bool live;
};

struct ctl {
	const char *device;
	int fd;			/* -1 until the device is opened */
	u32 max_batch;
	bool json;
	bool in_session;
	bool sets;		/* a 'set' verb: POOL arguments name sets */
	bool all;		/* 'set info --all': every class */
	bool read_only;		/* the device is open read-only */
	const char *verb;	/* for messages */
	char where[300];	/* "FILE:LINE: " inside a session, else "" */
	struct held *held;	/* handles allocated in this session */
	size_t nr_held;
	size_t cap_held;
	struct json j;
};

/* A pool or set named on the command line, by id or by name. */
struct pool_ref {
	u32 id;
	bool set;
	char label[64];		/* "pool 3" or "set 3 (name)" */
};

struct verb {
	const char *name;
	const char *synopsis;
	const char *summary;
	const char *details;
	int (*run)(struct ctl *c, int argc, char **argv);
};

static const struct verb *find_verb(const char *name);
static int dispatch(struct ctl *c, int argc, char **argv);

/* ---- messages -------------------------------------------------------- */

static void vmsg(struct ctl *c, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "kpoolctl: %s", c->where);
	if (c->verb)
		fprintf(stderr, "%s: ", c->verb);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static __printf(2, 3) void msg(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(c, fmt, ap);
	va_end(ap);
}

static __printf(2, 3) int usage_error(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(c, fmt, ap);
	va_end(ap);
	if (c->verb)
		fprintf(stderr, "Try 'kpoolctl %s --help'.\n", c->verb);
	else
		fprintf(stderr, "Try 'kpoolctl --help'.\n");
	return EXIT_USAGE;
}

/* What an errno means, for the verbs in @verbs (all if NULL). */
struct hint {
	int err;
	const char *verbs;	/* comma-separated: "read,set read" */
	const char *text;
};

static const struct hint hints[] = {
	{ ENOENT, "set destroy,set alloc,set free,set info,set write,set read",
	  "no such set of this open file, or a handle it does not hold" },
	{ EPERM, "set destroy,set alloc,set free,set info,set write,set read",
	  "a set belongs to the open file that created it: see 'kpoolctl run'" },
	{ EINVAL, "set create",
	  "bad name, sizes, alignment or spacing: see 'kpoolctl set create --help'" },
	{ EINVAL, "set alloc", "size 0 or above the set's largest class" },
	{ EINVAL, "set read,set write,set free",
	  "past the end of the block, or a handle of another pool or set" },
	{ E2BIG, "set create", "too many classes: fewer --spacing or a narrower size range" },
	{ EBUSY, "set destroy", "blocks of the set are out: 'set free SET all' first" },
	{ ENOSPC, "set create", "too many sets for one open file (max_sets_per_fd)" },
	{ EEXIST, "set create", "this open file has a set of that name" },
	{ ENOMEM, "set alloc,set create",
	  "at a class's --cap, the file's max_bytes_per_fd, or a fault" },
	{ EBADF, NULL,
	  "the device is open read-only (no write permission): monitoring only" },
	{ EPERM, "stats,info", "another file's or a kernel module's pool: needs CAP_SYS_ADMIN" },
	{ EPERM, NULL, "a pool belongs to the open file that created it: see 'kpoolctl run'" },
	{ ENOENT, "read,write,free", "no such pool, or a handle this session does not hold" },
	{ ENOENT, NULL, "no such pool" },
	{ EINVAL, "create", "bad name, size, alignment or order: see 'kpoolctl create --help'" },
	{ EINVAL, "read,write,free", "past the end of the block, or a handle of another pool" },
	{ ENOSPC, NULL, "too many pools for one open file (max_pools_per_fd)" },
	{ EEXIST, NULL, "this open file has a pool of that name" },
	{ ENOMEM, "alloc,create",
	  "at the pool's --max, the file's max_bytes_per_fd (pages and metadata), or a fault" },
};

/* Is @verb one of the comma-separated verbs of @list? */
static bool verb_in(const char *list, const char *verb)
{
	size_t len = strlen(verb);
	const char *p;

	for (p = strstr(list, verb); p; p = strstr(p + 1, verb))
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

static const char *errno_hint(const struct ctl *c, int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hints); i++)
		if (hints[i].err == -err &&
		    (!hints[i].verbs || verb_in(hints[i].verbs, c->verb)))
			return hints[i].text;
	return NULL;
}

/* "kpoolctl: VERB: WHAT: ERROR (HINT)"; returns EXIT_FAIL. */
static int fail_hint(struct ctl *c, const char *what, int err, const char *hint)
{
	if (hint && *hint)
		msg(c, "%s: %s (%s)", what, kp_strerror(err), hint);
	else
		msg(c, "%s: %s", what, kp_strerror(err));
	return EXIT_FAIL;
}

/* "kpoolctl: VERB: pool 3: Cannot allocate memory (HINT)"; EXIT_FAIL. */
static int fail(struct ctl *c, const char *what, int err)
{
	return fail_hint(c, what, err, errno_hint(c, err));
}

/* ---- the device ------------------------------------------------------ */

/* Open the device on first use; -1 once it is open, or EXIT_NODEV. */
static int need_device(struct ctl *c)
{
	struct kpool_ioc_version v;
	const char *path = c->device ? c->device : KP_DEFAULT_DEVICE;
	const char *hint;
	int fd, ret;

	if (c->fd >= 0)
		return -1;
	fd = kp_open(path);
	/* without write permission: a monitoring client (LIST, STATS, ...) */
	if (fd == -EACCES || fd == -EPERM) {
		fd = kp_open_mode(path, O_RDONLY);
		c->read_only = fd >= 0;
	}
	if (fd < 0) {
		hint = kp_open_hint(fd);
		fflush(stdout);
		fprintf(stderr, "kpoolctl: cannot open %s: %s%s%s%s\n", path,
			kp_strerror(fd), *hint ? " (" : "", hint,
			*hint ? ")" : "");
		return EXIT_NODEV;
	}
	ret = kp_version(fd, &v);
	if (ret) {
		fflush(stdout);
		fprintf(stderr, "kpoolctl: %s: not a kpool device: VERSION failed: %s\n",
			path, kp_strerror(ret));
		close(fd);
		return EXIT_NODEV;
	}
	if (v.abi_version != KPOOL_ABI_VERSION)
		msg(c, "note: device ABI version %u, kpoolctl built for %u",
		    v.abi_version, KPOOL_ABI_VERSION);
	c->fd = fd;
	c->max_batch = v.max_batch ? v.max_batch : KPOOL_IOC_MAX_BATCH;
	if (c->max_batch > KPOOL_IOC_MAX_BATCH)
		c->max_batch = KPOOL_IOC_MAX_BATCH;
	return -1;
}

/* ---- option parsing -------------------------------------------------- */

enum { OPT_HELP = 1000, OPT_BAD };

/* Options every verb takes, besides its own. */
static const struct option common_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, 'j' },
};

#define MAX_VERB_OPTIONS	8

/*
 * An option of a verb, --NAME or -VAL. With @what it takes a number
 * (named @what in messages), parsed into *@u64, or into *@u32 up to @max,
 * or left in optarg for the verb when neither is set; without, it is a
 * flag, which sets @bit in *@flags where @flags is set. *@given, where
 * @given is set, becomes true when the option is given.
 */
struct verb_opt {
	const char *name;
	int val;
	const char *what;
	u64 *u64;
	u32 *u32;
	u32 max;
	u32 *flags;
	u32 bit;
	bool *given;
};

static void print_verb_help(const struct verb *v)
{
	printf("Usage: kpoolctl [--json] [--device PATH] %s\n\n%s.\n",
	       v->synopsis, v->summary);
	if (v->details)
		printf("\n%s", v->details);
}

static int parse_u64_arg(struct ctl *c, const char *what, const char *s,
			 u64 *v)
{
	if (kp_parse_u64(s, v))
		return usage_error(c, "bad %s '%s' (a number, 0x hex, K/M/G suffix)",
				   what, s);
	return -1;
}

static int parse_u32_arg(struct ctl *c, const char *what, const char *s,
			 u32 max, u32 *v)
{
	if (kp_parse_u32(s, max, v))
		return usage_error(c, "bad %s '%s' (a number up to %u)",
				   what, s, max);
	return -1;
}

/* Option @o was given: its number or flag into place. Its val, or OPT_BAD. */
static int take_opt(struct ctl *c, const struct verb_opt *o)
{
	int ret = -1;

	if (o->u64)
		ret = parse_u64_arg(c, o->what, optarg, o->u64);
	else if (o->u32)
		ret = parse_u32_arg(c, o->what, optarg, o->max, o->u32);
	if (ret >= 0)
		return OPT_BAD;
	if (o->flags)
		*o->flags |= o->bit;
	if (o->given)
		*o->given = true;
	return o->val;
}

/*
 * getopt_long() for a verb with its own options @opts (@n of them) and the
 * common ones. Handles --help (prints it: OPT_HELP), --json and errors, a
 * bad number among them (OPT_BAD, after the message), and takes each of
 * @opts (take_opt()). Returns the val of the option taken, or -1.
 */
static int next_opt(struct ctl *c, int argc, char **argv,
		    const struct verb_opt *opts, size_t n)
{
	struct option all[MAX_VERB_OPTIONS + ARRAY_SIZE(common_options) + 1];
	char shortopts[3 + 2 * MAX_VERB_OPTIONS + 1] = ":hj";
	size_t i, len = strlen(shortopts);
	int opt;

	for (i = 0; i < n && i < MAX_VERB_OPTIONS; i++) {
		all[i] = (struct option){ opts[i].name,
			opts[i].what ? required_argument : no_argument, NULL,
			opts[i].val };
		shortopts[len++] = (char)opts[i].val;
		if (opts[i].what)
			shortopts[len++] = ':';
	}
	memcpy(all + i, common_options, sizeof(common_options));
	memset(all + i + ARRAY_SIZE(common_options), 0, sizeof(all[0]));
	for (;;) {
		opt = getopt_long(argc, argv, shortopts, all, NULL);
		switch (opt) {
		case 'j':
			c->json = true;
			continue;
		case 'h':
			print_verb_help(find_verb(c->verb));
			return OPT_HELP;
		case ':':
			usage_error(c, "option '%s' needs an argument",
				    argv[optind - 1]);
			return OPT_BAD;
		case '?':
			if (optopt)
				usage_error(c, "unknown option '-%c'", optopt);
			else
				usage_error(c, "unknown option '%s'",
					    argv[optind - 1]);
			return OPT_BAD;
		case -1:
			return -1;
		default:
			for (i = 0; opts[i].val != opt; i++)
				;
			return take_opt(c, &opts[i]);
		}
	}
}

/* What next_opt() returned: EXIT_OK after --help, EXIT_USAGE, or -1. */
static int opt_status(int opt)
{
	if (opt == OPT_HELP)
		return EXIT_OK;
	return opt == OPT_BAD ? EXIT_USAGE : -1;
}

/*
 * Every option of a verb that needs nothing beyond take_opt() (@opts, @n
 * of them; none: the common options only); positional arguments start at
 * optind. Returns -1 to go on, or the exit status.
 */
static int verb_opts(struct ctl *c, int argc, char **argv,
		     const struct verb_opt *opts, size_t n)
{
	int opt, ret = -1;

	while (ret < 0 && (opt = next_opt(c, argc, argv, opts, n)) != -1)
		ret = opt_status(opt);
	return ret;
}

/* Check the number of positional arguments left after the options. */
static int want_args(struct ctl *c, int argc, int min, int max)
{
	int n = argc - optind;

	if (n < min)
		return usage_error(c, "missing argument");
	if (max >= 0 && n > max)
		return usage_error(c, "unexpected argument");
	return -1;
}

/* For verbs without a POOL: at most @max arguments, then the device. */
static int device_args(struct ctl *c, int argc, int max)
{
	int ret = want_args(c, argc, 0, max);

	return ret < 0 ? need_device(c) : ret;
}

/* For verbs that take no argument: the common options, then the device. */
static int device_verb_args(struct ctl *c, int argc, char **argv)
{
	int ret = verb_opts(c, argc, argv, NULL, 0);

	return ret < 0 ? device_args(c, argc, 0) : ret;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/*
 * POOL: a numeric id, or a name looked up through LIST; under the 'set'
 * verb a set, looked up through SET_LIST. Opens the device.
 */
static int resolve_pool(struct ctl *c, const char *arg, struct pool_ref *p)
{
	const char *kind = c->sets ? "set" : "pool";
	int ret = need_device(c);

	if (ret >= 0)
		return ret;
	p->set = c->sets;
	if (all_digits(arg)) {
		if (kp_parse_u32(arg, UINT32_MAX, &p->id))
			return usage_error(c, "bad %s id '%s'", kind, arg);
		snprintf(p->label, sizeof(p->label), "%s %u", kind, p->id);
		return -1;
	}
	if (p->set)
		ret = kp_find_set(c->fd, arg, &p->id);
	else
		ret = kp_find_pool(c->fd, arg, &p->id);
	if (ret == -ENOENT) {
		msg(c, "no %s named '%s'", kind, arg);
		return EXIT_FAIL;
	}
	if (ret)
		return fail(c, "list", ret);
	snprintf(p->label, sizeof(p->label), "%s %u (%.32s)", kind,
		 p->id, arg);
	return -1;
}

/* The one positional argument POOL, after the options: the pool. */
static int pool_arg(struct ctl *c, int argc, char **argv, struct pool_ref *p)
{
	int ret = want_args(c, argc, 1, 1);

	return ret < 0 ? resolve_pool(c, argv[optind], p) : ret;
}

/* For verbs of the form "VERB POOL": options (@opts, @n), the pool. */
static int pool_verb_args(struct ctl *c, int argc, char **argv,
			  const struct verb_opt *opts, size_t n,
			  struct pool_ref *p)
{
	int ret = verb_opts(c, argc, argv, opts, n);

	return ret < 0 ? pool_arg(c, argc, argv, p) : ret;
}

/* ---- session handles -------------------------------------------------- */

static int hold(struct ctl *c, const struct pool_ref *p, u32 handle)
{
	struct held *h;

	if (c->nr_held == c->cap_held) {
		size_t cap = c->cap_held ? 2 * c->cap_held : 64;

		h = realloc(c->held, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		c->held = h;
		c->cap_held = cap;
	}
	c->held[c->nr_held++] = (struct held){ p->id, handle, p->set, true };
	return 0;
}

/* Was @h allocated in the pool or set @p? */
static bool held_in(const struct held *h, const struct pool_ref *p)
{
	return h->pool_id == p->id && h->set == p->set;
}

static void release(struct ctl *c, const struct pool_ref *p, u32 handle)
{
	size_t i;

	for (i = 0; i < c->nr_held; i++)
		if (c->held[i].live && held_in(&c->held[i], p) &&
		    c->held[i].handle == handle)
			c->held[i].live = false;
}

static void release_pool(struct ctl *c, const struct pool_ref *p)
{
	size_t i;

	for (i = 0; i < c->nr_held; i++)
		if (held_in(&c->held[i], p))
			c->held[i].live = false;
}

/* @h and @h + 1 are consecutive handles of one pool or set. */
static bool held_next(const struct held *h)
{
	return h[1].live && h[1].pool_id == h[0].pool_id &&
	       h[1].set == h[0].set && h[1].handle == h[0].handle + 1;
}

/*
 * "@1..@100 = 1048576..1048675", "@7 = 1048590": the run of @refs from
 * @first (1-based) as far as held_next() goes, at most @max long. Returns
 * the length of the run.
 */
static size_t ref_run(const struct ctl *c, size_t first, size_t max,
		      char *buf, size_t size)
{
	const struct held *h = &c->held[first - 1];
	size_t n = 1;

	while (n < max && first + n <= c->nr_held && held_next(&h[n - 1]))
		n++;
	if (n == 1)
		snprintf(buf, size, "@%zu = %u", first, h->handle);
	else
		snprintf(buf, size, "@%zu..@%zu = %u..%u", first, first + n - 1,
			 h->handle, h[n - 1].handle);
	return n;
}

/*
 * What this session holds of @p, for a message, into @buf: "holds @1..@100
 * = 1048576..1048675", "holds 57 blocks: @1..@50 = 1048576..1048625,
 * @52..@58 = 1048627..1048633, ..." (two runs at most), "holds none of
 * its blocks".
 */
static void describe_holdings(const struct ctl *c, const struct pool_ref *p,
			      char *buf, size_t size)
{
	char runs[3][64];
	size_t i = 0, n = 0, len, live = 0;

	while (i < c->nr_held) {
		if (!c->held[i].live || !held_in(&c->held[i], p)) {
			i++;
			continue;
		}
		len = ref_run(c, i + 1, SIZE_MAX, runs[n < 2 ? n : 2],
			      sizeof(runs[0]));
		live += len;
		i += len;
		n++;
	}
	if (!live)
		snprintf(buf, size, "holds none of its blocks");
	else if (n == 1)
		snprintf(buf, size, "holds %s", runs[0]);
	else
		snprintf(buf, size, "holds %zu blocks: %s, %s%s", live, runs[0],
			 runs[1], n > 2 ? ", ..." : "");
}

/*
 * Why @handle is no block of @p, from what this session holds: another
 * pool's (or set's) block, a freed one, or not one of its handles; with a
 * guess when @handle is the number of a live @ref of @p. Into @buf; empty
 * outside a session.
 */
static void explain_handle(const struct ctl *c, const struct pool_ref *p,
			   u32 handle, char *buf, size_t size)
{
	const struct held *h;
	char holds[192];
	size_t i;

	buf[0] = '\0';
	if (!c->in_session)
		return;
	for (i = c->nr_held; i--; ) {
		h = &c->held[i];
		if (h->handle != handle)
			continue;
		if (h->live && !held_in(h, p)) {
			snprintf(buf, size, "@%zu = %u is a block of %s %u", i + 1,
				 handle, h->set ? "set" : "pool", h->pool_id);
			return;
		}
		if (!h->live) {
			snprintf(buf, size, "@%zu = %u was freed", i + 1, handle);
			return;
		}
	}
	describe_holdings(c, p, holds, sizeof(holds));
	if (handle >= 1 && handle <= c->nr_held &&
	    c->held[handle - 1].live && held_in(&c->held[handle - 1], p))
		snprintf(buf, size, "this file %s: did you mean @%u = %u?",
			 holds, handle, c->held[handle - 1].handle);
	else
		snprintf(buf, size, "this file %s", holds);
}

/*
 * A call on @handle of @p failed with @err: the message names what the
 * session holds when the handle is the reason (ENOENT, EINVAL).
 */
static int fail_handle(struct ctl *c, const struct pool_ref *p, u32 handle,
		       int err)
{
	char what[96], why[256];

	snprintf(what, sizeof(what), "%s: handle %u", p->label, handle);
	why[0] = '\0';
	if (err == -ENOENT || err == -EINVAL)
		explain_handle(c, p, handle, why, sizeof(why));
	return fail_hint(c, what, err, *why ? why : errno_hint(c, err));
}

/* HANDLE: a number, @N (the Nth handle of this session) or @last. */
static int parse_handle(struct ctl *c, const char *arg, u32 *handle)
{
	u64 n;

	if (arg[0] != '@')
		return parse_u32_arg(c, "handle", arg, UINT32_MAX, handle);
	if (!c->in_session)
		return usage_error(c, "'%s': @references work only in a session (kpoolctl run)",
				   arg);
	if (!strcmp(arg, "@last"))
		n = c->nr_held;
	else if (kp_parse_u64(arg + 1, &n))
		return usage_error(c, "bad handle reference '%s'", arg);
	if (n < 1 || n > c->nr_held)
		return usage_error(c, "'%s': this session allocated %zu handles",
				   arg, c->nr_held);
	*handle = c->held[n - 1].handle;
	return -1;
}

/* ---- list ------------------------------------------------------------- */

static const char *owner_name(u32 owner)
{
	switch (owner) {
	case KPOOL_OWNER_SELF:
		return "self";
	case KPOOL_OWNER_OTHER_FILE:
		return "other";
	case KPOOL_OWNER_KERNEL:
		return "kernel";
	default:
		return "?";
	}
}

/*
 * The owner as a person reads it: "this file", "another file", "kernel",
 * with "set of ..." for the class pools of a set.
 */
static const char *owner_text(u32 owner, u32 flags)
{
	static const char *const plain[][2] = {
		[KPOOL_OWNER_SELF] = { "this file", "set of this file" },
		[KPOOL_OWNER_OTHER_FILE] = { "another file", "set of another file" },
		[KPOOL_OWNER_KERNEL] = { "kernel", "set of the kernel" },
	};

	if (owner >= ARRAY_SIZE(plain))
		return "?";
	return plain[owner][!!(flags & KPOOL_ENTRY_F_CLASS)];
}

static double percent(u64 part, u64 whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void list_json(struct ctl *c, const struct kpool_ioc_pool_entry *e,
		      u32 n)
{
	u32 i;

	json_object_begin(&c->j, NULL);
	json_array_begin(&c->j, "pools");
	for (i = 0; i < n; i++) {
		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "id", e[i].pool_id);
		json_string_n(&c->j, "name", e[i].name, KPOOL_IOC_NAME_LEN);
		json_string(&c->j, "owner", owner_name(e[i].owner));
		json_bool(&c->j, "set_class", e[i].flags & KPOOL_ENTRY_F_CLASS);
		json_u64(&c->j, "block_size", e[i].block_size);
		/* counts withheld: STATS would be refused too */
		if (!(e[i].flags & KPOOL_ENTRY_F_REDACTED)) {
			json_u64(&c->j, "blocks_in_use", e[i].blocks_in_use);
			json_u64(&c->j, "blocks_total", e[i].blocks_total);
		}
		json_object_end(&c->j);
	}
	json_array_end(&c->j);
	json_object_end(&c->j);
}

static void list_text(const struct kpool_ioc_pool_entry *e, u32 n)
{
	char name[KPOOL_IOC_NAME_LEN + 1];
	u32 i;

	if (!n) {
		printf("no pools\n");
		return;
	}
	printf("%6s  %-31s  %-19s  %8s  %9s  %9s  %6s\n", "ID", "NAME",
	       "OWNER", "BLOCK", "IN USE", "TOTAL", "USE%");
	for (i = 0; i < n; i++) {
		kp_name(name, e[i].name);
		printf("%6u  %-31s  %-19s  %8llu", e[i].pool_id, name,
		       owner_text(e[i].owner, e[i].flags), e[i].block_size);
		if (e[i].flags & KPOOL_ENTRY_F_REDACTED)
			printf("  %9s  %9s  %6s\n", "-", "-", "-");
		else
			printf("  %9llu  %9llu  %6.1f\n", e[i].blocks_in_use,
			       e[i].blocks_total,
			       percent(e[i].blocks_in_use, e[i].blocks_total));
	}
	printf("(names are unique per owner: the id tells pools apart)\n");
}

static void set_list_json(struct ctl *c, const struct kpool_ioc_set_entry *e,
			  u32 n)
{
	u32 i;

	json_object_begin(&c->j, NULL);
	json_array_begin(&c->j, "sets");
	for (i = 0; i < n; i++) {
		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "id", e[i].set_id);
		json_string_n(&c->j, "name", e[i].name, KPOOL_IOC_NAME_LEN);
		json_u64(&c->j, "classes", e[i].nr_classes);
		json_u64(&c->j, "min_size", e[i].min_size);
		json_u64(&c->j, "max_size", e[i].max_size);
		json_u64(&c->j, "blocks_in_use", e[i].blocks_in_use);
		json_u64(&c->j, "bytes_in_use", e[i].bytes_in_use);
		json_object_end(&c->j);
	}
	json_array_end(&c->j);
	json_object_end(&c->j);
}

static void set_list_text(FILE *f, const struct kpool_ioc_set_entry *e,
			  u32 n)
{
	char name[KPOOL_IOC_NAME_LEN + 1];
	u32 i;

	if (!n) {
		fprintf(f, "no sets in this open file\n");
		return;
	}
	fprintf(f, "%6s  %-23s  %7s  %8s  %8s  %9s  %12s\n", "ID", "NAME",
		"CLASSES", "MIN", "MAX", "IN USE", "BYTES");
	for (i = 0; i < n; i++) {
		kp_name(name, e[i].name);
		fprintf(f, "%6u  %-23s  %7u  %8llu  %8llu  %9llu  %12llu\n",
			e[i].set_id, name, e[i].nr_classes, e[i].min_size,
			e[i].max_size, e[i].blocks_in_use, e[i].bytes_in_use);
	}
}

/* list, and set list: the sets of this open file. */
static int cmd_list(struct ctl *c, int argc, char **argv)
{
	struct kpool_ioc_pool_entry *e = NULL;
	struct kpool_ioc_set_entry *se = NULL;
	u32 n;
	int ret = device_verb_args(c, argc, argv);

	if (ret >= 0)
		return ret;
	if (c->sets)
		ret = kp_set_list(c->fd, &se, &n);
	else
		ret = kp_list(c->fd, &e, &n);
	if (ret)
		return fail(c, c->sets ? "SET_LIST" : "LIST", ret);
	if (c->sets && c->json)
		set_list_json(c, se, n);
	else if (c->sets)
		set_list_text(stdout, se, n);
	else if (c->json)
		list_json(c, e, n);
	else
		list_text(e, n);
	free(e);
	free(se);
	return EXIT_OK;
}

/* ---- stats ------------------------------------------------------------ */

struct stat_field {
	const char *name;
	size_t offset;		/* of a __u64 in struct kpool_ioc_stats */
};

#define STAT(f) { #f, offsetof(struct kpool_ioc_stats, f) }

static const struct stat_field geometry_fields[] = {
	STAT(block_size), STAT(block_stride), STAT(align), STAT(boundary),
	STAT(blocks_per_chunk), STAT(wasted_per_chunk), STAT(chunks),
	STAT(pages),
};

static const struct stat_field memory_fields[] = {
	STAT(meta_per_chunk), STAT(percpu_bytes), STAT(meta_bytes),
	STAT(charged_bytes),
};

static const struct stat_field occupancy_fields[] = {
	STAT(blocks_total), STAT(blocks_in_use), STAT(blocks_free),
	STAT(blocks_rcu_pending), STAT(blocks_reserved), STAT(min_blocks), STAT(max_blocks),
	STAT(high_watermark),
};

/* The counters, from the uapi's list: the err_* ones are the errors. */
#define EVENT_FIELD(name, offset) { #name, offset },
static const struct stat_field counter_fields[] = {
	KPOOL_IOC_STATS_EVENTS(EVENT_FIELD)
};

static bool is_error(const struct stat_field *f)
{
	return !strncmp(f->name, "err_", 4);
}

static bool is_event(const struct stat_field *f)
{
	return !is_error(f);
}

static const struct {
	const char *title;
	const struct stat_field *fields;
	size_t n;
	bool (*pick)(const struct stat_field *f);	/* NULL: every field */
} stat_groups[] = {
	{ "geometry", geometry_fields, ARRAY_SIZE(geometry_fields), NULL },
	{ "memory", memory_fields, ARRAY_SIZE(memory_fields), NULL },
	{ "occupancy", occupancy_fields, ARRAY_SIZE(occupancy_fields), NULL },
	{ "events", counter_fields, ARRAY_SIZE(counter_fields), is_event },
	{ "errors", counter_fields, ARRAY_SIZE(counter_fields), is_error },
};

static u64 stat_value(const struct kpool_ioc_stats *st,
		      const struct stat_field *f)
{
	u64 v;

	memcpy(&v, (const char *)st + f->offset, sizeof(v));
	return v;
}

/* "zero,debug" or "none". */
static const char *flag_names(u32 flags, char *buf, size_t size)
{
	static const struct {
		u32 bit;
		const char *name;
	} names[] = {
		{ KPOOL_IOC_F_ZERO, "zero" },
		{ KPOOL_IOC_F_DEBUG, "debug" },
		{ KPOOL_IOC_F_NO_SHRINK, "no_shrink" },
	};
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(flags & names[i].bit))
			continue;
		len += snprintf(buf + len, size - len, "%s%s",
				len ? "," : "", names[i].name);
		flags &= ~names[i].bit;
		if (len >= size)
			return buf;
	}
	if (flags)
		snprintf(buf + len, size - len, "%s0x%x",
			 len ? "," : "", flags);
	else if (!len)
		snprintf(buf, size, "none");
	return buf;
}

static void stats_json(struct ctl *c, const struct kpool_ioc_stats *st)
{
	const struct stat_field *f;
	size_t g, i;

	json_object_begin(&c->j, NULL);
	json_u64(&c->j, "id", st->pool_id);
	json_string_n(&c->j, "name", st->name, KPOOL_IOC_NAME_LEN);
	json_u64(&c->j, "flags", st->flags);
	json_bool(&c->j, "zero", st->flags & KPOOL_IOC_F_ZERO);
	json_bool(&c->j, "debug", st->flags & KPOOL_IOC_F_DEBUG);
	json_u64(&c->j, "chunk_order", st->chunk_order);
	json_i64(&c->j, "node", st->node);
	for (g = 0; g < ARRAY_SIZE(stat_groups); g++) {
		for (i = 0; i < stat_groups[g].n; i++) {
			f = &stat_groups[g].fields[i];
			if (!stat_groups[g].pick || stat_groups[g].pick(f))
				json_u64(&c->j, f->name, stat_value(st, f));
		}
	}
	json_object_end(&c->j);
}

/* Statistics in two columns, a group at a time. */
static void stats_text(const struct kpool_ioc_stats *st)
{
	char name[KPOOL_IOC_NAME_LEN + 1], flags[64];
	const struct stat_field *f;
	size_t g, i, n;

	kp_name(name, st->name);
	printf("pool %u (%s): flags %s, chunk order %u, ", st->pool_id, name,
	       flag_names(st->flags, flags, sizeof(flags)), st->chunk_order);
	if (st->node < 0)
		printf("any NUMA node\n");
	else
		printf("NUMA node %d\n", st->node);
	for (g = 0; g < ARRAY_SIZE(stat_groups); g++) {
		printf("%s:", stat_groups[g].title);
		for (i = n = 0; i < stat_groups[g].n; i++) {
			f = &stat_groups[g].fields[i];
			if (stat_groups[g].pick && !stat_groups[g].pick(f))
				continue;
			printf("%s%-18s %12llu", n++ % 2 ? "    " : "\n  ", f->name,
			       stat_value(st, f));
		}
		putchar('\n');
	}
}

static int cmd_stats(struct ctl *c, int argc, char **argv)
{
	struct kpool_ioc_stats st;
	struct pool_ref p;
	int ret = pool_verb_args(c, argc, argv, NULL, 0, &p);

	if (ret >= 0)
		return ret;
	ret = kp_stats(c->fd, p.id, &st);
	if (ret)
		return fail(c, p.label, ret);
	if (c->json)
		stats_json(c, &st);
	else
		stats_text(&st);
	return EXIT_OK;
}

/* ---- info: the occupancy map ------------------------------------------ */

#define MAP_LEVELS	5

struct shades {
	const char *cell[MAP_LEVELS];
};

static const struct shades ascii_shades = { { ".", "-", "+", "*", "#" } };
static const struct shades utf8_shades = {
	{ "\u00b7", "\u2591", "\u2592", "\u2593", "\u2588" }
};

static const char *const level_names[MAP_LEVELS] = {
	"empty", "1-33%", "34-66%", "67-99%", "full",
};

/* 0: empty, 4: full, 1..3: thirds in between. */
static unsigned int fill_level(u32 in_use, u32 per_chunk)
{
	unsigned int level;

	if (!in_use)
		return 0;
	if (in_use >= per_chunk)
		return MAP_LEVELS - 1;
	level = 1 + (unsigned int)((u64)in_use * 3 / per_chunk);
	return level < MAP_LEVELS - 1 ? level : MAP_LEVELS - 2;
}

/* The first of LC_ALL, LC_CTYPE, LANG that is set names a UTF-8 locale. */
static bool locale_is_utf8(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
	const char *v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vars); i++) {
		v = getenv(vars[i]);
		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return false;
}

static void info_json(struct ctl *c, const struct kpool_ioc_stats *st,
		      const u32 *map, u32 nr, u32 per_chunk)
{
	json_object_begin(&c->j, NULL);
	json_u64(&c->j, "id", st->pool_id);
	json_string_n(&c->j, "name", st->name, KPOOL_IOC_NAME_LEN);
	json_u64(&c->j, "chunk_order", st->chunk_order);
	json_u64(&c->j, "blocks_per_chunk", per_chunk);
	json_u64(&c->j, "blocks_in_use", st->blocks_in_use);
	json_u64(&c->j, "blocks_total", st->blocks_total);
	json_u64(&c->j, "chunks", nr);
	json_u32_array(&c->j, "map", map, nr);
	json_object_end(&c->j);
}

static void info_text(const struct kpool_ioc_stats *st, const u32 *map,
		      u32 nr, u32 per_chunk, const struct shades *sh)
{
	char name[KPOOL_IOC_NAME_LEN + 1];
	unsigned int level;
	u32 i;

	kp_name(name, st->name);
	printf("pool %u (%s): %u chunk%s of %u blocks (order %u, %llu-byte blocks),",
	       st->pool_id, name, nr, nr == 1 ? "" : "s", per_chunk,
	       st->chunk_order, st->block_size);
	printf(" %llu/%llu blocks in use (%.1f%%)\n", st->blocks_in_use,
	       st->blocks_total, percent(st->blocks_in_use, st->blocks_total));
	for (i = 0; i < nr; i++) {
		if (i % MAP_ROW == 0)
			printf("%s%6u ", i ? "\n" : "", i);
		fputs(sh->cell[fill_level(map[i], per_chunk)], stdout);
	}
	if (nr)
		putchar('\n');
	else
		printf("  (no chunks)\n");
	printf("legend: one cell per chunk, row label = first chunk index;");
	for (level = 0; level < MAP_LEVELS; level++)
		printf(" %s %s", sh->cell[level], level_names[level]);
	putchar('\n');
}

static int cmd_info(struct ctl *c, int argc, char **argv)
{
	static const struct verb_opt opts[] = {
		{ .name = "ascii", .val = 'a' },
		{ .name = "utf8", .val = 'u' },
	};
	const struct shades *sh = locale_is_utf8() ? &utf8_shades : &ascii_shades;
	struct kpool_ioc_stats st;
	u32 *map, nr, per_chunk;
	struct pool_ref p;
	int opt, ret = -1;

	while (ret < 0 && (opt = next_opt(c, argc, argv, opts, ARRAY_SIZE(opts))) != -1) {
		ret = opt_status(opt);
		if (opt == 'a' || opt == 'u')
			sh = opt == 'a' ? &ascii_shades : &utf8_shades;
	}
	if (ret < 0)
		ret = pool_arg(c, argc, argv, &p);
	if (ret >= 0)
		return ret;
	ret = kp_stats(c->fd, p.id, &st);
	if (ret)
		return fail(c, p.label, ret);
	ret = kp_info(c->fd, p.id, &map, &nr, &per_chunk);
	if (ret)
		return fail(c, p.label, ret);
	if (c->json)
		info_json(c, &st, map, nr, per_chunk);
	else
		info_text(&st, map, nr, per_chunk, sh);
	free(map);
	return EXIT_OK;
}

/* ---- version ---------------------------------------------------------- */

static const struct {
	u64 bit;
	const char *name;
} features[] = {
	{ KPOOL_FEAT_BATCH, "batch" },
	{ KPOOL_FEAT_RW, "rw" },
	{ KPOOL_FEAT_OCCUPANCY, "occupancy" },
	{ KPOOL_FEAT_FAULT, "fault" },
	{ KPOOL_FEAT_SETS, "sets" },
	{ KPOOL_FEAT_CHARGE_PAGES, "charge_pages" },
	{ KPOOL_FEAT_OPEN_MODE, "open_mode" },
	{ KPOOL_FEAT_NAME_SPACES, "name_spaces" },
	{ KPOOL_FEAT_RCU_STATS, "rcu_stats" },
};

static int cmd_version(struct ctl *c, int argc, char **argv)
{
	struct kpool_ioc_version v;
	size_t i;
	int ret = device_verb_args(c, argc, argv);

	if (ret >= 0)
		return ret;
	ret = kp_version(c->fd, &v);
	if (ret)
		return fail(c, "VERSION", ret);
	if (c->json) {
		json_object_begin(&c->j, NULL);
		json_string(&c->j, "kpoolctl", KPOOLCTL_VERSION);
		json_u64(&c->j, "abi_version", v.abi_version);
		json_u64(&c->j, "features_mask", v.features);
		json_array_begin(&c->j, "features");
		for (i = 0; i < ARRAY_SIZE(features); i++)
			if (v.features & features[i].bit)
				json_string(&c->j, NULL, features[i].name);
		json_array_end(&c->j);
		json_u64(&c->j, "max_batch", v.max_batch);
		json_u64(&c->j, "max_name_len", v.max_name_len);
		json_object_end(&c->j);
		return EXIT_OK;
	}
	printf("kpoolctl %s (built for ABI %d)\n", KPOOLCTL_VERSION,
	       KPOOL_ABI_VERSION);
	printf("device ABI version  %u\n", v.abi_version);
	printf("features            0x%llx", v.features);
	for (i = 0; i < ARRAY_SIZE(features); i++)
		if (v.features & features[i].bit)
			printf(" %s", features[i].name);
	printf("\nmax batch           %u\n", v.max_batch);
	printf("max name length     %u\n", v.max_name_len);
	return EXIT_OK;
}

/* ---- create / destroy -------------------------------------------------- */

/*
 * The options of create and set create (@opts, @n of them), then NAME,
 * their one argument: @required names the option the verb cannot do
 * without (given: @have_required), @name_size bounds the name, its
 * terminator included. Opens the device. Returns -1 to go on, or the exit
 * status.
 */
static int create_args(struct ctl *c, int argc, char **argv,
		       const struct verb_opt *opts, size_t n,
		       const bool *have_required, const char *required,
		       size_t name_size, const char **name)
{
	int ret = verb_opts(c, argc, argv, opts, n);

	if (ret < 0)
		ret = want_args(c, argc, 1, 1);
	if (ret >= 0)
		return ret;
	if (!*have_required)
		return usage_error(c, "%s is required", required);
	*name = argv[optind];
	if (strlen(*name) >= name_size)
		return usage_error(c, "name '%s' is too long (at most %zu bytes)",
				   *name, name_size - 1);
	return need_device(c);
}

/* What create and set create print for the new @kind ("pool", "set"). */
static int report_created(struct ctl *c, const char *kind, u32 id,
			  const char *name, const char *detail)
{
	if (c->json) {
		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "id", id);
		json_string(&c->j, "name", name);
		json_object_end(&c->j);
	} else {
		printf("created %s %u (%s): %s\n", kind, id, name, detail);
	}
	if (!c->in_session)
		msg(c, "note: the %s dies when kpoolctl exits; 'kpoolctl run' keeps it",
		    kind);
	return EXIT_OK;
}

static int cmd_create(struct ctl *c, int argc, char **argv)
{
	struct kpool_ioc_create cr = { 0 };
	u32 order = (u32)KPOOL_IOC_ORDER_AUTO;
	bool have_size = false;
	const struct verb_opt opts[] = {
		{ "size", 's', "size", .u64 = &cr.block_size, .given = &have_size },
		{ "align", 'a', "alignment", .u64 = &cr.align },
		{ "min", 'm', "minimum", .u32 = &cr.min_blocks, .max = UINT32_MAX },
		{ "max", 'M', "maximum", .u32 = &cr.max_blocks, .max = UINT32_MAX },
		{ "order", 'o', "order", .u32 = &order, .max = INT32_MAX },
		{ "zero", 'z', .flags = &cr.flags, .bit = KPOOL_IOC_F_ZERO },
		{ "debug", 'd', .flags = &cr.flags, .bit = KPOOL_IOC_F_DEBUG },
	};
	const char *name;
	char detail[64];
	int ret = create_args(c, argc, argv, opts, ARRAY_SIZE(opts), &have_size,
			      "--size", sizeof(cr.name), &name);

	if (ret >= 0)
		return ret;
	memcpy(cr.name, name, strlen(name));
	cr.order = (s32)order;
	ret = kp_create(c->fd, &cr);
	if (ret)
		return fail(c, name, ret);
	snprintf(detail, sizeof(detail), "%llu-byte blocks", cr.block_size);
	return report_created(c, "pool", cr.pool_id, name, detail);
}

static int cmd_destroy(struct ctl *c, int argc, char **argv)
{
	struct pool_ref p;
	int ret = pool_verb_args(c, argc, argv, NULL, 0, &p);

	if (ret >= 0)
		return ret;
	if (p.set)
		ret = kp_set_destroy(c->fd, p.id);
	else
		ret = kp_destroy(c->fd, p.id);
	if (ret)
		return fail(c, p.label, ret);
	release_pool(c, &p);
	if (c->json) {
		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "id", p.id);
		json_bool(&c->j, "destroyed", true);
		json_object_end(&c->j);
	} else {
		printf("%s: destroyed\n", p.label);
	}
	return EXIT_OK;
}

static int cmd_shrink(struct ctl *c, int argc, char **argv)
{
	struct pool_ref p;
	u64 pages;
	int ret = pool_verb_args(c, argc, argv, NULL, 0, &p);

	if (ret >= 0)
		return ret;
	ret = kp_shrink(c->fd, p.id, &pages);
	if (ret)
		return fail(c, p.label, ret);
	if (c->json) {
		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "id", p.id);
		json_u64(&c->j, "pages", pages);
		json_object_end(&c->j);
	} else {
		printf("%s: returned %llu page%s\n", p.label, pages,
		       pages == 1 ? "" : "s");
	}
	return EXIT_OK;
}

static int cmd_fault(struct ctl *c, int argc, char **argv)
{
	u32 every = 0, ppm = 0;
	bool set = false;
	const struct verb_opt opts[] = {
		{ "every", 'e', "--every", .u32 = &every, .max = UINT32_MAX,
		  .given = &set },
		{ "probability", 'p', "--probability", .u32 = &ppm, .max = 1000000,
		  .given = &set },
		{ "off", 'o', .given = &set },
	};
	struct pool_ref p;
	int opt, ret = -1;

	while (ret < 0 && (opt = next_opt(c, argc, argv, opts, ARRAY_SIZE(opts))) != -1) {
		ret = opt_status(opt);
		if (opt == 'o') {
			every = 0;
			ppm = 0;
		}
	}
	if (ret < 0 && !set)
		ret = usage_error(c, "give --every N, --probability PPM or --off");
	if (ret < 0)
		ret = pool_arg(c, argc, argv, &p);
	if (ret >= 0)
		return ret;
	ret = kp_fault(c->fd, p.id, every, ppm);
	if (ret)
		return fail(c, p.label, ret);
	if (c->json) {
		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "id", p.id);
		json_u64(&c->j, "every_nth", every);
		json_u64(&c->j, "probability_ppm", ppm);
		json_object_end(&c->j);
	} else if (!every && !ppm) {
		printf("%s: growth fault injection off\n", p.label);
	} else {
		printf("%s: growth faults: every %u attempt(s) (0: never), %u ppm\n",
		       p.label, every, ppm);
	}
	return EXIT_OK;
}

/* ---- alloc / free ------------------------------------------------------ */

/*
 * Handles as "1..100 205 207..209", runs of consecutive numbers joined;
 * with @first_ref (the @ref of the first, 0 for none) each run with its
 * @refs: "@1..@100 = 1..100, @101 = 205, @102..@104 = 207..209".
 */
static void print_handles(FILE *f, const u32 *h, u32 n, size_t first_ref)
{
	u32 per_line = first_ref ? REFS_PER_LINE : HANDLES_PER_LINE;
	u32 i, run, printed = 0;

	for (i = 0; i < n; i += run) {
		for (run = 1; i + run < n && h[i + run] == h[i] + run; run++)
			;
		if (printed % per_line)
			fputs(first_ref ? ", " : " ", f);
		else
			fputs(printed ? (first_ref ? ",\n  " : "\n  ") : "  ", f);
		if (first_ref && run > 1)
			fprintf(f, "@%zu..@%zu = ", first_ref + i,
				first_ref + i + run - 1);
		else if (first_ref)
			fprintf(f, "@%zu = ", first_ref + i);
		fprintf(f, "%u", h[i]);
		if (run > 1)
			fprintf(f, "..%u", h[i + run - 1]);
		printed++;
	}
	fputc('\n', f);
}

/* FREE or SET_FREE, as @p names a pool or a set. */
static int free_in(struct ctl *c, const struct pool_ref *p, u32 count,
		   const u32 *h, s32 *status, u32 *freed)
{
	if (p->set)
		return kp_set_free(c->fd, p->id, count, h, status, freed);
	return kp_free(c->fd, p->id, count, h, status, freed);
}

/* Free @n handles of @p in batches, ignoring errors (undo). */
static void free_quietly(struct ctl *c, const struct pool_ref *p,
			 const u32 *h, u32 n)
{
	u32 done, batch;

	for (done = 0; done < n; done += batch) {
		batch = n - done < c->max_batch ? n - done : c->max_batch;
		free_in(c, p, batch, h + done, NULL, NULL);
	}
}

/*
 * Allocate @count blocks of pool @p, or of set @p for requests of @bytes,
 * all or nothing like one ALLOC, also across batches; hold and print them.
 */
static int alloc_blocks(struct ctl *c, const struct pool_ref *p, u64 bytes,
			u32 count)
{
	size_t first_ref = c->nr_held + 1;
	u32 done, batch, i, *h;
	u64 block_size = 0;
	int ret;

	h = calloc(count, sizeof(*h));
	if (!h)
		return fail(c, "alloc", -ENOMEM);
	for (done = 0; done < count; done += batch) {
		batch = count - done < c->max_batch ? count - done : c->max_batch;
		if (p->set)
			ret = kp_set_alloc(c->fd, p->id, bytes, batch, h + done,
					   &block_size);
		else
			ret = kp_alloc(c->fd, p->id, batch, h + done);
		if (ret) {
			free_quietly(c, p, h, done);
			free(h);
			return fail(c, p->label, ret);
		}
	}
	for (i = 0; i < count && c->in_session; i++) {
		ret = hold(c, p, h[i]);
		if (ret) {
			free(h);
			return fail(c, "alloc", ret);
		}
	}
	if (c->json) {
		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "id", p->id);
		if (p->set)
			json_u64(&c->j, "block_size", block_size);
		if (c->in_session)
			json_u64(&c->j, "first_ref", first_ref);
		json_u32_array(&c->j, "handles", h, count);
		json_object_end(&c->j);
	} else {
		printf("%s: allocated %u block%s", p->label, count,
		       count == 1 ? "" : "s");
		if (p->set)
			printf(" of %llu bytes", block_size);
		printf(", handle%s:\n", count == 1 ? "" : "s");
		print_handles(stdout, h, count, c->in_session ? first_ref : 0);
	}
	free(h);
	return EXIT_OK;
}

/* The optional COUNT argument at @argv[@i] (default 1). */
static int count_arg(struct ctl *c, int argc, char **argv, int i, u32 *count)
{
	int ret = -1;

	*count = 1;
	if (i < argc)
		ret = parse_u32_arg(c, "count", argv[i], 1u << 24, count);
	if (ret < 0 && !*count)
		ret = usage_error(c, "count must be at least 1");
	return ret;
}

/* alloc POOL [COUNT], and set alloc SET SIZE [COUNT]. */
static int cmd_alloc(struct ctl *c, int argc, char **argv)
{
	int nr_size = c->sets ? 1 : 0;	/* the SIZE argument of a set */
	struct pool_ref p;
	u64 bytes = 0;
	u32 count;
	int ret = verb_opts(c, argc, argv, NULL, 0);

	if (ret < 0)
		ret = want_args(c, argc, 1 + nr_size, 2 + nr_size);
	if (ret < 0 && nr_size)
		ret = parse_u64_arg(c, "size", argv[optind + 1], &bytes);
	if (ret < 0)
		ret = count_arg(c, argc, argv, optind + 1 + nr_size, &count);
	if (ret < 0)
		ret = resolve_pool(c, argv[optind], &p);
	if (ret >= 0)
		return ret;
	return alloc_blocks(c, &p, bytes, count);
}

/* The live handles this session allocated in @p, malloc()ed. */
static u32 *session_handles(struct ctl *c, const struct pool_ref *p, u32 *n)
{
	u32 *h = calloc(c->nr_held ? c->nr_held : 1, sizeof(*h));
	size_t i;

	*n = 0;
	for (i = 0; h && i < c->nr_held; i++)
		if (c->held[i].live && held_in(&c->held[i], p))
			h[(*n)++] = c->held[i].handle;
	return h;
}

/* Handle arguments (numbers, @N, or "all") into a malloc()ed array. */
static int free_args(struct ctl *c, const struct pool_ref *p, int argc,
		     char **argv, u32 **handles, u32 *n)
{
	u32 *h;
	int i, ret;

	if (argc == 1 && !strcmp(argv[0], "all")) {
		if (!c->in_session)
			return usage_error(c, "'all' needs a session: see 'kpoolctl run'");
		*handles = session_handles(c, p, n);
		return *handles ? -1 : fail(c, "free", -ENOMEM);
	}
	h = calloc(argc, sizeof(*h));
	if (!h)
		return fail(c, "free", -ENOMEM);
	for (i = 0; i < argc; i++) {
		ret = parse_handle(c, argv[i], &h[i]);
		if (ret >= 0) {
			free(h);
			return ret;
		}
	}
	*handles = h;
	*n = (u32)argc;
	return -1;
}

static bool any_error(const s32 *status, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (status[i])
			return true;
	return false;
}

/* FREE in batches; reports each bad handle. Returns handles freed. */
static u32 free_batches(struct ctl *c, const struct pool_ref *p,
			const u32 *h, u32 n, int *first_err)
{
	s32 status[KPOOL_IOC_MAX_BATCH];
	u32 done, batch, freed, total = 0, i;
	int ret;

	*first_err = 0;
	for (done = 0; done < n; done += batch) {
		batch = n - done < c->max_batch ? n - done : c->max_batch;
		freed = 0;
		memset(status, 0, batch * sizeof(status[0]));
		ret = free_in(c, p, batch, h + done, status, &freed);
		if (ret && !any_error(status, batch)) {
			/* the whole call failed: nothing in status[] */
			if (!*first_err)
				*first_err = ret;
			fail(c, p->label, ret);
			continue;
		}
		total += freed;
		for (i = 0; i < batch; i++) {
			if (!status[i]) {
				release(c, p, h[done + i]);
				continue;
			}
			if (!*first_err)
				*first_err = status[i];
			fail_handle(c, p, h[done + i], status[i]);
		}
	}
	return total;
}

static int cmd_free(struct ctl *c, int argc, char **argv)
{
	struct pool_ref p;
	u32 *h, n, freed;
	int err, ret = verb_opts(c, argc, argv, NULL, 0);

	if (ret < 0)
		ret = want_args(c, argc, 2, -1);
	if (ret < 0)
		ret = resolve_pool(c, argv[optind], &p);
	if (ret < 0)
		ret = free_args(c, &p, argc - optind - 1, argv + optind + 1, &h, &n);
	if (ret >= 0)
		return ret;
	freed = free_batches(c, &p, h, n, &err);
	free(h);
	if (c->json) {
		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "id", p.id);
		json_u64(&c->j, "requested", n);
		json_u64(&c->j, "freed", freed);
		json_object_end(&c->j);
	} else {
		printf("%s: freed %u of %u block%s\n",
		       p.label, freed, n, n == 1 ? "" : "s");
	}
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- write / read ------------------------------------------------------ */

static int hex_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/*
 * "68656c6c6f", "0x68656c6c6f", "68 65 6c", "68:65:6c" into @buf (at least
 * strlen(s) / 2 bytes). Returns the length, or -1.
 */
static long parse_hex(const char *s, unsigned char *buf)
{
	long len = 0;
	int hi, lo;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (*s) {
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		hi = hex_digit((unsigned char)s[0]);
		lo = hi < 0 ? -1 : hex_digit((unsigned char)s[1]);
		if (lo < 0)
			return -1;
		buf[len++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	return len;
}

/*
 * The one option @flag of write and read, then four positional arguments:
 * POOL HANDLE OFFSET as the first three; usage errors before the device
 * is opened.
 */
static int block_args(struct ctl *c, int argc, char **argv,
		      const struct verb_opt *flag, struct pool_ref *p,
		      u32 *handle, u64 *offset)
{
	int ret = verb_opts(c, argc, argv, flag, 1);

	if (ret < 0)
		ret = want_args(c, argc, 4, 4);
	if (ret < 0)
		ret = parse_handle(c, argv[optind + 1], handle);
	if (ret < 0)
		ret = parse_u64_arg(c, "offset", argv[optind + 2], offset);
	if (ret < 0)
		ret = resolve_pool(c, argv[optind], p);
	return ret;
}

static int cmd_write(struct ctl *c, int argc, char **argv)
{
	unsigned char *buf = NULL;
	const char *data;
	bool hex = false;
	const struct verb_opt flag = { "hex", 'x', .given = &hex };
	struct pool_ref p;
	u32 handle;
	u64 offset;
	long len;
	int ret = block_args(c, argc, argv, &flag, &p, &handle, &offset);

	if (ret >= 0)
		return ret;
	data = argv[optind + 3];
	len = (long)strlen(data);
	if (hex) {
		buf = malloc(len / 2 + 1);
		if (!buf)
			return fail(c, "write", -ENOMEM);
		len = parse_hex(data, buf);
		if (len < 0) {
			free(buf);
			return usage_error(c, "bad hex data '%s'", data);
		}
		data = (const char *)buf;
	}
	if (p.set)
		ret = kp_set_write(c->fd, p.id, handle, offset, data, (u64)len);
	else
		ret = kp_write(c->fd, p.id, handle, offset, data, (u64)len);
	free(buf);
	if (ret)
		return fail_handle(c, &p, handle, ret);
	if (c->json) {
		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "id", p.id);
		json_u64(&c->j, "handle", handle);
		json_u64(&c->j, "offset", offset);
		json_u64(&c->j, "written", (u64)len);
		json_object_end(&c->j);
	} else {
		printf("%s: handle %u: wrote %ld byte%s at offset %llu\n",
		       p.label, handle, len, len == 1 ? "" : "s", offset);
	}
	return EXIT_OK;
}

/* hexdump -C style, offsets relative to the block. */
static void hexdump(const unsigned char *buf, u64 len, u64 base)
{
	u64 i, j;

	for (i = 0; i < len; i += 16) {
		printf("%08llx ", base + i);
		for (j = i; j < i + 16; j++) {
			if (j % 8 == 0)
				putchar(' ');
			if (j < len)
				printf("%02x ", buf[j]);
			else
				fputs("   ", stdout);
		}
		fputs(" |", stdout);
		for (j = i; j < i + 16 && j < len; j++)
			putchar(isprint(buf[j]) ? buf[j] : '.');
		puts("|");
	}
}

static void read_json(struct ctl *c, const struct pool_ref *p,
		      u32 handle, u64 offset,
		      const unsigned char *buf, u64 len)
{
	char *hex = malloc(2 * len + 1);
	u64 i;

	json_object_begin(&c->j, NULL);
	json_u64(&c->j, "id", p->id);
	json_u64(&c->j, "handle", handle);
	json_u64(&c->j, "offset", offset);
	json_u64(&c->j, "len", len);
	if (hex) {
		for (i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", buf[i]);
		hex[2 * len] = '\0';
		json_string(&c->j, "hex", hex);
	}
	json_object_end(&c->j);
	free(hex);
}

static int cmd_read(struct ctl *c, int argc, char **argv)
{
	unsigned char *buf;
	bool raw = false;
	const struct verb_opt flag = { "raw", 'r', .given = &raw };
	struct pool_ref p;
	u64 offset, len = 0;
	u32 handle;
	int ret = block_args(c, argc, argv, &flag, &p, &handle, &offset);

	if (ret < 0)
		ret = parse_u64_arg(c, "length", argv[optind + 3], &len);
	if (ret < 0 && len > MAX_READ_LEN)
		ret = usage_error(c, "length %llu is too large (blocks are at most 256 KiB)",
				  len);
	if (ret >= 0)
		return ret;
	buf = malloc(len ? len : 1);
	if (!buf)
		return fail(c, "read", -ENOMEM);
	if (p.set)
		ret = kp_set_read(c->fd, p.id, handle, offset, buf, len);
	else
		ret = kp_read(c->fd, p.id, handle, offset, buf, len);
	if (ret) {
		free(buf);
		return fail_handle(c, &p, handle, ret);
	}
	if (c->json)
		read_json(c, &p, handle, offset, buf, len);
	else if (raw)
		fwrite(buf, 1, len, stdout);
	else
		hexdump(buf, len, offset);
	free(buf);
	return EXIT_OK;
}

/* ---- set: pool sets ------------------------------------------------------ */

/* Percentage of @block_bytes that was not asked for (0 when none). */
static double waste_percent(u64 requested, u64 block_bytes)
{
	if (!block_bytes || requested >= block_bytes)
		return 0.0;
	return percent(block_bytes - requested, block_bytes);
}

/* Block bytes handed out by a class: its allocations times its size. */
/* Does the class hold blocks (or ever handed one out)? */
static bool class_has_blocks(const struct kpool_ioc_set_class *cl)
{
	return cl->blocks_total || cl->blocks_in_use || cl->allocs;
}

static u64 class_block_bytes(const struct kpool_ioc_set_class *cl)
{
	return cl->allocs * cl->block_size;
}

static int cmd_set_create(struct ctl *c, int argc, char **argv)
{
	struct kpool_ioc_set_create cr = { .min_size = 1 };
	bool have_max = false;
	const struct verb_opt opts[] = {
		{ "min-size", 's', "minimum size", .u64 = &cr.min_size },
		{ "max-size", 'S', "maximum size", .u64 = &cr.max_size,
		  .given = &have_max },
		{ "align", 'a', "alignment", .u64 = &cr.align },
		{ "spacing", 'p', "spacing", .u32 = &cr.classes_per_doubling,
		  .max = UINT32_MAX },
		{ "reserve", 'r', "reserve", .u32 = &cr.min_blocks, .max = UINT32_MAX },
		{ "cap", 'C', "cap", .u32 = &cr.max_blocks, .max = UINT32_MAX },
		{ "zero", 'z', .flags = &cr.flags, .bit = KPOOL_IOC_F_ZERO },
		{ "debug", 'd', .flags = &cr.flags, .bit = KPOOL_IOC_F_DEBUG },
	};
	const char *name;
	char detail[80];
	int ret = create_args(c, argc, argv, opts, ARRAY_SIZE(opts), &have_max,
			      "--max-size", KPOOL_IOC_SET_NAME_LEN, &name);

	if (ret >= 0)
		return ret;
	memcpy(cr.name, name, strlen(name));
	ret = kp_set_create(c->fd, &cr);
	if (ret)
		return fail(c, name, ret);
	snprintf(detail, sizeof(detail), "requests of %llu to %llu bytes",
		 cr.min_size, cr.max_size);
	return report_created(c, "set", cr.set_id, name, detail);
}

static void set_info_json(struct ctl *c, u32 id,
			  const struct kpool_ioc_set_info *in,
			  const struct kpool_ioc_set_class *cl)
{
	u32 i;

	json_object_begin(&c->j, NULL);
	json_u64(&c->j, "id", id);
	json_string_n(&c->j, "name", in->name, KPOOL_IOC_NAME_LEN);
	json_u64(&c->j, "flags", in->flags);
	json_u64(&c->j, "min_size", in->min_size);
	json_u64(&c->j, "max_size", in->max_size);
	json_u64(&c->j, "align", in->align);
	json_u64(&c->j, "classes_per_doubling", in->classes_per_doubling);
	json_u64(&c->j, "allocs", in->allocs);
	json_u64(&c->j, "frees", in->frees);
	json_u64(&c->j, "alloc_failures", in->alloc_failures);
	json_u64(&c->j, "requested_bytes", in->requested_bytes);
	json_u64(&c->j, "block_bytes", in->block_bytes);
	json_double(&c->j, "fragmentation_percent",
		    waste_percent(in->requested_bytes, in->block_bytes));
	json_u64(&c->j, "blocks_in_use", in->blocks_in_use);
	json_u64(&c->j, "bytes_in_use", in->bytes_in_use);
	json_u64(&c->j, "pages", in->pages);
	json_u64(&c->j, "err_foreign", in->err_foreign);
	json_u64(&c->j, "meta_bytes", in->meta_bytes);
	json_u64(&c->j, "charged_bytes", in->charged_bytes);
	json_array_begin(&c->j, "classes");
	for (i = 0; i < in->nr_classes; i++) {
		if (!c->all && !class_has_blocks(&cl[i]))
			continue;
		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "block_size", cl[i].block_size);
		json_u64(&c->j, "pool_id", cl[i].pool_id);
		json_u64(&c->j, "allocs", cl[i].allocs);
		json_u64(&c->j, "requested_bytes", cl[i].requested_bytes);
		json_u64(&c->j, "blocks_in_use", cl[i].blocks_in_use);
		json_u64(&c->j, "blocks_total", cl[i].blocks_total);
		json_u64(&c->j, "pages", cl[i].pages);
		json_u64(&c->j, "alloc_failures", cl[i].alloc_failures);
		json_double(&c->j, "waste_percent",
			    waste_percent(cl[i].requested_bytes,
					  class_block_bytes(&cl[i])));
		json_object_end(&c->j);
	}
	json_array_end(&c->j);
	json_object_end(&c->j);
}

/* The set's figures, then one line per class (with blocks, or @all). */
static void set_info_text(FILE *f, u32 id, const struct kpool_ioc_set_info *in,
			  const struct kpool_ioc_set_class *cl, bool all)
{
	char name[KPOOL_IOC_NAME_LEN + 1], flags[64];
	u32 i, shown = 0;

	kp_name(name, in->name);
	fprintf(f, "set %u (%s): %u classes of %llu to %llu bytes, align %llu, ",
		id, name, in->nr_classes, in->min_size, in->max_size,
		in->align);
	fprintf(f, "%u per doubling, flags %s\n", in->classes_per_doubling,
		flag_names(in->flags, flags, sizeof(flags)));
	fprintf(f, "allocs %llu, frees %llu, failures %llu; ", in->allocs,
		in->frees, in->alloc_failures);
	fprintf(f, "in use %llu blocks, %llu bytes, %llu pages\n", in->blocks_in_use,
		in->bytes_in_use, in->pages);
	fprintf(f, "requested %llu of %llu block bytes: fragmentation %.1f%%\n",
		in->requested_bytes, in->block_bytes,
		waste_percent(in->requested_bytes, in->block_bytes));
	fprintf(f, "memory charged to this file: %llu bytes (%llu of them the set's tables)\n",
		in->charged_bytes, in->meta_bytes);
	fprintf(f, "%8s  %6s  %10s  %14s  %9s  %9s  %6s\n", "SIZE", "POOL",
		"ALLOCS", "REQUESTED", "IN USE", "TOTAL", "WASTE%");
	for (i = 0; i < in->nr_classes; i++) {
		if (!all && !class_has_blocks(&cl[i]))
			continue;
		shown++;
		fprintf(f, "%8llu  %6u  %10llu  %14llu  %9llu  %9llu  %6.1f\n",
			cl[i].block_size, cl[i].pool_id, cl[i].allocs,
			cl[i].requested_bytes, cl[i].blocks_in_use,
			cl[i].blocks_total,
			waste_percent(cl[i].requested_bytes,
				      class_block_bytes(&cl[i])));
	}
	if (shown < in->nr_classes)
		fprintf(f, "classes without blocks not shown: %u (--all shows them)\n",
			in->nr_classes - shown);
}

static int cmd_set_info(struct ctl *c, int argc, char **argv)
{
	const struct verb_opt all = { "all", 'a', .given = &c->all };
	struct kpool_ioc_set_class *cl;
	struct kpool_ioc_set_info in;
	struct pool_ref p;
	int ret;

	c->all = false;
	ret = pool_verb_args(c, argc, argv, &all, 1, &p);
	if (ret >= 0)
		return ret;
	ret = kp_set_info(c->fd, p.id, &in, &cl);
	if (ret)
		return fail(c, p.label, ret);
	if (c->json)
		set_info_json(c, p.id, &in, cl);
	else
		set_info_text(stdout, p.id, &in, cl, c->all);
	free(cl);
	return EXIT_OK;
}

static const struct verb set_verbs[] = {
	{ "set create",
	  "set create NAME --max-size N [--min-size N] [--align N] [--spacing N] [--reserve N] [--cap N] [--debug]",
	  "Create a pool set owned by this open file",
	  "Options:\n"
	  "  --min-size N  smallest request (default 1): the first class\n"
	  "  --max-size N  largest request (at most 64K): the last class\n"
	  "  --align N     block alignment and class granule, a power of two\n"
	  "                (default 8)\n"
	  "  --spacing N   classes per power of two, a power of two up to 16\n"
	  "                (default 8: internal waste below 1/9 per block)\n"
	  "  --reserve N   blocks reserved in every class pool\n"
	  "  --cap N       cap on the blocks of every class pool (default none)\n"
	  "  --zero        zero blocks on allocation (user sets always do)\n"
	  "  --debug       debug class pools: poison, red zones, owners\n"
	  "NAME: 1-23 characters from A-Z a-z 0-9 _ . : -; class pools are\n"
	  "named NAME-SIZE. The set dies with the open file: use a session.\n",
	  cmd_set_create },
	{ "set destroy", "set destroy SET",
	  "Destroy a set of this session that has no block out", NULL,
	  cmd_destroy },
	{ "set alloc", "set alloc SET SIZE [COUNT]",
	  "Allocate COUNT blocks (default 1) for requests of SIZE bytes",
	  "Each block comes from the smallest class of at least SIZE bytes; its\n"
	  "size is printed. All or nothing. In a session, handles are @N too.\n",
	  cmd_alloc },
	{ "set free", "set free SET HANDLE...|all", "Free blocks of a set by handle",
	  "As 'free': 'all' frees what this session allocated in SET.\n",
	  cmd_free },
	{ "set write", "set write SET HANDLE OFFSET DATA [--hex]",
	  "Write DATA into a block of a set (as 'write')", NULL, cmd_write },
	{ "set read", "set read SET HANDLE OFFSET LEN [--raw]",
	  "Show bytes of a block of a set (as 'read')", NULL, cmd_read },
	{ "set info", "set info SET [--all]",
	  "Show a set's statistics and its classes that hold blocks",
	  "One line per class that holds blocks (--all: every class): size,\n"
	  "class pool id, allocations, bytes asked for, blocks in use and\n"
	  "carved, and waste (1 - requested / block bytes); the set's\n"
	  "fragmentation is the same figure over all classes.\n",
	  cmd_set_info },
	{ "set list", "set list", "List the sets of this open file", NULL,
	  cmd_list },
};

static int cmd_set(struct ctl *c, int argc, char **argv)
{
	const struct verb *v;
	char name[32];
	int ret;

	if (argc < 2)
		return usage_error(c, "missing subcommand (%s)",
				   "create, destroy, alloc, free, write, read, info, list");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_verb_help(find_verb("set"));
		return EXIT_OK;
	}
	snprintf(name, sizeof(name), "set %s", argv[1]);
	v = find_verb(name);
	if (!v)
		return usage_error(c, "unknown subcommand '%s'", argv[1]);
	c->verb = v->name;
	c->sets = true;
	optind = 0;
	ret = v->run(c, argc - 1, argv + 1);
	c->sets = false;
	return ret;
}

/* ---- watch ------------------------------------------------------------ */

static atomic_bool interrupted;	/* set by SIGINT during watch */

static void on_interrupt(int sig)
{
	(void)sig;
	atomic_store(&interrupted, true);
}

/* One pool's line of a sample. */
struct watch_row {
	struct kpool_ioc_pool_entry e;
	bool have_stats;	/* STATS may be refused (-EPERM) */
	u64 allocs, frees;
};

struct watch_sample {
	struct watch_row *rows;
	u32 n;
	double when;
};

static int watch_take(struct ctl *c, struct watch_sample *s)
{
	struct kpool_ioc_pool_entry *e;
	struct kpool_ioc_stats st;
	u32 n, i;
	int ret = kp_list(c->fd, &e, &n);

	if (ret)
		return ret;
	s->when = kp_now();
	s->n = n;
	s->rows = calloc(n ? n : 1, sizeof(*s->rows));
	if (!s->rows) {
		free(e);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		s->rows[i].e = e[i];
		if (kp_stats(c->fd, e[i].pool_id, &st))
			continue;
		s->rows[i].have_stats = true;
		s->rows[i].allocs = st.allocs;
		s->rows[i].frees = st.frees;
	}
	free(e);
	return 0;
}

/* Events per second of @now's row against the same pool in @prev. */
static bool watch_rates(const struct watch_sample *prev,
			const struct watch_row *now, double when,
			double *allocs, double *frees)
{
	double dt;
	u32 i;

	if (!prev || !now->have_stats)
		return false;
	dt = when - prev->when;
	for (i = 0; i < prev->n; i++) {
		const struct watch_row *r = &prev->rows[i];

		if (r->e.pool_id != now->e.pool_id || !r->have_stats || dt <= 0)
			continue;
		*allocs = (double)(now->allocs - r->allocs) / dt;
		*frees = (double)(now->frees - r->frees) / dt;
		return true;
	}
	return false;
}

static void watch_json(struct ctl *c, const struct watch_sample *prev,
		       const struct watch_sample *s)
{
	double a, f;
	u32 i;

	json_object_begin(&c->j, NULL);
	json_u64(&c->j, "time", (u64)time(NULL));
	json_array_begin(&c->j, "pools");
	for (i = 0; i < s->n; i++) {
		const struct watch_row *r = &s->rows[i];

		json_object_begin(&c->j, NULL);
		json_u64(&c->j, "id", r->e.pool_id);
		json_string_n(&c->j, "name", r->e.name, KPOOL_IOC_NAME_LEN);
		json_string(&c->j, "owner", owner_name(r->e.owner));
		json_u64(&c->j, "blocks_in_use", r->e.blocks_in_use);
		json_u64(&c->j, "blocks_total", r->e.blocks_total);
		if (watch_rates(prev, r, s->when, &a, &f)) {
			json_double(&c->j, "allocs_per_s", a);
			json_double(&c->j, "frees_per_s", f);
		}
		json_object_end(&c->j);
	}
	json_array_end(&c->j);
	json_object_end(&c->j);
}

static void watch_text(struct ctl *c, const struct watch_sample *prev,
		       const struct watch_sample *s, double interval,
		       bool tty)
{
	char name[KPOOL_IOC_NAME_LEN + 1], clock[16];
	time_t now = time(NULL);
	u64 used = 0, total = 0;
	double a, f;
	u32 i;

	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	if (tty)
		fputs("\033[H\033[2J", stdout);	/* home, clear screen */
	else if (prev)
		putchar('\n');
	for (i = 0; i < s->n; i++) {
		used += s->rows[i].e.blocks_in_use;
		total += s->rows[i].e.blocks_total;
	}
	printf("kpoolctl watch - %s - every %.1fs - %s - %u pool%s, %llu/%llu blocks in use\n\n",
	       c->device ? c->device : KP_DEFAULT_DEVICE, interval, clock,
	       s->n, s->n == 1 ? "" : "s", used, total);
	printf("%6s  %-24s  %-6s  %9s  %9s  %6s  %10s  %10s\n", "ID", "NAME",
	       "OWNER", "IN USE", "TOTAL", "USE%", "ALLOC/s", "FREE/s");
	for (i = 0; i < s->n; i++) {
		const struct watch_row *r = &s->rows[i];

		kp_name(name, r->e.name);
		printf("%6u  %-24.24s  %-6s  %9llu  %9llu  %6.1f",
		       r->e.pool_id, name, owner_name(r->e.owner),
		       r->e.blocks_in_use, r->e.blocks_total,
		       percent(r->e.blocks_in_use, r->e.blocks_total));
		if (watch_rates(prev, r, s->when, &a, &f))
			printf("  %10.0f  %10.0f\n", a, f);
		else
			printf("  %10s  %10s\n", "-", "-");
	}
	fflush(stdout);
}

static void sleep_seconds(double s)
{
	struct timespec ts = {
		.tv_sec = (time_t)s,
		.tv_nsec = (long)((s - (double)(time_t)s) * 1e9),
	};

	nanosleep(&ts, NULL);	/* SIGINT cuts it short */
}

static int cmd_watch(struct ctl *c, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_interrupt }, old;
	struct watch_sample prev = { 0 }, cur;
	bool tty = isatty(STDOUT_FILENO);
	u32 count = 0, done;
	const struct verb_opt opts[] = {
		{ .name = "interval", .val = 'i', .what = "interval" },
		{ "count", 'n', "count", .u32 = &count, .max = UINT32_MAX },
	};
	double interval = 1.0;
	int opt, err = 0, ret = -1;

	while (ret < 0 && (opt = next_opt(c, argc, argv, opts, ARRAY_SIZE(opts))) != -1) {
		ret = opt_status(opt);
		if (opt == 'i' && (kp_parse_seconds(optarg, &interval) || interval < 0.05))
			ret = usage_error(c, "bad interval '%s' (seconds, at least 0.05)",
					  optarg);
	}
	if (ret < 0)
		ret = device_args(c, argc, 0);
	if (ret >= 0)
		return ret;
	atomic_store(&interrupted, false);
	sigaction(SIGINT, &sa, &old);
	c->j.pretty = false;	/* JSON Lines: one object per refresh */
	for (done = 0; !atomic_load(&interrupted) && (!count || done < count); done++) {
		if (done)
			sleep_seconds(interval);
		if (atomic_load(&interrupted))
			break;
		err = watch_take(c, &cur);
		if (err)
			break;
		if (c->json)
			watch_json(c, done ? &prev : NULL, &cur);
		else
			watch_text(c, done ? &prev : NULL, &cur, interval, tty);
		free(prev.rows);
		prev = cur;
	}
	free(prev.rows);
	c->j.pretty = true;
	sigaction(SIGINT, &old, NULL);
	return err ? fail(c, "LIST", err) : EXIT_OK;
}

/* ---- run: a session on one open file ------------------------------------ */

/*
 * Split @line into words in place, sh-like: blanks separate words, '...'
 * is literal, "..." allows \" and \\, a backslash outside quotes escapes
 * the next character, and '#' at the start of a word begins a comment.
 * Returns the number of words (at most @max), or -1 for an unterminated
 * quote or too many words.
 */
static int split_words(char *line, char **words, int max)
{
	char *src = line, *dst = line;
	int n = 0;

	for (;;) {
		while (*src == ' ' || *src == '\t')
			src++;
		if (!*src || *src == '#')
			return n;
		if (n == max)
			return -1;
		words[n++] = dst;
		while (*src && *src != ' ' && *src != '\t') {
			if (*src == '\'') {
				for (src++; *src && *src != '\''; )
					*dst++ = *src++;
				if (!*src++)
					return -1;
			} else if (*src == '"') {
				for (src++; *src && *src != '"'; ) {
					if (*src == '\\' && (src[1] == '"' || src[1] == '\\'))
						src++;
					*dst++ = *src++;
				}
				if (!*src++)
					return -1;
			} else if (*src == '\\' && src[1]) {
				*dst++ = src[1];
				src += 2;
			} else {
				*dst++ = *src++;
			}
		}
		/* dst never passes src: terminate, then step past a blank */
		if (*src)
			src++;
		*dst++ = '\0';
	}
}

#define MAX_WORDS	256

/* One line of a session; returns its exit code. */
static int run_line(struct ctl *c, char *line, const char *file,
		    unsigned long lineno)
{
	char *words[MAX_WORDS + 2] = { "kpoolctl" };
	bool json = c->json;
	int n, ret;

	snprintf(c->where, sizeof(c->where), "%s:%lu: ",
		 strcmp(file, "-") ? file : "stdin", lineno);
	n = split_words(line, words + 1, MAX_WORDS);
	if (n < 0) {
		c->verb = NULL;
		return usage_error(c, "unterminated quote or too many words");
	}
	if (!n)
		return EXIT_OK;
	words[n + 1] = NULL;
	ret = dispatch(c, n + 1, words);
	c->json = json;
	fflush(stdout);
	return ret;
}

static int cmd_run(struct ctl *c, int argc, char **argv)
{
	const char *file = "-";
	bool keep_going = false, json;
	const struct verb_opt flag = { "keep-going", 'k', .given = &keep_going };
	unsigned long lineno = 0;
	size_t cap = 0;
	char *line = NULL, *text;
	int ret, status = EXIT_OK;
	ssize_t len;
	FILE *f;

	if (c->in_session)
		return usage_error(c, "sessions do not nest");
	ret = verb_opts(c, argc, argv, &flag, 1);
	if (ret < 0)
		ret = device_args(c, argc, 1);
	if (ret >= 0)
		return ret;
	json = c->json;
	if (optind < argc)
		file = argv[optind];
	f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f) {
		msg(c, "%s: %s", file, strerror(errno));
		return EXIT_FAIL;
	}
	c->in_session = true;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		for (text = line; *text == ' ' || *text == '\t'; text++)
			;
		if (!*text)
			continue;
		/* with --json for the whole session, stdout is JSON only */
		if (*text == '#') {
			if (!json)
				printf("%s\n", text);	/* comments narrate */
			continue;
		}
		if (!json)
			printf("+ %s\n", text);
		fflush(stdout);
		ret = run_line(c, text, file, lineno);
		if (ret && status == EXIT_OK)
			status = ret;
		if (ret && !keep_going)
			break;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	c->in_session = false;
	c->where[0] = '\0';
	return status;
}

/* ---- help and dispatch -------------------------------------------------- */

static int cmd_help(struct ctl *c, int argc, char **argv);

static const struct verb verbs[] = {
	{ "list", "list", "List all pools: id, name, owner, block size, use",
	  "OWNER is self (this open file), other (another open file) or kernel.\n",
	  cmd_list },
	{ "stats", "stats POOL", "Show every statistic of a pool",
	  "Pools of other files and of the kernel need CAP_SYS_ADMIN.\n",
	  cmd_stats },
	{ "info", "info POOL [--ascii|--utf8]",
	  "Draw a pool's occupancy map, one cell per chunk",
	  "Each cell is one chunk, shaded by the share of its blocks in use.\n"
	  "Options:\n"
	  "  --ascii   draw with . - + * #\n"
	  "  --utf8    draw with shade characters (default in UTF-8 locales)\n",
	  cmd_info },
	{ "version", "version", "Show the device's ABI version, features, limits",
	  NULL, cmd_version },
	{ "create",
	  "create NAME --size N [--align N] [--min N] [--max N] [--order N] [--zero] [--debug]",
	  "Create a pool owned by this open file",
	  "Options:\n"
	  "  --size N    block size in bytes (K, M suffixes allowed)\n"
	  "  --align N   block alignment, a power of two (default: natural)\n"
	  "  --min N     blocks reserved at creation and guaranteed afterwards\n"
	  "  --max N     cap on the blocks of the pool (default: none)\n"
	  "  --order N   chunk order (default: chosen by kpool)\n"
	  "  --zero      zero blocks on allocation (user pools always do)\n"
	  "  --debug     poison free blocks, red zones, allocation owners\n"
	  "NAME: 1-31 characters from A-Z a-z 0-9 _ . : - (not starting with '.').\n"
	  "The pool is destroyed when the file is closed, i.e. when kpoolctl\n"
	  "exits: create pools inside a session (kpoolctl run).\n",
	  cmd_create },
	{ "destroy", "destroy POOL",
	  "Destroy a pool of this session, freeing its blocks", NULL,
	  cmd_destroy },
	{ "alloc", "alloc POOL [COUNT]",
	  "Allocate COUNT blocks (default 1) and print their handles",
	  "All or nothing: on failure no block stays allocated.\n"
	  "In a session each handle is printed with its name @N (the Nth block\n"
	  "the session allocated): '@1..@100 = 1048576..1048675'. Later commands\n"
	  "take either, 1048576 or @1 (and @last for the last one).\n",
	  cmd_alloc },
	{ "free", "free POOL HANDLE...|all", "Free blocks by handle",
	  "HANDLE: a handle as alloc printed it (1048576), or in a session @N\n"
	  "(the Nth block the session allocated: @1 the first) or @last. 'all'\n"
	  "frees every block this session allocated in POOL and has not freed.\n"
	  "Every valid handle is freed even if others are bad; each bad one is\n"
	  "reported with what the session holds of POOL.\n",
	  cmd_free },
	{ "write", "write POOL HANDLE OFFSET DATA [--hex]",
	  "Write DATA (a string, or hex with --hex) into a block",
	  "HANDLE as for 'free': 1048576, or @1 in a session.\n"
	  "Options:\n"
	  "  --hex   DATA is hex: 68656c6c6f, 0x68656c6c6f or \"68 65 6c\"\n",
	  cmd_write },
	{ "read", "read POOL HANDLE OFFSET LEN [--raw]",
	  "Show LEN bytes of a block at OFFSET as a hex dump",
	  "HANDLE as for 'free': 1048576, or @1 in a session.\n"
	  "Options:\n"
	  "  --raw   write the bytes to stdout as they are\n"
	  "  --json  {\"hex\": \"...\"} with the bytes in hex\n",
	  cmd_read },
	{ "shrink", "shrink POOL",
	  "Give a pool's free chunks back to the page allocator", NULL,
	  cmd_shrink },
	{ "fault", "fault POOL --every N | --probability PPM | --off",
	  "Inject growth failures into a pool",
	  "Options:\n"
	  "  --every N          fail every Nth growth of the pool\n"
	  "  --probability PPM  fail growth with this chance in a million\n"
	  "  --off              stop injecting\n",
	  cmd_fault },
	{ "watch", "watch [--interval S] [--count N]",
	  "Show all pools live, like top, with allocations/s",
	  "Options:\n"
	  "  --interval S   seconds between refreshes (default 1, fractions allowed)\n"
	  "  --count N      stop after N refreshes (default: until interrupted)\n"
	  "The screen is cleared only when stdout is a terminal; --json prints\n"
	  "one JSON object per line and refresh.\n",
	  cmd_watch },
	{ "run", "run [FILE|-] [--keep-going]",
	  "Run a session: one command per line, one open file",
	  "Each line is a command as on the command line, without 'kpoolctl'\n"
	  "('--json' may start it). Words split like sh: quotes '...' and \"...\"\n"
	  "and backslash escapes. '#' starts a comment; comment lines are\n"
	  "printed, commands are echoed as '+ command' before their output\n"
	  "(not with 'kpoolctl --json run': then stdout is only JSON).\n"
	  "Pools created in a session live until it ends; alloc prints handles\n"
	  "and their @N names for later lines; 'free POOL all' frees what the\n"
	  "session allocated in POOL. The session stops at the first failing\n"
	  "command and exits with its code; with --keep-going it runs every\n"
	  "line and exits with the code of the first failure.\n"
	  "FILE '-' or none: standard input.\n",
	  cmd_run },
	{ "set", "set SUBCOMMAND [ARGS]",
	  "Pool sets: variable-size blocks from size classes",
	  "Subcommands (each has --help: 'kpoolctl set create --help'):\n"
	  "  create NAME --max-size N ...   create a set owned by this open file\n"
	  "  destroy SET                    destroy a set with no block out\n"
	  "  alloc SET SIZE [COUNT]         allocate blocks for SIZE-byte requests\n"
	  "  free SET HANDLE...|all         free blocks by handle\n"
	  "  write SET HANDLE OFFSET DATA   write into a block\n"
	  "  read SET HANDLE OFFSET LEN     show bytes of a block\n"
	  "  info SET                       statistics, per-class table, fragmentation\n"
	  "  list                           the sets of this open file\n"
	  "SET is a set id or name. Sets, like pools, die with the open file:\n"
	  "use them in a session (kpoolctl run).\n",
	  cmd_set },
	{ "help", "help [VERB]", "Show help for kpoolctl or one verb", NULL,
	  cmd_help },
};

/* A verb, or a set subcommand ("set create"). */
static const struct verb *find_verb(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	for (i = 0; name && i < ARRAY_SIZE(set_verbs); i++)
		if (!strcmp(set_verbs[i].name, name))
			return &set_verbs[i];
	return NULL;
}

static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: kpoolctl [--json] [--device PATH] VERB [ARGS]\n"
		"       kpoolctl VERB --help\n"
		"\n"
		"Administer kpool block pools through /dev/kpool.\n"
		"\n"
		"Verbs:\n");
	for (i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -j, --json          JSON output (list, stats, info, version, and\n"
		"                      the other verbs' results)\n"
		"  -d, --device PATH   the device (default " KP_DEFAULT_DEVICE ")\n"
		"  -h, --help          this help\n"
		"  -V, --version       kpoolctl's version\n"
		"\n"
		"POOL is a pool id or a pool name. HANDLE is a handle as alloc printed\n"
		"it, or in a session @N, the Nth block the session allocated (@last:\n"
		"the last one). Sizes and counts accept 0x hex and K, M, G suffixes.\n"
		"\n"
		"Pools belong to the open file that created them: closing it (kpoolctl\n"
		"exiting) frees their blocks and destroys them, and other files may not\n"
		"change them. Use a session to create and use pools:\n"
		"  kpoolctl run demo.kpool      kpoolctl run - <<'EOF' ... EOF\n"
		"\n"
		"Exit status:\n"
		"  0  success\n"
		"  1  the operation failed (the kernel's error is printed)\n"
		"  2  usage error\n"
		"  3  the device is missing or cannot be opened\n");
}

static int cmd_help(struct ctl *c, int argc, char **argv)
{
	const struct verb *v;
	int ret = verb_opts(c, argc, argv, NULL, 0);

	if (ret < 0)
		ret = want_args(c, argc, 0, 1);
	if (ret >= 0)
		return ret;
	if (optind == argc) {
		print_usage(stdout);
		return EXIT_OK;
	}
	v = find_verb(argv[optind]);
	if (!v)
		return usage_error(c, "unknown verb '%s'", argv[optind]);
	print_verb_help(v);
	return EXIT_OK;
}

/* [global options] VERB [args]: used for the command line and each line. */
static int dispatch(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const struct verb *v;
	int opt;

	c->verb = NULL;
	optind = 0;	/* glibc: full reset, also in sessions */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:jd:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'd':
			if (c->in_session)
				return usage_error(c, "--device cannot change inside a session");
			c->device = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("kpoolctl %s (kpool ABI %d)\n", KPOOLCTL_VERSION,
			       KPOOL_ABI_VERSION);
			return EXIT_OK;
		case ':':
			return usage_error(c, "option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error(c, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind == argc) {
		if (c->in_session)
			return usage_error(c, "missing verb");
		print_usage(stderr);
		return EXIT_USAGE;
	}
	v = find_verb(argv[optind]);
	if (!v)
		return usage_error(c, "unknown verb '%s'", argv[optind]);
	c->verb = v->name;
	argc -= optind;
	argv += optind;
	optind = 0;
	return v->run(c, argc, argv);
}

int main(int argc, char **argv)
{
	struct ctl c = { .fd = -1 };
	int ret;

	json_init(&c.j, stdout, true);
	ret = dispatch(&c, argc, argv);
	if (c.fd >= 0)
		close(c.fd);
	free(c.held);
	return ret;
}
