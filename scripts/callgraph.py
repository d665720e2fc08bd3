#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""callgraph.py - the core functions a kpool function reaches, from source.

    scripts/callgraph.py [ROOT_FUNCTION]    (default: kpool_alloc)

A call graph by regular expressions over the core sources (kpool.ko's
kpool_*.c, kpool_internal.h, kpool_geometry.h, kpool_kasan.h): a function
is a definition at file scope, static inlines included; a call is its name
followed by '(' in another function's body. Macros are not functions, and
calls through pointers are not seen. A static function is looked up in its
own file first. Prints every function reachable from the root with its
depth (the longest chain of calls from the root to it), the deepest chain
and the count of functions reached.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADERS = ["kpool_internal.h", "kpool_geometry.h", "kpool_kasan.h"]
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "typeof",
            "__typeof__", "defined", "__attribute__", "alignof"}


def core_sources():
    """kpool.ko's C files, from Kbuild, and the core headers."""
    with open(os.path.join(ROOT, "Kbuild")) as f:
        text = f.read().replace("\\\n", " ")
    objs = re.search(r"^kpool-y\s*:=(.*)$", text, re.M).group(1).split()
    return [o[:-2] + ".c" for o in objs] + HEADERS


def strip(text):
    """The code of TEXT: no comments, strings, characters or directives."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\\n])*'", "''", text)
    text = re.sub(r"^[ \t]*#(.*\\\n)*.*$", " ", text, flags=re.M)
    return text


def functions(text):
    """(function, is static, body) for each definition in TEXT."""
    depth, start, head = 0, 0, 0
    for i, c in enumerate(text):
        if c == "{":
            if depth == 0:
                start = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                decl = text[head:start].strip()
                head = i + 1
                m = re.search(r"(\w+)\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*$",
                              decl)
                if m and "=" not in decl and m.group(1) not in KEYWORDS:
                    yield m.group(1), "static" in decl.split(), \
                        text[start:i + 1]
        elif c == ";" and depth == 0:
            head = i + 1


def graph():
    """{(file or None, function): {callees, the same way}}; None for a
    function that is not static to a .c file."""
    defs = {}
    for src in core_sources():
        with open(os.path.join(ROOT, src)) as f:
            code = strip(f.read())
        for fn, static, body in functions(code):
            key = (src if static and src.endswith(".c") else None, fn)
            defs.setdefault(key, []).append(body)
    names = {fn for _, fn in defs}
    calls = {}
    for (src, fn), bodies in defs.items():
        out = calls.setdefault((src, fn), set())
        for body in bodies:
            for callee in re.findall(r"\b(\w+)\s*\(", body):
                if callee not in names or callee == fn:
                    continue
                if src and (src, callee) in defs:
                    out.add((src, callee))
                elif (None, callee) in defs:
                    out.add((None, callee))
                else:
                    # a static function of another file: same name
                    out.update(k for k in defs if k[1] == callee)
    return calls


def longest(calls, k, memo, path=()):
    """The longest chain of calls from K, as a list of functions."""
    if k in path:
        sys.exit("recursion: " + " -> ".join(f for _, f in path + (k,)))
    if k not in memo:
        chains = [longest(calls, c, memo, path + (k,))
                  for c in sorted(calls[k], key=lambda x: x[1])]
        memo[k] = [k] + max(chains, key=len, default=[])
    return memo[k]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "kpool_alloc"
    calls = graph()
    start = [k for k in calls if k[1] == root]
    if not start:
        sys.exit(f"{root}: no such core function")
    memo = {}
    chain = longest(calls, start[0], memo)
    # the longest chain from the root to each function (no recursion)
    depth = {start[0]: 0}
    for _ in memo:
        for k in list(depth):
            for c in calls[k]:
                depth[c] = max(depth.get(c, 0), depth[k] + 1)
    for k in sorted(depth, key=lambda x: (depth[x], x[1]))[1:]:
        print(f"{depth[k]}\t{k[1]}")
    print("deepest:", " -> ".join(f for _, f in chain),
          f"({len(chain) - 1} calls)")
    print(f"reachable from {root}: {len(memo) - 1} functions")


if __name__ == "__main__":
    main()
