#!/usr/bin/env python3
"""portsec vs its matching anchor, per repetition of one interleaved run:
portsec-tanp ~ ss -tanp, portsec-tlnp ~ ss -tlnp, portsec-tulpn ~ ss -tulpn.
Prints a Markdown table: median wall of each, median of per-rep ratios (min-max),
peak RSS of each, and the row/owner accuracy the harness checked."""
import csv
import statistics
import sys
from collections import defaultdict

PAIRS = [("portsec-tanp", "ss -tanp"), ("portsec-tlnp", "ss -tlnp"), ("portsec-tulpn", "ss -tulpn"),
         ("portsec-tanp-json", "ss -tanp"),
         ("portsec-hidden", "unhide-tcp"), ("portsec-hidden-noprobe", "unhide-tcp"),
         ("portsec-hidden", "floor: bind() brute force")]


def main(path):
    runs = defaultdict(dict)  # (case, label) -> rep -> row
    for r in csv.reader(open(path), delimiter="\t"):
        if len(r) < 13 or r[0] == "bench":
            continue
        runs[(r[1], r[2])][int(r[4])] = r
    cases = sorted({c for c, _ in runs}, key=lambda c: (c.startswith("100k"), c))
    print("| case | portsec | anchor | portsec wall s (median) | anchor wall s | ratio (median of per-rep) | min-max | "
          "peak RSS portsec / anchor MB | accuracy portsec |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in cases:
        for mine, ref in PAIRS:
            a, b = runs.get((c, mine)), runs.get((c, ref))
            if not a or not b:
                continue
            reps = sorted(set(a) & set(b))
            ratios = [float(a[k][5]) / float(b[k][5]) for k in reps if float(b[k][5]) > 0]
            wa = statistics.median(float(a[k][5]) for k in reps)
            wb = statistics.median(float(b[k][5]) for k in reps)
            ma = max(int(a[k][8]) for k in reps) / 1024
            mb = max(int(b[k][8]) for k in reps) / 1024
            acc = {a[k][12] for k in reps}
            ok = all(a[k][11] == "True" for k in reps)
            print(f"| {c} | `{mine}` | `{ref}` | {wa:.3f} | {wb:.3f} | **{statistics.median(ratios):.3f}** | "
                  f"{min(ratios):.3f}-{max(ratios):.3f} | {ma:.1f} / {mb:.1f} | {'✓' if ok else '✗'} {'; '.join(sorted(acc))} |")


if __name__ == "__main__":
    main(sys.argv[1])
