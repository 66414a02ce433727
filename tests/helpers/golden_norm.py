#!/usr/bin/env python3
"""Normalise a portsec output for the golden comparison: stdin -> stdout.
argv: the namespace's name, the fixture's pid, the fixture's path.  JSON documents (one, or one
per line) keep their key order; volatile values become placeholders."""
import json, re, socket, sys

import os
ns, pid = sys.argv[1], sys.argv[2]
fix = [os.path.realpath(sys.argv[3]), sys.argv[3]] if len(sys.argv) > 3 else []
host = socket.gethostname()
kernel = open("/proc/sys/kernel/osrelease").read().strip()
VOLATILE = {"pid", "inode", "cookie", "ms", "time", "start", "startstr", "end", "timestr",
            "elapsed", "elapsed_ms", "rtt_us", "srtt_us", "latency", "latency_s", "seconds",
            "rate", "probes_per_s", "uptime", "seed", "args", "ppid", "sent", "received",
            "retransmits", "packets", "bytes", "rows", "duration_ms", "total_ms", "elapsed_s", "srtt_ms", "timeout_ms",
            "peak_rate", "icmp_per_s", "reply_ttl", "ttl"}

DENIED = "file descriptors could not be read (permission denied)"

UNORDERED = {"sockets", "listeners", "addresses"}  # the kernel's hash order
ROW = re.compile(r"^\s*(tcp|udp|raw|packet)\s")
CHECK = re.compile(r"^  \S+ +[a-z-]+ +N ms ")

def text(s):
    for f in fix:
        s = s.replace(f, "SOCKFIX")
    s = s.replace(ns, "NS").replace(host, "HOST").replace(kernel, "KERNEL")
    s = re.sub(r"\b%s\b" % re.escape(pid), "PID", s)
    s = re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?( UTC)?", "DATE", s)
    s = re.sub(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \w{3} +\d+ \d\d:\d\d:\d\d \d{4}", "DATE", s)
    s = re.sub(r"\b\d+(\.\d+)?(?= ?(s|ms|µs|us|seconds|probes/s|%)\b)", "N", s)
    s = re.sub(r"\b\d+\.\d+s latency", "Ns latency", s)
    s = re.sub(r'(start|end|time|startstr|timestr|elapsed|args|srtt|rttvar|to)="[^"]*"', r'\1="X"', s)
    s = re.sub(r"inode \d+", "inode N", s)
    s = re.sub(r"\bnetns \d{6,}", "netns N", s)
    s = re.sub(r"\b400\d\d\b", "EPH", s)
    # facts of the machine outside the test's namespace (other processes)
    s = re.sub(r"\b\d+ process(es)?\b", "N processes", s)
    s = re.sub(r"\(\d+ unreadable\)", "(N unreadable)", s)
    s = re.sub(r"\d+ process environments", "N process environments", s)
    return s

def walk(v, key=None):
    if isinstance(v, dict):
        return {k: walk(x, k) for k, x in v.items()}
    if isinstance(v, list):
        r = [walk(x, key) for x in v if not (isinstance(x, str) and DENIED in x)]
        # namespaces: only the test's own (the machine may have others)
        if key in ("netns", "namespaces", "other_namespaces"):
            r = [x for x in r if not isinstance(x, dict) or x.get("name") in ("NS", "NSpeer") or "name" not in x]
        if key in UNORDERED:
            r.sort(key=lambda x: json.dumps(x, sort_keys=True))
        return r
    if key in ("netns", "netns_inode") and isinstance(v, int):
        return "X"
    if key in VOLATILE and isinstance(v, (int, float, str)) and v is not None:
        if key == "pid" and str(v) == pid:
            return "PID"
        return "X" if key != "pid" else v
    if isinstance(v, str) and key == "detail":
        return re.sub(r"\d+", "N", text(v))  # hidden's checks count host-wide things
    if isinstance(v, str):
        return text(v)
    if isinstance(v, (int, float)) and key == "port" and 40000 <= v <= 40099:
        return "EPH"
    return v

data = sys.stdin.read()
lines = data.splitlines()
tail = lines[-1] if lines and lines[-1].startswith("exit ") else None
body = "\n".join(lines[:-1] if tail else lines)
out = None
try:
    out = json.dumps(walk(json.loads(body)), indent=1, ensure_ascii=False)
except ValueError:
    try:
        out = "\n".join(sorted(json.dumps(walk(json.loads(l)), ensure_ascii=False) for l in body.splitlines() if l.strip()))
        if not body.strip():
            out = ""
    except ValueError:
        ls = [re.sub(r" +", " ", re.sub(r"\d+", "N", l)) if CHECK.match(l) else l
              for l in text(body).splitlines() if DENIED not in l]
        # socket rows come in the kernel's hash order: compare runs of them sorted
        res, run = [], []
        for l in ls + [None]:
            if l is not None and ROW.match(l):
                run.append(l)
                continue
            res += sorted(run)
            run = []
            if l is not None:
                res.append(l)
        out = "\n".join(res)
print(out)
if tail:
    print(tail)
