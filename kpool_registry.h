/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpool's registry walks: every live pool of the system, whoever created
 * it. They are the tools of /dev/kpool (kpool_dev.c), of debugfs and of
 * kpool's own tests, not of consumers: a module reaches only the pools it
 * created, through the pointers kpool_create() gave it. So they live apart
 * from kpool.h and are exported in the symbol namespace KPOOL_INTERNAL
 * (MODULE_IMPORT_NS(KPOOL_INTERNAL_NS)): a module that imports only KPOOL
 * cannot link them (modpost refuses, and so does the module loader).
 *
 * Every callback runs under the registry mutex: it may sleep and use the
 * pool it is given, but must not create or destroy pools or walk the
 * registry. kpool_chunk_tag_past_end() is the one hook of kpool's tests
 * into the ownership lookup. The kernel-doc is in kpool_pool.c (the walks)
 * and kpool_chunk.c (the hook).
 */
#ifndef _KPOOL_REGISTRY_H
#define _KPOOL_REGISTRY_H

#include <linux/types.h>

struct kpool;

int kpool_for_each(int (*fn)(struct kpool *pool, void *arg), void *arg);
int kpool_registry_walk(int (*fn)(struct kpool *pool, void *arg), void *arg,
			u32 *pos, unsigned int steps);
int kpool_with_id(u32 id, int (*fn)(struct kpool *pool, void *arg),
		  void *arg);
unsigned long kpool_chunk_tag_past_end(void);

#endif /* _KPOOL_REGISTRY_H */
