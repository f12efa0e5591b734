"""What the hidden states do to the visible activity of a firm: headcount, establishments that
close, the end of the legal unit. These paths depend on the states, never the other way round."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signaux_spark.synthetic.calendar import day_of
from signaux_spark.synthetic.process import (
    CLOSED,
    CONVERTED_TO_LIQUIDATION,
    NOT_CREATED,
    OPEN_LIQUIDATION,
    PLAN,
    VOLUNTARY_CLOSURE,
    Path,
)
from signaux_spark.synthetic.rng import Streams
from signaux_spark.synthetic.world import World

NEVER = 10**6
# Monthly drift of log headcount in each state (sound .. plan).
HEADCOUNT_DRIFT = np.array([0.002, -0.006, -0.018, -0.035, -0.02, -0.03, -0.004, 0.0, 0.0])
HEADCOUNT_REVERSION = 0.03
HEADCOUNT_NOISE = 0.03


@dataclass
class Activity:
    headcount: np.ndarray  # (n, T + 1) true headcount at each month (0 when not active)
    alive: np.ndarray  # (n, T + 1) the legal unit exists and is active (not ceased)
    operating: np.ndarray  # (n, T + 1) in bonis or in a proceeding other than liquidation
    liquidation_month: np.ndarray  # month of the liquidation opening (NEVER if none)
    liquidation_date: np.ndarray
    closing_date: np.ndarray  # liquidation closed for lack of assets (or NaT)
    ceased_date: np.ndarray  # legal unit ceased (voluntary closure or liquidation closed), or NaT
    site_closed: np.ndarray  # per site: closing date (NaT if open at the horizon)


def activity(world: World, path: Path, seed: int, sim_start: int) -> Activity:
    rs = Streams(seed)
    n, cols = path.state.shape
    f = world.firm
    months = sim_start + np.arange(cols)
    state = path.state.astype(np.int64)

    # End of the firm: the transition month of a liquidation opening or a voluntary closure.
    liq_event = np.isin(path.event, (OPEN_LIQUIDATION, CONVERTED_TO_LIQUIDATION))
    closure_event = path.event == VOLUNTARY_CLOSURE
    liq_col = _first(liq_event)
    close_col = _first(closure_event)
    liquidation_month = np.where(liq_col < NEVER, sim_start + liq_col, NEVER)
    day = path.event_day[np.arange(n), np.minimum(liq_col, path.event.shape[1] - 1)].astype(np.int64)
    liquidation_date = np.where(
        liq_col < NEVER, day_of(np.minimum(liquidation_month, NEVER // 2), day), np.datetime64("NaT")
    )
    closing_delay = rs["closing_delay"].integers(12, 37, f)
    closing_date = liquidation_date + (closing_delay * 30).astype("timedelta64[D]")
    cday = path.event_day[np.arange(n), np.minimum(close_col, path.event.shape[1] - 1)].astype(np.int64)
    voluntary_date = np.where(
        close_col < NEVER, day_of(sim_start + np.minimum(close_col, NEVER // 2), cday), np.datetime64("NaT")
    )
    ceased_date = np.where(close_col < NEVER, voluntary_date, closing_date)

    month_start = day_of(months, 1)
    alive = (state != NOT_CREATED) & ~(month_start[None, :] > ceased_date[:, None])
    operating = (state >= 0) & (state <= PLAN)

    # Log headcount: mean-reverting towards the firm's size, drifting down in bad states.
    log_h = np.empty((n, cols))
    current = np.where(
        world.created_month < sim_start,
        world.log_size + 0.25 * rs["h0"].normal(f),
        world.log_size - 0.7 + 0.3 * rs["h0"].normal(f),
    )
    for t in range(cols):
        newborn = world.created_month == months[t]
        current = np.where(newborn, world.log_size - 0.7 + 0.3 * rs["h0"].normal(f), current)
        log_h[:, t] = current
        drift = HEADCOUNT_DRIFT[np.clip(state[:, t], 0, CLOSED)]
        current = (
            current
            + HEADCOUNT_REVERSION * (world.log_size - current)
            + drift
            + HEADCOUNT_NOISE * rs["h_step"].normal(f, months[t])
        )
    measured = log_h + 0.02 * rs["h_obs"].normal(f[:, None], months[None, :]).reshape(n, cols)
    headcount = np.where(operating, np.maximum(1, np.rint(np.exp(measured))), 0).astype(np.int64)

    site_closed = _site_closures(world, path, rs, sim_start, liquidation_date, voluntary_date)
    return Activity(
        headcount=headcount,
        alive=alive,
        operating=operating,
        liquidation_month=liquidation_month,
        liquidation_date=liquidation_date,
        closing_date=closing_date,
        ceased_date=ceased_date,
        site_closed=site_closed,
    )


def _first(mask: np.ndarray) -> np.ndarray:
    """Column of the first True per row, NEVER when none."""
    has = mask.any(axis=1)
    return np.where(has, mask.argmax(axis=1), NEVER)


def _site_closures(world: World, path: Path, rs: Streams, sim_start: int, liquidation_date, voluntary_date):
    """Secondary establishments close with a hazard that rises in bad states; every establishment
    closes 0-60 days after a liquidation opening or on a voluntary closure."""
    s = world.sites
    state = path.state[s.firm].astype(np.int64)
    cols = state.shape[1]
    months = sim_start + np.arange(cols)
    hazard = np.where(state == 1, 0.0015, np.where((state == 2) | (state == 3), 0.006, 0.0008))
    hazard = np.where((state < 0) | (state > PLAN) | (months[None, :] <= s.created_month[:, None]), 0.0, hazard)
    cum = np.cumsum(hazard, axis=1)
    target = -np.log1p(-s.closure_draw)
    hit = (cum >= target[:, None]) & (s.k > 0)[:, None] & ~s.pseudo[:, None]
    col = _first(hit)
    own = np.where(
        col < NEVER,
        day_of(sim_start + np.minimum(col, cols - 1), rs["site_close_day"].integers(1, 29, world.firm[s.firm], s.k)),
        np.datetime64("NaT"),
    )
    lag = rs["site_liq_lag"].integers(0, 61, world.firm[s.firm], s.k).astype("timedelta64[D]")
    firm_end = np.where(np.isnat(liquidation_date[s.firm]), voluntary_date[s.firm], liquidation_date[s.firm] + lag)
    closed = np.where(np.isnat(own), firm_end, np.where(np.isnat(firm_end), own, np.minimum(own, firm_end)))
    # A site created after the firm ended never opens: mark it closed on its creation date.
    return np.where(~np.isnat(closed) & (closed < s.created), s.created, closed)


def split_headcount(total: np.ndarray, weights: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Split each group's total (rows: sites sorted by group, columns: months) across its sites in
    proportion to the weights, with cumulative rounding so that the parts add up exactly. `total`
    is per site (the group's total repeated), `weights` per site x month (0 for closed sites)."""
    if not len(groups):
        return np.zeros(weights.shape, dtype=np.int64)
    first = np.r_[True, groups[1:] != groups[:-1]]
    starts = np.nonzero(first)[0]
    group_index = np.cumsum(first) - 1
    wsum = np.add.reduceat(weights, starts, axis=0)[group_index]
    exact = total * np.divide(weights, wsum, out=np.zeros_like(weights), where=wsum > 0)
    cum = np.cumsum(exact, axis=0)
    before_group = (cum - exact)[starts][group_index]
    within = np.floor(cum - before_group + 0.5)
    previous = np.vstack([np.zeros((1, cum.shape[1])), within[:-1]])
    previous[first] = 0.0
    return (within - previous).astype(np.int64)
