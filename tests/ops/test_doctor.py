"""The platform self-check runs every check, reports each, and fails when one fails."""

from signaux_spark import cli
from signaux_spark.ops import doctor
from tests.helpers import job_main


def test_every_check_passes_on_the_test_session(spark, tmp_path, capsys):
    assert cli.run(job_main("doctor"), [f"paths.root={tmp_path}"]) == 0
    out = capsys.readouterr().out
    assert out.count("OK   ") == 9 and "doctor: all checks OK" in out
    assert not list((tmp_path / "lake" / "_doctor").iterdir())  # the scratch table is removed


def test_a_failed_check_is_reported_and_the_others_still_run(spark, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(doctor, "versions", lambda: {"SPARK_VERSION": "0.0.1", "DELTA_VERSION": "0.0.2"})
    assert cli.run(job_main("doctor"), [f"paths.root={tmp_path}"]) == 1
    out = capsys.readouterr().out
    assert "FAIL spark version: Spark 4.2.0 runs, conf/versions.env pins 0.0.1" in out
    assert "FAIL delta version" in out and "OK   delta merge" in out
    assert "doctor: 2 check(s) failed" in out
