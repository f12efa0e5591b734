"""Altares supplier payment behaviour (SOURCES.md 9): paydex (days late) and FPI scores for the
covered firms (about 75 % and 50 %), a retro stock in the first batch and monthly increments."""

from __future__ import annotations

import numpy as np

from signaux_spark.synthetic import encoders as enc
from signaux_spark.synthetic.calendar import day_of, month_start
from signaux_spark.synthetic.context import SEVERITY, Context
from signaux_spark.synthetic.process import CLOSED, PLAN
from signaux_spark.synthetic.records import Records

# Average days late of each paydex code (SOURCES.md 9).
PAYDEX_DAYS = np.array(
    [180 - 3 * c for c in range(51)]
    + [29, 29, 28, 27, 26, 26, 25, 24, 23, 22, 22, 21, 20, 19, 19, 19, 18, 17, 16, 15, 14, 12, 11, 9, 8, 6, 5, 3, 1]
    + [0] * 11
)
# For 1..29 days late, the first code with the nearest number of days.
_CODE_OF_DAYS = np.array([0] + [51 + int(np.argmin(np.abs(PAYDEX_DAYS[51:80] - d))) for d in range(1, 30)])


def paydex(ctx: Context) -> tuple[Records, Records]:
    plan, w, rs = ctx.plan, ctx.world, ctx.streams
    months = np.arange(plan.history_start, plan.last_batch)
    c = ctx.col(months)
    n = len(w)
    state = ctx.path.state[:, c].astype(np.int64)
    operating = (state >= 0) & (state <= PLAN)
    noise = np.zeros((n, len(months)))
    e = 4.0 * rs["paydex_noise"].normal(w.firm, months[0] - 1)
    for j, m in enumerate(months):
        e = 0.8 * e + 5.0 * rs["paydex_noise"].normal(w.firm, m)
        noise[:, j] = e
    # Firms that pay URSSAF first make their suppliers wait more; habitually late payers always do.
    base = 12 * rs["paydex_base"].uniform(w.firm) + 8 * (w.payment_habit == 2)
    weight = np.where(w.payment_habit == 1, 16.0, 10.0)
    days = base[:, None] + weight[:, None] * SEVERITY[np.clip(state, 0, CLOSED)] + noise
    days = np.clip(days, 0, 200)
    code = np.where(
        days < 0.5,
        80 + rs["paydex_none"].integers(0, 11, w.firm[:, None], months[None, :]).reshape(n, -1),
        np.where(
            days < 30,
            _CODE_OF_DAYS[np.clip(np.rint(days).astype(np.int64), 1, 29)],
            np.clip(np.rint((180 - days) / 3), 0, 50).astype(np.int64),
        ),
    )
    sev = SEVERITY[np.clip(state, 0, CLOSED)]
    z = rs["fpi_noise"].normal(w.firm[:, None], months[None, :]).reshape(n, -1)
    fpi30 = np.rint(100 / (1 + np.exp(-(-2.2 + 2.6 * sev + 0.6 * z)))).astype(np.int64)
    fpi90 = np.rint(fpi30 * (0.1 + 0.4 * rs["fpi90"].uniform(w.firm[:, None], months[None, :]).reshape(n, -1))).astype(
        np.int64
    )
    suppliers = (
        3
        + np.minimum(np.rint(np.exp(w.log_size) ** 0.5), 200).astype(np.int64)[:, None]
        + rs["suppliers"].integers(0, 5, w.firm[:, None], months[None, :]).reshape(n, -1)
    )
    studied = np.rint(suppliers * 4000 * np.exp(0.5 * z)).astype(np.int64)
    values = dict(
        code=code,
        days=PAYDEX_DAYS[code],
        fpi30=fpi30,
        fpi90=fpi90,
        suppliers=suppliers,
        studied=studied,
        overdue=np.rint(studied * fpi30 / 100 * 0.5).astype(np.int64),
        state=state,
    )
    covered = w.paydex_covered[:, None] & operating
    retro = _retro(ctx, values, covered & (months < plan.first_batch - 1)[None, :], months)
    increment = _increment(ctx, values, covered, months)
    return retro, increment


def _retro(ctx, v, on, months) -> Records:
    w, rs = ctx.world, ctx.streams
    f, j = np.nonzero(on)
    m = months[j]
    fa = w.firm[f]
    code = v["code"][f, j]
    days = v["days"][f, j]
    label = np.where(
        code >= 80, "Pas de retard observé", np.where(days == 1, "1 jour", days.astype(str).astype(object) + " jours")
    )
    fpi = w.fpi_covered[f]
    spaced = rs["retro_space"].uniform(fa) < 0.3

    def num(x):
        return enc.cat(enc.take(["", " "], spaced), enc.txt(x))

    fields = [
        enc.take(w.siren_text, f),
        enc.constant("Actif", len(f)),
        enc.zpad(code, 3),
        enc.strings(label.astype(object)),
        num(days),
        num(v["suppliers"][f, j]),
        num(v["studied"][f, j]),
        num(v["suppliers"][f, j] * 4 + 3),
        enc.pick(fpi, num(v["fpi30"][f, j]), enc.blank(len(f))),
        enc.pick(fpi, num(v["fpi90"][f, j]), enc.blank(len(f))),
        enc.french_date(day_of(m, 15)),
    ]
    return Records("altares_paydex:retro", np.full(len(f), ctx.plan.first_batch), fa, [m], fields)


PROCEEDING_LABEL = ["", "", "", "", "Sauvegarde", "Redressement judiciaire", "Plan de continuation", "", ""]


def _increment(ctx, v, on, months) -> Records:
    plan, w, s, rs = ctx.plan, ctx.world, ctx.world.sites, ctx.streams
    on = on & (months >= plan.first_batch - 1)[None, :]
    f, j = np.nonzero(on)
    m = months[j]
    fa = w.firm[f]
    multi = rs["altares_multi"].uniform(fa, m) < plan.faults["altares_multi"]
    mi = np.nonzero(multi)[0]
    f, j, m = np.concatenate([f, f[mi]]), np.concatenate([j, j[mi]]), np.concatenate([m, m[mi]])
    early = np.concatenate([np.zeros(len(fa), dtype=bool), np.ones(len(mi), dtype=bool)])
    fa = w.firm[f]
    date = np.where(early, day_of(m, 15), month_start(m + 1) - np.timedelta64(1, "D"))
    shift = np.where(early, rs["altares_multi_shift"].integers(-3, 4, fa, m), 0)
    code = np.clip(v["code"][f, j] + shift, 0, 90)
    fpi = w.fpi_covered[f]
    # The firm's main establishment (head office, or its first French one when it is abroad).
    main = np.nonzero(s.k == 0)[0][f] + s.foreign[np.nonzero(s.k == 0)[0][f]]
    siret = enc.pick(date >= ctx.move_date[main], enc.take(ctx.siret_after, main), enc.take(ctx.siret_before, main))
    state = v["state"][f, j]
    empty = enc.blank(len(f))

    def const(text):
        return enc.constant(text, len(f))

    fields = [
        enc.cat("SF", enc.zpad(fa, 7)),
        enc.take(w.siren_text, f),
        siret,
        enc.take(w.name, f),
        empty,
        enc.pick(rs["enseigne"].uniform(fa) < 0.3, enc.take(w.name, f), empty),
        enc.take(w.acronym, f),
        empty,
        enc.take(s.street, main),
        empty,
        enc.cat(enc.take(s.postal, main), " ", enc.take(s.commune_name, main)),
        const("FRANCE"),
        enc.take(s.postal, main),
        enc.take(s.commune_name, main),
        const("SIEGE"),
        const("1"),
        const("Siège social"),
        const("Actif"),
        const("Actif"),
        enc.take(PROCEEDING_LABEL, np.clip(state, 0, CLOSED)),
        const("O"),
        enc.zpad(code, 3),
        enc.txt(PAYDEX_DAYS[code]),
        enc.txt(v["suppliers"][f, j]),
        enc.txt(v["studied"][f, j]),
        enc.txt(v["overdue"][f, j]),
        enc.pick(fpi, enc.txt(v["fpi30"][f, j]), empty),
        enc.pick(fpi, enc.txt(v["fpi90"][f, j]), empty),
        const("MAJ"),
        const("Mise à jour du paydex"),
        enc.iso_date(date),
    ]
    return Records(
        "altares_paydex:increment",
        m + 1,
        fa,
        [date.astype(np.int64)],
        fields,
        notes=[(np.nonzero(early)[0], "altares_multi", "none")],
    )
