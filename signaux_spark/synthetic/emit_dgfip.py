"""Yearly financial statements (SOURCES.md 8): the ratios reflect the fiscal year's average health,
the filing comes 3 to 9 months after the year end (later in difficulty), some years are never
filed (more often in difficulty), a few are amended."""

from __future__ import annotations

import numpy as np

from signaux_spark.synthetic import encoders as enc
from signaux_spark.synthetic import reference as ref
from signaux_spark.synthetic.calendar import day_of, month_start, ymd
from signaux_spark.synthetic.context import SEVERITY, Context
from signaux_spark.synthetic.emit_urssaf import CONTRIBUTION_RATE, _wage_index
from signaux_spark.synthetic.files import batch_of, extraction_day
from signaux_spark.synthetic.process import CLOSED, PLAN
from signaux_spark.synthetic.records import Records

MARCH_STOCK = {"A", "C", "G", "I"}  # sections holding goods for resale
MATERIAL_STOCK = {"A", "B", "C", "F"}  # sections holding raw materials
ZERO_DENOMINATORS = [22, 25, 13, 30, 11, 12]  # turnover, value added, equity, CAF, headcount, capital


def liasses(ctx: Context) -> Records:
    plan, w, rs = ctx.plan, ctx.world, ctx.streams
    n = len(w)
    state = ctx.path.state.astype(np.int64)
    operating = (state >= 0) & (state <= PLAN)
    sev = np.where(operating, SEVERITY[np.clip(state, 0, CLOSED)], 0.0)
    wage_bill = ctx.act.headcount * w.wage[:, None] * _wage_index(ctx.months)[None, :]

    def cumulative(x):
        return np.concatenate([np.zeros((n, 1)), np.cumsum(x, axis=1)], axis=1)

    cs_sev, cs_op, cs_h, cs_wage = (cumulative(x) for x in (sev, operating, ctx.act.headcount, wage_bill))

    first_year = (plan.history_start - 30) // 12
    years = np.arange(first_year, plan.last_batch // 12 + 1)
    first_end = w.created_month + 5
    first_end = first_end + (w.fiscal_end - 1 - first_end % 12) % 12
    section = np.asarray(ref.SECTION_NAMES)[w.section]
    va_share = ref.section_array(2)[w.section]
    size = np.exp(w.log_size)
    capital = np.maximum(
        1000, np.rint(10000 * (size / 10) ** 0.8 * np.exp(0.5 * rs["capital"].normal(w.firm)) / 1000) * 1000
    )
    equity = capital * (1 + 3 * rs["equity0"].uniform(w.firm))
    rows = []
    for y in years:
        end = y * 12 + w.fiscal_end - 1
        start = np.where(end == first_end, w.created_month, end - 11)
        exists = (end >= first_end) & (start >= ctx.plan.sim_start) & (end <= plan.last_batch)
        ce, cs = np.clip(ctx.col(end), 0, state.shape[1] - 1), np.clip(ctx.col(start), 0, state.shape[1] - 1)
        months_on = cs_op[np.arange(n), ce + 1] - cs_op[np.arange(n), cs]
        ok = exists & operating[np.arange(n), ce] & (months_on > 0)
        s_mean = np.where(ok, (cs_sev[np.arange(n), ce + 1] - cs_sev[np.arange(n), cs]) / np.maximum(months_on, 1), 0)
        staff = np.where(ok, (cs_h[np.arange(n), ce + 1] - cs_h[np.arange(n), cs]) / np.maximum(months_on, 1), 0)
        wages = np.where(ok, cs_wage[np.arange(n), ce + 1] - cs_wage[np.arange(n), cs], 0)
        z = rs["dgfip_noise"].normal(w.firm[:, None], y, np.arange(8)[None, :]).reshape(n, 8)
        labour_ratio = 0.66 + 0.04 * z[:, 0]
        ca = wages * (1 + CONTRIBUTION_RATE) / (va_share * labour_ratio) * np.exp(0.15 * z[:, 1])
        va = ca * va_share * (1 - 0.32 * s_mean) * np.exp(0.05 * z[:, 2])
        ebe = va - wages * (1 + CONTRIBUTION_RATE) - 0.03 * va
        result = ebe - 0.04 * ca
        equity = np.where(ok, equity + 0.6 * result, equity)
        cash = ca * (0.10 - 0.16 * s_mean + 0.04 * z[:, 3])
        debt = ca * (0.15 + 0.2 * s_mean + 0.04 * np.abs(z[:, 4]))
        rows.append(
            dict(
                ok=ok,
                firm=np.arange(n),
                year=np.full(n, y),
                start=start,
                end=end,
                sev=s_mean,
                staff=staff,
                wages=wages,
                ca=ca,
                va=va,
                ebe=ebe,
                equity=equity.copy(),
                cash=cash,
                debt=debt,
                z=z,
            )
        )
    cols = {k: np.concatenate([r[k][r["ok"]] for r in rows]) for k in rows[0] if k != "ok"}
    return _records(ctx, cols, section, capital)


def _records(ctx: Context, c: dict, section: np.ndarray, capital: np.ndarray) -> Records:
    plan, w, rs = ctx.plan, ctx.world, ctx.streams
    f = c["firm"]
    fa = w.firm[f]
    key = (fa, c["year"])
    start_date = np.where(c["start"] == w.created_month[f], w.created[f], month_start(c["start"]))
    end_date = month_start(c["end"] + 1) - np.timedelta64(1, "D")
    delay = 3 + rs["filing_delay"].integers(0, 7, *key) + np.floor(c["sev"] * 4).astype(np.int64)
    filed_month = c["end"] + delay
    depot = day_of(filed_month, rs["filing_day"].integers(1, 29, *key))
    never = rs["not_filed"].uniform(*key) < np.minimum(plan.faults["dgfip_not_filed"] * (1 + 3 * c["sev"]), 0.6)
    alive_then = (ctx.state_at(f, filed_month) >= 0) & (ctx.state_at(f, filed_month) <= PLAN)
    keep = ~never & alive_then & (depot >= day_of(plan.history_start, 1)) & (filed_month <= plan.last_batch)
    c = {k: v[keep] for k, v in c.items()}
    f, fa, start_date, end_date, depot = f[keep], fa[keep], start_date[keep], end_date[keep], depot[keep]
    key = (fa, c["year"])
    amended = rs["amended"].uniform(*key) < plan.faults["dgfip_amended"]
    ai = np.nonzero(amended)[0]
    take = np.concatenate([np.arange(len(f)), ai])
    version = np.concatenate([np.zeros(len(f), dtype=np.int64), np.ones(len(ai), dtype=np.int64)])
    depot = np.concatenate(
        [depot, depot[ai] + (30 * rs["amend_lag"].integers(1, 7, *(x[ai] for x in key))).astype("timedelta64[D]")]
    )
    f, fa, start_date, end_date = f[take], fa[take], start_date[take], end_date[take]
    c = {k: v[take] for k, v in c.items()}
    keep = batch_of(depot, extraction_day("dgfip_liasses")) <= plan.last_batch
    f, fa, start_date, end_date, depot, version = (
        f[keep],
        fa[keep],
        start_date[keep],
        end_date[keep],
        depot[keep],
        version[keep],
    )
    c = {k: v[keep] for k, v in c.items()}
    z = c["z"]
    drift = np.where(version == 1, 1 + 0.03 * rs["amend_drift"].normal(fa, c["year"]), 1.0)
    ca, va, ebe = c["ca"] * drift, c["va"] * drift, c["ebe"] * drift
    wages, equity, cash, debt, s_mean = c["wages"], c["equity"], c["cash"], c["debt"], c["sev"]
    sec = section[f]
    march = np.where(np.isin(sec, list(MARCH_STOCK)), ca * (0.02 + 0.08 * np.abs(z[:, 5]) / 3), np.nan)
    material = np.where(np.isin(sec, list(MATERIAL_STOCK)), ca * (0.01 + 0.05 * np.abs(z[:, 6]) / 3), np.nan)
    actif_expl = ca * (0.25 + 0.04 * z[:, 7])
    actif_h = ca * 0.01
    passif_expl = ca * (0.20 + 0.15 * s_mean)
    passif_h = ca * 0.012
    total = np.maximum(np.abs(equity) + debt + passif_expl + passif_h, 1.0)
    caf = ebe * 0.75 - ca * 0.01
    stocks = np.nan_to_num(march) + np.nan_to_num(material)
    columns = [
        enc.take(w.siren_text, f),
        enc.cat(enc.take(_tax_office_prefix(w), f), enc.zpad(fa % 100000, 5)),
        enc.txt(ymd(end_date)[0]),
        enc.iso_date(start_date),
        enc.iso_date(end_date),
        enc.iso_date(depot),
        _optional(march),
        _optional(material),
        enc.txt(np.rint(wages)),
        enc.txt(np.rint(wages * CONTRIBUTION_RATE)),
        enc.txt(np.where(rs["syndic"].uniform(fa, c["year"]) < 0.1, np.rint(wages * 0.01), 0)),
        enc.txt(np.rint(c["staff"])),
        enc.txt(capital[f]),
        enc.txt(np.rint(equity)),
        enc.decimal(np.maximum(0.0, 1 + 6 * np.abs(z[:, 4]) / 3 - 3 * s_mean), 1),
        enc.decimal(np.clip(equity / total * 100, -99, 99), 1),
        enc.txt(np.rint(actif_expl)),
        enc.txt(np.rint(actif_h)),
        enc.txt(np.rint(actif_expl - passif_expl)),
        enc.txt(np.rint(passif_expl)),
        enc.txt(np.rint(passif_h)),
        enc.txt(np.rint(cash)),
        enc.txt(np.rint(ca)),
        enc.txt(np.rint(debt - cash)),
        enc.txt(np.rint(ebe)),
        enc.txt(np.rint(va)),
        enc.txt(np.rint(np.maximum(5, 45 + 12 * z[:, 2]))),
        enc.txt(np.rint(np.maximum(5, 50 + 45 * s_mean + 12 * z[:, 3]))),
        enc.decimal(np.clip(ca * 0.1 / np.where(np.abs(equity) < 1, 1, equity), -50, 50), 2),
        enc.decimal(np.clip(ebe / np.maximum(np.abs(equity) + debt, 1) * 100, -99, 99), 1),
        enc.txt(np.rint(caf)),
        enc.decimal(np.clip((actif_expl + actif_h - stocks) / (passif_expl + passif_h), 0, 20), 2),
    ]
    # Pitfalls: empty fields, zero denominators (both kept as they are by ingestion).
    nulls = rs["null_field"].uniform(fa, c["year"], version) < plan.faults["dgfip_null_field"]
    zeros = ~nulls & (rs["zero_denominator"].uniform(fa, c["year"], version) < plan.faults["dgfip_zero_denominator"])
    columns = _blank_some(columns, nulls, rs["null_which"].integers(6, 32, fa, c["year"], version), "")
    zero_col = np.asarray(ZERO_DENOMINATORS)[rs["zero_which"].integers(0, len(ZERO_DENOMINATORS), fa, c["year"])]
    columns = _blank_some(columns, zeros, zero_col, "0")
    return Records(
        "dgfip_liasses",
        batch_of(depot, extraction_day("dgfip_liasses")),
        fa,
        [end_date.astype(np.int64), version],
        columns,
        notes=[
            (np.nonzero(version == 1)[0], "dgfip_amended", "none"),
            (np.nonzero(nulls)[0], "dgfip_null_field", "none"),
            (np.nonzero(zeros)[0], "dgfip_zero_denominator", "none"),
        ],
    )


def _optional(values):
    """Whole euros, empty when not filled (NaN)."""
    return enc.pick(np.isnan(values), enc.blank(len(values)), enc.txt(np.rint(np.nan_to_num(values))))


def _blank_some(columns, rows, which, text):
    for j in np.unique(which[rows]):
        hit = rows & (which == j)
        columns[j] = enc.pick(hit, enc.constant(text, len(hit)), columns[j])
    return columns


def _tax_office_prefix(w) -> np.ndarray:
    """First two characters of the (opaque) tax office code: the department's digits."""
    codes = np.asarray(ref.DEPT_CODES, dtype=object)[w.dept]
    return np.array([("20" if d in ("2A", "2B") else d[:2]) for d in codes], dtype=object)
