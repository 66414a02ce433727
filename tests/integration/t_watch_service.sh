#!/usr/bin/env bash
# t_watch_service.sh - `portsec watch` as a service and in a fleet, against
# the real things: a real Prometheus scrapes --metrics-listen (promtool checks
# the exposition, the API returns the listener gauges, the shipped alert rule
# fires on a policy violation); a real systemd-journald (private mount
# namespace) receives --journal's PORTSEC_* fields and --syslog's lines;
# sd_notify READY/STOPPING reach NOTIFY_SOCKET; watch run inside a child
# namespace names the listeners of the host's and of other namespaces; a
# ruleset change names the listeners whose verdict it moved; the shipped unit's
# capability set is enough (eBPF, owners, every namespace) and its
# `systemd-analyze security` exposure is measured.  Traffic: loopback only,
# inside namespaces this test makes.
. "$(dirname "$0")/lib.sh"
need_root
SRCDIR=${SRCDIR:?}
BUILDDIR=${BUILDDIR:-}

mkns W wsvc
mkns X wsvcx

pyrun() {
	if python3 -c "import json, urllib.request, urllib.parse
$2"; then ok "$1"; else bad "$1"; fi
}

# wait_for FILE PATTERN: 5 s bound
wait_for() {
	for _ in $(seq 1 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# ---- Prometheus scrapes watch; gauges, counters, the alert rule ----
POL=$TMPD/policy
printf 'allow tcp/7401\nallow udp/7402\ndeny tcp/7404\ndeny tcp/7504\ndefault allow\n' >"$POL"
ip netns exec "$W" "$PORTSEC" watch --json --policy "$POL" --metrics-listen 127.0.0.1:9469 --duration 120s \
	>"$TMPD/m" 2>"$TMPD/m.err" &
WPID=$!
FIXPIDS+=("$WPID")
wait_for "$TMPD/m.err" source || bad "watch did not start: $(head -c 300 "$TMPD/m.err")"
# a listener in the host namespace (loopback, nothing connects) and one in X:
# watch runs in the child namespace W and must name both
python3 -c '
import socket, time, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print("ready", s.getsockname()[1], flush=True); time.sleep(20)' >"$TMPD/hostl" &
FIXPIDS+=("$!")
start_bg "$X" python3 -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 7405)); s.listen(1)
print("ready", flush=True); time.sleep(60)'
start_bg "$W" python3 -c '
import socket, time
t = socket.socket(); t.bind(("0.0.0.0", 7401)); t.listen(4)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 7402))
print("ready", flush=True); time.sleep(60)'
wait_for "$TMPD/hostl" ready
HOSTPORT=$(awk '/^ready/{print $2}' "$TMPD/hostl")
sleep 0.5

ip netns exec "$W" python3 -c "
import urllib.request
open('$TMPD/scrape', 'wb').write(urllib.request.urlopen('http://127.0.0.1:9469/metrics', timeout=5).read())
for path, method, want in (('/', 'GET', 404), ('/metrics', 'POST', 405)):
    try:
        urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:9469' + path, method=method, data=b'x' if method == 'POST' else None), timeout=5)
        raise SystemExit(path + ': answered 200')
    except urllib.error.HTTPError as e:
        assert e.code == want, (path, e.code)
" && ok "/metrics answers; / is 404, POST is 405" || bad "/metrics did not answer as it should"
if promtool check metrics <"$TMPD/scrape" >"$TMPD/promtool.out" 2>&1; then
	ok "promtool check metrics: the exposition passes"
else
	bad "promtool check metrics: $(head -5 "$TMPD/promtool.out")"
fi
pyrun "the scrape: the W listeners by scope and verdict, source info, events" "
m = {}
for l in open('$TMPD/scrape'):
    if not l.startswith('#'):
        k, v = l.rsplit(' ', 1); m[k] = float(v)
assert m['portsec_listeners{proto=\"tcp\",scope=\"any\",verdict=\"no-firewall\"}'] == 1, [k for k in m if 'no-firewall' in k and m[k]]
assert m['portsec_listeners{proto=\"udp\",scope=\"loopback\",verdict=\"local\"}'] >= 1
assert m['portsec_events_total{action=\"listen\"}'] >= 3, m
assert m['portsec_policy_violations_total{check=\"policy-denied\"}'] == 0, m
assert any(k.startswith('portsec_source_info{source=\"') for k in m), m
assert m['portsec_event_lag_seconds_bucket{le=\"+Inf\"}'] == m['portsec_event_lag_seconds_count']
"

mkdir -p "$TMPD/prom"
cp "$SRCDIR/dist/prometheus/portsec-alerts.yml" "$TMPD/prom/"
sed -e 's/scrape_interval: 15s/scrape_interval: 1s/' -e 's/evaluation_interval: 15s/evaluation_interval: 1s/' \
	"$SRCDIR/dist/prometheus/prometheus.yml" >"$TMPD/prom/prometheus.yml"
if promtool check config "$TMPD/prom/prometheus.yml" >"$TMPD/pc.out" 2>&1; then
	ok "promtool check config: the shipped scrape config and alert rules"
else
	bad "promtool check config: $(tail -3 "$TMPD/pc.out")"
fi
ip netns exec "$W" prometheus --config.file="$TMPD/prom/prometheus.yml" --storage.tsdb.path="$TMPD/prom/data" \
	--web.listen-address=127.0.0.1:9090 >"$TMPD/prom.log" 2>&1 &
PPID_=$!
FIXPIDS+=("$PPID_")
# promql Q -> the API's JSON result (bounded)
promql() {
	ip netns exec "$W" python3 -c "
import json, sys, urllib.request, urllib.parse
q = urllib.parse.urlencode({'query': sys.argv[1]})
print(json.dumps(json.load(urllib.request.urlopen('http://127.0.0.1:9090/api/v1/query?' + q, timeout=3))['data']['result']))" "$1" 2>/dev/null
}
# the value of a one-series query, or empty
promval() { promql "$1" | python3 -c "import json,sys; r=json.load(sys.stdin); print(r[0]['value'][1] if r else '')" 2>/dev/null; }
# prom_expect WHAT QUERY WANT: polls (30 s bound) until Prometheus returns WANT
prom_expect() {
	local got=
	for _ in $(seq 1 60); do
		got=$(promval "$2")
		[ "$got" = "$3" ] && break
		sleep 0.5
	done
	expect_eq "$1" "$got" "$3"
}
prom_expect "Prometheus scraped watch: portsec_listeners{tcp,any,no-firewall} through its HTTP API" 'portsec_listeners{proto="tcp",scope="any",verdict="no-firewall"}' 1
# now a listener the policy denies: the counter Prometheus has seen at 0 rises
start_bg "$W" python3 -c '
import socket, time
d = socket.socket(); d.bind(("0.0.0.0", 7404)); d.listen(4)
print("ready", flush=True); time.sleep(60)'
prom_expect "Prometheus: portsec_policy_violations_total{check=policy-denied} after a denied listener" 'portsec_policy_violations_total{check="policy-denied"}' 1

# a ruleset change blocks 7401: the event names it, the gauge moves, Prometheus sees it
ip netns exec "$W" nft -f - <<'EOF'
table inet wsvc {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 7401 drop
	}
}
EOF
prom_expect "after an nft drop of 7401: Prometheus reads portsec_listeners{tcp,any,blocked}" 'portsec_listeners{proto="tcp",scope="any",verdict="blocked"}' 1
# the shipped alert rule fires on the policy-denied listener (7404)
alert=
for _ in $(seq 1 60); do
	alert=$(ip netns exec "$W" python3 -c "
import json, urllib.request
a = json.load(urllib.request.urlopen('http://127.0.0.1:9090/api/v1/alerts', timeout=3))['data']['alerts']
print(' '.join(x['labels']['alertname'] + '/' + x['labels'].get('check', '') + '/' + x['state'] for x in a))" 2>/dev/null)
	case $alert in *PortsecPolicyViolation/policy-denied/firing*) break ;; esac
	sleep 0.5
done
case $alert in
*PortsecPolicyViolation/policy-denied/firing*) ok "the shipped alert rule fires in a real Prometheus: $alert" ;;
*) bad "PortsecPolicyViolation did not fire: '$alert' ($(tail -3 "$TMPD/prom.log"))" ;;
esac
kill -TERM "$PPID_"; wait "$PPID_" 2>/dev/null
kill -TERM "$WPID"; wait "$WPID"; rc=$?
expect_eq "watch with --metrics-listen: SIGTERM exits 0" "$rc" 0
grep -q '/metrics was scraped [1-9]' "$TMPD/m.err" && ok "watch counts its scrapes: $(grep scraped "$TMPD/m.err")" ||
	bad "no scrape count: $(tail -2 "$TMPD/m.err")"
pyrun "the firewall event names the listener whose verdict moved; watch in a child namespace names host's and X's listeners" "
ev = [json.loads(l) for l in open('$TMPD/m')]
fw = [e for e in ev if e['event']['action'] == 'firewall-change']
assert fw, [e['event']['action'] for e in ev]
ch = [c for e in fw for c in e['portsec']['changes']]
assert {'transport': 'tcp', 'ip': '0.0.0.0', 'port': 7401, 'from': 'no-firewall', 'to': 'blocked'} in ch, ch
assert all(e['portsec']['verdicts_changed'] >= len(e['portsec']['changes']) for e in fw)
assert fw[-1]['process']['name'] == 'nft', fw[-1]
ns = {e['source']['port']: e['portsec']['netns']['name'] for e in ev if e['event']['action'] == 'listen'}
assert ns.get(7405) == '$X', ns
assert ns.get($HOSTPORT) == 'host', ns
assert ns.get(7401) == '$W', ns
"

# ---- journald and syslog: a real systemd-journald in a private mount namespace ----
# (its sockets on a tmpfs /run/systemd, /dev/log on a tmpfs /dev: nothing of the host changes)
JD=/lib/systemd/systemd-journald
if [ -x "$JD" ] && command -v journalctl >/dev/null; then
	cat >"$TMPD/jd.sh" <<EOF
set -u
mount -t tmpfs tmpfs /run/systemd && mount -t tmpfs tmpfs /run/log || exit 10
mkdir -p /run/systemd/journal /run/log/journal
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || true  # journald needs a cgroup fs
mkdir -p "$TMPD/realdev" && mount --rbind /dev "$TMPD/realdev" && mount -t tmpfs tmpfs /dev || exit 11
for n in null zero full random urandom; do touch /dev/\$n && mount --bind "$TMPD/realdev/\$n" /dev/\$n; done
ln -s /run/systemd/journal/dev-log /dev/log
$JD 2>"$TMPD/jd.err" &
J=\$!
trap 'kill \$J 2>/dev/null; wait \$J 2>/dev/null' EXIT
for i in \$(seq 1 100); do [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/dev-log ] && break; sleep 0.05; done
"$PORTSEC" watch --journal --syslog --quiet --policy "$POL" --duration 3s >"$TMPD/j.out" 2>"$TMPD/j.err" &
P=\$!
for i in \$(seq 1 100); do grep -q source "$TMPD/j.err" 2>/dev/null && break; sleep 0.05; done
python3 -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 7501)); s.listen(1)
d = socket.socket(); d.bind(("0.0.0.0", 7504)); d.listen(1)
time.sleep(0.6)'
wait \$P; echo "watch rc=\$?" >"$TMPD/j.rc"
sleep 0.3
journalctl -D /run/log/journal -o json --no-pager SYSLOG_IDENTIFIER=portsec >"$TMPD/j.json"
EOF
	ip netns exec "$W" unshare -m --propagation private bash "$TMPD/jd.sh"
	expect_eq "watch --journal --syslog --quiet: exit 0" "$(cat "$TMPD/j.rc" 2>/dev/null)" "watch rc=0"
	[ -s "$TMPD/j.out" ] && bad "--quiet still wrote to stdout: $(head -2 "$TMPD/j.out")" || ok "--quiet: nothing on stdout"
	pyrun "journald holds the events with PORTSEC_* fields, OBJECT_PID (journald's own OBJECT_EXE), priority warning for the violation; syslog lines too" "
ev = [json.loads(l) for l in open('$TMPD/j.json')]
jn = [e for e in ev if e.get('_TRANSPORT') == 'journal']
sl = [e for e in ev if e.get('_TRANSPORT') == 'syslog']
l = [e for e in jn if e.get('PORTSEC_ACTION') == 'listen' and e.get('PORTSEC_PORT') == '7501']
assert l, [(e.get('PORTSEC_ACTION'), e.get('PORTSEC_PORT')) for e in jn]
l = l[0]
assert l['PORTSEC_PROTO'] == 'tcp' and l['PORTSEC_SCOPE'] == 'any' and l['PORTSEC_NETNS'] == '$W', l
assert l['PRIORITY'] == '6' and l['_COMM'] == 'portsec' and int(l['OBJECT_PID']) > 0 and l['OBJECT_COMM'] == 'python3', l
assert l['MESSAGE'].startswith('listen') and '7501' in l['MESSAGE'], l['MESSAGE']
d = [e for e in jn if e.get('PORTSEC_PORT') == '7504' and e.get('PORTSEC_ACTION') == 'listen'][0]
assert d['PORTSEC_CHECK'] == 'policy-denied' and d['PRIORITY'] == '4' and d['PORTSEC_DECISION'] == 'denied', d
assert any('7501' in e['MESSAGE'] and e.get('SYSLOG_FACILITY') == '3' for e in sl), [e['MESSAGE'] for e in sl]
assert any('policy-denied' in e['MESSAGE'] and e['PRIORITY'] == '4' for e in sl), [e['MESSAGE'] for e in sl]
"
else
	echo "note - journald not installed: --journal and --syslog not tested against it"
fi

# without a journald or syslog daemon: exit 3 and one line, not silence
cat >"$TMPD/nod.sh" <<EOF
mount -t tmpfs tmpfs /run/systemd || exit 10
mkdir -p "$TMPD/realdev2" && mount --rbind /dev "$TMPD/realdev2" && mount -t tmpfs tmpfs /dev || exit 11
touch /dev/null && mount --bind "$TMPD/realdev2/null" /dev/null
timeout 5 "$PORTSEC" watch --journal --duration 1s >"$TMPD/nj.out" 2>"$TMPD/nj.err"; echo \$? >"$TMPD/nj.rc"
timeout 5 "$PORTSEC" watch --syslog --duration 1s >"$TMPD/ns.out" 2>"$TMPD/ns.err"; echo \$? >"$TMPD/ns.rc"
EOF
ip netns exec "$W" unshare -m --propagation private bash "$TMPD/nod.sh"
for k in nj:journal ns:syslog; do
	f=${k%%:*}
	if [ "$(cat "$TMPD/$f.rc")" = 3 ] && [ "$(wc -l <"$TMPD/$f.err")" = 1 ] && [ ! -s "$TMPD/$f.out" ]; then
		ok "--${k#*:} with no daemon to write to: exit 3, one line ($(cut -c1-90 "$TMPD/$f.err"))"
	else
		bad "--${k#*:} with no daemon: exit $(cat "$TMPD/$f.rc"): $(head -3 "$TMPD/$f.err")"
	fi
done

# ---- sd_notify: READY after the starting dump, STOPPING at SIGTERM ----
ip netns exec "$W" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(15)
print("ready", flush=True)
out = open(sys.argv[2], "w")
for _ in range(2):
    try:
        out.write(s.recv(4096).decode().replace("\n", "|") + "\n"); out.flush()
    except socket.timeout:
        break' "$TMPD/notify" "$TMPD/notify.got" >"$TMPD/notify.out" 2>&1 &
FIXPIDS+=("$!")
NPID=$!
wait_for "$TMPD/notify.out" ready
NOTIFY_SOCKET=$TMPD/notify ip netns exec "$W" "$PORTSEC" watch --duration 30s >/dev/null 2>"$TMPD/n.err" &
WPID=$!
FIXPIDS+=("$WPID")
wait_for "$TMPD/notify.got" READY=1
kill -TERM "$WPID"; wait "$WPID"
wait "$NPID" 2>/dev/null
if grep -q '^READY=1|STATUS=watching [0-9]* listeners (source \(ebpf\|poll\))' "$TMPD/notify.got" && grep -q '^STOPPING=1' "$TMPD/notify.got"; then
	ok "sd_notify: $(tr '\n' ' ' <"$TMPD/notify.got")"
else
	bad "sd_notify: got '$(cat "$TMPD/notify.got" 2>/dev/null)'"
fi

# ---- the shipped unit: its capability set suffices; its exposure ----
UNIT=$BUILDDIR/portsec-watch.service
if [ -f "$UNIT" ]; then
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr ' ' '\n' | sed 's/^CAP_/+/' | tr 'A-Z' 'a-z' | paste -sd,)
	CG=$TMPD/cg2
	mkdir -p "$CG"
	ip netns exec "$W" unshare -m --propagation private sh -c "mount -t cgroup2 none '$CG' &&
		exec setpriv --bounding-set -all,$caps --inh-caps -all -- '$PORTSEC' watch --json --no-policy --duration 4s" \
		>"$TMPD/c" 2>"$TMPD/c.err" &
	WPID=$!
	FIXPIDS+=("$WPID")
	wait_for "$TMPD/c.err" source
	sleep 0.3
	ip netns exec "$X" setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 7601)); s.listen(1); time.sleep(2.8)'
	ip netns exec "$W" nft add table inet wsvccap
	wait "$WPID"
	pyrun "the unit's capabilities ($caps): eBPF loads, another user's listener in another namespace with its exe, the nft change" "
err = open('$TMPD/c.err').read()
assert err.startswith('portsec watch: source ebpf'), err
assert 'namespace' not in err, err  # every namespace listed (pid 1 may guard its fds here: not a capability)
ev = [json.loads(l) for l in open('$TMPD/c')]
l = [e for e in ev if e['event']['action'] == 'listen' and e['source']['port'] == 7601]
assert l and l[0]['portsec']['netns']['name'] == '$X' and l[0]['process']['executable'].startswith('/usr/bin/python3'), ev
assert l[0]['user']['id'] == 65534, l[0]['user']
assert any(e['event']['action'] == 'firewall-change' and e['process']['name'] == 'nft' for e in ev), ev  # nft may be gone before /proc is read
"
	if command -v systemd-analyze >/dev/null; then
		score=$(systemd-analyze security --offline=true "$UNIT" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
		if [ -n "$score" ] && python3 -c "import sys; sys.exit(0 if float('$score') <= 3.5 else 1)"; then
			ok "systemd-analyze security: exposure $score (OK band, <= 3.5)"
		else
			bad "systemd-analyze security: exposure '$score'"
		fi
	fi
else
	bad "the unit was not built at $UNIT"
fi
finish
