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
check "exclude each other" list --json --jsonl
check "exclude each other" list --jsonl --format table
check "is a directory" scan --excludefile / 127.0.0.1
check "is a directory" scan -iL /tmp
check "out of range (0-255)" scan 198.18.50.300
check "too large" scan 198.0.0.0/7
# an option whose value is missing, or is another option, is refused (never taken as the value)
check "needs a value" list -N
check "needs a value" list --netns
check "needs a value" list --source
check "'--json' is an option" list --source --json
check "needs a value" list -tN
check "needs a value" info -N
check "needs a value" hidden -N
check "needs a value" hidden --allow
check "'--no-probe' is an option" hidden --threads --no-probe
check "needs a value" hidden --netns=
check "needs a value" scan -p
check "'-sT' is an option" scan -p -sT 127.0.0.1
check "'--open' is an option" scan --max-rate --open 127.0.0.1
check "needs a value" scan --max-rate= 127.0.0.1
check "takes no value" scan --open=yes 127.0.0.1
check "'--reason' is an option" scan -oX --reason 127.0.0.1
check "'--open' is an option" scan --exclude --open 127.0.0.1
for cmd in "list port" "info" "list"; do
	# shellcheck disable=SC2086
	"$PORTSEC" $cmd "${long:-$(head -c 100000 /dev/zero | tr '\0' 7)}" >"$TMPD/out" 2>"$TMPD/err"; rc=$?
	[ "$rc" = 2 ] && [ "$(wc -l <"$TMPD/err")" = 1 ] && [ "$(wc -c <"$TMPD/err")" -lt 500 ] && ok "$cmd + a 100,000-character argument: one cut line" || bad "$cmd long argument: exit $rc, $(wc -c <"$TMPD/err") bytes"
done
"$PORTSEC" scan -sT -Pn --max-rate=100 -p 9 127.0.0.1 >"$TMPD/out" 2>"$TMPD/err"
expect_eq "scan --max-rate=100 (--opt=value) is accepted" "$?" 0
# a very long argument is cut, not echoed whole
long=$(head -c 100000 /dev/zero | tr '\0' x)
"$PORTSEC" scan "--$long" >"$TMPD/out" 2>"$TMPD/err"; rc=$?
[ "$rc" = 2 ] && [ "$(wc -c <"$TMPD/err")" -lt 500 ] && ok "a 100,000-character option is cut in the error ($(wc -c <"$TMPD/err") bytes)" || bad "long option: exit $rc, $(wc -c <"$TMPD/err") bytes"
check "extra" report extra
check "'--dry-run' is an option" open 22/tcp --iface --dry-run
check "needs a value" close 22/tcp --from
check "needs a value" open --from= 22/tcp
check "takes no value" rules --json=yes
check "one of: auto always never" list --color=sometimes
check "a number from 1 to 64" hidden --threads 0
check "a number from 0 to 5" scan -T9 127.0.0.1
check "unknown command" help nosuchcommand
# one table per command: --opt=value and --opt value are the same, and the
# help is the same text whichever way it is asked for
for cmd in list info report scan hidden open close rules enable disable restore help; do
	a=$("$PORTSEC" help $cmd 2>&1); b=$("$PORTSEC" $cmd --help 2>&1); c=$("$PORTSEC" $cmd -h 2>&1)
	[ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" = "$c" ] && ok "help $cmd = $cmd --help = $cmd -h" || bad "help $cmd differs from $cmd --help"
done
"$PORTSEC" list --source=procfs -l -H >"$TMPD/a" 2>/dev/null; ra=$?
"$PORTSEC" list --source procfs -l -H >"$TMPD/b" 2>/dev/null; rb=$?
[ "$ra" = 0 ] && [ "$rb" = 0 ] && ok "list --source=procfs and --source procfs both run" || bad "list --source=: $ra $rb"
"$PORTSEC" --help | grep -q "^  hidden " && ok "portsec --help lists the commands" || bad "portsec --help has no command list"
check "--wat" --wat
finish
