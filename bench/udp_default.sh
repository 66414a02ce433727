#!/usr/bin/env bash
# bench/udp_default.sh - `portsec scan -sU --top-ports 1000` against a target
# at the kernel's default ICMP rate limits (1 port-unreachable/s per peer,
# burst 6), in namespaces of its own (psq-s scanner, psq-t target, veth,
# 198.19.9.0/24).  Open UDP: 53 (DNS, answers a valid query), 123, 161, 500,
# 1900 (answer any datagram), as in ../shared/bench.  Two runs: the fast pass
# only (--udp-budget 1ms: when are the open services known?) and the full
# classification.  The anchor, nmap -sU --top-ports 1000 -T4, was measured by
# ../shared/bench (scan --cases udp-default): ~990 s.
set -u
PORTSEC=${PORTSEC:-$(cd "$(dirname "$0")/.." && pwd)/build/src/portsec}
PEER=$(cd "$(dirname "$0")/.." && pwd)/tests/helpers/netpeer.py
OUT=${1:-/tmp/udp_default}
LIMIT=${LIMIT:-1500}
mkdir -p "$OUT"
cleanup() { [ -n "${TP:-}" ] && kill "$TP" 2>/dev/null; ip netns del psq-s 2>/dev/null; ip netns del psq-t 2>/dev/null; }
trap cleanup EXIT
ip netns add psq-s && ip netns add psq-t || exit 1
ip -n psq-s link set lo up; ip -n psq-t link set lo up
ip link add psq-a netns psq-s type veth peer name psq-b netns psq-t
ip -n psq-s addr add 198.19.9.1/24 dev psq-a; ip -n psq-t addr add 198.19.9.2/24 dev psq-b
ip -n psq-s link set psq-a up; ip -n psq-t link set psq-b up
ip netns exec psq-t sysctl -qw net.ipv4.icmp_ratelimit=1000 net.ipv4.icmp_msgs_per_sec=1000 net.ipv4.icmp_msgs_burst=50
NETPEER_SECS=$((LIMIT + 200)) ip netns exec psq-t python3 "$PEER" target udpd "" 123,161,500,1900 53 0 0 >"$OUT/target.log" 2>&1 &
TP=$!
sleep 1
run() { # label args...
	local label=$1; shift
	local t0=$(date +%s.%N)
	ip netns exec psq-s timeout "$LIMIT" "$PORTSEC" scan "$@" --json 198.19.9.2 >"$OUT/$label.json" 2>"$OUT/$label.err"
	local rc=$?
	local t1=$(date +%s.%N)
	python3 - "$OUT/$label.json" "$label" "$(echo "$t1 - $t0" | bc)" "$rc" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1])); h = doc["hosts"][0]
op = sorted(p["port"] for p in h["ports"] if p["state"] == "open")
c = h["counts"]; st = doc["stats"]
print(f"{sys.argv[2]}: wall {float(sys.argv[3]):.2f} s exit {sys.argv[4]}; open {op}; counts {c}; "
      f"icmp_rate_limited {st['icmp_rate_limited']} ({st['icmp_per_s']:.2f}/s); unresolved {st['udp_unresolved']}; "
      f"exact {op == [53, 123, 161, 500, 1900] and c['closed'] == 995 and c['open|filtered'] == 0}")
PY
}
run fast -sU --top-ports 1000 --udp-budget 1ms
sleep 8   # let the target's ICMP bucket refill
run full -sU --top-ports 1000
