#!/usr/bin/env python3
"""netpeer.py - tiny servers and probes for the firewall integration test.

  netpeer.py serve NAME TCPPORT[,..] UDPPORT[,..]  dual-stack TCP accept-and-hold and UDP echo
                                                  servers; sets comm to NAME; prints "ready";
                                                  exits after 150 s at most
  netpeer.py probe tcp|udp HOST PORT              prints open / closed / timeout (1 s bound)
  netpeer.py hold HOST PORT                       connects and keeps the connection 150 s at most
"""
import ctypes, select, socket, sys, time


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


def hold(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(2.0)
    s.connect((host, port)); print("ready", flush=True)
    time.sleep(150)


if __name__ == "__main__":
    a = sys.argv[1:]
    ports = lambda x: [int(p) for p in x.split(",") if p]
    if a[0] == "serve":
        serve(a[1], ports(a[2]), ports(a[3]))
    elif a[0] == "probe":
        probe(a[1], a[2], int(a[3]))
    elif a[0] == "hold":
        hold(a[1], int(a[2]))
