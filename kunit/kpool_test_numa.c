// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_numa: where a pool's chunks come from.
 *
 * - A pool created for node N takes every chunk from node N (page_to_nid()
 *   of every block, the reserve's chunks included), even when it grows on
 *   a CPU of another node, and its statistics show N.
 * - A pool created for NUMA_NO_NODE takes its chunks from the node of the
 *   CPU that grows it, and its statistics show NUMA_NO_NODE.
 * - kpool_create() refuses, with -EINVAL, a negative node other than
 *   NUMA_NO_NODE, a node id beyond MAX_NUMNODES and every node without
 *   memory.
 *
 * The placement cases need two nodes with memory and CPUs (the debug
 * guest boots with two: one CPU and half the memory each); they are
 * skipped elsewhere, and the debug guest's plan fails if they were.
 */
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/topology.h>

#include "kpool_test.h"

#define KT_NUMA_BLOCK	1024
/* Chunks of one page, so that a few hundred blocks span many chunks. */
#define KT_NUMA_ORDER	0
#define KT_NUMA_RESERVE	8
#define KT_NUMA_CHUNKS	6
#define KT_NUMA_SLOTS	512

/* Return: the first online CPU of @nid (!@other) or of another node. */
static int kt_numa_cpu(int nid, bool other)
{
	int cpu;

	for_each_online_cpu(cpu)
		if ((cpu_to_node(cpu) == nid) != other)
			return cpu;
	return -1;
}

/* Return: the nodes that have memory and an online CPU. */
static int kt_numa_nodes(void)
{
	int nid, n = 0;

	for_each_node_state(nid, N_MEMORY)
		if (kt_numa_cpu(nid, false) >= 0)
			n++;
	return n;
}

/* Move the case's thread to @cpu (kt_init() pinned it where it started). */
static void kt_numa_pin(struct kunit *test, int cpu)
{
	KUNIT_ASSERT_GE(test, cpu, 0);
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(cpu)),
			0);
	KUNIT_ASSERT_EQ(test, (int)raw_smp_processor_id(), cpu);
}

/*
 * Create a pool for @node with a reserve, grow it by KT_NUMA_CHUNKS chunks
 * on the current CPU, then take every block it has carved (growth failing:
 * the reserve and the rest of every chunk), and check that each block
 * lies in a page of node @nid. Every block out means every chunk seen.
 */
static void kt_numa_check(struct kunit *test, int node, int nid)
{
	unsigned int n, off = 0, first_off = 0, want, i;
	struct kpool_params p;
	struct kpool_stats st;
	struct kt_pool *kp;

	kt_params_init(&p, kt_unique_name(test, "numa"), KT_NUMA_BLOCK);
	p.node = node;
	p.order = KT_NUMA_ORDER;
	p.min_blocks = KT_NUMA_RESERVE;
	kp = kt_create(test, &p, KT_NUMA_SLOTS);
	kt_stats(kp, &st);
	KUNIT_EXPECT_EQ(test, st.node, node);
	KUNIT_ASSERT_GT(test, st.blocks_per_chunk, 0);

	/* whole chunks carved on this CPU */
	want = st.blocks_total + KT_NUMA_CHUNKS * st.blocks_per_chunk;
	KUNIT_ASSERT_LT(test, want, KT_NUMA_SLOTS);
	n = kt_alloc_slots(kp, 0, want - st.blocks_total, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, n, want - (unsigned int)st.blocks_total);

	/* the rest, the reserve included, with growth failing */
	kt_fail_growth(test, kp, true);
	n += kt_alloc_slots(kp, n, KT_NUMA_SLOTS - n, GFP_ATOMIC);
	kt_fail_growth(test, kp, false);
	KUNIT_ASSERT_LT(test, n, KT_NUMA_SLOTS);

	kt_stats(kp, &st);
	KUNIT_EXPECT_GE(test, st.chunks, (u64)KT_NUMA_CHUNKS + 1);
	KUNIT_EXPECT_EQ_MSG(test, st.blocks_total, (u64)n,
			    "a carved block was not handed out");
	KUNIT_EXPECT_GT(test, st.reserve_allocs, 0);
	for (i = 0; i < n; i++) {
		if (page_to_nid(virt_to_page(kp->blocks[i])) == nid)
			continue;
		if (!off++)
			first_off = i;
	}
	KUNIT_EXPECT_EQ_MSG(test, off, 0,
			    "%u of %u blocks not on node %d (block %u: node %d)",
			    off, n, nid, first_off,
			    page_to_nid(virt_to_page(kp->blocks[first_off])));

	KUNIT_EXPECT_EQ(test, kt_free_slots(kp, 0, n), 0);
	KUNIT_EXPECT_EQ(test, kt_destroy(test, kp), 0);
}

/* node = N: every chunk from N, grown on a CPU of another node. */
static void kt_numa_explicit_node(struct kunit *test)
{
	int nid, cpu;

	if (kt_numa_nodes() < 2)
		kunit_skip(test, "needs two NUMA nodes with memory and CPUs");
	for_each_node_state(nid, N_MEMORY) {
		cpu = kt_numa_cpu(nid, true);
		if (cpu < 0)
			continue;
		kt_numa_pin(test, cpu);
		kunit_info(test, "node %d from CPU %d (node %d)", nid, cpu,
			   cpu_to_node(cpu));
		kt_numa_check(test, nid, nid);
	}
}

/* NUMA_NO_NODE: the chunks come from the node of the growing CPU. */
static void kt_numa_local_node(struct kunit *test)
{
	int nid, cpu;

	if (kt_numa_nodes() < 2)
		kunit_skip(test, "needs two NUMA nodes with memory and CPUs");
	for_each_node_state(nid, N_MEMORY) {
		cpu = kt_numa_cpu(nid, false);
		if (cpu < 0)
			continue;
		kt_numa_pin(test, cpu);
		kunit_info(test, "NUMA_NO_NODE from CPU %d (node %d, memory node %d)",
			   cpu, nid, numa_mem_id());
		kt_numa_check(test, NUMA_NO_NODE, numa_mem_id());
	}
}

/* Invalid nodes and nodes without memory are refused at create. */
static void kt_numa_refused(struct kunit *test)
{
	static const int bad[] = { -2, INT_MIN, MAX_NUMNODES, INT_MAX };
	unsigned int i, memoryless = 0;
	int nid, pools = kt_count_pools();
	struct kpool_params p;

	kt_params_init(&p, kt_unique_name(test, "numa_bad"), KT_NUMA_BLOCK);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		p.node = bad[i];
		KUNIT_EXPECT_EQ_MSG(test, kt_create_errno(&p), -EINVAL,
				    "node %d", p.node);
	}
	for (nid = 0; nid < MAX_NUMNODES; nid++) {
		if (node_state(nid, N_MEMORY))
			continue;
		memoryless++;
		p.node = nid;
		KUNIT_EXPECT_EQ_MSG(test, kt_create_errno(&p), -EINVAL,
				    "node %d has no memory", nid);
	}
	kunit_info(test, "%u node ids without memory refused", memoryless);

	/* and every node with memory is taken */
	for_each_node_state(nid, N_MEMORY) {
		p.node = nid;
		KUNIT_EXPECT_EQ_MSG(test, kt_create_errno(&p), 0,
				    "node %d has memory", nid);
	}
	KUNIT_EXPECT_EQ(test, kt_count_pools(), pools);
}

static struct kunit_case kt_numa_cases[] = {
	KUNIT_CASE(kt_numa_explicit_node),
	KUNIT_CASE(kt_numa_local_node),
	KUNIT_CASE(kt_numa_refused),
	{}
};

static struct kunit_suite kt_numa_suite = {
	.name = "kpool_numa",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = kt_numa_cases,
};

kunit_test_suite(kt_numa_suite);
