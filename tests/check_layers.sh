#!/usr/bin/env bash
# The layer rule of docs/ARCHITECTURE.md, checked on #include lines:
#   util <- model <- inventory, services <- output <- cli
# kernel/netlink headers and libmnl only in inventory/; the CLI only public headers;
# and no module runs another program (system/popen/exec*).
set -u
src=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/src
fail=0
deny() { # dir pattern why
	local hits
	hits=$(grep -rnE "$2" "$src/$1" 2>/dev/null)
	if [ -n "$hits" ]; then echo "layer violation ($3):"; echo "$hits"; fail=1; fi
}
deny lib/util '#include "(model|inventory|services|output)/' "util includes only libc"
deny lib/util '#include <(libmnl|linux)/' "util has no kernel or netlink headers"
deny lib/model '#include "(inventory|services|output)/' "model sees util only"
deny lib/model '#include <(libmnl|linux)/' "model has no kernel headers"
deny lib/services '#include "(inventory|output)/|#include <(libmnl|linux)/' "services sees model and util"
deny lib/output '#include "(inventory|util/sys)|#include <(libmnl|linux)/' "formatters see the model, never sockets"
deny cli '#include "(util|model|inventory|services|output)/|#include <(libmnl|linux)/' "the CLI sees public headers only"
deny . '\b(system|popen|execl|execlp|execle|execv|execvp|execvpe|posix_spawnp?|fork)[[:space:]]*\(' "portsec never runs another program"
[ $fail = 0 ] && echo "layers: ok"
exit $fail
