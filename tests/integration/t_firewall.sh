#!/usr/bin/env bash
# t_firewall.sh - `portsec open/close/rules/enable/restore` and the effective
# verdict, against real nftables in two throwaway namespaces joined by a veth
# pair (server 198.18.0.1 / 2001:db8::1, client .2): connections from the
# client namespace prove what the rules say; a second table, iptables-nft
# rules and a Docker-style DNAT chain are read and named; the SSH guard, the
# dry run, persistence across a crash between write and rename, bad input.
. "$(dirname "$0")/lib.sh"
need_root
command -v nft >/dev/null || { echo "SKIP: nft (nftables) not installed"; exit 77; }
PEER=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helpers/netpeer.py
export PORTSEC_FW_FILE=$TMPD/etc/firewall.nft

mkns S srv
mkns C cli
ip link add "psv$$" netns "$S" type veth peer name "psc$$" netns "$C" || { echo "FAIL: veth"; exit 1; }
ip -n "$S" addr add 198.18.0.1/24 dev "psv$$"
ip -n "$C" addr add 198.18.0.2/24 dev "psc$$"
ip -n "$S" addr add 2001:db8::1/64 dev "psv$$" nodad
ip -n "$C" addr add 2001:db8::2/64 dev "psc$$" nodad
ip -n "$S" link set "psv$$" up
ip -n "$C" link set "psc$$" up

PS() { ip netns exec "$S" "$PORTSEC" "$@"; }
probe() { ip netns exec "$C" python3 "$PEER" probe "$@"; }
nftS() { ip netns exec "$S" nft "$@"; }

start_bg "$S" python3 "$PEER" serve webd 8080,9000,9100,9200,9450,8443 5300
start_bg "$S" python3 "$PEER" serve sshd 2222 ""

# ---- enable default-deny, then open and close ----
expect_eq "before: tcp 8080 reachable (no firewall)" "$(probe tcp 198.18.0.1 8080)" open
PS enable >"$TMPD/en.out" 2>&1
expect_eq "enable: exit 0" "$?" 0
expect_eq "after enable: tcp 8080 blocked (v4)" "$(probe tcp 198.18.0.1 8080)" timeout
expect_eq "after enable: udp 5300 blocked (v6)" "$(probe udp 2001:db8::1 5300)" timeout
PS open 8080/tcp >/dev/null
expect_eq "open 8080/tcp: v4 connects" "$(probe tcp 198.18.0.1 8080)" open
expect_eq "open 8080/tcp: v6 connects" "$(probe tcp 2001:db8::1 8080)" open
PS open 5300/udp >/dev/null
expect_eq "open 5300/udp: v4 answers" "$(probe udp 198.18.0.1 5300)" open
expect_eq "open 5300/udp: v6 answers" "$(probe udp 2001:db8::1 5300)" open
before=$(nftS list table inet portsec)
PS open 5300/udp >"$TMPD/idem.out" 2>&1
expect_eq "open twice: exit 0" "$?" 0
grep -q "Nothing to change" "$TMPD/idem.out" && ok "open twice: nothing to change" || bad "open twice: $(cat "$TMPD/idem.out")"
expect_eq "open twice: ruleset unchanged" "$(nftS list table inet portsec)" "$before"
PS close 8080/tcp >/dev/null
expect_eq "close 8080/tcp: v4 cannot connect" "$(probe tcp 198.18.0.1 8080)" timeout
expect_eq "close 8080/tcp: v6 cannot connect" "$(probe tcp 2001:db8::1 8080)" timeout
PS close 5300/udp >/dev/null
expect_eq "close 5300/udp: no answer" "$(probe udp 198.18.0.1 5300)" timeout

# ---- source-restricted rule; close without default-deny adds a deny ----
PS open 8080/tcp --from 198.18.0.0/24 >/dev/null
expect_eq "open --from 198.18.0.0/24: client inside connects" "$(probe tcp 198.18.0.1 8080)" open
PS info 8080/tcp --json >"$TMPD/info8080.json" 2>/dev/null
pycheck "info: v6 blocked (the rule is IPv4-only), v4 reachable only from the /24" "$TMPD/info8080.json" '
p = doc["ports"][0]["firewall"]
assert p["ipv6"]["result"] == "drop", p["ipv6"]
assert p["ipv4"]["result"] == "drop" and "198.18.0.0/24" in p["ipv4"]["summary"], p["ipv4"]'
PS disable >/dev/null
PS close 9000/tcp >/dev/null
expect_eq "disabled + close 9000/tcp: a deny closes it" "$(probe tcp 198.18.0.1 9000)" timeout
expect_eq "disabled: an unlisted port is reachable" "$(probe tcp 198.18.0.1 9100)" open
PS rules --json >"$TMPD/rules.json"
pycheck "rules --json: numbered, effective verdicts, listeners" "$TMPD/rules.json" '
r = doc["rules"]
assert [x["number"] for x in r] == list(range(1, len(r) + 1))
d = [x for x in r if x["action"] == "deny" and x["port"] == 9000][0]
assert d["effective"]["result"] == "drop" and d["effective"]["decided_by"]["table"] == "portsec"
assert doc["table"]["default_incoming"] == "accept"
l = [x for x in doc["listeners"] if x["port"] == 9000 and x["proto"] == "tcp"]
assert l and "blocked by inet portsec input" in l[0]["reachability"], l'
n9000=$(python3 -c 'import json,sys; print([x["number"] for x in json.load(open(sys.argv[1]))["rules"] if x["port"]==9000][0])' "$TMPD/rules.json")
PS rules delete "$n9000" >/dev/null
expect_eq "rules delete N: 9000 reachable again" "$(probe tcp 198.18.0.1 9000)" open

# ---- dry run changes nothing ----
before=$(nftS list ruleset)
PS open 7000/tcp --dry-run >"$TMPD/dry.out"
expect_eq "dry-run: exit 0" "$?" 0
grep -q "add element inet portsec allow_tcp { 7000 }" "$TMPD/dry.out" && ok "dry-run prints the nft transaction" || bad "dry-run output: $(cat "$TMPD/dry.out")"
expect_eq "dry-run: ruleset unchanged" "$(nftS list ruleset)" "$before"

# ---- another table that drops, or has policy drop: refused, named ----
nftS -f - <<'EOF'
table inet other {
	chain input { type filter hook input priority 0; policy accept; tcp dport 9000 drop; }
}
EOF
before=$(nftS list table inet portsec)
PS open 9000/tcp 2>"$TMPD/other.err" >/dev/null
expect_eq "open with another table dropping: exit 1" "$?" 1
grep -q "inet other input rule" "$TMPD/other.err" && ok "refusal names table, chain and rule" || bad "refusal: $(cat "$TMPD/other.err")"
grep -q "nft insert rule inet other input tcp dport 9000 accept" "$TMPD/other.err" && ok "refusal prints the command for that table" || bad "hint: $(cat "$TMPD/other.err")"
expect_eq "refused open changed nothing" "$(nftS list table inet portsec)" "$before"
PS info 9000/tcp --json >"$TMPD/info9000.json" 2>/dev/null
pycheck "verdict says which table drops 9000" "$TMPD/info9000.json" '
v = doc["ports"][0]["firewall"]["ipv4"]
assert v["result"] == "drop" and v["decided_by"]["table"] == "other" and v["decided_by"]["handle"], v'
PS open 9000/tcp --force >/dev/null 2>&1
expect_eq "open --force: applied, still blocked by the other table" "$(probe tcp 198.18.0.1 9000)" timeout
nftS delete table inet other
nftS -f - <<'EOF'
table ip strict {
	chain input {
		type filter hook input priority 5; policy drop;
	}
}
EOF
PS open 9100/tcp 2>"$TMPD/strict.err" >/dev/null
expect_eq "open with a policy-drop table: exit 1" "$?" 1
grep -q "ip strict input policy" "$TMPD/strict.err" && ok "refusal names the policy" || bad "strict: $(cat "$TMPD/strict.err")"
nftS delete table ip strict

# ---- iptables-nft rules and a Docker-style DNAT chain ----
if command -v iptables-nft >/dev/null; then
	IPT() { ip netns exec "$S" iptables-nft "$@"; }
	IPT -A INPUT -p tcp --dport 9200 -j DROP
	IPT -A INPUT -p tcp -m multiport --dports 9300,9400:9500 -m conntrack --ctstate NEW -j REJECT
	IPT -A INPUT -p tcp -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	IPT -t nat -N DOCKER
	IPT -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
	IPT -t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8443 -j DNAT --to-destination 198.18.99.2:443
	PS info 9200/tcp 9450/tcp 9600/tcp 8443/tcp --json >"$TMPD/ipt.json" 2>/dev/null
	pycheck "iptables-nft: DROP rule, multiport+conntrack REJECT, DNAT read" "$TMPD/ipt.json" '
p = {x["port"]: x["firewall"]["ipv4"] for x in doc["ports"]}
assert p[9200]["result"] == "drop" and p[9200]["decided_by"]["table"] == "filter", p[9200]
assert p[9200]["decided_by"]["manager"] == "iptables-nft", p[9200]
assert p[9450]["result"] == "drop" and "multiport" in p[9450]["decided_by"]["rule"], p[9450]
assert p[9600]["result"] == "accept", p[9600]
assert "DNAT" in p[8443]["summary"] and "198.18.99.2:443" in p[8443]["summary"], p[8443]
assert doc["ports"][1]["firewall"]["ipv6"]["result"] == "accept"'
	expect_eq "iptables DROP really drops 9200" "$(probe tcp 198.18.0.1 9200)" timeout
	expect_eq "multiport REJECT really rejects 9450" "$(probe tcp 198.18.0.1 9450)" closed
	PS open 9200/tcp 2>"$TMPD/ipt.err" >/dev/null
	expect_eq "open behind an iptables DROP: exit 1" "$?" 1
	grep -q "iptables -I INPUT -p tcp --dport 9200 -j ACCEPT" "$TMPD/ipt.err" && ok "refusal prints the iptables command" || bad "ipt hint: $(cat "$TMPD/ipt.err")"
	PS close 8443/tcp 2>"$TMPD/dnat.err" >/dev/null
	expect_eq "close of a DNAT'ed port: exit 1" "$?" 1
	grep -q "bypasses input filtering" "$TMPD/dnat.err" && ok "close refusal explains the DNAT bypass" || bad "dnat: $(cat "$TMPD/dnat.err")"
	PS rules >"$TMPD/rules.txt"
	grep -q "ip filter (iptables-nft)" "$TMPD/rules.txt" && ok "rules names the iptables-nft table" || bad "rules: $(cat "$TMPD/rules.txt")"
	grep -q "ip nat (docker)" "$TMPD/rules.txt" && ok "rules names Docker's nat chains" || bad "rules docker: $(cat "$TMPD/rules.txt")"
	IPT -F INPUT; IPT -t nat -F; IPT -t nat -X DOCKER
else
	echo "skip - iptables-nft not installed (Debian package iptables)"
fi

# ---- the SSH guard ----
PS open 2222/tcp >/dev/null
before=$(nftS list table inet portsec)
SSH_CONNECTION="198.18.0.2 40000 198.18.0.1 22" ip netns exec "$S" "$PORTSEC" close 22/tcp 2>"$TMPD/ssh.err" >/dev/null
expect_eq "close of the SSH_CONNECTION port: exit 1" "$?" 1
grep -q "22/tcp carries the running SSH session" "$TMPD/ssh.err" && ok "refusal names the SSH port" || bad "ssh: $(cat "$TMPD/ssh.err")"
start_bg "$C" python3 "$PEER" hold 198.18.0.1 2222
PS close 2222/tcp 2>"$TMPD/ssh2.err" >/dev/null
expect_eq "close of a port with an established sshd connection: exit 1" "$?" 1
grep -q "2222/tcp carries the running SSH session" "$TMPD/ssh2.err" && ok "guard finds sshd's established socket" || bad "ssh2: $(cat "$TMPD/ssh2.err")"
expect_eq "refused closes changed nothing" "$(nftS list table inet portsec)" "$before"
PS close 2222/tcp --force >/dev/null 2>&1
expect_eq "close --force: done" "$?" 0
PS open 2222/tcp >/dev/null
SSH_CONNECTION="198.18.0.2 40000 198.18.0.1 2200" ip netns exec "$S" "$PORTSEC" enable 2>"$TMPD/ssh3.err" >/dev/null
expect_eq "enable without the SSH port opened: exit 1" "$?" 1

# ---- persistence: atomic write, crash between write and rename, restore ----
[ -s "$PORTSEC_FW_FILE" ] && ok "persistent file written" || bad "no $PORTSEC_FW_FILE"
cp "$PORTSEC_FW_FILE" "$TMPD/saved.nft"
{ PORTSEC_FAULT=after-fsync ip netns exec "$S" "$PORTSEC" open 7777/tcp >/dev/null 2>&1; } 2>/dev/null
rc=$?
[ "$rc" -ge 128 ] && ok "simulated crash killed the writer (exit $rc)" || bad "fault injection: exit $rc"
cmp -s "$PORTSEC_FW_FILE" "$TMPD/saved.nft" && ok "after the crash the old file is intact" || bad "persistent file changed by a crashed write"
ip netns exec "$S" nft -c -f "$PORTSEC_FW_FILE" && ok "the file on disk is a complete ruleset" || bad "file does not parse"
nftS list set inet portsec allow_tcp | grep -q 7777 && ok "runtime had the change" || bad "runtime lacks 7777"
PS restore >/dev/null
expect_eq "restore: exit 0" "$?" 0
nftS list set inet portsec allow_tcp | grep -q 7777 && bad "restore kept 7777" || ok "restore brought back the saved ruleset"
PS open 7001/tcp --runtime >/dev/null
cmp -s "$PORTSEC_FW_FILE" "$TMPD/saved.nft" && ok "--runtime does not touch the file" || bad "--runtime wrote the file"

# ---- the report and rules show reachability ----
PS >"$TMPD/report.txt" 2>/dev/null
grep -q "firewall: " "$TMPD/report.txt" && ok "report: listeners carry a firewall line" || bad "report: $(cat "$TMPD/report.txt")"

# ---- bad input: exit 2, one line, nothing changed ----
before=$(nftS list ruleset)
for args in "open 70000/tcp" "open 22/xyz" "open" "open 22 --from 198.18.0.1/24" "open 22 --from 300.1.1.1" \
	"open 22 --iface bad/name" "open 22 --iface aaaaaaaaaaaaaaaaaaaa" "close 0/tcp" "open nosuchservice" \
	"rules delete 999" "rules delete x" "restore $TMPD/nonexistent" "enable --from 198.18.0.0/24" \
	"open 23/tcp --iface --dry-run" "open 23/tcp --from --dry-run" "close 23/tcp --iface --force" \
	"open 23/tcp --iface" "open 23/tcp --from" "open 23/tcp --from=" "close 23/tcp --iface= --dry-run" \
	"open 23/tcp --from 198.18.50.300"; do
	# shellcheck disable=SC2086
	PS $args >"$TMPD/bad.out" 2>"$TMPD/bad.err"
	rc=$?
	lines=$(wc -l <"$TMPD/bad.err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && [ ! -s "$TMPD/bad.out" ]; then ok "bad input '$args': exit 2, one line"
	else bad "bad input '$args': exit $rc, $lines stderr lines: $(cat "$TMPD/bad.err")"; fi
done
expect_eq "bad input changed nothing" "$(nftS list ruleset)" "$before"

# ---- no privilege: exit 4 ----
if command -v setpriv >/dev/null; then
	ip netns exec "$S" setpriv --reuid=65534 --regid=65534 --clear-groups "$PORTSEC" open 1234/tcp >/dev/null 2>"$TMPD/priv.err"
	expect_eq "unprivileged open: exit 4" "$?" 4
fi
finish
