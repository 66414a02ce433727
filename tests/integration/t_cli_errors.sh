#!/usr/bin/env bash
# Bad input: one line naming the problem on stderr, exit 2, nothing on stdout.
# Needs no privilege.
. "$(dirname "$0")/lib.sh"
check() {
	local token=$1; shift
	"$PORTSEC" "$@" >"$TMPD/out" 2>"$TMPD/err"
	local rc=$?
	local lines; lines=$(wc -l <"$TMPD/err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && grep -qF -- "$token" "$TMPD/err" && [ ! -s "$TMPD/out" ]; then
		ok "portsec $* -> exit 2: $(cat "$TMPD/err")"
	else
		bad "portsec $*: exit $rc, $lines stderr lines: $(head -3 "$TMPD/err")"
	fi
}
check "'-Z'" list -Z
check "--bogus" list --bogus
check "'-1'" list port -1
check "65536" list port 65536
check "0x50" list port 0x50
check "22/tcpx" list sport 22/tcpx
check "9-1" list port 9-1
check "frob" list frob
check "bogus" list state bogus
check "needs a value" list port
check "nosuchuser" list user nosuchuser-xyz
check "'-4'" list pid -4
check "wat" list scope wat
check "sockdiag" list --source wat
check "--all-netns" list --all-netns -N x
check "22/tcpx" info 22/tcpx
check "'-1'" info -1
check "65536" info 65536
check "0x50" info 0x50
check "ranges" info 8000-8100
check "nosuchservice" info nosuchservice
check "which port" info
check "'-q'" info -q 22
check "frobnicate" frobnicate
check "extra" report extra
check "--wat" --wat
finish
