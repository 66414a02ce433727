#!/usr/bin/env bash
# The layer rule of docs/ARCHITECTURE.md, checked on #include lines:
#   util <- model <- inventory, services, probe, fw <- hidden <- assess <- output <- cli
# (tests/check_symbols.py checks the same rule on the objects' symbols)
# libmnl only in inventory/ and fw/, libnftnl/libnftables only in fw/, libbpf (hidden/, inventory/inv_watch.c; src/bpf/ is the kernel side)
# only in hidden/; the CLI only public headers;
# and no module runs another program (system/popen/exec*).
set -u
src=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/src
fail=0
deny() { # dir pattern why
	local hits
	hits=$(grep -rnE "$2" "$src/$1" 2>/dev/null)
	if [ -n "$hits" ]; then echo "layer violation ($3):"; echo "$hits"; fail=1; fi
}
deny lib/util '#include "(model|inventory|services|output|probe|hidden|fw)/' "util includes only libc"
deny lib/util '#include <(libmnl|linux)/' "util has no kernel or netlink headers"
deny lib/model '#include "(inventory|services|output|probe|hidden|fw)/' "model sees util only"
deny lib/model '#include <(libmnl|linux)/' "model has no kernel headers"
deny lib/services '#include "(inventory|output|probe|hidden)/|#include <(libmnl|linux)/' "services sees model and util"
deny lib/probe '#include "(inventory|output|hidden|fw)/|#include <(libmnl|bpf)/' "probes see model and util"
deny lib/hidden '#include "(inventory|output|probe)/|#include <libmnl/' "hidden uses the inventory and probes through their public headers"
deny lib/inventory '#include "(output|probe|hidden|fw)/' "inventory sees model, util"
deny lib/fw '#include "(inventory|output|probe|hidden|services)/|#include <bpf/' "fw sees model and util"
grep -rlE '#include <(libnftnl|nftables)/' "$src" | grep -v '/lib/fw/' | grep -q . && { echo "layer violation: libnftnl/libnftables outside fw/"; fail=1; }
grep -rlE '#include <libmnl/' "$src" | grep -vE '/lib/(inventory|fw)/' | grep -q . && { echo "layer violation: libmnl outside inventory/ and fw/"; fail=1; }
# libbpf: hidden/ (reading programs) and inventory/inv_watch.c (watch's event source) only
grep -rlE '#include <bpf/' "$src" | grep -v '/lib/hidden/' | grep -v '/lib/inventory/inv_watch.c' | grep -v '/src/bpf/' | grep -q . && { echo "layer violation: libbpf outside hidden/ and inventory/inv_watch.c"; fail=1; }
deny lib/assess '#include "(inventory|output|probe|hidden|fw)/|#include <(libmnl|libnftnl|nftables|linux|bpf)/' "assess uses the views through their public headers"
deny lib/output '#include "(inventory|util/sys|probe|hidden|fw|assess)|#include <(libmnl|linux|bpf)/' "formatters see the model, never sockets"
deny cli '#include "(util|model|inventory|services|output|probe|hidden|fw|assess)/|#include <(libmnl|libnftnl|nftables|linux|bpf)/' "the CLI sees public headers only"
deny . '\b(system|popen|execl|execlp|execle|execv|execvp|execvpe|posix_spawnp?|fork)[[:space:]]*\(' "portsec never runs another program"
[ $fail = 0 ] && echo "layers: ok"
exit $fail
