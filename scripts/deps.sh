#!/usr/bin/env bash
# Install what portsec needs to build and test on Debian 12 (run as root).
#   scripts/deps.sh          build + test dependencies
#   scripts/deps.sh --tests  also what the whole test suite uses: real daemons (redis, memcached,
#                            sshd: installed, never started here), chromium, prometheus/promtool,
#                            systemd (journald and systemd-analyze, for watch), a SARIF
#                            schema validator, npm
#   scripts/deps.sh --ci     --tests, and clang/libFuzzer and binutils for the CI ladder
#   scripts/deps.sh --bench  also the anchor tools the benchmarks compare against
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config libmnl-dev libnftnl-dev libnftables-dev libbpf-dev libcmocka-dev libexpat1-dev libmicrohttpd-dev libsystemd-dev clang bpftool
      iproute2 python3 util-linux procps nftables iptables)
tests=(redis-server memcached openssh-server openssh-client chromium prometheus systemd python3-jsonschema npm libxml2-utils)
for a in "$@"; do
	case "$a" in
	--tests) pkgs+=("${tests[@]}") ;;
	--ci) pkgs+=("${tests[@]}" clang libclang-rt-14-dev binutils nmap ndiff) ;;
	--bench) pkgs+=(net-tools lsof nmap masscan zmap ndiff libxml2-utils unhide hyperfine make gcc strace bc lynis) ;;
	*) echo "deps.sh: unknown option '$a' (--ci, --bench)" >&2; exit 2 ;;
	esac
done
missing=()
for p in "${pkgs[@]}"; do
	# a machine whose Node.js came from elsewhere (nodesource's nodejs ships npm and conflicts
	# with Debian's npm package) already has the client: use it
	[ "$p" = npm ] && command -v npm >/dev/null && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# daemons installed for the tests are not started by the package (policy-rc.d, the
	# Debian way): the tests start their own copies inside throwaway namespaces
	made_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
	fi
	rc=0
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
	[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
	[ $rc = 0 ] || exit $rc
fi
