# SPDX-License-Identifier: GPL-2.0
"""hitpath.py - the hit paths of kpool's functions, from their disassembly.

Used by scripts/bench-report.py (the report's instruction profile) and by
make check's hitpath stage (`hitpath.py check MODULE FUNCTION...`). The
inline hit paths of kpool.h, as kpool_mempool_alloc() and
kpool_mempool_free() instantiate them, are found by hit_path() on the
control-flow graph: the shortest way from the entry to a return that makes
no call (a miss tail-calls its slow path). Other functions are walked by
walk(): conditional branches fall through (GCC lays the likely() path out
first), unconditional jumps inside the function are followed, and the walk
ends at the first return or tail call.
"""

import heapq
import re
import subprocess
import sys


def parse_dis(dis):
    """{function: [(address, instruction, relocation target or None)]}
    of `objdump -dr` output."""
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


def is_return(text, reloc):
    return bool(re.match(r"(rep )?ret", text)) or (
        text.startswith("jmp") and reloc == "__x86_return_thunk")


def straight(insns):
    """Entry to the first return, in address order."""
    path = []
    for addr, text, reloc in insns:
        path.append((addr, text, reloc))
        if is_return(text, reloc):
            break
    return path


def branch_target(insns, text):
    """Index in INSNS of a jump's target inside the function, or None."""
    m = re.match(r"j[a-z]+\s+([0-9a-f]+)\b", text)
    if not m:
        return None
    addr = int(m.group(1), 16)
    for i, (a, _, _) in enumerate(insns):
        if int(a, 16) == addr:
            return i
    return None


# What a call on a path costs the search below: any call-free path wins.
CALL_PENALTY = 100000


def successors(name, insns, i):
    """(next index, how the path ends there or None) of instruction I."""
    _, text, reloc = insns[i]
    if is_return(text, reloc):
        return [(None, "return")]
    if text.startswith("jmp"):
        if reloc and reloc.startswith(".altinstr"):
            return [(i + 1, None)]      # an alternative, patched at boot
        if reloc:
            return [(None, f"tail call: {reloc}")]
        m = re.match(r"jmp\s+[0-9a-f]+\b(?: <([^>+]+))?", text)
        if m and m.group(1) and m.group(1) != name:
            return [(None, f"tail call: {m.group(1)}")]
        target = branch_target(insns, text)
        return [(target, None if target is not None else
                 "jump out of the function")]
    if re.match(r"(ud2|int3)\b", text):
        return [(None, "trap")]
    nxt = [(i + 1, None)] if i + 1 < len(insns) else [(None, "end")]
    if re.match(r"j(?!mp)[a-z]+\s", text):
        target = branch_target(insns, text)
        if target is not None:
            nxt.append((target, None))
    return nxt


def is_call(text, reloc):
    return text.startswith("call") and reloc != "__fentry__"


def hit_path(name, insns):
    """The hit path: the shortest path from the entry to a return, calls
    avoided where any path avoids them (a tail call is a miss: the slow
    path). Found on the control-flow graph, so it does not depend on how
    GCC laid the branches out. Returns (path, how it ended): "return", or
    how the shortest way out ends when no path returns."""
    best = {0: 0}
    prev = {}
    heap = [(0, 0)]
    exits = []
    while heap:
        cost, i = heapq.heappop(heap)
        if cost > best.get(i, cost):
            continue
        _, text, reloc = insns[i]
        step = 1 + (CALL_PENALTY if is_call(text, reloc) else 0)
        for j, end in successors(name, insns, i):
            if end:
                exits.append((end != "return", cost + step, i, end))
                continue
            if cost + step < best.get(j, cost + step + 1):
                best[j] = cost + step
                prev[j] = i
                heapq.heappush(heap, (cost + step, j))
    if not exits:
        return [], "no way out"
    _, _, last, end = min(exits)
    path, i = [], last
    while True:
        path.append(insns[i])
        if i == 0:
            break
        i = prev[i]
    return path[::-1], end


def walk(name, insns):
    """The hit path: fall through conditional branches, follow
    unconditional jumps inside the function, stop at a return or a tail
    call. Returns (path, how it ended)."""
    path, seen, i = [], set(), 0
    while i < len(insns) and len(path) < 2000:
        addr, text, reloc = insns[i]
        if i in seen:
            return path, "a loop"
        seen.add(i)
        path.append((addr, text, reloc))
        if is_return(text, reloc):
            return path, "return"
        if text.startswith("jmp"):
            if reloc and reloc.startswith(".altinstr"):
                i += 1          # an alternative, patched at boot
                continue
            if reloc:
                return path, f"tail call: {reloc}"
            m = re.match(r"jmp\s+[0-9a-f]+\b(?: <([^>+]+))?", text)
            if m and m.group(1) and m.group(1) != name:
                return path, f"tail call: {m.group(1)}"
            target = branch_target(insns, text)
            if target is None:
                return path, "jump out of the function"
            i = target
            continue
        i += 1
    return path, "end of function"


def ubsan_check(insns, text, reach=8):
    """Whether the conditional branch TEXT goes to a UBSAN report: a call
    of __ubsan_handle_* within REACH instructions of its target."""
    i = branch_target(insns, text)
    if i is None:
        return False
    return any(t.startswith("call") and (r or "").startswith("__ubsan_handle")
               for _, t, r in insns[i:i + reach])


def hit_path_facts(path, insns):
    """What the profile counts on a hit path (lists of instructions)."""
    texts = [t for _, t, _ in path]
    branches = [t for t in texts if re.match(r"j(?!mp)[a-z]+\s", t)]
    return {
        "length": len(path),
        "branches": branches,
        "calls": sorted({(r or t.split("<")[-1].rstrip(">"))
                         for _, t, r in path if t.startswith("call") and
                         r != "__fentry__"}),
        "locked": [t for t in texts if t.startswith("lock") or
                   re.match(r"xchg\s+%\w+,.*\(", t) or
                   re.match(r"xchg\s+.*\(.*,%", t)],
        "irq": [t for t in texts if re.match(r"(cli|sti|pushf|popf)", t)],
        "endbr": [t for t in texts if t.startswith("endbr")],
        "push": [t for t in texts if t.startswith("push ")],
        "pop": [t for t in texts if t.startswith("pop ")],
        "canary": [t for _, t, r in path if "%gs:0x28" in t or
                   r in ("__stack_chk_guard", "__ref_stack_chk_guard")],
        "ubsan": [t for t in branches if ubsan_check(insns, t)],
    }


# The out-of-line instances of kpool.h's inline hit paths, in kpool.ko.
HIT_PATHS = ("kpool_mempool_alloc", "kpool_mempool_free")


def check(module, functions):
    """Failures of FUNCTIONS' hit paths in MODULE: a stack frame (a push,
    a stack pointer change, the stack protector), a call, a path that does
    not return, a UBSAN check."""
    dis = subprocess.run(["objdump", "-dr", "--no-show-raw-insn", module],
                         check=True, capture_output=True, text=True).stdout
    funcs, bad = parse_dis(dis), []
    for name in functions:
        if name not in funcs:
            bad.append(f"{name}: not in {module}")
            continue
        path, end = hit_path(name, funcs[name])
        h = hit_path_facts(path, funcs[name])
        frame = [t for _, t, _ in path
                 if re.match(r"(sub|add|and)\s+\$?[^,]*,%rsp$", t)]
        what = [f"{len(h['push'])} pushes"] if h["push"] else []
        what += [f"stack pointer: {', '.join(frame)}"] if frame else []
        what += ["stack protector"] if h["canary"] else []
        what += [f"calls {', '.join(h['calls'])}"] if h["calls"] else []
        what += [f"{len(h['ubsan'])} UBSAN checks"] if h["ubsan"] else []
        what += [f"ends in {end}"] if end != "return" else []
        status = "; ".join(what) or "ok"
        print(f"{name}: {len(path)} instructions, {status}")
        if what:
            bad.append(f"{name}: {status}")
    return bad


def main(argv):
    if len(argv) < 3 or argv[1] != "check":
        sys.exit("usage: hitpath.py check MODULE [FUNCTION...]")
    bad = check(argv[2], argv[3:] or HIT_PATHS)
    for b in bad:
        print(f"hitpath: {argv[2]}: {b}", file=sys.stderr)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main(sys.argv)
