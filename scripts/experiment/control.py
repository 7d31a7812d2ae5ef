"""Control of the nested set-up from the host: the outer guest's (L1) command
channel, tenants' channels relayed by L1, and the outer QEMU's QMP.

The L1 channel is the one scripts/qv-agent.sh opens (fd 5 of the host
script that scripts/vms.sh runs): one base64-encoded bash script per line,
answered by its output and "QVRPC-END <status>" (scripts/guest/
qv-agent-loop.sh).
"""
import base64
import json
import os
import select
import shlex
import socket
import time


class ChannelError(RuntimeError):
    pass


class Channel:
    """A guest's command channel on a file descriptor."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b""

    def _readline(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelError("no answer from the guest")
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                continue
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise ChannelError("the guest's channel closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").rstrip("\r")

    def run(self, script, timeout=300):
        """Run a bash script in the guest: (exit status, output)."""
        req = base64.b64encode(script.encode()) + b"\n"
        os.write(self.fd, req)
        deadline = time.monotonic() + timeout
        out = []
        while True:
            line = self._readline(deadline)
            if line.startswith("QVRPC-END "):
                return int(line.split()[1]), "\n".join(out)
            out.append(line)


class L1:
    """The outer guest, with scripts/vms-l1.sh loaded in every command."""

    def __init__(self, channel, root):
        self.ch = channel
        self.root = root

    def sh(self, cmd, timeout=300, check=True):
        script = (". /lib/qv-lib.sh; QOSVNIC_ROOT=%s; . /host%s/scripts/vms-l1.sh\n%s"
                  % (shlex.quote(self.root), self.root, cmd))
        rc, out = self.ch.run(script, timeout)
        if check and rc != 0:
            raise ChannelError("L1 command failed (%d): %s\n%s" % (rc, cmd, out))
        return out

    def tenant_sh(self, port, cmd, timeout=120, check=True):
        """Run a command in a tenant VM whose channel is L1's port."""
        b64 = base64.b64encode(cmd.encode()).decode()
        out = self.sh("QV_RPC_TIMEOUT=%d /lib/qv-rpc.sh %d %s" % (timeout, port, b64),
                      timeout + 10, check=False)
        if check and out.startswith("qv-rpc: "):
            raise ChannelError(out)
        return out


class Qmp:
    """A persistent QMP connection to the outer QEMU."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(60)
        self.s.connect(path)
        self.f = self.s.makefile("rw")
        json.loads(self.f.readline())
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise ChannelError("QMP closed")
            reply = json.loads(line)
            if "event" in reply:
                continue
            if "error" in reply:
                raise ChannelError("QMP %s: %s" % (name, reply["error"].get("desc")))
            return reply["return"]

    def device(self):
        return self.cmd("query-qosvnic", id="nic0")[0]

    def set_vf(self, vf, **settings):
        args = {k.replace("_", "-"): v for k, v in settings.items()}
        self.cmd("qosvnic-set-vf", id="nic0", vf=vf, **args)
