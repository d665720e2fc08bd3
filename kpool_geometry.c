// SPDX-License-Identifier: GPL-2.0
/*
 * A pool's layout from its parameters, as pure functions: stride, unit,
 * chunk order (the only implementation of the automatic order rule),
 * blocks per chunk.
 */

#include "kpool_internal.h"

/* Blocks a chunk of @order holds. */
static unsigned long kpool_capacity(const struct kpool_geometry *g,
				    unsigned int order)
{
	unsigned long bytes = PAGE_SIZE << order;

	if (g->unit_shift && (1UL << g->unit_shift) <= bytes)
		return (bytes >> g->unit_shift) *
		       ((1UL << g->unit_shift) / g->stride);
	return bytes / g->stride;
}

/*
 * Would CPUs refilling from a chunk of @n blocks get block states on the
 * same cache line: more than one batch, fewer than two groups of states?
 */
static bool kpool_lines_shared(unsigned long n)
{
	return n > KPOOL_MAG_BATCH && n < 2 * KPOOL_STATE_GROUP;
}

/*
 * May a chunk of @order be chosen: it holds a block and wastes at most
 * 1/16 of itself, and CPUs refilling from it get block states on cache
 * lines of their own (it holds at most one batch, or two groups of states
 * at least)? With @preferred, it also holds KPOOL_MIN_PER_CHUNK blocks
 * (so that frees mostly hit the hint chunk) and its out-of-line metadata
 * is at most 1/32 of it.
 */
static bool kpool_order_fits(const struct kpool_geometry *g, size_t size,
			     unsigned int order, bool preferred)
{
	unsigned long n = kpool_capacity(g, order), bytes = PAGE_SIZE << order;

	if (!n || kpool_lines_shared(n) ||
	    (bytes - n * size) * 16 > bytes)
		return false;
	return !preferred || (n >= KPOOL_MIN_PER_CHUNK &&
			      (offsetof(struct kpool_chunk, state) + n) * 32 <=
			      bytes);
}

/*
 * The order KPOOL_ORDER_AUTO stands for: the smallest order up to
 * KPOOL_AUTO_MAX_ORDER whose chunk holds at least KPOOL_MIN_PER_CHUNK
 * blocks, wastes at most 1/16 of itself (waste: bytes of the chunk outside
 * every block - the tail, alignment padding, red zones) and needs
 * out-of-line metadata of at most 1/32 of itself; else the smallest order
 * up to KPOOL_MAX_ORDER that wastes at most 1/16; else the order up to
 * KPOOL_MAX_ORDER with the least waste per byte (the smaller on a tie).
 * Left out everywhere: chunks of more than one refill batch but fewer
 * than two groups of states (kpool_lines_shared()). The first rule finds
 * an order for every power-of-two stride from 64 bytes to 4 KiB; smaller
 * blocks (whose state bytes alone are 1/32 of a chunk or more) and larger
 * ones fall to the second.
 */
static int kpool_auto_order(const struct kpool_geometry *g, size_t size)
{
	u64 waste, best_waste = U64_MAX;
	int order, best = -EINVAL;

	for (order = 0; order <= KPOOL_AUTO_MAX_ORDER; order++)
		if (kpool_order_fits(g, size, order, true))
			return order;
	for (order = 0; order <= KPOOL_MAX_ORDER; order++)
		if (kpool_order_fits(g, size, order, false))
			return order;
	for (order = 0; order <= KPOOL_MAX_ORDER; order++) {
		unsigned long n = kpool_capacity(g, order);

		if (!n || kpool_lines_shared(n))
			continue;
		/* waste per byte of chunk, compared at the largest order */
		waste = ((PAGE_SIZE << order) - n * size) <<
			(KPOOL_MAX_ORDER - order);
		if (waste < best_waste) {
			best = order;
			best_waste = waste;
		}
	}
	return best;
}

/**
 * kpool_layout() - the layout of a pool with the given parameters
 * @p: the parameters, as for kpool_create().
 * @g: filled in where the parameters are valid.
 *
 * The one implementation of kpool.h's layout rules, the automatic chunk
 * order among them: kpool_create() lays its pool out with it and kpool's
 * KUnit suites derive their expectations from it.
 *
 * Context: Any context; a pure function of @p (and of which NUMA nodes
 * have memory, for kpool_params.node).
 * Return: 0, or -EINVAL for parameters kpool_create() refuses.
 */
int kpool_layout(const struct kpool_params *p, struct kpool_geometry *g)
{
	size_t align = p->align, body;
	int order;

	if (!kpool_name_valid(p->name) ||
	    p->block_size < KPOOL_MIN_BLOCK_SIZE ||
	    p->block_size > KPOOL_MAX_BLOCK_SIZE ||
	    (align && (!is_power_of_2(align) || align > PAGE_SIZE)) ||
	    (p->boundary && !is_power_of_2(p->boundary)) ||
	    (p->flags & ~KPOOL_F_ALL) || (p->gfp & ~KPOOL_GFP_ALLOWED) ||
	    (p->max_blocks && p->min_blocks > p->max_blocks) ||
	    (p->ctor && (p->flags & KPOOL_F_ZERO)) ||
	    (p->node != NUMA_NO_NODE &&
	     (p->node < 0 || p->node >= MAX_NUMNODES ||
	      !node_state(p->node, N_MEMORY))))
		return -EINVAL;

	if (!align)
		align = clamp_t(size_t, 1UL << __ffs(p->block_size),
				sizeof(void *), PAGE_SIZE);
	body = p->block_size;
	if (p->flags & KPOOL_F_DEBUG)
		body += KPOOL_REDZONE_MIN;
	g->align = align;
	g->stride = round_up(body, align);
	/* a unit of boundary bytes must hold a block */
	if (p->boundary && p->boundary < g->stride)
		return -EINVAL;
	g->unit_shift = p->boundary ? ilog2(p->boundary) : 0;

	if (p->order == KPOOL_ORDER_AUTO)
		order = kpool_auto_order(g, p->block_size);
	else if (p->order >= 0 && p->order <= KPOOL_MAX_ORDER &&
		 kpool_capacity(g, p->order))
		order = p->order;
	else
		order = -EINVAL;
	if (order < 0)
		return order;
	/* without a boundary, or one past the chunk, the unit is the chunk */
	if (!g->unit_shift || g->unit_shift > PAGE_SHIFT + order)
		g->unit_shift = PAGE_SHIFT + order;
	g->order = order;
	g->per_unit = (1UL << g->unit_shift) / g->stride;
	g->per_chunk = kpool_capacity(g, order);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kpool_layout, KPOOL_INTERNAL_NS);

/* The inverse of odd @d modulo 2^64: each step doubles the bits right. */
static u64 kpool_inverse(u64 d)
{
	u64 x = d;	/* right to 3 bits: d * d = 1 mod 8 for odd d */
	int i;

	for (i = 0; i < 5; i++)
		x *= 2 - d * x;
	return x;
}

/* Write the layout @g of the pool with parameters @p into @pool. */
void kpool_set_geometry(struct kpool *pool, const struct kpool_params *p,
			const struct kpool_geometry *g)
{
	pool->size = p->block_size;
	pool->align = g->align;
	pool->boundary = p->boundary;
	pool->stride = g->stride;
	pool->stride_recip = div_u64((1ULL << 32) + g->stride - 1, g->stride);
	pool->hot.shift = __ffs(g->stride);
	pool->hot.inv = kpool_inverse(g->stride >> pool->hot.shift);
	pool->order = g->order;
	pool->chunk_bytes = PAGE_SIZE << g->order;
	pool->unit_shift = g->unit_shift;
	pool->unit_mask = (1UL << g->unit_shift) - 1;
	pool->per_unit = g->per_unit;
	pool->per_unit_recip = reciprocal_value(g->per_unit);
	pool->per_chunk = g->per_chunk;
	pool->chunk_meta = offsetof(struct kpool_chunk, state) +
			  pool->per_chunk;
}
