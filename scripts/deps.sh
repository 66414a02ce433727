#!/usr/bin/env bash
# Install what portsec needs to build and test on Debian 12 (run as root).
#   scripts/deps.sh          build + test dependencies
#   scripts/deps.sh --ci     also clang/libFuzzer and binutils for the CI ladder
#   scripts/deps.sh --bench  also the anchor tools the benchmarks compare against
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config libmnl-dev libnftnl-dev libnftables-dev libbpf-dev libcmocka-dev
      iproute2 python3 util-linux procps nftables iptables)
for a in "$@"; do
	case "$a" in
	--ci) pkgs+=(clang libclang-rt-14-dev binutils nmap ndiff libxml2-utils) ;;
	--bench) pkgs+=(net-tools lsof nmap masscan zmap ndiff libxml2-utils unhide hyperfine make gcc strace bc) ;;
	*) echo "deps.sh: unknown option '$a' (--ci, --bench)" >&2; exit 2 ;;
	esac
done
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
