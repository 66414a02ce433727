#!/usr/bin/env bash
# `portsec hidden` against the real kernel:
#  1. every legitimate one-view case (bound-only with and without SO_REUSEADDR,
#     time-wait, dual-stack and v6-only listeners, a REUSEPORT group, a
#     listener in flight over a unix socket, parent+child holders, owners in
#     another PID namespace) gives zero medium/high findings, exit 0, and the
#     bind sweep ran; -v explains them; unhide-tcp, where installed, calls the
#     bound-only ports hidden;
#  2. a preload library of our own (tests/helpers/hidelib.c) hides a TCP and a
#     UDP port, IPv4 and IPv6, from /proc/net reads and from sock_diag replies:
#     ss under it misses them, portsec under it still finds them and flags the
#     preload;
#  3. the BPFDoor layout: a packet socket with a classic BPF filter and no
#     port, in a process that renamed itself and whose executable (in /dev/shm)
#     was deleted; --allow does not trust a self-chosen name;
#  4. an eBPF socket filter;
#  5. bad input and no privilege.
. "$(dirname "$0")/lib.sh"
need_root
HIDELIB=${HIDELIB:?set HIDELIB to the hidelib preload library}
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0

# eBPF programs and other processes' environments are host-wide: what the
# host itself carries is not a false positive of the namespace under test
sev_summary='
HOSTWIDE = ("ebpf-socket-filter", "ebpf-write-user", "ld-preload", "ld-so-preload")
mp = [f for f in doc["findings"] if f["severity"] in ("medium", "high") and f["kind"] not in HOSTWIDE]
'
# exit_ok NAME JSON RC: exit 1 exactly when the document has a medium/high finding
exit_ok() {
	local want
	want=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(1 if any(f["severity"] in ("medium","high") for f in d["findings"]) else 0)' "$2")
	expect_eq "$1" "$3" "$want"
}

# ---- 0. connection churn on an ordinary server: half-closed, orphaned FIN-WAIT-2
# (time-wait mini-sockets with substate FIN_WAIT2), close-wait children never
# accepted, time-wait, next to dual-stack listeners.  The kernel's own counters
# (sockstat "tw") must match what portsec lists: no medium or high finding. ----
mkns W churn
start_bg "$W" python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 6001)); s.listen(64)   # never accepts
d = socket.socket(socket.AF_INET6); d.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
d.bind(("::", 6002)); d.listen(64)
print("ready", flush=True); time.sleep(120)'
for round in 1 2 3; do
	ip netns exec "$W" bash -c 'for p in 6001 6001 6002 6002; do exec 3<>/dev/tcp/127.0.0.1/$p; exec 3<&-; done; exec 3<>/dev/tcp/::1/6002; exec 3<&-' 2>/dev/null
	# the client ends become time-wait mini-sockets when the server's ACK of
	# their FIN is processed: wait for that (bounded) before looking
	for _ in $(seq 1 40); do
		tw=$(ip netns exec "$W" awk '/^TCP:/ {for (i = 1; i < NF; i++) if ($i == "tw") print $(i + 1)}' /proc/net/sockstat)
		[ "${tw:-0}" -ge 2 ] && break
		sleep 0.05
	done
	ip netns exec "$W" "$PORTSEC" hidden --json >"$TMPD/w.json" 2>/dev/null
	pycheck "churn round $round ($tw time-wait mini-sockets per sockstat): no medium/high finding, counters agree" "$TMPD/w.json" "
bad = [(f['kind'], f['summary']) for f in doc['findings'] if f['severity'] in ('medium', 'high')]
assert not bad, bad
ck = {c['name']: c for c in doc['checks']}
assert ck['counters']['ok'] and ' 0 mismatched' in ck['counters']['detail'], ck['counters']
assert int('$tw') >= 2"
done
ip netns exec "$W" "$PORTSEC" list -ta --json >"$TMPD/wl.json" 2>/dev/null
pycheck "orphaned FIN-WAIT-2 rows are time-wait mini-sockets: owner note time-wait, not orphan" "$TMPD/wl.json" "
fw = [s for s in doc['sockets'] if s['state'] == 'fin-wait-2']
assert fw and all(s['owner_note'] == 'time-wait' for s in fw), [(s['local'], s['owner_note']) for s in fw]"

# ---- 1. legitimate cases: no false alarms ----
mkns L legit
start_fix "$L" tcp-listen:0.0.0.0:8080 tcp-listen:127.0.0.1:8088 tcp6only-listen:[::]:8081 \
	tcp6dual-listen:[::]:8082 tcp-reuseport:0.0.0.0:8083:3 tcp-bound:127.0.0.1:31337 \
	tcp-bound-reuse:0.0.0.0:31339 udp:0.0.0.0:5353 udp:[::1]:5354 udp-connected:127.0.0.1:5355:5356 \
	tcp-pair:127.0.0.1:9000 tcp-timewait:127.0.0.1:9100 tcp-inflight:127.0.0.1:9200 fork
"$PORTSEC" hidden -N "$L" --json >"$TMPD/l.json" 2>"$TMPD/l.err"
exit_ok "legitimate cases: exit 0 (unless the host itself carries eBPF filters or LD_PRELOAD)" "$TMPD/l.json" "$?"
pycheck "legitimate cases: no medium/high finding, every check ok, bind sweep covered every port" "$TMPD/l.json" "$sev_summary
assert not mp, mp
ck = {c['name']: c for c in doc['checks']}
for n in ('views', 'libc-view', 'libc-procs', 'view-agreement', 'fd-sockets', 'counters', 'bind-sweep', 'packet-raw-sockets', 'processes', 'preload', 'ebpf'):
    assert ck[n]['ok'], (n, ck[n])
b = ck['bind-sweep']['detail']
assert b.startswith('131070 ports probed') and ' 0 hidden' in b, b
assert '0 mismatched' in ck['view-agreement']['detail'] and '2 bound-only' in ck['view-agreement']['detail'], ck['view-agreement']
assert all(isinstance(c['ms'], (int, float)) for c in doc['checks'])
assert not [f for f in doc['findings'] if 'hidden' in f['kind']]"
"$PORTSEC" hidden -N "$L" -v --json >"$TMPD/lv.json" 2>/dev/null
pycheck "-v explains: bound-only 31337/31339, v6-only, dual-stack, REUSEPORT, time-wait, in flight" "$TMPD/lv.json" "
info = [f for f in doc['findings'] if f['severity'] == 'info']
s = '\n'.join(f['summary'] for f in info)
assert {f['port'] for f in info if f['kind'] == 'bound-only'} == {31337, 31339}, s
for port, word in ((8081, 'IPv6-only'), (8082, 'dual-stack'), (8083, '3 listeners'), (9100, 'time-wait'), (9200, 'no process holds')):
    assert any(f['kind'] == 'explained-port' and (' %d ' % port) in f['summary'] and word in f['summary'] for f in info), (port, s)"
"$PORTSEC" hidden -N "$L" --no-probe --connect --json >"$TMPD/lc.json" 2>/dev/null
exit_ok "--connect on the legitimate cases: exit status" "$TMPD/lc.json" "$?"
pycheck "--connect: 6 ports accept on 127.0.0.1 (incl. dual-stack and in-flight listeners), 2 on ::1, none hidden" "$TMPD/lc.json" "
c = [x for x in doc['checks'] if x['name'] == 'connect-sweep'][0]
assert c['ok'] and c['detail'].startswith('127.0.0.1: 6 ports accept, ::1: 2;') and ' 0 hidden' in c['detail'], c
assert not [f for f in doc['findings'] if f['kind'] == 'hidden-listener']
$sev_summary
assert not mp, mp"
# the same namespace seen from a child PID namespace: owners out of sight
ip netns exec "$L" unshare --pid --fork --mount-proc "$PORTSEC" hidden --json >"$TMPD/pidns.json" 2>/dev/null
exit_ok "owners in another PID namespace: exit status" "$TMPD/pidns.json" "$?"
pycheck "owners in another PID namespace: not hidden" "$TMPD/pidns.json" "$sev_summary
assert not mp, mp"
if command -v unhide-tcp >/dev/null; then
	ip netns exec "$L" timeout 60 unhide-tcp >"$TMPD/unhide.txt" 2>&1
	if grep -q "31337" "$TMPD/unhide.txt"; then
		ok "unhide-tcp calls the bound-only port 31337 hidden (its false positive; portsec explains it)"
	else
		ok "unhide-tcp ran (output: $(grep -c . "$TMPD/unhide.txt") lines)"
	fi
fi

# ---- 2. a preload rootkit of our own ----
mkns P preload
start_fix "$P" tcp-listen:127.0.0.1:7001 tcp6only-listen:[::]:7002 udp:0.0.0.0:7003 udp:[::]:7004 \
	tcp-listen:127.0.0.1:7005
HIDE=7001,7002,7003,7004
ip netns exec "$P" env LD_PRELOAD="$HIDELIB" HIDE_PORTS=$HIDE ss -tuln >"$TMPD/ss.txt" 2>&1
if ! grep -Eq ':700[1-4]\b' "$TMPD/ss.txt" && grep -q ':7005' "$TMPD/ss.txt"; then
	ok "ss under the preload misses 7001-7004 (sees 7005)"
else
	bad "the test preload does not hide from ss: $(cat "$TMPD/ss.txt")"
fi
if command -v netstat >/dev/null; then
	ip netns exec "$P" env LD_PRELOAD="$HIDELIB" HIDE_PORTS=$HIDE netstat -tuln >"$TMPD/ns.txt" 2>&1
	grep -Eq ':700[1-4]\b' "$TMPD/ns.txt" && bad "netstat sees them?" || ok "netstat under the preload misses 7001-7004"
fi
ip netns exec "$P" env LD_PRELOAD="$HIDELIB" HIDE_PORTS=$HIDE "$PORTSEC" hidden --json >"$TMPD/p.json" 2>"$TMPD/p.err"
rc=$?
expect_eq "preload: exit 1 (findings)" "$rc" 1
[ "$rc" = 1 ] || grep -v '^portsec hidden: warning' "$TMPD/p.err" | head -20
pycheck "preload: portsec finds tcp/udp x v4/v6 hidden from libc, and only those" "$TMPD/p.json" "
h = sorted((f['proto'], f['family'], f['port']) for f in doc['findings'] if f['kind'] == 'hidden-from-libc')
assert h == [('tcp', 'inet', 7001), ('tcp', 'inet6', 7002), ('udp', 'inet', 7003), ('udp', 'inet6', 7004)], h
for f in doc['findings']:
    if f['kind'] == 'hidden-from-libc':
        assert f['severity'] == 'high' and 'libc' in f['views_missing'] and 'sock_diag' in f['views_seen'], f
        assert any('sock_diag' in e for e in f['evidence']) and any('fopen' in e for e in f['evidence']), f['evidence']
        assert f['owners'] and f['owners'][0]['pid'] == $FIX_PID, f['owners']"
pycheck "preload: flagged, portsec itself named; raw views unaffected (no hidden-port, bind sweep ok)" "$TMPD/p.json" "
pl = [f for f in doc['findings'] if f['kind'] == 'ld-preload']
assert len(pl) == 1 and pl[0]['severity'] == 'medium' and '$HIDELIB' in pl[0]['summary'], pl
assert any('portsec itself' in e for e in pl[0]['evidence']), pl[0]['evidence']
assert not [f for f in doc['findings'] if f['kind'] in ('hidden-port', 'view-mismatch')]
assert [c for c in doc['checks'] if c['name'] == 'bind-sweep'][0]['ok']"
# a raw socket (protocol 253, for experiments) hidden the same way: its "port" is the protocol
start_bg "$P" python3 -c '
import socket, time
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)
print("ready", flush=True); time.sleep(120)'
RPID=${FIXPIDS[-1]}
ip netns exec "$P" env LD_PRELOAD="$HIDELIB" HIDE_PORTS=253 "$PORTSEC" hidden --json --no-probe >"$TMPD/pr.json" 2>/dev/null
pycheck "preload hiding a raw socket from /proc/net/raw and raw_diag: found, its owner named" "$TMPD/pr.json" "
h = [f for f in doc['findings'] if f['kind'] == 'hidden-from-libc']
assert len(h) == 1 and h[0]['proto'] == 'raw' and h[0]['severity'] == 'high', h
assert any('/proc/net/raw ' in e for e in h[0]['evidence']), h[0]['evidence']
assert h[0]['owners'] and h[0]['owners'][0]['pid'] == $RPID, h[0]['owners']"
kill "$RPID"; wait "$RPID" 2>/dev/null   # a raw socket is a finding of its own: gone before the clean checks
# the same library hiding a process by name from readdir of /proc (libprocesshider's way)
start_bg "$P" python3 -c '
import ctypes, socket, time
ctypes.CDLL(None).prctl(15, b"hiddend", 0, 0, 0)
s = socket.socket(); s.bind(("0.0.0.0", 7010)); s.listen(8)
print("ready", flush=True); time.sleep(120)'
HPID=${FIXPIDS[-1]}
HPID=$(pgrep -f -n 'prctl\(15, b"hiddend"' || echo "$HPID")
if ip netns exec "$P" env LD_PRELOAD="$HIDELIB" HIDE_COMM=hiddend ps -e -o comm= | grep -qx hiddend; then
	bad "the test preload does not hide the process from ps"
else
	ok "ps under the preload misses the process 'hiddend' (ps without it: $(ps -e -o comm= | grep -cx hiddend))"
fi
ip netns exec "$P" env LD_PRELOAD="$HIDELIB" HIDE_COMM=hiddend "$PORTSEC" hidden --json --no-probe >"$TMPD/pp.json" 2>/dev/null
expect_eq "process hidden by readdir: exit 1" "$?" 1
pycheck "process hidden by readdir: named with its pid, port and the library's shadowing symbols" "$TMPD/pp.json" "
h = [f for f in doc['findings'] if f['kind'] == 'process-hidden-from-libc']
assert len(h) == 1 and h[0]['severity'] == 'high' and h[0]['pid'] == $HPID and 'hiddend' in h[0]['summary'], h
ev = ' | '.join(h[0]['evidence'])
assert 'holds tcp listen 0.0.0.0:7010' in ev, ev
assert '$HIDELIB exports' in ev and 'readdir' in ev and 'fopen' in ev, ev
ck = [c for c in doc['checks'] if c['name'] == 'libc-procs'][0]
assert ck['ok'] and '1 processes' in ck['detail'], ck"
# stat of the owner and readlink of its socket fds hooked instead (ENOENT)
ip netns exec "$P" env LD_PRELOAD="$HIDELIB" HIDE_LINKS_COMM=hiddend "$PORTSEC" hidden --json --no-probe >"$TMPD/pl.json" 2>/dev/null
pycheck "owner hidden from libc's stat and readlink: the process and its socket fd named" "$TMPD/pl.json" "
h = [f for f in doc['findings'] if f['kind'] == 'process-hidden-from-libc']
st = [f for f in h if 'libc\'s stat' in f['summary']]
ln = [f for f in h if 'readlink says' in f['summary']]
assert len(st) == 1 and st[0]['pid'] == $HPID and 'holds tcp listen 0.0.0.0:7010' in ' '.join(st[0]['evidence']), h
assert len(ln) == 1 and ln[0]['pid'] == $HPID and ln[0]['port'] == 7010 and 'No such file' in ln[0]['summary'], h
assert any('exports' in e and 'readlink' in e and 'stat' in e for e in ln[0]['evidence']), ln[0]['evidence']"
"$PORTSEC" hidden -N "$P" --json --no-probe >"$TMPD/pp2.json" 2>/dev/null
pycheck "the same process without the preload: not hidden" "$TMPD/pp2.json" "
assert not [f for f in doc['findings'] if f['kind'] == 'process-hidden-from-libc']"
# ip_local_reserved_ports (set inside our namespace only): skipped unless asked
ip netns exec "$P" sysctl -qw net.ipv4.ip_local_reserved_ports=40000-40009
"$PORTSEC" hidden -N "$P" --json >"$TMPD/r1.json" 2>/dev/null
"$PORTSEC" hidden -N "$P" --json --probe-reserved >"$TMPD/r2.json" 2>/dev/null
python3 - "$TMPD/r1.json" "$TMPD/r2.json" <<'PY' && ok "reserved ports 40000-40009: skipped by default (said), probed with --probe-reserved" || bad "reserved ports"
import json, sys
d = [[c for c in json.load(open(f))['checks'] if c['name'] == 'bind-sweep'][0]['detail'] for f in sys.argv[1:3]]
assert d[0].startswith('131050 ports probed') and '20 skipped (ip_local_reserved_ports)' in d[0], d[0]
assert d[1].startswith('131070 ports probed') and '0 skipped' in d[1], d[1]
PY
"$PORTSEC" hidden -N "$P" --no-probe --json >"$TMPD/p2.json" 2>/dev/null
exit_ok "same namespace without the preload: exit status" "$TMPD/p2.json" "$?"
pycheck "same namespace without the preload: nothing hidden" "$TMPD/p2.json" "$sev_summary
assert not mp, mp"

# ---- 3. the BPFDoor layout ----
mkns B bpfdoor
cp "$SOCKFIX" /dev/shm/ps-$$-kdm
SOCKFIX_SAVED=$SOCKFIX
SOCKFIX=/dev/shm/ps-$$-kdm start_fix "$B" packet-bpf tcp-listen:127.0.0.1:7100 masq:/sbin/udevd
SOCKFIX=$SOCKFIX_SAVED
rm -f /dev/shm/ps-$$-kdm
BPID=$FIX_PID
"$PORTSEC" hidden -N "$B" --no-probe --allow udevd --json >"$TMPD/b.json" 2>/dev/null
expect_eq "BPFDoor layout: exit 1" "$?" 1
pycheck "BPFDoor layout: packet socket + filter (decoded), masquerade, deleted exe; a self-chosen name is not allowed" "$TMPD/b.json" "
k = {f['kind']: f for f in doc['findings']}
p = k['packet-filter']
assert p['severity'] == 'high' and p['pid'] == $BPID, p
assert p['filter'] == ['(000) ldh      [12]', '(001) jeq      #0x1234          jt 2 jf 3', '(002) ret      #262144', '(003) ret      #0'], p['filter']
m = k['masquerade']
assert m['severity'] == 'high' and m['pid'] == $BPID and 'udevd' in m['summary'] and '/dev/shm/ps-' in m['summary'], m
d = k['deleted-exe']
assert d['severity'] == 'high' and d['pid'] == $BPID, d"
# a real capture tool the user allows (matched on the executable, not the name)
mkns C capture
start_fix "$C" packet-bpf
"$PORTSEC" hidden -N "$C" --no-probe --allow "$(basename "$SOCKFIX")" --json >"$TMPD/c.json" 2>/dev/null
exit_ok "allowed capture tool: exit status" "$TMPD/c.json" "$?"
pycheck "allowed capture tool: info only" "$TMPD/c.json" "$sev_summary
assert not mp, mp
p = [f for f in doc['findings'] if f['kind'] == 'packet-filter']
assert not p or p[0]['severity'] == 'info', p"

# ---- 4. eBPF socket filter (invisible per socket; found by program) ----
mkns E ebpf
start_fix "$E" packet-ebpf
"$PORTSEC" hidden -N "$E" --no-probe --allow "$(basename "$SOCKFIX")" --json >"$TMPD/e.json" 2>/dev/null
expect_eq "eBPF socket filter: exit 1" "$?" 1
pycheck "eBPF socket filter: flagged by name" "$TMPD/e.json" "
e = [f for f in doc['findings'] if f['kind'] == 'ebpf-socket-filter' and 'psfix_filter' in f['summary']]
assert e and all(x['severity'] == 'medium' for x in e), doc['findings']"

# ---- 5. bad input, no privilege ----
for args in "--bogus" "-N" "--threads 0" "--threads x" "--allow=" "extra" "-N no-such-ns-$$"; do
	# shellcheck disable=SC2086
	"$PORTSEC" hidden $args >/dev/null 2>"$TMPD/err"
	rc=$?
	lines=$(wc -l <"$TMPD/err")
	[ "$rc" = 2 ] && [ "$lines" = 1 ] && ok "hidden $args: exit 2, one line" || bad "hidden $args: exit $rc, $lines lines: $(cat "$TMPD/err")"
done
if command -v setpriv >/dev/null; then
	ip netns exec "$L" setpriv --reuid 65534 --regid 65534 --clear-groups "$PORTSEC" hidden --json >"$TMPD/u.json" 2>"$TMPD/u.err"
	rc=$?
	# checks that could not run make the all-clear incomplete: exit 4, never 0
	expect_eq "unprivileged: incomplete, exit 4 (not a silent all-clear)" "$rc" 4
	pycheck "unprivileged: the skipped parts are said, not hidden" "$TMPD/u.json" "
ck = {c['name']: c for c in doc['checks']}
assert not ck['bind-sweep']['ok'] and 'CAP_NET_BIND_SERVICE' in ck['bind-sweep']['detail'], ck['bind-sweep']
assert not ck['ebpf']['ok'], ck['ebpf']
assert doc['complete'] is False and not ck['ebpf']['complete'], doc.get('complete')
assert not [f for f in doc['findings'] if 'hidden' in f['kind'] and f['severity'] in ('medium', 'high')], doc['findings']"
	ip netns exec "$L" setpriv --reuid 65534 --regid 65534 --clear-groups "$PORTSEC" hidden --no-probe >"$TMPD/u.txt" 2>/dev/null
	head -1 "$TMPD/u.txt" | grep -q "^INCOMPLETE: could not be checked: .*ebpf" && ok "unprivileged: the first line says what could not be checked" || bad "unprivileged first line: $(head -1 "$TMPD/u.txt")"
fi
finish
