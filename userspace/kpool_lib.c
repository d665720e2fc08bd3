// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_lib - code shared by the kpool user-space tools (see kpool_lib.h).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kpool_lib.h"

/*
 * The counters of STATS sit where the ABI has had them since they were
 * published, in this build too (-m32 included); kpool_dev checks the same.
 */
#define KP_MOVED(name, offset) -(offsetof(struct kpool_ioc_stats, name) != (offset))
static_assert((0 KPOOL_IOC_STATS_EVENTS(KP_MOVED)) == 0, "a STATS counter moved");
static_assert(sizeof(struct kpool_ioc_stats) == 392, "struct kpool_ioc_stats resized");

/* ---- device -------------------------------------------------------- */

int kp_open_mode(const char *path, int flags)
{
	int fd = open(path ? path : KP_DEFAULT_DEVICE, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kp_open(const char *path)
{
	return kp_open_mode(path, O_RDWR);
}

static const char no_device_hint[] =
	"is kpool_dev loaded? try 'modprobe kpool_dev' (or insmod kpool.ko kpool_dev.ko)";
static const char no_access_hint[] =
	"the device is root-only by default (kpool_dev's 'mode' parameter)";

const char *kp_open_hint(int err)
{
	switch (err < 0 ? -err : err) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		return no_device_hint;
	case EACCES:
	case EPERM:
		return no_access_hint;
	default:
		return "";
	}
}

int kp_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* ---- wrappers -------------------------------------------------------- */

int kp_version(int fd, struct kpool_ioc_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return kp_ioctl(fd, KPOOL_IOC_VERSION, v);
}

int kp_create(int fd, struct kpool_ioc_create *c)
{
	c->size = sizeof(*c);
	return kp_ioctl(fd, KPOOL_IOC_CREATE, c);
}

int kp_destroy(int fd, u32 pool_id)
{
	struct kpool_ioc_pool p = { .size = sizeof(p), .pool_id = pool_id };

	return kp_ioctl(fd, KPOOL_IOC_DESTROY, &p);
}

int kp_shrink(int fd, u32 pool_id, u64 *pages)
{
	struct kpool_ioc_pool p = { .size = sizeof(p), .pool_id = pool_id };
	int ret = kp_ioctl(fd, KPOOL_IOC_SHRINK, &p);

	if (!ret && pages)
		*pages = p.result;
	return ret;
}

int kp_alloc(int fd, u32 pool_id, u32 count, u32 *handles)
{
	struct kpool_ioc_alloc a = {
		.size = sizeof(a),
		.pool_id = pool_id,
		.count = count,
		.handles = (uintptr_t)handles,
	};

	return kp_ioctl(fd, KPOOL_IOC_ALLOC, &a);
}

/* FREE or SET_FREE (@cmd) of @count handles of pool or set @id. */
static int kp_free_cmd(int fd, unsigned long cmd, u32 id, u32 count,
		       const u32 *handles, s32 *status, u32 *freed)
{
	struct kpool_ioc_free f = {
		.size = sizeof(f),
		.pool_id = id,
		.count = count,
		.handles = (uintptr_t)handles,
		.status = (uintptr_t)status,
	};
	int ret = kp_ioctl(fd, cmd, &f);

	if (freed)
		*freed = f.freed;
	return ret;
}

int kp_free(int fd, u32 pool_id, u32 count, const u32 *handles,
	    s32 *status, u32 *freed)
{
	return kp_free_cmd(fd, KPOOL_IOC_FREE, pool_id, count, handles,
			   status, freed);
}

static int kp_rw(int fd, unsigned long cmd, u32 flags, u32 id, u32 handle,
		 u64 offset, const void *buf, u64 len)
{
	struct kpool_ioc_rw rw = {
		.size = sizeof(rw),
		.pool_id = id,
		.handle = handle,
		.flags = flags,
		.offset = offset,
		.len = len,
		.buf = (uintptr_t)buf,
	};

	return kp_ioctl(fd, cmd, &rw);
}

int kp_write(int fd, u32 pool_id, u32 handle, u64 offset,
	     const void *buf, u64 len)
{
	return kp_rw(fd, KPOOL_IOC_WRITE, 0, pool_id, handle, offset, buf,
		     len);
}

int kp_read(int fd, u32 pool_id, u32 handle, u64 offset,
	    void *buf, u64 len)
{
	return kp_rw(fd, KPOOL_IOC_READ, 0, pool_id, handle, offset, buf,
		     len);
}

int kp_set_create(int fd, struct kpool_ioc_set_create *c)
{
	c->size = sizeof(*c);
	return kp_ioctl(fd, KPOOL_IOC_SET_CREATE, c);
}

int kp_set_destroy(int fd, u32 set_id)
{
	struct kpool_ioc_set s = { .size = sizeof(s), .set_id = set_id };

	return kp_ioctl(fd, KPOOL_IOC_SET_DESTROY, &s);
}

int kp_set_alloc(int fd, u32 set_id, u64 bytes, u32 count, u32 *handles,
		 u64 *block_size)
{
	struct kpool_ioc_set_alloc a = {
		.size = sizeof(a),
		.set_id = set_id,
		.bytes = bytes,
		.count = count,
		.handles = (uintptr_t)handles,
	};
	int ret = kp_ioctl(fd, KPOOL_IOC_SET_ALLOC, &a);

	if (!ret && block_size)
		*block_size = a.block_size;
	return ret;
}

int kp_set_free(int fd, u32 set_id, u32 count, const u32 *handles,
		s32 *status, u32 *freed)
{
	return kp_free_cmd(fd, KPOOL_IOC_SET_FREE, set_id, count, handles,
			   status, freed);
}

int kp_set_write(int fd, u32 set_id, u32 handle, u64 offset,
		 const void *buf, u64 len)
{
	return kp_rw(fd, KPOOL_IOC_WRITE, KPOOL_IOC_RW_F_SET, set_id, handle,
		     offset, buf, len);
}

int kp_set_read(int fd, u32 set_id, u32 handle, u64 offset,
		void *buf, u64 len)
{
	return kp_rw(fd, KPOOL_IOC_READ, KPOOL_IOC_RW_F_SET, set_id, handle,
		     offset, buf, len);
}

int kp_stats(int fd, u32 pool_id, struct kpool_ioc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->pool_id = pool_id;
	return kp_ioctl(fd, KPOOL_IOC_STATS, st);
}

int kp_fault(int fd, u32 pool_id, u32 every_nth,
	     u32 probability_ppm)
{
	struct kpool_ioc_fault f = {
		.size = sizeof(f),
		.pool_id = pool_id,
		.every_nth = every_nth,
		.probability_ppm = probability_ppm,
	};

	return kp_ioctl(fd, KPOOL_IOC_FAULT, &f);
}

/*
 * Pools may appear between the sizing call and the copy: try a few times,
 * the slack doubling each time (other files may be creating pools fast).
 */
#define KP_SIZE_RETRIES	8
#define KP_SIZE_SLACK	16

/*
 * LIST and INFO share one protocol: user space passes a buffer of @cap
 * elements and the kernel answers how many exist. @query issues the ioctl
 * for @buf and @cap and stores that answer in *@count; the buffer grows
 * until the answer fits. On success *@bufp is the caller's to free().
 */
static int kp_sized_query(int fd, size_t elem_size, void **bufp, u32 *count,
			  int (*query)(int fd, void *arg, void *buf, u32 cap,
				       u32 *count),
			  void *arg)
{
	void *buf = NULL;
	u32 cap = 0;
	int ret = 0, i;

	for (i = 0; i < KP_SIZE_RETRIES; i++) {
		ret = query(fd, arg, buf, cap, count);
		if (ret)
			break;
		if (*count <= cap) {
			*bufp = buf;
			return 0;
		}
		cap = *count + (KP_SIZE_SLACK << i);
		free(buf);
		buf = calloc(cap, elem_size);
		if (!buf)
			return -ENOMEM;
	}
	free(buf);
	return ret ? ret : -EAGAIN;
}

/* LIST and SET_LIST: a struct kpool_ioc_list and the command. */
struct kp_list_arg {
	struct kpool_ioc_list l;
	unsigned long cmd;
};

static int kp_list_query(int fd, void *arg, void *buf, u32 cap, u32 *count)
{
	struct kp_list_arg *la = arg;
	int ret;

	la->l.count = cap;
	la->l.entries = (uintptr_t)buf;
	ret = kp_ioctl(fd, la->cmd, &la->l);
	*count = la->l.count;
	return ret;
}

/* LIST or SET_LIST (@cmd) of @entry_size entries into a malloc()ed array. */
static int kp_list_cmd(int fd, unsigned long cmd, size_t entry_size,
		       void **entries, u32 *count)
{
	struct kp_list_arg la = {
		.l = { .size = sizeof(la.l), .entry_size = (u32)entry_size },
		.cmd = cmd,
	};

	return kp_sized_query(fd, entry_size, entries, count, kp_list_query,
			      &la);
}

int kp_list(int fd, struct kpool_ioc_pool_entry **entries, u32 *count)
{
	return kp_list_cmd(fd, KPOOL_IOC_LIST, sizeof(**entries),
			   (void **)entries, count);
}

int kp_set_list(int fd, struct kpool_ioc_set_entry **entries, u32 *count)
{
	return kp_list_cmd(fd, KPOOL_IOC_SET_LIST, sizeof(**entries),
			   (void **)entries, count);
}

static int kp_info_query(int fd, void *arg, void *buf, u32 cap, u32 *count)
{
	struct kpool_ioc_info *in = arg;
	int ret;

	in->nr_chunks = cap;
	in->map = (uintptr_t)buf;
	ret = kp_ioctl(fd, KPOOL_IOC_INFO, in);
	*count = in->nr_chunks;
	return ret;
}

int kp_info(int fd, u32 pool_id, u32 **map, u32 *nr_chunks,
	    u32 *blocks_per_chunk)
{
	struct kpool_ioc_info in = { .size = sizeof(in), .pool_id = pool_id };
	void *buf;
	int ret;

	ret = kp_sized_query(fd, sizeof(**map), &buf, nr_chunks,
			     kp_info_query, &in);
	if (!ret) {
		*map = buf;
		*blocks_per_chunk = in.blocks_per_chunk;
	}
	return ret;
}

static int kp_set_info_query(int fd, void *arg, void *buf, u32 cap,
			     u32 *count)
{
	struct kpool_ioc_set_info *in = arg;
	int ret;

	in->nr_classes = cap;
	in->classes = (uintptr_t)buf;
	ret = kp_ioctl(fd, KPOOL_IOC_SET_INFO, in);
	*count = in->nr_classes;
	return ret;
}

int kp_set_info(int fd, u32 set_id, struct kpool_ioc_set_info *info,
		struct kpool_ioc_set_class **classes)
{
	void *buf;
	u32 n;
	int ret;

	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->set_id = set_id;
	info->class_size = sizeof(**classes);
	ret = kp_sized_query(fd, sizeof(**classes), &buf, &n,
			     kp_set_info_query, info);
	if (!ret)
		*classes = buf;
	return ret;
}

/* A LIST or SET_LIST answer: the command, and where its entries keep what. */
struct kp_entries {
	unsigned long cmd;
	size_t entry_size;
	size_t name_offset;
	size_t id_offset;
};

static const struct kp_entries kp_set_entries = {
	.cmd = KPOOL_IOC_SET_LIST,
	.entry_size = sizeof(struct kpool_ioc_set_entry),
	.name_offset = offsetof(struct kpool_ioc_set_entry, name),
	.id_offset = offsetof(struct kpool_ioc_set_entry, set_id),
};

/* The id of the entry called @name in a @k answer; -ENOENT if none. */
static int kp_find_entry(int fd, const struct kp_entries *k, const char *name,
			 u32 *id)
{
	char n[KPOOL_IOC_NAME_LEN + 1];
	const char *e;
	void *entries;
	u32 count, i;
	int ret = kp_list_cmd(fd, k->cmd, k->entry_size, &entries, &count);

	if (ret)
		return ret;
	ret = -ENOENT;
	for (i = 0, e = entries; i < count; i++, e += k->entry_size) {
		kp_name(n, e + k->name_offset);
		if (!strcmp(n, name)) {
			memcpy(id, e + k->id_offset, sizeof(*id));
			ret = 0;
			break;
		}
	}
	free(entries);
	return ret;
}

int kp_find_set(int fd, const char *name, u32 *set_id)
{
	return kp_find_entry(fd, &kp_set_entries, name, set_id);
}

int kp_find_pool(int fd, const char *name, u32 *pool_id)
{
	static const u32 order[] = {
		KPOOL_OWNER_SELF, KPOOL_OWNER_KERNEL, KPOOL_OWNER_OTHER_FILE,
	};
	char n[KPOOL_IOC_NAME_LEN + 1];
	struct kpool_ioc_pool_entry *e;
	u32 count, i, rank, best = ARRAY_SIZE(order);
	int ret = kp_list(fd, &e, &count);

	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		kp_name(n, e[i].name);
		if (strcmp(n, name))
			continue;
		for (rank = 0; rank < best; rank++) {
			if (e[i].owner == order[rank]) {
				best = rank;
				*pool_id = e[i].pool_id;
				break;
			}
		}
	}
	free(e);
	return best < ARRAY_SIZE(order) ? 0 : -ENOENT;
}

void kp_name(char dst[KPOOL_IOC_NAME_LEN + 1], const char *src)
{
	size_t n = strnlen(src, KPOOL_IOC_NAME_LEN);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- errors --------------------------------------------------------- */

const char *kp_errname(int err)
{
	static __thread char buf[16];
	const char *name;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "OK";
	name = strerrorname_np(err);
	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E?%d", err);
	return buf;
}

const char *kp_strerror(int err)
{
	return strerror(err < 0 ? -err : err);
}

/* ---- parsing -------------------------------------------------------- */

/* Option @o was given with @arg: into its place. 0, or -EINVAL. */
static int kp_take_option(const struct kp_option *o, const char *arg)
{
	if (o->u64 && kp_parse_u64(arg, o->u64))
		return -EINVAL;
	if (o->u32 && (kp_parse_u32(arg, o->max, o->u32) ||
		       (o->nonzero && !*o->u32)))
		return -EINVAL;
	if (o->str)
		*o->str = arg;
	if (o->given)
		*o->given = true;
	return 0;
}

int kp_parse_options(const char *prog, int argc, char **argv,
		     const struct kp_option *opts, size_t n,
		     void (*help)(FILE *f))
{
	struct option longopts[KP_MAX_OPTIONS + 2] = { { 0 } };
	char shortopts[2 * KP_MAX_OPTIONS + 2] = "";
	size_t i, len = 0;
	int opt, bad = 0;

	for (i = 0; i < n && i < KP_MAX_OPTIONS; i++) {
		longopts[i] = (struct option){ opts[i].name,
			opts[i].u64 || opts[i].u32 || opts[i].str ?
			required_argument : no_argument, NULL, opts[i].val };
		shortopts[len++] = (char)opts[i].val;
		if (longopts[i].has_arg)
			shortopts[len++] = ':';
	}
	longopts[i] = (struct option){ "help", no_argument, NULL, 'h' };
	shortopts[len] = 'h';
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (opt == 'h') {
			help(stdout);
			return 0;
		}
		for (i = 0; i < n && opts[i].val != opt; i++)
			;
		if (i < n && !kp_take_option(&opts[i], optarg))
			continue;
		if (!prog) {
			help(stderr);
			return 2;
		}
		bad = 1;
	}
	if (!prog || (!bad && optind == argc))
		return -1;
	fprintf(stderr, "%s: bad arguments\n", prog);
	help(stderr);
	return 2;
}

int kp_parse_u64(const char *s, u64 *v)
{
	unsigned int shift = 0, base = 10;
	unsigned long long x;
	char *end;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull() would accept a sign and leading blanks. */
	if (!isxdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift && (end[1] || x > (UINT64_MAX >> shift)))
		return -EINVAL;
	*v = (u64)x << shift;
	return 0;
}

int kp_parse_u32(const char *s, u32 max, u32 *v)
{
	u64 x;

	if (kp_parse_u64(s, &x) || x > max)
		return -EINVAL;
	*v = (u32)x;
	return 0;
}

int kp_parse_seconds(const char *s, double *seconds)
{
	char *end;
	double x;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || *end || !(x >= 0.0) || x > 1e6)
		return -EINVAL;
	*seconds = x;
	return 0;
}

/* ---- time ----------------------------------------------------------- */

double kp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- KTAP ----------------------------------------------------------- */

void ktap_begin(struct ktap *t, unsigned int planned)
{
	memset(t, 0, sizeof(*t));
	t->planned = planned;
	t->next = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%u\n", planned);
}

static void ktap_line(struct ktap *t, bool ok, const char *directive,
		      const char *fmt, va_list ap)
{
	flockfile(stdout);
	printf("%sok %u - ", ok ? "" : "not ", t->next++);
	vprintf(fmt, ap);
	if (directive)
		printf(" # %s", directive);
	putchar('\n');
	funlockfile(stdout);
	fflush(stdout);
}

bool ktap_result(struct ktap *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_line(t, ok, NULL, fmt, ap);
	va_end(ap);
	if (ok)
		t->passed++;
	else
		t->failed++;
	return ok;
}

void ktap_skip(struct ktap *t, const char *reason, const char *fmt, ...)
{
	char directive[160];
	va_list ap;

	snprintf(directive, sizeof(directive), "SKIP %s", reason);
	va_start(ap, fmt);
	ktap_line(t, true, directive, fmt, ap);
	va_end(ap);
	t->skipped++;
}

void ktap_diag(const char *fmt, ...)
{
	va_list ap;

	flockfile(stdout);
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	funlockfile(stdout);
	fflush(stdout);
}

int ktap_end(struct ktap *t)
{
	unsigned int ran = t->next - 1;

	ktap_diag("totals: pass:%u fail:%u skip:%u of %u planned",
		  t->passed, t->failed, t->skipped, t->planned);
	if (ran != t->planned)
		ktap_diag("plan mismatch: %u results for %u planned",
			  ran, t->planned);
	return !t->failed && ran == t->planned ? 0 : 1;
}

/* ---- random numbers ------------------------------------------------ */

u64 kp_rand_seed(u64 seed)
{
	u64 z = seed + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return z ? z : 0x9e3779b97f4a7c15ULL;
}

u64 kp_default_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((u64)ts.tv_sec * 1000000007ULL) ^ (u64)ts.tv_nsec ^
	       ((u64)getpid() << 32);
}
