#!/usr/bin/env bash
# --all-netns and -N: a listener in a named namespace no process lives in,
# and one in an unnamed namespace that only its socket keeps alive (found
# through SIOCGSKNS), both owned by a process living elsewhere.
. "$(dirname "$0")/lib.sh"
need_root
mkns A home
mkns B empty
start_fix "$A" in-netns:/run/netns/"$B" tcp-listen:127.0.0.1:4444 in-private-netns tcp-listen:127.0.0.1:5555
P=$FIX_PID
INO_B=$(stat -L -c %i /run/netns/"$B")

"$PORTSEC" list -tlp --all-netns --json >"$TMPD/all.json"
expect_eq "--all-netns exits 0" "$?" 0
pycheck "listener in the process-less namespace $B, owner $P" "$TMPD/all.json" "
r = rows(local={'addr':'127.0.0.1','port':4444})
assert len(r) == 1, r
assert r[0]['netns'] == {'inode': $INO_B, 'name': '$B'}, r[0]['netns']
assert [o['pid'] for o in r[0]['owners']] == [$P]"
pycheck "listener in a namespace only its socket keeps alive" "$TMPD/all.json" "
r = rows(local={'addr':'127.0.0.1','port':5555})
assert len(r) == 1, r
assert [o['pid'] for o in r[0]['owners']] == [$P]
ino = r[0]['netns']['inode']
ns = [n for n in doc['namespaces'] if n['inode'] == ino][0]
assert ns['found_via'] == 'socket' and ns['listed'] and ns['name'] is None, ns
open('$TMPD/private.ino', 'w').write(str(ino))"
pycheck "the home namespace of the fixture is listed too" "$TMPD/all.json" "
assert any(n['name'] == '$A' and n['listed'] for n in doc['namespaces'])"

expect_eq "-N $B lists only its listener" "$("$PORTSEC" list -tlp -H -N "$B" | awk '{print $5}')" "127.0.0.1:4444"
expect_eq "-N INODE reaches the unnamed namespace" \
	"$("$PORTSEC" list -tl -H -N "$(cat "$TMPD/private.ino")" | awk '{print $5}')" "127.0.0.1:5555"
expect_eq "the fixture's own namespace holds neither" "$(ip netns exec "$A" "$PORTSEC" list -tl -H | wc -l)" 0
"$PORTSEC" list -tl -N "ps-$$-nonexistent" >/dev/null 2>"$TMPD/err"
expect_eq "-N unknown namespace exits 2" "$?" 2
expect_eq "one line naming it" "$(wc -l <"$TMPD/err")-$(grep -c "ps-$$-nonexistent" "$TMPD/err")" "1-1"
expect_eq "netns filter word" "$("$PORTSEC" list -tl -H --all-netns netns "$B" | wc -l)" 1
finish
