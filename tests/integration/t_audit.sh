#!/usr/bin/env bash
# portsec audit on a host built in a throwaway namespace: real redis,
# memcached and sshd, hostile-ish fixtures (telnet, a program in /tmp, a
# privileged port of nobody), real nftables (plain nft, a Docker-style DNAT,
# portsec's own table), a policy, a baseline and an outside scan from a peer
# namespace.  Each stage checks that every check id fires where it should and
# nowhere else, then the formats (JSON, SARIF against the schema, JUnit,
# Prometheus via promtool, HTML in headless Chromium) and the exit codes.
. "$(dirname "$0")/lib.sh"
need_root
for t in nft redis-server memcached /usr/sbin/sshd ssh-keygen setpriv; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed (scripts/deps.sh --ci)"; exit 77; }
done
# the fixtures must not live in /tmp (that is a finding of its own, listener-exe-tmp)
FIXDIR=/run/portsec-test.$$
mkdir -p -m 755 "$FIXDIR" && cp "$SOCKFIX" "$FIXDIR/sockfix" && SOCKFIX=$FIXDIR/sockfix
trap 'cleanup; rm -rf "$FIXDIR"' EXIT
mkns A audit
mkns B auditpeer
ip link add "av$$" netns "$A" type veth peer name "ap$$" netns "$B"
ip -n "$A" link set "av$$" name d0
ip -n "$B" link set "ap$$" name d0
ip -n "$A" addr add 198.18.0.10/24 dev d0
ip -n "$B" addr add 198.18.0.11/24 dev d0
ip -n "$A" link set d0 up
ip -n "$B" link set d0 up
AU="$TMPD/audit"
mkdir -p "$AU"
in_a() { ip netns exec "$A" env -u SSH_CONNECTION PORTSEC_FW_FILE="$TMPD/fw.nft" "$PORTSEC" "$@"; }

# wait_listen PROTO PORT: bounded (5 s) wait until something listens in A
wait_listen() {
	local flag=-tlnH; [ "$1" = udp ] && flag=-ulnH
	for _ in $(seq 1 100); do
		[ -n "$(in_a list $flag port "$2" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	echo "FAIL: nothing listens on $2/$1 after 5 s"; exit 1
}
# nft_allow PORT / nft_unallow PORT: an accept in the plain nft table (portsec's
# own accept does not pass a drop in another table)
nft_allow() { ip netns exec "$A" nft insert rule inet filter input tcp dport "$1" accept comment "\"t$1\""; }
nft_unallow() {
	local h
	h=$(ip netns exec "$A" nft -a list chain inet filter input | grep "comment \"t$1\"" | grep -oE 'handle [0-9]+' | cut -d' ' -f2)
	[ -n "$h" ] && ip netns exec "$A" nft delete rule inet filter input handle "$h"
}
daemon() { ip netns exec "$A" "$@" >"$TMPD/daemon.$RANDOM.log" 2>&1 & FIXPIDS+=("$!"); LAST=$!; }

# real daemons
daemon redis-server --port 6379 --bind 0.0.0.0 --protected-mode no --save '' --appendonly no --dir "$TMPD"
REDIS=$LAST
daemon memcached -l 127.0.0.1 -p 11211 -U 0 -u nobody
made_privsep=
[ -d /run/sshd ] || { mkdir -p /run/sshd && made_privsep=1; }
ssh-keygen -q -t ed25519 -N '' -f "$TMPD/hostkey"
daemon /usr/sbin/sshd -D -e -f /dev/null -o HostKey="$TMPD/hostkey" -o ListenAddress=0.0.0.0:22 -o PidFile=none -o UsePAM=no
wait_listen tcp 6379; wait_listen tcp 11211; wait_listen tcp 22
# fixtures: telnet and SNMP stand-ins, a program in /tmp, a privileged port of nobody
start_fix "$A" tcp-listen:0.0.0.0:23 udp:0.0.0.0:161
cp "$SOCKFIX" "$TMPD/implant"
start_fix "$A" tcp-listen:0.0.0.0:4444
kill "$FIX_PID"; wait "$FIX_PID" 2>/dev/null
ip netns exec "$A" "$TMPD/implant" -T 150 tcp-listen:0.0.0.0:4444 >"$TMPD/implant.out" 2>&1 &
FIXPIDS+=("$!"); IMPLANT=$!
ip netns exec "$A" setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+net_bind_service \
	--ambient-caps=+net_bind_service "$SOCKFIX" -T 150 tcp-listen:0.0.0.0:800 >"$TMPD/nobody.out" 2>&1 &
FIXPIDS+=("$!")
wait_listen tcp 4444; wait_listen tcp 800

# ids FILE -> "check:port" lines, sorted (findings without a port: check:-)
ids() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted("%s:%s" % (f["check"], f["port"] if f["port"] is not None else "-") for f in d["findings"]
                      if f["check"] not in ("other-netns-listeners",))))
PY
}
audit_json() { in_a audit --json "$@" >"$TMPD/out.json" 2>"$TMPD/err"; echo $? >"$TMPD/rc"; }

# ---- 1. no firewall, no policy: the built-in checks ----
audit_json --no-policy
want="cleartext-remote-access:161 cleartext-remote-access:23 exposed-no-firewall:- listener-exe-tmp:4444 local-service-exposed:6379 privileged-port-nonroot:800"
expect_eq "no firewall: every built-in check fires where it should, nowhere else" "$(ids "$TMPD/out.json")" "$want"
expect_eq "no firewall: high findings, exit 1" "$(cat "$TMPD/rc")" 1
pycheck "redis: evidence names redis-server, its user and the verdict; the fix is pasteable" "$TMPD/out.json" '
f = [f for f in doc["findings"] if f["check"] == "local-service-exposed"][0]
ev = " ".join(f["evidence"])
assert "redis-server" in ev and "no-firewall" in ev, ev
assert f["remediation"].startswith("portsec close 6379/tcp") and "bind 127.0.0.1" in f["remediation"], f["remediation"]
assert f["severity"] == "high"
l = [l for l in doc["listeners"] if l["port"] == 11211][0]
assert l["scope"] == "loopback" and l["verdict"] == "local" and l["comm"] == "memcached", l
assert doc["schema"] == "portsec-audit/1" and doc["complete"] is True
nf = [f for f in doc["findings"] if f["check"] == "exposed-no-firewall"][0]
assert "6 listeners are reachable" in nf["summary"] and "6379/tcp" in nf["summary"] and "11211" not in nf["summary"], nf'

# ---- 2. a firewall: plain nft, a Docker-style DNAT, portsec's own table ----
ip netns exec "$A" nft -f - <<'NFT'
table inet filter {
	chain input {
		type filter hook input priority 0; policy drop;
		iif lo accept
		ct state established,related accept
		tcp dport 22 accept
	}
}
table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8081 dnat to 198.18.1.2:80
		tcp dport 9998 redirect to :22
	}
}
NFT
start_fix "$A" tcp-listen:0.0.0.0:8081
in_a open 9999/tcp --runtime --force >/dev/null 2>&1 || bad "portsec open 9999/tcp"
audit_json --no-policy
want="docker-bypass:8081 listener-exe-tmp:4444 privileged-port-nonroot:800 stale-firewall-opening:9999"
expect_eq "firewall: blocked services are quiet; DNAT, stale opening, /tmp and nobody still fire" "$(ids "$TMPD/out.json")" "$want"
pycheck "firewall: verdicts per listener (blocked, open, dnat)" "$TMPD/out.json" '
v = {(l["port"]): l["verdict"] for l in doc["listeners"]}
assert v[6379] == "blocked" and v[22] == "open" and v[8081] == "dnat" and v[11211] == "local", v'

# ---- 3. a policy ----
cat >"$AU/policy" <<'POL'
# the host's policy
allow tcp/22 process=sshd user=root scope=any
allow tcp/6379 process=redis-server scope=any firewall=blocked
allow tcp/11211 scope=loopback
allow tcp/8081 scope=any reason="published app"
allow udp/161 expires=2020-01-01
deny tcp/23
default deny
POL
audit_json --policy "$AU/policy"
want="listener-exe-tmp:4444 policy-denied:23 policy-not-allowed:4444 policy-not-allowed:800 policy-rule-expired:161 privileged-port-nonroot:800 stale-firewall-opening:9999"
expect_eq "policy: allowed listeners are quiet, deny/default deny/expiry fire" "$(ids "$TMPD/out.json")" "$want"
nft_allow 6379
audit_json --policy "$AU/policy"
case " $(ids "$TMPD/out.json") " in
*" policy-firewall-mismatch:6379 "*) ok "policy: firewall=blocked and redis opened -> policy-firewall-mismatch" ;;
*) bad "policy-firewall-mismatch missing: $(ids "$TMPD/out.json")" ;;
esac
nft_unallow 6379

# ---- 4. the outside view: a scan from the peer namespace ----
nft_allow 23
ip netns exec "$B" "$PORTSEC" scan -sS -Pn -p 22,23,6379,8081,9998 198.18.0.10 -oX "$AU/outside.xml" >/dev/null 2>&1 ||
	bad "scan from the peer"
audit_json --policy "$AU/policy" --scan "$AU/outside.xml"
got=$(ids "$TMPD/out.json")
for w in outside-open-no-listener:9998 outside-open-should-block:23 outside-filtered-allowed:8081; do
	case " $got " in *" $w "*) ok "outside scan: $w" ;; *) bad "outside scan: $w missing: $got" ;; esac
done
case " $got " in *outside-*:22\ *|*outside-*:6379\ *) bad "outside scan: a finding for 22 or 6379: $got" ;; *) ok "outside scan: nothing for 22 (open, allowed) or 6379 (filtered, must be blocked)" ;; esac
nft_unallow 23

# ---- 5. baseline: a restart is not a change; new, gone and changed are ----
in_a baseline save "$AU/base" 2>/dev/null || bad "baseline save"
kill "$REDIS"; wait "$REDIS" 2>/dev/null
daemon redis-server --port 6379 --bind 0.0.0.0 --protected-mode no --save '' --appendonly no --dir "$TMPD"
wait_listen tcp 6379
audit_json --no-policy --baseline "$AU/base"
case "$(ids "$TMPD/out.json")" in *baseline-*) bad "redis restarted with a new pid reads as a change: $(ids "$TMPD/out.json")" ;; *) ok "baseline: redis restarted (new pid) is not a change" ;; esac
kill "$IMPLANT"; wait "$IMPLANT" 2>/dev/null
start_fix "$A" tcp-listen:0.0.0.0:5555
audit_json --no-policy --baseline "$AU/base"
got=$(ids "$TMPD/out.json")
for w in baseline-new:5555 baseline-gone:4444; do
	case " $got " in *" $w "*) ok "baseline: $w" ;; *) bad "baseline: $w missing: $got" ;; esac
done
ip netns exec "$A" "$TMPD/implant" -T 150 tcp-listen:0.0.0.0:4444 >"$TMPD/implant2.out" 2>&1 &
FIXPIDS+=("$!")
wait_listen tcp 4444
# the same port, another program: sockfix's copy replaced by sockfix
python3 - "$AU/base" "$SOCKFIX" <<'PY'
import sys
p, fix = sys.argv[1], sys.argv[2]
lines = open(p).read().split("\n")
open(p, "w").write("\n".join(l.replace("\t" + l.split("\t")[4] + "\t", "\t" + fix + "\t", 1) if l.startswith("tcp\t0.0.0.0\t4444\t") else l for l in lines))
PY
audit_json --no-policy --baseline "$AU/base"
case " $(ids "$TMPD/out.json") " in *" baseline-changed:4444 "*) ok "baseline: another exe on 4444 is a change" ;; *) bad "baseline-changed missing: $(ids "$TMPD/out.json")" ;; esac

# ---- 6. formats ----
in_a audit --policy "$AU/policy" --sarif >"$AU/audit.sarif" 2>/dev/null
SCHEMA_DIR="$TMPD/npm"; mkdir -p "$SCHEMA_DIR"
if (cd "$SCHEMA_DIR" && timeout 120 npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null 2>&1 &&
	tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json); then
	python3 - "$SCHEMA_DIR/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$AU/audit.sarif" <<'PY' && ok "SARIF validates against the SARIF 2.1.0 (rtm.5) schema; a broken copy does not" || bad "SARIF schema validation"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
jsonschema.validate(doc, schema)
assert doc["runs"][0]["results"], "no results"
doc["runs"][0]["results"][0]["level"] = "catastrophic"
try:
    jsonschema.validate(doc, schema)
except jsonschema.ValidationError:
    sys.exit(0)
sys.exit("a broken SARIF file passed the schema")
PY
else
	bad "could not fetch the SARIF schema (npm @microsoft/jest-sarif)"
fi
in_a audit --policy "$AU/policy" --junit >"$AU/audit.junit.xml" 2>/dev/null
xmllint --noout "$AU/audit.junit.xml" && python3 - "$AU/audit.junit.xml" <<'PY' && ok "JUnit: well-formed, policy-denied is a failing test case" || bad "JUnit"
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
cases = {c.get("name"): c for c in t.iter("testcase")}
assert cases["policy-denied"].find("failure") is not None
assert cases["hidden-port"].find("failure") is None
assert int(t.get("failures")) >= 3
PY
in_a audit --policy "$AU/policy" --prometheus "$AU/portsec.prom" >/dev/null 2>&1
if command -v promtool >/dev/null; then
	promtool check metrics <"$AU/portsec.prom" >"$TMPD/promtool.out" 2>&1 && ok "Prometheus textfile passes promtool check metrics" ||
		bad "promtool: $(cat "$TMPD/promtool.out")"
else
	bad "promtool not installed (scripts/deps.sh --ci)"
fi
grep -q '^portsec_audit_findings{check="policy-denied",severity="high"} 1$' "$AU/portsec.prom" &&
	grep -q '^portsec_listeners{proto="tcp",scope="any",verdict="blocked"} ' "$AU/portsec.prom" &&
	ok "Prometheus: findings by check and listeners by scope/verdict" || bad "Prometheus series missing"
ls "$AU"/portsec.prom.tmp.* >/dev/null 2>&1 && bad "a temp file was left behind" || ok "Prometheus file written atomically (no temp file left)"
in_a audit --policy "$AU/policy" --html "$AU/audit.html" >/dev/null 2>&1
grep -qE '<script|src="http|href="http' "$AU/audit.html" && bad "HTML has a script or an external asset" || ok "HTML: self-contained (no script, no external asset)"
if command -v chromium >/dev/null; then
	CHR=(chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$TMPD/chrome")
	timeout 60 "${CHR[@]}" --dump-dom "file://$AU/audit.html" >"$TMPD/dom.html" 2>"$TMPD/chrome.err"
	python3 - "$TMPD/dom.html" <<'PY' && ok "HTML rendered by Chromium: the exposure picture and the findings table" || bad "HTML as Chromium rendered it"
import sys, re
d = open(sys.argv[1]).read()
assert '<svg id="exposure"' in d and d.count('class="bar"') >= 3, "no picture"
assert 'policy-denied' in d and 'listener-exe-tmp' in d, "findings missing"
assert re.search(r'<tr class="high">', d), "no high row"
PY
	grep -iE 'Uncaught|SyntaxError|ReferenceError' "$TMPD/chrome.err" && bad "script errors in Chromium" || ok "no script errors in Chromium"
	SHOT=${PORTSEC_ARTIFACTS:-$TMPD}
	mkdir -p "$SHOT"
	timeout 60 "${CHR[@]}" --window-size=1100,1400 --screenshot="$SHOT/audit.png" "file://$AU/audit.html" >/dev/null 2>&1
	[ -s "$SHOT/audit.png" ] && ok "screenshot kept: $SHOT/audit.png" || bad "no screenshot"
else
	bad "chromium not installed (scripts/deps.sh --ci)"
fi
in_a audit --policy "$AU/policy" --no-color >"$AU/audit.txt" 2>/dev/null
head -5 "$AU/audit.txt" | grep -q "^policy: $AU/policy (6 rules, default deny)" && grep -q "^HIGH (" "$AU/audit.txt" &&
	grep -q "      fix: portsec close 23/tcp" "$AU/audit.txt" && ok "text: policy line, severity groups, fixes" || bad "text output: $(head -12 "$AU/audit.txt")"

# ---- 7. exit codes, bad input, privilege, --fix ----
printf 'allow tcp/22\nallow tcp/22 scope=wide\n' >"$AU/bad.policy"
in_a audit --policy "$AU/bad.policy" >"$TMPD/o" 2>"$TMPD/e"; rc=$?
expect_eq "a policy error: exit 2" "$rc" 2
grep -q "$AU/bad.policy:2:20: bad scope 'wide'" "$TMPD/e" && [ "$(wc -l <"$TMPD/e")" = 1 ] && [ ! -s "$TMPD/o" ] &&
	ok "a policy error names FILE:LINE:COL in one line" || bad "policy error: $(cat "$TMPD/e")"
in_a policy check "$AU/policy" >"$TMPD/o" 2>&1; expect_eq "policy check of a good file: exit 0" "$?" 0
in_a policy check "$AU/bad.policy" >/dev/null 2>&1; expect_eq "policy check of a bad file: exit 2" "$?" 2
in_a policy init >"$AU/init.policy" 2>/dev/null
in_a policy check "$AU/init.policy" >/dev/null 2>&1 && grep -q "^allow tcp/6379 process=redis-server user=root scope=any" "$AU/init.policy" &&
	ok "policy init writes a policy that policy check accepts" || bad "policy init: $(head -20 "$AU/init.policy")"
in_a audit --policy "$AU/init.policy" --json >"$TMPD/out.json" 2>/dev/null
case "$(ids "$TMPD/out.json")" in *policy-not-allowed*|*policy-denied*) bad "listeners not allowed by the policy init made: $(ids "$TMPD/out.json")" ;; *) ok "policy init allows every current listener" ;; esac
in_a audit --policy "$AU/policy" --fail-on never >/dev/null 2>&1; expect_eq "--fail-on never: exit 0" "$?" 0
in_a audit --policy "$AU/policy" --fail-on bogus >/dev/null 2>&1; expect_eq "--fail-on bogus: exit 2" "$?" 2
in_a audit --scan "$AU" >/dev/null 2>"$TMPD/e"; expect_eq "--scan DIR: exit 2" "$?" 2
in_a audit --baseline "$AU/policy" >/dev/null 2>"$TMPD/e"; rc=$?
expect_eq "--baseline of a policy file: exit 2" "$rc" 2
grep -q "not a portsec baseline" "$TMPD/e" && ok "a wrong baseline file is named" || bad "baseline error: $(cat "$TMPD/e")"
nobody() { ip netns exec "$A" setpriv --reuid=nobody --regid=nogroup --clear-groups "$PORTSEC" "$@"; }
nobody audit --no-policy --no-color >"$TMPD/o" 2>"$TMPD/e"; rc=$?
expect_eq "unprivileged with findings: exit 1 (the findings are real)" "$rc" 1
head -1 "$TMPD/o" | grep -q "^INCOMPLETE: .*nftables" && ok "unprivileged: the first line says INCOMPLETE and why" || bad "unprivileged first line: $(head -1 "$TMPD/o")"
nobody audit --no-policy --fail-on never >/dev/null 2>"$TMPD/e"; rc=$?
expect_eq "unprivileged, no finding counted: exit 4, never a silent pass" "$rc" 4
grep -q "incomplete" "$TMPD/e" && ok "unprivileged: said on stderr" || bad "unprivileged stderr: $(cat "$TMPD/e")"
in_a audit --policy "$AU/policy" --fix --dry-run >"$TMPD/o" 2>"$TMPD/e"
grep -q "would add:    23/tcp DENY" "$TMPD/o" && ! in_a rules | grep -q "23/tcp DENY" && ok "--fix --dry-run shows the close of 23/tcp and changes nothing" ||
	bad "--fix --dry-run: $(cat "$TMPD/o" "$TMPD/e" | head -8)"
in_a audit --policy "$AU/policy" --fix >"$TMPD/o" 2>"$TMPD/e"
in_a rules | grep -q "23/tcp DENY" && ok "--fix closes 23/tcp through portsec's own table" || bad "--fix: $(cat "$TMPD/o" "$TMPD/e" | head -8)"
grep -q "to do by hand" "$TMPD/e" && ok "--fix prints the service steps it does not take" || bad "--fix: no hand steps"
# ---- 8. --deep: the hidden sweep's findings, never silenced by a policy ----
start_fix "$A" tcp-listen:0.0.0.0:31337
audit_json --policy "$AU/policy"
case " $(ids "$TMPD/out.json") " in *" backdoor-port:"*) bad "backdoor-port without --deep" ;; *) ok "without --deep: no hidden findings" ;; esac
audit_json --policy "$AU/policy" --deep
case " $(ids "$TMPD/out.json") " in *" backdoor-port:31337 "*) ok "--deep: the hidden sweep's backdoor-port finding for 31337" ;; *) bad "--deep: $(ids "$TMPD/out.json")" ;; esac

# ---- 9. other firewall managers: iptables-nft, and ufw's chain layout ----
if command -v iptables-nft >/dev/null; then
	ip netns exec "$A" nft flush ruleset
	ipt() { ip netns exec "$A" iptables-nft "$@"; }
	ipt -P INPUT DROP
	ipt -A INPUT -i lo -j ACCEPT
	ipt -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	ipt -A INPUT -p tcp --dport 22 -j ACCEPT
	audit_json --no-policy
	pycheck "iptables-nft: 22 open, redis blocked (policy DROP), so quiet" "$TMPD/out.json" '
v = {l["port"]: l["verdict"] for l in doc["listeners"] if l["proto"] == "tcp"}
assert v[22] == "open" and v[6379] == "blocked", v
assert not [f for f in doc["findings"] if f["check"] == "local-service-exposed"]'
	# ufw's layout: INPUT jumps to ufw-user-input, where `ufw allow 6379/tcp` lands
	ipt -N ufw-user-input
	ipt -A INPUT -j ufw-user-input
	ipt -A ufw-user-input -p tcp --dport 6379 -j ACCEPT
	audit_json --no-policy
	pycheck "ufw-style chains: an allow in ufw-user-input opens redis, and audit says so" "$TMPD/out.json" '
f = [f for f in doc["findings"] if f["check"] == "local-service-exposed" and f["port"] == 6379]
assert f and f[0]["severity"] == "high", doc["findings"]
assert "decided by ip filter ufw-user-input rule" in " ".join(f[0]["evidence"]), f[0]["evidence"]
l = [l for l in doc["listeners"] if l["port"] == 6379][0]
assert l["verdict"] == "open" and l["decided_by"].startswith("ip filter ufw-user-input"), l'
else
	bad "iptables-nft not installed"
fi
[ -n "$made_privsep" ] && rmdir /run/sshd 2>/dev/null
finish
