#!/usr/bin/env python3
"""The layer rule of docs/ARCHITECTURE.md, checked on symbols, not #include
lines: every object file of libportsec and of the CLI is read with `nm`; a
symbol an object uses (undefined there) that another module defines must be
defined in a module the user may call.  An umbrella header cannot hide an
upward call from this.

usage: check_symbols.py BUILD_DIR [--extra MODULE=OBJECT ...]
(--extra adds an object as if it belonged to MODULE: the test plants a
violation that way and expects a failure.)"""
import os, subprocess, sys

# who may call whom (besides itself); the order of the layers in ARCHITECTURE.md
ALLOWED = {
    "util": set(),
    "model": {"util"},
    "services": {"util", "model"},
    "inventory": {"util", "model"},
    "probe": {"util", "model"},
    "fw": {"util", "model"},
    "hidden": {"util", "model", "inventory", "probe", "services"},
    "assess": {"util", "model", "inventory", "services", "fw", "hidden", "probe"},
    "output": {"util", "model", "services", "assess"},
    "cli": {"util", "model", "inventory", "services", "probe", "fw", "hidden", "assess", "output"},
}

def nm(obj, *flags):
    out = subprocess.run(["nm", "-P", *flags, obj], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            syms.append((parts[0], parts[1]))
    return syms

def module_of(path):
    parts = path.replace("\\", "/").split("/")
    if "cli" in parts and "portsec.dir" in parts:
        return "cli"
    if "lib" in parts:
        i = len(parts) - 1 - parts[::-1].index("lib")
        if i + 1 < len(parts) - 1:
            return parts[i + 1]
    return None

def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    build = sys.argv[1]
    objs = []
    for root, _, files in os.walk(os.path.join(build, "src")):
        for f in files:
            if f.endswith(".o"):
                p = os.path.join(root, f)
                m = module_of(os.path.relpath(p, build))
                if m:
                    objs.append((m, p))
    args = sys.argv[2:]
    while args:
        if args[0] == "--extra" and len(args) > 1 and "=" in args[1]:
            m, p = args[1].split("=", 1)
            objs.append((m, p))
            args = args[2:]
        else:
            print("check_symbols: bad argument %r" % args[0])
            return 2
    if not objs:
        print("check_symbols: no object files under %s/src (build first)" % build)
        return 2
    definer, syms = {}, {}
    for m, p in objs:
        if m not in ALLOWED:
            print("check_symbols: %s: module %r is not in the layer table" % (p, m))
            return 1
        syms[p] = nm(p)
        for name, kind in syms[p]:
            if kind != "U" and kind.upper() in "TDBRVWGS":
                definer.setdefault(name, (m, p))
    bad = 0
    edges = set()
    for m, p in objs:
        for name, kind in syms[p]:
            if kind != "U":
                continue
            d = definer.get(name)
            if not d or d[0] == m:
                continue
            edges.add((m, d[0]))
            if d[0] not in ALLOWED[m]:
                print("layer violation: %s (%s) uses %s, defined in %s (%s)"
                      % (os.path.basename(p), m, name, os.path.basename(d[1]), d[0]))
                bad += 1
    if bad:
        print("%d upward or sideways call(s); the allowed calls are the table in tests/check_symbols.py" % bad)
        return 1
    print("symbols: ok (%d objects, %d module edges: %s)" % (
        len(objs), len(edges), ", ".join("%s->%s" % e for e in sorted(edges))))
    return 0

sys.exit(main())
