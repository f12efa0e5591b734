"""Short-time work (activité partielle): requests (SOURCES.md 6) and monthly consumption (7). Firms
ask in distress, and massively during the national health shock (motif 5) and the energy shock
(motif 2); renewals overlap the previous request."""

from __future__ import annotations

import numpy as np

from signaux_spark.synthetic import encoders as enc
from signaux_spark.synthetic import reference as ref
from signaux_spark.synthetic.calendar import day_of, month_number, month_of, months_later
from signaux_spark.synthetic.context import Context
from signaux_spark.synthetic.files import batch_of, extraction_day
from signaux_spark.synthetic.process import CLOSED, PLAN
from signaux_spark.synthetic.records import Records

REQUEST = np.array([0.0004, 0.003, 0.012, 0.02, 0.015, 0.02, 0.004, 0.0, 0.0])  # by state, per month
HOURLY_ALLOWANCE = 8.03  # euros per hour not worked
MAX_SITES_IN_SHOCK = 20
HEALTH_SHOCK = [("2020-03", 0.55), ("2020-04", 0.35), ("2020-05", 0.12), ("2020-06", 0.12)] + [
    (f"{y}-{m:02d}", 0.06) for y, ms in ((2020, range(7, 13)), (2021, range(1, 7))) for m in ms
]
ENERGY_SHOCK = [(f"{y}-{m:02d}", 0.015) for y, ms in ((2022, range(10, 13)), (2023, range(1, 4))) for m in ms]


def short_time_work(ctx: Context) -> tuple[Records, Records]:
    plan, w, s, rs = ctx.plan, ctx.world, ctx.world.sites, ctx.streams
    months = np.arange(plan.history_start, plan.last_batch + 1)
    c = ctx.col(months)
    state = ctx.path.state[:, c].astype(np.int64)
    operating = (state >= 0) & (state <= PLAN) & (ctx.act.headcount[:, c] > 0)
    covid = ref.section_array(4)[w.section]
    energy = ref.section_array(5)[w.section]
    shock = np.zeros((len(w), len(months)))
    motif = np.ones((len(w), len(months)), dtype=np.int64)
    for text, p in HEALTH_SHOCK:
        j = month_number(text) - months[0]
        if 0 <= j < len(months):
            shock[:, j], motif[:, j] = p * covid, 5
    for text, p in ENERGY_SHOCK:
        j = month_number(text) - months[0]
        if 0 <= j < len(months):
            shock[:, j], motif[:, j] = p * energy, 2
    base = REQUEST[np.clip(state, 0, CLOSED)]
    u = rs["ap_request"].uniform(w.firm[:, None], months[None, :]).reshape(len(w), len(months))
    in_shock = u < shock
    ask = operating & (u < shock + base + 0.0003)
    weather = ask & ~in_shock & (u >= shock + base)
    f, j = np.nonzero(ask)
    m = months[j]
    fa = w.firm[f]
    kind_u = rs["ap_motif"].uniform(fa, m)
    req_motif = np.where(
        in_shock[f, j], motif[f, j], np.where(weather[f, j], 3, np.where((state[f, j] >= 2) & (kind_u < 0.3), 4, 1))
    )
    unknown = rs["ap_unknown"].uniform(fa, m) < plan.faults["ap_unknown_motif"]
    req_motif = np.where(unknown, 6 + (kind_u < 0.5), req_motif)

    # Establishments: the largest active one, or all active ones (up to 20) in a national shock.
    col = c[j]
    req_rows, site_rows = [], []
    sites_of = {}
    for r_i, (ff, cc) in enumerate(zip(f, col, strict=True)):
        sites = sites_of.setdefault(ff, np.nonzero(s.firm == ff)[0])
        heads = ctx.site_headcount[sites, cc]
        order = sites[np.argsort(-heads, kind="stable")]
        order = order[ctx.site_headcount[order, cc] > 0]
        take = order[:MAX_SITES_IN_SHOCK] if in_shock[ff, j[r_i]] else order[:1]
        req_rows += [r_i] * len(take)
        site_rows += list(take)
    r = np.array(req_rows, dtype=np.int64)
    site = np.array(site_rows, dtype=np.int64)
    if not len(r):
        empty = Records("ap_demande", np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), [], [enc.blank(0)])
        return empty, Records("ap_consommation", empty.batch, empty.firm, [], [enc.blank(0)])
    firm = f[r]
    fa = w.firm[firm]
    m = months[j[r]]
    shock_req = in_shock[f[r], j[r]]
    key = (fa, s.k[site], m)
    status = day_of(m, rs["ap_status_day"].integers(1, 29, *key))
    start = np.where(
        shock_req,
        day_of(m - (rs["ap_retro"].uniform(*key) < 0.3), 1),
        status + rs["ap_start_lag"].integers(0, 21, *key).astype("timedelta64[D]"),
    )
    length = np.where(shock_req, rs["ap_len"].integers(1, 4, *key), rs["ap_len"].integers(1, 7, *key))
    end = months_later(start, length) - np.timedelta64(1, "D")

    # Renewals overlapping the request (the pitfall `ap_overlap`).
    renew = rs["ap_renew"].uniform(*key) < plan.faults["ap_overlap"]
    ri = np.nonzero(renew)[0]
    r_start = end[ri] - rs["ap_overlap_days"].integers(5, 21, *(x[ri] for x in key)).astype("timedelta64[D]")
    r_status = np.maximum(
        status[ri], r_start - rs["ap_renew_lead"].integers(0, 15, *(x[ri] for x in key)).astype("timedelta64[D]")
    )
    r_length = rs["ap_renew_len"].integers(1, 4, *(x[ri] for x in key))
    firm = np.concatenate([firm, firm[ri]])
    site = np.concatenate([site, site[ri]])
    status = np.concatenate([status, r_status])
    start = np.concatenate([start, r_start])
    end = np.concatenate([end, months_later(r_start, r_length) - np.timedelta64(1, "D")])
    req_motif = np.concatenate([req_motif[r], req_motif[r][ri]])
    shock_req = np.concatenate([shock_req, shock_req[ri]])
    overlap = np.concatenate([np.zeros(len(r), dtype=bool), np.ones(len(ri), dtype=bool)])
    fa = w.firm[firm]
    # Request ids: firm index (7 digits) and the request's rank within the firm (4 digits, below 1000).
    order = np.lexsort((s.k[site], overlap, start.astype(np.int64), fa))
    firm, site, status, start, end, req_motif, shock_req, overlap = (
        x[order] for x in (firm, site, status, start, end, req_motif, shock_req, overlap)
    )
    fa = w.firm[firm]
    first = np.r_[True, fa[1:] != fa[:-1]]
    seq = np.arange(len(fa)) - np.maximum.accumulate(np.where(first, np.arange(len(fa)), 0)) + 1
    keep = seq < 1000
    firm, site, status, start, end, req_motif, shock_req, overlap, seq, fa = (
        x[keep] for x in (firm, site, status, start, end, req_motif, shock_req, overlap, seq, fa)
    )
    ids = enc.cat(enc.zpad(fa, 7), enc.zpad(seq, 4))
    key = (fa, seq)
    smonth = month_of(start)
    eff_etab = ctx.site_headcount[site, np.clip(ctx.col(smonth), 0, ctx.path.state.shape[1] - 1)]
    eff_etab = np.maximum(eff_etab, 1)
    eff_ent = np.maximum(ctx.act.headcount[firm, np.clip(ctx.col(smonth), 0, ctx.path.state.shape[1] - 1)], 1)
    covered = np.maximum(1, np.rint(eff_etab * (0.3 + 0.7 * rs["ap_covered"].uniform(*key)))).astype(np.int64)
    per_month = np.where(shock_req, 60 + 90 * rs["ap_hours"].uniform(*key), 20 + 70 * rs["ap_hours"].uniform(*key))
    days = (end - start).astype(np.int64) + 1
    hta = np.rint(covered * per_month * days / 30.4 * 10) / 10
    usage = 0.3 + 0.65 * rs["ap_usage"].uniform(*key)
    perimetre = np.where(
        shock_req,
        np.where(rs["ap_perimetre"].uniform(*key) < 0.5, 3, 1),
        np.array([1, 1, 1, 2, 2, 2, 4, 1, 2, 1])[rs["ap_perimetre"].integers(0, 10, *key)],
    )
    recours = np.where(rs["ap_prior"].uniform(*key) < 0.1, 3, np.where(seq > 1, 2, 1))

    # Consumption: one row per month of the authorised period while the firm operates.
    cons_rows, cons_month = [], []
    first_m, last_m = month_of(start), month_of(end)
    for q in range(int((last_m - first_m).max()) + 1 if len(first_m) else 0):
        mm = first_m + q
        on = (mm <= last_m) & (mm <= plan.last_batch - 1)
        cons_rows.append(np.nonzero(on)[0])
        cons_month.append(mm[on])
    cr = np.concatenate(cons_rows) if cons_rows else np.zeros(0, dtype=np.int64)
    cm = np.concatenate(cons_month) if cons_month else np.zeros(0, dtype=np.int64)
    ccol = np.clip(ctx.col(cm), 0, ctx.path.state.shape[1] - 1)
    operating = (ctx.path.state[firm[cr], ccol] >= 0) & (ctx.path.state[firm[cr], ccol] <= PLAN)
    skip = rs["ap_conso_skip"].uniform(fa[cr], seq[cr], cm) < 0.1
    cr, cm = cr[operating & ~skip], cm[operating & ~skip]
    overlap_days = (np.minimum(end[cr], day_of(cm, 31)) - np.maximum(start[cr], day_of(cm, 1))).astype(np.int64) + 1
    month_usage = usage[cr] * (0.8 + 0.4 * rs["ap_month_usage"].uniform(fa[cr], seq[cr], cm))
    hours = np.rint(hta[cr] / days[cr] * overlap_days * np.minimum(month_usage, 1.0) * 10) / 10
    consumed = np.zeros(len(firm))
    np.add.at(consumed, cr, hours)

    # A request is delivered when created (day <= 5: that month's batch) and again, updated with
    # its consumption so far, for 30 % of them.
    updated = rs["ap_update"].uniform(*key) < 0.3
    ui = np.nonzero(updated)[0]
    v_status = np.concatenate(
        [status, status[ui] + rs["ap_update_lag"].integers(20, 71, *(x[ui] for x in key)).astype("timedelta64[D]")]
    )
    v_row = np.concatenate([np.arange(len(firm)), ui])
    v_num = np.concatenate([np.zeros(len(firm), dtype=np.int64), np.ones(len(ui), dtype=np.int64)])
    v_hours = np.where(v_num == 1, np.rint(consumed[v_row] * 0.7 * 10) / 10, 0.0)
    v_eff = np.where(v_num == 1, np.rint(covered[v_row] * 0.8), 0)
    request_batch = batch_of(status, extraction_day("ap_demande"))
    demande = Records(
        "ap_demande",
        batch_of(v_status, extraction_day("ap_demande")),
        fa[v_row],
        [seq[v_row], v_num],
        [
            _q(ids.take(v_row)),
            _q(_site_siret(ctx, site[v_row], v_status)),
            enc.float_form(eff_ent[v_row]),
            enc.float_form(eff_etab[v_row]),
            _q(enc.iso_date(v_status)),
            _q(enc.iso_date(start[v_row])),
            _q(enc.iso_date(end[v_row])),
            enc.decimal(hta[v_row], 1),
            _q(enc.comma_amount(np.rint(hta[v_row] * HOURLY_ALLOWANCE * 100))),
            enc.float_form(covered[v_row]),
            _q(enc.txt(req_motif[v_row])),
            _q(enc.txt(perimetre[v_row])),
            enc.decimal(v_hours, 1),
            enc.float_form(v_eff),
            _q(enc.comma_amount(np.rint(v_hours * HOURLY_ALLOWANCE * 100))),
            _q(enc.txt(recours[v_row])),
        ],
        notes=[
            (np.nonzero(overlap[v_row])[0], "ap_overlap", "none"),
            (np.nonzero(req_motif[v_row] >= 6)[0], "ap_unknown_motif", "none"),
        ],
    )
    conso = _consumption(ctx, ids, firm, site, seq, cr, cm, hours, covered, request_batch)
    return demande, conso


def _q(values):
    return enc.cat('"', values, '"')


def _site_siret(ctx, site, dates):
    return enc.pick(dates >= ctx.move_date[site], enc.take(ctx.siret_after, site), enc.take(ctx.siret_before, site))


def _consumption(ctx, ids, firm, site, seq, cr, cm, hours, covered, request_batch) -> Records:
    plan, w, rs = ctx.plan, ctx.world, ctx.streams
    fa = w.firm[firm]
    lag = rs["ap_conso_lag"].uniform(fa[cr], seq[cr], cm) < plan.faults["ap_conso_lag"]
    batch = np.maximum(cm + 1 + lag, request_batch[cr])
    people = np.maximum(1, np.rint(covered[cr] * (0.5 + 0.5 * rs["ap_people"].uniform(fa[cr], seq[cr], cm))))
    # Corrections of an earlier month (`revision`) and consumption of unknown requests (`orphan_conso`).
    fix = rs["ap_revision"].uniform(fa[cr], seq[cr], cm) < plan.faults["revision"]
    fi = np.nonzero(fix)[0]
    fixed_hours = (
        np.rint(hours[fi] * (0.7 + 0.5 * rs["ap_revision_f"].uniform(fa[cr][fi], seq[cr][fi], cm[fi])) * 10) / 10
    )
    fixed_hours = np.where(fixed_hours == hours[fi], fixed_hours + 1.0, fixed_hours)
    orphan = rs["ap_orphan"].uniform(fa[cr], seq[cr], cm) < plan.faults["orphan_conso"]
    oi = np.nonzero(orphan)[0]
    row = np.concatenate([cr, cr[fi], cr[oi]])
    month = np.concatenate([cm, cm[fi], cm[oi]])
    h = np.concatenate([hours, fixed_hours, hours[oi]])
    n_people = np.concatenate([people, people[fi], people[oi]])
    b = np.concatenate(
        [batch, batch[fi] + rs["ap_revision_lag"].integers(2, 5, fa[cr][fi], seq[cr][fi], cm[fi]), batch[oi]]
    )
    kind = np.concatenate(
        [np.zeros(len(cr), dtype=np.int64), np.ones(len(fi), dtype=np.int64), np.full(len(oi), 2, dtype=np.int64)]
    )
    # Orphans: 9 before the 3-digit rank, never a real id (real ranks are below 1000).
    ids_text = enc.pick(kind == 2, enc.cat(enc.zpad(fa[row], 7), "9", enc.zpad(seq[row], 3)), ids.take(row))
    amount = np.rint(h * HOURLY_ALLOWANCE * 100).astype(np.int64)
    comma = rs["ap_conso_comma"].uniform(fa[row], seq[row], month) < 0.2
    amount_text = enc.pick(comma, _q(enc.comma_amount(amount)), enc.dot_amount(amount))
    fields = [
        _q(ids_text),
        _q(_site_siret(ctx, site[row], day_of(month, 1))),
        enc.decimal(h, 1),
        amount_text,
        enc.float_form(n_people),
        _q(enc.iso_date(day_of(month, 1))),
    ]
    return Records(
        "ap_consommation",
        b,
        fa[row],
        [month, seq[row], kind],
        fields,
        notes=[
            (np.nonzero(kind == 1)[0], "revision", "none"),
            (np.nonzero(kind == 2)[0], "orphan_conso", "flag:orphan_request"),
        ],
    )
