"""Everything the emitters of one partition share: the world, the simulated path, the activity, and
establishment-level monthly arrays (active, headcount, SIRET in force)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signaux_spark.synthetic import reference as ref
from signaux_spark.synthetic.activity import Activity, activity, split_headcount
from signaux_spark.synthetic.calendar import day_of, month_of
from signaux_spark.synthetic.files import Schedule
from signaux_spark.synthetic.ids import as_text
from signaux_spark.synthetic.plan import Plan
from signaux_spark.synthetic.process import Path, Rates, build_calendar, oracle, rates, simulate
from signaux_spark.synthetic.rng import Streams
from signaux_spark.synthetic.world import World, build_world

# Severity of each state (sound .. closed), used by emissions that grade with distress.
SEVERITY = np.array([0.0, 0.3, 0.65, 1.0, 0.7, 0.9, 0.4, 1.0, 0.0])


@dataclass
class Context:
    plan: Plan
    schedule: Schedule
    streams: Streams
    world: World
    path: Path
    rates: Rates
    act: Activity
    months: np.ndarray  # month of each state column
    site_active: np.ndarray  # (sites, columns) the establishment employs and contributes
    site_headcount: np.ndarray  # (sites, columns)
    siret_before: np.ndarray  # SIRET text before the establishment's move
    siret_after: np.ndarray
    move_date: np.ndarray  # datetime64[D] (far future when it never moves)
    urssaf_code: np.ndarray  # per site
    account: np.ndarray  # per site: URSSAF account number (18 digits)
    site_dept_text: np.ndarray  # per site: department as written in URSSAF files

    def col(self, month) -> np.ndarray:
        return np.asarray(month) - self.plan.sim_start

    def siret_at(self, sites: np.ndarray, dates: np.ndarray) -> np.ndarray:
        return np.where(dates >= self.move_date[sites], self.siret_after[sites], self.siret_before[sites])

    def state_at(self, firms: np.ndarray, months: np.ndarray) -> np.ndarray:
        return self.path.state[firms, np.clip(self.col(months), 0, self.path.state.shape[1] - 1)]


def build_context(firms: np.ndarray, plan: Plan) -> Context:
    world = build_world(firms, plan.seed, plan.sim_start, plan.last_batch, plan.faults)
    cal = build_calendar(plan.process, plan.seed, plan.sim_start, plan.rate_months)
    r = rates(world, plan.process, cal, plan.rate_months)
    path = simulate(world, r, plan.process, plan.seed, plan.sim_start, plan.transitions)
    act = activity(world, path, plan.seed, plan.sim_start)
    s = world.sites
    cols = path.state.shape[1]
    months = plan.sim_start + np.arange(cols)
    never = np.isnat(act.site_closed)
    closed_month = np.where(never, 10**6, month_of(np.where(never, np.datetime64("2000-01-01"), act.site_closed)))
    active = (
        (s.created_month[:, None] <= months[None, :])
        & (closed_month[:, None] >= months[None, :])
        & act.operating[s.firm]
        & ~s.foreign[:, None]
    )
    weights = np.where(active, s.weight[:, None], 0.0)
    headcount = split_headcount(act.headcount[s.firm], weights, s.firm)
    siren_text = world.siren_text[s.firm]
    move_date = np.where(
        s.move_month < 10**5, day_of(np.minimum(s.move_month, 10**5), s.move_day), np.datetime64("2999-12-31")
    )
    dept_codes = np.asarray(ref.DEPT_CODES, dtype=object)[s.dept]
    region = np.asarray(ref.DEPT_REGION)[s.dept]
    urssaf = np.asarray([ref.URSSAF_CODE[r] for r in region], dtype=object)
    rs = Streams(plan.seed)
    corsica_20 = np.isin(dept_codes, ["2A", "2B"]) & (rs["dep_20"].uniform(world.firm[s.firm], s.k) < 0.25)
    account = urssaf + as_text(world.firm[s.firm], 9) + as_text(s.k, 3) + "000"
    return Context(
        plan=plan,
        schedule=Schedule(plan),
        streams=rs,
        world=world,
        path=path,
        rates=r,
        act=act,
        months=months,
        site_active=active,
        site_headcount=headcount,
        siret_before=siren_text + as_text(s.nic, 5),
        siret_after=siren_text + as_text(s.nic_after, 5),
        move_date=move_date,
        urssaf_code=urssaf,
        account=account,
        site_dept_text=np.where(corsica_20, "20", dept_codes),
    )


def truth_oracle(ctx: Context) -> np.ndarray:
    return oracle(ctx.rates, ctx.path)
