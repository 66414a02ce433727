#!/usr/bin/env bash
# The check ids: docs/checks.md lists exactly the registry of
# src/lib/assess/rules.c, and every id the code emits (h_add in hidden/,
# add() in assess/) is registered.
set -u
src=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
reg=$(grep -oE '^\s*\{"[a-z-]+", "[a-z]+", PS_SEV_' "$src/src/lib/assess/rules.c" | grep -oE '"[a-z-]+"' | sed -n '1~2p' | tr -d '"' | sort)
doc=$(grep -oE '^\| `[a-z-]+`' "$src/docs/checks.md" | grep -oE '[a-z-]+' | sort)
emitted=$( { grep -hoE 'h_add\(\s*c, "[a-z-]+"' "$src"/src/lib/hidden/*.c; grep -hoE '"(packet-filter|packet-socket|raw-socket|hidden-socket|hidden-port)"' "$src"/src/lib/hidden/*.c;
	grep -hoE 'add\((a|au), "[a-z-]+"' "$src"/src/lib/assess/*.c; } | grep -oE '"[a-z-]+"' | tr -d '"' | sort -u)
fail=0
[ -n "$reg" ] || { echo "no registry found"; exit 1; }
if [ "$reg" != "$doc" ]; then echo "docs/checks.md and the registry differ:"; diff <(echo "$reg") <(echo "$doc"); fail=1; fi
for id in $emitted; do
	grep -qx "$id" <<<"$reg" || { echo "emitted but not registered: $id"; fail=1; }
done
# multi-line h_add( calls: the id is on the next line
for id in $(grep -A1 -hE 'h_add\($' "$src"/src/lib/hidden/*.c | grep -oE '^\s*c, "[a-z-]+"' | grep -oE '"[a-z-]+"' | tr -d '"'); do
	grep -qx "$id" <<<"$reg" || { echo "emitted but not registered: $id"; fail=1; }
done
[ $fail = 0 ] && echo "check ids: $(wc -l <<<"$reg") registered, documented and covering every emitted id"
exit $fail
