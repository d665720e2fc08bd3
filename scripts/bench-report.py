#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-report.py DIR - the Markdown report and plots of a `make bench` run.

DIR is a results directory written by scripts/bench.sh: wall.csv,
icount.csv and objpool.csv (the "kpool_bench,csv," lines of each guest,
prefix removed; objpool.csv only where the main kernel has no objpool and
W9 ran in a boot of its own), wall.info, icount.info and objpool.info (the
guests' settings), kpool.dis and kpool_set.dis (objdump of kpool.ko and
kpool_set.ko), boot_args, kernel and objpool_kernel. Writes DIR/REPORT.md,
DIR/plots/*.png (gnuplot) and DIR/plots/*.dat.

Every ratio kpool/X is computed per round (both measured in the same
round, one after the other) and reported as the median over the rounds
with the spread [min-max] of the per-round ratios. Every target of issues
11 and 12 is a MET/MISSED line at the top of the report (NOT MEASURED
when its workload did not run).
"""
import collections
import os
import re
import statistics
import subprocess
import sys

SIZES = [16, 64, 256, 1024, 4096]
CANDS = ["kpool", "kmem_cache", "mempool", "locked_list", "percpu_lifo",
         "objpool", "kpool_zero"]
# Candidates kpool is compared with (kpool_zero is w5's yardstick only).
PEERS = ["kmem_cache", "mempool", "locked_list", "percpu_lifo", "objpool"]
BULK_K = ("16", "64", "1024")
PAGE = 4096
KPOOL_MAX_ORDER = 7
W9_CANDS = ["objpool", "kpool_fixed", "kpool_min0"]


def read_rows(path):
    """Rows of a CSV file, split on commas (the last field of w6q and the
    info values may hold commas: callers join what they need)."""
    rows = collections.defaultdict(list)
    if not os.path.exists(path):
        return rows
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line:
                fields = line.split(",")
                rows[fields[0]].append(fields[1:])
    return rows


def read_info(path):
    info = {}
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition(",")
                info[key] = value
    return info


def read_text(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def med(values):
    return statistics.median(values) if values else None


def fmt(v, digits=1):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def paired(a, b):
    """Per-round ratios a/b of two {round: value} maps."""
    return [a[r] / b[r] for r in a if r in b and b[r] > 0]


def fmt_ratio(r):
    """median [min-max] of per-round ratios."""
    if not r:
        return "-"
    return f"{med(r):.2f} [{min(r):.2f}-{max(r):.2f}]"


class Series:
    """Per-round measurements keyed by (key..., cand): {round: value}."""

    def __init__(self):
        self.data = collections.defaultdict(dict)

    def add(self, key, rnd, value):
        self.data[key][rnd] = value

    def values(self, key):
        return list(self.data.get(key, {}).values())

    def median(self, key):
        return med(self.values(key))

    def ratios(self, key_a, key_b):
        a, b = self.data.get(key_a, {}), self.data.get(key_b, {})
        return [a[r] / b[r] for r in a if r in b and b[r] > 0]

    def has(self, key):
        return key in self.data


def per_op(rows, key_fields, ops_field, value_field, minus=None):
    """Series of value/ops keyed by key_fields + cand."""
    s = Series()
    for row in rows:
        key = tuple(row[i] for i in key_fields)
        ops = float(row[ops_field])
        value = float(row[value_field])
        s.add(key, int(row[minus]) if minus is not None else 0, value / ops)
    return s


class Report:
    def __init__(self, outdir):
        self.dir = outdir
        self.plots = os.path.join(outdir, "plots")
        os.makedirs(self.plots, exist_ok=True)
        self.wall = read_rows(os.path.join(outdir, "wall.csv"))
        self.icount = read_rows(os.path.join(outdir, "icount.csv"))
        self.objpool = read_rows(os.path.join(outdir, "objpool.csv"))
        self.winfo = read_info(os.path.join(outdir, "wall.info"))
        self.iinfo = read_info(os.path.join(outdir, "icount.info"))
        self.oinfo = read_info(os.path.join(outdir, "objpool.info"))
        self.lines = []
        self.targets = []
        self.notes = []
        self.load()

    # ---------------------------------------------------------------- data

    def load(self):
        # w1: size,cand,round,pairs,ns,cycles
        self.w1 = self.series(self.wall["w1"], (0, 1), 3, 4)
        self.w1i = self.series(self.icount["w1"], (0, 1), 3, 5)
        # w2: size,cand,k,order,round,objects,ns,cycles
        self.w2 = self.series(self.wall["w2"], (0, 1, 2, 3), 5, 6, rnd=4)
        self.w2i = self.series(self.icount["w2"], (0, 1, 2, 3), 5, 7, rnd=4)
        # w3: size,cand,round,items,ns,cycles
        self.w3 = self.series(self.wall["w3"], (0, 1), 3, 4)
        # w4: size,cand,ncpus,round,ops,ns -> ns per op (aggregate)
        self.w4 = self.series(self.wall["w4"], (0, 1, 2), 4, 5, rnd=3)
        # w5: size,mode,round,blocks,ns,cycles
        self.w5 = self.series(self.wall["w5"], (0, 1), 3, 4)
        self.w5i = self.series(self.icount["w5"], (0, 1), 3, 5)
        # w6: size,cand,phase,round,blocks,ns,cycles
        self.w6 = self.series(self.wall["w6"], (0, 1, 2), 4, 5, rnd=3)
        self.w6cyc = collections.defaultdict(lambda: [0.0, 0.0])
        for row in self.wall["w6"]:
            acc = self.w6cyc[(row[0], row[1])]
            acc[0] += float(row[5])
            acc[1] += float(row[6])
        self.w6q = {}
        for row in self.wall["w6q"]:
            size, cand, phase, samples = row[0], row[1], row[2], row[3]
            qs = {}
            for item in ",".join(row[4:]).split(";"):
                q, _, v = item.partition(":")
                qs[int(q)] = float(v)
            self.w6q[(size, cand, phase)] = (int(samples), qs)
        # w8: dist,cand,shape,round,ops,ns,cycles
        self.w8 = self.series(self.wall["w8"], (0, 1, 2), 4, 5, rnd=3)
        self.w8i = self.series(self.icount["w8"], (0, 1, 2), 4, 6, rnd=3)
        # w8frag: dist,requested,set block bytes,kmalloc bucket bytes
        self.w8frag = {r[0]: [int(x) for x in r[1:4]]
                       for r in self.wall["w8frag"] + self.icount["w8frag"]}
        # w8class: class size,stride,order,blocks/chunk,wasted,meta,percpu
        self.w8class = [[int(x) for x in r[:7]]
                        for r in self.wall["w8class"] or
                        self.icount["w8class"]]
        # w10: size,cand,round,blocks,call_ns,call_cycles,barrier_ns
        self.w10 = self.series(self.wall["w10"], (0, 1), 3, 4)
        self.w10i = self.series(self.icount["w10"], (0, 1), 3, 5)
        self.w10b = self.series(self.wall["w10"], (0, 1), 3, 6)
        # w9 (wall boot, or the objpool boot where the kernel has none):
        # case,cand,round,ns,thread hits,thread misses,irq hits,irq misses
        w9src = self.objpool if self.objpool["w9"] else self.wall
        self.w9 = collections.defaultdict(dict)
        for r in w9src["w9"]:
            ns, th, tm, ih, im = (int(x) for x in r[3:8])
            self.w9[(r[0], r[1])][int(r[2])] = (ns, th + ih, tm + im,
                                                 ih, im)
        # w9k: case,cand,round,allocs,cache_hits,cache_misses,steals,
        # drains,alloc_failures,grows
        self.w9k = collections.defaultdict(list)
        for r in w9src["w9k"]:
            self.w9k[(r[0], r[1])].append([int(x) for x in r[3:10]])
        env = w9src["w9env"][:1]
        self.w9env = [int(x) for x in env[0]] if env else None
        self.features = {r[0]: r[1] for r in self.wall["feature"] +
                         self.icount["feature"] if len(r) > 1}
        self.skips = {(r[0], r[1]): ",".join(r[2:])
                      for r in self.wall["skip"] + self.icount["skip"] +
                      self.objpool["skip"]}

    @staticmethod
    def series(rows, key_fields, ops_field, value_field, rnd=2):
        s = Series()
        for row in rows:
            try:
                key = tuple(row[i] for i in key_fields)
                s.add(key, int(row[rnd]),
                      float(row[value_field]) / float(row[ops_field]))
            except (IndexError, ValueError, ZeroDivisionError):
                continue
        return s

    def sizes(self, series, pos=0):
        found = {int(k[pos]) for k in series.data}
        return [s for s in SIZES if s in found] + \
            sorted(found - set(SIZES))

    def cands(self, series, pos):
        found = {k[pos] for k in series.data}
        return [c for c in CANDS if c in found]

    def net(self, series, key, null_key):
        """Per-round value minus the null loop's median (loop overhead)."""
        null = series.median(null_key) or 0.0
        return {r: v - null for r, v in series.data.get(key, {}).items()}

    def host_load(self, mode):
        text = read_text(os.path.join(self.dir, mode + ".load"))
        return " -> ".join(text.split()) if text else "-"

    def busy(self):
        """The highest load average seen around the wall-time boot, if the
        host had more runnable work than cores."""
        text = read_text(os.path.join(self.dir, "wall.load"))
        try:
            peak = max(float(x) for x in text.split())
        except ValueError:
            return None
        return peak if peak > (os.cpu_count() or 1) else None

    def cyc_per_ns(self, size, cand):
        ns, cyc = self.w6cyc.get((size, cand), (0, 0))
        return cyc / ns if ns else None

    # -------------------------------------------------------------- output

    def out(self, text=""):
        self.lines.append(text)

    def table(self, header, rows):
        self.out("| " + " | ".join(header) + " |")
        self.out("|" + "|".join("---:" if i else "---"
                                for i in range(len(header))) + "|")
        for row in rows:
            self.out("| " + " | ".join(str(c) for c in row) + " |")
        self.out()

    def target(self, name, met, detail):
        if met is None:
            verdict = "NOT MEASURED"
        else:
            verdict = "MET" if met else "MISSED"
        self.targets.append((name, verdict, detail))

    # ------------------------------------------------------------ sections

    def setup(self):
        w, i = self.winfo, self.iinfo
        self.out("## Setup")
        self.out()
        rows = [
            ("kernel", w.get("kernel", "-")),
            ("kernel command line (wall)", "`" + w.get("cmdline", "-") + "`"),
            ("kernel command line (icount)",
             "`" + i.get("cmdline", "not run") + "`"),
            ("guest CPUs (wall / icount)",
             f"{w.get('cpus', '-')} / {i.get('cpus', '-')}"),
            ("CPU model (QEMU TCG)", w.get("cpu_model", "-")),
            ("clocksource (wall)", w.get("clocksource", "-")),
            ("host", f"{os.cpu_count()} cores, no KVM (TCG)"),
            ("host load average before/after (wall / icount)",
             f"{self.host_load('wall')} / {self.host_load('icount')}"),
        ]
        for name, rows_ in (("wall", self.wall), ("icount", self.icount)):
            env = rows_["env"][:1]
            if env:
                rows.append((f"rounds, pairs per measurement, warm-up "
                             f"pairs, runs per measurement ({name})",
                             ", ".join(env[0][2:6])))
        self.table(["", ""], rows)
        vulns = [(k[5:], v) for k, v in w.items() if k.startswith("vuln_")
                 and not v.startswith("Not affected")]
        if vulns:
            self.out("Mitigations in force (stock defaults; they apply to "
                     "every candidate alike): " +
                     "; ".join(f"{k}: {v}" for k, v in vulns) + ".")
            self.out()
        self.out(
            "Every boot uses the same arguments for every candidate: "
            "`init_on_alloc=0 init_on_free=0` (Debian enables "
            "init_on_alloc by default; kpool's pools here have no "
            "KPOOL_F_ZERO but kpool_zero, so no other candidate zeroes "
            "blocks), `tsc=reliable`, "
            "a larger log buffer for the results. The wall-time boot is "
            "multi-threaded TCG, the instruction-count boot is "
            "`-icount shift=0,sleep=off` with one vCPU, where the guest's "
            "TSC advances by exactly one per instruction.")
        self.out()
        self.out(
            "Candidates (same block size and natural alignment, same "
            "boot): **kpool**; **kmem_cache** (a private cache, never "
            "merged, no SLAB_ACCOUNT); **mempool** "
            "(mempool_create_slab_pool(16) over such a cache); "
            "**locked_list** (textbook pool: one free list of blocks carved "
            "from pages under one spin_lock_irqsave lock); "
            "**percpu_lifo** (the limit: per-CPU stacks of block pointers "
            "under preempt_disable, no checks at all); **objpool** "
            "(lib/objpool, Linux 6.7+); **null** (returns a fixed block: "
            "the loop's own cost, subtracted from instruction counts); "
            "**kpool_zero** (a KPOOL_F_ZERO pool, W1 only: W5's "
            "yardstick).")
        self.out()
        for (work, cand), why in sorted(self.skips.items()):
            if work == "w9" and cand == "objpool" and self.objpool["w9"]:
                continue        # measured in the objpool boot
            self.notes.append(f"{cand} skipped in {work}: {why}.")

    def w1_section(self):
        self.out("## W1: alloc+free pair on one CPU")
        self.out()
        self.out("Wall time, ns per pair (median of the rounds) and the "
                 "per-round ratio kpool/X, median [min-max]:")
        self.out()
        sizes = self.sizes(self.w1)
        cands = [c for c in CANDS if c in self.cands(self.w1, 1)]
        peers = [c for c in cands if c in PEERS]
        rows = []
        for size in sizes:
            s = str(size)
            row = [s] + [fmt(self.w1.median((s, c))) for c in cands]
            row += [fmt_ratio(self.w1.ratios((s, "kpool"), (s, c)))
                    for c in peers]
            rows.append(row)
        self.table(["size"] + [f"{c} ns" for c in cands] +
                   [f"kpool/{c}" for c in peers], rows)
        self.plot_w1(sizes, cands)

        self.out("Instructions per pair (icount boot), net of the loop "
                 "itself (the null candidate: "
                 f"{fmt(self.w1i.median(('64', 'null')))} instructions "
                 "per iteration at 64 bytes):")
        self.out()
        if not self.w1i.data:
            self.out("_icount boot not run._")
            self.out()
            return
        icands = [c for c in CANDS if c in self.cands(self.w1i, 1)]
        ipeers = [c for c in icands if c in PEERS]
        rows = []
        self.w1_instr = {}
        for size in self.sizes(self.w1i):
            s = str(size)
            nets = {c: self.net(self.w1i, (s, c), (s, "null"))
                    for c in icands}
            self.w1_instr[s] = nets
            row = [s] + [fmt(med(list(nets[c].values()))) for c in icands]
            row += [fmt_ratio(paired(nets["kpool"], nets[c]))
                    for c in ipeers]
            rows.append(row)
        self.table(["size"] + [f"{c} instr" for c in icands] +
                   [f"kpool/{c}" for c in ipeers], rows)
        self.out("kpool_zero is a KPOOL_F_ZERO pool of the same size (every "
                 "block zeroed when handed out): the in-kernel yardstick of "
                 "W5, since /dev/kpool's pools always zero.")
        self.out()
        self.plot_instr()

    def w1_instr_median(self, cand):
        """{size: median net instructions per pair} of one candidate."""
        instr = getattr(self, "w1_instr", {})
        return {s: med(list(n[cand].values())) for s, n in instr.items()
                if n.get(cand)}

    def w1_targets(self):
        kp = self.w1_instr_median("kpool")
        if not kp:
            for name in ("W1: kpool pair <= 55 instructions at every size",
                         "W1 stretch: kpool pair <= 45 instructions at "
                         "every size",
                         "W1: kpool pair <= 0.25x kmem_cache instructions",
                         "W1: kpool pair < the textbook locked list's "
                         "instructions"):
                self.target(name, None, "no icount run")
            return
        per = ", ".join(f"{s}: {fmt(v)}" for s, v in kp.items())
        worst = max(kp.values())
        self.target("W1: kpool pair <= 55 instructions at every size",
                    worst <= 55, f"net of the loop, per size: {per}")
        self.target("W1 stretch: kpool pair <= 45 instructions at every "
                    "size", worst <= 45, f"worst: {fmt(worst)}")
        for other, name, ok in (
                ("kmem_cache", "W1: kpool pair <= 0.25x kmem_cache "
                 "instructions at every size", lambda r: r <= 0.25),
                ("locked_list", "W1: kpool pair < the textbook locked "
                 "list's instructions at every size", lambda r: r < 1.0)):
            ratios = {}
            for s, n in self.w1_instr.items():
                r = paired(n["kpool"], n.get(other, {}))
                if r:
                    ratios[s] = med(r)
            if not ratios:
                self.target(name, None, f"{other} not measured")
                continue
            self.target(name, all(ok(v) for v in ratios.values()),
                        "kpool/" + other + " per size: " + ", ".join(
                            f"{s}: {v:.2f}x" for s, v in ratios.items()))

    def w2_section(self):
        self.out("## W2: allocate K, then free K")
        self.out()
        self.out("Wall time, ns per block (one allocation and one free); "
                 "LIFO frees in reverse order, FIFO in allocation order. "
                 "Last columns: kpool/kmem_cache per-round ratio.")
        self.out()
        cands = [c for c in CANDS if c in self.cands(self.w2, 1)]
        rows = []
        for size in self.sizes(self.w2):
            s = str(size)
            for k in ("16", "64", "1024"):
                for order in ("lifo", "fifo"):
                    if not self.w2.has((s, "kpool", k, order)):
                        continue
                    row = [s, k, order] + [
                        fmt(self.w2.median((s, c, k, order))) for c in cands]
                    row.append(fmt_ratio(self.w2.ratios(
                        (s, "kpool", k, order), (s, "kmem_cache", k, order))))
                    rows.append(row)
        self.table(["size", "K", "order"] + cands + ["kpool/kmem_cache"],
                   rows)
        if self.w2i.data:
            self.out("Instructions per block (icount boot, loop included), "
                     "kpool vs kmem_cache:")
            self.out()
            rows = []
            for size in self.sizes(self.w2i):
                s = str(size)
                for k in ("16", "64", "1024"):
                    for order in ("lifo", "fifo", "bulk"):
                        kp = self.w2i.median((s, "kpool", k, order))
                        km = self.w2i.median((s, "kmem_cache", k, order))
                        if kp is None:
                            continue
                        rows.append([s, k, order, fmt(kp), fmt(km),
                                     fmt_ratio(self.w2i.ratios(
                                         (s, "kpool", k, order),
                                         (s, "kmem_cache", k, order)))])
            self.table(["size", "K", "order", "kpool instr", "kmem_cache instr",
                        "kpool/kmem_cache"], rows)

        self.bulk_section()

    def bulk_section(self):
        self.out("### Bulk: kpool_alloc_bulk/free_bulk vs "
                 "kmem_cache_alloc_bulk/free_bulk")
        self.out()
        self.out("Per object (one allocation and one free). Instructions "
                 "(icount boot) are net of the bulk loop itself (the null "
                 "candidate: bulk calls that do nothing, and the loop that "
                 "sums the K pointers); `kpool pair` is W1's net pair at "
                 "the same size. Wall time: ns per object, median of the "
                 "rounds.")
        self.out()
        rows, below_pair, vs_slab = [], {}, {}
        pair = self.w1_instr_median("kpool")
        for size in self.sizes(self.w2) or self.sizes(self.w2i):
            s = str(size)
            for k in BULK_K:
                kp, km = (s, "kpool", k, "bulk"), (s, "kmem_cache", k, "bulk")
                if not self.w2.has(kp) and not self.w2i.has(kp):
                    continue
                null = (s, "null", k, "bulk")
                ikp = self.net(self.w2i, kp, null)
                ikm = self.net(self.w2i, km, null)
                r = paired(ikp, ikm)
                if ikp:
                    below_pair[(s, k)] = (med(list(ikp.values())),
                                          pair.get(s))
                if r:
                    vs_slab[(s, k)] = med(r)
                rows.append([s, k, fmt(med(list(ikp.values()))),
                             fmt(med(list(ikm.values()))), fmt_ratio(r),
                             fmt(pair.get(s)),
                             fmt(self.w2.median(kp)), fmt(self.w2.median(km)),
                             fmt_ratio(self.w2.ratios(kp, km))])
        self.table(["size", "K", "kpool bulk instr/object",
                    "kmem_cache bulk instr/object", "kpool/kmem_cache",
                    "kpool pair instr (W1)", "kpool bulk ns/object",
                    "kmem_cache bulk ns/object", "kpool/kmem_cache ns"],
                   rows)
        name = ("Bulk: kpool alloc+free per object below a single kpool "
                "pair at K = 16, 64, 1024, every size")
        if below_pair and all(p is not None for _, p in below_pair.values()):
            bad = [f"{s}/{k}: {fmt(b)} vs {fmt(p)}"
                   for (s, k), (b, p) in below_pair.items() if b >= p]
            worst = max(b / p for b, p in below_pair.values())
            self.target(name, not bad,
                        f"instructions, worst bulk/pair {worst:.2f}x" +
                        (" (not below at size/K " + ", ".join(bad) + ")"
                         if bad else ""))
        else:
            self.target(name, None, "no icount run")
        name = ("Bulk: kpool per object <= kmem_cache bulk per object at "
                "K = 16, 64, 1024, every size")
        if vs_slab:
            bad = [f"{s}/{k}" for (s, k), v in vs_slab.items() if v > 1.0]
            self.target(name, not bad,
                        f"instructions, worst {max(vs_slab.values()):.2f}x" +
                        (" (over 1.0 at size/K " + ", ".join(bad) + ")"
                         if bad else ""))
        else:
            self.target(name, None, "no icount run")

    def w3_section(self):
        self.out("## W3: producer/consumer (allocate on CPU 0, free on CPU 1)")
        self.out()
        if not self.w3.data:
            self.out("_Not run (needs two CPUs)._")
            self.out()
            return
        self.out("ns per block moved through a 256-slot ring (throughput "
                 "of the pair of CPUs), and kpool/X per round. "
                 "percpu_lifo has no cross-CPU path (a block freed on "
                 "another CPU would overflow that CPU's stack): not run.")
        self.out()
        cands = [c for c in CANDS if c in self.cands(self.w3, 1)]
        rows = []
        for size in self.sizes(self.w3):
            s = str(size)
            rows.append([s] + [fmt(self.w3.median((s, c))) for c in cands] +
                        [fmt_ratio(self.w3.ratios((s, "kpool"), (s, c)))
                         for c in cands if c != "kpool"])
        self.table(["size"] + [f"{c} ns" for c in cands] +
                   [f"kpool/{c}" for c in cands if c != "kpool"], rows)

    def w4_eff(self, size, cand, n):
        """Per-round efficiencies T(n) / (n * T(1)): {round: eff}."""
        one = self.w4.data.get((size, cand, "1"), {})
        many = self.w4.data.get((size, cand, str(n)), {})
        return {r: one[r] / (n * many[r]) for r in many
                if r in one and many[r] > 0}

    def w4_section(self):
        self.out("## W4: scaling (pairs on N CPUs at once)")
        self.out()
        names = ("W4: kpool scaling efficiency >= 0.95 at every size and "
                 "CPU count",
                 "W4: kpool scaling efficiency >= kmem_cache's at every "
                 "size and CPU count")
        ncpus = sorted({int(k[2]) for k in self.w4.data})
        if not self.w4.data or max(ncpus) < 2:
            self.out("_Not run (needs two CPUs)._")
            self.out()
            for name in names:
                self.target(name, None, "W4 not run on 2+ CPUs")
            return
        nrounds = len({r for v in self.w4.data.values() for r in v})
        self.out(
            "Aggregate Mops/s (pairs per microsecond over all CPUs, median "
            "of the rounds) and efficiency T(N)/(N*T(1)), computed within "
            f"each round (every round measures every CPU count of every "
            f"candidate; {nrounds} rounds, each measurement the fastest of "
            "its runs) and reported as the median [min-max] over the "
            f"rounds. This machine gives the guest {max(ncpus)} vCPUs on "
            f"{os.cpu_count()} host cores (TCG); "
            "`make bench BENCH_ARGS=--cpus 16` on a bigger machine.")
        self.out()
        cands = [c for c in CANDS if c in self.cands(self.w4, 1)]
        multi = [n for n in ncpus if n > 1]
        rows, self.scaling, effs = [], {}, {}
        for size in self.sizes(self.w4):
            s = str(size)
            for c in cands:
                tput = {}
                for n in ncpus:
                    ns = self.w4.median((s, c, str(n)))
                    if ns:
                        tput[n] = 1000.0 / ns
                self.scaling[(s, c)] = tput
                row = [s, c] + [fmt(tput.get(n), 2) for n in ncpus]
                for n in multi:
                    e = list(self.w4_eff(s, c, n).values())
                    effs[(s, c, n)] = med(e)
                    row.append(fmt_ratio(e))
                rows.append(row)
        self.table(["size", "candidate"] + [f"Mops/s N={n}" for n in ncpus] +
                   [f"eff N={n}" for n in multi], rows)
        self.plot_scaling(ncpus, cands)
        kp = {(s, n): v for (s, c, n), v in effs.items()
              if c == "kpool" and v is not None}
        km = {(s, n): v for (s, c, n), v in effs.items()
              if c == "kmem_cache" and v is not None}
        per = ", ".join(f"{s}/{n}: {v:.2f}" for (s, n), v in kp.items())
        self.target(names[0], all(v >= 0.95 for v in kp.values()),
                    f"median per-round efficiency, size/N: {per}")
        bad = [f"{s}/{n}: {v:.2f} < {km[(s, n)]:.2f}"
               for (s, n), v in kp.items() if (s, n) in km and v < km[(s, n)]]
        self.target(names[1], not bad and bool(km),
                    "kmem_cache per size/N: " + ", ".join(
                        f"{s}/{n}: {v:.2f}" for (s, n), v in km.items()) +
                    ("; kpool below at " + ", ".join(bad) if bad else ""))

    def w5_section(self):
        self.out("## W5: user space through /dev/kpool")
        self.out()
        names = ("W5: batch64 ALLOC+FREE per block <= 2x the in-kernel "
                 "pair of a KPOOL_F_ZERO pool of the same size",
                 "W5: single-block ALLOC/FREE ioctl <= 1.2x a bare ioctl "
                 "round trip (VERSION)")
        if not self.w5.data and not self.w5i.data:
            self.out("_Not run._")
            self.out()
            for name in names:
                self.target(name, None, "no data")
            return
        self.out(
            "Per block allocated and freed from user space: one block per "
            "ALLOC and per FREE ioctl (single: two ioctls per block), 64 "
            "blocks per ioctl (batch64), and a bare round trip "
            "(version: one KPOOL_IOC_VERSION per block, the cheapest "
            "command). In-kernel: W1's pair of a KPOOL_F_ZERO pool "
            "(kpool_zero; /dev/kpool's pools always zero) and of a plain "
            "pool, same boot. Instructions (icount boot) are the guest's "
            "user and kernel instructions; the in-kernel ones are net of "
            "W1's loop. The targets are judged on instructions where the "
            "icount boot ran (deterministic), else on wall time; "
            "single/version compares one ioctl of the single path "
            "(half a block) with one VERSION. The split of the single "
            "path (ALLOC, FREE: each ioctl timed on its own, in a run of "
            "its own) says which of the two costs what; each one's excess "
            "over VERSION is what /dev/kpool adds to a round trip.")
        self.out()
        rows, batch_r, single_r = [], {}, {}
        zero = self.w1_instr_median("kpool_zero")
        plain = self.w1_instr_median("kpool")
        icount = bool(self.w5i.data)
        for size in self.sizes(self.w5) or self.sizes(self.w5i):
            s = str(size)
            ns = {m: self.w5.median((s, m))
                  for m in ("single", "batch64", "version")}
            ins = {m: self.w5i.median((s, m))
                   for m in ("single", "batch64", "version", "alloc1",
                             "free1")}
            kzero_ns = self.w1.median((s, "kpool_zero"))
            if icount:
                b, k = ins["batch64"], zero.get(s)
                one, v = ins["single"], ins["version"]
            else:
                b, k = ns["batch64"], kzero_ns
                one, v = ns["single"], ns["version"]
            if b and k:
                batch_r[s] = b / k
            if one and v:
                single_r[s] = one / 2 / v
            rows.append([s, fmt(ins["single"]), fmt(ins["batch64"]),
                         fmt(ins["version"]), fmt(zero.get(s)),
                         fmt(plain.get(s)), fmt(batch_r.get(s), 2),
                         fmt(single_r.get(s), 2), fmt(ins["alloc1"]),
                         fmt(ins["free1"]), fmt(ns["single"]),
                         fmt(ns["batch64"]), fmt(ns["version"]),
                         fmt(kzero_ns)])
        self.table(["size", "single instr", "batch64 instr",
                    "version instr", "kpool_zero pair instr",
                    "kpool pair instr", "batch64/kpool_zero",
                    "single per ioctl/version", "ALLOC ioctl instr",
                    "FREE ioctl instr", "single ns", "batch64 ns",
                    "version ns", "kpool_zero pair ns"], rows)
        basis = "instructions" if icount else "wall time"
        for name, per, limit in ((names[0], batch_r, 2.0),
                                 (names[1], single_r, 1.2)):
            if not per:
                self.target(name, None, "no data")
                continue
            self.target(name, max(per.values()) <= limit,
                        f"{basis}, per size: " + ", ".join(
                            f"{s}: {v:.2f}x" for s, v in per.items()))

    def w6_section(self):
        self.out("## W6: growth from an empty pool, and refill")
        self.out()
        if not self.w6.data:
            self.out("_Not run._")
            self.out()
            self.target("p99.9 latency under refill lower than "
                        "kmem_cache's", None, "no data")
            return
        self.out(
            "A fresh pool / cache (no free blocks) allocates "
            f"{self.wall['w6'][0][4]} blocks (grow: chunks and slabs come "
            "from the page allocator), frees them all, and allocates them "
            "again (refill). Every allocation is timed with get_cycles(); "
            "latencies of all rounds pooled, converted to ns with the "
            "TSC rate measured over the same runs. ns/block is the median "
            "of the rounds' whole-loop time.")
        self.out()
        rows, verdict = [], {}
        for size in self.sizes(self.w6):
            s = str(size)
            for phase in ("grow", "refill"):
                for c in ("kpool", "kmem_cache"):
                    q = self.w6q.get((s, c, phase))
                    k = self.cyc_per_ns(s, c)
                    if not q or not k:
                        continue
                    samples, qs = q
                    p = {x: qs.get(x, 0) / k for x in
                         (50000, 99000, 99900, 100000)}
                    if phase == "grow":
                        verdict.setdefault(s, {})[c] = p[99900]
                    rows.append([s, phase, c,
                                 fmt(self.w6.median((s, c, phase))),
                                 fmt(p[50000]), fmt(p[99000]),
                                 fmt(p[99900]), fmt(p[100000]), samples])
        self.table(["size", "phase", "candidate", "ns/block", "p50 ns",
                    "p99 ns", "p99.9 ns", "max ns", "samples"], rows)
        self.plot_cdf()
        if verdict:
            bad = [s for s, v in verdict.items()
                   if v.get("kpool", 0) >= v.get("kmem_cache", 0)]
            self.target(
                "p99.9 latency under refill lower than kmem_cache's",
                not bad,
                "judged on the grow phase, where chunks and slabs come "
                "from the page allocator; p99.9 ns kpool/kmem_cache per "
                "size: " +
                ", ".join(f"{s}: {fmt(v.get('kpool'))}/"
                          f"{fmt(v.get('kmem_cache'))}"
                          for s, v in verdict.items()))

    @staticmethod
    def waste(stride, order):
        """Bytes of a chunk of 2^order pages outside its blocks when
        blocks may straddle pages (issue 11's geometry), or None when not
        one block fits."""
        chunk = PAGE << order
        return chunk % stride if chunk >= stride else None

    def best_orders(self, stride):
        """The smallest order <= 3 whose waste is <= 1/16 of the chunk
        (None if none), and the least-waste order up to KPOOL_MAX_ORDER
        (the smaller on a tie)."""
        small = None
        for order in range(4):
            w = self.waste(stride, order)
            if w is not None and w * 16 <= PAGE << order:
                small = order
                break
        least = min((o for o in range(KPOOL_MAX_ORDER + 1)
                     if self.waste(stride, o) is not None),
                    key=lambda o: (self.waste(stride, o) / (PAGE << o), o),
                    default=None)
        return small, least

    def w7_section(self):
        self.out("## W7: memory")
        self.out()
        names = ("W7: chunk waste <= 1/16 of the chunk for every size "
                 "<= 32 KiB, at order <= 3 where one qualifies",
                 "W7: above 32 KiB, the least-waste order up to "
                 f"KPOOL_MAX_ORDER ({KPOOL_MAX_ORDER})",
                 "W7: out-of-line metadata <= 1/32 of the chunk for "
                 "blocks >= 32 bytes")
        kp = {int(r[0]): r for r in self.wall["w7kpool"]}
        sl = {int(r[0]): r for r in self.wall["w7sysfs"]}
        if not kp:
            self.out("_Not run._")
            self.out()
            for name in names:
                self.target(name, None, "W7 not run")
            return
        self.out(
            "kpool: geometry from kpool_get_stats() of a pool of each size "
            "(KPOOL_ORDER_AUTO, natural alignment, no boundary) holding "
            "one block: chunk order, blocks per chunk, waste per chunk "
            "(bytes of the chunk outside every block: tail, padding) and "
            "its share of the chunk, out-of-line metadata per chunk "
            "(meta_per_chunk: header and block states) and its share, the "
            "pool's per-CPU area over every possible CPU (percpu_bytes) "
            "and all of its metadata (meta_bytes: struct kpool, per-CPU "
            "area, chunks' metadata). `target order` is what the targets "
            "ask for when blocks may straddle pages: up to 32 KiB the "
            "smallest order <= 3 whose waste is <= 1/16 of the chunk "
            "(none: a higher order must get there), above it the "
            "least-waste order up to 7. kmem_cache: SLUB's own "
            "numbers from "
            "/sys/kernel/slab/<cache>/{objs_per_slab,order,slab_size} "
            "(struct slab lives in struct page and is not counted).")
        self.out()
        rows, computed = [], []
        waste_bad, big_bad, meta_bad = [], [], []
        waste_seen, big_seen, meta_seen = [], [], []
        for size in sorted(kp):
            r = [int(x) for x in kp[size][:12]]
            stride, order, per_chunk = r[1], r[3], r[4]
            wasted, meta, percpu, meta_all = r[7], r[8], r[9], r[10]
            chunk = PAGE << order
            small, least = self.best_orders(stride)
            if size > 32768:
                asked = f"least waste: {least}"
            else:
                asked = "none <= 3" if small is None else f"<= 3: {small}"
            row = [size, stride, order, per_chunk,
                   f"{wasted} ({100.0 * wasted / chunk:.1f}%)",
                   f"{meta} ({100.0 * meta / chunk:.2f}%)", asked,
                   f"{percpu:,}", f"{meta_all:,}"]
            if size <= 32768:
                waste_seen.append(size)
                if wasted * 16 > chunk or (small is not None and
                                           order > 3):
                    waste_bad.append(f"{size}: order {order}, "
                                     f"{100.0 * wasted / chunk:.1f}%")
            elif least is not None:
                big_seen.append(size)
                best = self.waste(stride, least) / (PAGE << least)
                if wasted / chunk > best + 1e-9:
                    big_bad.append(f"{size}: order {order} wastes "
                                   f"{100.0 * wasted / chunk:.1f}%, order "
                                   f"{least} {100.0 * best:.1f}%")
            if size >= 32:
                meta_seen.append(size)
                if meta * 32 > chunk:
                    meta_bad.append(f"{size}: "
                                    f"{100.0 * meta / chunk:.2f}%")
            if size in sl:
                objs, sorder, slab_size = (int(x) for x in sl[size][1:4])
            else:
                # no /sys/kernel/slab: an order-0 slab of bare objects
                objs, sorder, slab_size = max(PAGE // size, 1), 0, size
                computed.append(str(size))
            swasted = (PAGE << sorder) - objs * slab_size
            row += [objs, sorder,
                    f"{swasted} ({100.0 * swasted / (PAGE << sorder):.1f}%)"]
            rows.append(row)
        if computed:
            self.notes.append("No /sys/kernel/slab in the guest: kmem_cache "
                              "geometry computed (order-0 slab) for sizes " +
                              ", ".join(computed) + ".")
        self.table(["size", "kpool stride", "chunk order", "blocks/chunk",
                    "waste/chunk B", "metadata/chunk B", "target order",
                    "per-CPU B/pool", "all metadata B/pool",
                    "slab objs/slab", "slab order", "waste/slab B"], rows)
        for name, seen, bad in ((names[0], waste_seen, waste_bad),
                                (names[1], big_seen, big_bad),
                                (names[2], meta_seen, meta_bad)):
            if not seen:
                self.target(name, None, "no such size measured")
                continue
            self.target(name, not bad,
                        "sizes " + ", ".join(str(x) for x in seen) +
                        ("; missed at " + "; ".join(bad) if bad else ""))

    def w8_section(self):
        self.out("## W8: variable sizes, kpool_set vs kmalloc")
        self.out()
        if not self.w8.data and not self.w8i.data:
            self.out("_Not run._")
            self.out()
            return
        self.out(
            "A kpool_set of 8 to 4096 bytes (default spacing: 8 classes "
            "per power of two above 64 bytes, 8-byte alignment; "
            "kpool_set_alloc/kpool_set_free) against kmalloc/kfree. Each "
            "allocation asks for the next size of a fixed pseudo-random "
            "sequence of 4096 sizes, restarted at every measurement, so "
            "both see the same sizes in the same order: **uniform** "
            "8-4096 bytes, and **small** (70% 8-128, 25% 129-1024, 5% "
            "1025-4096). Loops: alloc+free pairs, and batches of 64 "
            "allocations freed in reverse order. **sized_null** runs the "
            "same loops and sequence with no allocator; instruction counts "
            "are net of it.")
        self.out()
        shapes = ("pairs", "batch64")
        dists = sorted({k[0] for k in self.w8.data} |
                       {k[0] for k in self.w8i.data}, reverse=True)
        rows = []
        for d in dists:
            for sh in shapes:
                kp, km = (d, "kpool_set", sh), (d, "kmalloc", sh)
                if not self.w8.has(kp):
                    continue
                rows.append([d, sh, fmt(self.w8.median(kp)),
                             fmt(self.w8.median(km)),
                             fmt_ratio(self.w8.ratios(kp, km))])
        if rows:
            self.out("Wall time, ns per allocation+free (median of the "
                     "rounds), and the per-round ratio:")
            self.out()
            self.table(["sizes", "loop", "kpool_set ns", "kmalloc ns",
                        "kpool_set/kmalloc"], rows)
        rows, pair_r, sized_r = [], {}, {}
        for d in dists:
            for sh in shapes:
                null = (d, "sized_null", sh)
                nets = {c: self.net(self.w8i, (d, c, sh), null)
                        for c in ("kpool_set", "kmalloc")}
                nets["kpool_set_sized"] = self.net(
                    self.w8i, (d, "kpool_set_sized", sh),
                    (d, "sized_null_stack", sh))
                if not nets["kpool_set"]:
                    continue
                kp, km = nets["kpool_set"], nets["kmalloc"]
                ks = nets["kpool_set_sized"]
                r, rs = paired(kp, km), paired(ks, km)
                if sh == "pairs":
                    pair_r[d] = med(r)
                    if rs:
                        sized_r[d] = med(rs)
                rows.append([d, sh, fmt(med(list(kp.values()))),
                             fmt(med(list(ks.values()))),
                             fmt(med(list(km.values()))), fmt_ratio(r),
                             fmt_ratio(rs), fmt(self.w8i.median(null))])
        if rows:
            self.out("Instructions per allocation+free (icount boot), net "
                     "of the loop and the size sequence. kpool_set_sized "
                     "frees with kpool_set_free_sized(), the caller keeping "
                     "each size on a stack (net of sized_null_stack, the "
                     "same loop and stack without an allocator)" +
                     ("" if self.features.get("set_free_sized") == "1" else
                      "; not measured: kpool_set.h has no "
                      "kpool_set_free_sized(set, ptr, size)") + ":")
            self.out()
            self.table(["sizes", "loop", "kpool_set instr",
                        "kpool_set_sized instr", "kmalloc instr",
                        "kpool_set/kmalloc", "kpool_set_sized/kmalloc",
                        "sized_null instr"], rows)
        name = ("W8: kpool_set pair <= 0.7x kmalloc instructions on both "
                "distributions")
        if pair_r:
            self.target(name, all(v <= 0.7 for v in pair_r.values()),
                        ", ".join(f"{d}: {v:.2f}x" for d, v in
                                  pair_r.items()) +
                        ("; sized free: " + ", ".join(
                            f"{d}: {v:.2f}x" for d, v in sized_r.items())
                         if sized_r else ""))
        else:
            self.target(name, None, "no icount run")
        self.w8_classes()
        rows = []
        for d in dists:
            if d not in self.w8frag:
                continue
            req, kset, kmal = self.w8frag[d]
            rows.append([d, f"{req:,}",
                         f"{kset:,} ({100.0 * (kset - req) / kset:.1f}%)",
                         f"{kmal:,} ({100.0 * (kmal - req) / kmal:.1f}%)"])
        if rows:
            self.out("Internal fragmentation of one pass over the 4096 "
                     "sizes: block bytes used (share not asked for). "
                     "kpool_set's figure is its own statistics "
                     "(requested_bytes, block_bytes); kmalloc's is the sum "
                     "of kmalloc_size_roundup():")
            self.out()
            self.table(["sizes", "requested bytes", "kpool_set block bytes",
                        "kmalloc bucket bytes"], rows)

    def w8_classes(self):
        name = ("W8: every class of the 8..4096 set wastes < 1/9 of its "
                "chunk (kpool_set.h's promise, for chunk waste too)")
        if not self.w8class:
            self.target(name, None, "no class geometry")
            return
        worst = sorted(self.w8class, key=lambda c: c[4] / (PAGE << c[2]),
                       reverse=True)
        bad = [c for c in self.w8class if c[4] * 9 >= PAGE << c[2]]
        orders = collections.Counter(c[2] for c in self.w8class)
        self.out(f"Chunk geometry of the set's {len(self.w8class)} classes: "
                 "chunk orders " + ", ".join(
                     f"{o}: {n} classes" for o, n in sorted(orders.items())) +
                 f"; {len(bad)} classes waste 1/9 of their chunk or more. "
                 "The five worst:")
        self.out()
        self.table(["class size", "stride", "chunk order", "blocks/chunk",
                    "waste/chunk B", "metadata/chunk B", "per-CPU B"],
                   [[c[0], c[1], c[2], c[3],
                     f"{c[4]} ({100.0 * c[4] / (PAGE << c[2]):.1f}%)",
                     c[5], f"{c[6]:,}"] for c in worst[:5]])
        self.target(name, not bad,
                    f"{len(bad)} of {len(self.w8class)} classes at or over "
                    "1/9" + (": " + ", ".join(str(c[0]) for c in bad[:12]) +
                             (" ..." if len(bad) > 12 else "")
                             if bad else ""))

    def w10_section(self):
        self.out("## W10: deferred frees (kpool_free_rcu() against kfree_rcu())")
        self.out()
        if not self.w10.data:
            self.out("_Not run._")
            self.out()
            return
        self.out(
            "One CPU takes 4096 blocks, then frees each one after a grace "
            "period: `kpool_free_rcu()` (no rcu_head in the block, "
            "pointers batched per CPU) against `kfree_rcu()` of a "
            "kmem_cache object holding its rcu_head (kvfree_rcu's pages "
            "of pointers). Per block: ns of the call (wall-time boot, "
            "median of the rounds), guest instructions of the call "
            "(icount boot), kpool/kfree_rcu per round, and ns of the "
            "rcu_barrier() after the loop (grace periods and callbacks, "
            "mostly waiting; not what the caller pays).")
        self.out()
        kp, kf = "kpool_free_rcu", "kfree_rcu"
        rows = []
        for size in self.sizes(self.w10):
            s = str(size)
            rows.append([
                s, fmt(self.w10.median((s, kp))),
                fmt(self.w10.median((s, kf))),
                fmt_ratio(self.w10.ratios((s, kp), (s, kf))),
                fmt(self.w10i.median((s, kp))),
                fmt(self.w10i.median((s, kf))),
                fmt_ratio(self.w10i.ratios((s, kp), (s, kf))),
                fmt(self.w10b.median((s, kp))),
                fmt(self.w10b.median((s, kf)))])
        self.table(["size", "kpool_free_rcu ns", "kfree_rcu ns",
                    "kpool/kfree_rcu ns", "kpool_free_rcu insns",
                    "kfree_rcu insns", "kpool/kfree_rcu insns",
                    "kpool barrier ns", "kfree_rcu barrier ns"], rows)

    def w9_section(self):
        self.out("## W9: per-CPU object pool (lib/test_objpool.c's workload)")
        self.out()
        names = ("W9: kpool/objpool hits per second >= 1.0 in every case, "
                 "both kpool pools",
                 "W9: kpool misses <= objpool misses in every case, both "
                 "kpool pools")
        if not self.w9:
            self.out("_Not run._")
            self.out()
            for name in names:
                self.target(name, None, "W9 not run")
            return
        where = "the wall-time boot"
        if self.objpool["w9"]:
            where = (f"a wall-time boot of Debian "
                     f"{read_text(os.path.join(self.dir, 'objpool_kernel'))}"
                     f" ({self.oinfo.get('kernel', '-')}, "
                     f"{self.oinfo.get('cpus', '-')} vCPUs, same boot "
                     "arguments), since the main kernel has no objpool")
        env = self.w9env or [0] * 5
        self.out(
            f"Measured in {where}. A kthread bound to each of the "
            f"{env[1]} CPUs pops BULK objects (GFP_ATOMIC for kpool: it "
            "never sleeps, like objpool_pop()), writes to each, pushes "
            "them back, for "
            f"{env[4]} ms per measurement, sleeping a jiffy every 32768 "
            "iterations while it holds them (test_objpool's msleep(0)); "
            "with `_hrtimer`, a pinned hardirq hrtimer does the same every "
            f"4 ms on each CPU. The pool holds {env[2]} objects of "
            f"{env[3]} bytes (8 per possible CPU, {env[0]} possible). "
            "kpool_fixed: min_blocks == max_blocks == that count; "
            "kpool_min0: min_blocks 0, max_blocks the same. Hits and "
            "misses per second (thread and hardirq together; median of "
            "the rounds), the per-round ratio of hits per second, and "
            "misses summed over all rounds.")
        self.out()
        cases = sorted({k[0] for k in self.w9},
                       key=lambda c: (int(re.sub(r"\D", "", c) or 0), c))
        rows, ratio_ok, miss_ok, have_obj = [], [], [], False
        for cs in cases:
            obj = self.w9.get((cs, "objpool"), {})
            have_obj |= bool(obj)
            for c in W9_CANDS:
                d = self.w9.get((cs, c))
                if not d:
                    continue
                hits = {r: v[1] * 1e9 / v[0] for r, v in d.items() if v[0]}
                miss = {r: v[2] * 1e9 / v[0] for r, v in d.items() if v[0]}
                tmiss = sum(v[2] for v in d.values())
                irq = sum(v[3] + v[4] for v in d.values())
                row = [cs, c, fmt(med(list(hits.values()))),
                       fmt(med(list(miss.values()))), f"{tmiss:,}",
                       f"{irq:,}"]
                if c != "objpool" and obj:
                    ohits = {r: v[1] * 1e9 / v[0] for r, v in obj.items()
                             if v[0]}
                    r = paired(hits, ohits)
                    omiss = sum(v[2] for v in obj.values())
                    row.append(fmt_ratio(r))
                    ratio_ok.append((cs, c, med(r) if r else 0.0))
                    miss_ok.append((cs, c, tmiss, omiss))
                else:
                    row.append("-")
                rows.append(row)
        self.table(["case", "candidate", "hits/s", "misses/s",
                    "misses (all rounds)", "hardirq pops (all rounds)",
                    "kpool/objpool hits/s"], rows)
        rows = []
        for cs in cases:
            for c in W9_CANDS[1:]:
                k = self.w9k.get((cs, c))
                if not k:
                    continue
                tot = [sum(x[i] for x in k) for i in range(7)]
                rows.append([cs, c, f"{tot[0]:,}", f"{tot[1]:,}",
                             f"{tot[2]:,}", f"{tot[3]:,}", f"{tot[4]:,}",
                             f"{tot[5]:,}", f"{tot[6]:,}"])
        if rows:
            self.out("kpool's own counters over all rounds (kpool_get_stats "
                     "before and after each measurement): cache hits are "
                     "allocations served by the CPU's magazine, misses took "
                     "the slow path; steals are blocks taken from another "
                     "CPU's magazine; drains, failures and grows as in "
                     "kpool.h.")
            self.out()
            self.table(["case", "candidate", "allocs", "cache_hits",
                        "cache_misses", "steals", "drains",
                        "alloc_failures", "grows"], rows)
        if not have_obj:
            for name in names:
                self.target(name, None, "objpool not in this kernel")
            return
        bad = [f"{cs} {c}: {v:.2f}" for cs, c, v in ratio_ok if v < 1.0]
        self.target(names[0], not bad,
                    "median per-round ratio: " + ", ".join(
                        f"{cs} {c}: {v:.2f}" for cs, c, v in ratio_ok))
        bad = [f"{cs} {c}: {m:,} vs {o:,}" for cs, c, m, o in miss_ok
               if m > o]
        self.target(names[1], not bad,
                    "misses kpool vs objpool, all rounds: " + ", ".join(
                        f"{cs} {c}: {m:,}/{o:,}" for cs, c, m, o in miss_ok))

    PROFILED = (("kpool.dis", ("kpool_alloc", "kpool_free",
                               "kpool_alloc_bulk", "kpool_free_bulk")),
                ("kpool_set.dis", ("kpool_set_alloc", "kpool_set_free",
                                   "kpool_set_free_sized")),
                # W5: every ioctl's dispatch, and what ALLOC and FREE add
                # first (the rest of theirs branches too much for the walk)
                ("kpool_dev.dis", ("kpool_dev_ioctl",
                                   "kpool_dev_lock_home")))

    def profile(self):
        self.out("## Profile: where kpool's instructions go")
        self.out()
        funcs = {}
        for name, wanted in self.PROFILED:
            dis = read_text(os.path.join(self.dir, name))
            parsed = self.parse_dis(dis) if dis else {}
            funcs.update({f: parsed[f] for f in wanted if f in parsed})
        if not funcs:
            self.out("_No disassembly._")
            return
        self.out(
            "Method: `objdump -dr` of the built kpool.ko, kpool_set.ko and "
            "kpool_dev.ko (W5: the dispatch every ioctl takes, VERSION's "
            "included, and the lock and pool lookup ALLOC and FREE add; "
            "their own instructions, the callees listed). "
            "For each entry point, the **hit path** is walked branch by "
            "branch from the entry: conditional branches fall through "
            "(GCC lays the likely() path out first), unconditional jumps "
            "inside the function are followed, and the walk ends at the "
            "first return or tail call (a `jmp` to another function: the "
            "noinline slow paths); the **straight-line** count is every "
            "instruction from the entry to the first return in address "
            "order (the hit path plus anything jumped over). Calls, locked "
            "(lock-prefixed or memory `xchg`) instructions and interrupt "
            "toggles on the hit path are counted. `__fentry__` is the "
            "ftrace hook, patched to a 5-byte NOP at boot (counted as an "
            "instruction, not as a call); `__x86_return_thunk` is the "
            "return (a plain `ret` unless a return-thunk mitigation is "
            "active). Static branches (`xchg %ax,%ax`, `nop`) are their "
            "disabled state. The walk is a layout heuristic: a block the "
            "source does not mark unlikely() may sit on the fall-through "
            "path although the measured case skips it (e.g. the memset of "
            "KPOOL_F_ZERO pools), so read the listings below with the "
            "counts. The measured count is W1's (kpool) and W8's (sets) "
            "icount figure.")
        self.out()
        rows, listings, walked = [], [], {}
        for name, insns in funcs.items():
            path, end = self.walk(name, insns)
            walked[name] = len(path)
            straight = self.straight(insns)
            calls = sorted({(r or t.split("<")[-1].rstrip(">"))
                            for _, t, r in path if t.startswith("call") and
                            r != "__fentry__"})
            locked = [t for _, t, _ in path if t.startswith("lock") or
                      re.match(r"xchg\s+%\w+,.*\(", t) or
                      re.match(r"xchg\s+.*\(.*,%", t)]
            irq = [t for _, t, _ in path
                   if re.match(r"(cli|sti|pushf|popf)", t)]
            branches = [t for _, t, _ in path
                        if re.match(r"j(?!mp)[a-z]+\s", t)]
            rows.append([name, len(insns), len(straight), len(path),
                         len(branches), len(calls), ", ".join(calls) or "-",
                         len(locked), len(irq), end])
            listings.append((name, path))
        self.table(["function", "instructions (all)", "straight-line",
                    "hit path (walk)", "branches on it", "calls on it",
                    "call targets", "locked insns", "irq toggles",
                    "hit path ends in"], rows)
        pair = self.w1_instr_median("kpool")
        if "kpool_alloc" in walked and "kpool_free" in walked and pair:
            pred = walked["kpool_alloc"] + walked["kpool_free"]
            self.out(f"Predicted pair: {walked['kpool_alloc']} + "
                     f"{walked['kpool_free']} = {pred} instructions, plus "
                     "the two calls and argument moves of the caller; "
                     "measured (W1, net of the loop): " +
                     ", ".join(f"{s}: {fmt(v)}" for s, v in pair.items()) +
                     ".")
            self.out()
        for name, path in listings:
            self.out("<details><summary>" + name +
                     " hit path</summary>")
            self.out()
            self.out("```")
            for addr, text, reloc in path:
                self.out(f"{addr:>6}: {text}" + (f"   <{reloc}>" if reloc
                                                  else ""))
            self.out("```")
            self.out("</details>")
            self.out()

    @staticmethod
    def is_return(text, reloc):
        return bool(re.match(r"(rep )?ret", text)) or (
            text.startswith("jmp") and reloc == "__x86_return_thunk")

    def straight(self, insns):
        """Entry to the first return, in address order."""
        path = []
        for addr, text, reloc in insns:
            path.append((addr, text, reloc))
            if self.is_return(text, reloc):
                break
        return path

    def walk(self, name, insns):
        """The hit path: fall through conditional branches, follow
        unconditional jumps inside the function, stop at a return or a
        tail call. Returns (path, how it ended)."""
        index = {int(a, 16): i for i, (a, _, _) in enumerate(insns)}
        path, seen, i = [], set(), 0
        while i < len(insns) and len(path) < 2000:
            addr, text, reloc = insns[i]
            if i in seen:
                return path, "a loop"
            seen.add(i)
            path.append((addr, text, reloc))
            if self.is_return(text, reloc):
                return path, "return"
            if text.startswith("jmp"):
                if reloc and reloc.startswith(".altinstr"):
                    i += 1          # an alternative, patched at boot
                    continue
                if reloc:
                    return path, f"tail call: {reloc}"
                m = re.match(r"jmp\s+([0-9a-f]+)\b(?: <([^>+]+))?", text)
                target = index.get(int(m.group(1), 16)) if m else None
                if m and m.group(2) and m.group(2) != name:
                    return path, f"tail call: {m.group(2)}"
                if target is None:
                    return path, "jump out of the function"
                i = target
                continue
            i += 1
        return path, "end of function"

    @staticmethod
    def parse_dis(dis):
        funcs, cur = {}, None
        for line in dis.splitlines():
            m = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
            if m:
                cur = funcs.setdefault(m.group(1), [])
                continue
            if cur is None:
                continue
            m = re.match(r"^\s+([0-9a-f]+):\s+(\S.*)$", line)
            if not m:
                continue
            text = re.sub(r"\s+", " ", m.group(2)).strip()
            if "R_X86_64" in text:
                if cur:
                    a, t, _ = cur[-1]
                    sym = text.split()[-1]
                    cur[-1] = (a, t, re.sub(r"[-+]0x[0-9a-f]+$", "", sym))
                continue
            cur.append((m.group(1), text, None))
        return funcs

    # --------------------------------------------------------------- plots

    def gnuplot(self, name, script, size="960,600"):
        path = os.path.join(self.plots, name + ".gp")
        with open(path, "w") as f:
            f.write(f"set terminal png noenhanced size {size}\n")
            f.write(f"set output '{os.path.join(self.plots, name)}.png'\n")
            f.write(script)
        try:
            subprocess.run(["gnuplot", path], check=True,
                           capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as e:
            self.notes.append(f"gnuplot failed for {name}: {e}")
            return
        self.out(f"![{name}](plots/{name}.png)")
        self.out()

    def dat(self, name, lines):
        path = os.path.join(self.plots, name)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def plot_w1(self, sizes, cands):
        lines = ["# size " + " ".join(cands)]
        for size in sizes:
            s = str(size)
            lines.append(s + " " + " ".join(
                fmt_raw(self.w1.median((s, c))) for c in cands))
        path = self.dat("w1.dat", lines)
        plots = ", ".join(
            f"'{path}' using 1:{i + 2} with linespoints title '{c}'"
            for i, c in enumerate(cands))
        self.gnuplot("w1_ns_per_pair", f"""
set title 'W1: alloc+free pair on one CPU (wall time, QEMU TCG)'
set xlabel 'block size (bytes)'
set ylabel 'ns per pair (median of rounds)'
set logscale x 2
set logscale y
set key outside right
set grid
plot {plots}
""")

    def plot_scaling(self, ncpus, cands):
        size = "256" if ("256", "kpool") in self.scaling else \
            next(iter(self.scaling))[0]
        lines = ["# ncpus " + " ".join(cands)]
        for n in ncpus:
            lines.append(str(n) + " " + " ".join(
                fmt_raw(self.scaling.get((size, c), {}).get(n))
                for c in cands))
        path = self.dat("w4.dat", lines)
        plots = ", ".join(
            f"'{path}' using 1:{i + 2} with linespoints title '{c}'"
            for i, c in enumerate(cands))
        self.gnuplot("w4_scaling", f"""
set title 'W4: aggregate throughput, {size}-byte blocks (QEMU TCG)'
set xlabel 'CPUs'
set ylabel 'Mops/s (alloc+free pairs per microsecond)'
set xtics 1
set logscale y
set key outside right
set grid
plot {plots}
""")

    def plot_cdf(self):
        sizes = sorted({int(k[0]) for k in self.w6q})
        panels = []
        for size in sizes:
            s = str(size)
            plots = []
            for c in ("kpool", "kmem_cache"):
                q = self.w6q.get((s, c, "grow"))
                k = self.cyc_per_ns(s, c)
                if not q or not k:
                    continue
                lines = [f"{v / k:.1f} {max(1.0 - x / 100000.0, 1e-5):.6g}"
                         for x, v in sorted(q[1].items())]
                path = self.dat(f"w6_{c}_{s}.dat", lines)
                plots.append(f"'{path}' using 1:2 with steps lw 2 "
                             f"dt {1 if c == 'kpool' else 2} title '{c}'")
            if plots:
                panels.append(f"set title '{size}-byte blocks'\nplot " +
                              ", ".join(plots))
        if not panels:
            return
        script = """
set multiplot layout 2,3 title 'W6: allocation latency while growing from empty (CCDF: fraction of allocations slower than x)'
set xlabel 'latency (ns)'
set logscale x
set format x '%.0s%c'
set logscale y
set yrange [1e-5:1]
set ytics ('all' 1, 'p50' 0.5, 'p90' 0.1, 'p99' 0.01, 'p99.9' 0.001, 'p99.99' 0.0001)
set key top right
set grid
""" + "\n".join(panels) + "\nunset multiplot\n"
        self.gnuplot("w6_latency_cdf", script, "1200,800")

    def plot_instr(self):
        instr = getattr(self, "w1_instr", {})
        if not instr:
            return
        sizes = sorted(instr, key=int)
        cands = [c for c in CANDS if c in instr[sizes[0]]]
        lines = ["# size " + " ".join(cands)]
        for s in sizes:
            lines.append(s + " " + " ".join(
                fmt_raw(med(list(instr[s][c].values()))) for c in cands))
        top = max(med(list(instr[s][c].values())) for s in sizes
                  for c in cands) * 1.1
        path = self.dat("w1_instr.dat", lines)
        plots = ", ".join(
            f"'{path}' using {i + 2}:xtic(1) title '{c}'"
            for i, c in enumerate(cands))
        self.gnuplot("w1_instructions", f"""
set title 'W1: instructions per alloc+free pair (icount, loop subtracted)'
set xlabel 'block size (bytes)'
set ylabel 'instructions per pair'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right
set grid y
set yrange [0:{top:.0f}]
plot {plots}, 55 with lines dt 2 lc rgb 'red' title 'target: 55'
""")

    # ----------------------------------------------------------------- all

    def source(self):
        """Which tree was measured (scripts/bench.sh's snapshot)."""
        lines = read_text(os.path.join(self.dir, "source")).splitlines()
        if not lines:
            return "Source: not recorded."
        text = f"Source measured: commit {lines[0]}"
        changed = lines[1].split() if len(lines) > 1 else []
        if changed:
            text += (" with uncommitted changes to " + ", ".join(
                f"`{f}`" for f in changed))
        return text + "."

    def write(self):
        kernel = read_text(os.path.join(self.dir, "kernel"), "6.1")
        self.setup()
        body_start = len(self.lines)
        self.w1_section()
        self.w1_targets()
        self.w2_section()
        self.w3_section()
        self.w4_section()
        self.w5_section()
        self.w6_section()
        self.w7_section()
        self.w8_section()
        self.w9_section()
        self.w10_section()
        missed = any(v == "MISSED" for _, v, _ in self.targets)
        self.profile()
        body = self.lines[body_start:]
        self.lines = self.lines[:body_start]

        head = [f"# kpool benchmark report (Debian {kernel} guest)", "",
                "Generated by `make bench` (scripts/bench.sh, "
                "scripts/bench-report.py) from the raw results of run "
                f"{os.path.basename(os.path.realpath(self.dir))} "
                "(.out/bench/<run>/wall.csv, icount.csv; plots in plots/). "
                "Numbers come from QEMU TCG "
                "on a 2-core host without KVM: ratios between candidates "
                "measured in the same boot are meaningful, absolute ns "
                "are not those of real hardware. TCG's cost per "
                "instruction is not a CPU's either (it emulates atomic "
                "and per-CPU operations in software), so where wall-time "
                "and instruction-count ratios disagree, the instruction "
                "counts are the better guide to real hardware.", "",
                self.source(), "",
                "Run it again with `make bench` or `scripts/bench.sh "
                "[--cpus N] [--rounds R] [--pairs N] [--kernel 6.12] "
                "[--objpool-kernel K|none] [--workloads w1,w7,...] "
                "[--no-icount] [--update]` (`--kernel 6.12` adds objpool "
                "to every workload; on 6.1, W9 runs in a third boot of "
                "6.12, where objpool exists; `--update` copies the "
                "report here).", "",
                "## Targets", ""]
        peak = self.busy()
        if peak:
            head += [
                f"**The host was busy during the wall-time boot** (load "
                f"average up to {peak:.1f} on {os.cpu_count()} cores): "
                "vCPU threads were descheduled at times, so wall-time "
                "spreads are wide and the multi-CPU numbers (W3, W4) "
                "mostly measure the host. Instruction counts are not "
                "affected. Rerun on an idle host for wall-time "
                "conclusions.", ""]
        for name, verdict, detail in self.targets:
            head.append(f"- **{verdict}**: {name} ({detail})")
        head.append("")
        if missed:
            head.append("Some targets are MISSED: the profile at the end "
                        "shows where kpool's instructions go.")
            head.append("")
        tail = []
        if self.notes:
            tail += ["## Notes", ""] + [f"- {n}" for n in self.notes] + [""]
        self.lines = head + self.lines + body + tail
        with open(os.path.join(self.dir, "REPORT.md"), "w") as f:
            f.write("\n".join(self.lines) + "\n")


def fmt_raw(v):
    return "NaN" if v is None else f"{v:.3f}"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench-report.py RESULTS_DIR")
    Report(sys.argv[1]).write()


if __name__ == "__main__":
    main()
