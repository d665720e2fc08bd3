/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpool_lib - what the kpool user-space tools share: opening /dev/kpool,
 * one wrapper per ioctl (each fills in @size and returns 0 or -errno),
 * errno names and messages, number parsing, KTAP output and a small
 * random number generator.
 */
#ifndef KPOOL_LIB_H
#define KPOOL_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kpool.h>
#include <linux/types.h>

/* Kernel-style names, as in the kernel's own tools/. */
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef __s64 s64;

/* The kernel's __printf(); checkpatch asks for it by name. */
#define __printf(a, b)		__attribute__(\
				(format(printf, a, b)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define KP_DEFAULT_DEVICE	"/dev/kpool"

/*
 * The first published size (ABI version 1) of the argument structs that
 * have grown since: where their first added field starts. The others'
 * first size is their sizeof.
 */
#define KP_V1_CREATE		offsetof(struct kpool_ioc_create, boundary)
#define KP_V1_STATS		offsetof(struct kpool_ioc_stats, boundary)
#define KP_V1_SET_INFO		offsetof(struct kpool_ioc_set_info, meta_bytes)
#define KP_V1_POOL_ENTRY	offsetof(struct kpool_ioc_pool_entry, flags)

/* ---- device -------------------------------------------------------- */

/* Open @path (NULL: KP_DEFAULT_DEVICE). Returns an fd or -errno. */
int kp_open(const char *path);
/* The same with open(2) @flags (O_RDONLY for a monitoring client). */
int kp_open_mode(const char *path, int flags);
/* A hint for an open() failure: how to get the device, or "". */
const char *kp_open_hint(int err);

/* ioctl(fd, cmd, arg): 0 or -errno. */
int kp_ioctl(int fd, unsigned long cmd, void *arg);

/* ---- one wrapper per command: each returns 0 or -errno -------------- */

int kp_version(int fd, struct kpool_ioc_version *v);
/* @c: everything but @size and the pool_id output set by the caller. */
int kp_create(int fd, struct kpool_ioc_create *c);
int kp_destroy(int fd, u32 pool_id);
int kp_shrink(int fd, u32 pool_id, u64 *pages);
int kp_alloc(int fd, u32 pool_id, u32 count, u32 *handles);
/* @status may be NULL, @freed may be NULL. */
int kp_free(int fd, u32 pool_id, u32 count, const u32 *handles,
	    s32 *status, u32 *freed);
int kp_write(int fd, u32 pool_id, u32 handle, u64 offset,
	     const void *buf, u64 len);
int kp_read(int fd, u32 pool_id, u32 handle, u64 offset,
	    void *buf, u64 len);
int kp_stats(int fd, u32 pool_id, struct kpool_ioc_stats *st);
int kp_fault(int fd, u32 pool_id, u32 every_nth,
	     u32 probability_ppm);

/* Pool sets: @c as for kp_create(); @block_size may be NULL. */
int kp_set_create(int fd, struct kpool_ioc_set_create *c);
int kp_set_destroy(int fd, u32 set_id);
int kp_set_alloc(int fd, u32 set_id, u64 bytes, u32 count, u32 *handles,
		 u64 *block_size);
int kp_set_free(int fd, u32 set_id, u32 count, const u32 *handles,
		s32 *status, u32 *freed);
int kp_set_write(int fd, u32 set_id, u32 handle, u64 offset,
		 const void *buf, u64 len);
int kp_set_read(int fd, u32 set_id, u32 handle, u64 offset,
		void *buf, u64 len);

/*
 * LIST into a malloc()ed array (free() it; NULL when there are no pools),
 * retrying while pools appear between the sizing call and the copy.
 */
int kp_list(int fd, struct kpool_ioc_pool_entry **entries, u32 *count);
/* INFO into a malloc()ed map, retrying like kp_list(). */
int kp_info(int fd, u32 pool_id, u32 **map, u32 *nr_chunks,
	    u32 *blocks_per_chunk);
/* SET_LIST (this file's sets) into a malloc()ed array, like kp_list(). */
int kp_set_list(int fd, struct kpool_ioc_set_entry **entries, u32 *count);
/*
 * SET_INFO: the set's statistics into @info and its class table into a
 * malloc()ed array (info->nr_classes entries; free() it).
 */
int kp_set_info(int fd, u32 set_id, struct kpool_ioc_set_info *info,
		struct kpool_ioc_set_class **classes);
/* The id of this file's set called @name, through SET_LIST. */
int kp_find_set(int fd, const char *name, u32 *set_id);
/*
 * The id of the pool called @name, through LIST. Names are unique per
 * owner only: this file's pool first, then a kernel module's, then any
 * other. -ENOENT if none.
 */
int kp_find_pool(int fd, const char *name, u32 *pool_id);
/* Copy a pool name out of a fixed-size, maybe unterminated, field. */
void kp_name(char dst[KPOOL_IOC_NAME_LEN + 1], const char *src);

/* ---- errors --------------------------------------------------------- */

/* "EINVAL" for EINVAL (sign ignored); "E?" + number if unknown. */
const char *kp_errname(int err);
/* strerror() of |err|. */
const char *kp_strerror(int err);

/* ---- parsing -------------------------------------------------------- */

/*
 * Unsigned decimal or 0x hexadecimal, with an optional binary suffix
 * K, M or G (KiB, MiB, GiB). The whole string must be used and the value
 * must not overflow. 0 on success, -EINVAL otherwise.
 */
int kp_parse_u64(const char *s, u64 *v);
/* Like kp_parse_u64() with an upper bound @max. */
int kp_parse_u32(const char *s, u32 max, u32 *v);
/* Non-negative seconds, fractions allowed ("0.5"). */
int kp_parse_seconds(const char *s, double *seconds);

/* Options a tool may have besides --help. */
#define KP_MAX_OPTIONS		8

/*
 * An option of a tool, --@name or -@val: with @u64, @u32 or @str it takes
 * an argument, parsed into *@u64, or into *@u32 (at most @max, and not 0
 * with @nonzero), or stored in *@str; without, it is a flag. *@given
 * becomes true when it is given (and its argument good).
 */
struct kp_option {
	const char *name;
	int val;
	u64 *u64;
	u32 *u32;
	u32 max;
	bool nonzero;
	const char **str;
	bool *given;
};

/*
 * A tool's command line: @opts (@n of them, in the order --help lists
 * them; --help and -h are added) into their places. --help prints @help
 * on stdout. With @prog, every bad option or argument is noted and the
 * parsing goes on; then any, or an operand left, gets "PROG: bad
 * arguments" and @help on stderr. Without @prog, the first bad option
 * gets @help on stderr, and operands are the caller's (from optind).
 * Returns -1 to go on, or the exit status: 0 after --help, 2 for a usage
 * error.
 */
int kp_parse_options(const char *prog, int argc, char **argv,
		     const struct kp_option *opts, size_t n,
		     void (*help)(FILE *f));

/* ---- time ----------------------------------------------------------- */

/* CLOCK_MONOTONIC in seconds. */
double kp_now(void);

/* ---- KTAP ----------------------------------------------------------- */

struct ktap {
	unsigned int planned;
	unsigned int next;	/* number of the next result */
	unsigned int passed;
	unsigned int failed;
	unsigned int skipped;
};

/*
 * "KTAP version 1" and the plan line "1..@planned", the tool's first
 * output: stdout is line-buffered from here on.
 */
void ktap_begin(struct ktap *t, unsigned int planned);
/* "ok N - name" or "not ok N - name". Returns @ok. */
bool ktap_result(struct ktap *t, bool ok, const char *fmt, ...)
	__printf(3, 4);
/* "ok N - name # SKIP reason". */
void ktap_skip(struct ktap *t, const char *reason, const char *fmt, ...)
	__printf(3, 4);
/* "# ..." diagnostic line on stdout. */
void ktap_diag(const char *fmt, ...) __printf(1, 2);
/* Totals as a diagnostic; 0 iff every planned test ran and none failed. */
int ktap_end(struct ktap *t);

/* ---- random numbers (xorshift64*; not for cryptography) -------------- */

static inline u64 kp_rand(u64 *state)
{
	u64 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* A uniform-enough value in [0, n) for small n; 0 if n is 0. */
static inline u32 kp_rand_below(u64 *state, u32 n)
{
	return n ? (u32)(((kp_rand(state) >> 32) * n) >> 32) : 0;
}

/* A non-zero generator state from any seed (splitmix64 finaliser). */
u64 kp_rand_seed(u64 seed);

/* A seed from the clock and pid, for tools run without --seed. */
u64 kp_default_seed(void);

#endif /* KPOOL_LIB_H */
