#!/usr/bin/env bash
# The host report and `info` against listeners of known exposure, owner and
# service, with per-namespace sysctls set inside the test's namespace.
. "$(dirname "$0")/lib.sh"
need_root
mkns R report
ip netns exec "$R" sysctl -q -w net.ipv4.ip_local_port_range="40000 50000"
ip netns exec "$R" sysctl -q -w net.ipv4.ip_unprivileged_port_start=0
start_fix "$R" tcp-listen:0.0.0.0:6379 tcp-listen:127.0.0.1:631 tcp6dual-listen:[::]:22 \
	tcp-listen:127.0.0.1:8000 udp:0.0.0.0:123
P=$FIX_PID
in_ns() { ip netns exec "$R" "$PORTSEC" "$@"; }

in_ns --current-netns --json >"$TMPD/r.json"
expect_eq "report exits 1 (redis on all interfaces is a medium finding)" "$?" 1
pycheck "listeners grouped by exposure with owners" "$TMPD/r.json" "
L = {(l['proto'], l['port']): l for l in doc['listeners']}
assert L[('tcp',6379)]['exposure'] == 'any' and L[('tcp',6379)]['service'] == 'redis'
assert L[('tcp',631)]['exposure'] == 'loopback'
assert L[('tcp',22)]['exposure'] == 'any' and L[('tcp',22)]['addresses'] == ['::']
assert L[('udp',123)]['service'] == 'ntp'
assert all(l['owners'][0]['pid'] == $P and l['owners'][0]['comm'] == 'sockfix' for l in doc['listeners'])
f = [x for x in doc['findings'] if x['port'] == 6379]
assert f and f[0]['severity'] == 'medium', doc['findings']
assert not [x for x in doc['findings'] if x['port'] in (22, 631, 8000)], doc['findings']"
in_ns --current-netns --no-color >"$TMPD/r.txt"
python3 - "$TMPD/r.txt" <<PY && ok "text report: sections in order, owners in plain words" || bad "text report: $(cat "$TMPD/r.txt")"
import sys
t = open(sys.argv[1]).read()
a, s, l = t.index('Listening on all interfaces'), t.index('Listening on specific'), t.index('Listening on loopback only')
assert a < t.index('6379/tcp') < s < l < t.index('631/tcp'), t
assert 'sockfix (pid $P, root)' in t and 'Warnings' in t and '\x1b[' not in t
PY
grep -q "6379/tcp (redis) listens on all interfaces" "$TMPD/r.txt" && ok "warning in plain words" || bad "warning text: $(cat "$TMPD/r.txt")"

mkns Q quiet
start_fix "$Q" tcp-listen:127.0.0.1:5432
ip netns exec "$Q" "$PORTSEC" --current-netns >/dev/null
expect_eq "report exits 0 with only a loopback database" "$?" 0

in_ns info 6379 --current-netns --json >"$TMPD/i.json"
expect_eq "info exits 0" "$?" 0
pycheck "info 6379: service, sysctls of this namespace, holder" "$TMPD/i.json" "
p = [x for x in doc['ports'] if x['proto'] == 'tcp'][0]
assert p['service']['name'] == 'redis' and p['service']['range'] == 'registered'
assert p['linux']['ephemeral_range'] == [40000, 50000] and not p['linux']['in_ephemeral_range']
assert p['linux']['unprivileged_port_start'] == 0 and not p['linux']['privileged']
assert [o['pid'] for o in p['sockets'][0]['owners']] == [$P]
assert p['counts']['listeners'] == 1
u = [x for x in doc['ports'] if x['proto'] == 'udp'][0]
assert u['counts']['listeners'] == 0 and u['sockets'] == []"
in_ns info 45000/tcp --current-netns --json >"$TMPD/e.json"
pycheck "info 45000: inside this namespace's ephemeral range, dynamic? no: registered" "$TMPD/e.json" "
p = doc['ports'][0]
assert p['linux']['in_ephemeral_range'] and p['service']['range'] == 'registered' and len(doc['ports']) == 1"
expect_eq "info ssh == info 22/tcp" "$(in_ns info ssh --current-netns | head -1)" "$(in_ns info 22/tcp --current-netns | head -1)"
in_ns info ssh --current-netns >"$TMPD/ssh.txt"
grep -q "listen \[::\]:22 (all interfaces, IPv4 and IPv6)" "$TMPD/ssh.txt" && ok "info ssh names the dual-stack listener" || bad "info ssh: $(cat "$TMPD/ssh.txt")"
grep -q "any user may bind it here" "$TMPD/ssh.txt" && ok "info reads this namespace's ip_unprivileged_port_start" || bad "unprivileged start: $(cat "$TMPD/ssh.txt")"
expect_eq "info dns -> 53/tcp and 53/udp" "$(in_ns info dns --current-netns --json | python3 -c 'import json,sys; print(sorted((p["port"],p["proto"]) for p in json.load(sys.stdin)["ports"]))')" "[(53, 'tcp'), (53, 'udp')]"
# repeated filter words are ANDed, never replace each other
rows() { in_ns list -tl -H "$@" | wc -l; }
expect_eq "list port 6379: one row" "$(rows port 6379)" 1
expect_eq "list port 6379 port 631: both must hold, so none" "$(rows port 6379 port 631)" 0
expect_eq "list port 1-10000 port 600-700: only 631" "$(in_ns list -tl -H port 1-10000 port 600-700 | awk '{print $5}')" "127.0.0.1:631"
expect_eq "list scope loopback scope any: none" "$(rows scope loopback scope any)" 0
expect_eq "list state listen state established (either, as ss)" "$(in_ns list -t -H state listen state established | wc -l)" "$(in_ns list -ta -H | grep -cE '^tcp +(listen|estab)')"
# portsec in a child PID namespace (its own /proc): owners outside it are
# "not visible (other PID namespace)", never "no owner"
if command -v unshare >/dev/null; then
	ip netns exec "$R" unshare --pid --fork --mount-proc "$PORTSEC" list -tl --json >"$TMPD/pidns.json" 2>/dev/null
	pycheck "child PID namespace: the owner note says other-pid-namespace" "$TMPD/pidns.json" "
r = [s for s in doc['sockets'] if s['local']['port'] == 6379]
assert r and r[0]['owners'] == [] and r[0]['owner_note'] == 'other-pid-namespace', r"
	ip netns exec "$R" unshare --pid --fork --mount-proc "$PORTSEC" --current-netns --no-color >"$TMPD/pidns.txt" 2>/dev/null
	grep -q "6379/tcp .*owner not visible (other PID namespace)" "$TMPD/pidns.txt" && ok "child PID namespace: the report says so in words" || bad "child PID ns report: $(grep 6379 "$TMPD/pidns.txt")"
fi
# hostile process names: control bytes never reach the terminal (ps shows '?')
mkns E escape
start_fix "$E" tcp-listen:0.0.0.0:6380 "masq:$(printf 'x\033[2Jevil')"
for args in "list -tlp" "--current-netns --no-color" "info 6380 --current-netns --no-color" "hidden --no-probe --no-color"; do
	# shellcheck disable=SC2086
	ip netns exec "$E" "$PORTSEC" $args >"$TMPD/esc.txt" 2>&1
	if grep -q $'\033' "$TMPD/esc.txt"; then bad "$args: an ESC byte from a process name reached the output"
	elif grep -qF 'x?[2Jevil' "$TMPD/esc.txt"; then ok "$args: the name's control byte shown as '?'"
	else bad "$args: the masqueraded name is missing: $(head -5 "$TMPD/esc.txt")"; fi
done
ip netns exec "$E" "$PORTSEC" list -tl --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(o["comm"].startswith("x\x1b[2J") for s in d["sockets"] for o in s["owners"]), d' \
	&& ok "JSON keeps the real name (escaped by JSON)" || bad "JSON lost the name"
finish
