#!/usr/bin/env bash
# Without privilege: list what can be listed, say what could not be
# attributed, exit 0.
. "$(dirname "$0")/lib.sh"
need_root
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) missing"; exit 77; }
mkns U unpriv
mkns V unpriv2  # a second namespace nobody may not enter
start_fix "$U" tcp-listen:0.0.0.0:8080 udp:127.0.0.1:9999
nobody() { ip netns exec "$U" setpriv --reuid=65534 --regid=65534 --clear-groups "$PORTSEC" "$@"; }
nobody list -tulp --json >"$TMPD/n.json" 2>"$TMPD/n.err"
expect_eq "list as nobody exits 0" "$?" 0
pycheck "root's sockets listed, owner not attributed, reason given" "$TMPD/n.json" "
r = rows(local={'addr':'0.0.0.0','port':8080})
assert len(r) == 1 and r[0]['owners'] == [] and r[0]['owner_note'] == 'permission-denied', r
assert r[0]['uid'] == 0 and r[0]['user'] == 'root'
assert any('could not be read' in w for w in doc['warnings']), doc['warnings']"
nobody list -tlp >"$TMPD/n.txt" 2>"$TMPD/n.err"
grep -q "0.0.0.0:8080 .*- \[permission-denied\]" "$TMPD/n.txt" && ok "table says permission-denied" || bad "table: $(cat "$TMPD/n.txt")"
grep -q "could not be read" "$TMPD/n.err" && ok "stderr says what was skipped" || bad "stderr: $(cat "$TMPD/n.err")"
nobody list -tl --all-netns >/dev/null 2>"$TMPD/a.err"
expect_eq "--all-netns as nobody exits 0" "$?" 0
grep -q "not listed: permission denied" "$TMPD/a.err" && ok "says which namespaces were skipped" || bad "stderr: $(cat "$TMPD/a.err")"
nobody list -tl -N "$U" >/dev/null 2>"$TMPD/x.err"
expect_eq "-N as nobody: exit 4 (missing privilege)" "$?" 4
finish
