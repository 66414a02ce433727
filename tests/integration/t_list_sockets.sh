#!/usr/bin/env bash
# portsec list against known sockets in a throwaway namespace: dual-stack and
# IPv6-only listeners, an SO_REUSEPORT group, connected and unconnected UDP,
# a bound-but-inactive TCP socket, a connected pair, all held by a parent and
# its child; row by row, and side by side with ss.
. "$(dirname "$0")/lib.sh"
need_root
mkns A list
start_fix "$A" tcp6dual-listen:[::]:8080 tcp6only-listen:[::]:8081 tcp-listen:0.0.0.0:8081 \
	tcp-reuseport:127.0.0.1:9000:3 udp:0.0.0.0:5353 udp-connected:127.0.0.1:40001:40002 \
	tcp-bound:127.0.0.1:31337 tcp-pair:127.0.0.1:7000 fork
P=$FIX_PID C=$FIX_CHILD
INO=$(stat -L -c %i /run/netns/"$A")
in_ns() { ip netns exec "$A" "$PORTSEC" "$@"; }

in_ns list -tuap --json >"$TMPD/all.json"
expect_eq "list --json exits 0" "$?" 0
pycheck "exact socket set (proto, state, local address, port)" "$TMPD/all.json" "
got = sorted((s['proto'], s['state'], s['local']['addr'], s['local']['port']) for s in doc['sockets']
             if not (s['state'] == 'established' and s['local']['port'] != 7000 and s['remote']['port'] != 7000))
want = sorted([('tcp','listen','::',8080), ('tcp','listen','::',8081), ('tcp','listen','0.0.0.0',8081)]
       + [('tcp','listen','127.0.0.1',9000)]*3 + [('tcp','listen','127.0.0.1',7000),
       ('tcp','bound-inactive','127.0.0.1',31337), ('udp','unconnected','0.0.0.0',5353),
       ('udp','connected','127.0.0.1',40001)]
       + [('tcp','established','127.0.0.1',7000)]
       + [(s['proto'], s['state'], s['local']['addr'], s['local']['port']) for s in doc['sockets']
          if s['state']=='established' and s['remote']['port']==7000])
assert got == want, (got, want)
assert len(doc['sockets']) == 12, len(doc['sockets'])"
pycheck "v6only: dual-stack false, v6-only true" "$TMPD/all.json" "
assert [s['v6only'] for s in rows(local={'addr':'::','port':8080})] == [False]
assert [s['v6only'] for s in rows(local={'addr':'::','port':8081})] == [True]"
pycheck "every socket held by parent $P and child $C, same fd" "$TMPD/all.json" "
for s in doc['sockets']:
    pids = [o['pid'] for o in s['owners']]
    assert pids == [$P, $C], (s['local'], pids)
    assert s['owners'][0]['fd'] == s['owners'][1]['fd']
    assert s['owners'][0]['comm'] == 'sockfix' and s['owners'][0]['exe'].endswith('/sockfix')
    assert s['owners'][0]['user'] == 'root' and 'sockfix' in s['owners'][0]['cmdline']
    assert s['owner_note'] is None"
pycheck "netns inode and name on every row" "$TMPD/all.json" "
assert all(s['netns'] == {'inode': $INO, 'name': '$A'} for s in doc['sockets'])"
pycheck "service, range and scope" "$TMPD/all.json" "
s = rows(local={'addr':'0.0.0.0','port':5353})[0]
assert s['service'] == {'name':'mdns','range':'registered'}, s['service']
assert s['scope'] == 'any'
assert rows(local={'addr':'127.0.0.1','port':31337})[0]['scope'] == 'loopback'"
pycheck "sources named" "$TMPD/all.json" "
names = [x['name'] for x in doc['sources'] if x['ok']]
assert 'sock_diag tcp' in names and 'sock_diag udp6' in names and 'proc fd walk' in names, names"

# the table, as users type it
in_ns list -tlnp >"$TMPD/tl.txt"
expect_eq "-tlnp rows (7 listeners)" "$(tail -n +2 "$TMPD/tl.txt" | wc -l)" 7
expect_eq "-tlnp rows naming parent and child" "$(grep -c "pid=$P,.*pid=$C," "$TMPD/tl.txt")" 7
in_ns list -tanp >"$TMPD/ta.txt"
expect_eq "-tanp rows (7 listen + 2 established + 1 bound-inactive)" "$(tail -n +2 "$TMPD/ta.txt" | wc -l)" 10
in_ns list -ulnp >"$TMPD/ul.txt"
expect_eq "-ulnp: unconnected UDP only" "$(tail -n +2 "$TMPD/ul.txt" | awk '{print $5}')" "0.0.0.0:5353"
in_ns list -unp >"$TMPD/uc.txt"
expect_eq "-unp (default: connected only)" "$(tail -n +2 "$TMPD/uc.txt" | awk '{print $5}')" "127.0.0.1:40001"

# filters
expect_eq "sport = :9000 (ss syntax)" "$(in_ns list -tl -H sport = :9000 | wc -l)" 3
expect_eq "state bound-inactive" "$(in_ns list -t -H state bound-inactive | awk '{print $5}')" "127.0.0.1:31337"
expect_eq "scope loopback" "$(in_ns list -tl -H scope loopback | wc -l)" 4
expect_eq "proc sockfix" "$(in_ns list -tl -H proc sockfix | wc -l)" 7
expect_eq "pid (child)" "$(in_ns list -tua -H pid "$C" | wc -l)" 12
expect_eq "-6 listeners" "$(in_ns list -tl -6 -H | wc -l)" 2
expect_eq "port 7000 (both ends of the pair and the listener)" "$(in_ns list -ta -H port 7000 | wc -l)" 3
expect_eq "--jsonl: one object per socket" "$(in_ns list -tua --jsonl | wc -l)" 12

# side by side with ss: the same TCP sockets (ss has no bound-inactive here)
if command -v ss >/dev/null; then
	norm_ss() { ip netns exec "$A" ss -tanH | awk '{s=tolower($1); if (s=="estab") s="established"; n=split($4,a,":"); print s, a[n]}' | sort; }
	norm_ps() { in_ns list -ta -H | awk '$2 != "bound-inactive" {n=split($5,a,":"); print $2, a[n]}' | sort; }
	if diff <(norm_ss) <(norm_ps) >"$TMPD/ssdiff"; then ok "same TCP sockets as ss -tan"; else bad "differs from ss: $(cat "$TMPD/ssdiff")"; fi
	expect_eq "ss -tan misses the bound-inactive socket portsec lists" "$(ip netns exec "$A" ss -tanH | grep -c 31337)" 0
fi
finish
