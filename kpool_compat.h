/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels kpool builds for (6.1 to 7.2), and
 * nothing else. Code elsewhere is written for the newest kernel; where an
 * older one lacks a name, it is defined here in terms of what that kernel
 * has. kpool.h includes this header, so its consumers get KPOOL_NS and the
 * shims too.
 */
#ifndef _KPOOL_COMPAT_H
#define _KPOOL_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <linux/workqueue.h>

/* Is the kernel built against @major.@minor or a later version? */
#define KPOOL_KERNEL_SINCE(major, minor)				\
	(KERNEL_VERSION(major, minor, 0) <= LINUX_VERSION_CODE)

/*
 * kpool's symbol namespaces, for EXPORT_SYMBOL_NS_GPL() and
 * MODULE_IMPORT_NS(): 6.13 made namespaces string literals; before, the
 * macros stringified a bare token.
 */
#if KPOOL_KERNEL_SINCE(6, 13)
#define KPOOL_NS		"KPOOL"
#define KPOOL_INTERNAL_NS	"KPOOL_INTERNAL"
#else
#define KPOOL_NS		KPOOL
#define KPOOL_INTERNAL_NS	KPOOL_INTERNAL
#endif

/* 6.13 added hrtimer_setup(), which sets the callback with the rest */
#if !KPOOL_KERNEL_SINCE(6, 13)
static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}
#endif

/*
 * 6.17 added WQ_PERCPU (an enum: no #ifdef finds it), which a per-CPU
 * workqueue must now name, and system_dfl_wq for system_unbound_wq
 */
#if !KPOOL_KERNEL_SINCE(6, 17)
#define WQ_PERCPU		0
#define system_dfl_wq		system_unbound_wq
#endif

/* 6.18 passes the running test to a KUnit parameter generator */
#if KPOOL_KERNEL_SINCE(6, 18)
#define KPOOL_KUNIT_GEN_PARAMS_ARGS					\
	struct kunit *test, const void *prev, char *desc
#else
#define KPOOL_KUNIT_GEN_PARAMS_ARGS					\
	const void *prev, char *desc
#endif

/* 7.0 added the typed allocators kmalloc_obj() and kzalloc_obj() */
#ifndef kmalloc_obj
#define kmalloc_obj(obj, gfp)	kmalloc(sizeof(obj), gfp)
#define kzalloc_obj(obj, gfp)	kzalloc(sizeof(obj), gfp)
#endif

/*
 * 6.7 made a shrinker an object of its own (shrinker_alloc(), with
 * SHRINKER_ALLOCATED); before, the caller's struct was registered in
 * place. Both: a registered shrinker, or NULL; freed by
 * kpool_shrinker_destroy().
 */
#ifdef SHRINKER_ALLOCATED
static inline struct shrinker *
kpool_shrinker_create(const char *name,
		      unsigned long (*count)(struct shrinker *,
					     struct shrink_control *),
		      unsigned long (*scan)(struct shrinker *,
					    struct shrink_control *))
{
	struct shrinker *shrinker = shrinker_alloc(0, "%s", name);

	if (shrinker) {
		shrinker->count_objects = count;
		shrinker->scan_objects = scan;
		shrinker_register(shrinker);
	}
	return shrinker;
}

static inline void kpool_shrinker_destroy(struct shrinker *shrinker)
{
	shrinker_free(shrinker);
}
#else
static inline struct shrinker *
kpool_shrinker_create(const char *name,
		      unsigned long (*count)(struct shrinker *,
					     struct shrink_control *),
		      unsigned long (*scan)(struct shrinker *,
					    struct shrink_control *))
{
	struct shrinker *shrinker = kzalloc(sizeof(*shrinker), GFP_KERNEL);

	if (!shrinker)
		return NULL;
	shrinker->count_objects = count;
	shrinker->scan_objects = scan;
	shrinker->seeks = DEFAULT_SEEKS;
	if (register_shrinker(shrinker, "%s", name)) {
		kfree(shrinker);
		return NULL;
	}
	return shrinker;
}

static inline void kpool_shrinker_destroy(struct shrinker *shrinker)
{
	unregister_shrinker(shrinker);
	kfree(shrinker);
}
#endif

#endif /* _KPOOL_COMPAT_H */
