#!/usr/bin/env bash
# bench/audit.sh - `portsec audit` on a host with 50 listeners (sockfix, in a
# throwaway namespace with a 20-rule nftables ruleset and a policy), side by
# side with `portsec list -tanp`, `ss -tulpn` and Lynis' networking and
# firewall test groups (Debian's lynis), in one hyperfine run: medians and
# ratios.  Needs root.  Traffic: none.
#   bench/audit.sh [--runs N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
portsec=${PORTSEC:-$root/build/src/portsec}
sockfix=${SOCKFIX:-$root/build/tests/sockfix}
runs=30
[ "${1:-}" = "--runs" ] && runs=$2
[ "$(id -u)" = 0 ] || { echo "bench/audit.sh: needs root" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench/audit.sh: hyperfine not installed (scripts/deps.sh --bench)" >&2; exit 1; }
ns=psb-audit-$$
work=$(mktemp -d /tmp/portsec-bench-audit.XXXXXX)
fix=
cleanup() {
	[ -n "$fix" ] && kill "$fix" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add d0 type veth peer name d1
ip -n "$ns" link set d1 up
ip -n "$ns" addr add 198.18.0.10/24 dev d0
ip -n "$ns" link set d0 up
# 20 rules, as a small server has
{
	echo 'table inet filter {'
	echo '  chain input {'
	echo '    type filter hook input priority 0; policy drop;'
	echo '    iif lo accept'
	echo '    ct state established,related accept'
	for p in 22 80 443 8080 8443 9000 9001 9002 9003 9004 9005 9006 9007 9008 9009 9010 9011 9012; do
		echo "    tcp dport $p accept"
	done
	echo '  }'
	echo '}'
} >"$work/rules.nft"
ip netns exec "$ns" nft -f "$work/rules.nft"
# 50 listeners: 30 TCP on all interfaces, 10 on loopback, 10 UDP
specs=()
for i in $(seq 0 29); do specs+=("tcp-listen:0.0.0.0:$((9000 + i))"); done
for i in $(seq 0 9); do specs+=("tcp-listen:127.0.0.1:$((7000 + i))"); done
for i in $(seq 0 9); do specs+=("udp:0.0.0.0:$((5000 + i))"); done
ip netns exec "$ns" "$sockfix" -T 3600 "${specs[@]}" >"$work/fix.out" 2>&1 &
fix=$!
for _ in $(seq 1 100); do grep -q '^ready' "$work/fix.out" 2>/dev/null && break; sleep 0.05; done
grep -q '^ready' "$work/fix.out" || { echo "fixture not ready"; exit 1; }
cp "$portsec" "$work/portsec"
printf 'allow tcp/9000-9012 scope=any\nallow tcp/7000-7009 scope=loopback\nallow udp/5000-5009\ndefault deny\n' >"$work/policy"
n=$(ip netns exec "$ns" "$work/portsec" audit --no-policy --json --fail-on never | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["listeners"]))')
echo "listeners audited: $n"
out=$here/results/$(date -u +%Y%m%d-%H%M%S)-audit
mkdir -p "$out"
x="ip netns exec $ns"
cmds=(
	-n "portsec audit (defaults)" "$x $work/portsec audit --fail-on never --no-policy"
	-n "portsec audit --policy" "$x $work/portsec audit --fail-on never --policy $work/policy"
	-n "portsec audit --json" "$x $work/portsec audit --fail-on never --no-policy --json"
	-n "portsec list -tanp" "$x $work/portsec list -tanp"
	-n "ss -tulpn" "$x ss -tulpn"
)
if command -v lynis >/dev/null; then
	cmds+=(-n "lynis networking+firewalls" "$x lynis audit system --tests-from-group networking,firewalls --quick --no-colors --no-log --report-file $work/lynis.dat")
fi
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/audit.json" --export-markdown "$out/audit.md" "${cmds[@]}" >/dev/null 2>&1 ||
	hyperfine --warmup 3 --runs "$runs" --export-json "$out/audit.json" --export-markdown "$out/audit.md" "${cmds[@]}" >/dev/null
python3 - "$out/audit.json" <<'PY' | tee "$out/portsec-ratios.md"
import json, sys
r = json.load(open(sys.argv[1]))["results"]
med = {x["command"]: x["median"] for x in r}
base = med["portsec list -tanp"]
print("| command | median (ms) | vs `portsec list -tanp` |")
print("|---|---|---|")
for k, v in med.items():
    print(f"| {k} | {v*1e3:.1f} | {v/base:.2f}x |")
PY
echo "results: $out"
