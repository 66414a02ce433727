#!/usr/bin/env bash
# t_scan.sh - `portsec scan` against a target namespace of our own over a
# veth pair (scanner 198.19.7.1 / 2001:db8:7::1, target .2): TCP listeners,
# nftables DROP, REJECT icmp port-unreachable / admin-prohibited and tcp
# reset ranges, UDP echo services and a server that answers only a valid DNS
# query, IPv6, a /16 answered by the target (local route) for the sweep, the
# target's ICMP rate limit at its default and switched off; SYN, connect and
# UDP engines, every output format (XML checked against nmap.dtd, read by
# ndiff), nmap's verdict on the same ports, shards, Ctrl-C, bad input.
. "$(dirname "$0")/lib.sh"
need_root
command -v nft >/dev/null || { echo "SKIP: nft (nftables) not installed"; exit 77; }
PEER=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helpers/netpeer.py

mkns S scn
mkns T tgt
ip link add "pss$$" netns "$S" type veth peer name "pst$$" netns "$T" || { echo "FAIL: veth"; exit 1; }
ip -n "$S" addr add 198.19.7.1/24 dev "pss$$"
ip -n "$T" addr add 198.19.7.2/24 dev "pst$$"
ip -n "$S" addr add 2001:db8:7::1/64 dev "pss$$" nodad
ip -n "$T" addr add 2001:db8:7::2/64 dev "pst$$" nodad
ip -n "$S" link set "pss$$" up
ip -n "$T" link set "pst$$" up
ip -n "$S" route add 198.18.0.0/16 via 198.19.7.2
ip -n "$T" route add local 198.18.0.0/16 dev lo
ip netns exec "$T" nft -f - <<'NFT' || { echo "FAIL: nft"; exit 1; }
table inet t {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr 198.18.192.0/18 drop
    ip daddr 198.18.128.0/18 tcp dport 80 reject with tcp reset
    tcp dport 20000-20999 drop
    tcp dport 30001-30005 reject with icmpx type port-unreachable
    tcp dport 30011-30015 reject with tcp reset
    tcp dport 30021-30022 reject with icmpx type admin-prohibited
    udp dport 40000-40009 drop
  }
}
NFT
icmp_limits() { # on|off, inside the target namespace only
	if [ "$1" = off ]; then
		ip netns exec "$T" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 \
			net.ipv4.icmp_msgs_burst=1000000 net.ipv6.icmp.ratelimit=0
	else
		ip netns exec "$T" sysctl -qw net.ipv4.icmp_ratelimit=1000 net.ipv4.icmp_msgs_per_sec=1000 \
			net.ipv4.icmp_msgs_burst=50 net.ipv6.icmp.ratelimit=1000
	fi
}
icmp_limits off
# TCP 80,443,8080,9200 plain, 22 greets like OpenSSH, 8000 answers HEAD;
# UDP echo on 123,161; 53 answers only a well-formed DNS query
start_bg "$T" python3 "$PEER" target webd 80,443,8080,9200 123,161 53 22 8000
SC() { ip netns exec "$S" "$PORTSEC" scan "$@"; }
OPEN_TCP="22 80 443 8000 8080 9200"

# pyscan NAME FILE CODE: doc = the JSON document; host(addr) = its record;
# ports(h, state) = listed ports of a state
pyscan() {
	local name=$1 file=$2 code=$3
	if python3 - "$file" <<PYEOF
import json, sys
doc = json.load(open(sys.argv[1]))
def host(a):
    return [h for h in doc["hosts"] if h["addr"] == a][0]
def ports(h, st, proto="tcp"):
    return sorted(p["port"] for p in h["ports"] if p["state"] == st and p["proto"] == proto)
def reason(h, port, proto="tcp"):
    return [p["reason"] for p in h["ports"] if p["port"] == port and p["proto"] == proto][0]
$code
PYEOF
	then ok "$name"; else bad "$name"; fi
}

# ---- SYN, all ports, IPv4: the exact state of every port ----
SC -p- --json -oX "$TMPD/syn.xml" -oG "$TMPD/syn.gnmap" -oJ "$TMPD/syn.jsonl" 198.19.7.2 >"$TMPD/syn.json" 2>"$TMPD/syn.err"
expect_eq "syn -p- exit" "$?" 0
pyscan "syn -p-: 6 open, 1007 filtered (1000 drop, 5 icmp port-unreach, 2 admin-prohibited), the rest closed" "$TMPD/syn.json" "
h = host('198.19.7.2')
assert h['status'] == 'up', h
assert ports(h, 'open') == [$(echo $OPEN_TCP | tr ' ' ,)], ports(h, 'open')
c = h['counts']
assert c['open'] == 6 and c['filtered'] == 1007 and c['closed'] == 65535 - 6 - 1007, c
f = ports(h, 'filtered')
assert f == list(range(20000, 21000)) + [30001, 30002, 30003, 30004, 30005, 30021, 30022], len(f)
assert all(reason(h, p) == 'port-unreach' for p in range(30001, 30006)), [reason(h, p) for p in range(30001, 30006)]
assert reason(h, 30021) == 'admin-prohibited' and reason(h, 20000) == 'no-response'
assert all(reason(h, p) == 'syn-ack' for p in ports(h, 'open'))
assert doc['stats']['scan_type'] == 'syn' and doc['stats']['invalid_replies'] == 0
# the target is a namespace of this machine: the inside view names the owners
assert h['local'] and h['netns'] == '$T', (h['local'], h['netns'])
own = {p['port']: p['owner'] for p in h['ports'] if p['state'] == 'open'}
assert all(o and o.startswith('webd (pid ') and o.endswith('netns $T)') for o in own.values()), own
"
if command -v xmllint >/dev/null && [ -r /usr/share/nmap/nmap.dtd ]; then
	if xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$TMPD/syn.xml" 2>"$TMPD/xmllint.err"; then
		ok "-oX passes xmllint --dtdvalid nmap.dtd"
	else bad "-oX not DTD-valid: $(head -3 "$TMPD/xmllint.err")"; fi
else echo "skip - xmllint or nmap.dtd not installed"; fi
grep -q $'Ports: 22/open/tcp//ssh///' "$TMPD/syn.gnmap" && grep -q 'Ignored State: closed (64522)' "$TMPD/syn.gnmap" \
	&& ok "-oG grepable lines" || bad "-oG: $(head -c 300 "$TMPD/syn.gnmap")"
python3 -c "
import json,sys
l=[json.loads(x) for x in open('$TMPD/syn.jsonl')]
assert l[0]['addr']=='198.19.7.2' and l[0]['counts']['filtered']==1007 and 'stats' in l[-1]
" && ok "-oJ JSON lines: one host per line, then stats" || bad "-oJ"

# ---- the normal output ----
SC -p 1-100,20000-20100,30001 --reason 198.19.7.2 >"$TMPD/normal.txt" 2>&1
grep -q '^Not shown: 98 closed tcp ports (reset), 101 filtered tcp ports (no-response), 1 filtered tcp ports (port-unreach)$' "$TMPD/normal.txt" \
	&& grep -qE '^22/tcp +open +ssh +syn-ack ttl 64' "$TMPD/normal.txt" \
	&& ok "normal output: Not shown line, REASON column" || bad "normal output: $(cat "$TMPD/normal.txt")"

# ---- -oA, --exclude/--excludefile/-iL, --stats-every ----
printf '198.19.7.2 # the target\n198.19.7.1\n198.18.0.1-3\n' >"$TMPD/targets.txt"
printf '198.18.0.2\n' >"$TMPD/exclude.txt"
SC -p 22,81,20000-20049 -iL "$TMPD/targets.txt" --exclude 198.19.7.1 --excludefile "$TMPD/exclude.txt" --stats-every 1ms \
	-oA "$TMPD/all" --json >"$TMPD/ex.json" 2>"$TMPD/ex.err"
pyscan "-iL with --exclude and --excludefile: exactly the hosts left" "$TMPD/ex.json" "
assert sorted(h['addr'] for h in doc['hosts']) == ['198.18.0.1', '198.18.0.3', '198.19.7.2'], [h['addr'] for h in doc['hosts']]
"
[ -s "$TMPD/all.nmap" ] && grep -q '<nmaprun' "$TMPD/all.xml" && grep -q '^Host: 198.19.7.2' "$TMPD/all.gnmap" \
	&& ok "-oA writes .nmap, .xml and .gnmap" || bad "-oA: $(ls "$TMPD"/all.*)"
grep -qE '^Stats: [0-9:]+ elapsed; syn: [0-9.]+% done' "$TMPD/ex.err" && ok "--stats-every: progress lines on stderr" \
	|| bad "--stats-every: $(head -3 "$TMPD/ex.err")"

# ---- nmap on the same ports, where installed ----
if command -v nmap >/dev/null; then
	PORTS=1-1100,8000,8080,9200,20000-20010,30000-30025
	ip netns exec "$S" nmap -n -Pn -sS -T4 -p "$PORTS" -oX "$TMPD/nmap.xml" 198.19.7.2 >/dev/null 2>&1
	SC -Pn -p "$PORTS" --all -oX "$TMPD/mine.xml" 198.19.7.2 >/dev/null 2>&1
	if python3 - "$TMPD/nmap.xml" "$TMPD/mine.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
def states(f):
    r = ET.parse(f).getroot()
    out = {}
    for h in r.iter("host"):
        for p in h.iter("port"):
            out[int(p.get("portid"))] = p.find("state").get("state")
        for e in h.iter("extraports"):
            out.setdefault("folded", []).append((e.get("state"), int(e.get("count"))))
    return out
n, m = states(sys.argv[1]), states(sys.argv[2])
folded = dict(n.pop("folded", []))
m.pop("folded", None)
for port, st in m.items():
    if port in n:
        assert n[port] == st, (port, n[port], st)
    else:
        assert folded.get(st), (port, st, folded)
cnt = {}
for st in m.values():
    cnt[st] = cnt.get(st, 0) + 1
for st, c in folded.items():
    assert cnt.get(st, 0) - sum(1 for p, s in n.items() if s == st) == c, (st, c)
PYEOF
	then ok "same state as nmap -sS on every one of $PORTS"; else bad "differs from nmap -sS"; fi
	# --top-ports: the same list as nmap's (nmap-services ranking)
	ip netns exec "$S" nmap -n -Pn -sU --top-ports 1000 --max-retries 0 -T5 -oX "$TMPD/nmapu.xml" 127.0.0.1 >/dev/null 2>&1
	ip netns exec "$S" nmap -n -Pn -sS --top-ports 1000 -T5 -oX "$TMPD/nmapt.xml" 127.0.0.1 >/dev/null 2>&1
	SC -sS -sU --top-ports 1000 --udp-budget 1ms -oX "$TMPD/minetop.xml" 127.0.0.1 >/dev/null 2>&1
	python3 - "$TMPD" <<'PYEOF' && ok "--top-ports 1000: the same TCP and UDP port lists as nmap" || bad "--top-ports differs from nmap"
import sys, xml.etree.ElementTree as ET
d = sys.argv[1]
def svc(f, proto):
    return [s.get("services") for s in ET.parse(f).getroot().iter("scaninfo") if s.get("protocol") == proto][0]
assert svc(f"{d}/nmapt.xml", "tcp") == svc(f"{d}/minetop.xml", "tcp")
assert svc(f"{d}/nmapu.xml", "udp") == svc(f"{d}/minetop.xml", "udp")
PYEOF
	if command -v ndiff >/dev/null; then
		rm -f "$TMPD/ndiff.err"; ndiff "$TMPD/nmap.xml" "$TMPD/mine.xml" >"$TMPD/ndiff.out" 2>"$TMPD/ndiff.err"
		rc=$?
		[ $rc -le 1 ] && ! grep -q Traceback "$TMPD/ndiff.err" && grep -q "^+Nmap 0.1.0 scan initiated" "$TMPD/ndiff.out" && ok "ndiff reads portsec's XML (exit $rc)" \
			|| bad "ndiff (exit $rc): $(cat "$TMPD/ndiff.err") $(head -3 "$TMPD/ndiff.out")"
	fi
else echo "skip - nmap not installed"; fi

# ---- connect scan: ICMP-rejected ports are filtered, not closed ----
SC -sT -p 1-100,20000-20009,30001-30005,30011,30021 --json 198.19.7.2 >"$TMPD/ct.json" 2>/dev/null
pyscan "connect: open set, REJECT icmp -> filtered (port-unreach / admin-prohibited), tcp-reset -> closed" "$TMPD/ct.json" "
h = host('198.19.7.2')
assert ports(h, 'open') == [22, 80], ports(h, 'open')
assert sorted(ports(h, 'filtered')) == list(range(20000, 20010)) + [30001, 30002, 30003, 30004, 30005, 30021]
assert reason(h, 30001) == 'port-unreach' and reason(h, 30021) == 'admin-prohibited'
assert h['counts']['closed'] == 98 + 1, h['counts']
assert doc['stats']['scan_type'] == 'connect'
"

# ---- IPv6 ----
SC -p 1-100,8000,20000-20004,30001 --json 2001:db8:7::2 >"$TMPD/v6.json" 2>/dev/null
pyscan "IPv6 SYN: open, filtered (drop, icmp6 port-unreach), closed" "$TMPD/v6.json" "
h = host('2001:db8:7::2')
assert ports(h, 'open') == [22, 80, 8000], ports(h, 'open')
assert ports(h, 'filtered') == [20000, 20001, 20002, 20003, 20004, 30001]
assert reason(h, 30001) == 'port-unreach'
assert h['counts']['closed'] == 98
"
SC -sT -sU -p T:22,80,30001,U:53,161,7 --json 2001:db8:7::2 >"$TMPD/v6c.json" 2>/dev/null
pyscan "IPv6 connect + UDP" "$TMPD/v6c.json" "
h = host('2001:db8:7::2')
assert ports(h, 'open') == [22, 80] and ports(h, 'filtered') == [30001]
assert ports(h, 'open', 'udp') == [53, 161] and ports(h, 'closed', 'udp') == [7], h['ports']
"

# ---- banners (-sV subset) ----
SC -sV -p 22,8000 198.19.7.2 >"$TMPD/sv.txt" 2>&1
grep -qE '^22/tcp +open +ssh +OpenSSH 9.2p1' "$TMPD/sv.txt" && grep -qE '^8000/tcp +open +http +nginx 1.22.1' "$TMPD/sv.txt" \
	&& ok "-sV: OpenSSH 9.2p1 from the greeting, nginx 1.22.1 from a HEAD" || bad "-sV: $(cat "$TMPD/sv.txt")"

# ---- UDP, ICMP limits off: exact at once; DNS answers only a real query ----
SC -sU -p 1-20,53,123,161,40000-40003 --json 198.19.7.2 >"$TMPD/udp.json" 2>/dev/null
pyscan "UDP: payload-answering DNS, echo services open; closed by port-unreach; drop -> open|filtered" "$TMPD/udp.json" "
h = host('198.19.7.2')
assert ports(h, 'open', 'udp') == [53, 123, 161], ports(h, 'open', 'udp')
assert reason(h, 53, 'udp') == 'udp-response'
assert ports(h, 'closed', 'udp') == list(range(1, 21)), ports(h, 'closed', 'udp')
assert ports(h, 'open|filtered', 'udp') == [40000, 40001, 40002, 40003]
assert not doc['stats']['icmp_rate_limited']
"
printf 'x' | ip netns exec "$S" timeout 2 python3 -c "
import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(1); s.sendto(b'hello',('198.19.7.2',53))
try: s.recv(100); print('answered')
except socket.timeout: print('silent')" | grep -q silent && ok "the DNS responder ignores a non-DNS datagram" || bad "DNS responder answered garbage"

# ---- UDP at the kernel's default ICMP limit: detected, paced, still exact ----
icmp_limits on
SC -sU -p 1-15,53,40000-40002 --json 198.19.7.2 >"$TMPD/udpl.json" 2>/dev/null
pyscan "UDP at default ICMP limits: rate limit detected, every port still told apart" "$TMPD/udpl.json" "
h = host('198.19.7.2')
assert ports(h, 'open', 'udp') == [53]
assert ports(h, 'closed', 'udp') == list(range(1, 16)), ports(h, 'closed', 'udp')
assert ports(h, 'open|filtered', 'udp') == [40000, 40001, 40002]
assert doc['stats']['icmp_rate_limited'] is True and doc['stats']['udp_unresolved'] == 0, doc['stats']
"
SC -sU -p 1-40 --udp-budget 1s --all --json 198.19.7.2 >"$TMPD/udpb.json" 2>/dev/null
pyscan "UDP budget: ports the limit kept apart are labelled, not guessed" "$TMPD/udpb.json" "
h = host('198.19.7.2')
lim = [p for p in h['ports'] if p['reason'] == 'icmp-rate-limited']
assert lim and all(p['state'] == 'open|filtered' for p in lim), h['ports'][:3]
assert 'could not be told apart' in h['note'] and doc['stats']['udp_unresolved'] == len(lim)
"
# spend the target's ICMP tokens (as a scan just before would): a small scan
# then gets no port-unreachable in its fast pass, and must still wait for them
# as nmap does
ip netns exec "$S" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(100, 160): s.sendto(b'x', ('198.19.7.2', p))"
SC -sU -p 1-8,53 --json 198.19.7.2 >"$TMPD/udpd.json" 2>/dev/null
pyscan "small UDP scan started with the target's ICMP tokens spent: every closed port found" "$TMPD/udpd.json" "
h = host('198.19.7.2')
assert ports(h, 'open', 'udp') == [53], h['ports']
assert ports(h, 'closed', 'udp') == list(range(1, 9)), ports(h, 'closed', 'udp')
assert doc['stats']['udp_unresolved'] == 0, doc['stats']
"
icmp_limits off

# ---- 10 % of the target's replies lost: retransmit until the state is certain ----
SC -sS -p 1-3000 --json 198.19.7.2 >"$TMPD/clean.json" 2>/dev/null
ip netns exec "$T" nft -f - <<NFT
table inet loss {
	chain out {
		type filter hook output priority 0; policy accept;
		oifname "pst$$" numgen random mod 100 < 10 drop
	}
}
NFT
for r in 1 2 3; do
	SC -sS -p 1-3000 --json 198.19.7.2 >"$TMPD/loss$r.json" 2>/dev/null
	pyscan "10 % reply loss, run $r of 3: the same open ports as without loss, no closed port called filtered" "$TMPD/loss$r.json" "
clean = json.load(open('$TMPD/clean.json'))['hosts'][0]
h = host('198.19.7.2')
assert ports(h, 'open') == ports(clean, 'open'), (ports(h, 'open'), ports(clean, 'open'))
assert ports(h, 'filtered') == [], ports(h, 'filtered')
assert doc['stats']['retransmits'] > 100, doc['stats']
"
done
ip netns exec "$T" nft delete table inet loss

# ---- the /16 sweep: 32768 open, 16384 closed (reset), 16384 down ----
SC -p 80 --max-rate 300000 --json 198.18.0.0/16 >"$TMPD/sweep.json" 2>/dev/null
pyscan "/16 sweep: every open host found, closed and down hosts classified" "$TMPD/sweep.json" "
up = [h for h in doc['hosts'] if h['status'] == 'up']
op = {h['addr'] for h in up if h['counts']['open'] == 1}
cl = {h['addr'] for h in up if h['counts']['closed'] == 1}
assert len(op) == 32768 and all(int(a.split('.')[2]) < 128 for a in op), len(op)
assert len(cl) == 16384 and all(128 <= int(a.split('.')[2]) < 192 for a in cl), len(cl)
assert doc['stats']['down'] == 16384 and doc['stats']['hosts_up'] == 49152, doc['stats']
"

# ---- host discovery only ----
SC -sn 198.19.7.2 198.18.200.1 198.18.1.1 --json >"$TMPD/sn.json" 2>/dev/null
pyscan "-sn: up by echo reply, silent host down" "$TMPD/sn.json" "
assert host('198.19.7.2')['status'] == 'up' and host('198.18.1.1')['status'] == 'up'
assert host('198.18.200.1')['status'] == 'down'
"

# ---- shards split one scan exactly ----
for k in 1 2 3; do SC -p 1-300 --seed 11 --shard $k/3 --all -oJ "$TMPD/sh$k.jsonl" 198.19.7.2 198.19.7.1 >/dev/null 2>&1; done
SC -p 1-300 --seed 11 --all -oJ "$TMPD/shall.jsonl" 198.19.7.2 198.19.7.1 >/dev/null 2>&1
python3 - "$TMPD" <<'PYEOF' && ok "--shard 1/3, 2/3, 3/3: disjoint, together the whole scan, same states" || bad "shards"
import json, sys
def probes(f):
    out = {}
    for l in open(f):
        o = json.loads(l)
        for p in o.get("ports", []):
            out[(o["addr"], p["port"])] = p["state"]
    return out
parts = [probes(f"{sys.argv[1]}/sh{k}.jsonl") for k in (1, 2, 3)]
whole = probes(f"{sys.argv[1]}/shall.jsonl")
keys = [set(p) for p in parts]
assert not (keys[0] & keys[1]) and not (keys[1] & keys[2]) and not (keys[0] & keys[2])
union = {**parts[0], **parts[1], **parts[2]}
assert union == whole and len(whole) == 600, (len(union), len(whole))
assert all(150 <= len(k) <= 450 for k in keys), [len(k) for k in keys]
PYEOF

# ---- a local target names the owner of each open port ----
ip netns exec "$T" "$PORTSEC" scan -p 22,80,8000,1 --json 127.0.0.1 >"$TMPD/own.json" 2>/dev/null
pyscan "local target: open ports name their owner process" "$TMPD/own.json" "
h = host('127.0.0.1')
assert h['local'] and h['reason'] == 'localhost-response'
own = {p['port']: p['owner'] for p in h['ports'] if p['state'] == 'open'}
assert set(own) == {22, 80, 8000} and all(o and o.startswith('webd (pid ') for o in own.values()), own
"

# connect() to every port of our own loopback meets its own source port once
# in a while (a self-connect): that is no listener
ip netns exec "$T" "$PORTSEC" scan -sT -p- --max-rate 1000000 --json 127.0.0.1 >"$TMPD/self.json" 2>/dev/null
pyscan "connect -p- on our own loopback: exactly the listeners open (self-connects are not)" "$TMPD/self.json" "
h = host('127.0.0.1')
assert ports(h, 'open') == [$(echo $OPEN_TCP | tr ' ' ,)], ports(h, 'open')
"

# ---- Ctrl-C: a clean stop that still writes what was found ----
ip netns exec "$S" "$PORTSEC" scan -p 1-65535 --max-rate 2000 --json -oX "$TMPD/int.xml" 198.19.7.2 >"$TMPD/int.json" 2>"$TMPD/int.err" &
ipid=$!
FIXPIDS+=("$ipid")
sleep 1.5
kill -INT "$ipid"
for _ in $(seq 1 50); do kill -0 "$ipid" 2>/dev/null || break; sleep 0.1; done
wait "$ipid"; rc=$?
expect_eq "Ctrl-C: exit 3 (the scan did not finish), not 0" "$rc" 3
pyscan "Ctrl-C: what was found is written, marked interrupted" "$TMPD/int.json" "
h = host('198.19.7.2')
n = sum(h['counts'].values())
assert doc['stats']['interrupted'] and 1000 < n < 65535, (n, doc['stats'])
"
grep -q 'exit="error" errormsg="interrupted' "$TMPD/int.xml" && ok "Ctrl-C: XML says exit=\"error\" with errormsg" || bad "Ctrl-C XML: $(grep -o '<finished[^>]*>' "$TMPD/int.xml")"
if command -v xmllint >/dev/null && [ -r /usr/share/nmap/nmap.dtd ]; then
	xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$TMPD/int.xml" 2>"$TMPD/intx.err" && ok "Ctrl-C: the partial XML is valid against nmap.dtd" || bad "Ctrl-C XML invalid: $(head -3 "$TMPD/intx.err")"
fi
grep -q interrupted "$TMPD/int.err" && grep -q '</nmaprun>' "$TMPD/int.xml" \
	&& ok "Ctrl-C: a complete XML document of the partial scan" || bad "Ctrl-C: $(cat "$TMPD/int.err")"

# ---- --host-timeout: a bound, and the unfinished host says so ----
SC -p 1-65535 --max-rate 5000 --host-timeout 1s --json 198.19.7.2 >"$TMPD/ht.json" 2>/dev/null
pyscan "--host-timeout: stops in time, host marked timed out with the ports not scanned" "$TMPD/ht.json" "
h = host('198.19.7.2')
assert h['timed_out'] and 0 < h['not_scanned'] < 65535 and doc['stats']['elapsed_s'] < 3, (h['not_scanned'], doc['stats']['elapsed_s'])
"

# ---- without CAP_NET_RAW: -sS refused (exit 4), the default falls back to connect, said plainly ----
if command -v setpriv >/dev/null; then
	NOPRIV="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
	ip netns exec "$S" $NOPRIV "$PORTSEC" scan -sS -p 22 198.19.7.2 >/dev/null 2>"$TMPD/np.err"
	expect_eq "unprivileged -sS exit" "$?" 4
	ip netns exec "$S" $NOPRIV "$PORTSEC" scan -p 22,81 --json 198.19.7.2 >"$TMPD/np.json" 2>"$TMPD/np.err"
	grep -q 'connect scan (-sT)' "$TMPD/np.err" && ok "unprivileged: the fallback to connect() is said" || bad "no fallback note: $(cat "$TMPD/np.err")"
	pyscan "unprivileged connect fallback finds the same ports" "$TMPD/np.json" "
h = host('198.19.7.2')
assert ports(h, 'open') == [22] and doc['stats']['scan_type'] == 'connect'
"
else echo "skip - setpriv not installed"; fi

# ---- port names and --top-ports from nmap's own nmap-services, as nmap ----
if [ -r /usr/share/nmap/nmap-services ] && command -v nmap >/dev/null; then
	NP=ssh,http,priv-mail,8080-8082,domain
	ip netns exec "$S" nmap -n -Pn -sT -p "$NP" 198.19.7.2 2>/dev/null | awk '/^[0-9]+\/tcp/{print $1, $3}' >"$TMPD/nm.names"
	SC -Pn -sT -p "$NP" 198.19.7.2 2>/dev/null | awk '/^[0-9]+\/tcp/{print $1, $3}' >"$TMPD/ps.names"
	if [ -s "$TMPD/nm.names" ] && cmp -s "$TMPD/nm.names" "$TMPD/ps.names" && grep -q '^8008/tcp http$' "$TMPD/ps.names"; then
		ok "-p $NP: the ports and names nmap gives ($(tr '\n' ' ' <"$TMPD/ps.names"))"
	else
		bad "names differ from nmap's: nmap [$(tr '\n' ' ' <"$TMPD/nm.names")] portsec [$(tr '\n' ' ' <"$TMPD/ps.names")]"
	fi
	for args in "--top-ports 100" "--top-ports 1000" "--top-ports 100 --exclude-ports http,ssh,1000-2000" "-p 20-30 --exclude-ports 22,25"; do
		# shellcheck disable=SC2086
		a=$(ip netns exec "$S" nmap -n -Pn -sT $args -oX - 198.19.7.2 2>/dev/null | grep -o ' services="[^"]*"')
		# shellcheck disable=SC2086
		b=$(SC -Pn -sT $args -oX - 198.19.7.2 2>/dev/null | grep -o ' services="[^"]*"')
		[ -n "$a" ] && [ "$a" = "$b" ] && ok "$args: the same port set as nmap's" || bad "$args: nmap $a, portsec $b"
	done
	for pat in 'http*' '*'; do # wildcards: every port whose name matches
		a=$(ip netns exec "$S" nmap -n -Pn -sT -p "$pat" -oX - 198.19.7.2 2>/dev/null | grep -o ' services="[^"]*"')
		b=$(SC -Pn -sT -p "$pat" -oX - 198.19.7.2 2>/dev/null | grep -o ' services="[^"]*"')
		[ -n "$a" ] && [ "$a" = "$b" ] && ok "-p '$pat': the same port set as nmap's (${#b} characters)" || bad "-p '$pat': nmap ${a:0:200}, portsec ${b:0:200}"
	done
	# without nmap's file (hidden by a private mount): the built-in table, and said so
	unshare -m --propagation private sh -c "mount -t tmpfs none /usr/share/nmap && exec ip netns exec '$S' '$PORTSEC' scan -Pn -sT -p 8080,24 198.19.7.2" \
		>"$TMPD/nofile.out" 2>"$TMPD/nofile.err"
	rc=$?
	if [ $rc = 0 ] && grep -q 'nmap-services: cannot read it; port names and --top-ports from the built-in table' "$TMPD/nofile.err" &&
		grep -Eq '^8080/tcp +[a-z|]+ +http-alt' "$TMPD/nofile.out"; then
		ok "no nmap-services: said on stderr, names from the built-in table and /etc/services"
	else
		bad "no nmap-services: exit $rc: $(cat "$TMPD/nofile.err") $(grep 8080 "$TMPD/nofile.out")"
	fi
else
	echo "note - nmap-services not tested: nmap is not installed"
fi

# ---- bad input: one line, exit 2 ----
badin() { # args...
	SC "$@" >"$TMPD/b.out" 2>"$TMPD/b.err"
	local rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$TMPD/b.err")" = 1 ] && [ ! -s "$TMPD/b.out" ]; then ok "bad input exit 2: $*"
	else bad "bad input '$*': exit $rc, $(cat "$TMPD/b.err")"; fi
}
badin -p 70000 198.19.7.2
badin -p 5-1 198.19.7.2
badin 198.19.7.300
badin 198.19.7.2/33
badin 10.0.0.0/4
badin 224.0.0.1
badin 255.255.255.255
badin --shard 1/2 198.19.7.2
badin --shard 3/2 --seed 1 198.19.7.2
badin --max-rate 0 198.19.7.2
badin --host-timeout 5x 198.19.7.2
badin -sS -sT 198.19.7.2
badin --top-ports 0 198.19.7.2
badin --bogus 198.19.7.2
badin -p 80
badin -iL /nonexistent 198.19.7.2
badin -p 1-4096 198.18.0.0/16
badin --servicedb /nonexistent 198.19.7.2
badin --servicedb /etc/hostname 198.19.7.2
badin -p no-such-service 198.19.7.2
badin -p 22 --exclude-ports 99999 198.19.7.2
badin -p 22 --exclude-ports 22 198.19.7.2
badin -p 22 198.19.7.2 --exclude-ports
finish
