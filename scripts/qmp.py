#!/usr/bin/env python3
"""Send QMP commands to a QEMU monitor socket and print the replies.

Usage:
  qmp.py SOCKET COMMAND [JSON-ARGUMENTS]     print the "return" value (JSON)
  qmp.py SOCKET '{"execute": ...}'           the same, the whole message given
  qmp.py SOCKET --events NAME SECONDS        print the events named NAME that
                                             arrive within SECONDS (one JSON
                                             object per line)
  qmp.py SOCKET --session                    one connection kept open: prints
                                             "ready", then for every message
                                             read on stdin one line, its
                                             "return" value or {"error": ...}

Exits 1 with QEMU's error message on stderr if the command fails, 2 if the
socket does not answer. Used by the host sides of the guest tests and of
the nested set-up (scripts/vms.sh) to drive the device's host control
plane (query-qosvnic, qosvnic-set-vf) the way a VMM or libvirt does.
"""
import json
import socket
import sys
import time


def connect(path, timeout=30.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    f = s.makefile("rw")
    json.loads(f.readline())                      # greeting
    send(f, {"execute": "qmp_capabilities"})
    return s, f


def send(f, msg):
    f.write(json.dumps(msg) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            raise ConnectionError("QMP socket closed")
        reply = json.loads(line)
        if "event" not in reply:
            return reply


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    path = argv[1]
    try:
        s, f = connect(path)
    except (OSError, ValueError, ConnectionError) as e:
        sys.stderr.write("qmp.py: %s: %s\n" % (path, e))
        return 2
    if argv[2] == "--events":
        name, until = argv[3], time.time() + float(argv[4])
        while time.time() < until:
            s.settimeout(max(0.1, until - time.time()))
            try:
                line = f.readline()
            except socket.timeout:
                break
            if not line:
                break
            ev = json.loads(line)
            if ev.get("event") == name:
                print(json.dumps(ev), flush=True)
        return 0
    if argv[2] == "--session":
        s.settimeout(None)
        print("ready", flush=True)
        for line in sys.stdin:
            try:
                reply = send(f, json.loads(line))
            except (OSError, ValueError, ConnectionError) as e:
                reply = {"error": {"desc": str(e)}}
            print(json.dumps(reply if "error" in reply else reply["return"]), flush=True)
        return 0
    if argv[2].lstrip().startswith("{"):
        msg = json.loads(argv[2])
    else:
        msg = {"execute": argv[2]}
        if len(argv) > 3:
            msg["arguments"] = json.loads(argv[3])
    reply = send(f, msg)
    if "error" in reply:
        sys.stderr.write("qmp.py: %s: %s\n" % (argv[2], reply["error"].get("desc")))
        return 1
    print(json.dumps(reply["return"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
