"""The distributed generator: Spark jobs over firms, then over batches.

1. `simulate`: `spark.range(firms)` in contiguous partitions; each task simulates its firms (numpy,
   vectorised over firms, looping over months), renders every source's lines for them and appends
   them to per-batch chunk files `_work/<YYYY-MM>/<first firm>.dat` (+ a JSON index with line
   counts and fault notes); the task's output rows are the oracle (`truth/firm_months`, Parquet).
2. `firms`: the static firm parameters (`truth/firms`), recomputed cheaply from the seed.
3. `assemble`: one task per batch concatenates the chunks of each file kind in firm order into the
   one delivered file and writes the batch's fault manifest.

The driver holds only the plan and per-file statistics: its memory does not grow with the number
of firms. Executors write local files directly: on a cluster `out_dir` must be a file system every
executor mounts at the same path (NFS or similar); see docs/synthetic.md.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from signaux_spark.progress import step
from signaux_spark.synthetic import emit_altares, emit_ap, emit_dgfip, emit_sirene, emit_urssaf
from signaux_spark.synthetic import reference as ref
from signaux_spark.synthetic.assemble import assemble_batch, chunk_dir
from signaux_spark.synthetic.calendar import month_start, month_str
from signaux_spark.synthetic.context import Context, build_context
from signaux_spark.synthetic.files import SPECS, Schedule
from signaux_spark.synthetic.plan import Plan, make_plan
from signaux_spark.synthetic.process import STATE_NAMES, build_calendar, oracle, realised_failure
from signaux_spark.synthetic.records import render
from signaux_spark.synthetic.world import ODDITIES, REGIONS, World

OUTPUTS = ("landing", "faults", "truth")
# In the output folder: its OUTPUTS were written by the generator, which may therefore replace them;
# without it, a non-empty one is never touched.
MARKER = ".signaux_spark_generated"
FIRM_MONTHS_SCHEMA = "siren string, periode date, state string, p_failure_18m double, failure_18m int, effectif int"


def generate(
    spark,
    out_dir,
    *,
    size: str = "tiny",
    firms: int | None = None,
    first_batch: str = "2015-01",
    last_batch: str = "2024-12",
    seed: int = 1,
    faults: str | Mapping = "default",
    partitions: int | None = None,
) -> dict:
    """Generate `out_dir/landing/<source>/<YYYY-MM>/<file>`, `out_dir/faults/<YYYY-MM>.csv` and
    `out_dir/truth/` (firm_months, firms, params.json). Existing `landing`, `faults` and `truth`
    folders under `out_dir` are replaced when an earlier generation wrote them (MARKER in `out_dir`);
    else a non-empty one is a ValueError and nothing is removed. Returns a summary (counts, bytes, seconds)."""
    started = time.monotonic()
    plan = make_plan(
        size=size,
        firms=firms,
        first_batch=first_batch,
        last_batch=last_batch,
        seed=seed,
        faults=faults,
        partitions=partitions,
        default_parallelism=spark.sparkContext.defaultParallelism,
    )
    if "://" in str(out_dir):
        raise ValueError(f"the generator writes local files; '{out_dir}' is not a local path (see docs/synthetic.md)")
    out = Path(out_dir).resolve()
    foreign = [str(out / name) for name in OUTPUTS if (out / name).is_dir() and any((out / name).iterdir())]
    if foreign and not (out / MARKER).is_file():
        raise ValueError(
            f"refusing to replace {', '.join(foreign)}: the generator did not write it "
            f"(no {out / MARKER}), it may hold real deliveries; move it away, or generate elsewhere "
            "with --out"
        )
    for name in (*OUTPUTS, "_work"):
        shutil.rmtree(out / name, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)  # marked before anything is written: a generation killed half way is ours
    (out / MARKER).write_text(
        "landing/, faults/ and truth/ here were written by signaux_spark's generator, "
        "which replaces them when it runs again\n"
    )
    work = out / "_work"
    (out / "truth").mkdir(parents=True)
    (out / "truth" / "params.json").write_text(json.dumps(_params(plan), indent=1, ensure_ascii=False))

    with step(spark, f"generate: simulate {plan.firms:,} firms and render their lines") as s:
        frame = spark.range(0, plan.firms, 1, plan.partitions).mapInPandas(
            partial(_simulate_partition, plan=plan, out_dir=str(out), work=str(work)), FIRM_MONTHS_SCHEMA
        )
        frame.write.mode("overwrite").parquet(str(out / "truth" / "firm_months"))
        establishments = sum(json.loads(p.read_text())["establishments"] for p in work.glob("*.stats.json"))
        s.rows["firms"] = plan.firms
        s.rows["establishments"] = establishments
        s.rows["partitions"] = plan.partitions
    with step(spark, f"generate: assemble {len(plan.batches)} batches") as s:
        batches = list(plan.batches)
        results = (
            spark.sparkContext.parallelize(batches, min(len(batches), 4 * spark.sparkContext.defaultParallelism))
            .map(partial(_assemble, plan=plan, out_dir=str(out), work=str(work)))
            .collect()
        )
        files = [f for r in results for f in r[0]]
        fault_counts = sum((Counter(r[1]) for r in results), Counter())
        s.rows["files"] = len(files)
        s.rows["lines"] = sum(f["lines"] for f in files)
        s.rows["faults"] = sum(fault_counts.values())
    shutil.rmtree(work, ignore_errors=True)
    lines = Counter()
    size_bytes = Counter()
    for f in files:
        lines[f["source"]] += f["lines"]
        size_bytes[f["source"]] += f["bytes"]
    return {
        "out_dir": str(out),
        "firms": plan.firms,
        "establishments": establishments,
        "first_batch": month_str(plan.first_batch),
        "last_batch": month_str(plan.last_batch),
        "batches": len(plan.batches),
        "files": len(files),
        "lines": dict(lines),
        "bytes": dict(size_bytes),
        "total_bytes": sum(size_bytes.values()),
        "faults": dict(fault_counts),
        "seconds": round(time.monotonic() - started, 1),
    }


def _params(plan: Plan) -> dict:
    cal = build_calendar(plan.process, plan.seed, plan.sim_start, plan.rate_months)
    schedule = Schedule(plan)
    return {
        "plan": plan.describe(),
        "calendar": cal.to_dict(),
        "deliveries": {key: [month_str(b) for b in schedule.delivery_batches(key)] for key in SPECS},
        "oracle": {
            "p_failure_18m": "P(failure event with effect date in (periode, periode + 18 months] | "
            "state at the start of periode, firm parameters, calendar paths)",
            "method": "exact backward recursion over the Markov chain (float32, error < 1e-5)",
        },
        "states": STATE_NAMES,
    }


def _emit(ctx: Context):
    """Every source's records for the partition, one at a time (to keep memory low)."""
    periods = emit_urssaf.contribution_periods(ctx)
    yield emit_urssaf.cotisation(ctx, periods)
    yield from emit_urssaf.debts(ctx, periods)
    del periods  # the largest intermediate: free it before the other sources
    yield emit_urssaf.procol(ctx)
    yield emit_urssaf.effectif(ctx)
    yield from emit_ap.short_time_work(ctx)
    yield emit_dgfip.liasses(ctx)
    yield from emit_altares.paydex(ctx)
    yield from emit_sirene.registry(ctx)


def _simulate_partition(batches: Iterator[pd.DataFrame], plan: Plan, out_dir: str, work: str) -> Iterator[pd.DataFrame]:
    ids = [b["id"].to_numpy() for b in batches]
    if not ids or not sum(len(i) for i in ids):
        return
    firms = np.sort(np.concatenate(ids))
    ctx = build_context(firms, plan)
    part = f"{int(firms[0]):012d}"
    # The firms' static parameters go straight to Parquet (one file per partition).
    table = _firm_parameters(ctx.world, plan)
    (Path(out_dir) / "truth" / "firms").mkdir(parents=True, exist_ok=True)
    pq.write_table(table, Path(out_dir) / "truth" / "firms" / f"part-{part}.parquet")
    Path(work).mkdir(parents=True, exist_ok=True)
    (Path(work) / f"{part}.stats.json").write_text(json.dumps({"establishments": int((~ctx.world.sites.pseudo).sum())}))
    index: dict[int, dict] = {}
    for records in _emit(ctx):
        for batch, chunk in render(records, plan, ctx.schedule).items():
            folder = chunk_dir(work, batch)
            folder.mkdir(parents=True, exist_ok=True)
            data_path = folder / f"{part}.dat"
            entries = index.setdefault(batch, {})
            with open(data_path, "ab" if entries else "wb") as f:
                offset = f.tell()
                f.write(chunk.data)
            entries[records.key] = {
                "offset": offset,
                "length": len(chunk.data),
                "lines": chunk.lines,
                "notes": chunk.notes,
            }
    for batch, entries in index.items():
        (chunk_dir(work, batch) / f"{part}.json").write_text(json.dumps(entries))
    yield _firm_months(ctx)


def _firm_months(ctx: Context) -> pd.DataFrame:
    plan = ctx.plan
    cols = np.nonzero((ctx.months >= plan.history_start) & (ctx.months <= plan.last_batch))[0]
    p = oracle(ctx.rates, ctx.path)[:, cols]
    realised = realised_failure(ctx.path)[:, cols]
    alive = ctx.act.alive[:, cols]
    f, j = np.nonzero(alive)
    state = ctx.path.state[:, cols][f, j]
    failure = realised[f, j]
    return pd.DataFrame(
        {
            "siren": ctx.world.siren_text[f],
            "periode": month_start(ctx.months[cols][j]),
            "state": np.asarray(STATE_NAMES, dtype=object)[state],
            "p_failure_18m": p[f, j],
            "failure_18m": pd.Series(failure, dtype="float64").astype("Int32"),
            "effectif": ctx.act.headcount[:, cols][f, j].astype(np.int32),
        }
    )


def _firm_parameters(w: World, plan: Plan) -> pa.Table:
    """truth/firms: the SIREN and the firm's hidden static parameters."""
    s = w.sites
    sigma = plan.process.frailty_sigma
    return pa.table(
        {
            "siren": w.siren_text,
            "firm_index": w.firm,
            "date_creation": w.created,
            "naf": np.asarray(ref.NAF_CODES, dtype=object)[w.naf],
            "naf_section": np.asarray(ref.SECTION_NAMES, dtype=object)[w.section],
            "categorie_juridique": np.asarray(ref.CATEGORY_CODES, dtype=object)[w.category],
            "departement": np.asarray(ref.DEPT_CODES, dtype=object)[w.dept],
            "region": np.asarray(REGIONS, dtype=object)[w.region],
            "public": w.public,
            "excluded_category": ref.CATEGORY_EXCLUDED[w.category],
            "excluded_naf": ref.NAF_EXCLUDED[w.naf],
            "size_scale": np.exp(w.log_size),
            "frailty": np.exp(sigma * w.frailty_z - sigma**2 / 2),
            "paydex_covered": w.paydex_covered,
            "fpi_covered": w.fpi_covered,
            "oddity": np.asarray(ODDITIES, dtype=object)[w.oddity],
            "establishments": np.bincount(s.firm[~s.pseudo], minlength=len(w)).astype(np.int32),
            "pseudo_siret": np.bincount(s.firm[s.pseudo], minlength=len(w)) > 0,
            "monthly_wage": w.wage,
        }
    )


def _assemble(batch: int, plan: Plan, out_dir: str, work: str):
    files = assemble_batch(batch, plan, out_dir, work)
    counts = Counter()
    manifest = Path(out_dir) / "faults" / f"{month_str(batch)}.csv"
    for line in manifest.read_text(encoding="utf-8").splitlines()[1:]:
        counts[line.rsplit(",", 2)[1]] += 1
    return files, dict(counts)
