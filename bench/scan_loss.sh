#!/usr/bin/env bash
# bench/scan_loss.sh - `scan -sS -p-` exactness and time under reply loss, side
# by side with nmap -T4, in two throwaway namespaces (scanner 198.19.9.1,
# target .2 with 4 TCP listeners; every other port closed).  The loss is an
# nft rule on the target's output (numgen random mod 100 < LOSS drop; tc netem
# is not in this kernel).  Needs root, nmap.  Usage: bench/scan_loss.sh [LOSS%] [REPS] [NMAP_TIMEOUT_S]
set -u
LOSS=${1:-5}; REPS=${2:-3}; NT=${3:-300}
P=${PORTSEC:-$(cd "$(dirname "$0")/.." && pwd)/build/src/portsec}
PEER=$(cd "$(dirname "$0")/.." && pwd)/tests/helpers/netpeer.py
S=psl-s$$; T=psl-t$$
cleanup() { [ -n "${TP:-}" ] && kill "$TP" 2>/dev/null; ip netns del "$S" 2>/dev/null; ip netns del "$T" 2>/dev/null; }
trap cleanup EXIT
ip netns add "$S"; ip netns add "$T"
ip link add "pls$$" netns "$S" type veth peer name "plt$$" netns "$T"
ip -n "$S" addr add 198.19.9.1/24 dev "pls$$"; ip -n "$T" addr add 198.19.9.2/24 dev "plt$$"
for n in "$S" "$T"; do ip -n "$n" link set lo up; done
ip -n "$S" link set "pls$$" up; ip -n "$T" link set "plt$$" up
NETPEER_SECS=$((REPS * (NT + 120) + 60)) ip netns exec "$T" python3 "$PEER" target tgt 22,80,443,8080 53 0 0 0 >/dev/null &
TP=$!
sleep 0.5
ip netns exec "$T" nft -f - <<NFT
table inet loss {
	chain out {
		type filter hook output priority 0; policy accept;
		oifname "plt$$" numgen random mod 100 < $LOSS drop
	}
}
NFT
printf 'tool\trep\tseconds\topen\tclosed\tfiltered\n'
for r in $(seq 1 "$REPS"); do
	t0=$(date +%s.%N)
	ip netns exec "$S" "$P" scan -sS -p- --json 198.19.9.2 2>/dev/null >/tmp/psl.$$.json
	t1=$(date +%s.%N)
	python3 - /tmp/psl.$$.json "$(echo "$t1 - $t0" | bc)" "$r" <<'PY'
import json, sys, collections
d = json.load(open(sys.argv[1])); h = d["hosts"][0]
c = collections.Counter(p["state"] for p in h["ports"])
listed = sum(c.values())
print("portsec -sS -p-\t%s\t%.2f\t%d\t%d\t%d" % (sys.argv[3], float(sys.argv[2]), c["open"], c["closed"] + 65535 - listed, c["filtered"]))
PY
	t0=$(date +%s.%N)
	timeout "$NT" ip netns exec "$S" nmap -sS -p- -T4 -n -Pn -oX /tmp/psl.$$.xml 198.19.9.2 >/dev/null 2>&1
	rc=$?
	t1=$(date +%s.%N)
	if [ $rc = 124 ]; then
		printf 'nmap -sS -p- -T4\t%s\t>%s (did not finish)\t-\t-\t-\n' "$r" "$NT"
	else
		python3 - /tmp/psl.$$.xml "$(echo "$t1 - $t0" | bc)" "$r" <<'PY'
import sys, xml.etree.ElementTree as E
x = E.parse(sys.argv[1]).getroot(); st = {}
for p in x.iter("port"): st[p.find("state").get("state")] = st.get(p.find("state").get("state"), 0) + 1
for e in x.iter("extraports"): st[e.get("state")] = st.get(e.get("state"), 0) + int(e.get("count"))
print("nmap -sS -p- -T4\t%s\t%.2f\t%d\t%d\t%d" % (sys.argv[3], float(sys.argv[2]), st.get("open", 0), st.get("closed", 0), st.get("filtered", 0)))
PY
	fi
done
rm -f /tmp/psl.$$.json /tmp/psl.$$.xml
