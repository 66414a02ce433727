# lib.sh - shared by the integration tests: throwaway network namespaces,
# fixture processes, bounded waits, cleanup by name and PID (also on failure).
# Traffic stays on loopback inside namespaces these tests create.
set -u
PORTSEC=${PORTSEC:?set PORTSEC to the portsec binary}
SOCKFIX=${SOCKFIX:?set SOCKFIX to the sockfix helper}
TMPD=$(mktemp -d /tmp/portsec-test.XXXXXX)
NSS=()
FIXPIDS=()
FAILS=0

cleanup() {
	local p n
	for p in "${FIXPIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${FIXPIDS[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

need_root() {
	if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (network namespaces)"; exit 77; fi
	command -v ip >/dev/null || { echo "SKIP: iproute2 (ip) not installed"; exit 77; }
	command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
}

# mkns VAR NAME -> creates ps-<pid>-NAME with lo up and stores its name in VAR
# (not through $(...): the cleanup list must grow in this shell, not a subshell)
mkns() {
	local ns="ps-$$-$2"
	ip netns add "$ns" || { echo "FAIL: ip netns add $ns"; exit 1; }
	NSS+=("$ns")
	ip -n "$ns" link set lo up
	printf -v "$1" '%s' "$ns"
}

# start_fix NS SPEC... -> starts sockfix in NS, waits (bounded) for "ready",
# sets FIX_PID (and FIX_CHILD when the fixture forked)
start_fix() {
	local ns=$1; shift
	local out="$TMPD/fix.$RANDOM"
	ip netns exec "$ns" "$SOCKFIX" -T 150 "$@" >"$out" 2>"$out.err" &
	local pid=$!
	FIXPIDS+=("$pid")
	local i
	for i in $(seq 1 100); do
		if grep -q '^ready' "$out" 2>/dev/null; then break; fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "FAIL: fixture died: $(cat "$out.err")"; exit 1
		fi
		sleep 0.05
	done
	grep -q '^ready' "$out" || { echo "FAIL: fixture not ready after 5 s"; exit 1; }
	read -r _ FIX_PID FIX_CHILD <"$out"
	FIX_CHILD=${FIX_CHILD:-}
	[ -n "$FIX_CHILD" ] && FIXPIDS+=("$FIX_CHILD")
	return 0
}

# start_bg NS CMD... -> a background process in NS (stopped by cleanup), waits
# (5 s bound) for it to print "ready"
start_bg() {
	local ns=$1; shift
	local out="$TMPD/bg.$RANDOM"
	ip netns exec "$ns" "$@" >"$out" 2>&1 &
	FIXPIDS+=("$!")
	for _ in $(seq 1 100); do grep -q '^ready' "$out" 2>/dev/null && return 0; sleep 0.05; done
	echo "FAIL: background process not ready: $(cat "$out")"; exit 1
}

ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi
}

# pycheck NAME JSONFILE PYTHON-EXPR-OR-STATEMENTS (doc = the parsed JSON; must not raise)
pycheck() {
	local name=$1 file=$2 code=$3
	if python3 - "$file" <<PYEOF
import json, sys
doc = json.load(open(sys.argv[1]))
def rows(**kw):
    return [s for s in doc.get("sockets", []) if all(
        (s.get(k) == v) if not callable(v) else v(s.get(k)) for k, v in kw.items())]
$code
PYEOF
	then ok "$name"; else bad "$name"; fi
}

finish() {
	if [ "$FAILS" -gt 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
	echo "all checks passed"
	exit 0
}
