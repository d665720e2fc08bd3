#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""readme.py - run what README.md shows a user typing, so it cannot drift.

  readme.py list                     every command of README's ```sh blocks
                                     (and `kpoolctl --help`) with where it runs
  readme.py guest-plan OUT           a guest plan (busybox sh) that runs the
                                     kpoolctl commands, each a KTAP case named
                                     by its README line
  readme.py host OUT NAME=KDIR:RELEASE...
                                     the commands that need no guest, in a
                                     scratch copy of the tree under OUT, once
                                     per kernel, and the figures check; KTAP
                                     on stdout
  readme.py sync NAME FILE           put FILE (or FILE's block NAME) into
                                     README's block NAME

Figures: README's measured figures stand between "<!-- figures NAME -->"
and "<!-- /figures -->", copied by `sync` from what produced them (make
check's .out/check/summary.md for check-warm and check-cold, bench's
report for the others). A block whose source is committed (FIGURES) is
checked against it by `host`, so README cannot drift from the report.

Every command of a ```sh block must match one rule of RULES; one that
matches none fails `list` and both runs, naming its README line, so README
cannot show a command that nothing runs. kpoolctl errors of a session
("stdin:N:") are reported as the README line they come from.
"""

import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")

# (pattern, where, how, redirect): where is "guest" (the readme plan of the
# stock 6.1 guest), "host" (here, once per kernel, in a scratch copy of the
# tree, as root: "sudo " is dropped) or "elsewhere" (how says what runs it
# instead). A host command that would touch this machine's kernel, /usr/src
# or DKMS is redirected into the scratch directory by redirect(cmd, k),
# k holding kdir, release, root (a scratch root) and dkms (DKMS options).
RULES = [
    (r"make demo", "elsewhere", "scripts/guest/plans/demo.sh runs in guest 6.1", None),
    (r"make check", "elsewhere", "this is make check", None),
    (r"kpoolctl --help", "host", "the kpoolctl built for the guests", None),
    (r"kpoolctl .*", "guest", "as written, in the readme plan of guest 6.1", None),
    (r"make", "host", "KDIR in the environment names the kernel", None),
    (r"make KDIR=/usr/src/linux-headers-X", "host", "X: the kernel's build tree", None),
    (r"make userspace", "host", "as written", None),
    (r"make -C samples/kpool_example KDIR=/usr/src/linux-headers-X KPOOL_DIR=\$PWD",
     "host", "X: the kernel's build tree", None),
    (r"sudo make install && sudo depmod", "host",
     "into a scratch root (INSTALL_MOD_PATH, depmod -b), not this machine's",
     lambda c, k: c.replace("make install", f"make install INSTALL_MOD_PATH={k['root']}")
     .replace("depmod", f"depmod -b {k['root']} {k['release']}")),
    (r"sudo modprobe kpool_dev", "host",
     "a dry run on the scratch root: it must name kpool, kpool_set and kpool_dev",
     lambda c, k: c.replace("modprobe", f"modprobe --show-depends -d {k['root']} "
                            f"-S {k['release']}") +
     " | tee /dev/stderr | grep -c -E '/(kpool|kpool_set|kpool_dev)\\.ko' | grep -qx 3"),
    (r"sudo cp -r \. /usr/src/kpool-0\.1", "host", "/usr/src: the scratch root's",
     lambda c, k: f"mkdir -p {k['root']}/usr/src && " +
     c.replace("/usr/src", f"{k['root']}/usr/src")),
    (r"sudo dkms add kpool/0\.1 && sudo dkms install kpool/0\.1", "host",
     "a throwaway DKMS tree; build instead of install", lambda c, k: dkms(c, k)),
]


# README figure blocks whose source is a committed file: NAME -> file.
FIGURES = dict.fromkeys(("bench-headline", "bench-targets"), "bench/REPORT.md")
BLOCK = re.compile(r"<!-- figures (\S+) -->\n(.*?)<!-- /figures -->\n", re.S)


def figure_blocks(text):
    return {m.group(1): m.group(2) for m in BLOCK.finditer(text)}


def sync(name, path):
    text = open(path).read()
    new = figure_blocks(text).get(name, text)
    readme = open(README).read()
    if name not in figure_blocks(readme):
        sys.exit(f"README.md has no block '<!-- figures {name} -->'")
    readme = BLOCK.sub(lambda m: m.group(0) if m.group(1) != name else
                       f"<!-- figures {name} -->\n{new}<!-- /figures -->\n", readme)
    open(README, "w").write(readme)


def check_figures(n):
    """KTAP cases: README's committed-source blocks equal their sources."""
    failed = 0
    readme = figure_blocks(open(README).read())
    for name, src in FIGURES.items():
        n += 1
        have = readme.get(name)
        want = figure_blocks(open(os.path.join(ROOT, src)).read()).get(name)
        if have is not None and have == want:
            print(f"ok {n} README.md figures {name} as in {src}")
            continue
        failed += 1
        print(f"# README.md's figures '{name}' differ from {src}'s (or one is missing):"
              f" scripts/readme.py sync {name} {src}")
        print(f"not ok {n} README.md figures {name} as in {src}")
    return n, failed


def dkms(cmd, k):
    """DKMS in a tree of its own; its signing key, which it makes in
    /var/lib/dkms, in the scratch directory too where a mount namespace
    can be had."""
    cmd = re.sub(r"dkms add (\S+)", rf"dkms add \1 {k['dkms']}", cmd)
    cmd = re.sub(r"dkms install (\S+)",
                 rf"dkms build \1 -k {k['release']} --kernelsourcedir {k['kdir']} {k['dkms']}",
                 cmd)
    if subprocess.run(["unshare", "--mount", "true"], stderr=subprocess.DEVNULL).returncode:
        return cmd
    var = os.path.join(k["scratch"], "var-lib-dkms")
    os.makedirs(var, exist_ok=True)
    return f"unshare --mount bash -ec {shell_quote(f'mount --bind {var} /var/lib/dkms && {cmd}')}"


class Command:
    def __init__(self, line, text, body):
        self.line = line          # README line number of the first line
        self.text = text          # the first line without its comment
        self.body = body          # every line, heredoc included
        self.where, self.how = self.rule()

    def rule(self):
        for pattern, where, how, redirect in RULES:
            if re.fullmatch(pattern, self.text):
                self.redirect = redirect
                return where, how
        return None, None

    def name(self):
        return f"README.md:{self.line} {self.text}".replace("#", "")


def strip_comment(line):
    # a '#' after white space outside quotes starts a comment
    quote = None
    for i, c in enumerate(line):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def commands():
    lines = open(README).read().split("\n")
    out, i, block = [], 0, False
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            block = line.strip() == "```sh" and not block
            i += 1
            continue
        if block and strip_comment(line):
            text = strip_comment(line)
            body = [line]
            m = re.search(r"<<-?'?(\w+)'?", text)
            if m:
                while not lines[i].strip() == m.group(1):
                    i += 1
                    body.append(lines[i])
                text = text[:m.start()].rstrip()
            out.append(Command(i + 2 - len(body), text, body))
        i += 1
    # `kpoolctl --help` is shown in the text, not in a block
    for n, line in enumerate(lines, 1):
        if "`kpoolctl --help`" in line:
            out.append(Command(n, "kpoolctl --help", ["kpoolctl --help"]))
            break
    unknown = [c for c in out if not c.where]
    for c in unknown:
        print(f"README.md:{c.line}: no rule of scripts/readme.py runs '{c.text}'",
              file=sys.stderr)
    if unknown:
        sys.exit(1)
    return out


def cmd_list():
    for c in commands():
        print(f"{c.line:4} {c.where:9} {c.text}    [{c.how}]")


def guest_plan(path):
    sh = ["# SPDX-License-Identifier: GPL-2.0",
          "# Generated from README.md by scripts/readme.py: every kpoolctl",
          "# command README shows, each a step named by its README line.",
          ". /plans/common.sh",
          "",
          "# readme_run LINE FUNCTION: a session's \"stdin:N:\" is README line LINE+N",
          "readme_run() {",
          "\t\"$2\" 2>&1 | awk -v base=\"$1\" '{",
          "\t\tif (match($0, /stdin:[0-9]+:/))",
          "\t\t\t$0 = substr($0, 1, RSTART - 1) \"README.md:\" \\",
          "\t\t\t     (base + substr($0, RSTART + 6, RLENGTH - 7)) \":\" \\",
          "\t\t\t     substr($0, RSTART + RLENGTH)",
          "\t\tprint }'",
          "}",
          "",
          "load_modules kpool kpool_set kpool_dev kpool_example"]
    for c in commands():
        if c.where != "guest":
            continue
        fn = f"readme_{c.line}"
        sh.append(f"{fn}() {{")
        body = list(c.body)
        # a live view runs until interrupted: README's line, stopped by ^C
        if c.text.startswith("kpoolctl watch"):
            body[0] = "timeout -s INT 3 " + body[0]
        sh.extend(body)
        sh.append("}")
        sh.append(f"step {shell_quote(c.name())} readme_run {c.line} {fn}")
    sh += ["unload_modules kpool_example kpool_dev kpool_set kpool", "finish", ""]
    with open(path, "w") as f:
        f.write("\n".join(sh))


def shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def host(out, kernels):
    cmds = [c for c in commands() if c.where == "host"]
    tools = os.path.join(ROOT, "userspace")
    n = failed = 0
    print("KTAP version 1")
    print(f"1..{len(cmds) * len(kernels) + len(FIGURES)}")
    for spec in kernels:
        name, rest = spec.split("=", 1)
        kdir, release = rest.rsplit(":", 1)
        scratch = os.path.join(out, name)
        shutil.rmtree(scratch, ignore_errors=True)
        src = os.path.join(scratch, "kpool")
        k = {"kdir": kdir, "release": release, "root": os.path.join(scratch, "root"),
             "scratch": scratch,
             "dkms": f"--sourcetree {scratch}/root/usr/src --dkmstree {scratch}/dkms"}
        os.makedirs(os.path.join(scratch, "dkms"))
        # what a user has: a clean copy of the tree (git's files)
        files = subprocess.run(["git", "-C", ROOT, "ls-files", "--cached", "--others",
                                "--exclude-standard"], check=True, stdout=subprocess.PIPE,
                               text=True).stdout
        subprocess.run(["rsync", "-a", "--files-from=-", ROOT + "/", src + "/"],
                       input=files, text=True, check=True)
        for c in cmds:
            n += 1
            script = c.text.replace("/usr/src/linux-headers-X", kdir).replace("sudo ", "")
            if c.redirect:
                script = c.redirect(script, k)
            env = dict(os.environ, KDIR=kdir, PATH=tools + ":" + os.environ["PATH"])
            r = subprocess.run(["bash", "-o", "pipefail", "-ec", script], cwd=src, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            title = f"{c.name()} ({name})"
            if r.returncode == 0:
                print(f"ok {n} {title}")
                continue
            failed += 1
            print(f"# README.md:{c.line}: '{c.text}' failed on {name} (exit {r.returncode}),"
                  f" run as: {script}")
            for line in r.stdout.splitlines()[-20:]:
                print(f"#   {line}")
            print(f"not ok {n} {title}")
    n, bad = check_figures(n)
    return 1 if failed or bad else 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "list":
        cmd_list()
    elif len(sys.argv) == 3 and sys.argv[1] == "guest-plan":
        guest_plan(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "host":
        sys.exit(host(sys.argv[2], sys.argv[3:]))
    elif len(sys.argv) == 4 and sys.argv[1] == "sync":
        sync(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
