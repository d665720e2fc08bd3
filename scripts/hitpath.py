# SPDX-License-Identifier: GPL-2.0
"""hitpath.py - the hit paths of kpool's functions, from their disassembly.

Used by scripts/bench-report.py (the report's instruction profile). The
hit path of a function is walked from its entry: conditional branches fall
through (GCC lays the likely() path out first), unconditional jumps inside
the function are followed, and the walk ends at the first return or tail
call (a jmp to another function: the noinline slow paths).
"""

import re


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
