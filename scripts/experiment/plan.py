"""The experiments (names a researcher types) and the points they measure.

A point is one configuration: architecture, which tenants are loaded, and
the constraint on VM2. Experiments share points (consolidation reuses the
best-effort ones), and a point that has its data is never run again.

Constraints are in requests/s of VM2 and become bandwidth through the
bytes one request moves in each direction, measured at the device in the
"single" point (the papers' "network bandwidth used by a single VM to
support different httperf request rates").
"""
import math

FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.9)   # VM2's constraint / single-tenant max
QUICK_FRACTION = 0.3
MTU_FRAME = 1514                         # a full-size Ethernet frame
BURST_PACKETS = 10                       # the papers' burst of 10 packets

EXPERIMENTS = ("single", "best-effort", "software-qos", "device-qos", "consolidation")

SERIES = {
    "software-qos": (("sw-egress", "tc htb+tbf on VM2's outgoing traffic (L1)"),
                     ("sw-both", "... and tc police on VM2's incoming traffic (L1)")),
    "device-qos": (("dev-ingress", "device ingress policer on VM2's VF"),
                   ("dev-both", "... and the device's egress shaper on VM2's VF")),
}


def point(pid, arch, tenants, qos=None, fraction=None):
    return {"id": pid, "arch": arch, "tenants": tenants, "qos": qos, "fraction": fraction}


def points_of(name, quick):
    fr = (QUICK_FRACTION,) if quick else FRACTIONS
    if name == "single":
        return [point("single-vf", "vf", [1])] + ([] if quick else [point("single-br", "br", [1])])
    if name == "best-effort":
        return [point("be-vf", "vf", [1, 2])]
    if name == "consolidation":
        return [point("be-br", "br", [1, 2])] + ([] if quick else [point("be-vf", "vf", [1, 2])])
    if name in SERIES:
        arch = "br" if name == "software-qos" else "vf"
        series = SERIES[name][1:] if quick else SERIES[name]
        return [point("%s-%.2f" % (s, f), arch, [1, 2], qos=s, fraction=f)
                for s, _ in series for f in fr]
    raise ValueError("unknown experiment %s (one of %s)" % (name, ", ".join(EXPERIMENTS)))


def wire_req_per_s(line_rate_mbps, out_bytes):
    """Requests/s that fill the modelled wire with replies (0: unmodelled)."""
    if not line_rate_mbps:
        return 0.0
    return line_rate_mbps * 1e6 / 8.0 / out_bytes


def constraint(cal, fraction):
    """VM2's constraint for @fraction of the single-tenant maximum: request
    rate, and what it is in bandwidth and bursts for tc and the device."""
    reqs = max(1.0, round(fraction * cal["single_max"], 1))
    egress_bps = reqs * cal["out_bytes"] * 8
    ingress_bps = reqs * cal["in_bytes"] * 8
    return {
        "reqs": reqs,
        "egress_bps": round(egress_bps),
        "egress_burst": BURST_PACKETS * MTU_FRAME,
        # The device's egress ceiling has a 1 Mbit/s granularity.
        "egress_mbps": max(1, int(math.ceil(egress_bps / 1e6))),
        "ingress_bps": round(ingress_bps),
        # Incoming frames are small (SYN, request, ACKs): 10 of them.
        "ingress_burst": int(BURST_PACKETS * cal["in_frame"]),
    }


def apply_qos(server, pt, cal):
    """Set VM2's constraint for point @pt (after clearing every constraint)."""
    server.qos_clear()
    if not pt["qos"]:
        return None
    c = constraint(cal, pt["fraction"])
    vm2 = server.tenants[1]
    if pt["qos"] == "sw-egress":
        server.qos_software(vm2, c["egress_bps"], c["egress_burst"])
    elif pt["qos"] == "sw-both":
        server.qos_software(vm2, c["egress_bps"], c["egress_burst"],
                            c["ingress_bps"], c["ingress_burst"])
    elif pt["qos"] == "dev-ingress":
        server.qos_device(vm2, ingress_bps=c["ingress_bps"], burst=c["ingress_burst"])
    elif pt["qos"] == "dev-both":
        server.qos_device(vm2, ingress_bps=c["ingress_bps"], burst=c["ingress_burst"],
                          egress_mbps=c["egress_mbps"])
    return c
