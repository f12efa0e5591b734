"""URSSAF sources as emissions of the hidden states: contributions (SOURCES.md 1), debts and their
history (2), headcount (3), payment plans (4) and collective proceedings (5)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from signaux_spark.synthetic import encoders as enc
from signaux_spark.synthetic.calendar import day_of, month_of, months_later, ymd
from signaux_spark.synthetic.context import Context
from signaux_spark.synthetic.files import batch_of, effectif_lag, effectif_months, extraction_day
from signaux_spark.synthetic.process import (
    CLOSED,
    CONVERTED_TO_LIQUIDATION,
    LIQUIDATION,
    OPEN_LIQUIDATION,
    OPEN_REDRESSEMENT,
    OPEN_SAUVEGARDE,
    PLAN,
    PLAN_ADOPTED,
    PROCEEDING_ENDED,
    REDRESSEMENT,
    SAUVEGARDE,
)
from signaux_spark.synthetic.records import Records

CONTRIBUTION_RATE = 0.42  # contributions collected by URSSAF / gross wages
WAGE_GROWTH = 0.02  # per year, from 2015
# By state (sound .. plan): probability that a firm leaves a due contribution unpaid, range of the
# unpaid fraction, monthly probability of a repayment step, probability that it repays in full.
UNPAID = np.array([0.015, 0.13, 0.33, 0.60, 0.05, 0.08, 0.05, 0.0, 0.0])
UNPAID_LOW = np.array([0.05, 0.10, 0.30, 0.60, 0.10, 0.10, 0.10, 0.0, 0.0])
UNPAID_HIGH = np.array([0.40, 0.70, 1.00, 1.00, 0.50, 0.50, 0.50, 0.0, 0.0])
REPAY = np.array([0.70, 0.40, 0.15, 0.04, 0.0, 0.0, 0.10, 0.0, 0.0])
REPAY_FULL = np.array([0.55, 0.35, 0.20, 0.10, 0.0, 0.0, 0.20, 0.0, 0.0])
PLAN_REQUEST = np.array([0.0, 0.07, 0.05, 0.03, 0.0, 0.0, 0.0, 0.0, 0.0])
# Payment habits (world.payment_habit): firms that pay URSSAF first leave less unpaid; habitually
# late payers leave some unpaid even when sound and repay slowly.
HABIT_UNPAID_FACTOR = np.array([1.0, 0.35, 1.0])
HABIT_UNPAID_EXTRA = np.array([0.0, 0.0, 0.15])
HABIT_REPAY_FACTOR = np.array([1.0, 1.0, 0.6])
DEBT_LEAD_MONTHS = 24  # debts are simulated from this long before the history start


def _wage_index(months: np.ndarray) -> np.ndarray:
    return (1 + WAGE_GROWTH) ** ((months - 2015 * 12) / 12.0)


def contribution_periods(ctx: Context) -> dict[str, np.ndarray]:
    """Every (account, contribution period) with its amount due and the part left unpaid at the due
    date, for monthly, quarterly and yearly payers."""
    plan, w, s, rs = ctx.plan, ctx.world, ctx.world.sites, ctx.streams
    first = plan.history_start - DEBT_LEAD_MONTHS - 12
    lo, hi = ctx.col(first), ctx.col(plan.last_batch - 1)
    months = ctx.months[lo : hi + 1]
    fa = w.firm[s.firm]
    noise = 1 + 0.04 * rs["cotis_noise"].normal(fa[:, None], s.k[:, None], months[None, :]).reshape(len(s), -1)
    wage = w.wage[s.firm] * np.where(s.pseudo, 0.9, 1.0)
    amount = np.rint(
        ctx.site_headcount[:, lo : hi + 1]
        * wage[:, None]
        * _wage_index(months)[None, :]
        * CONTRIBUTION_RATE
        * noise
        * 100
    ).astype(np.int64)
    parts = []
    for payer, length in ((0, 1), (1, 3), (2, 12)):
        rows = np.nonzero(s.payer == payer)[0]
        if not len(rows):
            continue
        i0 = int(np.argmax(months % length == 0))
        count = (len(months) - i0) // length
        if count <= 0:
            continue
        starts = months[i0] + length * np.arange(count)
        total = amount[rows][:, i0 : i0 + count * length].reshape(len(rows), count, length).sum(axis=2)
        site = np.repeat(rows, len(starts))
        parts.append((site, np.tile(starts, len(rows)), np.full(site.shape, length), total.ravel()))
    site = np.concatenate([p[0] for p in parts])
    start = np.concatenate([p[1] for p in parts])
    n_months = np.concatenate([p[2] for p in parts])
    amount = np.concatenate([p[3] for p in parts])
    keep = amount > 0
    site, start, n_months, amount = site[keep], start[keep], n_months[keep], amount[keep]
    due = start + n_months
    firm = s.firm[site]
    state = ctx.state_at(firm, due).astype(np.int64)
    fa = w.firm[firm]
    habit = w.payment_habit[firm]
    operating = (state >= 0) & (state <= PLAN)
    p_unpaid = UNPAID[np.clip(state, 0, CLOSED)] * HABIT_UNPAID_FACTOR[habit] + HABIT_UNPAID_EXTRA[habit] * operating
    unpaid = rs["unpaid"].uniform(fa, due) < p_unpaid
    frac = UNPAID_LOW[state] + (UNPAID_HIGH[state] - UNPAID_LOW[state]) * rs["unpaid_frac"].uniform(fa, due)
    frac = np.clip(frac * (0.9 + 0.2 * rs["unpaid_site"].uniform(fa, s.k[site], due)), 0, 1)
    unpaid_cents = np.where(unpaid, np.rint(amount * frac).astype(np.int64), 0)
    return {
        "site": site,
        "start": start,
        "n_months": n_months,
        "due": due,
        "amount": amount,
        "unpaid": unpaid_cents,
        "full": unpaid & (frac >= 0.999),
    }


def _pseudo_notes(sites, site: np.ndarray):
    """Every line of a URSSAF pseudo-SIRET account is kept and flagged by ingestion."""
    return np.nonzero(sites.pseudo[site])[0], "pseudo_siret", "flag:pseudo_siret"


def _siret(ctx: Context, site: np.ndarray, dates: np.ndarray, successor=None) -> pa.Array:
    """SIRET text of establishments at dates (or where `successor` says so)."""
    after = dates >= ctx.move_date[site] if successor is None else successor
    return enc.pick(after, enc.take(ctx.siret_after, site), enc.take(ctx.siret_before, site))


def _code_width(ctx: Context, site: np.ndarray) -> np.ndarray:
    """30 % of accounts write 4-character period codes (YYQM)."""
    s = ctx.world.sites
    return np.where(ctx.streams["code_width"].uniform(ctx.world.firm[s.firm[site]], s.k[site]) < 0.3, 4, 6)


def cotisation(ctx: Context, periods: dict[str, np.ndarray]) -> Records:
    plan, w, s, rs = ctx.plan, ctx.world, ctx.world.sites, ctx.streams
    on = (periods["start"] >= plan.history_start) & (periods["due"] <= plan.last_batch)
    site, start, n_months = periods["site"][on], periods["start"][on], periods["n_months"][on]
    amount, unpaid, due = periods["amount"][on], periods["unpaid"][on], periods["due"][on]
    kind = np.zeros(len(site), dtype=np.int64)
    batch = due

    # Regularisations of a past year (mer = 0, enc_direct = cotis_due): positive ones are ordinary,
    # negative ones are the pitfall `negative_regularisation`.
    years = np.arange(-(-plan.history_start // 12), plan.last_batch // 12)  # years starting in the history
    fa = w.firm[s.firm]
    yearly_total = np.zeros((len(s), len(years)), dtype=np.int64)
    ys = start // 12
    valid = (ys >= years[0]) & (ys <= years[-1]) if len(years) else np.zeros(len(site), dtype=bool)
    np.add.at(yearly_total, (site[valid], ys[valid] - years[0]), amount[valid])
    reg_site, reg_year = np.nonzero(yearly_total > 0)
    u = rs["regularisation"].uniform(fa[reg_site], s.k[reg_site], reg_year)
    negative = u < plan.faults["negative_regularisation"]
    positive = (u >= plan.faults["negative_regularisation"]) & (u < plan.faults["negative_regularisation"] + 0.01)
    pick = negative | positive
    reg_site, reg_year, negative = reg_site[pick], reg_year[pick] + years[0], negative[pick]
    share = 0.01 + 0.07 * rs["regularisation_share"].uniform(fa[reg_site], s.k[reg_site], reg_year)
    reg_amount = np.rint(yearly_total[reg_site, reg_year - years[0]] * share).astype(np.int64).clip(1)
    reg_amount = np.where(negative, -reg_amount, reg_amount)
    # A yearly payer's ordinary line of that year may coincide with a positive regularisation.
    yearly_payer = s.payer[reg_site] == 2
    reg_amount = np.where(yearly_payer & ~negative, reg_amount + 1, reg_amount)
    reg_batch = (reg_year + 1) * 12 + rs["regularisation_lag"].integers(1, 19, fa[reg_site], s.k[reg_site], reg_year)
    site = np.concatenate([site, reg_site])
    start = np.concatenate([start, reg_year * 12])
    n_months = np.concatenate([n_months, np.full(len(reg_site), 12)])
    mer = np.concatenate([unpaid, np.zeros(len(reg_site), dtype=np.int64)])
    due_amount = np.concatenate([amount, reg_amount])
    batch = np.concatenate([batch, reg_batch])
    kind = np.concatenate([kind, np.ones(len(reg_site), dtype=np.int64)])
    n_ordinary = len(on.nonzero()[0])
    negative_rows = n_ordinary + np.nonzero(negative)[0]

    width = _code_width(ctx, site)
    fields = [
        enc.take(ctx.urssaf_code, site),
        enc.take(ctx.site_dept_text, site),
        _siret(ctx, site, day_of(start, 1)),
        enc.take(ctx.account, site),
        enc.period_code(start, n_months, width),
        enc.comma_amount(mer),
        enc.comma_amount(due_amount - mer),
        enc.comma_amount(due_amount),
    ]
    return Records(
        "urssaf_cotisation",
        batch,
        w.firm[s.firm[site]],
        [s.k[site], start, kind, n_months],
        fields,
        notes=[(negative_rows, "negative_regularisation", "none"), _pseudo_notes(s, site)],
    )


def debts(ctx: Context, periods: dict[str, np.ndarray]) -> tuple[Records, Records]:
    """Debts opened on unpaid contributions and their history steps, and the payment plans that
    some indebted firms obtain (they speed up repayment)."""
    plan, w, s, rs = ctx.plan, ctx.world, ctx.world.sites, ctx.streams
    lo = plan.history_start - DEBT_LEAD_MONTHS
    on = (periods["unpaid"] > 0) & (periods["due"] >= lo) & (periods["due"] <= plan.last_batch)
    d_site, d_start, d_len = periods["site"][on], periods["start"][on], periods["n_months"][on]
    d_due, total, d_full = periods["due"][on], periods["unpaid"][on], periods["full"][on]
    nd = len(d_site)
    d_firm = s.firm[d_site]
    fa = w.firm[d_firm]
    po = np.rint(total * 0.3).astype(np.int64)
    pp = total - po
    created = day_of(d_due, rs["debt_day"].integers(6, 28, fa, s.k[d_site], d_start))
    hist = np.ones(nd, dtype=np.int64)
    writeoff_delay = rs["writeoff"].integers(6, 19, w.firm)

    end_month = np.where(
        ctx.act.liquidation_month < 10**6,
        ctx.act.liquidation_month,
        np.where(
            np.isnat(ctx.act.ceased_date),
            10**6,
            month_of(np.where(np.isnat(ctx.act.ceased_date), np.datetime64("2000-01-01"), ctx.act.ceased_date)),
        ),
    )
    steps = [(np.arange(nd), np.ones(nd, dtype=np.int64), created, po.copy(), pp.copy(), np.ones(nd, dtype=np.int64))]
    plan_until = np.full(len(s), -1, dtype=np.int64)
    plan_rows = []
    plan_seq = np.zeros(len(w), dtype=np.int64)
    by_due = np.argsort(d_due, kind="stable")
    added = 0
    open_idx = np.zeros(0, dtype=np.int64)  # debts payable this month (opened before it, not settled)
    for m in range(lo, plan.last_batch + 1):
        start = added
        while added < nd and d_due[by_due[added]] < m:
            added += 1
        open_idx = np.concatenate([open_idx, by_due[start:added]])
        open_idx = open_idx[po[open_idx] + pp[open_idx] > 0]
        state = ctx.path.state[:, min(ctx.col(m), ctx.path.state.shape[1] - 1)].astype(np.int64)

        # Payment plans: an indebted firm in difficulty asks for one on its most indebted account.
        balance = np.bincount(d_site[open_idx], weights=(po + pp)[open_idx], minlength=len(s))
        site_order = np.lexsort((-balance, s.firm))
        first_site = site_order[np.r_[True, s.firm[site_order][1:] != s.firm[site_order][:-1]]]
        best = np.full(len(w), -1)
        best[s.firm[first_site]] = first_site
        firm_balance = np.where(best >= 0, balance[np.maximum(best, 0)], 0)
        ask = (
            (firm_balance > 0)
            & (rs["plan_ask"].uniform(w.firm, m) < PLAN_REQUEST[np.clip(state, 0, CLOSED)])
            & (plan_until[np.maximum(best, 0)] < m)
        )
        for f in np.nonzero(ask)[0]:
            site = best[f]
            u = rs["plan_attrs"].uniform(w.firm[f], m, np.arange(4))
            length = 3 + int(u[0] * 10)
            stage = "APPROB" if u[1] < 0.75 else "REJ" if u[1] < 0.80 else "REFUS" if u[1] < 0.85 else "DEBUT"
            if stage in ("APPROB", "DEBUT"):
                plan_until[site] = m + length
            plan_seq[f] += 1
            plan_rows.append(
                (
                    f,
                    site,
                    m,
                    int(u[2] * 28) + 1,
                    length,
                    int(firm_balance[f]),
                    stage,
                    int(plan_seq[f]),
                    int(u[3] * 31) + 10,
                )
            )
        if not len(open_idx):
            continue

        i = open_idx
        key = (fa[i], s.k[d_site[i]], d_start[i], m)
        firm_state = np.clip(state[d_firm[i]], 0, CLOSED)
        repay = REPAY[firm_state] * HABIT_REPAY_FACTOR[w.payment_habit[d_firm[i]]]
        pay = rs["repay"].uniform(*key) < np.where(plan_until[d_site[i]] >= m, np.maximum(repay, 0.55), repay)
        full = rs["repay_full"].uniform(*key) < REPAY_FULL[firm_state]
        frac = np.where(full, 1.0, 0.2 + 0.5 * rs["repay_frac"].uniform(*key))
        written_off = m >= end_month[d_firm[i]] + writeoff_delay[d_firm[i]]
        step = pay | written_off
        if step.any():
            idx = i[step]
            off = written_off[step]
            keep = np.where(off, 0.0, 1.0 - frac[step])
            new_po = np.rint(po[idx] * keep).astype(np.int64)
            new_pp = np.rint(pp[idx] * keep).astype(np.int64)
            small = (new_po + new_pp < 1500) & ~off
            new_po[small], new_pp[small] = 0, 0
            po[idx], pp[idx] = new_po, new_pp
            hist[idx] += 1
            date = day_of(
                np.full(len(idx), m), rs["step_day"].integers(1, 29, fa[idx], s.k[d_site[idx]], d_start[idx], m)
            )
            steps.append((idx, hist[idx].copy(), date, new_po, new_pp, np.where(off, 3, 2)))

    debit = _debit_records(ctx, steps, d_site, d_start, d_len, d_full, created)
    delai = _delai_records(ctx, plan_rows)
    return debit, delai


def _debit_records(ctx, steps, d_site, d_start, d_len, d_full, created) -> Records:
    plan, w, s, rs = ctx.plan, ctx.world, ctx.world.sites, ctx.streams
    debt = np.concatenate([x[0] for x in steps])
    hist = np.concatenate([x[1] for x in steps])
    date = np.concatenate([x[2] for x in steps])
    po = np.concatenate([x[3] for x in steps])
    pp = np.concatenate([x[4] for x in steps])
    op = np.concatenate([x[5] for x in steps])
    keep = date >= day_of(plan.history_start, 1)
    debt, hist, date, po, pp, op = debt[keep], hist[keep], date[keep], po[keep], pp[keep], op[keep]
    site = d_site[debt]
    firm = s.firm[site]
    fa = w.firm[firm]
    batch = batch_of(date, extraction_day("urssaf_debit"))
    late = rs["late_step"].uniform(fa, s.k[site], d_start[debt], hist) < plan.faults["late_debit_step"]
    batch = np.where(late, batch + 1 + (rs["late_step_n"].uniform(fa, s.k[site], d_start[debt], hist) < 0.3), batch)

    # The SIRET of a step: the establishment's at the date, except that steps of a debt opened
    # before a move keep the old SIRET unless the move transferred its debts (`debt_transfer`).
    moved = date >= ctx.move_date[site]
    opened_after_move = created[debt] >= ctx.move_date[site]
    transferred = rs["debt_transfer"].uniform(fa, s.k[site]) < plan.faults["debt_transfer"]
    successor = moved & (opened_after_move | transferred)
    state = ctx.state_at(firm, month_of(date)).astype(np.int64)
    procol = np.where(np.isin(state, (SAUVEGARDE, REDRESSEMENT, LIQUIDATION)), "1", np.where(state == PLAN, "2", "0"))
    procol = np.where(
        (procol == "0") & (rs["procol_blank"].uniform(fa, s.k[site], d_start[debt], hist) < 0.05), "", procol
    )
    closed = ~np.isnat(ctx.act.site_closed[site]) & (ctx.act.site_closed[site] <= date)
    u_motif = rs["motif"].uniform(fa, s.k[site], d_start[debt])
    motif = np.where(d_full[debt], np.where(u_motif < 0.6, "24", "2"), np.where(u_motif < 0.6, "25", "1"))
    recours = np.where(rs["recours"].uniform(fa, s.k[site], d_start[debt]) < 0.02, "1", "0")
    fields = [
        enc.take(ctx.urssaf_code, site),
        enc.take(ctx.site_dept_text, site),
        enc.take(ctx.account, site),
        enc.take(w.siren_text, firm),
        _siret(ctx, site, date, successor),
        enc.compact_date(s.created[site]),
        enc.take(["1", "3"], closed),
        enc.strings(procol),
        enc.period_code(d_start[debt], d_len[debt], 6),
        enc.constant("101", len(debt)),
        enc.txt(hist),
        enc.urssaf_date(date),
        enc.txt(po),
        enc.txt(pp),
        enc.txt(op),
        enc.strings(motif),
        enc.strings(recours),
    ]
    late_rows = np.nonzero(late)[0]
    transfer_rows = np.nonzero(successor & ~opened_after_move)[0]
    return Records(
        "urssaf_debit",
        batch,
        fa,
        [s.k[site], d_start[debt], hist],
        fields,
        notes=[
            (late_rows, "late_debit_step", "none"),
            (transfer_rows, "debt_transfer", "none"),
            _pseudo_notes(s, site),
        ],
    )


def _delai_records(ctx, rows) -> Records:
    w, s = ctx.world, ctx.world.sites
    if not rows:
        return Records(
            "urssaf_delai", np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), [], [enc.blank(0)] * 14
        )
    f, site, m, day, length, amount, stage, seq, delay = (np.array(c) for c in zip(*rows, strict=True))
    created = day_of(m, day)
    due = months_later(created, length)
    duration = (due - created).astype(np.int64)
    # A plan first delivered as DEBUT is delivered again, approved, a few weeks later.
    again = stage == "DEBUT"
    version_date = np.concatenate([created, created[again] + delay[again].astype("timedelta64[D]")])
    take = np.concatenate([np.arange(len(f)), np.nonzero(again)[0]])
    version = np.concatenate([np.zeros(len(f), dtype=np.int64), np.ones(int(again.sum()), dtype=np.int64)])
    stage = np.concatenate([stage, np.full(int(again.sum()), "APPROB")])
    f, site, created, due, duration, amount, seq = (x[take] for x in (f, site, created, due, duration, amount, seq))
    recent = version_date >= day_of(ctx.plan.history_start, 1)
    f, site, created, due, duration, amount, seq, version, stage, version_date = (
        x[recent] for x in (f, site, created, due, duration, amount, seq, version, stage, version_date)
    )
    y, _, _ = ymd(created)
    fields = [
        enc.take(ctx.urssaf_code, site),
        enc.take(ctx.site_dept_text, site),
        _siret(ctx, site, created),
        enc.take(ctx.account, site),
        enc.cat(enc.zpad(w.firm[f], 8), enc.zpad(seq, 5)),
        enc.french_date(created),
        enc.french_date(due),
        enc.txt(duration),
        enc.take(w.name, f),
        enc.strings(np.where(duration > 183, "SUP", "INF")),
        enc.txt(y),
        enc.comma_amount(amount),
        enc.strings(stage.astype(object)),
        enc.constant("DELAI", len(f)),
    ]
    return Records(
        "urssaf_delai",
        batch_of(version_date, extraction_day("urssaf_delai")),
        w.firm[f],
        [seq, version],
        fields,
        notes=[_pseudo_notes(s, site)],
    )


LABELS = {
    OPEN_LIQUIDATION: [("Ouverture", "liquidation")],
    OPEN_REDRESSEMENT: [("Ouverture", "redressement")],
    OPEN_SAUVEGARDE: [("Ouverture", "sauvegarde")],
}
ACTION_NAMES = {1: "sauvegarde", 2: "redressement", 3: "liquidation"}


def procol(ctx: Context) -> Records:
    """Proceeding events, repeated for each establishment open at the time (grain SIRET x event)."""
    plan, w, s, rs, path = ctx.plan, ctx.world, ctx.world.sites, ctx.streams, ctx.path
    f_idx, t_idx = np.nonzero((path.event > 0) & (path.event <= CONVERTED_TO_LIQUIDATION))
    events = []  # (firm, date, label, rank within the date)
    for f, t in zip(f_idx, t_idx, strict=True):
        ev = int(path.event[f, t])
        date = day_of(np.array([plan.sim_start + t]), np.array([path.event_day[f, t]]))[0]
        before = ACTION_NAMES.get(int(path.action[f, t]), "redressement")
        if ev in LABELS:
            labels = LABELS[ev]
        elif ev == PLAN_ADOPTED:
            labels = [("Plan_continuation", before)]
        elif ev == PROCEEDING_ENDED:
            stage = (
                "Abandon_procedure"
                if path.state[f, t] in (SAUVEGARDE, REDRESSEMENT) and rs["abandon"].uniform(w.firm[f], t)[0] < 0.3
                else "Fin_procedure"
            )
            labels = [(stage, before)]
        else:
            labels = [("Ouverture", "liquidation"), ("Inclusion_autre_procedure", before)]
        events += [(f, date, f"{stage}_{action}", k, None) for k, (stage, action) in enumerate(labels)]
    closing = ctx.act.closing_date
    horizon = day_of(np.array([plan.last_batch]), np.array([extraction_day("urssaf_procol")]))[0]
    for f in np.nonzero(~np.isnat(closing) & (closing <= horizon))[0]:
        events.append((f, closing[f], "Cloture_insuffisance_actif_liquidation", 0, None))
        events.append((f, closing[f], "Solde_procedure_liquidation", 1, "per_site"))
    if not events:
        return Records(
            "urssaf_procol", np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), [], [enc.blank(0)] * 5
        )

    ev_firm = np.array([e[0] for e in events])
    ev_date = np.array([e[1] for e in events], dtype="datetime64[D]")
    ev_label = np.array([e[2] for e in events], dtype=object)
    ev_rank = np.array([e[3] for e in events])
    per_site = np.array([e[4] == "per_site" for e in events])
    keep = ev_date >= day_of(np.array([plan.procol_start]), np.array([1]))[0]
    ev_firm, ev_date, ev_label, ev_rank, per_site = (x[keep] for x in (ev_firm, ev_date, ev_label, ev_rank, per_site))

    # Establishments open at the event (for closures: open when the liquidation opened).
    ref_date = np.where(
        np.isnat(ctx.act.liquidation_date[ev_firm]), ev_date, np.minimum(ev_date, ctx.act.liquidation_date[ev_firm])
    )
    pairs_e, pairs_s = [], []
    french = ~s.pseudo & ~s.foreign
    firm_sites = {}
    for i, f in enumerate(ev_firm):
        sites = firm_sites.setdefault(f, np.nonzero((s.firm == f) & french)[0])
        open_ = (s.created[sites] <= ref_date[i]) & (
            np.isnat(ctx.act.site_closed[sites]) | (ctx.act.site_closed[sites] >= ref_date[i])
        )
        chosen = sites[open_] if open_.any() else sites[:1]
        pairs_e += [i] * len(chosen)
        pairs_s += list(chosen)
    e = np.array(pairs_e)
    site = np.array(pairs_s)
    fa = w.firm[ev_firm[e]]
    date = ev_date[e] + np.where(per_site[e], rs["solde_lag"].integers(0, 121, fa, s.k[site]), 0).astype(
        "timedelta64[D]"
    )
    recorded = ev_date[e] + rs["procol_record"].integers(0, 26, fa, ev_rank[e], ev_date[e].astype(np.int64)).astype(
        "timedelta64[D]"
    )
    late = rs["procol_late"].uniform(fa, ev_rank[e], ev_date[e].astype(np.int64)) < plan.faults["procol_late"]
    batch = batch_of(np.maximum(recorded, date), extraction_day("urssaf_procol")) + np.where(
        late, rs["procol_late_n"].integers(1, 7, fa, ev_date[e].astype(np.int64)), 0
    )
    label = ev_label[e]
    u = rs["procol_tokens"].uniform(fa, s.k[site], ev_rank[e], ev_date[e].astype(np.int64))
    varied = u < plan.faults["procol_token_variation"]
    variant = (u * 1000).astype(np.int64) % 4
    label = np.array(
        [_token_variant(lb, int(v)) if vr else lb for lb, v, vr in zip(label, variant, varied, strict=True)],
        dtype=object,
    )
    fields = [
        _siret(ctx, site, np.minimum(date, ref_date[e])),
        enc.take(w.siren_text, ev_firm[e]),
        enc.procol_date(date),
        enc.constant("1", len(e)),
        enc.strings(label),
    ]
    return Records(
        "urssaf_procol",
        batch,
        fa,
        [date.astype(np.int64), ev_rank[e], s.k[site]],
        fields,
        notes=[(np.nonzero(late)[0], "procol_late", "none"), (np.nonzero(varied)[0], "procol_token_variation", "none")],
    )


def _token_variant(label: str, variant: int) -> str:
    """Mixed case and token order of SOURCES.md 5 (the action token may come first)."""
    tokens = label.split("_")
    action = tokens[-1]
    if variant == 0:
        return label.lower()
    if variant == 1:
        return label.upper()
    moved = [action.capitalize()] + [t.lower() for t in tokens[:-1]]
    return "_".join(moved) if variant == 2 else "_".join(moved).lower()


def effectif(ctx: Context) -> Records:
    """One wide headcount snapshot per delivery; cells blank when unknown (lag, missing month)."""
    plan, w, rs = ctx.plan, ctx.world, ctx.streams
    f = w.firm
    n = len(w)
    cols = ctx.path.state.shape[1]
    missing = (
        rs["eff_missing"].uniform(f[:, None], ctx.months[None, :]).reshape(n, cols)
        < plan.faults["missing_effectif_cell"]
    )
    value = np.where(ctx.act.operating & ~missing, ctx.act.headcount, -1)
    revised = (
        rs["eff_revised"].uniform(f[:, None], ctx.months[None, :]).reshape(n, cols) < plan.faults["revision"]
    ) & (value > 0)
    draft = np.rint(
        value * (1 + 0.3 * (rs["eff_draft"].uniform(f[:, None], ctx.months[None, :]).reshape(n, cols) - 0.5))
    ).astype(np.int64)
    draft = np.where(draft == value, value + 1, draft)
    draft_shown = np.zeros((n, cols), dtype=bool)
    revision_noted = np.zeros((n, cols), dtype=bool)
    parts = []
    for batch in ctx.schedule.delivery_batches("urssaf_effectif_ent"):
        months = effectif_months(batch, plan)
        known = len(months) - effectif_lag(batch, plan)
        c = ctx.col(months)
        cells = value[:, c].copy()
        cells[:, known:] = -1
        early = revised[:, c] & (batch <= months + 4)[None, :]
        cells = np.where(early & (cells >= 0), draft[:, c], cells)
        shown = early & (cells >= 0)
        draft_shown[:, c] |= shown
        final = revised[:, c] & ~early & (cells >= 0) & draft_shown[:, c] & ~revision_noted[:, c]
        revision_noted[:, c] |= final
        rows = np.nonzero((cells >= 0).any(axis=1))[0]
        if not len(rows):
            continue
        parts.append((batch, rows, cells[rows], final[rows], months))
    return _effectif_records(ctx, parts)


def _effectif_records(ctx, parts) -> Records:
    plan, w, rs = ctx.plan, ctx.world, ctx.streams
    batches, firms, sirens, rests, notes = [], [], [], [], []
    offset = 0
    for batch, rows, cells, final, months in parts:
        fa = w.firm[rows]
        text, cell_notes = _headcount_cells(cells, rs, fa, months, batch, plan)
        sirens.append(enc.take(w.siren_text, rows))
        rests.append(enc.join(text + [enc.take(w.name, rows)], ";"))
        batches.append(np.full(len(rows), batch))
        firms.append(fa)
        r, _ = np.nonzero(final)
        notes.append((offset + r, np.full(len(r), "revision", dtype=object), np.full(len(r), "none", dtype=object)))
        for rr, fault, expected in cell_notes:
            notes.append((offset + rr, fault, expected))
        offset += len(rows)
    if not sirens:
        return Records(
            "urssaf_effectif_ent",
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            [],
            [enc.blank(0), enc.blank(0)],
        )
    # Two fields: the SIREN, and the rest of the line (cells and name) already joined, since the
    # number of month columns differs between deliveries.
    return Records(
        "urssaf_effectif_ent",
        np.concatenate(batches),
        np.concatenate(firms),
        [],
        [pa.concat_arrays(sirens), pa.concat_arrays(rests)],
        notes=notes,
    )


def _headcount_cells(cells, rs, fa, months, batch, plan):
    """Text of the cells (-1: blank); pitfalls: thousands separators or float form on large values,
    and cells that are not numbers. Returns the column arrays and notes (rows, fault, expected)."""
    n, k = cells.shape
    u = rs["eff_cell"].uniform(fa[:, None], months[None, :], batch).reshape(n, k)
    v = rs["eff_cell_variant"].uniform(fa[:, None], months[None, :], batch).reshape(n, k)
    sep_rate, bad_rate = plan.faults["thousands_separator"], plan.faults["bad_headcount"]
    thousands = (cells >= 1000) & (u < sep_rate)
    bad = (cells >= 0) & ~thousands & (u >= sep_rate) & (u < sep_rate + bad_rate)
    columns, notes = [], []
    for j in range(k):
        text = pc.if_else(pa.array(cells[:, j] >= 0), enc.txt(cells[:, j]), "")
        hits = np.nonzero(thousands[:, j] | bad[:, j])[0]
        if len(hits):
            replacement = []
            for r in hits:
                value, variant = int(cells[r, j]), int(v[r, j] * 4)
                if thousands[r, j]:
                    grouped = f"{value:,}"
                    written, expected = [
                        (grouped.replace(",", " "), "none"),
                        (grouped.replace(",", "."), "flag:thousands_separator_removed"),
                        (grouped, "flag:thousands_separator_removed"),
                        (f"{value}.0", "none"),
                    ][variant]
                    notes.append((np.array([r]), "thousands_separator", expected))
                else:
                    written = ["NC", "n/a", f"-{value + 1}", f"{value}?"][variant]
                    notes.append((np.array([r]), "bad_headcount", "invalid_headcount"))
                replacement.append(written)
            mask = np.zeros(n, dtype=bool)
            mask[hits] = True
            text = pc.replace_with_mask(text, pa.array(mask), pa.array(replacement, pa.string()))
        columns.append(text)
    return columns, notes
