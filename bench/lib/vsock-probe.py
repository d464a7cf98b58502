#!/usr/bin/env python3
"""The host side of bench/nested's vsock figures, the same code for both VMMs.

  vsock-probe.py SUBJECT ADDRESS MIB ROUNDS CONNECTS

SUBJECT is "ember" (ADDRESS: the vsock's uds_path; Firecracker's hybrid design: CONNECT PORT
on that Unix socket, and a guest connect to host port P reaches ADDRESS_P) or "qemu" (ADDRESS
ignored; vhost-vsock: AF_VSOCK to guest CID 3, a host listener on AF_VSOCK port P). The guest
runs `ember-vsock listen 5001 wc -c`, `ember-vsock listen 5002` (echo) and
`ember-vsock listen 1024 sh` (an agent). Prints "RESULT SUBJECT METRIC VALUE" lines:
  vsock-h2g KiB/s   MIB MiB host -> guest: first byte sent until the guest's byte count came back
  vsock-g2h KiB/s   MIB MiB guest -> host: the guest's connect accepted until its end of stream
  vsock-connect us  connect + one byte echoed + close, median of CONNECTS
"""
import os
import socket
import statistics
import sys
import time

GUEST_CID = 3
CHUNK = 256 * 1024


def connect(subject, address, port):
    if subject == "qemu":
        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        s.settimeout(120)
        s.connect((GUEST_CID, port))
        return s
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(address)
    s.sendall(b"CONNECT %d\n" % port)
    line = b""
    while not line.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            raise RuntimeError("the VMM closed the connection before OK")
        line += b
    if not line.startswith(b"OK "):
        raise RuntimeError("CONNECT %d answered %r" % (port, line))
    return s


def listener(subject, address, port):
    if subject == "qemu":
        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        s.bind((socket.VMADDR_CID_ANY, port))
    else:
        path = "%s_%d" % (address, port)
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
    s.listen(1)
    s.settimeout(120)
    return s


def host_to_guest(subject, address, mib):
    data = bytes(CHUNK)
    total = mib * 1024 * 1024
    s = connect(subject, address, 5001)
    t0 = time.monotonic()
    sent = 0
    while sent < total:
        s.sendall(data)
        sent += len(data)
    s.shutdown(socket.SHUT_WR)
    reply = b""
    while True:
        b = s.recv(64)
        if not b:
            break
        reply += b
    t1 = time.monotonic()
    s.close()
    if int(reply.split()[0]) != total:
        raise RuntimeError("the guest counted %r of %d bytes" % (reply, total))
    return total / 1024 / (t1 - t0)


def guest_to_host(subject, address, mib):
    total = mib * 1024 * 1024
    lst = listener(subject, address, 6000)
    agent = connect(subject, address, 1024)
    agent.sendall(b"head -c %d /dev/zero | ember-vsock connect 2 6000\n" % total)
    conn, _ = lst.accept()
    conn.settimeout(120)
    t0 = time.monotonic()
    got = 0
    while True:
        b = conn.recv(CHUNK)
        if not b:
            break
        got += len(b)
    t1 = time.monotonic()
    conn.close()
    agent.close()
    lst.close()
    if got != total:
        raise RuntimeError("received %d of %d bytes" % (got, total))
    return total / 1024 / (t1 - t0)


def connect_latency(subject, address, n):
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        s = connect(subject, address, 5002)
        s.sendall(b"x")
        if s.recv(1) != b"x":
            raise RuntimeError("no echo")
        s.close()
        times.append((time.monotonic() - t0) * 1e6)
    return statistics.median(times)


def main():
    subject, address, mib, rounds, connects = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    for _ in range(rounds):
        print("RESULT %s vsock-h2g %d" % (subject, host_to_guest(subject, address, mib)), flush=True)
        print("RESULT %s vsock-g2h %d" % (subject, guest_to_host(subject, address, mib)), flush=True)
    print("RESULT %s vsock-connect %d" % (subject, connect_latency(subject, address, connects)), flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line the summary shows as NOT MEASURED, not a traceback
        print("vsock-probe %s: %s" % (sys.argv[1] if len(sys.argv) > 1 else "?", e), file=sys.stderr)
        sys.exit(1)
