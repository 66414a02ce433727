#!/usr/bin/env bash
# bench/audit_100k.sh - `portsec audit` on the shared harness's 100k-socket
# inventory fixtures (sockhold: 20000 TCP listeners, 20000 UDP binds, 30000
# established loopback pairs, in 10 or 1000 processes), side by side with
# `portsec list -tanp` (the issue's yardstick: audit <= 1.3x list) in one
# hyperfine run per fixture: means, medians and ratios.  Needs root; runs in a
# throwaway netns; no traffic leaves it.
#   bench/audit_100k.sh [--runs N] [--cases 100k-P10,100k-P1000]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
shared=${PORTSEC_SHARED_BENCH:-$root/../shared/bench}
portsec=${PORTSEC:-$root/build/src/portsec}
runs=10 cases=100k-P10,100k-P1000
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--cases) cases=$2; shift 2 ;;
	*) echo "bench/audit_100k.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench/audit_100k.sh: needs root" >&2; exit 1; }
work=$(mktemp -d /tmp/portsec-bench-a100k.XXXXXX)
ns=psb-a100k-$$ fix=
cleanup() { [ -n "$fix" ] && kill "$fix" 2>/dev/null; sleep 0.5; ip netns del "$ns" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cp -r "$shared" "$work/harness"
make -C "$work/harness" build/sockhold >/dev/null
cp "$portsec" "$work/portsec" # rebuilding during the run must not change what is timed
out=$here/results/$(date -u +%Y%m%d-%H%M%S)-audit-100k
mkdir -p "$out"
for c in ${cases//,/ }; do
	case $c in
	100k-P10) P=10 ;;
	100k-P1000) P=1000 ;;
	*) echo "bench/audit_100k.sh: unknown case '$c'" >&2; exit 2 ;;
	esac
	ip netns add "$ns"; ip -n "$ns" link set lo up
	ip -n "$ns" -6 route add local 2001:db8:100::/48 dev lo
	ip netns exec "$ns" "$work/harness/build/sockhold" -L 20000 -U 20000 -E 30000 -P "$P" -T 1800 >"$work/fix.out" 2>&1 &
	fix=$!
	for _ in $(seq 1 1200); do grep -q '^READY' "$work/fix.out" && break; sleep 0.1; done
	grep -q '^READY' "$work/fix.out" || { echo "fixture not ready: $(cat "$work/fix.out")"; exit 1; }
	echo "$c: $(head -1 "$work/fix.out")"
	x="ip netns exec $ns $work/portsec"
	hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/$c.json" \
		-n "portsec list -tanp" "$x list -tanp" \
		-n "portsec audit" "$x audit --no-policy --fail-on never" \
		-n "portsec audit --json" "$x audit --no-policy --fail-on never --json" >/dev/null
	python3 - "$out/$c.json" "$c" <<'PY' | tee -a "$out/portsec-ratios.md"
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = next(x for x in r if x["command"] == "portsec list -tanp")
print(f"\n{sys.argv[2]}\n\n| command | mean (ms) | median (ms) | vs list -tanp (medians) | target |")
print("|---|---|---|---|---|")
for x in r:
    t = "≤ 1.3" if x["command"] == "portsec audit" else "–"
    print(f"| {x['command']} | {x['mean']*1e3:.0f} | {x['median']*1e3:.0f} | {x['median']/base['median']:.2f}x | {t} |")
PY
	kill "$fix"; wait "$fix" 2>/dev/null || true; fix=
	ip netns del "$ns"
done
echo "results: $out"
