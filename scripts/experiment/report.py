"""Summaries, plots (gnuplot, PNG) and report.md from an experiment's data.

Every number in the report is computed here from OUT/points/*/rep*.json;
the verdict rules are fixed below, before any data is read, and printed in
the report next to the numbers they judge.
"""
import csv
import json
import os
import platform
import statistics
import subprocess

import plan

DROP_KEYS = ("drop-rate", "drop-buffer", "drop-ring-full", "drop-length", "drop-vlan",
             "drop-link-down", "tx-drop-spoof", "tx-drop-bad")

# The papers' figures (../shared/seeds/000_*.txt, 001_*.txt).
PAPER = {
    "single": "1500 replies/s, one VM alone on the proposed device (LQN model, Fig. 9a)",
    "best-effort": "850 replies/s per stream, two VMs, no QoS (Fig. 10a)",
    "device-qos": "VM1 reaches 1500 replies/s when VM2 is constrained at the device, "
                  "VM2 follows its constraint (150..950 req/s) (Fig. 10b)",
    "software-qos": "VM1 does not gain when VM2 is constrained with tc in Xen's IDD; about "
                    "475 replies/s consolidated (Fig. 3, Fig. 5a)",
    "consolidation": "950 req/s per stream with the IDD's CPU saturated (existing) vs 1500 "
                     "(proposed): about 60 % more, and the IDD's CPU almost idle (Fig. 8, 9)",
}

# Verdict rules: (claim, how it is measured, reproduced if, partly if).
RULES = {
    "C1": "two equal tenants each get about half of one tenant alone: "
          "be-vf per-stream / single-vf in [0.40, 0.60] reproduced, [0.30, 0.75] partly",
    "C2": "device QoS frees capacity for VM1: VM1(dev-ingress, tightest) / VM1(be-vf) "
          ">= 1.4 reproduced, >= 1.1 partly (paper 1500/850 = 1.76)",
    "C3": "VM1 under tight device QoS comes within 10 % of one tenant alone: "
          "VM1(dev-ingress, tightest) / single-vf >= 0.90 reproduced, >= 0.75 partly",
    "C4": "software QoS in the server does not free capacity for VM1: VM1(sw-egress, tightest) "
          "/ VM1(be-br) < 1.1 reproduced, < 1.4 partly (paper: about 1.0)",
    "C5": "the proposed architecture serves about 60 % more per stream: be-vf / be-br "
          ">= 1.4 reproduced, >= 1.1 partly (paper 1500/950 = 1.58)",
    "C6": "the server (L1, the driver domain) spends far less CPU per request with VFs: "
          "L1 CPU per request be-vf / be-br <= 0.5 reproduced, <= 0.8 partly",
    "C7": "dropping at the device spares the constrained tenant's CPU: VM2's CPU per "
          "offered request, dev-ingress / sw-both at the tightest constraint <= 0.7 "
          "reproduced, <= 0.9 partly",
}


def command_line(cfg):
    """The command that reproduces this run: its options that differ from
    the defaults (scripts/experiment.sh)."""
    if cfg.get("quick"):
        return "--quick"
    args = ["all"]
    for key, opt, default in (("reps", "--reps", 3), ("mode", "--mode", "vm"),
                              ("line_rate_mbps", "--line-rate", 10),
                              ("page_bytes", "--page", 7168), ("seconds", "--seconds", 10),
                              ("client", "--client", "httpload")):
        if key in cfg and cfg[key] != default:
            val = cfg[key]
            args.append("%s %s" % (opt, int(val) if isinstance(val, float) and val.is_integer() else val))
    return " ".join(args)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def mmm(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), statistics.median(xs), max(xs)) if xs else (None, None, None)


def load(out):
    pts = {}
    base = os.path.join(out, "points")
    for pid in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        reps = []
        for f in sorted(os.listdir(os.path.join(base, pid))):
            if f.endswith(".json"):
                with open(os.path.join(base, pid, f)) as fh:
                    reps.append(json.load(fh))
        if reps:
            pts[pid] = reps
    return pts


def best_probe(rec, label):
    probes = rec["search"]["probes"]
    ok = [p for p in probes if p["clients"].get(label, {}).get("loss_free")]
    pool = ok or [p for p in probes if label in p["clients"]]
    return max(pool, key=lambda p: (p["rates"][label], p["clients"][label].get("reply_rate", 0)))


def fn_of(measured, vf):
    f = measured["functions"]
    return f.get(str(vf + 1), f.get(vf + 1, {}))


def rep_summary(rec):
    """The numbers of one repetition, taken at VM1's best probe."""
    labels = [l for l in ("VM1", "VM2") if l in rec["search"]["max_loss_free"]]
    p = best_probe(rec, labels[0])
    m = p["measured"]
    s = {"max": {}, "reply_rate": {}, "replies": {}, "cpu_per_req_ms": {}, "cpu_util": {},
         "drops": {}}
    total = 0
    for l in labels:
        bp = best_probe(rec, l)
        s["max"][l] = rec["search"]["max_loss_free"][l]
        s["reply_rate"][l] = bp["clients"][l].get("reply_rate", 0)
        c = p["clients"][l]
        s["replies"][l] = c.get("replies", 0)
        total += c.get("replies", 0)
        t = m["tenants"].get(l, {})
        cpu = t.get("guest_cpu_s")
        s["cpu_per_req_ms"][l] = 1000.0 * cpu / c["replies"] if cpu is not None and c.get("replies") else None
        s["cpu_util"][l] = t.get("cpu_util")
        s["offered"] = p["rates"][l]
        vf = int(l[2:]) - 1
        fn = fn_of(m, vf) if rec["point"]["arch"] == "vf" else fn_of(m, -1)
        s["drops"][l] = {k: fn.get(k, 0) for k in DROP_KEYS if fn.get(k, 0)}
    # Requests VM2 was offered at that probe (for CPU per offered request).
    if "VM2" in p["clients"]:
        s["vm2_cpu_per_offered_ms"] = (1000.0 * m["tenants"].get("VM2", {}).get("guest_cpu_s", 0)
                                       / max(1, p["clients"]["VM2"]["conns"]))
    s["l1_cpu_per_req_ms"] = 1000.0 * m["l1_own_cpu_s"] / max(1, total)
    s["l1_cpu"] = m["l1_cpu"]
    s["wire_tx_util"] = m.get("wire_tx_util")
    s["wire_rx_util"] = m.get("wire_rx_util")
    s["wire_tx_mbps"] = m["wire_tx_mbps"]
    s["wire_rx_mbps"] = m["wire_rx_mbps"]
    s["l0_threads_cpu_s"] = m["l0_threads_cpu_s"]
    s["seconds"] = m["seconds"]
    s["segments_per_request"] = m["client_tcp_segments"] / max(1, total)
    return s


def summarize(pts):
    summ = {}
    for pid, reps in pts.items():
        rs = [rep_summary(r) for r in reps]
        e = {"reps": len(rs), "point": reps[0]["point"], "constraint": reps[0].get("constraint"),
             "rep": rs}
        for l in ("VM1", "VM2"):
            if l in rs[0]["max"]:
                e["max_" + l] = mmm([r["max"][l] for r in rs])
                e["rate_" + l] = mmm([r["reply_rate"][l] for r in rs])
                e["cpu_ms_" + l] = mmm([r["cpu_per_req_ms"][l] for r in rs])
                e["cpu_util_" + l] = mmm([r["cpu_util"][l] for r in rs])
        e["l1_ms"] = mmm([r["l1_cpu_per_req_ms"] for r in rs])
        e["wire_tx_util"] = mmm([r["wire_tx_util"] for r in rs])
        e["vm2_cpu_per_offered_ms"] = mmm([r.get("vm2_cpu_per_offered_ms") for r in rs])
        summ[pid] = e
    return summ


def write_csv(out, summ):
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["point", "rep", "arch", "qos", "vm2_constraint_reqs", "offered_at_vm1_max",
                    "vm1_max_loss_free", "vm2_max_loss_free", "vm1_reply_rate", "vm2_reply_rate",
                    "l1_cpu_ms_per_req", "vm1_cpu_ms_per_req", "vm2_cpu_ms_per_req",
                    "vm1_cpu_util", "vm2_cpu_util", "wire_tx_mbps", "wire_rx_mbps",
                    "wire_tx_util", "segments_per_request", "l1_cpu_per_vcpu",
                    "qemu_threads_cpu_s", "drops_vm1", "drops_vm2"])
        for pid, e in sorted(summ.items()):
            c = e["constraint"] or {}
            for k, r in enumerate(e["rep"], 1):
                w.writerow([pid, k, e["point"]["arch"], e["point"]["qos"] or "", c.get("reqs", ""),
                            r["offered"], r["max"].get("VM1"), r["max"].get("VM2", ""),
                            r["reply_rate"].get("VM1"), r["reply_rate"].get("VM2", ""),
                            fmt(r["l1_cpu_per_req_ms"]), fmt(r["cpu_per_req_ms"].get("VM1")),
                            fmt(r["cpu_per_req_ms"].get("VM2")), r["cpu_util"].get("VM1"),
                            r["cpu_util"].get("VM2", ""), r["wire_tx_mbps"], r["wire_rx_mbps"],
                            r["wire_tx_util"], fmt(r["segments_per_request"]),
                            json.dumps(r["l1_cpu"], sort_keys=True),
                            json.dumps(r["l0_threads_cpu_s"], sort_keys=True),
                            json.dumps(r["drops"].get("VM1", {})),
                            json.dumps(r["drops"].get("VM2", {}))])


def fmt(x, nd=2):
    return "" if x is None else ("%.*f" % (nd, x))


# ------------------------------------------------------------------ plots
def gnuplot(out, name, script):
    path = os.path.join(out, name + ".gp")
    with open(path, "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", path], cwd=out, check=True)


def sweep_dat(out, summ, prefix):
    """series.dat: constraint, VM1 min/med/max, VM2 min/med/max."""
    rows = []
    for pid, e in summ.items():
        if pid.startswith(prefix + "-") and e["constraint"]:
            rows.append((e["constraint"]["reqs"],) + e["max_VM1"] + e["max_VM2"]
                        + e["l1_ms"] + e["cpu_util_VM2"])
    rows.sort()
    path = os.path.join(out, prefix + ".dat")
    with open(path, "w") as f:
        f.write("# constraint vm1(min med max) vm2(min med max) l1_ms(min med max) "
                "vm2_util(min med max)\n")
        for r in rows:
            f.write(" ".join("%g" % (x if x is not None else 0) for x in r) + "\n")
    return bool(rows)


def plot_all(out, summ):
    made = []
    ref = {}
    for pid in ("single-vf", "single-br", "be-vf", "be-br"):
        if pid in summ:
            ref[pid] = summ[pid]["max_VM1"][1]
    have = {p: sweep_dat(out, summ, p) for p in ("sw-egress", "sw-both", "dev-ingress", "dev-both")}
    head = ("set terminal pngcairo size 1400,560 font 'Sans,11'\n"
            "set grid\nset key top right font ',9'\nset xrange [0:*]\n"
            "set xlabel \"VM2's constraint (requests/s)\"\n")

    def refs(arch):
        s = ""
        for pid, lbl, dt in (("single-" + arch, "one tenant alone", 3),
                             ("be-" + arch, "best effort, per stream", 2)):
            if pid in ref:
                s += ", %g w l dt %d lc rgb 'gray40' t '%s'" % (ref[pid], dt, lbl)
        return s

    def panel(series, arch, title):
        plots = []
        for s, lw in zip(series, (2, 1)):
            if have.get(s):
                plots.append("'%s.dat' u 1:3:2:4 w yerrorlines lw %d lc rgb '#1f77b4' t 'VM1 (%s)'"
                             % (s, lw, s))
                plots.append("'%s.dat' u 1:6:5:7 w yerrorlines lw %d lc rgb '#d62728' t 'VM2 (%s)'"
                             % (s, lw, s))
        if not plots:
            return "set title '%s (no data)'\nplot 0 notitle\n" % title
        return "set title '%s'\nplot %s%s\n" % (title, ", ".join(plots), refs(arch))

    if any(have.values()):
        gnuplot(out, "fig-qos", head + "set output 'fig-qos.png'\nset multiplot layout 1,2\n"
                "set ylabel 'max. loss-free replies/s'\nset yrange [0:*]\n"
                + panel(("sw-egress", "sw-both"), "br",
                        "(a) software QoS in the server (bridge, tc)")
                + panel(("dev-ingress", "dev-both"), "vf", "(b) QoS at the device (VFs)")
                + "unset multiplot\n")
        made.append("fig-qos.png")
        cpu = []
        for s, col in (("sw-egress", "#9467bd"), ("sw-both", "#8c564b"),
                       ("dev-ingress", "#2ca02c"), ("dev-both", "#17becf")):
            if have.get(s):
                cpu.append((s, col))
        p1 = ", ".join("'%s.dat' u 1:9:8:10 w yerrorlines lc rgb '%s' t '%s'" % (s, c, s)
                       for s, c in cpu)
        p2 = ", ".join("'%s.dat' u 1:($12*100):($11*100):($13*100) w yerrorlines lc rgb '%s' t '%s'"
                       % (s, c, s) for s, c in cpu)
        gnuplot(out, "fig-cpu", head + "set output 'fig-cpu.png'\nset multiplot layout 1,2\n"
                "set yrange [0:*]\nset title '(a) the server (L1): CPU per request served'\n"
                "set ylabel 'ms of L1 CPU per reply'\nplot %s\n"
                "set title \"(b) VM2's CPU while constrained\"\nset ylabel 'VM2 CPU busy %%'\n"
                "plot %s\nunset multiplot\n" % (p1, p2))
        made.append("fig-cpu.png")
    cons = [(pid, lbl) for pid, lbl in (("be-br", "existing (bridge in L1)"),
                                        ("be-vf", "proposed (VF per VM)")) if pid in summ]
    if cons:
        with open(os.path.join(out, "consolidation.dat"), "w") as f:
            f.write("# arch vm1 vm1min vm1max vm2 vm2min vm2max l1ms vm1ms vm2ms\n")
            for pid, lbl in cons:
                e = summ[pid]
                f.write('"%s" %g %g %g %g %g %g %g %g %g\n' % (
                    lbl, e["max_VM1"][1], e["max_VM1"][0], e["max_VM1"][2],
                    e["max_VM2"][1], e["max_VM2"][0], e["max_VM2"][2],
                    e["l1_ms"][1] or 0, e["cpu_ms_VM1"][1] or 0, e["cpu_ms_VM2"][1] or 0))
        gnuplot(out, "fig-consolidation",
                "set terminal pngcairo size 1400,560 font 'Sans,11'\nset output "
                "'fig-consolidation.png'\nset multiplot layout 1,2\nset grid y\n"
                "set style data histogram\nset style histogram errorbars gap 2 lw 1\n"
                "set style fill solid 0.8 border -1\nset yrange [0:*]\nset key top left\n"
                "set title '(a) max. loss-free replies/s per stream, two tenants'\n"
                "set ylabel 'replies/s'\n"
                "plot 'consolidation.dat' u 2:3:4:xtic(1) t 'VM1' lc rgb '#1f77b4', "
                "'' u 5:6:7 t 'VM2' lc rgb '#d62728'\n"
                "set style histogram clustered gap 2\n"
                "set title '(b) CPU per reply at that load'\nset ylabel 'ms of CPU per reply'\n"
                "plot 'consolidation.dat' u 8:xtic(1) t 'server (L1)' lc rgb 'gray50', "
                "'' u 9 t 'VM1' lc rgb '#1f77b4', '' u 10 t 'VM2' lc rgb '#d62728'\n"
                "unset multiplot\n")
        made.append("fig-consolidation.png")
    return made


# ----------------------------------------------------------------- report
def verdict(x, good, partly, lower_is_better=False):
    if x is None:
        return "no data"
    if lower_is_better:
        return "reproduced" if x <= good else ("partly" if x <= partly else "not reproduced")
    return "reproduced" if x >= good else ("partly" if x >= partly else "not reproduced")


def ratio(a, b):
    return a / b if a is not None and b else None


def tightest(summ, prefix):
    c = [(e["constraint"]["reqs"], pid) for pid, e in summ.items()
         if pid.startswith(prefix + "-") and e["constraint"]]
    return summ[min(c)[1]] if c else None


def claims(summ):
    g = lambda pid, k="max_VM1": summ[pid][k][1] if pid in summ else None  # noqa: E731
    out = []
    be, single = g("be-vf"), g("single-vf")
    r = ratio(be, single)
    v = "no data" if r is None else ("reproduced" if 0.40 <= r <= 0.60 else
                                     "partly" if 0.30 <= r <= 0.75 else "not reproduced")
    out.append(("C1", r, v, "be-vf %s / single-vf %s" % (fmt(be, 0), fmt(single, 0))))
    t = tightest(summ, "dev-ingress")
    vm1d = t["max_VM1"][1] if t else None
    r = ratio(vm1d, be)
    out.append(("C2", r, verdict(r, 1.4, 1.1), "VM1 %s at VM2 <= %s req/s / VM1 best effort %s"
                % (fmt(vm1d, 0), fmt(t["constraint"]["reqs"], 0) if t else "?", fmt(be, 0))))
    r = ratio(vm1d, single)
    out.append(("C3", r, verdict(r, 0.90, 0.75), "VM1 %s / single %s" % (fmt(vm1d, 0), fmt(single, 0))))
    t = tightest(summ, "sw-egress")
    vm1s, beb = (t["max_VM1"][1] if t else None), g("be-br")
    r = ratio(vm1s, beb)
    v = "no data" if r is None else ("reproduced" if r < 1.1 else "partly" if r < 1.4
                                     else "not reproduced")
    out.append(("C4", r, v, "VM1 %s at VM2 <= %s req/s / VM1 best effort %s (bridge)"
                % (fmt(vm1s, 0), fmt(t["constraint"]["reqs"], 0) if t else "?", fmt(beb, 0))))
    r = ratio(be, beb)
    out.append(("C5", r, verdict(r, 1.4, 1.1), "per stream be-vf %s / be-br %s" % (fmt(be, 0), fmt(beb, 0))))
    l1v, l1b = g("be-vf", "l1_ms"), g("be-br", "l1_ms")
    r = ratio(l1v, l1b)
    out.append(("C6", r, verdict(r, 0.5, 0.8, lower_is_better=True),
                "L1 ms/reply %s (VFs) / %s (bridge)" % (fmt(l1v), fmt(l1b))))
    td, ts = tightest(summ, "dev-ingress"), tightest(summ, "sw-both")
    a = td["vm2_cpu_per_offered_ms"][1] if td else None
    b = ts["vm2_cpu_per_offered_ms"][1] if ts else None
    r = ratio(a, b)
    out.append(("C7", r, verdict(r, 0.7, 0.9, lower_is_better=True),
                "VM2 ms per offered request %s (device) / %s (software)" % (fmt(a), fmt(b))))
    return out


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return "%s, %d CPUs (%s), kernel %s" % (platform.node(), os.cpu_count(), cpu, platform.release())


def table(summ, pids, cols):
    lines = ["| point | " + " | ".join(c[0] for c in cols) + " |",
             "|---" * (len(cols) + 1) + "|"]
    for pid in pids:
        if pid in summ:
            lines.append("| %s | %s |" % (pid, " | ".join(c[1](summ[pid]) for c in cols)))
    return "\n".join(lines)


def rng(t, nd=0):
    if t is None or t[1] is None:
        return "-"
    return "%s (%s-%s)" % (fmt(t[1], nd), fmt(t[0], nd), fmt(t[2], nd)) if t[0] != t[2] else fmt(t[1], nd)


def run_time(out):
    path = os.path.join(out, "sessions.json")
    if not os.path.exists(path):
        return "-"
    with open(path) as f:
        sessions = json.load(f)
    secs = sum(x["seconds"] for x in sessions)
    return "%d h %02d min in %d session(s), the outer guest's boot excluded" % (
        secs // 3600, secs % 3600 // 60, len(sessions))


def generate(out):
    pts = load(out)
    summ = summarize(pts)
    write_csv(out, summ)
    figs = plot_all(out, summ)
    with open(os.path.join(out, "config.json")) as f:
        cfg = json.load(f)
    cal = {}
    if os.path.exists(os.path.join(out, "calibration.json")):
        with open(os.path.join(out, "calibration.json")) as f:
            cal = json.load(f)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump({k: {kk: vv for kk, vv in v.items() if kk != "rep"} for k, v in summ.items()},
                  f, indent=1, sort_keys=True)
    cols = [("VM2 constraint req/s", lambda e: fmt((e["constraint"] or {}).get("reqs"), 0) or "-"),
            ("VM1 max loss-free req/s", lambda e: rng(e.get("max_VM1"))),
            ("VM2 max loss-free req/s", lambda e: rng(e.get("max_VM2"))),
            ("VM1 replies/s", lambda e: rng(e.get("rate_VM1"))),
            ("L1 ms/reply", lambda e: rng(e.get("l1_ms"), 2)),
            ("VM1 ms/reply", lambda e: rng(e.get("cpu_ms_VM1"), 2)),
            ("VM2 CPU %", lambda e: rng(tuple(x * 100 if x is not None else None
                                              for x in e.get("cpu_util_VM2", (None,) * 3)), 0)),
            ("wire TX %", lambda e: rng(tuple(x * 100 if x is not None else None
                                              for x in e.get("wire_tx_util", (None,) * 3)), 0))]
    order = sorted(summ, key=lambda p: (p.split("-")[0], p))
    L = ["# qosvnic: the papers' experiments, reproduced", ""]
    L += ["Generated by `scripts/experiment/report.py` from the raw data in this directory "
          "(`points/*/rep*.json`, `results.csv`).", ""]
    L += ["| setting | value |", "|---|---|",
          "| command | `./qosvnic experiment %s` |" % command_line(cfg),
          "| started | %s |" % cfg.get("started"),
          "| run time | %s |" % run_time(out),
          "| machine | %s |" % machine(),
          "| tenants | %s |" % ("VMs (L2) inside the server (L1)" if cfg["mode"] == "vm"
                               else "network namespaces of the server (quick mode)"),
          "| modelled wire | %s Mbit/s (device property line-rate) |" % cfg["line_rate_mbps"],
          "| page | %d bytes; %s TCP segments per request measured at the clients |"
          % (cfg["page_bytes"], fmt(cal.get("segments_per_request"), 1)),
          "| bytes per request at the device | %s out, %s in (mean incoming frame %s bytes) |"
          % (fmt(cal.get("out_bytes"), 0), fmt(cal.get("in_bytes"), 0), fmt(cal.get("in_frame"), 0)),
          "| probe length, repetitions | %g s, %d |" % (cfg["seconds"], cfg["reps"]), ""]
    L += ["## Figures", ""] + ["![%s](%s)" % (f, f) for f in figs] + [""]
    L += ["## Results (median, min-max over repetitions)", "",
          table(summ, order, cols), ""]
    L += ["## The papers' claims", "",
          "Judged by shape and ratios, not absolute replies/s (our machine, emulation and "
          "scale differ). Rules, fixed before the data: ", ""]
    L += ["- **%s**: %s" % (k, v) for k, v in RULES.items()]
    L += ["", "| claim | paper | measured | ratio | verdict |", "|---|---|---|---|---|"]
    paper_of = {"C1": PAPER["best-effort"], "C2": PAPER["device-qos"], "C3": PAPER["device-qos"],
                "C4": PAPER["software-qos"], "C5": PAPER["consolidation"],
                "C6": PAPER["consolidation"], "C7": "excess requests dropped at the device "
                "spare the server's resources (Sec. 7 text)"}
    for k, r, v, what in claims(summ):
        L.append("| %s | %s | %s | %s | **%s** |" % (k, paper_of[k], what, fmt(r), v))
    L.append("")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "deviations.md")) as f:
        L += [f.read()]
    notes = os.path.join(out, "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            L += [f.read()]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    return summ
