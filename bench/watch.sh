#!/usr/bin/env bash
# bench/watch.sh - short-lived listeners: how many each watcher reports, and
# the listen()-to-event lag of the eBPF source.  In a throwaway namespace, N
# TCP listeners then N UDP binds, each living 5 ms, one after another, seen by:
#   portsec watch (eBPF; cgroup v2 mounted in a private mount namespace when
#   the host has none), portsec watch --poll (sock_diag every 100 ms, its
#   default), and `ss -tuln` run every 100 ms (what a polling script does).
# Needs root.  Usage: bench/watch.sh [N]
set -u
N=${1:-1000}
P=${PORTSEC:-$(cd "$(dirname "$0")/.." && pwd)/build/src/portsec}
W=psw-b$$; CG=$(mktemp -d /tmp/psw-cg.XXXXXX); OUT=$(mktemp -d /tmp/psw-out.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; ip netns del "$W" 2>/dev/null; rmdir "$CG"; rm -rf "$OUT"; }
trap cleanup EXIT
ip netns add "$W"; ip -n "$W" link set lo up
ip netns exec "$W" unshare -m --propagation private sh -c \
	"mount -t cgroup2 none '$CG' 2>/dev/null; exec '$P' watch --json --no-policy --duration 600s" >"$OUT/ebpf" 2>"$OUT/ebpf.err" &
pids+=($!)
ip netns exec "$W" "$P" watch --json --no-policy --poll --duration 600s >"$OUT/poll" 2>"$OUT/poll.err" &
pids+=($!)
ip netns exec "$W" bash -c 'for i in $(seq 1 20000); do ss -Htuln; sleep 0.1; done' >"$OUT/ss" 2>/dev/null &
pids+=($!)
sleep 1.5
head -1 "$OUT/ebpf.err"; head -1 "$OUT/poll.err"
ip netns exec "$W" python3 - "$N" >"$OUT/times" <<'PY'
import socket, sys, time
n = int(sys.argv[1])
for i in range(n):
    s = socket.socket(); s.bind(("0.0.0.0", 20000 + i)); s.listen(1); print(20000 + i, time.time()); time.sleep(0.005); s.close()
for i in range(n):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 30000 + i)); print(30000 + i, time.time()); time.sleep(0.005); u.close()
PY
sleep 1
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
python3 - "$OUT" "$N" <<'PY'
import json, sys, statistics, datetime
out, n = sys.argv[1], int(sys.argv[2])
born = {int(a): float(b) for a, b in (l.split() for l in open(out + "/times"))}
def wall_lag_us(e):
    # what the poll source's reader waits: listen() (the fixture's clock) to the event's @timestamp
    t = datetime.datetime.strptime(e["@timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return (t.timestamp() - born[e["source"]["port"]]) * 1e6
def load(f):
    ev = []
    for l in open(f):
        try: ev.append(json.loads(l))
        except ValueError: pass
    return ev
print("| watcher | TCP listeners seen (of %d) | with pid+exe | UDP binds seen (of %d) | with pid+exe | lag median µs | lag p99 µs |  (eBPF: kernel event to emitted; poll: listen() to the event timestamp)" % (n, n))
print("|---|---|---|---|---|---|---|")
for name, f in (("portsec watch (eBPF)", "ebpf"), ("portsec watch --poll (100 ms)", "poll")):
    ev = load(out + "/" + f)
    t = {e["source"]["port"]: e for e in ev if e["event"]["action"] == "listen" and 20000 <= e["source"]["port"] < 20000 + n}
    u = {e["source"]["port"]: e for e in ev if e["event"]["action"] == "bind" and 30000 <= e["source"]["port"] < 30000 + n}
    own = lambda d: sum(1 for e in d.values() if e.get("process", {}).get("pid") and (e["process"].get("executable") or e["portsec"].get("process_gone")))
    lags = sorted(e["portsec"]["lag_us"] if e["portsec"].get("lag_us") is not None else wall_lag_us(e)
                  for e in list(t.values()) + list(u.values()))
    med = "%.0f" % statistics.median(lags) if lags else "–"
    p99 = "%.0f" % lags[int(len(lags) * 0.99) - 1] if lags else "–"
    print("| %s | %d | %d | %d | %d | %s | %s |" % (name, len(t), own(t), len(u), own(u), med, p99))
tcp, udp = set(), set()
for l in open(out + "/ss"):
    f = l.split()
    if len(f) >= 5:
        port = int(f[4].rsplit(":", 1)[1]) if f[4].rsplit(":", 1)[1].isdigit() else 0
        if f[0] == "tcp" and 20000 <= port < 20000 + n: tcp.add(port)
        if f[0] == "udp" and 30000 <= port < 30000 + n: udp.add(port)
print("| ss -tuln every 100 ms | %d | no owner (no -p) | %d | – | – | – |" % (len(tcp), len(udp)))
PY
