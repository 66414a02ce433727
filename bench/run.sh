#!/usr/bin/env bash
# bench/run.sh - portsec side by side with the anchors (ss, netstat, lsof) on
# ../shared/bench's fixtures, in one interleaved run; medians and per-repetition
# ratios.  Needs root.  Traffic: none (inventory only reads the kernel's tables).
#
#   bench/run.sh inventory [--reps N] [--cases 1k-P10,1k-P1000,100k-P10,100k-P1000]
#   bench/run.sh hidden [--reps N]     portsec hidden (full, and cross-view only) vs unhide-tcp
#   bench/run.sh firewall [--reps N]   open/close/verdicts vs the nft program, in a throwaway netns
#
# The harness is copied to a temporary directory (../shared stays untouched),
# results go to bench/results/<timestamp>/ with portsec-ratios.md beside the
# harness's own tables.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
shared=${PORTSEC_SHARED_BENCH:-$root/../shared/bench}
portsec=${PORTSEC:-$root/build/src/portsec}
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: needs root" >&2; exit 1; }
[ -x "$portsec" ] || { echo "bench/run.sh: build portsec first ($portsec)" >&2; exit 1; }
[ -d "$shared" ] || { echo "bench/run.sh: harness not found at $shared" >&2; exit 1; }
sub=${1:-inventory}; shift || true
work=$(mktemp -d /tmp/portsec-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$shared" "$work/harness"
# a private copy: rebuilding portsec during a run must not change what is timed
cp "$portsec" "$work/portsec"
portsec=$work/portsec
out=$here/results/$(date -u +%Y%m%d-%H%M%S)-$sub
mkdir -p "$out"
case "$sub" in
inventory)
	"$work/harness/run" inventory --out "$out" \
		--tool "portsec-tanp=$portsec list -tanp" \
		--tool "portsec-tlnp=$portsec list -tlnp" \
		--tool "portsec-tulpn=$portsec list -tulpn" \
		--tool "portsec-tanp-json=$portsec list -tanp --json" \
		--tool "portsec-audit=$portsec audit --no-policy --fail-on never" \
		--tool "portsec-audit-json=$portsec audit --no-policy --fail-on never --json" \
		"$@"
	python3 "$here/ratios.py" "$out/inventory.tsv" >"$out/portsec-ratios.md"
	cat "$out/portsec-ratios.md"
	;;
hidden)
	"$work/harness/run" hidden --out "$out" \
		--tool "portsec-hidden=$portsec hidden --json" \
		--tool "portsec-hidden-noprobe=$portsec hidden --json --no-probe" \
		"$@"
	python3 "$here/ratios.py" "$out/hidden.tsv" >"$out/portsec-ratios.md"
	cat "$out/portsec-ratios.md"
	;;
firewall)
	# everything happens inside one throwaway namespace (never the host's ruleset)
	reps=20
	[ "${1:-}" = "--reps" ] && reps=$2
	ns=psb-fw-$$
	ip netns add "$ns"
	trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$work"' EXIT
	ip netns exec "$ns" python3 "$here/fw.py" "$portsec" "$reps" "$out"
	;;
*) echo "bench/run.sh: unknown benchmark '$sub' (inventory, hidden, firewall)" >&2; exit 2 ;;
esac
echo "results: $out"
