#!/usr/bin/env bash
# Golden outputs: list, info, the host report, rules, hidden and scan (human
# and JSON) on one fixed namespace, compared with tests/golden/*.  Volatile
# values (pids, inodes, times, the namespace's name) are normalised by
# tests/helpers/golden_norm.py.  PORTSEC_GOLDEN_UPDATE=1 rewrites the files
# (a difference is a decision: commit it with the reason).
. "$(dirname "$0")/lib.sh"
need_root
command -v nft >/dev/null || { echo "SKIP: nft not installed"; exit 77; }
GOLD=${SRCDIR:?}/tests/golden
NORM=${SRCDIR}/tests/helpers/golden_norm.py
mkns G gold
mkns H goldpeer
ip link add "gv$$" netns "$G" type veth peer name "gp$$" netns "$H"
ip -n "$G" link set "gv$$" name d0
ip -n "$G" addr add 198.18.0.10/24 dev d0
ip -n "$G" addr add 2001:db8::10/64 dev d0 nodad
ip -n "$G" link set d0 up
ip -n "$H" link set "gp$$" up
ip netns exec "$G" sysctl -q -w net.ipv4.ip_local_port_range="40000 40099"
ip netns exec "$G" nft -f - <<'NFT'
table inet filter {
	set admins { type ipv4_addr; flags interval; elements = { 198.18.5.0/24, 198.18.7.7 } }
	chain input {
		type filter hook input priority 0; policy drop;
		iif lo accept
		ct state established,related accept
		tcp dport 22 accept
		tcp dport { 80, 443 } accept
		ip saddr @admins tcp dport 6379 accept
		udp dport 123 reject
	}
}
NFT
start_fix "$G" tcp-listen:0.0.0.0:6379 tcp-listen:127.0.0.1:631 tcp6dual-listen:[::]:22 \
	tcp-listen:198.18.0.10:8080 udp:0.0.0.0:123 tcp-pair:127.0.0.1:5432 tcp-bound:0.0.0.0:7000 \
	tcp6only-listen:[2001:db8::10]:9090
P=$FIX_PID
in_ns() { ip netns exec "$G" env -u SSH_CONNECTION PORTSEC_FW_FILE="$TMPD/fw.nft" "$PORTSEC" "$@"; }
in_ns open 8080/tcp --runtime --force >/dev/null 2>&1 || bad "portsec open 8080/tcp"
in_ns close 7000/tcp --runtime >/dev/null || bad "portsec close 7000/tcp"

# port names as nmap gives them, from a fixture (nmap itself may not be installed)
SVCDB=$SRCDIR/tests/fixtures/nmap-services.golden
# name  command...
cases=(
	"list-tulpn|list -tulpn --no-color"
	"list-a-json|list -a --json"
	"list-l-jsonl|list -l --jsonl"
	"info-text|info 22 6379 123/udp 8080 9090 --current-netns --no-color"
	"info-json|info 22 6379 123/udp 8080 9090 --current-netns --json"
	"report-text|--current-netns --no-color"
	"report-json|--current-netns --json"
	"rules-text|rules"
	"rules-json|rules --json"
	"hidden-text|hidden --no-color"
	"hidden-json|hidden --json"
	"scan-text|scan -sT -Pn -p 22,123,631,5432,6379,8080,9090 127.0.0.1 198.18.0.10 --servicedb $SVCDB"
	"scan-json|scan -sT -Pn -p 22,123,631,5432,6379,8080,9090 127.0.0.1 198.18.0.10 --json --servicedb $SVCDB"
	"scan-xml|scan -sT -Pn -p 22,631,6379 127.0.0.1 -oX -"
	"scan-grep|scan -sT -Pn -p 22,631,6379 127.0.0.1 -oG -"
)
for c in "${cases[@]}"; do
	name=${c%%|*}
	read -r -a args <<<"${c#*|}"
	in_ns "${args[@]}" >"$TMPD/$name.raw" 2>"$TMPD/$name.err"
	echo "exit $?" >>"$TMPD/$name.raw"
	python3 "$NORM" "$G" "$P" "$SOCKFIX" <"$TMPD/$name.raw" >"$TMPD/$name.out"
	if [ "${PORTSEC_GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$TMPD/$name.out" "$GOLD/$name.out"
		ok "$name: golden written"
	elif diff -u "$GOLD/$name.out" "$TMPD/$name.out" >"$TMPD/$name.diff"; then
		ok "$name: as golden"
	else
		bad "$name differs from tests/golden/$name.out:"; head -40 "$TMPD/$name.diff"
	fi
done
finish
