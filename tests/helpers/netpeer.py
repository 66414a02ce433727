#!/usr/bin/env python3
"""netpeer.py - tiny servers and probes for the firewall integration test.

  netpeer.py serve NAME TCPPORT[,..] UDPPORT[,..]  dual-stack TCP accept-and-hold and UDP echo
                                                  servers; sets comm to NAME; prints "ready";
                                                  exits after 150 s at most
  netpeer.py probe tcp|udp HOST PORT              prints open / closed / timeout (1 s bound)
  netpeer.py probe-many HOST SPEC...              SPEC = tcp|udp:PORT[:SPORT]; all probes at once,
                                                  prints "SPEC open|closed|timeout" per line (1.5 s)
  netpeer.py hold HOST PORT                       connects and keeps the connection 150 s at most
  netpeer.py target NAME TCP UDP DNSPORT SSHPORT HTTPPORT
                                                  scan target: dual-stack TCP listeners (SSHPORT
                                                  greets like OpenSSH, HTTPPORT answers a HEAD),
                                                  UDP echo on UDP, and on DNSPORT a server that
                                                  answers only a well-formed DNS query; 150 s
"""
import ctypes, os, select, socket, sys, time


def setname(name):
    try:
        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)
    except Exception:
        pass


def serve(name, tcp, udp):
    setname(name)
    socks = []
    for p in tcp:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", p)); s.listen(64); socks.append(("tcp", s))
    for p in udp:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", p)); socks.append(("udp", s))
    print("ready", flush=True)
    held = []
    end = time.time() + 150
    while time.time() < end:
        r, _, _ = select.select([s for _, s in socks], [], [], 1.0)
        for s in r:
            kind = [k for k, x in socks if x is s][0]
            if kind == "tcp":
                c, _ = s.accept(); held.append(c)
            else:
                data, addr = s.recvfrom(2048); s.sendto(data, addr)


def probe(proto, host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    if proto == "tcp":
        s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(1.0)
        try:
            s.connect((host, port)); print("open")
        except socket.timeout:
            print("timeout")
        except ConnectionRefusedError:
            print("closed")
        except OSError as e:
            print("error %s" % e.errno)
        return
    s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(1.0)
    try:
        s.connect((host, port)); s.send(b"portsec")
        print("open" if s.recv(64) == b"portsec" else "garbled")
    except socket.timeout:
        print("timeout")
    except ConnectionRefusedError:
        print("closed")


def probe_one(host, spec, out):
    parts = spec.split(":")
    proto, port = parts[0], int(parts[1])
    sport = int(parts[2]) if len(parts) > 2 else 0
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.settimeout(1.5)
    try:
        if sport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
        s.connect((host, port))
        if proto == "udp":
            s.send(b"portsec")
            s.recv(64)
        out[spec] = "open"
    except socket.timeout:
        out[spec] = "timeout"
    except ConnectionRefusedError:
        out[spec] = "closed"
    except OSError as e:
        out[spec] = "error-%d" % e.errno
    finally:
        s.close()


def probe_many(host, specs):
    import threading
    out = {}
    th = [threading.Thread(target=probe_one, args=(host, sp, out)) for sp in specs]
    for t in th:
        t.start()
    for t in th:
        t.join(5)
    for sp in specs:
        print(sp, out.get(sp, "timeout"))


def hold(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(2.0)
    s.connect((host, port)); print("ready", flush=True)
    time.sleep(150)


def dns_ok(d):
    """a well-formed DNS query: header, QR=0, one question of sane labels"""
    if len(d) < 17 or d[2] & 0x80 or int.from_bytes(d[4:6], "big") != 1:
        return False
    i = 12
    while i < len(d) and d[i]:
        if d[i] > 63:
            return False
        i += d[i] + 1
    return i + 5 <= len(d)


def target(name, tcp, udp, dns, ssh, http):
    setname(name)
    socks = []
    for p in tcp + [x for x in (ssh, http) if x]:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", p)); s.listen(512); socks.append(("tcp", p, s))
    for p in udp + ([dns] if dns else []):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", p)); socks.append(("udp", p, s))
    print("ready", flush=True)
    conns = []
    end = time.time() + float(os.environ.get("NETPEER_SECS", "150"))
    while time.time() < end:
        r, _, _ = select.select([s for _, _, s in socks] + conns, [], [], 0.5)
        for s in r:
            if s in conns:
                try:
                    d = s.recv(512)
                except OSError:
                    d = b""
                if d.startswith(b"HEAD"):
                    try:
                        s.sendall(b"HTTP/1.0 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n")
                    except OSError:
                        pass
                conns.remove(s); s.close()
                continue
            kind, p, _ = [x for x in socks if x[2] is s][0]
            try:  # scanners reset connections: never let that end the server
                if kind == "tcp":
                    c, _ = s.accept()
                    if p == ssh:
                        c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"); c.close()
                    elif p == http and len(conns) < 200:
                        conns.append(c)
                    else:
                        c.close()
                else:
                    data, addr = s.recvfrom(2048)
                    if p == dns:
                        if dns_ok(data):
                            s.sendto(data[:2] + b"\x81\x80" + data[4:], addr)
                    else:
                        s.sendto(b"pong", addr)
            except OSError:
                pass


if __name__ == "__main__":
    a = sys.argv[1:]
    ports = lambda x: [int(p) for p in x.split(",") if p]
    if a[0] == "serve":
        serve(a[1], ports(a[2]), ports(a[3]))
    elif a[0] == "probe":
        probe(a[1], a[2], int(a[3]))
    elif a[0] == "target":
        target(a[1], ports(a[2]), ports(a[3]), int(a[4]), int(a[5]), int(a[6]))
    elif a[0] == "probe-many":
        probe_many(a[1], a[2:])
    elif a[0] == "hold":
        hold(a[1], int(a[2]))
