"""INSEE registry (SOURCES.md 10-11): legal units and establishments, a full stock in the first
batch and every January, otherwise the units changed during the previous month (creation,
cessation or closure, head-office move). Yearly size bands are updated in December."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from signaux_spark.synthetic import encoders as enc
from signaux_spark.synthetic import reference as ref
from signaux_spark.synthetic.calendar import day_of, month_start
from signaux_spark.synthetic.context import Context
from signaux_spark.synthetic.records import Records
from signaux_spark.synthetic.world import ODDITIES

BAND_EDGES = np.array([1, 3, 6, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000])
BAND_CODES = np.array(
    ["00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51", "52", "53"], dtype=object
)
FAR = np.datetime64("2999-12-31")


def _csv(values: pa.Array) -> pa.Array:
    """RFC 4180 quoting of values holding a comma or a quote."""
    needs = pc.or_(pc.match_substring(values, ","), pc.match_substring(values, '"'))
    return pc.if_else(needs, enc.cat('"', pc.replace_substring(values, '"', '""'), '"'), values)


def _band(headcount: np.ndarray) -> np.ndarray:
    return BAND_CODES[np.searchsorted(BAND_EDGES, headcount, side="right")]


def _rows(created, changes, ctx, key, full_batches):
    """(unit, batch) pairs to deliver: every existing unit in a full-stock batch, else the units
    with a change during the month before the batch. A late increment whose rows would land in a
    full-stock batch is not repeated there: the stock already holds the latest state."""
    plan = ctx.plan
    landing = ctx.schedule.delivered(key, np.asarray(plan.batches))
    units, batches = [], []
    for b, lands in zip(plan.batches, landing, strict=True):
        if b not in full_batches and lands in full_batches:
            continue
        e = month_start(b)
        exists = created < e
        if b in full_batches:
            hit = exists
        else:
            lo = month_start(b - 1)
            hit = exists & ((changes >= lo) & (changes < e)).any(axis=1)
        idx = np.nonzero(hit)[0]
        units.append(idx)
        batches.append(np.full(len(idx), b))
    return np.concatenate(units), np.concatenate(batches)


def _tranche(ctx, headcount_rows, rows, batch, created):
    """Size band of the year two years before the extraction (the value of its December); `rows`
    index `headcount_rows`, `created` is each row's creation date."""
    year = (batch - 1) // 12 - 2
    col = ctx.col(year * 12 + 11)
    known = (col >= 0) & (created <= month_start(year * 12 + 11))
    h = headcount_rows[rows, np.clip(col, 0, headcount_rows.shape[1] - 1)]
    band = np.where(known, _band(h), "NN")
    return band, np.where(known, year.astype(str).astype(object), ""), np.where(known, h, 0)


def _last_december(batch):
    """The December 15th (size band update) before each extraction (the 1st of the batch month)."""
    return day_of((batch // 12 - 1) * 12 + 11, 15)


def registry(ctx: Context) -> tuple[Records, Records]:
    plan = ctx.plan
    full = {plan.first_batch} | {b for b in plan.batches if b % 12 == 0}
    return _legal_units(ctx, full), _establishments(ctx, full)


def _legal_units(ctx: Context, full: set[int]) -> Records:
    w, s, rs, act = ctx.world, ctx.world.sites, ctx.streams, ctx.act
    head = np.nonzero(s.k == 0)[0]
    ho_move = np.where(ctx.move_date[head] < FAR, ctx.move_date[head], np.datetime64("NaT"))
    ceased = act.ceased_date
    changes = np.stack(
        [w.created, np.where(np.isnat(ceased), FAR, ceased), np.where(np.isnat(ho_move), FAR, ho_move)], axis=1
    )
    units, batch = _rows(w.created, changes, ctx, "sirene_unite_legale", full)
    e = month_start(batch)
    fa = w.firm[units]
    is_ceased = ~np.isnat(ceased[units]) & (ceased[units] < e)
    moved = ~np.isnat(ho_move[units]) & (ho_move[units] < e)
    last = np.maximum(w.created[units], np.where(moved, ho_move[units], w.created[units]))
    last = np.where(is_ceased, np.maximum(last, ceased[units]), last)
    december = _last_december(batch)
    dated = np.maximum(last, np.where(december > w.created[units], december, last))
    band, year, h = _tranche(ctx, act.headcount, units, batch, w.created[units])
    category = np.where(band == "NN", "", np.where(h < 250, "PME", np.where(h < 5000, "ETI", "GE")))
    start = np.where(is_ceased, ceased[units], last)
    employer = act.headcount[units, np.clip(ctx.col(batch - 1), 0, act.headcount.shape[1] - 1)] > 0
    nic = np.where(moved, s.nic_after[head][units], s.nic[head][units])
    naf = np.asarray(ref.NAF_CODES, dtype=object)[w.naf[units]]
    rev1 = w.oddity[units] == ODDITIES.index("naf_rev1")
    naf = np.where(rev1, np.asarray(ref.NAF_REV1_CODES, dtype=object)[fa % len(ref.NAF_REV1_CODES)], naf)
    purged = (w.oddity[units] == ODDITIES.index("purged")) & is_ceased
    private = rs["diffusion"].uniform(fa) < 0.03
    sole = np.asarray(ref.CATEGORY_CODES)[w.category[units]] == "1000"
    seconds = rs["ul_time"].integers(6 * 3600, 20 * 3600, fa, dated.astype(np.int64))

    def keep_if(column):
        """Purged units keep only their identifier, dates and state."""
        return enc.pick(purged, enc.blank(len(units)), column)

    fields = [
        enc.take(w.siren_text, units),
        enc.take(["O", "P"], private),
        enc.take(["", "true"], purged),
        enc.iso_date(w.created[units]),
        keep_if(enc.take(w.first_name, units)),
        keep_if(enc.strings(band)),
        keep_if(enc.strings(year)),
        enc.timestamp(dated, seconds),
        keep_if(enc.strings(category)),
        enc.iso_date(start),
        enc.take(["A", "C"], is_ceased),
        keep_if(enc.take(w.surname, units)),
        keep_if(_csv(enc.pick(sole, enc.blank(len(units)), enc.take(w.name, units)))),
        keep_if(enc.take(np.asarray(ref.CATEGORY_CODES, dtype=object), w.category[units])),
        keep_if(enc.strings(naf)),
        keep_if(enc.take(["NAFRev2", "NAFRev1"], rev1)),
        keep_if(enc.zpad(nic, 5)),
        keep_if(enc.take(["N", "O"], employer)),
    ]
    return Records(
        "sirene_unite_legale",
        batch,
        fa,
        [],
        fields,
        notes=[
            (np.nonzero(rev1)[0], "sirene_oddities", "flag:naf_not_rev2"),
            (np.nonzero(purged)[0], "sirene_oddities", "none"),
        ],
    )


def _establishments(ctx: Context, full: set[int]) -> Records:
    w, s, rs, act = ctx.world, ctx.world.sites, ctx.streams, ctx.act
    french = ~s.pseudo
    closed = act.site_closed
    moves = ctx.move_date < np.where(np.isnat(closed), FAR, closed)
    # One registry unit per SIRET: before a move (closed by the move) and after it.
    site = np.concatenate([np.nonzero(french)[0], np.nonzero(french & moves)[0]])
    after = np.concatenate([np.zeros(int(french.sum()), dtype=bool), np.ones(int((french & moves).sum()), dtype=bool)])
    created = np.where(after, ctx.move_date[site], s.created[site])
    end = np.where(after | ~moves[site], closed[site], ctx.move_date[site])
    changes = np.stack([created, np.where(np.isnat(end), FAR, end)], axis=1)
    units, batch = _rows(created, changes, ctx, "sirene_etablissement", full)
    su = site[units]
    firm = s.firm[su]
    fa = w.firm[firm]
    e = month_start(batch)
    is_closed = ~np.isnat(end[units]) & (end[units] < e)
    last = np.where(is_closed, end[units], created[units])
    december = _last_december(batch)
    dated = np.maximum(last, np.where(december > created[units], december, last))
    band, year, _ = _tranche(ctx, ctx.site_headcount, su, batch, created[units])
    employer = ctx.site_headcount[su, np.clip(ctx.col(batch - 1), 0, act.headcount.shape[1] - 1)] > 0
    nic = np.where(after[units], s.nic_after[su], s.nic[su])
    oddity = w.oddity[firm]
    head = s.k[su] == 0
    siege = np.where(
        oddity == ODDITIES.index("no_head_office"),
        False,
        head | ((oddity == ODDITIES.index("two_head_offices")) & (s.k[su] == 1)),
    )
    odd = (
        np.isin(oddity, [ODDITIES.index("no_head_office"), ODDITIES.index("two_head_offices")]) & (s.k[su] <= 1)
    ) | s.foreign[su]
    country = np.asarray(ref.FOREIGN_COUNTRIES, dtype=object)[fa % len(ref.FOREIGN_COUNTRIES)]
    private = rs["diffusion"].uniform(fa) < 0.03
    seconds = rs["etab_time"].integers(6 * 3600, 20 * 3600, fa, s.k[su], dated.astype(np.int64))
    fields = [
        enc.take(w.siren_text, firm),
        enc.zpad(nic, 5),
        enc.cat(enc.take(w.siren_text, firm), enc.zpad(nic, 5)),
        enc.take(["O", "P"], private),
        enc.iso_date(created[units]),
        enc.strings(band),
        enc.strings(year),
        enc.timestamp(dated, seconds),
        enc.take(["false", "true"], siege),
        enc.take(s.postal, su),
        _csv(enc.take(s.commune_name, su)),
        enc.take(s.commune, su),
        enc.pick(s.foreign[su], enc.strings(country), enc.blank(len(su))),
        enc.iso_date(np.where(is_closed, end[units], created[units])),
        enc.take(["A", "F"], is_closed),
        enc.take(np.asarray(ref.NAF_CODES, dtype=object), w.naf[firm]),
        enc.constant("NAFRev2", len(su)),
        enc.take(["N", "O"], employer),
    ]
    return Records(
        "sirene_etablissement",
        batch,
        fa,
        [s.k[su], after[units]],
        fields,
        notes=[(np.nonzero(odd)[0], "sirene_oddities", "none")],
    )
