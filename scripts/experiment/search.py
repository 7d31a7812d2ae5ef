"""The highest loss-free request rate of each tenant, by probing.

"Loss-free" at a rate: httperf reports no error, at least 99 % of the
connections it opened got a reply, and replies came at 95 % of the offered
rate or more, i.e. the server kept up (measure.httperf_result). Every tenant
that takes part is offered the same rate at each probe (equal demand, as in
the papers' consolidated runs). One search finds every tenant's threshold:
each probe narrows the bracket [highest rate seen loss-free, lowest rate
seen lossy] of every tenant, and the next probe goes to the middle of the
widest bracket still open, until every bracket is narrower than the
resolution. The search starts at @start and doubles until each tenant has
lost once or @ceiling is reached.
"""


def search(run_probe, labels, start, ceiling, resolution, log, max_probes=14):
    good = {t: 0.0 for t in labels}
    bad = {t: None for t in labels}
    probes = []
    rate = min(start, ceiling)
    while len(probes) < max_probes:
        p = run_probe(rate)
        probes.append(p)
        for t in labels:
            ok = p["clients"][t]["loss_free"]
            if ok and rate > good[t]:
                good[t] = rate
            if not ok and (bad[t] is None or rate < bad[t]):
                bad[t] = rate
            if bad[t] is not None and good[t] >= bad[t]:
                good[t] = max(r for r in [0.0] + [q["rates"][t] for q in probes
                                                  if q["clients"][t]["loss_free"]
                                                  and q["rates"][t] < bad[t]])
        log("    probe %3d req/s: %s" % (rate, "  ".join(
            "%s %s %.0f/s" % (t, "ok  " if p["clients"][t]["loss_free"] else "LOSS",
                              p["clients"][t].get("reply_rate", 0)) for t in labels)))
        # Next rate: double while some tenant never lost, else bisect.
        open_up = [t for t in labels if bad[t] is None and good[t] < ceiling]
        if open_up:
            nxt = min(ceiling, rate * 2)
            if nxt <= rate:
                break
            rate = nxt
            continue
        widths = {t: bad[t] - good[t] for t in labels if bad[t] is not None}
        t = max(widths, key=widths.get) if widths else None
        if t is None or widths[t] <= resolution:
            break
        rate = round((good[t] + bad[t]) / 2.0, 1)
    return {"max_loss_free": good, "first_loss": bad, "probes": probes,
            "at_ceiling": {t: bad[t] is None for t in labels}}
