#!/usr/bin/env python3
"""Functions longer than N lines (default 120) in the given C files: a
function starts at a '{' in column 0 and ends at the next '}' in column 0."""
import sys
limit = 120
files = sys.argv[1:]
if files and files[0].startswith("--max="):
    limit = int(files.pop(0)[6:])
bad = 0
for f in files:
    lines = open(f, encoding="utf-8").read().split("\n")
    start = None
    for i, l in enumerate(lines):
        if l == "{":
            start = i
        elif l == "}" and start is not None:
            n = i - start - 1
            if n > limit:
                head = lines[start - 1].strip()
                print(f"{f}:{start}: {head[:70]} is {n} lines (limit {limit})")
                bad += 1
            start = None
sys.exit(1 if bad else 0)
