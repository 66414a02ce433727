#!/usr/bin/env bash
# watch_churn.sh - RSS of `portsec watch` (defaults: eBPF, JSON to a file) while
# listeners churn: RATE TCP listeners a minute (default 100000) opened and
# closed one after another in a throwaway netns for DUR seconds (default 600).
# VmRSS is sampled every 30 s; the figure is the growth from the first sample
# (taken after 30 s of churn, when the tracked table and buffers are warm) to
# the last, against the issue's target of 1 MiB.  Needs root.
set -u
PORTSEC=${PORTSEC:-$(cd "$(dirname "$0")/.." && pwd)/build/src/portsec}
DUR=${DUR:-600}
RATE=${RATE:-100000}
NS=psbench-churn-$$
T=$(mktemp -d)
ip netns add "$NS"; ip -n "$NS" link set lo up
cleanup() { [ -n "${FP:-}" ] && kill "$FP" 2>/dev/null; [ -n "${WP:-}" ] && kill "$WP" 2>/dev/null; sleep 0.3; ip netns del "$NS"; rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$T/cg"
ip netns exec "$NS" unshare -m --propagation private sh -c "mount -t cgroup2 none '$T/cg' && exec '$PORTSEC' watch --json --no-policy" >"$T/w" 2>"$T/w.err" &
WP=$!
sleep 2
WPID=$(pgrep -P "$WP" portsec || echo "$WP")
ip netns exec "$NS" python3 - "$RATE" "$DUR" <<'PY' >"$T/fix" &
import socket, sys, time
rate, dur = int(sys.argv[1]), float(sys.argv[2])
t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < dur:
    # paced to RATE a minute, in batches of 100 (ports 30000..30099 reused)
    for i in range(100):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 30000 + i)); s.listen(1); s.close()
    n += 100
    ahead = n * 60.0 / rate - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
print("opened", n, "in", round(time.monotonic() - t0, 1), "s", flush=True)
PY
FP=$!
rss() { awk '/VmRSS/{print $2}' /proc/"$WPID"/status 2>/dev/null; }
samples=()
for ((s = 30; s <= DUR; s += 30)); do sleep 30; samples+=("$(rss)"); done
wait "$FP"; FP=
echo "source: $(head -1 "$T/w.err" | cut -c1-70)"
cat "$T/fix"
echo "events: $(grep -c '"listen"' "$T/w") listen, $(grep -c '"close"' "$T/w") close"
echo "RSS KiB every 30 s: ${samples[*]}"
first=${samples[0]}; last=${samples[${#samples[@]}-1]}; max=$first
for v in "${samples[@]}"; do [ "$v" -gt "$max" ] && max=$v; done
echo "RSS growth over $((DUR - 30)) s of churn: $((last - first)) KiB (max $((max - first)) KiB above the first sample; target <= 1024)"
