"""The Spark generator end to end: byte-identical output whatever the partitioning, the truth
tables, the job's command line, and the rule that only evaluation may read the truth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from signaux_spark import cli
from signaux_spark.config import PROJECT_ROOT
from signaux_spark.synthetic import generate
from signaux_spark.synthetic.generator import MARKER
from tests.helpers import job_main

ARGS = dict(firms=60, first_batch="2020-01", last_batch="2021-03", seed=5, faults="stress")


@pytest.fixture(scope="module")
def two_runs(spark, tmp_path_factory):
    one = tmp_path_factory.mktemp("one_partition")
    three = tmp_path_factory.mktemp("three_partitions")
    summary = generate(spark, one, partitions=1, **ARGS)
    generate(spark, three, partitions=3, **ARGS)
    return one, three, summary


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for folder in ("landing", "faults")
        for p in (root / folder).rglob("*")
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes_whatever_the_partitions(spark, two_runs):
    one, three, summary = two_runs
    a, b = _files(one), _files(three)
    assert a.keys() == b.keys() and len(a) > 100
    assert [k for k in a if a[k] != b[k]] == []
    truth = [
        spark.read.parquet(str(root / "truth" / "firm_months")).orderBy("siren", "periode").collect()
        for root in (one, three)
    ]
    assert truth[0] == truth[1]
    assert summary["files"] == sum(1 for k in a if k.startswith("landing"))


def test_truth_tables(spark, two_runs):
    one, _, summary = two_runs
    months = spark.read.parquet(str(one / "truth" / "firm_months"))
    assert [(f.name, f.dataType.simpleString()) for f in months.schema.fields][:4] == [
        ("siren", "string"),
        ("periode", "date"),
        ("state", "string"),
        ("p_failure_18m", "double"),
    ]
    rows = months.collect()
    assert {r.state for r in rows} <= {
        "sound",
        "strained",
        "distressed",
        "critical",
        "sauvegarde",
        "redressement",
        "plan",
        "liquidation",
        "closed",
    }
    assert all(0.0 <= r.p_failure_18m <= 1.0 and r.periode.day == 1 for r in rows)
    assert all(r.p_failure_18m == 0.0 for r in rows if r.state in ("liquidation", "closed"))
    # Realised failures are known only when the 18-month window is simulated (up to the last batch).
    assert {r.failure_18m for r in rows if r.periode.year == 2021} == {None}
    firms = spark.read.parquet(str(one / "truth" / "firms")).collect()
    assert len(firms) == ARGS["firms"] == len({f.siren for f in firms})
    assert {r.siren for r in rows} <= {f.siren for f in firms}
    assert sum(f.establishments for f in firms) == summary["establishments"]
    params = json.loads((one / "truth" / "params.json").read_text())
    assert params["plan"]["firms"] == ARGS["firms"] and params["plan"]["seed"] == ARGS["seed"]
    assert len(params["calendar"]["national_opening"]) > 18
    assert params["deliveries"]["urssaf_effectif_ent"][0] == "2020-01"


def test_job_generates_and_fails_cleanly(spark, tmp_path):
    main = job_main("generate")
    common = [f"paths.root={tmp_path}", "spark.master=local[2]", "spark.shuffle_partitions=2"]
    assert (
        main(
            [
                "--firms",
                "12",
                "--from",
                "2024-01",
                "--to",
                "2024-02",
                "--faults",
                "none",
                "--out",
                str(tmp_path / "out"),
            ]
            + common
        )
        == 0
    )
    assert (tmp_path / "out" / "landing" / "urssaf_cotisation" / "2024-02" / "sigfaible_cotisdues.csv").is_file()
    assert (tmp_path / "out" / "faults" / "2024-01.csv").is_file()
    assert (tmp_path / "out" / MARKER).is_file()  # so the next generation may replace these folders
    assert cli.run(main, ["--firms", "5", "--from", "2024-03", "--to", "2024-01"] + common) == 1
    assert cli.run(main, ["--firms", "5", "--faults", "unknown_profile"] + common) == 1


def test_generate_refuses_to_replace_a_landing_folder_it_did_not_write(spark, tmp_path, capsys):
    """Without --out, the generator writes under paths.root: real deliveries there are kept."""
    delivery = tmp_path / "landing" / "urssaf_cotisation" / "2024-01" / "sigfaible_cotisdues.csv"
    delivery.parent.mkdir(parents=True)
    delivery.write_bytes(b"a real delivery")
    code = cli.run(job_main("generate"), ["--firms", "5", f"paths.root={tmp_path}", "spark.master=local[2]"])
    assert code == 1
    assert f"refusing to replace {tmp_path / 'landing'}: the generator did not write it" in capsys.readouterr().err
    assert delivery.read_bytes() == b"a real delivery" and not (tmp_path / MARKER).exists()


TRUTH_PATTERNS = [r"""["']truth["']""", r"truth/", r"""path\(\s*["']truth"""]
# Only the generator (which writes it), evaluation, and the setting's own definition.
TRUTH_ALLOWED = ("signaux_spark/synthetic/", "signaux_spark/model/oracle.py", "signaux_spark/config.py")


def mentions_truth(text: str) -> bool:
    return any(re.search(p, text) for p in TRUTH_PATTERNS)


def test_only_evaluation_reads_the_truth():
    assert mentions_truth('lake = settings.path("truth")') and mentions_truth("spark.read.parquet(root + '/truth/x')")
    assert not mentions_truth("the ground truth of a label")
    offenders = []
    for folder in ("signaux_spark", "jobs", "notebooks"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            rel = str(path.relative_to(PROJECT_ROOT))
            if (
                path.suffix in (".py", ".ipynb")
                and not rel.startswith(TRUTH_ALLOWED)
                and ".ipynb_checkpoints" not in rel
            ):
                if mentions_truth(path.read_text(encoding="utf-8", errors="replace")):
                    offenders.append(rel)
    assert offenders == []
