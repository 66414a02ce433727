#!/usr/bin/env python3
"""fwtruth.py - compare portsec's firewall verdicts with what real packets do.

  fwtruth.py INFO_JSON PROBES CLIENT4 CLIENT6

INFO_JSON is `portsec info --json` for the probed ports; PROBES is the output
of `netpeer.py probe-many` for each family, lines "v4|v6 proto:port[:sport]
open|closed|timeout". For every probe the verdict portsec states for that
port and family is applied to the probe's own packet (client address, source
port): the first condition that holds for it decides, else the main result.
A condition this checker cannot read counts as a failure: portsec must state
its conditions in terms a reader can check.  Prints one line per probe and
exits 1 if any prediction differs from what the packets did.
"""
import ipaddress, json, re, sys


def field_value(name, pkt):
    return {"ip saddr": pkt.get("saddr4"), "ip6 saddr": pkt.get("saddr6"),
            "th sport": pkt["sport"]}.get(name, KeyError)


def holds_value(name, pkt, text):
    """does the packet's field `name` equal `text` (an address, a prefix, a port, a range)?"""
    v = field_value(name, pkt)
    if v is KeyError or v is None:
        raise ValueError("field %r" % name)
    if name == "th sport":
        if re.fullmatch(r"\d+-\d+", text):
            lo, hi = map(int, text.split("-"))
            return lo <= v <= hi
        return v == int(text)
    if "-" in text and "/" not in text:
        lo, hi = (ipaddress.ip_address(x) for x in text.split("-"))
        return lo <= ipaddress.ip_address(v) <= hi
    return ipaddress.ip_address(v) in ipaddress.ip_network(text, strict=False)


def holds_part(part, pkt):
    part = part.strip()
    if part.startswith("(") and part.endswith(")"):
        return any(holds_part(p, pkt) for p in part[1:-1].split(" or "))
    m = re.fullmatch(r"(ip6? saddr|th sport) (==|!=) (\S+)", part)
    if m:
        r = holds_value(m.group(1), pkt, m.group(3))
        return r if m.group(2) == "==" else not r
    m = re.fullmatch(r"th sport (<|<=|>|>=) (\d+)", part)
    if m:
        v, n = pkt["sport"], int(m.group(2))
        return {"<": v < n, "<=": v <= n, ">": v > n, ">=": v >= n}[m.group(1)]
    m = re.fullmatch(r"(not )?(ip6? saddr|th sport|tcp sport|udp sport) (!= )?(\S+)", part)  # a range
    if m and "-" in m.group(4):
        r = holds_value("th sport" if "sport" in m.group(2) else m.group(2), pkt, m.group(4))
        return not r if (m.group(1) or m.group(3)) else r
    m = re.fullmatch(r"(.+?) (not in )?\{ (.+) \} \(@\S+\)", part)  # a set over symbolic fields
    if m and "..." not in m.group(3):
        names = m.group(1).split(" . ")
        hit = False
        for cand in m.group(3).split(", "):
            vals = cand.split(" . ")
            if len(vals) != len(names):
                raise ValueError("set element %r" % cand)
            if all(holds_value(n, pkt, v) for n, v in zip(names, vals)):
                hit = True
        return hit != bool(m.group(2))
    m = re.fullmatch(r'iifname (==|!=) "(.*)"', part)
    if m:
        r = m.group(2) == pkt["iif"]
        return r if m.group(1) == "==" else not r
    raise ValueError("condition %r" % part)


def predict(verdict, pkt):
    for c in verdict["conditions"]:
        if c["unknown"]:
            raise ValueError("unknown condition %r" % c["when"])
        if all(holds_part(p, pkt) for p in c["when"].split(" and ")):
            return c["result"], c["when"]
    return verdict["result"], None


def main():
    info = json.load(open(sys.argv[1]))
    c4, c6, iif = sys.argv[3], sys.argv[4], sys.argv[5]
    verdicts = {}
    for q in info["ports"]:
        fw = q.get("firewall") or {}
        for fam in ("ipv4", "ipv6"):
            verdicts[(q["proto"], q["port"], fam)] = fw.get(fam)
    bad = 0
    for line in open(sys.argv[2]):
        fam, spec, seen = line.split()
        parts = spec.split(":")
        proto, port = parts[0], int(parts[1])
        sport = int(parts[2]) if len(parts) > 2 else 40000
        pkt = {"sport": sport, "iif": iif, "saddr4": c4 if fam == "v4" else None,
               "saddr6": c6 if fam == "v6" else None}
        v = verdicts.get((proto, port, "ipv4" if fam == "v4" else "ipv6"))
        if v is None:
            print("FAIL %s %s: portsec gave no verdict" % (fam, spec)); bad += 1; continue
        try:
            res, why = predict(v, pkt)
        except ValueError as e:
            print("FAIL %s %s: unreadable %s (summary: %s)" % (fam, spec, e, v["summary"])); bad += 1; continue
        want_open = res in ("accept", "redirect", "dnat")
        ok = want_open == (seen == "open")
        print("%s %s %s: predicted %s%s, packets: %s" % ("ok  " if ok else "FAIL", fam, spec, res,
              " (when %s)" % why if why else "", seen))
        if not ok:
            print("     portsec said: %s" % v["summary"])
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
