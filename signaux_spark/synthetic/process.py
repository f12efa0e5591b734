"""The hidden risk process: a monthly Markov chain per firm, its simulation, and the oracle.

States at the start of each month: four in-bonis health states (sound, strained, distressed,
critical), three proceeding states (sauvegarde or redressement in observation, continuation plan)
and two absorbing ones (liquidation, voluntary closure). Transition probabilities of firm i during
month t depend on the state, on static firm parameters (frailty, sector, region, size, age) and on
deterministic calendar paths (sector and region shocks drawn once from the seed, and national
shocks). A **failure event** (opening of a sauvegarde, redressement or liquidation) happens on a
transition; its effect date is a day 2-28 of the month of the transition.

The oracle `p_failure_18m(i, t)` is the probability that firm i has a failure event during months
t .. t+17 (effect date in (periode, periode + 18 months]) given its state at the start of month t,
its static parameters and the calendar paths. It is exact: a backward recursion over the chain
(v_k(t, s) = f(t, s) + sum_s' P_t(s, s') v_{k-1}(t+1, s'), 18 steps), vectorised over firms and
months. Emissions (the source files) depend on the states but never feed back into transitions,
so the chain is Markov in the state given the firm's parameters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from signaux_spark.synthetic import reference as ref
from signaux_spark.synthetic.calendar import month_number
from signaux_spark.synthetic.rng import Streams
from signaux_spark.synthetic.world import REGIONS, World

SOUND, STRAINED, DISTRESSED, CRITICAL, SAUVEGARDE, REDRESSEMENT, PLAN, LIQUIDATION, CLOSED = range(9)
NOT_CREATED = -1
STATE_NAMES = [
    "sound",
    "strained",
    "distressed",
    "critical",
    "sauvegarde",
    "redressement",
    "plan",
    "liquidation",
    "closed",
]
HORIZON = 18

# Events on a transition (what the proceedings file will show).
(
    NO_EVENT,
    OPEN_LIQUIDATION,
    OPEN_REDRESSEMENT,
    OPEN_SAUVEGARDE,
    PLAN_ADOPTED,
    PROCEEDING_ENDED,
    CONVERTED_TO_LIQUIDATION,
    VOLUNTARY_CLOSURE,
) = range(8)
FAILURE_EVENTS = (OPEN_LIQUIDATION, OPEN_REDRESSEMENT, OPEN_SAUVEGARDE, CONVERTED_TO_LIQUIDATION)
# Action of the proceeding a firm is in (for event labels).
NO_ACTION, ACTION_SAUVEGARDE, ACTION_REDRESSEMENT, ACTION_LIQUIDATION = range(4)


@dataclass(frozen=True)
class Shock:
    """A national episode: multipliers of deterioration and of failure events over [start, end].
    `sensitivity` names a section attribute ("covid" or "energy") scaling the deterioration effect."""

    name: str
    start: str
    end: str
    worsen: float
    opening: float
    sensitivity: str = ""


@dataclass(frozen=True)
class ProcessParams:
    """Every parameter of the hidden process (monthly probabilities unless stated)."""

    worsen: tuple[float, ...] = (0.009, 0.02, 0.022)  # sound->strained, strained->distressed, distressed->critical
    sudden: float = 0.0004  # sound -> distressed
    recover: tuple[float, ...] = (0.07, 0.05, 0.05)  # strained->sound, distressed->strained, critical->distressed
    opening: tuple[float, ...] = (0.000025, 0.00019, 0.0016, 0.018)  # failure event from each health state
    closure: tuple[float, ...] = (0.0010, 0.0012, 0.0015, 0.0015)  # voluntary closure (no proceeding)
    # Kind of the opening from each health state: (liquidation, redressement, sauvegarde).
    opening_kind: tuple[tuple[float, ...], ...] = (
        (0.45, 0.35, 0.20),
        (0.40, 0.40, 0.20),
        (0.40, 0.45, 0.15),
        (0.45, 0.47, 0.08),
    )
    sauvegarde: tuple[float, ...] = (0.08, 0.02, 0.02)  # observation -> plan, -> end (in bonis), -> liquidation
    redressement: tuple[float, ...] = (0.045, 0.003, 0.075)
    plan: tuple[float, ...] = (0.005, 0.005)  # plan -> completed (in bonis), -> liquidation
    frailty_sigma: float = 0.6  # log-sd of the firm's frailty multiplier
    opening_frailty_power: float = 0.5  # frailty ** power multiplies failure events
    young_extra: float = 1.0  # deterioration x (1 + extra * exp(-age / months))
    young_months: float = 36.0
    size_elasticity: float = -0.15  # deterioration x (headcount / 20) ** elasticity
    sector_ar: tuple[float, float] = (0.92, 0.07)  # AR(1) of log sector shocks: rho, sigma
    region_ar: tuple[float, float] = (0.90, 0.04)
    initial: tuple[float, ...] = (0.80, 0.13, 0.05, 0.02)  # health at the simulation start
    newborn: tuple[float, ...] = (0.85, 0.15, 0.0, 0.0)  # health at creation
    shocks: tuple[Shock, ...] = field(
        default_factory=lambda: (
            Shock("financial_crisis", "2008-10", "2009-12", worsen=1.5, opening=1.15),
            Shock("health_crisis_support", "2020-03", "2021-12", worsen=1.3, opening=0.35, sensitivity="covid"),
            Shock("catch_up", "2022-01", "2024-12", worsen=1.15, opening=1.35, sensitivity="covid"),
            Shock("energy", "2022-09", "2023-12", worsen=1.6, opening=1.0, sensitivity="energy"),
        )
    )

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Calendar:
    """Deterministic monthly paths over [sim_start, sim_start + n_months): national multipliers per
    section and log shocks per section and region."""

    sim_start: int
    national_worsen: np.ndarray  # (sections, months)
    national_opening: np.ndarray  # (months,)
    sector_shock: np.ndarray  # (sections, months)
    region_shock: np.ndarray  # (regions, months)

    def to_dict(self) -> dict:
        return {
            "sim_start_month_index": self.sim_start,
            "national_worsen": self.national_worsen.round(6).tolist(),
            "national_opening": self.national_opening.round(6).tolist(),
            "sector_shock": self.sector_shock.round(6).tolist(),
            "region_shock": self.region_shock.round(6).tolist(),
            "sections": ref.SECTION_NAMES,
            "regions": REGIONS,
        }


def build_calendar(params: ProcessParams, seed: int, sim_start: int, n_months: int) -> Calendar:
    months = sim_start + np.arange(n_months)
    sensitivities = {"covid": ref.section_array(4), "energy": ref.section_array(5)}
    worsen = np.ones((len(ref.SECTION_NAMES), n_months))
    opening = np.ones(n_months)
    for shock in params.shocks:
        on = (months >= month_number(shock.start)) & (months <= month_number(shock.end))
        sens = sensitivities[shock.sensitivity] if shock.sensitivity else np.ones(len(ref.SECTION_NAMES))
        worsen[:, on] *= (1.0 + (shock.worsen - 1.0) * sens)[:, None]
        opening[on] *= shock.opening
    rs = Streams(seed)
    return Calendar(
        sim_start,
        worsen,
        opening,
        _ar1(rs["sector_shock"], len(ref.SECTION_NAMES), months, *params.sector_ar),
        _ar1(rs["region_shock"], len(REGIONS), months, *params.region_ar),
    )


def _ar1(stream, rows: int, months: np.ndarray, rho: float, sigma: float) -> np.ndarray:
    """Stationary AR(1) paths, one per row; the value of month m depends only on (seed, row, m)."""
    out = np.zeros((rows, len(months)))
    # Start 60 months before the first month so the path at any month is in its stationary regime.
    state = np.zeros(rows)
    rows_idx = np.arange(rows)
    for m in range(int(months[0]) - 60, int(months[-1]) + 1):
        state = rho * state + sigma * stream.normal(rows_idx, m)
        if m >= months[0]:
            out[:, m - months[0]] = state
    return out


@dataclass
class Rates:
    """Monthly transition probabilities per firm (rows) and month (columns from sim_start); rates
    that depend on neither are plain floats."""

    worsen: list[np.ndarray]  # 3 arrays: sound->strained, strained->distressed, distressed->critical
    sudden: np.ndarray
    recover: list[float]  # strained->sound, distressed->strained, critical->distressed
    opening: list[np.ndarray]  # failure event from each health state
    closure: list[float]
    sauvegarde: list  # -> plan, -> end (floats), -> liquidation (array)
    redressement: list
    plan: list  # -> end (float), -> liquidation (array)


def rates(world: World, params: ProcessParams, cal: Calendar, n_months: int) -> Rates:
    months = cal.sim_start + np.arange(n_months)
    frailty = np.exp(params.frailty_sigma * world.frailty_z - params.frailty_sigma**2 / 2)
    risk = ref.section_array(3)[world.section] * np.where(world.public, 0.0, 1.0)
    size = np.clip((np.exp(world.log_size) / 20.0) ** params.size_elasticity, 0.5, 2.0)
    age = np.maximum(months[None, :] - world.created_month[:, None], 0)
    young = 1.0 + params.young_extra * np.exp(-age / params.young_months)
    shock = np.exp(cal.sector_shock[world.section] + cal.region_shock[world.region])
    w = (frailty * risk * size)[:, None] * young * shock * cal.national_worsen[world.section]
    o = (frailty**params.opening_frailty_power * np.where(world.public, 0.0, 1.0))[:, None] * cal.national_opening[
        None, :
    ]
    o = np.minimum(o, 10.0)
    return Rates(
        worsen=[np.minimum(p * w, 0.3) for p in params.worsen],
        sudden=np.minimum(params.sudden * w, 0.05),
        recover=list(params.recover),
        opening=[p * o for p in params.opening],
        closure=list(params.closure),
        sauvegarde=[params.sauvegarde[0], params.sauvegarde[1], params.sauvegarde[2] * o],
        redressement=[params.redressement[0], params.redressement[1], params.redressement[2] * o],
        plan=[params.plan[0], params.plan[1] * o],
    )


@dataclass
class Path:
    """One realisation: state at the start of each month (n, T + 1), the event of the transition
    during each month and its day (n, T), and the proceeding action in force (n, T + 1)."""

    state: np.ndarray
    event: np.ndarray
    event_day: np.ndarray
    action: np.ndarray


def simulate(world: World, r: Rates, params: ProcessParams, seed: int, sim_start: int, n_transitions: int) -> Path:
    rs = Streams(seed)
    n = len(world)
    f = world.firm
    state = np.full((n, n_transitions + 1), NOT_CREATED, dtype=np.int8)
    event = np.zeros((n, n_transitions), dtype=np.int8)
    action = np.zeros((n, n_transitions + 1), dtype=np.int8)
    event_day = (
        rs["event_day"]
        .integers(2, 29, f[:, None], sim_start + np.arange(n_transitions)[None, :])
        .reshape(n, n_transitions)
        .astype(np.int8)
    )
    initial = np.where(
        world.created_month < sim_start,
        rs["initial"].choice(params.initial, f),
        rs["newborn"].choice(params.newborn, f),
    )
    current = np.where(world.created_month <= sim_start, initial, NOT_CREATED).astype(np.int8)
    current_action = np.zeros(n, dtype=np.int8)
    state[:, 0] = current
    kinds = np.asarray(params.opening_kind)
    for t in range(n_transitions):
        m = sim_start + t
        u = rs["transition"].uniform(f, m)
        uk = rs["opening_kind"].uniform(f, m)
        nxt = current.copy()
        ev = np.zeros(n, dtype=np.int8)
        for h in (SOUND, STRAINED, DISTRESSED, CRITICAL):
            at = current == h
            if not at.any():
                continue
            ua = u[at]
            up = r.worsen[h][at, t] if h < CRITICAL else np.zeros(at.sum())
            jump = r.sudden[at, t] if h == SOUND else np.zeros(at.sum())
            down = r.recover[h - 1] if h > SOUND else 0.0
            op = r.opening[h][at, t]
            cl = r.closure[h]
            c1 = up
            c2 = c1 + jump
            c3 = c2 + down
            c4 = c3 + op
            c5 = c4 + cl
            new = np.full(at.sum(), h, dtype=np.int8)
            new[ua < c1] = h + 1
            new[(ua >= c1) & (ua < c2)] = DISTRESSED
            new[(ua >= c2) & (ua < c3)] = h - 1
            opened = (ua >= c3) & (ua < c4)
            kind = (uk[at][:, None] > np.cumsum(kinds[h])[None, :]).sum(axis=1)  # 0 liq, 1 redr, 2 sauv
            e = np.zeros(at.sum(), dtype=np.int8)
            new[opened] = np.array([LIQUIDATION, REDRESSEMENT, SAUVEGARDE], dtype=np.int8)[kind[opened]]
            e[opened] = np.array([OPEN_LIQUIDATION, OPEN_REDRESSEMENT, OPEN_SAUVEGARDE], dtype=np.int8)[kind[opened]]
            closed = (ua >= c4) & (ua < c5)
            new[closed] = CLOSED
            e[closed] = VOLUNTARY_CLOSURE
            nxt[at] = new
            ev[at] = e
        for s, rr in ((SAUVEGARDE, r.sauvegarde), (REDRESSEMENT, r.redressement)):
            at = current == s
            if at.any():
                ua = u[at]
                c1 = rr[0]
                c2 = c1 + rr[1]
                c3 = c2 + rr[2][at, t]
                new = np.full(at.sum(), s, dtype=np.int8)
                e = np.zeros(at.sum(), dtype=np.int8)
                new[ua < c1], e[ua < c1] = PLAN, PLAN_ADOPTED
                mid = (ua >= c1) & (ua < c2)
                new[mid], e[mid] = STRAINED, PROCEEDING_ENDED
                liq = (ua >= c2) & (ua < c3)
                new[liq], e[liq] = LIQUIDATION, CONVERTED_TO_LIQUIDATION
                nxt[at], ev[at] = new, e
        at = current == PLAN
        if at.any():
            ua = u[at]
            c1 = r.plan[0]
            c2 = c1 + r.plan[1][at, t]
            new = np.full(at.sum(), PLAN, dtype=np.int8)
            e = np.zeros(at.sum(), dtype=np.int8)
            new[ua < c1], e[ua < c1] = STRAINED, PROCEEDING_ENDED
            liq = (ua >= c1) & (ua < c2)
            new[liq], e[liq] = LIQUIDATION, CONVERTED_TO_LIQUIDATION
            nxt[at], ev[at] = new, e
        # Firms created during the next month start in their newborn health state.
        born = world.created_month == m + 1
        nxt[born] = initial[born]
        current_action = np.where(
            ev == OPEN_SAUVEGARDE,
            ACTION_SAUVEGARDE,
            np.where(
                ev == OPEN_REDRESSEMENT,
                ACTION_REDRESSEMENT,
                np.where(
                    np.isin(ev, (OPEN_LIQUIDATION, CONVERTED_TO_LIQUIDATION)),
                    ACTION_LIQUIDATION,
                    np.where(ev == PROCEEDING_ENDED, NO_ACTION, current_action),
                ),
            ),
        ).astype(np.int8)
        event[:, t] = ev
        state[:, t + 1] = nxt
        action[:, t + 1] = current_action
        current = nxt
    return Path(state=state, event=event, event_day=event_day, action=action)


def failure_probability(r: Rates, horizon: int = HORIZON) -> np.ndarray:
    """v(t, s) = P(failure event during months t .. t+horizon-1 | state s at the start of t), for the
    7 transient states, as an array (n, months - horizon, 7): only months whose whole window lies
    within the rates' months are returned. Computed in float32 (error < 1e-5)."""
    n, months = r.sudden.shape

    def f32(x):
        return x.astype(np.float32) if isinstance(x, np.ndarray) else np.float32(x)

    o = [f32(x) for x in r.opening]
    w = [f32(x) for x in r.worsen]
    jump = f32(r.sudden)
    rec, cl = r.recover, r.closure
    sv, rd, pl = r.sauvegarde, r.redressement, r.plan
    sv_liq, rd_liq, pl_liq = f32(sv[2]), f32(rd[2]), f32(pl[1])
    # Probabilities of staying put (in float32, from the same rates).
    stay = [
        1 - w[0] - jump - o[0] - cl[0],
        1 - w[1] - rec[0] - o[1] - cl[1],
        1 - w[2] - rec[1] - o[2] - cl[2],
        1 - rec[2] - o[3] - cl[3],
        1 - sv[0] - sv[1] - sv_liq,
        1 - rd[0] - rd[1] - rd_liq,
        1 - pl[0] - pl_liq,
    ]
    v = [np.zeros((n, months), dtype=np.float32)] * 7
    for k in range(1, horizon + 1):
        c = months - k  # columns t whose value needs column t + 1 of the previous step
        nx = [x[:, 1 : c + 1] for x in v]

        def a(x, c=c):
            return x[:, :c]

        v = [
            a(o[0]) + a(w[0]) * nx[1] + a(jump) * nx[2] + a(stay[0]) * nx[0],
            a(o[1]) + a(w[1]) * nx[2] + rec[0] * nx[0] + a(stay[1]) * nx[1],
            a(o[2]) + a(w[2]) * nx[3] + rec[1] * nx[1] + a(stay[2]) * nx[2],
            a(o[3]) + rec[2] * nx[2] + a(stay[3]) * nx[3],
            a(sv_liq) + sv[0] * nx[6] + sv[1] * nx[1] + a(stay[4]) * nx[4],
            a(rd_liq) + rd[0] * nx[6] + rd[1] * nx[1] + a(stay[5]) * nx[5],
            a(pl_liq) + pl[0] * nx[1] + a(stay[6]) * nx[6],
        ]
    return np.stack(v, axis=2).astype(np.float64)


def oracle(r: Rates, path: Path) -> np.ndarray:
    """p_failure_18m for each firm and month of the path's states (n, T + 1); 0 in absorbing states,
    NaN before creation."""
    v = failure_probability(r)
    cols = path.state.shape[1]
    if v.shape[1] < cols:
        raise ValueError("the rates must cover HORIZON months beyond the path")
    s = path.state.astype(np.int64)
    transient = (s >= 0) & (s <= PLAN)
    p = np.take_along_axis(v[:, :cols, :], np.clip(s, 0, PLAN)[:, :, None], axis=2)[:, :, 0]
    return np.where(transient, p, np.where(s < 0, np.nan, 0.0))


def realised_failure(path: Path, horizon: int = HORIZON) -> np.ndarray:
    """1.0 when a failure event happens during months t .. t+horizon-1, 0.0 when none, NaN when the
    window runs past the simulated months (n, T + 1)."""
    fail = np.isin(path.event, FAILURE_EVENTS).astype(np.int64)
    n, transitions = fail.shape
    cum = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(fail, axis=1)], axis=1)
    out = np.full((n, transitions + 1), np.nan)
    last_start = transitions - horizon
    if last_start >= 0:
        out[:, : last_start + 1] = (cum[:, horizon : transitions + 1] - cum[:, : last_start + 1] > 0).astype(float)
    return out
