#!/usr/bin/env bash
# watch_idle.sh - idle CPU of `portsec watch` (defaults: eBPF, 2 s reconciliation) on a namespace
# holding 10k sockets (1000 TCP listeners, 4500 established loopback pairs), over DUR seconds
# (default 60): utime+stime from /proc/PID/stat, as a share of one core.  Needs root; runs in a
# throwaway netns (a private mount namespace with cgroup v2 for the eBPF bind hooks).
set -u
PORTSEC=${PORTSEC:-$(dirname "$0")/../build/src/portsec}
DUR=${DUR:-60}
NS=psbench-idle-$$
T=$(mktemp -d)
ip netns add "$NS"; ip -n "$NS" link set lo up
cleanup() { [ -n "${FP:-}" ] && kill "$FP" 2>/dev/null; [ -n "${WP:-}" ] && kill "$WP" 2>/dev/null; sleep 0.3; ip netns del "$NS"; rm -rf "$T"; }
trap cleanup EXIT
ip netns exec "$NS" python3 -c '
import socket, time, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
keep = []
for i in range(1000):
    s = socket.socket(); s.bind(("127.0.0.1", 20000 + i)); s.listen(8); keep.append(s)
srv = socket.socket(); srv.bind(("127.0.0.1", 19999)); srv.listen(4096)
for i in range(4500):
    c = socket.create_connection(("127.0.0.1", 19999)); a, _ = srv.accept(); keep += [c, a]
print("ready", len(keep) + 1, flush=True)
time.sleep(100000)' >"$T/fix" &
FP=$!
for _ in $(seq 1 600); do grep -q ready "$T/fix" && break; sleep 0.1; done
mkdir -p "$T/cg"
ip netns exec "$NS" unshare -m --propagation private sh -c "mount -t cgroup2 none '$T/cg' && exec '$PORTSEC' watch --no-policy ${WATCH_ARGS:-}" >"$T/w" 2>"$T/w.err" &
WP=$!
sleep 3
WPID=$(pgrep -P "$WP" portsec || echo "$WP")
[ -r /proc/$WPID/stat ] || WPID=$WP
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' /proc/"$WPID"/stat; }
rss() { awk '/VmRSS/{print $2}' /proc/"$WPID"/status; }
c0=$(cpu); r0=$(rss); t0=$(date +%s.%N)
[ -n "${STRACE:-}" ] && timeout 6 strace -c -f -p "$WPID" 2>&1 | head -25
sleep "$DUR"; [ -n "${STRACE:-}" ] && { wc -l "$T/w"; head -3 "$T/w"; timeout 2 strace -f -p "$WPID" 2>&1 | head -12; }
c1=$(cpu); r1=$(rss); t1=$(date +%s.%N)
echo "sockets: $(awk '/^ready/{print $2}' "$T/fix"); source: $(head -1 "$T/w.err" | cut -c1-60)"
python3 -c "
c = ($c1 - $c0) / $tick; t = $t1 - $t0
print(f'watch idle over {t:.1f} s: {c:.3f} s CPU = {100 * c / t:.3f} % of one core; RSS {$r0} -> {$r1} KiB')"
