#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-report.py DIR - the Markdown report and plots of a `make bench` run.

DIR is a results directory written by scripts/bench.sh: DIR/kernels lists
the kernels measured, the first one the kernel every target is judged on
(the newest), and DIR/K/ holds kernel K's results: wall.csv and icount.csv
(the "kpool_bench,csv," lines of each guest, prefix removed), wall.info and
icount.info (the guests' settings), *.load (the host's load average before
and after each boot), *.seconds (how long each boot took), kpool.dis,
kpool_set.dis and kpool_dev.dis (objdump of the modules built for K),
kernel (its series), release, distro and config (the .config it was
built with). DIR/boot_args and DIR/source are the run's. Writes
DIR/REPORT.md, DIR/plots/*.png (gnuplot) and DIR/plots/*.dat.

Every ratio kpool/X is computed per round (both measured in the same
round, one after the other, in the same boot) and reported as the median
over the rounds with the spread [min-max] of the per-round ratios. Every
target is a MET/MISSED line at the top of the report (NOT MEASURED when
its workload did not run). The targets and the W1 instruction counts of
every kernel stand between the markers of README's blocks bench-targets
and bench-headline (block()), which scripts/readme.py copies into
README.md.
"""
import collections
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hitpath import (HIT_PATHS, hit_path, hit_path_facts,  # noqa: E402
                     parse_dis, straight, walk)

SIZES = [16, 64, 256, 1024, 4096]
CANDS = ["kpool", "kmem_cache", "mempool", "locked_list", "percpu_lifo",
         "objpool", "kpool_zero"]
# Candidates kpool is compared with (kpool_zero is w5's yardstick only).
PEERS = ["kmem_cache", "mempool", "locked_list", "percpu_lifo", "objpool"]
BULK_K = ("16", "64", "1024")
PAGE = 4096
KPOOL_MAX_ORDER = 7
W9_CANDS = ["objpool", "kpool_fixed", "kpool_min0"]
W9_BULK = 16
# W1's pair targets (instructions), and the stretch.
W1_TARGET = 60
W1_STRETCH = 50
# README.md holds a copy of what stands between a block's markers
# (scripts/readme.py sync NAME bench/REPORT.md): the headline and the
# targets.


def block(name):
    """The opening and closing markers of README's figures block NAME."""
    return (f"<!-- figures {name} -->", "<!-- /figures -->")


# W1's candidates as the headline names them.
HEADLINE_COLS = [("kpool", "kpool"), ("kmem_cache", "kmem_cache"),
                 ("mempool", "mempool"), ("locked_list", "textbook list"),
                 ("percpu_lifo", "per-CPU LIFO (no checks)"),
                 ("objpool", "objpool"),
                 ("kpool_zero", "kpool, `KPOOL_F_ZERO`")]
# Build options that change kpool's own instructions, as the setup table
# names them (DIR/K/config: the kernel's .config lines bench.sh kept).
CONFIG_NAMES = [
    ("CONFIG_X86_KERNEL_IBT", "IBT (endbr64 at every entry)"),
    ("CONFIG_UBSAN_BOUNDS", "UBSAN bounds checks"),
    ("CONFIG_UBSAN_SHIFT", "UBSAN shift checks"),
    ("CONFIG_MITIGATION_CALL_DEPTH_TRACKING", "call depth tracking"),
    ("CONFIG_MITIGATION_RETHUNK", "return thunk"),
    ("CONFIG_RETHUNK", "return thunk"),
    ("CONFIG_MITIGATION_RETPOLINE", "retpolines"),
    ("CONFIG_RETPOLINE", "retpolines"),
    ("CONFIG_STACKPROTECTOR_STRONG", "stack protector (strong)"),
    ("CONFIG_FUNCTION_TRACER", "ftrace (__fentry__)"),
    ("CONFIG_PREEMPT_LAZY", "lazy preemption"),
    ("CONFIG_PREEMPT_VOLUNTARY", "voluntary preemption"),
    ("CONFIG_PREEMPT_DYNAMIC", "dynamic preemption"),
]


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
        return paired(self.data.get(key_a, {}), self.data.get(key_b, {}))

    def has(self, key):
        return key in self.data


class Doc:
    """Markdown lines."""

    def __init__(self):
        self.lines = []

    def out(self, text=""):
        self.lines.append(text)

    def table(self, header, rows):
        self.out("| " + " | ".join(header) + " |")
        self.out("|" + "|".join("---:" if i else "---"
                                for i in range(len(header))) + "|")
        for row in rows:
            self.out("| " + " | ".join(str(c) for c in row) + " |")
        self.out()


class Kernel(Doc):
    """One kernel's results (DIR/K/): its sections of the report (under
    the report's heading of the kernel), and the figures the targets are
    judged on.
    Plots go to PLOTS, their names ending in SUFFIX; NOTES is the report's
    list of notes. MAIN_TITLE names the kernel whose sections come first
    and explain the methods, None for that kernel itself."""

    DEPTH = 3           # its sections' headings: ### W1 ...

    def __init__(self, path, plots, suffix, notes, main_title):
        super().__init__()
        self.dir = path
        self.main_title = main_title
        self.plots = plots
        self.suffix = suffix
        self.notes = notes
        self.series = read_text(os.path.join(path, "kernel"), "?")
        self.release = read_text(os.path.join(path, "release"), "-")
        self.distro = read_text(os.path.join(path, "distro"), "Debian")
        self.title = f"Linux {self.series}"
        self.name = f"{self.title} ({self.distro})"
        self.wall = read_rows(os.path.join(path, "wall.csv"))
        self.icount = read_rows(os.path.join(path, "icount.csv"))
        self.winfo = read_info(os.path.join(path, "wall.info"))
        self.iinfo = read_info(os.path.join(path, "icount.info"))
        # the figures the targets are judged on, set by the sections
        self.w1_instr = {}
        self.w1_wall = {}
        self.bulk = {}
        self.w4_eff = {}
        self.w5 = None
        self.w6_p999 = {}
        self.w7 = None
        self.w8_pair, self.w8_sized = {}, {}
        self.w8class_bad = None
        self.w9_ratio, self.w9_misses = [], []
        self.w9miss = {}
        self.w10 = {}
        self.hitpath = {}
        self.load()
        self.spread = self.icount_least()

    # ---------------------------------------------------------------- data

    def load(self):
        # w1: size,cand,round,pairs,ns,cycles
        self.w1 = self.series_of(self.wall["w1"], (0, 1), 3, 4)
        self.w1i = self.series_of(self.icount["w1"], (0, 1), 3, 5)
        # w2: size,cand,k,order,round,objects,ns,cycles
        self.w2 = self.series_of(self.wall["w2"], (0, 1, 2, 3), 5, 6, rnd=4)
        self.w2i = self.series_of(self.icount["w2"], (0, 1, 2, 3), 5, 7,
                                  rnd=4)
        # w3: size,cand,round,items,ns,cycles
        self.w3 = self.series_of(self.wall["w3"], (0, 1), 3, 4)
        # w4: size,cand,ncpus,round,ops,ns -> ns per op (aggregate)
        self.w4 = self.series_of(self.wall["w4"], (0, 1, 2), 4, 5, rnd=3)
        # w5: size,mode,round,blocks,ns,cycles
        self.w5s = self.series_of(self.wall["w5"], (0, 1), 3, 4)
        self.w5i = self.series_of(self.icount["w5"], (0, 1), 3, 5)
        # w6: size,cand,phase,round,blocks,ns,cycles
        self.w6 = self.series_of(self.wall["w6"], (0, 1, 2), 4, 5, rnd=3)
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
        self.w8 = self.series_of(self.wall["w8"], (0, 1, 2), 4, 5, rnd=3)
        self.w8i = self.series_of(self.icount["w8"], (0, 1, 2), 4, 6, rnd=3)
        # w8frag: dist,requested,set block bytes,kmalloc bucket bytes
        self.w8frag = {r[0]: [int(x) for x in r[1:4]]
                       for r in self.wall["w8frag"] + self.icount["w8frag"]}
        # w8class: class size,stride,order,blocks/chunk,wasted,meta,percpu
        self.w8class = [[int(x) for x in r[:7]]
                        for r in self.wall["w8class"] or
                        self.icount["w8class"]]
        # w9miss (icount): shape,cand,round,calls,ns,cycles
        self.w9m = self.series_of(self.icount["w9miss"], (0, 1), 3, 5)
        env = self.icount["w9missenv"][:1]
        self.w9menv = [int(x) for x in env[0]] if env else None
        # w10: size,cand,round,blocks,call_ns,call_cycles,barrier_ns
        self.w10s = self.series_of(self.wall["w10"], (0, 1), 3, 4)
        self.w10i = self.series_of(self.icount["w10"], (0, 1), 3, 5)
        self.w10b = self.series_of(self.wall["w10"], (0, 1), 3, 6)
        # w9: case,cand,round,ns,thread hits,thread misses,irq hits,
        # irq misses
        self.w9 = collections.defaultdict(dict)
        for r in self.wall["w9"]:
            ns, th, tm, ih, im = (int(x) for x in r[3:8])
            self.w9[(r[0], r[1])][int(r[2])] = (ns, th + ih, tm + im,
                                                 ih, im)
        # w9k: case,cand,round,allocs,cache_hits,cache_misses,steals,
        # drains,alloc_failures,grows
        self.w9k = collections.defaultdict(list)
        for r in self.wall["w9k"]:
            self.w9k[(r[0], r[1])].append([int(x) for x in r[3:10]])
        env = self.wall["w9env"][:1]
        self.w9env = [int(x) for x in env[0]] if env else None
        self.features = {r[0]: r[1] for r in self.wall["feature"] +
                         self.icount["feature"] if len(r) > 1}
        self.skips = {(r[0], r[1]): ",".join(r[2:])
                      for r in self.wall["skip"] + self.icount["skip"]}

    @staticmethod
    def series_of(rows, key_fields, ops_field, value_field, rnd=2):
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

    def wall_peak(self):
        """The highest load average seen around the wall-time boot."""
        text = read_text(os.path.join(self.dir, "wall.load"))
        try:
            return max(float(x) for x in text.split())
        except ValueError:
            return None

    def cyc_per_ns(self, size, cand):
        ns, cyc = self.w6cyc.get((size, cand), (0, 0))
        return cyc / ns if ns else None

    def wall_skipped(self):
        """The workloads the wall-time boot left out (kpool_bench.skip)."""
        m = re.search(r"kpool_bench\.skip=(\S+)",
                      self.winfo.get("cmdline", ""))
        return m.group(1).replace(",", ", ") if m else "none"

    def has_objpool(self):
        return self.features.get("objpool") == "1"

    def config(self):
        """The build options of CONFIG_NAMES this kernel has, named."""
        text = read_text(os.path.join(self.dir, "config"))
        have = set(re.findall(r"^(CONFIG_\w+)=y$", text, re.M))
        names = []
        for opt, name in CONFIG_NAMES:
            if opt in have and name not in names:
                names.append(name)
        return ", ".join(names) if text else "-"

    def w1_instr_median(self, cand):
        """{size: median net instructions per pair} of one candidate."""
        return {s: med(list(n[cand].values()))
                for s, n in self.w1_instr.items() if n.get(cand)}

    # -------------------------------------------------------------- output

    def head(self, level, text):
        """A heading LEVEL below this kernel's sections (0: a section)."""
        self.out("#" * (self.DEPTH + level) + " " + text)
        self.out()

    def not_run(self, workload, how=""):
        """Says that WORKLOAD did not run (HOW: as it should have), and
        whether its boot left it out."""
        skipped = workload in self.wall_skipped().split(", ")
        self.out(f"_Not run{' ' + how if how else ''}" +
                 (" (left out of this kernel's wall-time boot)"
                  if skipped else "") + "._")
        self.out()

    def explain(self, text):
        """A section's method: in full in the main kernel's section, a
        pointer to it in the others'."""
        self.out(text if self.main_title is None else
                 f"Method and columns as in {self.main_title}'s section.")
        self.out()

    def body(self):
        self.w1_section()
        self.w2_section()
        self.w3_section()
        self.w4_section()
        self.w5_section()
        self.w6_section()
        self.w7_section()
        self.w8_section()
        self.w9_section()
        self.w10_section()
        self.profile()
        skipped = collections.defaultdict(list)
        for (work, cand), why in sorted(self.skips.items()):
            skipped[(cand, why)].append(work)
        for (cand, why), works in skipped.items():
            self.notes.append(f"{self.title}: {cand} skipped in "
                              f"{', '.join(works)}: {why}.")
        if self.spread:
            self.notes.append(self.spread)
        return self.lines

    def icount_least(self):
        """Instruction counts are the least of their rounds: a round counts
        every instruction the guest ran meanwhile (other tasks',
        interrupts'), so it can only gain. Each icount series keeps its
        least round only (round 0); the note says where rounds disagreed
        by more than 5%, or None."""
        spread = []
        for name, series in (("W1", self.w1i), ("W2", self.w2i),
                             ("W5", self.w5i), ("W8", self.w8i),
                             ("W9 misses", self.w9m), ("W10", self.w10i)):
            over = [k for k, v in series.data.items()
                    if max(v.values()) > 1.05 * min(v.values()) > 0]
            if over:
                spread.append(f"{name}: {len(over)} of {len(series.data)}")
            series.data = collections.defaultdict(
                dict, {k: {0: min(v.values())} for k, v in series.data.items() if v})
        if not spread:
            return None
        return (f"{self.title}: in some icount measurements a round counts "
                "more than 5% over the least of its rounds (" +
                "; ".join(spread) + "): a round counts every instruction "
                "the guest ran meanwhile, other tasks' and interrupts' too, "
                "so it can only gain. Instruction counts are the least of "
                "the rounds.")

    def w1_section(self):
        self.head(0, "W1: alloc+free pair on one CPU")
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
            r = self.w1.ratios((s, "kpool"), (s, "kmem_cache"))
            if r:
                self.w1_wall[s] = med(r)
        if rows:
            self.table(["size"] + [f"{c} ns" for c in cands] +
                       [f"kpool/{c}" for c in peers], rows)
            self.plot_w1(sizes, cands)
        else:
            self.out("_Wall-time boot: not run._")
            self.out()
        if not self.w1i.data:
            self.out("Instructions per pair: _icount boot not run._")
            self.out()
            return
        self.out("Instructions per pair (icount boot), net of the loop "
                 "itself (the null candidate: "
                 f"{fmt(self.w1i.median(('64', 'null')))} instructions "
                 "per iteration at 64 bytes):")
        self.out()
        icands = [c for c in CANDS if c in self.cands(self.w1i, 1)]
        ipeers = [c for c in icands if c in PEERS]
        rows = []
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

    def w2_section(self):
        self.head(0, "W2: allocate K, then free K")
        self.out("Wall time, ns per block (one allocation and one free); "
                 "LIFO frees in reverse order, FIFO in allocation order. "
                 "Last columns: kpool/kmem_cache per-round ratio.")
        self.out()
        cands = [c for c in CANDS if c in self.cands(self.w2, 1)]
        rows = []
        for size in self.sizes(self.w2):
            s = str(size)
            for k in BULK_K:
                for order in ("lifo", "fifo"):
                    if not self.w2.has((s, "kpool", k, order)):
                        continue
                    row = [s, k, order] + [
                        fmt(self.w2.median((s, c, k, order))) for c in cands]
                    row.append(fmt_ratio(self.w2.ratios(
                        (s, "kpool", k, order), (s, "kmem_cache", k, order))))
                    rows.append(row)
        if rows:
            self.table(["size", "K", "order"] + cands + ["kpool/kmem_cache"],
                       rows)
        else:
            self.out("_Wall-time boot: not run._")
            self.out()
        if self.w2i.data:
            self.out("Instructions per block (icount boot, loop included), "
                     "kpool vs kmem_cache:")
            self.out()
            rows = []
            for size in self.sizes(self.w2i):
                s = str(size)
                for k in BULK_K:
                    for order in ("lifo", "fifo", "bulk"):
                        kp = self.w2i.median((s, "kpool", k, order))
                        km = self.w2i.median((s, "kmem_cache", k, order))
                        if kp is None:
                            continue
                        rows.append([s, k, order, fmt(kp), fmt(km),
                                     fmt_ratio(self.w2i.ratios(
                                         (s, "kpool", k, order),
                                         (s, "kmem_cache", k, order)))])
            self.table(["size", "K", "order", "kpool instr",
                        "kmem_cache instr", "kpool/kmem_cache"], rows)
        self.bulk_section()

    def bulk_section(self):
        self.head(1, "Bulk: kpool_alloc_bulk/free_bulk vs "
                  "kmem_cache_alloc_bulk/free_bulk")
        self.out("Per object (one allocation and one free). Instructions "
                 "(icount boot) are net of the bulk loop itself (the null "
                 "candidate: bulk calls that do nothing, and the loop that "
                 "sums the K pointers); `kpool pair` is W1's net pair at "
                 "the same size. Wall time: ns per object, median of the "
                 "rounds.")
        self.out()
        rows = []
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
                    self.bulk[(s, k)] = (med(list(ikp.values())),
                                         med(r) if r else None, pair.get(s))
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

    def w3_section(self):
        self.head(0, "W3: producer/consumer (allocate on CPU 0, free on "
                  "CPU 1)")
        if not self.w3.data:
            self.not_run("w3")
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

    def w4_eff_rounds(self, size, cand, n):
        """Per-round efficiencies T(n) / (n * T(1)): {round: eff}."""
        one = self.w4.data.get((size, cand, "1"), {})
        many = self.w4.data.get((size, cand, str(n)), {})
        return {r: one[r] / (n * many[r]) for r in many
                if r in one and many[r] > 0}

    def w4_section(self):
        self.head(0, "W4: scaling (pairs on N CPUs at once)")
        ncpus = sorted({int(k[2]) for k in self.w4.data})
        if not self.w4.data or max(ncpus) < 2:
            self.not_run("w4", "on 2 or more CPUs")
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
        rows, self.scaling = [], {}
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
                    e = list(self.w4_eff_rounds(s, c, n).values())
                    if e:
                        self.w4_eff[(s, c, n)] = med(e)
                    row.append(fmt_ratio(e))
                rows.append(row)
        self.table(["size", "candidate"] + [f"Mops/s N={n}" for n in ncpus] +
                   [f"eff N={n}" for n in multi], rows)
        self.plot_scaling(ncpus, cands)

    def w5_section(self):
        self.head(0, "W5: user space through /dev/kpool")
        if not self.w5s.data and not self.w5i.data:
            self.not_run("w5")
            return
        self.explain(
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
        rows, batch_r, single_r = [], {}, {}
        zero = self.w1_instr_median("kpool_zero")
        plain = self.w1_instr_median("kpool")
        icount = bool(self.w5i.data)
        for size in self.sizes(self.w5s) or self.sizes(self.w5i):
            s = str(size)
            ns = {m: self.w5s.median((s, m))
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
        self.w5 = ("instructions" if icount else "wall time", batch_r,
                   single_r)

    def w6_section(self):
        self.head(0, "W6: growth from an empty pool, and refill")
        if not self.w6.data:
            self.not_run("w6")
            return
        self.explain(
            "A fresh pool / cache (no free blocks) allocates "
            f"{self.wall['w6'][0][4]} blocks (grow: chunks and slabs come "
            "from the page allocator), frees them all, and allocates them "
            "again (refill). Every allocation is timed with get_cycles(); "
            "latencies of all rounds pooled, converted to ns with the "
            "TSC rate measured over the same runs. ns/block is the median "
            "of the rounds' whole-loop time.")
        rows = []
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
                        self.w6_p999.setdefault(s, {})[c] = p[99900]
                    rows.append([s, phase, c,
                                 fmt(self.w6.median((s, c, phase))),
                                 fmt(p[50000]), fmt(p[99000]),
                                 fmt(p[99900]), fmt(p[100000]), samples])
        self.table(["size", "phase", "candidate", "ns/block", "p50 ns",
                    "p99 ns", "p99.9 ns", "max ns", "samples"], rows)
        self.plot_cdf()

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
        self.head(0, "W7: memory")
        kp = {int(r[0]): r for r in self.wall["w7kpool"]}
        sl = {int(r[0]): r for r in self.wall["w7sysfs"]}
        if not kp:
            self.not_run("w7")
            return
        self.explain(
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
            self.notes.append(f"{self.title}: no /sys/kernel/slab in the "
                              "guest: kmem_cache geometry computed "
                              "(order-0 slab) for sizes " +
                              ", ".join(computed) + ".")
        self.table(["size", "kpool stride", "chunk order", "blocks/chunk",
                    "waste/chunk B", "metadata/chunk B", "target order",
                    "per-CPU B/pool", "all metadata B/pool",
                    "slab objs/slab", "slab order", "waste/slab B"], rows)
        self.w7 = [(waste_seen, waste_bad), (big_seen, big_bad),
                   (meta_seen, meta_bad)]

    def w8_section(self):
        self.head(0, "W8: variable sizes, kpool_set vs kmalloc")
        if not self.w8.data and not self.w8i.data:
            self.not_run("w8")
            return
        self.explain(
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
                nets["kpool_set_sized"] = self.net(
                    self.w8i, (d, "kpool_set_sized", sh),
                    (d, "sized_null_stack", sh))
                if not nets["kpool_set"]:
                    continue
                kp, km = nets["kpool_set"], nets["kmalloc"]
                ks = nets["kpool_set_sized"]
                r, rs = paired(kp, km), paired(ks, km)
                if sh == "pairs":
                    self.w8_pair[d] = med(r)
                    if rs:
                        self.w8_sized[d] = med(rs)
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
        if not self.w8class:
            return
        worst = sorted(self.w8class, key=lambda c: c[4] / (PAGE << c[2]),
                       reverse=True)
        self.w8class_bad = [c[0] for c in self.w8class
                            if c[4] * 9 >= PAGE << c[2]]
        orders = collections.Counter(c[2] for c in self.w8class)
        self.out(f"Chunk geometry of the set's {len(self.w8class)} classes: "
                 "chunk orders " + ", ".join(
                     f"{o}: {n} classes" for o, n in sorted(orders.items())) +
                 f"; {len(self.w8class_bad)} classes waste 1/9 of their "
                 "chunk or more. The five worst:")
        self.out()
        self.table(["class size", "stride", "chunk order", "blocks/chunk",
                    "waste/chunk B", "metadata/chunk B", "per-CPU B"],
                   [[c[0], c[1], c[2], c[3],
                     f"{c[4]} ({100.0 * c[4] / (PAGE << c[2]):.1f}%)",
                     c[5], f"{c[6]:,}"] for c in worst[:5]])

    def w10_section(self):
        self.head(0, "W10: deferred frees (kpool_free_rcu() against "
                  "kfree_rcu())")
        if not self.w10s.data and not self.w10i.data:
            self.not_run("w10")
            return
        self.explain(
            "One CPU takes 4096 blocks, then frees each one after a grace "
            "period: `kpool_free_rcu()` (no rcu_head in the block, "
            "pointers batched per CPU) against `kfree_rcu()` of a "
            "kmem_cache object holding its rcu_head (kvfree_rcu's pages "
            "of pointers). Per block: ns of the call (wall-time boot, "
            "median of the rounds), guest instructions of the call "
            "(icount boot, the least of the rounds), kpool/kfree_rcu, and ns of the "
            "rcu_barrier() after the loop (grace periods and callbacks, "
            "mostly waiting; not what the caller pays).")
        kp, kf = "kpool_free_rcu", "kfree_rcu"
        rows = []
        for size in self.sizes(self.w10s) or self.sizes(self.w10i):
            s = str(size)
            ikp, ikf = self.w10i.median((s, kp)), self.w10i.median((s, kf))
            if ikp is not None and ikf is not None:
                self.w10[s] = (ikp, ikf)
            rows.append([
                s, fmt(self.w10s.median((s, kp))),
                fmt(self.w10s.median((s, kf))),
                fmt_ratio(self.w10s.ratios((s, kp), (s, kf))),
                fmt(ikp), fmt(ikf),
                fmt_ratio(self.w10i.ratios((s, kp), (s, kf))),
                fmt(self.w10b.median((s, kp))),
                fmt(self.w10b.median((s, kf)))])
        self.table(["size", "kpool_free_rcu ns", "kfree_rcu ns",
                    "kpool/kfree_rcu ns", "kpool_free_rcu insns",
                    "kfree_rcu insns", "kpool/kfree_rcu insns",
                    "kpool barrier ns", "kfree_rcu barrier ns"], rows)

    def w9_section(self):
        self.head(0, "W9: per-CPU object pool (lib/test_objpool.c's "
                  "workload)")
        if not self.w9:
            self.not_run("w9")
        else:
            self.w9_hits()
        self.w9miss_section()

    def w9_hits(self):
        env = self.w9env or [0] * 5
        self.out(
            f"Measured in the wall-time boot ({self.winfo.get('cpus', '-')} "
            f"vCPUs). A kthread bound to each of the "
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
            "misses summed over all rounds." +
            ("" if self.has_objpool() else
             f" {self.title} has no objpool: kpool alone."))
        self.out()
        cases = sorted({k[0] for k in self.w9},
                       key=lambda c: (int(re.sub(r"\D", "", c) or 0), c))
        rows = []
        for cs in cases:
            obj = self.w9.get((cs, "objpool"), {})
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
                    self.w9_ratio.append((cs, c, med(r) if r else 0.0))
                    self.w9_misses.append((cs, c, tmiss, omiss))
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
                rows.append([cs, c] + [f"{t:,}" for t in tot])
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

    def w9miss_section(self):
        self.head(1, "W9 misses: a pop from an empty pool")
        if not self.w9m.data:
            self.out("_icount boot not run._")
            self.out()
            return
        env = self.w9menv or [0, 0, 0]
        self.out(
            "What a miss of W9's overrun case (bulk 16) costs the caller: "
            f"a pool of {env[1]} objects of {env[2]} bytes (W9's 8 per "
            f"possible CPU, {env[0]} in the icount boot, and at least a "
            f"bulk of {W9_BULK}) is emptied "
            "with the atomic mask, then every call fails: kpool_alloc("
            "GFP_ATOMIC) and objpool_pop() one object per call (W9's "
            f"pop), and kpool_alloc_bulk() of {W9_BULK}. Guest "
            "instructions per call (icount boot), net of the loop (the "
            "null candidate: "
            f"{fmt(self.w9m.median(('pop', 'null')))} per iteration); "
            f"per object is per call divided by the objects asked for.")
        self.out()
        null = ("pop", "null")
        obj = self.w9m.median(("pop", "objpool"))
        obj = obj - (self.w9m.median(null) or 0.0) if obj else None
        rows = []
        for shape, per in (("pop", 1), ("bulk16", W9_BULK)):
            for c in W9_CANDS:
                if not self.w9m.has((shape, c)):
                    continue
                v = med(list(self.net(self.w9m, (shape, c), null).values()))
                self.w9miss[(shape, c)] = v
                rows.append([shape, c, fmt(v), fmt(v / per),
                             f"{v / per / obj:.2f}" if obj else "-"])
        self.table(["call", "candidate", "instr per call",
                    "instr per object", "per object / objpool_pop"], rows)

    # ------------------------------------------------------------- profile

    # kpool_alloc() and kpool_free() are inline: HIT_PATHS are their
    # out-of-line instances in kpool.ko
    PROFILED = (("kpool.dis", HIT_PATHS + ("kpool_alloc_bulk",
                                           "kpool_free_bulk")),
                ("kpool_set.dis", ("kpool_set_alloc", "kpool_set_free",
                                   "kpool_set_free_sized")),
                # W5: every ioctl's dispatch, and what ALLOC and FREE add
                # first (the rest of theirs branches too much for the walk)
                ("kpool_dev.dis", ("kpool_dev_ioctl",
                                   "kpool_dev_lock_home")))

    def profile(self):
        self.head(0, "Profile: where kpool's instructions go")
        funcs = {}
        for name, wanted in self.PROFILED:
            dis = read_text(os.path.join(self.dir, name))
            parsed = parse_dis(dis) if dis else {}
            funcs.update({f: parsed[f] for f in wanted if f in parsed})
        if not funcs:
            self.out("_No disassembly._")
            self.out()
            return
        self.out(f"kpool.ko, kpool_set.ko and kpool_dev.ko as built for "
                 f"{self.title}, whose Debian configuration has: " +
                 self.config() + ".")
        self.out()
        self.explain(
            "Method: `objdump -dr` of the modules (W5: the dispatch every "
            "ioctl takes, VERSION's included, and the lock and pool lookup "
            "ALLOC and FREE add; their own instructions, the callees "
            "listed). "
            "kpool_alloc() and kpool_free() are inline in kpool.h: their "
            "hit paths are profiled in their out-of-line instances "
            "kpool_mempool_alloc() and kpool_mempool_free(), as the "
            "shortest path from the entry to a return that makes no call "
            "(a miss tail-calls its slow path; make check's build stage "
            "fails if that path gets a stack frame or a call). "
            "For every other entry point, the **hit path** is walked branch "
            "by branch from the entry: conditional branches fall through "
            "(GCC lays the likely() path out first), unconditional jumps "
            "inside the function are followed, and the walk ends at the "
            "first return or tail call (a `jmp` to another function: the "
            "noinline slow paths); the **straight-line** count is every "
            "instruction from the entry to the first return in address "
            "order (the hit path plus anything jumped over). Calls, locked "
            "(lock-prefixed or memory `xchg`) instructions and interrupt "
            "toggles on the hit path are counted, and what the build "
            "adds to it: `endbr64` (IBT), pushes and pops of the stack "
            "frame, the stack protector's canary, and UBSAN checks "
            "(branches to a `__ubsan_handle_*` call, out of line). "
            "`__fentry__` is the "
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
        rows, listings = [], []
        for name, insns in funcs.items():
            path, end = (hit_path if name in HIT_PATHS else walk)(name, insns)
            h = hit_path_facts(path, insns)
            self.hitpath[name] = h
            rows.append([name, len(insns), len(straight(insns)), len(path),
                         len(h["branches"]), len(h["calls"]),
                         ", ".join(h["calls"]) or "-", len(h["locked"]),
                         len(h["irq"]), len(h["endbr"]),
                         f"{len(h['push'])}/{len(h['pop'])}",
                         len(h["canary"]), len(h["ubsan"]), end])
            listings.append((name, path))
        self.table(["function", "instructions (all)", "straight-line",
                    "hit path (walk)", "branches on it", "calls on it",
                    "call targets", "locked insns", "irq toggles",
                    "endbr64", "pushes/pops", "canary insns",
                    "UBSAN checks", "hit path ends in"], rows)
        pair = self.w1_instr_median("kpool")
        if all(f in self.hitpath for f in HIT_PATHS) and pair:
            a, f = (self.hitpath[f]["length"] for f in HIT_PATHS)
            self.out(f"Predicted pair: {a} + {f} = {a + f} instructions, "
                     "less what inlining saves (each instance's entry, "
                     "ftrace hook, argument moves and return); "
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

    # --------------------------------------------------------------- plots

    def gnuplot(self, name, script, size="960,600"):
        name += self.suffix
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
        base, ext = os.path.splitext(name)
        path = os.path.join(self.plots, base + self.suffix + ext)
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
set title 'W1: alloc+free pair on one CPU ({self.title}, wall time, QEMU TCG)'
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
set title 'W4: aggregate throughput, {size}-byte blocks ({self.title}, QEMU TCG)'
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
        script = f"""
set multiplot layout 2,3 title 'W6: allocation latency while growing from empty ({self.title}; CCDF: fraction of allocations slower than x)'
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
        if not self.w1_instr:
            return
        sizes = sorted(self.w1_instr, key=int)
        cands = [c for c in CANDS if c in self.w1_instr[sizes[0]]]
        medians = {(s, c): med(list(self.w1_instr[s][c].values()))
                   for s in sizes for c in cands}
        lines = ["# size " + " ".join(cands)]
        for s in sizes:
            lines.append(s + " " + " ".join(
                fmt_raw(medians[(s, c)]) for c in cands))
        top = max(v for v in medians.values() if v is not None) * 1.1
        path = self.dat("w1_instr.dat", lines)
        plots = ", ".join(
            f"'{path}' using {i + 2}:xtic(1) title '{c}'"
            for i, c in enumerate(cands))
        self.gnuplot("w1_instructions", f"""
set title 'W1: instructions per alloc+free pair ({self.title}, icount, loop subtracted)'
set xlabel 'block size (bytes)'
set ylabel 'instructions per pair'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right
set grid y
set yrange [0:{top:.0f}]
plot {plots}, {W1_TARGET} with lines dt 2 lc rgb 'red' title 'target: {W1_TARGET}'
""")


def fmt_raw(v):
    return "NaN" if v is None else f"{v:.3f}"


class Report(Doc):
    """The report of a run: its kernels' sections, the first kernel's
    targets (and those named for every kernel), README's headline."""

    def __init__(self, outdir):
        super().__init__()
        self.dir = outdir
        self.plots = os.path.join(outdir, "plots")
        os.makedirs(self.plots, exist_ok=True)
        self.notes = []
        self.targets = []
        series = read_text(os.path.join(outdir, "kernels")).split()
        if not series:
            sys.exit(f"bench-report.py: {outdir}/kernels lists no kernel")
        # the first kernel's plots keep plain names (README links them)
        self.kernels = [Kernel(os.path.join(outdir, k), self.plots,
                               "" if i == 0 else "-" + k, self.notes,
                               None if i == 0 else f"Linux {series[0]}")
                        for i, k in enumerate(series)]
        self.main = self.kernels[0]

    def target(self, name, met, detail):
        if met is None:
            verdict = "NOT MEASURED"
        else:
            verdict = "MET" if met else "MISSED"
        self.targets.append((name, verdict, detail))

    def per_kernel(self, name, judge):
        """A target judged on every kernel: JUDGE(kernel) gives (met or
        None, detail); MISSED where one kernel missed it, MET where every
        kernel met it."""
        verdicts, details = [], []
        for k in self.kernels:
            met, detail = judge(k)
            verdicts.append(met)
            details.append(f"{k.title}: {detail}")
        met = False if False in verdicts else \
            None if None in verdicts else True
        on = " and on ".join(k.title for k in self.kernels)
        self.target(f"{name}, on {on}", met, "; ".join(details))

    def judged(self, name, label, figures, what):
        """A target met where every one of FIGURES, [(where, figure as
        text, whether it is met)], is met; LABEL says what the figures
        are, WHAT why there are none."""
        if not figures:
            self.target(name, None, what)
            return
        bad = [w for w, _, ok in figures if not ok]
        self.target(name, not bad, f"{label}: " + ", ".join(
            f"{w}: {t}" for w, t, _ in figures) +
            ("; missed at " + ", ".join(bad) if bad else ""))

    def limit(self, name, label, ratios, ok, what):
        """A target met where OK(r) holds for every ratio of RATIOS
        ({where: ratio})."""
        self.judged(name, label, [(w, f"{r:.2f}x", ok(r))
                                  for w, r in ratios.items()], what)

    # ------------------------------------------------------------- targets

    def judge(self):
        k = self.main
        self.w1_targets()
        self.limit("W1: kpool pair below the textbook locked list's "
                   "instructions at every size",
                   "kpool/locked_list per size", self.w1_ratio("locked_list"),
                   lambda r: r < 1.0, "no icount run")
        self.limit("W1: kpool pair <= 0.4x kmem_cache instructions at "
                   "every size", "kpool/kmem_cache per size",
                   self.w1_ratio("kmem_cache"), lambda r: r <= 0.4,
                   "no icount run")
        self.per_kernel("W1 hit path: no interrupt toggle and at most one "
                        "locked instruction per pair", self.hit_path_target)
        self.limit("W1: kpool pair wall time <= 0.5x kmem_cache at every "
                   "size, same boot", "median per-round kpool/kmem_cache "
                   "per size", k.w1_wall, lambda r: r <= 0.5,
                   "no wall-time boot")
        self.limit("Bulk: kpool per object <= 0.8x kmem_cache bulk per "
                   "object at K = 16, 64, 1024, every size",
                   "instructions, kpool/kmem_cache per size/K",
                   {f"{s}/{n}": b[1] for (s, n), b in k.bulk.items()
                    if b[1] is not None}, lambda r: r <= 0.8,
                   "no icount run")
        self.limit("Bulk: kpool per object at K >= 64 no more than a "
                   "single kpool pair, every size",
                   "instructions, bulk object/W1 pair per size/K",
                   {f"{s}/{n}": b[0] / b[2] for (s, n), b in k.bulk.items()
                    if int(n) >= 64 and b[2]}, lambda r: r <= 1.0,
                   "no icount run")
        self.w4_target()
        self.w9_targets()
        self.limit("W10: kpool_free_rcu() <= kfree_rcu() instructions per "
                   "call", "kpool/kfree_rcu per size",
                   {s: a / b for s, (a, b) in k.w10.items() if b},
                   lambda r: r <= 1.0, "no icount run")
        self.limit("W8: kpool_set pair <= 0.7x kmalloc instructions on both "
                   "distributions", "kpool_set/kmalloc, with "
                   "kpool_set_free()", k.w8_pair,
                   lambda r: r <= 0.7, "no icount run")
        self.w8_class_target()
        self.w5_targets()
        self.judged("W6: p99.9 latency while growing from empty below "
                    "kmem_cache's at every size", "chunks and slabs come "
                    "from the page allocator; p99.9 ns kpool/kmem_cache "
                    "per size",
                    [(s, f"{fmt(v['kpool'])}/{fmt(v['kmem_cache'])}",
                      v["kpool"] < v["kmem_cache"])
                     for s, v in k.w6_p999.items()
                     if "kpool" in v and "kmem_cache" in v], "W6 not run")
        self.w7_targets()

    def w8_class_target(self):
        k = self.main
        name = ("W8: every class of the 8..4096 set wastes < 1/9 of its "
                "chunk (kpool_set.h's promise, for chunk waste too)")
        if k.w8class_bad is None:
            self.target(name, None, "no class geometry")
            return
        bad = k.w8class_bad
        self.target(name, not bad, f"{len(bad)} of {len(k.w8class)} "
                    "classes at or over 1/9" +
                    (": " + ", ".join(map(str, bad[:12])) +
                     (" ..." if len(bad) > 12 else "") if bad else ""))

    def w1_targets(self):
        for limit, what in ((W1_TARGET, "W1: kpool pair <= "
                             f"{W1_TARGET} instructions at every size"),
                            (W1_STRETCH, "W1 stretch: kpool pair <= "
                             f"{W1_STRETCH} instructions at every size")):
            def judge(k, limit=limit):
                kp = k.w1_instr_median("kpool")
                if not kp:
                    return None, "no icount run"
                return max(kp.values()) <= limit, "net of the loop: " + \
                    ", ".join(f"{s}: {fmt(v)}" for s, v in kp.items())
            self.per_kernel(what, judge)

    def w1_ratio(self, other):
        """{size: median per-round kpool/OTHER} of W1's instructions."""
        ratios = {}
        for s, n in self.main.w1_instr.items():
            r = paired(n["kpool"], n.get(other, {}))
            if r:
                ratios[s] = med(r)
        return ratios

    @staticmethod
    def hit_path_target(k):
        h = [k.hitpath.get(f) for f in HIT_PATHS]
        if None in h:
            return None, "no disassembly"
        irq = h[0]["irq"] + h[1]["irq"]
        locked = h[0]["locked"] + h[1]["locked"]
        return not irq and len(locked) <= 1, (
            "kpool_alloc + kpool_free (their instances) as profiled: "
            f"{len(irq)} interrupt toggles, {len(locked)} locked" +
            (" (" + "; ".join(locked) + ")" if locked else ""))

    def w4_target(self):
        k = self.main
        kp = {(s, n): v for (s, c, n), v in k.w4_eff.items() if c == "kpool"}
        km = {(s, n): v for (s, c, n), v in k.w4_eff.items()
              if c == "kmem_cache"}
        self.judged("W4: kpool scaling efficiency >= kmem_cache's at every "
                    "size and CPU count", "median per-round efficiency, "
                    "kpool vs kmem_cache per size/N",
                    [(f"{s}/{n}", f"{v:.2f} vs {km[(s, n)]:.2f}",
                      v >= km[(s, n)])
                     for (s, n), v in kp.items() if (s, n) in km],
                    "W4 not run on 2 or more CPUs")

    def w9_targets(self):
        k = self.main
        what = ("objpool not in this kernel" if not k.has_objpool() else
                "W9 not run")
        self.limit("W9: kpool/objpool hits per second >= 1.2 in every case, "
                   "both kpool pools", "median per-round ratio",
                   {f"{cs} {c}": v for cs, c, v in k.w9_ratio},
                   lambda r: r >= 1.2, what)
        self.judged("W9: kpool misses <= objpool misses in every case, both "
                    "kpool pools", "misses kpool/objpool, all rounds",
                    [(f"{cs} {c}", f"{m:,}/{o:,}", m <= o)
                     for cs, c, m, o in k.w9_misses], what)
        obj = k.w9miss.get(("pop", "objpool"))
        per = {f"{shape} {c}": v / (W9_BULK if shape == "bulk16" else 1) / obj
               for (shape, c), v in k.w9miss.items()
               if c != "objpool" and c in W9_CANDS and obj}
        self.limit("W9: an atomic allocation from an empty pool costs no "
                   "more instructions per object than objpool's failed pop",
                   f"kpool/objpool: kpool_alloc() per call (pop), "
                   f"kpool_alloc_bulk() of {W9_BULK} per object (bulk16)",
                   per, lambda r: r <= 1.0,
                   "objpool not in this kernel" if not k.has_objpool()
                   else "no icount run")

    def w5_targets(self):
        names = ("W5: batch64 ALLOC+FREE per block <= 2x the in-kernel "
                 "pair of a KPOOL_F_ZERO pool of the same size",
                 "W5: single-block ALLOC/FREE ioctl <= 1.2x a bare ioctl "
                 "round trip (VERSION)")
        if self.main.w5 is None:
            for name in names:
                self.target(name, None, "W5 not run")
            return
        basis, batch_r, single_r = self.main.w5
        for name, per, most in ((names[0], batch_r, 2.0),
                                (names[1], single_r, 1.2)):
            self.limit(name, f"{basis}, per size", per,
                       lambda r, most=most: r <= most, "no data")

    def w7_targets(self):
        names = ("W7: chunk waste <= 1/16 of the chunk for every size "
                 "<= 32 KiB, at order <= 3 where one qualifies",
                 "W7: above 32 KiB, the least-waste order up to "
                 f"KPOOL_MAX_ORDER ({KPOOL_MAX_ORDER})",
                 "W7: out-of-line metadata <= 1/32 of the chunk for "
                 "blocks >= 32 bytes")
        for i, name in enumerate(names):
            if self.main.w7 is None:
                self.target(name, None, "W7 not run")
                continue
            seen, bad = self.main.w7[i]
            if not seen:
                self.target(name, None, "no such size measured")
                continue
            self.target(name, not bad,
                        "sizes " + ", ".join(str(x) for x in seen) +
                        ("; missed at " + "; ".join(bad) if bad else ""))

    # ------------------------------------------------------------ sections

    def headline(self):
        """W1's instructions per pair of every kernel, between README's
        block markers."""
        self.out("## Headline: W1 instructions per pair")
        self.out()
        self.out("README.md shows a copy of the block below (scripts/"
                 "readme.py sync bench-headline bench/REPORT.md).")
        self.out()
        self.out(block("bench-headline")[0])
        for k in self.kernels:
            self.out(f"**{k.title}** ({k.distro}, {k.release}): alloc+free "
                     "pair on one CPU, guest instructions net of the loop "
                     "(icount boot, the least of the rounds):")
            self.out()
            if not k.w1_instr:
                self.out("_icount boot not run._")
                self.out()
                continue
            rows = []
            for s in sorted(k.w1_instr, key=int):
                rows.append([s] + [fmt_int(med(list(
                    k.w1_instr[s].get(c, {}).values())))
                    for c, _ in HEADLINE_COLS])
            self.table(["block size"] + [n for _, n in HEADLINE_COLS], rows)
            if not k.has_objpool():
                self.out(f"objpool: not in {k.title}.")
                self.out()
        # readme.py's block ends at the marker: no blank line before it
        while self.lines[-1] == "":
            self.lines.pop()
        self.out(block("bench-headline")[1])
        self.out()

    def setup(self):
        self.out("## Setup")
        self.out()
        ks = self.kernels
        rows = [
            ("Debian release", [k.distro for k in ks]),
            ("kernel", [k.winfo.get("kernel") or k.iinfo.get("kernel") or
                        k.release for k in ks]),
            ("objpool (lib/objpool, 6.7+)",
             ["yes" if k.has_objpool() else "no" for k in ks]),
            ("build options that shape kpool's code",
             [k.config() for k in ks]),
            ("workloads left out of the wall-time boot",
             [k.wall_skipped() for k in ks]),
            ("kernel command line (wall)",
             [code(k.winfo.get("cmdline")) for k in ks]),
            ("kernel command line (icount)",
             [code(k.iinfo.get("cmdline")) for k in ks]),
            ("guest CPUs (wall / icount)",
             [f"{k.winfo.get('cpus', '-')} / {k.iinfo.get('cpus', '-')}"
              for k in ks]),
            ("CPU model (QEMU TCG)",
             [k.winfo.get("cpu_model") or k.iinfo.get("cpu_model", "-")
              for k in ks]),
            ("clocksource (wall)", [k.winfo.get("clocksource", "-")
                                    for k in ks]),
            ("host", [f"{os.cpu_count()} cores, no KVM (TCG)"] * len(ks)),
            ("host load average before/after (wall / icount)",
             [f"{k.host_load('wall')} / {k.host_load('icount')}"
              for k in ks]),
            ("seconds the boot took (wall / icount)",
             ["{} / {}".format(
                 read_text(os.path.join(k.dir, "wall.seconds"), "-"),
                 read_text(os.path.join(k.dir, "icount.seconds"), "-"))
              for k in ks]),
        ]
        for mode in ("wall", "icount"):
            rows.append((f"rounds, pairs per measurement, warm-up pairs, "
                         f"runs per measurement ({mode})",
                         [", ".join(getattr(k, mode)["env"][0][2:6])
                          if getattr(k, mode)["env"] else "-" for k in ks]))
        rows.append(("mitigations in force (stock defaults; they apply to "
                     "every candidate alike)",
                     ["; ".join(f"{n[5:]}: {v}" for n, v in
                                k.winfo.items() if n.startswith("vuln_")
                                and not v.startswith("Not affected"))
                      or "-" for k in ks]))
        self.table([""] + [k.title for k in ks],
                   [[name] + values for name, values in rows])
        self.out(
            "Every boot uses the same arguments for every candidate: "
            "`init_on_alloc=0 init_on_free=0` (Debian enables "
            "init_on_alloc by default; kpool's pools here have no "
            "KPOOL_F_ZERO but kpool_zero, so no other candidate zeroes "
            "blocks), `tsc=reliable`, "
            "a larger log buffer for the results. Each kernel gets two "
            "boots: the wall-time boot is multi-threaded TCG, one kernel's "
            "at a time with nothing else of the benchmark beside it; the "
            "instruction-count boot is `-icount shift=0,sleep=off` with one "
            "vCPU, where the guest's TSC advances by exactly one per "
            "instruction (the kernels' icount boots run side by side: the "
            "host's load does not change instruction counts). "
            "A second kernel's wall-time boot leaves workloads out to "
            "save time (`kpool_bench.skip`): no target is judged on them "
            "there.")
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

    def busy(self):
        """[(kernel, peak)] of the wall-time boots whose host had more
        runnable work than cores."""
        cores = os.cpu_count() or 1
        return [(k.title, p) for k in self.kernels
                for p in [k.wall_peak()] if p and p > cores]

    def write(self):
        bodies = [k.body() for k in self.kernels]
        self.judge()
        missed = any(v == "MISSED" for _, v, _ in self.targets)
        names = " and ".join(k.name for k in self.kernels)
        self.out(f"# kpool benchmark report: {names}")
        self.out()
        self.out(
            "Generated by `make bench` (scripts/bench.sh, "
            "scripts/bench-report.py) from the raw results of run "
            f"{os.path.basename(os.path.realpath(self.dir))} "
            "(.out/bench/<run>/<kernel>/wall.csv, icount.csv; plots in "
            "plots/). Numbers come from QEMU TCG "
            f"on a {os.cpu_count()}-core host without KVM: ratios between "
            "candidates measured in the same boot are meaningful, "
            "absolute ns are not those of real hardware, and neither are "
            "comparisons across boots or kernels. TCG's cost per "
            "instruction is not a CPU's either (it emulates atomic "
            "and per-CPU operations in software), so where wall-time "
            "and instruction-count ratios disagree, the instruction "
            "counts (deterministic) are the better guide to real "
            "hardware.")
        self.out()
        self.out(self.source())
        self.out()
        self.out(
            "Run it again with `make bench` or `scripts/bench.sh "
            "[--kernel K] [--second-kernel K|none] [--cpus N] [--rounds R] "
            "[--pairs N] [--workloads w1,w7,...] [--no-icount] [--update]` "
            "(`--kernel` defaults to the newest kernel, Debian unstable's; "
            "`--second-kernel` to 6.1, Debian 12's; each gets a wall-time "
            "and an icount boot; `--update` copies the report here and "
            "README's headline from it).")
        self.out()
        self.out("## Targets")
        self.out()
        self.out(f"Judged on {self.main.name}, against its kmem_cache and "
                 "objpool; a target that names the kernels is judged on "
                 "each of them.")
        self.out()
        for title, peak in self.busy():
            self.out(
                f"**The host was busy during {title}'s wall-time boot** "
                f"(load average up to {peak:.1f} on {os.cpu_count()} "
                "cores): vCPU threads were descheduled at times, so "
                "wall-time spreads are wide and the multi-CPU numbers "
                "(W3, W4, W9) mostly measure the host. Instruction counts "
                "are not affected. Rerun on an idle host for wall-time "
                "conclusions.")
            self.out()
        self.out(block("bench-targets")[0])
        for name, verdict, detail in self.targets:
            self.out(f"- **{verdict}**: {name} ({detail})")
        self.out(block("bench-targets")[1])
        self.out()
        if missed:
            self.out("Some targets are MISSED: each kernel's profile shows "
                     "where kpool's instructions go.")
            self.out()
        self.headline()
        self.setup()
        for k, body in zip(self.kernels, bodies):
            self.out(f"## {k.name}")
            self.out()
            self.lines += body
        if self.notes:
            self.out("## Notes")
            self.out()
            self.lines += [f"- {n}" for n in self.notes] + [""]
        with open(os.path.join(self.dir, "REPORT.md"), "w") as f:
            f.write("\n".join(self.lines) + "\n")


def code(text):
    """TEXT as Markdown code, or "not run"."""
    return f"`{text}`" if text else "not run"


def fmt_int(v):
    return "-" if v is None else f"{v:,.0f}"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench-report.py RESULTS_DIR")
    Report(sys.argv[1]).write()


if __name__ == "__main__":
    main()
