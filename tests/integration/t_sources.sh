#!/usr/bin/env bash
# The second, independent view (/proc/net) agrees with sock_diag; raw and
# packet sockets with their filter; no source is used silently.
. "$(dirname "$0")/lib.sh"
need_root
mkns S sources
start_fix "$S" tcp-listen:0.0.0.0:2222 tcp6only-listen:[::1]:2223 udp:0.0.0.0:5000 tcp-pair:127.0.0.1:7777 \
	raw-icmp packet-bpf
P=$FIX_PID
in_ns() { ip netns exec "$S" "$PORTSEC" "$@"; }
in_ns list -tu -a --json --source sockdiag >"$TMPD/d.json"
in_ns list -tu -a --json --source procfs >"$TMPD/p.json"
python3 - "$TMPD/d.json" "$TMPD/p.json" <<'PY' && ok "procfs and sock_diag list the same sockets (inode, state, ports)" || bad "views differ"
import json, sys
def key(d):
    return sorted((s['inode'], s['proto'], s['state'], s['local']['addr'], s['local']['port'], s['remote']['port'])
                  for s in d['sockets'] if s['state'] != 'bound-inactive')
d, p = (json.load(open(f)) for f in sys.argv[1:3])
assert key(d) == key(p), (key(d), key(p))
assert all(s['sources'] == ['procfs', 'fd_walk'] for s in p['sockets']), p['sockets'][0]['sources']
assert any(x['name'] == '/proc/net/tcp6' and x['ok'] for x in p['sources'])
PY
in_ns list -tu -a --json --source both >"$TMPD/b.json"
pycheck "--source both: every row seen by both views" "$TMPD/b.json" "
assert doc['sockets'] and all({'sock_diag','procfs'} <= set(s['sources']) for s in doc['sockets']), [s['sources'] for s in doc['sockets']]" 
in_ns list -w0 -a -p --json >"$TMPD/rp.json" 2>"$TMPD/rp.err"
pycheck "raw ICMP socket listed with its owner" "$TMPD/rp.json" "
r = rows(proto='raw')
assert len(r) == 1 and r[0]['ip_protocol'] == 1 and r[0]['owners'][0]['pid'] == $P, r"
pycheck "packet socket: ethertype ip, classic filter of 4 instructions" "$TMPD/rp.json" "
r = rows(proto='packet')
assert len(r) == 1, r
pk = r[0]['packet']
assert pk['type'] == 'raw' and pk['ethertype'] == 'ip', pk
assert pk['filter'] == [[0x28,0,0,12],[0x15,0,1,0x1234],[6,0,0,0x40000],[6,0,0,0]], pk['filter']
assert r[0]['owners'][0]['pid'] == $P"
pycheck "raw source said openly (sock_diag raw or /proc/net/raw)" "$TMPD/rp.json" "
ok = [x for x in doc['sources'] if x['ok'] and ('raw' in x['name'])]
assert ok, doc['sources']
if not any(x['name'].startswith('sock_diag raw') and x['ok'] for x in doc['sources']):
    assert any(x['name'] == '/proc/net/raw' and 'raw_diag' in (x['detail'] or '') for x in ok)"
in_ns list -w -a >/dev/null 2>"$TMPD/w.err"
if grep -q "sock_diag raw" "$TMPD/rp.json" && ! python3 -c "import json;d=json.load(open('$TMPD/rp.json'));exit(0 if any(x['name']=='sock_diag raw' and x['ok'] for x in d['sources']) else 1)"; then
	grep -q "note: /proc/net/raw" "$TMPD/w.err" && ok "table mode notes the /proc/net/raw source on stderr" || bad "no note: $(cat "$TMPD/w.err")"
fi
in_ns list -0 -p >"$TMPD/p.txt"
grep -q "eth:ip +bpf(4)" "$TMPD/p.txt" && ok "table marks the filtered packet socket" || bad "$(cat "$TMPD/p.txt")"
finish
