"""The portal's commands.

    python -m signaux_spark.portal serve [KEY=VALUE ...]
    python -m signaux_spark.portal users add --email E --region 84 [--password-stdin] [KEY=VALUE ...]
    python -m signaux_spark.portal users disable|enable|reset-password --email E
    python -m signaux_spark.portal users list
    python -m signaux_spark.portal users demo --file data/portal/demo_accounts.txt
    python -m signaux_spark.portal feedback export

`--region national` makes an account of the national team. Without `--password-stdin` a password
is generated and printed once. Settings as for the jobs: `--conf FILE` and `KEY=VALUE` overrides.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from signaux_spark import cli
from signaux_spark.config import ConfigError, load_settings
from signaux_spark.errors import JobError


def arguments() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m signaux_spark.portal", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--conf", action="append", default=[], metavar="FILE", help="extra conf file over conf/local.yaml")
    commands = p.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start the portal (uvicorn)")
    users = commands.add_parser("users", help="manage the accounts").add_subparsers(dest="action", required=True)
    for name in ("add", "disable", "enable", "reset-password", "list", "demo"):
        sub = users.add_parser(name)
        if name != "list" and name != "demo":
            sub.add_argument("--email", required=True)
        if name == "add":
            sub.add_argument("--region", required=True, help="region code of conf/reference, or 'national'")
        if name in ("add", "reset-password"):
            sub.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        if name == "demo":
            sub.add_argument("--file", required=True, help="where the accounts and passwords are written (mode 0600)")
        sub.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    feedback = commands.add_parser("feedback", help="the regional feedback")
    feedback = feedback.add_subparsers(dest="action", required=True)
    feedback.add_parser("export", help="write the feedback to the Delta table portal.feedback_table").add_argument(
        "overrides", nargs="*", metavar="KEY=VALUE"
    )
    serve.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    return p


def new_password() -> str:
    return secrets.token_urlsafe(15)


def main(argv: list[str] | None = None) -> int:
    args = arguments().parse_args(argv)
    settings = load_settings(args.conf, args.overrides)
    if args.command == "serve":
        return serve(settings)
    from signaux_spark.portal.app import portal_paths
    from signaux_spark.portal.store import Store, StoreError

    exports, url, _ = portal_paths(settings)
    store = Store(url)
    try:
        if args.command == "feedback":
            from signaux_spark.portal.feedback import export_feedback
            from signaux_spark.session import build_session

            count = export_feedback(build_session("signaux_spark-portal-feedback", settings), settings, store)
            print(f"feedback: {count} row(s) written to {settings.portal.feedback_table}")
        elif args.action == "list":
            for user in store.users():
                print(f"{user.email}\t{user.region}\t{'active' if user.active else 'disabled'}")
        elif args.action == "demo":
            demo_accounts(store, exports, Path(args.file))
        elif args.action in ("disable", "enable"):
            user = store.set_active(args.email, args.action == "enable")
            print(f"{user.email}: {'enabled' if user.active else 'disabled'}")
        else:
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else new_password()
            if args.action == "add":
                user = store.add_user(args.email, args.region, password)
            else:
                user = store.reset_password(args.email, password)
            print(f"{user.email} ({user.region}): password {'set' if args.password_stdin else password}")
    except StoreError as err:
        raise JobError(str(err)) from None
    finally:
        store.close()
    return 0


def demo_accounts(store, exports: str, file: Path) -> None:
    """One account per region of the latest published month and one national account, each with a
    new password, written to `file` (readable by its owner only)."""
    from signaux_spark.portal.exports import Exports
    from signaux_spark.portal.store import NATIONAL

    published = Exports(exports)
    months = published.months()
    if not months:
        raise JobError(f"no published month under {exports}: run the export first")
    known = {u.email for u in store.users()}
    lines = []
    for region in published.regions(months[-1]) + [NATIONAL]:
        email, password = f"{region}@demo.signaux-faibles.fr", new_password()
        if email in known:
            store.reset_password(email, password)
        else:
            store.add_user(email, region, password)
        lines.append(f"{region}\t{email}\t{password}\n")
    file.parent.mkdir(parents=True, exist_ok=True)
    if file.exists():
        file.unlink()
    with os.fdopen(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
        handle.write("region\temail\tpassword\n" + "".join(lines))
    print(f"{len(lines)} demo accounts (one per region of {months[-1]} and one national) written to {file}")


def serve(settings) -> int:
    import uvicorn

    from signaux_spark.portal.app import create_app

    port = os.environ.get("PORTAL_PORT") or str(settings.portal.port)
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"PORTAL_PORT must be a TCP port, got {port!r}")
    port = int(port)
    print(f"portal: http://{settings.portal.host}:{port}/ (Ctrl+C to stop)", flush=True)
    uvicorn.run(
        create_app(settings),
        host=settings.portal.host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
