#!/usr/bin/env python3
"""An open-loop HTTP client with httperf's semantics that sleeps between
events, so that it leaves the host's CPUs to the server it measures.

httperf keeps a core busy whatever the rate (95 % of a core at 20
requests/s against a local server; 0.9 of a host core per client in the
experiment's first run), and this host has two cores for the clients and
the whole emulated server.
This client opens connection i at start + i/rate whether or not earlier
ones were answered (open loop, as httperf --rate), sends one HTTP/1.0 GET
on each, and counts a reply when the whole body has arrived. A connection
that has not finished after --timeout seconds is a client timeout.

It prints the lines of httperf's summary that scripts/experiment/measure.py
reads ("Total:", "Errors:", "CPU time [s]:"), with the same meaning:
test-duration runs from the first connection to the end of the last one.

Usage: httpload.py --server IP [--port 80] --uri /PATH --rate R
                   --num-conns N [--timeout S]
"""
import argparse
import errno
import os
import selectors
import socket
import sys
import time


class Conn:
    __slots__ = ("sock", "fd", "deadline", "buf", "sent", "state")

    def __init__(self, sock, deadline):
        self.sock, self.fd, self.deadline = sock, sock.fileno(), deadline
        self.buf, self.sent, self.state = bytearray(), 0, "connect"


def reply_complete(buf):
    """True when @buf holds a whole 2xx reply (headers and Content-Length
    bytes of body, or a body ended by the close)."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    head = bytes(buf[:head_end]).decode("latin-1").split("\r\n")
    parts = head[0].split()
    if len(parts) < 2 or not parts[1].startswith("2"):
        return False
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            try:
                return len(buf) - head_end - 4 >= int(value)
            except ValueError:
                return False
    return True


def run(args):
    request = ("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (args.uri, args.server)).encode()
    sel = selectors.DefaultSelector()
    errors = {"client-timo": 0, "connrefused": 0, "connreset": 0, "other": 0}
    replies = started = 0
    live = {}
    start = time.monotonic()
    end = start

    def finish(c, outcome):
        nonlocal replies, end
        sel.unregister(c.sock)
        del live[c.fd]
        c.sock.close()
        end = time.monotonic()
        if outcome == "reply":
            replies += 1
        else:
            errors[outcome] += 1

    while started < args.num_conns or live:
        now = time.monotonic()
        while started < args.num_conns and now >= start + started / args.rate:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((args.server, args.port))
            started += 1
            if err not in (0, errno.EINPROGRESS):
                s.close()
                errors["connrefused" if err == errno.ECONNREFUSED else "other"] += 1
                end = now
                continue
            c = Conn(s, now + args.timeout)
            live[c.fd] = c
            sel.register(s, selectors.EVENT_WRITE, c)
        wake = [c.deadline for c in live.values()]
        if started < args.num_conns:
            wake.append(start + started / args.rate)
        timeout = max(0.0, min(wake) - time.monotonic()) if wake else None
        for key, _ in sel.select(timeout):
            c = key.data
            try:
                if c.state == "connect":
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    c.state = "send"
                if c.state == "send":
                    c.sent += c.sock.send(request[c.sent:])
                    if c.sent == len(request):
                        c.state = "recv"
                        sel.modify(c.sock, selectors.EVENT_READ, c)
                    continue
                data = c.sock.recv(65536)
                if data:
                    c.buf += data
                    continue
                finish(c, "reply" if reply_complete(c.buf) else "other")
            except OSError as e:
                finish(c, {errno.ECONNREFUSED: "connrefused",
                           errno.ECONNRESET: "connreset"}.get(e.errno, "other"))
        now = time.monotonic()
        for c in [c for c in live.values() if c.deadline <= now]:
            finish(c, "client-timo")
    cpu = os.times()
    total = sum(errors.values())
    print("Total: connections %d requests %d replies %d test-duration %.3f s"
          % (started, started - errors["connrefused"], replies, end - start))
    print("Errors: total %d client-timo %d socket-timo 0 connrefused %d connreset %d"
          % (total, errors["client-timo"], errors["connrefused"], errors["connreset"]))
    print("Errors: other %d" % errors["other"])
    print("CPU time [s]: user %.2f system %.2f" % (cpu.user, cpu.system))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--uri", required=True)
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--num-conns", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()
    if args.rate <= 0 or args.num_conns < 1 or args.timeout <= 0:
        ap.error("--rate %g, --num-conns %d, --timeout %g: all must be positive"
                 % (args.rate, args.num_conns, args.timeout))
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
