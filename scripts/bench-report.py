#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-report.py DIR - the Markdown report and plots of a `make bench` run.

DIR is a results directory written by scripts/bench.sh: wall.csv and
icount.csv (the "kpool_bench,csv," lines of each guest, prefix removed),
wall.info and icount.info (the guest's settings), kpool.dis (objdump of
kpool.ko), kpool_chunk.size, boot_args and kernel. Writes DIR/REPORT.md,
DIR/plots/*.png (gnuplot) and DIR/plots/*.dat.

Every ratio kpool/X is computed per round (both measured in the same
round, one after the other) and reported as the median over the rounds
with the spread [min-max] of the per-round ratios.
"""
import collections
import math
import os
import re
import statistics
import subprocess
import sys

SIZES = [16, 64, 256, 1024, 4096]
CANDS = ["kpool", "kmem_cache", "mempool", "locked_list", "percpu_lifo",
         "objpool"]
OTHERS = CANDS[1:]


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
        self.winfo = read_info(os.path.join(outdir, "wall.info"))
        self.iinfo = read_info(os.path.join(outdir, "icount.info"))
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
        self.skips = {(r[0], r[1]): ",".join(r[2:])
                      for r in self.wall["skip"] + self.icount["skip"]}

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
            "Both boots use the same arguments for every candidate: "
            "`init_on_alloc=0 init_on_free=0` (Debian enables "
            "init_on_alloc by default; kpool's pools here have no "
            "KPOOL_F_ZERO, so no candidate zeroes blocks), `tsc=reliable`, "
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
            "the loop's own cost, subtracted from instruction counts).")
        self.out()
        for (work, cand), why in sorted(self.skips.items()):
            self.notes.append(f"{cand} skipped in {work}: {why}.")

    def w1_section(self):
        self.out("## W1: alloc+free pair on one CPU")
        self.out()
        self.out("Wall time, ns per pair (median of the rounds) and the "
                 "per-round ratio kpool/X, median [min-max]:")
        self.out()
        sizes = self.sizes(self.w1)
        cands = [c for c in CANDS if c in self.cands(self.w1, 1)]
        rows = []
        for size in sizes:
            s = str(size)
            row = [s] + [fmt(self.w1.median((s, c))) for c in cands]
            row += [fmt_ratio(self.w1.ratios((s, "kpool"), (s, c)))
                    for c in cands if c != "kpool"]
            rows.append(row)
        self.table(["size"] + [f"{c} ns" for c in cands] +
                   [f"kpool/{c}" for c in cands if c != "kpool"], rows)
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
        rows = []
        self.w1_instr = {}
        for size in self.sizes(self.w1i):
            s = str(size)
            nets = {c: self.net(self.w1i, (s, c), (s, "null"))
                    for c in icands}
            self.w1_instr[s] = nets
            row = [s] + [fmt(med(list(nets[c].values()))) for c in icands]
            k = nets["kpool"]
            for c in icands:
                if c == "kpool":
                    continue
                r = [k[x] / nets[c][x] for x in k
                     if x in nets[c] and nets[c][x] > 0]
                row.append(fmt_ratio(r))
            rows.append(row)
        self.table(["size"] + [f"{c} instr" for c in icands] +
                   [f"kpool/{c}" for c in icands if c != "kpool"], rows)
        self.plot_instr()

    def w1_targets(self):
        instr = getattr(self, "w1_instr", {})
        if instr:
            worst = max(med(list(n["kpool"].values())) for n in instr.values())
            self.target("kpool pair <= 40 instructions", worst <= 40,
                        f"worst size: {worst:.1f} instructions per pair "
                        "(net of the loop)")
            ratios = {}
            for s, n in instr.items():
                k, m = n["kpool"], n.get("kmem_cache", {})
                ratios[s] = med([k[r] / m[r] for r in k if m.get(r)])
            worst_s = max(ratios, key=ratios.get)
            self.target("kpool pair <= 0.2x kmem_cache instructions",
                        ratios[worst_s] <= 0.2,
                        "per size: " + ", ".join(
                            f"{s}: {v:.2f}x" for s, v in ratios.items()))
        else:
            self.target("kpool pair <= 40 instructions", None, "no icount run")
            self.target("kpool pair <= 0.2x kmem_cache instructions", None,
                        "no icount run")
        for other, limit in (("kmem_cache", 0.3), ("mempool", 0.2)):
            per = {}
            for size in self.sizes(self.w1):
                s = str(size)
                r = self.w1.ratios((s, "kpool"), (s, other))
                if r:
                    per[s] = med(r)
            if not per:
                self.target(f"wall time <= {limit}x {other}", None, "no data")
                continue
            self.target(f"wall time <= {limit}x {other}",
                        max(per.values()) <= limit,
                        "median per-round ratio per size: " + ", ".join(
                            f"{s}: {v:.2f}x" for s, v in per.items()))

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

        self.out("### Bulk: kpool_alloc_bulk/free_bulk vs "
                 "kmem_cache_alloc_bulk/free_bulk")
        self.out()
        rows, worst = [], {}
        for size in self.sizes(self.w2):
            s = str(size)
            for k in ("16", "64", "1024"):
                kp = (s, "kpool", k, "bulk")
                km = (s, "kmem_cache", k, "bulk")
                if not self.w2.has(kp):
                    continue
                r = self.w2.ratios(kp, km)
                worst[(s, k)] = med(r)
                rows.append([s, k, fmt(self.w2.median(kp)),
                             fmt(self.w2.median(km)), fmt_ratio(r),
                             fmt(self.w2.median((s, "kpool", k, "lifo")))])
        self.table(["size", "K", "kpool bulk ns/block",
                    "kmem_cache bulk ns/block", "kpool/kmem_cache",
                    "kpool single (LIFO) ns/block"], rows)
        if worst:
            bad = {k: v for k, v in worst.items() if v > 1.0}
            self.target(
                "bulk per object <= kmem_cache bulk per object",
                not bad,
                (f"worst: {max(worst.values()):.2f}x" +
                 (" (over 1.0 at size/K " + ", ".join(
                     f"{s}/{k}" for s, k in bad) + ")" if bad else "")))
        else:
            self.target("bulk per object <= kmem_cache bulk per object",
                        None, "no data")

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

    def w4_section(self):
        self.out("## W4: scaling (pairs on N CPUs at once)")
        self.out()
        if not self.w4.data:
            self.out("_Not run._")
            self.out()
            return
        ncpus = sorted({int(k[2]) for k in self.w4.data})
        self.out("Aggregate Mops/s (pairs per microsecond over all CPUs, "
                 "median of the rounds) and efficiency T(N)/(N*T(1)). "
                 f"This machine gives the guest {max(ncpus)} vCPUs on "
                 f"{os.cpu_count()} host cores (TCG); "
                 "`make bench BENCH_ARGS=--cpus 16` on a bigger machine.")
        self.out()
        cands = [c for c in CANDS if c in self.cands(self.w4, 1)]
        rows = []
        self.scaling = {}
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
                base = tput.get(1)
                row += [fmt(tput[n] / (n * base), 2) if base and n in tput
                        else "-" for n in ncpus if n > 1]
                rows.append(row)
        self.table(["size", "candidate"] + [f"Mops/s N={n}" for n in ncpus] +
                   [f"eff N={n}" for n in ncpus if n > 1], rows)
        self.plot_scaling(ncpus, cands)

    def w5_section(self):
        self.out("## W5: user space through /dev/kpool")
        self.out()
        if not self.w5.data:
            self.out("_Not run._")
            self.out()
            self.target("batched ioctl <= 1.5x in-kernel cost per block",
                        None, "no data")
            return
        self.out(
            "ns per block allocated and freed from user space: one block "
            "per ALLOC and FREE ioctl (single) vs 64 per ioctl (batch64), "
            "against the in-kernel cost per block (W1 kpool pair, same "
            "boot). Pools created through /dev/kpool always zero their "
            "blocks (uapi), which the in-kernel pool does not do.")
        self.out()
        rows, per = [], {}
        for size in self.sizes(self.w5):
            s = str(size)
            single = self.w5.median((s, "single"))
            batch = self.w5.median((s, "batch64"))
            kern = self.w1.median((s, "kpool"))
            ratio = batch / kern if batch and kern else None
            if ratio:
                per[s] = ratio
            isingle = self.w5i.median((s, "single"))
            ibatch = self.w5i.median((s, "batch64"))
            ikern = self.w1i.median((s, "kpool"))
            rows.append([s, fmt(single), fmt(batch), fmt(kern),
                         fmt(ratio, 2), fmt(isingle), fmt(ibatch),
                         fmt(ikern)])
        self.table(["size", "single ns", "batch64 ns", "in-kernel ns",
                    "batch64/in-kernel", "single instr", "batch64 instr",
                    "in-kernel instr"], rows)
        if per:
            self.target("batched ioctl <= 1.5x in-kernel cost per block",
                        max(per.values()) <= 1.5,
                        "per size: " + ", ".join(
                            f"{s}: {v:.1f}x" for s, v in per.items()))

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

    def w7_section(self):
        self.out("## W7: memory")
        self.out()
        kp = {r[0]: r for r in self.wall["w7kpool"]}
        sl = {r[0]: r for r in self.wall["w7sysfs"]}
        if not kp:
            self.out("_Not run._")
            self.out()
            return
        chunk_struct = read_text(os.path.join(self.dir, "kpool_chunk.size"))
        chunk_struct = int(chunk_struct) if chunk_struct.isdigit() else None
        self.out(
            "kpool: geometry from kpool_get_stats() of a pool holding one "
            "block. In-chunk overhead per block = stride - size, plus the "
            "chunk's unused tail (wasted_per_chunk) spread over its blocks. "
            "Out-of-line metadata per chunk is computed from the chunk "
            "layout: struct kpool_chunk "
            f"({chunk_struct if chunk_struct else '?'} bytes, from pahole "
            "on the built kpool.ko) + the allocation bitmap (one bit per "
            "block index, holes included) + the free-index stack (u16 per "
            "block), rounded up to its kmalloc size class; the per-CPU "
            "magazines are per pool, not per block, and not counted. "
            "kmem_cache: SLUB's own numbers from "
            "/sys/kernel/slab/<cache>/{objs_per_slab,order,slab_size} "
            "(struct slab lives in struct page, like kpool's chunk "
            "pointer, and is not counted).")
        self.out()
        rows, computed = [], []
        for size in SIZES:
            s = str(size)
            if s not in kp:
                continue
            r = kp[s]
            stride, order, per_chunk = int(r[1]), int(r[3]), int(r[4])
            wasted = int(r[7])
            meta = self.chunk_meta(chunk_struct, stride, order, per_chunk)
            per_block = (stride - size) + wasted / per_chunk + \
                (meta / per_chunk if meta else 0)
            row = [s, stride, order, per_chunk, wasted,
                   meta if meta else "-", fmt(per_block, 2)]
            if s in sl:
                objs, sorder, slab_size = int(sl[s][1]), int(sl[s][2]), \
                    int(sl[s][3])
            else:
                # no /sys/kernel/slab: an order-0 slab of bare objects
                objs, sorder, slab_size = 4096 // size, 0, size
                computed.append(s)
            swasted = (4096 << sorder) - objs * slab_size
            sper = (slab_size - size) + swasted / objs
            row += [objs, sorder, slab_size, swasted, fmt(sper, 2)]
            rows.append(row)
        if computed:
            self.notes.append("No /sys/kernel/slab in the guest: kmem_cache "
                              "geometry computed (order-0 slab) for sizes " +
                              ", ".join(computed) + ".")
        self.table(["size", "kpool stride", "chunk order", "blocks/chunk",
                    "wasted/chunk B", "metadata/chunk B",
                    "kpool overhead B/block", "slab objs/slab", "slab order",
                    "slab stride", "wasted/slab B",
                    "slab overhead B/object"], rows)

    @staticmethod
    def chunk_meta(chunk_struct, stride, order, per_chunk):
        if not chunk_struct:
            return None
        page = 4096
        if stride <= page:
            per_unit = page // stride
            units = 1 << order
        else:
            per_unit, units = per_chunk, 1
        slot_shift = max(0, math.ceil(math.log2(per_unit))) if per_unit > 1 \
            else 0
        index_space = units << slot_shift
        wide = index_space > 65536
        raw = chunk_struct + math.ceil(index_space / 64) * 8 + \
            per_chunk * (4 if wide else 2)
        size = 8
        while size < raw:
            size *= 2
        if 64 < raw <= 96:
            size = 96
        elif 128 < raw <= 192:
            size = 192
        return size

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
        rows = []
        for d in dists:
            for sh in shapes:
                null = (d, "sized_null", sh)
                nets = {c: self.net(self.w8i, (d, c, sh), null)
                        for c in ("kpool_set", "kmalloc")}
                if not nets["kpool_set"]:
                    continue
                kp, km = nets["kpool_set"], nets["kmalloc"]
                rows.append([d, sh, fmt(med(list(kp.values()))),
                             fmt(med(list(km.values()))),
                             fmt_ratio([kp[r] / km[r] for r in kp
                                        if km.get(r)]),
                             fmt(self.w8i.median(null))])
        if rows:
            self.out("Instructions per allocation+free (icount boot), net "
                     "of the loop and the size sequence:")
            self.out()
            self.table(["sizes", "loop", "kpool_set instr", "kmalloc instr",
                        "kpool_set/kmalloc", "sized_null instr"], rows)
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

    def profile(self):
        self.out("## Profile: where kpool's instructions go")
        self.out()
        dis = read_text(os.path.join(self.dir, "kpool.dis"))
        if not dis:
            self.out("_No disassembly._")
            return
        self.out(
            "Method: `objdump -dr` of the built kpool.ko. For kpool_alloc "
            "and kpool_free, the straight-line path is every instruction "
            "from the entry to the first return in address order (GCC "
            "lays the likely() path out first, so this is the fast path "
            "plus any instructions jumped over); calls, locked "
            "(atomic read-modify-write) instructions and interrupt "
            "toggles on it are counted. `__fentry__` is the ftrace hook, "
            "patched to a 5-byte NOP at boot; `__x86_return_thunk` is the "
            "return (a plain `ret` unless a return-thunk mitigation is "
            "active). The measured count is the icount number of W1.")
        self.out()
        funcs = self.parse_dis(dis)
        rows, listings = [], []
        for name in ("kpool_alloc", "kpool_free"):
            insns = funcs.get(name)
            if not insns:
                continue
            path = []
            for addr, text, reloc in insns:
                path.append((addr, text, reloc))
                if re.match(r"(ret|jmp\s.*__x86_return_thunk)", text) or \
                        (reloc and "__x86_return_thunk" in reloc and
                         text.startswith("jmp")):
                    break
            calls = [r or re.sub(r".*<([^>+]+).*>.*", r"\1", t)
                     for _, t, r in path if t.startswith("call")]
            locked = [t for _, t, _ in path if t.startswith("lock") or
                      re.match(r"xchg\s.*\(", t)]
            irq = [t for _, t, _ in path
                   if re.match(r"(cli|sti|pushf|popf)", t)]
            rows.append([name, len(insns), len(path), len(calls),
                         ", ".join(sorted(set(calls))) or "-",
                         len(locked), len(irq)])
            listings.append((name, path))
        self.table(["function", "instructions (all)", "straight-line path",
                    "calls on it", "call targets", "locked insns",
                    "irq toggles"], rows)
        for name, path in listings:
            self.out("<details><summary>" + name +
                     " straight-line path</summary>")
            self.out()
            self.out("```")
            for addr, text, reloc in path:
                self.out(f"{addr:>6}: {text}" + (f"   <{reloc}>" if reloc
                                                  else ""))
            self.out("```")
            self.out("</details>")
            self.out()

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
plot {plots}, 40 with lines dt 2 lc rgb 'red' title 'target: 40'
""")

    # ----------------------------------------------------------------- all

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
                "Run it again with `make bench` or `scripts/bench.sh "
                "[--cpus N] [--rounds R] [--pairs N] [--kernel 6.12] "
                "[--no-icount] [--update]` (`--kernel 6.12` adds objpool; "
                "`--update` copies the report here).", "",
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
