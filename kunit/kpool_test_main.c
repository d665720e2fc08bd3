// SPDX-License-Identifier: GPL-2.0
/*
 * kpool_test.ko - KUnit suites of the kpool block pools.
 *
 * Load kpool.ko and kpool_set.ko first; results are in
 * /sys/kernel/debug/kunit/<suite>/.
 *
 *   kpool_geometry     carving, alignment, geometry stats, ctor, ZERO
 *   kpool_params       invalid parameters, limits, names, registry
 *   kpool_capacity     reserve, cap and waiting, bulk, shrink, destroy
 *   kpool_bad_free     every refused free, counted, pool intact; the
 *                      ownership lookup finds no chunk for memory in none
 *   kpool_debug        poison and red-zone detection
 *   kpool_concurrency  per-CPU threads, cross-CPU ring, hardirq, softirq
 *   kpool_core         fixed pools on the magazines, stealing, gfp order,
 *                      straddling blocks, boundary, big bulk, refusals
 *                      through every free, owner-tag stress
 *   kpool_failnth      fail-nth sweep of the API (CONFIG_FAULT_INJECTION;
 *                      registered by kpool_test_failnth.c itself)
 *   kpool_set          pool sets: classes, free by pointer, foreign
 *                      pointers, bulk, parameters, per-CPU threads
 *                      (registered by kpool_test_set.c itself)
 *   kpool_numa         chunks from the pool's node, or the growing CPU's;
 *                      nodes refused (registered by kpool_test_numa.c)
 *   kpool_rcu          kpool_free_rcu(): no reuse before a grace period,
 *                      hardirq frees, destroy after a burst, a CPU going
 *                      offline with an open batch, refusals;
 *                      type-safe pools read under RCU while they shrink
 *                      (registered by kpool_test_rcu.c)
 *   kpool_glue         KPOOL_PARAMS(), devm_kpool_create() and unbind,
 *                      a mempool over a pool (registered by
 *                      kpool_test_glue.c)
 */
#include <linux/module.h>

#include "kpool_test.h"

kunit_test_suites(&kt_geometry_suite, &kt_params_suite, &kt_capacity_suite,
		  &kt_bad_free_suite, &kt_debug_suite, &kt_concurrency_suite,
		  &kt_core_suite);

MODULE_IMPORT_NS(KPOOL_NS);
MODULE_IMPORT_NS(KPOOL_INTERNAL_NS);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the kpool block pools");
MODULE_AUTHOR("kpool developers");
