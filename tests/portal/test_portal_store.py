"""The portal's store on its two databases: the embedded SQLite file and a real PostgreSQL server
(a throw-away cluster the fixture creates, starts and stops), and the admin command."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from signaux_spark.portal import store as db
from signaux_spark.portal.__main__ import main as portal_main
from tests.portal.portal_kit import PASSWORD, free_port, write_month


def postgres_binaries() -> Path | None:
    """The folder of Debian's PostgreSQL server programs (initdb, pg_ctl), newest version first."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server on a free loopback port for this module, run as an unprivileged user."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server programs not found: run scripts/setup-system.sh (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="portal-postgres-"))  # directly under /tmp: reachable by its owner
    data, port = folder / "data", free_port()
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as Debian's postgres user
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        run_as + [str(binaries / "initdb"), "-D", str(data), "-U", "portal", "-A", "trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        run_as + [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://portal@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            run_as + [str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = db.default_url(str(tmp_path))
    else:
        url = request.getfixturevalue("postgres")
    opened = db.Store(url)
    yield opened
    db.Base.metadata.drop_all(opened.engine)
    opened.close()


def test_accounts_are_created_checked_and_refused_clearly(store):
    user = store.add_user(" A84@Region.fr ", "84", PASSWORD)
    assert (user.email, user.region, user.active, user.national) == ("a84@region.fr", "84", True, False)
    assert store.add_user("nat@national.fr", "national", PASSWORD).national
    for email, region, password, message in [
        ("a84@region.fr", "84", PASSWORD, "already exists"),
        ("not an address", "84", PASSWORD, "not an e-mail address"),
        ("short@region.fr", "84", "too short", "at least 12 characters"),
        ("slash@region.fr", "../11", PASSWORD, "region must be a region code"),
    ]:
        with pytest.raises(db.StoreError, match=message):
            store.add_user(email, region, password)
    assert [u.email for u in store.users()] == ["a84@region.fr", "nat@national.fr"]


def test_passwords_are_argon2_hashes_and_checked(store):
    store.add_user("a84@region.fr", "84", PASSWORD)
    with store.session() as s:
        stored = s.query(db.User).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert store.authenticate("a84@region.fr", PASSWORD).region == "84"
    assert store.authenticate("A84@REGION.FR", PASSWORD) is not None
    assert store.authenticate("a84@region.fr", PASSWORD + "x") is None
    assert store.authenticate("nobody@region.fr", PASSWORD) is None


def test_disabling_and_resetting_end_the_sessions(store):
    first = store.add_user("a84@region.fr", "84", PASSWORD)
    disabled = store.set_active("a84@region.fr", False)
    assert not disabled.active and disabled.session_version > first.session_version
    assert store.authenticate("a84@region.fr", PASSWORD) is None
    reset = store.reset_password("a84@region.fr", "a brand new passphrase")
    assert reset.active and reset.session_version > disabled.session_version
    assert store.authenticate("a84@region.fr", PASSWORD) is None
    assert store.authenticate("a84@region.fr", "a brand new passphrase") is not None
    with pytest.raises(db.StoreError, match="no user"):
        store.reset_password("nobody@region.fr", "a brand new passphrase")


def test_the_audit_log_and_the_failure_count(store):
    user = store.add_user("a84@region.fr", "84", PASSWORD)
    store.audit(db.SIGN_IN_FAILED, "a84@region.fr", client="10.0.0.1")
    store.audit(db.SIGN_IN_FAILED, "other@region.fr", client="10.0.0.1")
    store.audit(db.SIGN_IN, "a84@region.fr", user_id=user.id, client="10.0.0.2")
    store.audit(
        db.DOWNLOAD, "a84@region.fr", user_id=user.id, month="2020-03", region="84", file="a.csv", sha256="ab" * 32
    )
    assert store.recent_failures(15, email="a84@region.fr") == 1
    assert store.recent_failures(15, client="10.0.0.1") == 2
    assert store.recent_failures(15, client="10.0.0.2") == 0
    (download,) = store.audit_rows(db.DOWNLOAD)
    assert (download["email"], download["month"], download["region"], download["file"], download["sha256"]) == (
        "a84@region.fr",
        "2020-03",
        "84",
        "a.csv",
        "ab" * 32,
    )
    assert download["at"] is not None and len(store.audit_rows()) == 4


def test_feedback_is_stored_per_region_and_firm(store):
    user = store.add_user("a84@region.fr", "84", PASSWORD)
    store.add_feedback(user, "84", "000000101", "2020-03", "contacted", "  appel  ")
    store.add_feedback(user, "84", "000000102", "2020-03", "other", "")
    with pytest.raises(db.StoreError, match="unknown action"):
        store.add_feedback(user, "84", "000000101", "2020-03", "bribe", "")
    assert [(f["siren"], f["action"], f["comment"]) for f in store.feedback(region="84")] == [
        ("000000101", "contacted", "appel"),
        ("000000102", "other", ""),
    ]
    assert len(store.feedback(siren="000000101")) == 1 and store.feedback(region="11") == []


def test_the_admin_command_manages_accounts(tmp_path, capsys, monkeypatch):
    root = [f"paths.root={tmp_path}"]
    assert portal_main(["users", "add", "--email", "a84@region.fr", "--region", "84", *root]) == 0
    password = capsys.readouterr().out.strip().rsplit(" ", 1)[1]
    store = db.Store(db.default_url(str(tmp_path)))
    assert store.authenticate("a84@region.fr", password) is not None
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("chosen passphrase!\n"))
    assert portal_main(["users", "reset-password", "--email", "a84@region.fr", "--password-stdin", *root]) == 0
    assert "password set" in capsys.readouterr().out
    assert store.authenticate("a84@region.fr", "chosen passphrase!") is not None
    assert portal_main(["users", "disable", "--email", "a84@region.fr", *root]) == 0
    assert portal_main(["users", "list", *root]) == 0
    assert "a84@region.fr\t84\tdisabled" in capsys.readouterr().out
    from signaux_spark import cli

    code = cli.run(portal_main, ["users", "add", "--email", "a84@region.fr", "--region", "84", *root])
    assert code == 1 and "a user a84@region.fr already exists" in capsys.readouterr().err
    store.close()


def test_demo_accounts_one_per_region_and_a_national_one_in_a_private_file(tmp_path, capsys):
    write_month(tmp_path / "exports", "2020-03", linked=True)
    file = tmp_path / "portal" / "demo_accounts.tsv"
    for _ in range(2):  # a second run gives new passwords to the same accounts
        assert portal_main(["users", "demo", "--file", str(file), f"paths.root={tmp_path}"]) == 0
    assert file.stat().st_mode & 0o777 == 0o600
    rows = [line.split("\t") for line in file.read_text(encoding="utf-8").splitlines()[1:]]
    assert [r[0] for r in rows] == ["11", "84", "94", "national"]
    store = db.Store(db.default_url(str(tmp_path)))
    assert all(store.authenticate(email, password) for _, email, password in rows)
    assert [u.region for u in store.users()] == ["11", "84", "94", "national"]
    store.close()
