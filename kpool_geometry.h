/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pool's layout from its parameters (kpool_geometry.c). kpool_create()
 * lays its pool out with kpool_layout(); kpool's KUnit suites derive what
 * they expect of a pool from it, so that the chunk-order rule exists once.
 * Exported in the symbol namespace KPOOL_INTERNAL, as kpool_registry.h's
 * walks: for kpool's own modules, not for consumers.
 */
#ifndef _KPOOL_GEOMETRY_H
#define _KPOOL_GEOMETRY_H

#include "kpool.h"

/**
 * struct kpool_geometry - the layout of a pool
 * @align: block alignment (kpool_params.align, or the natural one).
 * @stride: distance between blocks: the block, with its red zone in debug
 *	    pools, rounded up to @align.
 * @order: chunk order (kpool_params.order, or the automatic one).
 * @unit_shift: log2 of the unit: the boundary, or the chunk where there is
 *		none or it is past the chunk; no block crosses a unit.
 * @per_unit: blocks per unit.
 * @per_chunk: blocks per chunk.
 */
struct kpool_geometry {
	unsigned int align;
	unsigned int stride;
	unsigned int order;
	unsigned int unit_shift;
	unsigned int per_unit;
	unsigned int per_chunk;
};

int kpool_layout(const struct kpool_params *p, struct kpool_geometry *g);

#endif /* _KPOOL_GEOMETRY_H */
