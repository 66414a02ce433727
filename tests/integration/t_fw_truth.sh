#!/usr/bin/env bash
# t_fw_truth.sh - portsec's firewall verdicts checked against the kernel: for
# each ruleset, the verdict `portsec info` states for every probed port and
# family is applied to a real client's packet (its address and source port)
# and compared with what that packet's connection did from a peer namespace
# (open / refused / timed out).  Rule shapes: merged payload compares
# (sport+dport in one 4-byte compare), ranges, anonymous sets, concatenated
# sets with a symbolic field, address prefixes and their negation, reject,
# iptables-nft with multiport, and IPv6 with and without neighbour discovery.
# Server 198.18.1.1 / 2001:db8:1::1, client .2 / ::2, joined by a veth pair.
. "$(dirname "$0")/lib.sh"
need_root
command -v nft >/dev/null || { echo "SKIP: nft (nftables) not installed"; exit 77; }
H=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helpers
PEER=$H/netpeer.py

TCP=22,80,443,8080,9000,9100,9200,9450
UDP=53,68,123,5353
# begin NAME: a fresh server/client pair for each ruleset (conntrack entries
# of an earlier ruleset's probes would otherwise let later probes in)
N=0
begin() {
	N=$((N + 1))
	mkns S "s$N"
	mkns C "c$N"
	V=ptv$$x$N
	ip link add "$V" netns "$S" type veth peer name "ptc$$x$N" netns "$C" || { echo "FAIL: veth"; exit 1; }
	W=ptc$$x$N
	ip -n "$S" addr add 198.18.1.1/24 dev "$V"
	ip -n "$C" addr add 198.18.1.2/24 dev "$W"
	ip -n "$S" addr add 2001:db8:1::1/64 dev "$V" nodad
	ip -n "$C" addr add 2001:db8:1::2/64 dev "$W" nodad
	ip -n "$S" link set "$V" up
	ip -n "$C" link set "$W" up
	start_bg "$S" python3 "$PEER" serve truthd "$TCP" "$UDP"
}

# the probes: every listener, and the source ports the rulesets single out
PROBES=()
for p in ${TCP//,/ }; do PROBES+=("tcp:$p"); done
for p in ${UDP//,/ }; do PROBES+=("udp:$p"); done
PROBES+=("udp:68:67" "udp:53:67" "udp:123:123" "udp:5353:123" "tcp:9450:5000" "tcp:22:5000" "udp:5353:5353")

nd='icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept'

# check NAME: compare portsec's verdicts with the packets under
# the ruleset now in $S
check() {
	local name=$1 out="$TMPD/$1"
	local qs=() p
	for p in ${TCP//,/ }; do qs+=("$p/tcp"); done
	for p in ${UDP//,/ }; do qs+=("$p/udp"); done
	ip netns exec "$S" "$PORTSEC" info --json --current-netns "${qs[@]}" >"$out.json" 2>"$out.err" ||
		{ bad "$name: portsec info failed: $(head -c 300 "$out.err")"; return; }
	{
		ip netns exec "$C" python3 "$PEER" probe-many 198.18.1.1 "${PROBES[@]}" | sed 's/^/v4 /'
		ip netns exec "$C" python3 "$PEER" probe-many 2001:db8:1::1 "${PROBES[@]}" | sed 's/^/v6 /'
	} >"$out.probes"
	if python3 "$H/fwtruth.py" "$out.json" "$out.probes" 198.18.1.2 2001:db8:1::2 "$V" >"$out.cmp"; then
		ok "$name: predicted = observed for $(wc -l <"$out.cmp") probes"
	else
		bad "$name: predictions differ from the packets"
		grep -A1 '^FAIL' "$out.cmp" | head -40
	fi
}

nftS() { ip netns exec "$S" nft "$@"; }

# input_chain POLICY <<EOF RULES EOF: a fresh pair, and in its server one
# inet input chain with that policy and these rules
input_chain() {
	begin
	{
		printf 'table inet f {\n\tchain input {\n\t\ttype filter hook input priority 0; policy %s;\n' "$1"
		cat
		printf '\t}\n}\n'
	} | nftS -f -
}

# ---- merged compares: nft folds "udp sport 67 udp dport 68" into one 4-byte compare ----
input_chain drop <<EOF
		ct state established,related accept
		$nd
		udp sport 67 udp dport 68 accept
		udp sport 5353 udp dport 5353 accept
		tcp sport 5000 tcp dport 9450 accept
		tcp sport 1024-65535 tcp dport 22 accept
		ip saddr 198.18.1.2 tcp dport 80 accept
		ip6 saddr 2001:db8:1::2 tcp dport 80 accept
EOF
nftS --debug=netlink list chain inet f input | grep -q 'payload load 4b @ transport header + 0' ||
	bad "merged: nft did not merge sport and dport into one compare (the case under test)"
check merged

# ---- sets, ranges, concatenations with a symbolic field, prefixes and negation ----
input_chain drop <<EOF
		ct state established,related accept
		$nd
		tcp dport { 8080, 9000-9100 } accept
		ip saddr . tcp dport { 198.18.1.2 . 9200, 198.19.0.1 . 443 } accept
		ip6 saddr . tcp dport { 2001:db8:1::2 . 9200, 2001:db8:9::1 . 443 } accept
		udp sport . udp dport { 123 . 123 } accept
		ip saddr != 198.18.1.0/24 tcp dport 22 drop
		ip6 saddr != 2001:db8:1::/64 tcp dport 22 drop
		tcp dport 22 accept
		ip saddr 198.19.0.0/16 udp dport 53 accept
		ip6 saddr 2001:db8:9::/48 udp dport 53 accept
EOF
check sets

# ---- policy accept with reject and drop rules in another base chain ----
begin
nftS -f - <<EOF
table inet f {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 9000 reject
		ip saddr 198.18.1.0/24 tcp dport 9200 drop
		ip6 saddr 2001:db8:1::/64 tcp dport 9200 drop
		udp dport 53 drop
		tcp dport != 22 tcp dport 8000-8100 drop
	}
}
table ip g {
	chain input {
		type filter hook input priority 10; policy accept;
		tcp dport 443 drop
		udp sport 67 accept
		udp dport 68 drop
	}
}
EOF
check reject-and-two-tables

# ---- iptables-nft: multiport, sport+dport, policy DROP ----
if command -v iptables-nft >/dev/null && command -v ip6tables-nft >/dev/null; then
	begin
	for t in iptables-nft ip6tables-nft; do
		ip netns exec "$S" $t -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
		ip netns exec "$S" $t -A INPUT -p tcp -m multiport --dports 22,80,9000:9100 -j ACCEPT
		ip netns exec "$S" $t -A INPUT -p udp --sport 67 --dport 68 -j ACCEPT
		ip netns exec "$S" $t -P INPUT DROP
	done
	for ty in 135 136; do ip netns exec "$S" ip6tables-nft -I INPUT -p ipv6-icmp --icmpv6-type $ty -j ACCEPT; done
	ip netns exec "$S" iptables-nft -A INPUT -s 198.18.1.2 -p udp --dport 5353 -j ACCEPT
	check iptables-nft
else
	bad "iptables-nft not installed (scripts/deps.sh installs iptables)"
fi

# ---- IPv6 without neighbour discovery: no on-link peer gets in ----
input_chain drop <<EOF
		ct state established,related accept
		tcp dport { 22, 80 } accept
		udp dport 53 accept
EOF
check no-nd-inet
begin
ip netns exec "$S" ip6tables-nft -A INPUT -p tcp --dport 22 -j ACCEPT
ip netns exec "$S" ip6tables-nft -A INPUT -p icmpv6 --icmpv6-type 135 -j ACCEPT
ip netns exec "$S" ip6tables-nft -P INPUT DROP
check no-nd-advert-ip6tables
# the same with ND let in: IPv6 works again
input_chain drop <<EOF
		ct state established,related accept
		meta l4proto ipv6-icmp accept
		tcp dport { 22, 80 } accept
EOF
check nd-by-l4proto
# neighbour discovery is untracked: "ct state invalid drop" keeps it, a rule
# that drops every state but new/established/related does not
input_chain drop <<EOF
		ct state invalid drop
		ct state { established, related } accept
		icmpv6 type nd-neighbor-solicit accept
		tcp dport 22 accept
EOF
check ct-invalid-drop
input_chain accept <<EOF
		ct state != { established, related, new } drop
		tcp dport 9000 drop
EOF
check ct-untracked-dropped
ip netns exec "$S" "$PORTSEC" info 22/tcp 2>/dev/null | grep -A3 Firewall
finish
