#!/usr/bin/env python3
"""bench/fw.py - firewall timings, side by side, inside one throwaway netns.

Run by `bench/run.sh firewall` (as root).  The timer runs *inside* the
namespace, so `ip netns exec` (about 3 ms) is not counted for anyone.  Each
case is a whole process (spawn included), interleaved per repetition:

  open-1       portsec open P/tcp            (persistent: temp file, fsync, rename)
  open-1-rt    portsec open P/tcp --runtime
  nft-elem     nft add element inet portsec allow_tcp { P }   (same change, nft binary)
  nft-rule     nft add rule inet bench c tcp dport P accept   (the reference's 2.3 ms)
  open-1000    portsec open P1,...,P1000/tcp --runtime        (1000 separate elements)
  nft-1000     nft -f: the same 1000 elements in one batch
  verdicts     portsec rules --json: read the ruleset (1000 rules), list listeners,
               evaluate every listener (v4 and v6)
  nft-list     nft list ruleset (listing only, no evaluation)

Ports differ per repetition so every command makes a real change.  Output: a
TSV of samples and a markdown table of medians and ratios.
"""
import os, socket, statistics, subprocess, sys, time

portsec, reps, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
env = dict(os.environ, PORTSEC_FW_FILE=os.path.join(outdir, "fw.nft"))


def run(cmd, stdin=None):
    t = time.perf_counter()
    r = subprocess.run(cmd, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (" ".join(c[:40] for c in cmd[:3]), r.returncode, r.stderr.decode()[:300]))
    return dt


subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["nft", "add", "table", "inet", "bench"], check=True)
subprocess.run(["nft", "add", "chain", "inet", "bench", "c", "{ type filter hook input priority 0; policy accept; }"], check=True)


def big_ruleset():
    pass


# a 1000-rule ruleset in another table (ufw-like: per-source, per-port accepts)
rules = ["table inet big {", " chain c { type filter hook input priority 0; policy accept;"]
for i in range(1000):
    rules.append("  ip saddr 198.18.%d.%d tcp dport %d accept" % (i // 250, i % 250 + 1, 1024 + i))
rules += [" }", "}"]
# 40 listeners (20 TCP, 20 UDP; v4, v6 and dual-stack)
held = []
for i in range(20):
    fam = [socket.AF_INET, socket.AF_INET6][i % 2]
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(fam, kind)
        s.bind(("0.0.0.0" if fam == socket.AF_INET else "::", 30000 + i))
        if kind == socket.SOCK_STREAM:
            s.listen(8)
        held.append(s)
run([portsec, "open", "1/tcp", "--runtime"])  # creates table inet portsec

samples = {k: [] for k in ["open-1", "open-1-rt", "nft-elem", "nft-rule", "open-1000", "nft-1000",
                           "open-1@1000", "nft-elem@1000", "verdicts", "nft-list"]}
for phase in (0, 1):
  if phase == 1:
    subprocess.run(["nft", "-f", "-"], input="\n".join(rules).encode(), check=True)
  for r in range(reps):
    if phase == 1:
        base = 40000 + r * 10
        samples["open-1@1000"].append(run([portsec, "open", "%d/tcp" % base]))
        samples["nft-elem@1000"].append(run(["nft", "add", "element", "inet", "portsec", "allow_tcp", "{ %d }" % (base + 4)]))
        samples["verdicts"].append(run([portsec, "rules", "--json"]))
        samples["nft-list"].append(run(["nft", "list", "ruleset"]))
        continue
    base = 2000 + r * 10
    samples["open-1"].append(run([portsec, "open", "%d/tcp" % base]))
    samples["open-1-rt"].append(run([portsec, "open", "%d/tcp" % (base + 2), "--runtime"]))
    samples["nft-elem"].append(run(["nft", "add", "element", "inet", "portsec", "allow_tcp", "{ %d }" % (base + 4)]))
    samples["nft-rule"].append(run(["nft", "add", "rule", "inet", "bench", "c", "tcp", "dport", str(base + 6), "accept"]))
    lo = 10000 + r * 2500
    ports = ",".join(str(lo + 2 * k) for k in range(1000))
    samples["open-1000"].append(run([portsec, "open", ports + "/tcp", "--runtime"]))
    lo2 = lo + 1  # odd ports: separate elements, same set
    batch = "add element inet portsec allow_tcp { %s }\n" % ", ".join(str(lo2 + 2 * k) for k in range(1000))
    samples["nft-1000"].append(run(["nft", "-f", "-"], stdin=batch.encode()))
    # untimed: back to a small set, so every repetition sees the same ruleset
    subprocess.run(["nft", "flush", "set", "inet", "portsec", "allow_tcp"], check=True)

with open(os.path.join(outdir, "firewall.tsv"), "w") as f:
    f.write("case\trep\tseconds\n")
    for k, v in samples.items():
        for i, x in enumerate(v):
            f.write("%s\t%d\t%.6f\n" % (k, i, x))
med = {k: statistics.median(v) * 1000 for k, v in samples.items()}
rng = {k: (min(v) * 1000, max(v) * 1000) for k, v in samples.items()}
targets = {"open-1": 5.0, "open-1-rt": 5.0, "open-1000": 30.0, "verdicts": 20.0, "open-1@1000": 5.0}
lines = ["| case | median ms | min-max ms | vs | ratio | target |", "|---|---|---|---|---|---|"]
pairs = {"open-1": "nft-rule", "open-1-rt": "nft-elem", "open-1000": "nft-1000", "verdicts": "nft-list",
         "open-1@1000": "nft-elem@1000"}
for k in samples:
    ref = pairs.get(k)
    ratio = "%.2f" % (med[k] / med[ref]) if ref else ""
    tgt = ""
    if k in targets:
        tgt = "<= %.0f ms: %s" % (targets[k], "met" if med[k] <= targets[k] else "NOT met")
    lines.append("| %s | %.2f | %.2f-%.2f | %s | %s | %s |" % (k, med[k], rng[k][0], rng[k][1], ref or "", ratio, tgt))
rs = subprocess.run(["nft", "list", "ruleset"], capture_output=True).stdout.decode()
lines.append("")
lines.append("%d repetitions per phase; first phase: portsec's table plus one empty chain; `@1000` rows and "
             "verdicts/nft-list: plus a 1000-rule table (%d lines of `nft list ruleset` at the end); 40 listeners."
             % (reps, rs.count("\n")))
open(os.path.join(outdir, "firewall.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
