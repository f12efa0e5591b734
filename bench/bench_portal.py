"""Load check of the regional portal: N users at once, each signing in, then loading its region's
month page again and again and downloading its workbook, against the portal served by uvicorn
(one process, as `make portal` starts it) on 127.0.0.1.

    .venv/bin/python bench/bench_portal.py [--users 50] [--pages 10] [--firms 30]

Two published months are written under a temporary folder with the export's own writers
(`tests/portal/portal_kit.py`), `--firms` listed firms per region (the demo's regional lists hold a
few dozen), and one account per user, spread over the regions. Loopback only; at most 200 users.
Every user signs in at once (Argon2 makes this phase CPU-bound by design), then every user loads
its month page `--pages` times back to back, without pause, and downloads its workbook. Prints
the second phase's requests/s and the median and 95th percentile latency of each kind of request;
goal: 50 users, month page p95 under 300 ms. Results go to bench/results/portal_<users>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout; the test kit (tests/portal/portal_kit.py) writes the months

import httpx  # noqa: E402

from signaux_spark.portal.store import Store, default_url  # noqa: E402
from tests.portal.portal_kit import PASSWORD, REGIONS, many_firms, served, write_month  # noqa: E402

MONTHS = ["2024-11", "2024-12"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class User:
    """One browser: its own cookies, every request timed by kind."""

    def __init__(self, url: str, email: str, region: str, timings: dict[str, list[float]]):
        self.client = httpx.AsyncClient(base_url=url, timeout=120)
        self.email, self.region, self.timings = email, region, timings

    async def timed(self, kind: str, method: str, path: str, **kwargs) -> httpx.Response:
        start = time.perf_counter()
        response = await self.client.request(method, path, **kwargs)
        self.timings[kind].append(time.perf_counter() - start)
        if response.status_code not in (200, 303):
            raise RuntimeError(f"{method} {path}: HTTP {response.status_code}")
        return response

    async def sign_in(self) -> None:
        page = await self.timed("sign-in page", "GET", "/connexion")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        form = {"email": self.email, "password": PASSWORD, "csrf": token}
        await self.timed("sign-in", "POST", "/connexion", data=form)

    async def browse(self, pages: int) -> None:
        month = MONTHS[-1]
        for _ in range(pages):
            await self.timed("month page", "GET", f"/mois/{month}/{self.region}")
        name = f"signaux_faibles_{self.region}_{month}.xlsx"
        await self.timed("download xlsx", "GET", f"/mois/{month}/{self.region}/fichiers/{name}")


async def load(url: str, accounts: list[tuple[str, str]], pages: int) -> tuple[dict, dict[str, float]]:
    """Every user signs in at once; then every user loads its month page `pages` times and
    downloads its workbook, all at once. Returns the timings and each phase's duration."""
    timings: dict[str, list[float]] = {k: [] for k in ("sign-in page", "sign-in", "month page", "download xlsx")}
    users = [User(url, email, region, timings) for email, region in accounts]
    start = time.perf_counter()
    await asyncio.gather(*(u.sign_in() for u in users))
    signed = time.perf_counter()
    await asyncio.gather(*(u.browse(pages) for u in users))
    phases = {"sign-in": signed - start, "browse": time.perf_counter() - signed}
    await asyncio.gather(*(u.client.aclose() for u in users))
    return timings, phases


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--pages", type=int, default=10, help="month pages each user loads")
    p.add_argument("--firms", type=int, default=30, help="listed firms per region (demo: a few dozen)")
    args = p.parse_args()
    if not 1 <= args.users <= 200:
        p.error("--users must be between 1 and 200")
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
        root = Path(folder)
        firms = many_firms(args.firms, MONTHS)
        for month in MONTHS:
            write_month(root / "exports", month, linked=True, firms=firms)
        store = Store(default_url(str(root)))
        regions = list(REGIONS)
        users = [(f"user{i}@bench.fr", regions[i % len(regions)]) for i in range(args.users)]
        for email, region in users:
            store.add_user(email, region, PASSWORD)
        with served(root) as url:
            timings, phases = asyncio.run(load(url, users, args.pages))
        downloads = len(store.audit_rows("download"))
        store.close()
    browsed = len(timings["month page"]) + len(timings["download xlsx"])
    load_average = os.getloadavg()
    result = {
        "users": args.users,
        "pages_per_user": args.pages,
        "firms_per_region": args.firms,
        "sign_in_seconds": round(phases["sign-in"], 2),
        "browse_requests": browsed,
        "browse_seconds": round(phases["browse"], 2),
        "requests_per_second": round(browsed / phases["browse"], 1),
        "audited_downloads": downloads,
        "load_average": [round(x, 2) for x in load_average],
        "cpus": os.cpu_count(),
        "latency_ms": {
            k: {
                "median": round(1000 * statistics.median(v), 1),
                "p95": round(1000 * percentile(v, 0.95), 1),
                "count": len(v),
            }
            for k, v in timings.items()
        },
    }
    print(
        f"portal load check: {args.users} concurrent users signed in in {phases['sign-in']:.1f} s, then made "
        f"{browsed} page and download requests in {phases['browse']:.1f} s = "
        f"{result['requests_per_second']} requests/s "
        f"(load average {load_average[0]:.2f} on {os.cpu_count()} CPUs)"
    )
    for kind, figures in result["latency_ms"].items():
        print(
            f"  {kind:<14} {figures['count']:>5} requests  median {figures['median']:>7.1f} ms  "
            f"p95 {figures['p95']:>7.1f} ms"
        )
    goal = result["latency_ms"]["month page"]["p95"] < 300
    verdict = ("met" if goal else "not met") if args.users >= 50 else "not checked (fewer than 50 users)"
    print(f"goal (month page p95 < 300 ms with 50 users): {verdict}")
    out = ROOT / "bench" / "results" / f"portal_{args.users}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
