/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpool: let generic KASAN see pool blocks
 *
 * A pool's chunks come from alloc_pages(), so without help KASAN sees them
 * as one accessible run of pages. With generic KASAN the core marks the
 * shadow of its memory itself:
 *
 *  - a new chunk is poisoned whole as a red zone (KPOOL_KASAN_REDZONE):
 *    blocks never handed out, tails and alignment padding;
 *  - a block handed out is unpoisoned for exactly its size (the last
 *    granule partially, as for a slab object), so its red zone, padding and
 *    the rest of a partial granule stay poisoned;
 *  - a freed block is poisoned as freed memory (KPOOL_KASAN_FREE) before it
 *    can be seen by any other user.
 *
 * kpool keeps no free-list links inside blocks, so nothing of its own
 * touches poisoned bytes, except the poison and red-zone checks of debug
 * pools, which run between kasan_disable_current() and
 * kasan_enable_current().
 *
 * Blocks sit at multiples of the pool's stride from a page (or chunk)
 * start: only when the stride is a multiple of KASAN's granule does every
 * block start on a granule of its own. A pool whose stride is not (an
 * explicit alignment below 8 bytes with such a size) is left unpoisoned:
 * KASAN could not tell its neighbouring blocks apart.
 *
 * Only kasan_poison() is exported to modules, and its prototype is private
 * to mm/kasan: it is declared here. Its address and size must be multiples
 * of the granule. Other KASAN modes (software and hardware tags) are left
 * alone: the helpers compile to nothing.
 */
#ifndef _KPOOL_KASAN_H
#define _KPOOL_KASAN_H

#include <linux/bits.h>
#include <linux/kasan.h>
#include <linux/types.h>

#define KPOOL_KASAN_FREE	0xff	/* mm/kasan: KASAN_PAGE_FREE */
#define KPOOL_KASAN_REDZONE	0xfe	/* mm/kasan: KASAN_PAGE_REDZONE */

#ifdef CONFIG_KASAN_GENERIC

#define KPOOL_KASAN_GRANULE	BIT(KASAN_SHADOW_SCALE_SHIFT)

void kasan_poison(const void *addr, size_t size, u8 value, bool init);

/* Mark @len bytes at @mem inaccessible, in a pool of block @stride. */
static inline void kpool_kasan_poison(void *mem, size_t len, u8 why,
				      unsigned int stride)
{
	if (IS_ALIGNED(stride, KPOOL_KASAN_GRANULE))
		kasan_poison(mem, round_up(len, KPOOL_KASAN_GRANULE), why,
			     false);
}

/* Make the @size bytes of a block handed out accessible, and no more. */
static inline void kpool_kasan_unpoison(void *block, size_t size,
					unsigned int stride)
{
	size_t whole = round_down(size, KPOOL_KASAN_GRANULE);

	if (!IS_ALIGNED(stride, KPOOL_KASAN_GRANULE))
		return;
	kasan_poison(block, whole, 0, false);
	if (size > whole)
		kasan_poison(block + whole, KPOOL_KASAN_GRANULE, size - whole,
			     false);
}

#else

static inline void kpool_kasan_poison(void *mem, size_t len, u8 why,
				      unsigned int stride)
{
}

static inline void kpool_kasan_unpoison(void *block, size_t size,
					unsigned int stride)
{
}

#endif /* CONFIG_KASAN_GENERIC */

#endif /* _KPOOL_KASAN_H */
