"""What one probe measures: HTTP clients (httpload.py, or httperf) on the
host side of the wire,
and around them snapshots of the device's counters (QMP), of CPU time in
L1 (per vCPU, its own work apart from the tenants' guest time), in each
tenant, and of the outer QEMU's threads on the host."""
import base64
import glob
import os
import re
import subprocess
import sys
import time

from tenants import HTTP_ROOT, PAGE  # noqa: F401  (the page clients fetch)

TICK = 100.0                    # USER_HZ, host and guests alike
STAT_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq",
               "steal", "guest", "guest_nice")


def parse_proc_stat(text):
    """{cpu name: {field: ticks}} from /proc/stat lines."""
    cpus = {}
    for line in text.splitlines():
        f = line.split()
        if f and f[0].startswith("cpu"):
            vals = [int(x) for x in f[1:11]] + [0] * (10 - len(f[1:11]))
            cpus[f[0]] = dict(zip(STAT_FIELDS, vals))
    return cpus


def cpu_busy(d):
    """Busy ticks of one /proc/stat line, split into own work and the time
    spent running guests (user includes guest time)."""
    own = (d["user"] - d["guest"] + d["nice"] - d["guest_nice"] + d["system"]
           + d["irq"] + d["softirq"])
    return own, d["guest"] + d["guest_nice"]


def proc_ticks(stat_line):
    """utime + stime of a /proc/PID/stat line (after the comm)."""
    rest = stat_line.rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


class Snapshot:
    def __init__(self, server, qemu_pid):
        self.t = time.monotonic()
        dev = server.qmp.device()
        self.fns = {f["function"]: f["stats"] for f in dev["functions"]}
        self.line_rate = dev.get("line-rate", 0)
        # TCP segments of the clients (this network namespace's counters).
        self.segs = 0
        with open("/proc/net/snmp") as f:
            rows = [line.split() for line in f if line.startswith("Tcp:")]
        if len(rows) == 2:
            tcp = dict(zip(rows[0][1:], rows[1][1:]))
            self.segs = int(tcp.get("InSegs", 0)) + int(tcp.get("OutSegs", 0))
        self.l0 = {}
        for path in glob.glob("/proc/%d/task/*/stat" % qemu_pid):
            try:
                with open(path) as f:
                    line = f.read()
                with open(os.path.dirname(path) + "/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            self.l0[comm] = self.l0.get(comm, 0) + proc_ticks(line)
        # L1 and the tenants in one round trip.
        pids = server.tenant_qemu_pids()
        cmd = ["cat /proc/stat | grep ^cpu"]
        for name, pid in pids.items():
            cmd.append("echo \"QPID %s $(cat /proc/%d/stat 2>/dev/null)\"" % (name, pid))
        for t in server.tenants:
            if t.mode == "vm":
                b64 = base64.b64encode(b"head -n 1 /proc/stat").decode()
                cmd.append("echo \"TSTAT %s $(QV_RPC_TIMEOUT=20 /lib/qv-rpc.sh %d %s)\""
                           % (t.name, t.port, b64))
        out = server.l1.sh("; ".join(cmd), check=False)
        self.l1 = parse_proc_stat(out)
        self.tenant_qemu, self.tenant_stat = {}, {}
        for line in out.splitlines():
            if line.startswith("QPID ") and ")" in line:
                name = line.split()[1]
                self.tenant_qemu[name] = proc_ticks(line.split(None, 2)[2])
            elif line.startswith("TSTAT "):
                name = line.split()[1]
                st = parse_proc_stat(line.split(None, 2)[2] if len(line.split()) > 2 else "")
                if "cpu" in st:
                    self.tenant_stat[name] = st["cpu"]


def delta(a, b, server):
    """What happened between snapshots a and b."""
    secs = b.t - a.t
    d = {"seconds": round(secs, 3), "functions": {}}
    tx = rx = 0
    for fn, st in b.fns.items():
        prev = a.fns.get(fn, {})
        dd = {k: v - prev.get(k, 0) for k, v in st.items()
              if k not in ("buf-occupancy", "buf-peak")}
        d["functions"][fn] = dd
        tx += dd["tx-bytes"]
        rx += dd["rx-bytes"]
    d["client_tcp_segments"] = b.segs - a.segs
    d["wire_tx_mbps"] = round(tx * 8 / secs / 1e6, 3)
    d["wire_rx_mbps"] = round(rx * 8 / secs / 1e6, 3)
    if b.line_rate:
        d["wire_tx_util"] = round(tx * 8 / secs / (b.line_rate * 1e6), 4)
        d["wire_rx_util"] = round(rx * 8 / secs / (b.line_rate * 1e6), 4)
    d["l1_cpu"] = {}
    for cpu, st in b.l1.items():
        if cpu == "cpu" or cpu not in a.l1:
            continue
        own1, g1 = cpu_busy(st)
        own0, g0 = cpu_busy(a.l1[cpu])
        d["l1_cpu"][cpu] = {"own": round((own1 - own0) / TICK / secs, 4),
                            "guest": round((g1 - g0) / TICK / secs, 4)}
    # The server's own work: everything but guest time on every vCPU when
    # tenants are VMs (their VMM work in L1 included); vCPU 0 alone when
    # they are namespaces, whose own work is on their vCPUs.
    mine = [c for c in b.l1 if c != "cpu" and c in a.l1]
    if server.mode == "ns":
        mine = [c for c in mine if c == "cpu0"]
    d["l1_own_cpu_s"] = round(sum(
        (cpu_busy(b.l1[c])[0] - cpu_busy(a.l1[c])[0]) / TICK for c in mine), 3)
    d["tenants"] = {}
    for t in server.tenants:
        e = {}
        if t.name in a.tenant_qemu and t.name in b.tenant_qemu:
            e["qemu_cpu_s"] = round((b.tenant_qemu[t.name] - a.tenant_qemu[t.name]) / TICK, 3)
        if t.name in a.tenant_stat and t.name in b.tenant_stat:
            own1, _ = cpu_busy(b.tenant_stat[t.name])
            own0, _ = cpu_busy(a.tenant_stat[t.name])
            e["guest_cpu_s"] = round((own1 - own0) / TICK, 3)
        if t.mode == "ns":
            c = "cpu%d" % t.cpu
            if c in a.l1 and c in b.l1:
                e["guest_cpu_s"] = round((cpu_busy(b.l1[c])[0] - cpu_busy(a.l1[c])[0]) / TICK, 3)
        e["cpu_util"] = round(e.get("guest_cpu_s", 0) / secs, 4)
        d["tenants"][t.label] = e
    d["l0_threads_cpu_s"] = {k: round((v - a.l0.get(k, 0)) / TICK, 3) for k, v in b.l0.items()
                             if v - a.l0.get(k, 0) > 0}
    return d


HTTPERF_RE = {
    "conns": re.compile(r"^Total: connections (\d+) requests (\d+) replies (\d+) test-duration ([\d.]+) s", re.M),
    "errors": re.compile(r"^Errors: total (\d+) client-timo (\d+) socket-timo (\d+) connrefused (\d+) connreset (\d+)", re.M),
    "cpu": re.compile(r"^CPU time \[s\]: user ([\d.]+) system ([\d.]+)", re.M),
}


HTTPLOAD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "httpload.py")


def client_start(t, rate, seconds, client, timeout=5):
    """One open-loop client against tenant @t: httperf, or httpload.py (the
    same semantics and summary lines, but it sleeps between events instead
    of keeping a host core busy)."""
    conns = max(1, int(round(rate * seconds)))
    opts = ["--server", t.ip, "--port", "80", "--uri", "/" + PAGE, "--rate", "%g" % rate,
            "--num-conns", str(conns), "--timeout", str(timeout)]
    cmd = (["httperf"] + opts + ["--hog"] if client == "httperf"
           else [sys.executable, HTTPLOAD] + opts)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def httperf_result(p, rate, seconds):
    out = p.communicate()[0]
    r = {"offered": rate, "conns": max(1, int(round(rate * seconds)))}
    m = HTTPERF_RE["conns"].search(out)
    if not m:
        r.update(replies=0, errors=r["conns"], duration=seconds, loss_free=False,
                 raw=out[-400:])
        return r
    r["requests"], r["replies"], r["duration"] = int(m.group(2)), int(m.group(3)), float(m.group(4))
    e = HTTPERF_RE["errors"].search(out)
    r["errors"] = int(e.group(1)) if e else 0
    r["error_detail"] = dict(zip(("client_timo", "socket_timo", "connrefused", "connreset"),
                                 map(int, e.groups()[1:]))) if e else {}
    c = HTTPERF_RE["cpu"].search(out)
    r["client_cpu_s"] = round(float(c.group(1)) + float(c.group(2)), 2) if c else None
    # Replies per second over the client's own test window, which runs on
    # past the last request until the last reply (or its timeout).
    r["reply_rate"] = round(r["replies"] / max(r["duration"], 1e-3), 2)
    # Loss-free: no error, 99 % of the requests answered, and the server
    # kept up (a server that falls behind stretches the test window).
    r["loss_free"] = (r["errors"] == 0 and r["replies"] >= 0.99 * r["conns"]
                      and r["reply_rate"] >= 0.95 * rate)
    return r


def probe(server, qemu_pid, rates, seconds, client="httpload"):
    """Run one client per tenant in @rates ({tenant: req/s}) at once;
    returns the per-tenant results and what was measured meanwhile."""
    a = Snapshot(server, qemu_pid)
    procs = {t: client_start(t, r, seconds, client) for t, r in rates.items() if r > 0}
    res = {t.label: httperf_result(p, rates[t], seconds) for t, p in procs.items()}
    b = Snapshot(server, qemu_pid)
    return {"rates": {t.label: r for t, r in rates.items()}, "clients": res,
            "measured": delta(a, b, server)}
