#!/usr/bin/env python3
"""Run the papers' experiments on the nested set-up and write raw data,
plots and a report. Started by scripts/experiment.sh as the host side of
scripts/vms.sh (the outer guest's command channel is fd 5; VMS_ROOT,
VMS_QMP and VMS_QEMU_PID are in the environment).

Data: OUT/points/POINT/repK.json, one file per repetition of a point,
written when it is complete; a point whose file exists is not run again, so
an interrupted run resumes where it stopped (with the same settings:
OUT/config.json). OUT/calibration.json holds the bytes per request measured
in the "single" point, from which every constraint is derived.
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import control  # noqa: E402
import measure  # noqa: E402
import plan  # noqa: E402
import report  # noqa: E402
import search  # noqa: E402
from tenants import Server  # noqa: E402

T0 = time.monotonic()


def log(msg):
    print("[%6.0fs] %s" % (time.monotonic() - T0, msg), flush=True)


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


def read_json(path):
    with open(path) as f:
        return json.load(f)


def best_probe(rec, label):
    """The probe at @label's highest loss-free rate (or its best one)."""
    probes = rec["search"]["probes"]
    ok = [p for p in probes if p["clients"][label]["loss_free"]]
    pool = ok or probes
    return max(pool, key=lambda p: (p["rates"][label], p["clients"][label].get("reply_rate", 0)))


def calibrate(out, reps_data):
    """Bytes per request in each direction at VM1's VF, from single-vf."""
    vals = []
    for rec in reps_data:
        p = best_probe(rec, "VM1")
        c = p["clients"]["VM1"]
        fn = p["measured"]["functions"]["1"] if "1" in p["measured"]["functions"] \
            else p["measured"]["functions"][1]
        replies = max(1, c["replies"])
        vals.append({
            "single_max": c.get("reply_rate", 0),
            "out_bytes": fn["tx-bytes"] / replies,
            "in_bytes": fn["rx-bytes"] / replies,
            "in_frame": fn["rx-bytes"] / max(1, fn["rx-packets"]),
            "segments_per_request": p["measured"]["client_tcp_segments"] / replies,
        })
    cal = {k: round(statistics.median(v[k] for v in vals), 2) for k in vals[0]}
    write_json(os.path.join(out, "calibration.json"), cal)
    log("calibration: %s" % json.dumps(cal))
    return cal


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("experiments", help="comma-separated: %s, or all" % ", ".join(plan.EXPERIMENTS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--mode", choices=("vm", "ns"), default="vm")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--page", type=int, default=7168)
    ap.add_argument("--client", choices=("httpload", "httperf"), default="httpload")
    args = ap.parse_args()

    names = plan.EXPERIMENTS if args.experiments == "all" else args.experiments.split(",")
    for n in names:
        plan.points_of(n, args.quick)           # validates the names

    qmp = control.Qmp(os.environ["VMS_QMP"])
    line_rate = qmp.device()["line-rate"]
    config = {"quick": args.quick, "reps": 1 if args.quick else args.reps, "mode": args.mode,
              "seconds": args.seconds, "page_bytes": args.page, "line_rate_mbps": line_rate,
              "client": args.client}
    cfg_path = os.path.join(args.out, "config.json")
    started = started_now = datetime.datetime.now().isoformat(timespec="seconds")
    if os.path.exists(cfg_path):
        old = read_json(cfg_path)
        if {k: old.get(k) for k in config} != config:
            sys.exit("experiment: %s was made with other settings (%s); use another --out "
                     "or remove it" % (args.out, json.dumps({k: old.get(k) for k in config})))
        started = old.get("started", started)
    write_json(cfg_path, dict(config, started=started))

    l1 = control.L1(control.Channel(5), os.environ["VMS_ROOT"])
    server = Server(l1, qmp, args.mode, args.page, log)
    qemu_pid = int(os.environ["VMS_QEMU_PID"])

    def reps_of(pid):
        d = os.path.join(args.out, "points", pid)
        return [read_json(os.path.join(d, f)) for f in sorted(os.listdir(d))
                if f.endswith(".json")] if os.path.isdir(d) else []

    def run_point(pt, rep, cal):
        path = os.path.join(args.out, "points", pt["id"], "rep%d.json" % rep)
        if os.path.exists(path):
            log("%s rep %d: done before, kept" % (pt["id"], rep))
            return
        server.use(pt["arch"])
        c = plan.apply_qos(server, pt, cal) if cal else None
        loaded = [server.tenants[i - 1] for i in pt["tenants"]]
        labels = [t.label for t in loaded]
        out_bytes = cal["out_bytes"] if cal else args.page + 1500
        wire = plan.wire_req_per_s(line_rate, out_bytes) or 1000.0
        log("%s rep %d: %s tenants %s%s" % (
            pt["id"], rep, pt["arch"], ",".join(labels),
            ", VM2 constrained to %.0f req/s" % c["reqs"] if c else ""))

        def run_probe(rate):
            return measure.probe(server, qemu_pid, {t: rate for t in loaded}, args.seconds,
                                 args.client)

        if args.quick:
            rate = round(0.5 * wire, 1)
            p = run_probe(rate)
            res = {"max_loss_free": {t: rate if p["clients"][t]["loss_free"] else 0.0
                                     for t in labels},
                   "first_loss": {}, "probes": [p], "at_ceiling": {}}
            log("    one probe at %.0f req/s: %s" % (rate, "  ".join(
                "%s %.0f/s" % (t, p["clients"][t].get("reply_rate", 0)) for t in labels)))
        else:
            res = search.search(run_probe, labels, start=round(0.25 * wire, 1),
                                ceiling=round(1.25 * wire, 1),
                                resolution=max(2.0, round(0.04 * wire, 1)), log=log)
        server.qos_clear()
        write_json(path, {"point": pt, "rep": rep, "constraint": c, "calibration": cal,
                          "line_rate_mbps": line_rate, "seconds": args.seconds,
                          "mode": args.mode, "search": res,
                          "finished": datetime.datetime.now().isoformat(timespec="seconds")})
        log("%s rep %d: max loss-free %s" % (pt["id"], rep, "  ".join(
            "%s %.0f req/s" % (t, v) for t, v in res["max_loss_free"].items())))

    reps = 1 if args.quick else args.reps
    cal_path = os.path.join(args.out, "calibration.json")
    cal = read_json(cal_path) if os.path.exists(cal_path) else None
    single = plan.points_of("single", args.quick)[0]
    if cal is None:
        for r in range(1, reps + 1):
            run_point(single, r, None)
        cal = calibrate(args.out, reps_of(single["id"]))
    for name in names:
        log("== experiment %s" % name)
        for pt in plan.points_of(name, args.quick):
            for r in range(1, reps + 1):
                run_point(pt, r, cal)
    server.down()
    # Time spent by every invocation on this output (a run may be resumed).
    sessions_path = os.path.join(args.out, "sessions.json")
    sessions = read_json(sessions_path) if os.path.exists(sessions_path) else []
    sessions.append({"started": started_now, "seconds": round(time.monotonic() - T0),
                     "experiments": list(names)})
    write_json(sessions_path, sessions)
    log("== plots and report")
    report.generate(args.out)
    log("done: %s" % os.path.join(args.out, "report.md"))


if __name__ == "__main__":
    main()
