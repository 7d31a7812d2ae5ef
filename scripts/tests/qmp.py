#!/usr/bin/env python3
"""Send one QMP command to a QEMU's unix socket and print its "return" as
JSON (exit status 1 and the error on stderr if it fails).

Usage: qmp.py SOCKET '{"execute": "...", "arguments": {...}}'
Used by the guest tests' host sides (scripts/tests/*.host.bash)."""
import json
import socket
import sys


def main():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(sys.argv[1])
    f = sock.makefile("rw")
    json.loads(f.readline())                    # the greeting
    for cmd in ({"execute": "qmp_capabilities"}, json.loads(sys.argv[2])):
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "event" in r:
                continue
            if "error" in r:
                print(json.dumps(r["error"]), file=sys.stderr)
                return 1
            break
    print(json.dumps(r["return"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
