"""Published months for the portal's tests, written with the export's own writers
(`write_region`, `write_national`) from small hand-made lists, and a real uvicorn serving the
portal in a child process."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pandas as pd

from signaux_spark import tables
from signaux_spark.config import PROJECT_ROOT
from signaux_spark.export.lists import Disclosure
from signaux_spark.export.national import write_national
from signaux_spark.export.published import NATIONAL, PUBLICATIONS
from signaux_spark.export.region import ExportContext, write_region
from signaux_spark.months import parse_month

REGIONS = {"84": "Auvergne-Rhône-Alpes", "11": "Île-de-France", "94": "Corse"}
DEPARTEMENTS = {"69": "Rhône", "01": "Ain", "75": "Paris", "2A": "Corse-du-Sud"}
SECTIONS = {"C": "Industrie manufacturière", "F": "Construction"}
REGION_OF = {"69": "84", "01": "84", "75": "11", "2A": "94"}
# siren: (departement, section, {month: (level, probability %, evolution)})
FIRMS = {
    "000000101": (
        "69",
        "C",
        {"2020-02": ("risque fort", 61.0, "nouvelle alerte"), "2020-03": ("risque fort", 72.5, "stable")},
    ),
    "000000102": ("01", "F", {"2020-03": ("risque modéré", 21.0, "nouvelle alerte")}),
    "000000103": (
        "69",
        "F",
        {"2020-02": ("risque modéré", 18.0, "nouvelle alerte"), "2020-03": ("risque fort", 55.0, "aggravation")},
    ),
    "000000201": (
        "75",
        "C",
        {"2020-02": ("risque fort", 40.0, "nouvelle alerte"), "2020-03": ("risque fort", 44.0, "stable")},
    ),
    "000000202": ("75", "F", {"2020-03": ("risque modéré", 15.0, "nouvelle alerte")}),
    "000000301": ("2A", "C", {"2020-03": ("risque fort", 35.0, "nouvelle alerte")}),
}
OTHER_REGION_SIREN = "000000201"
PASSWORD = "correct horse battery staple"


def many_firms(per_region: int, months: list[str], seed: int = 1) -> dict:
    """FIRMS-like lists of `per_region` firms in each region, for the load check."""
    rng = random.Random(seed)
    firms = {}
    for r, region in enumerate(REGIONS):
        deps = [d for d, of in REGION_OF.items() if of == region]
        for i in range(per_region):
            probability = round(rng.uniform(10, 90), 1)
            level = "risque fort" if probability >= 30 else "risque modéré"
            firms[f"{r + 4}{i:08d}"] = (
                rng.choice(deps),
                rng.choice(list(SECTIONS)),
                {m: (level, probability, rng.choice(["nouvelle alerte", "stable"])) for m in months},
            )
    return firms


def _rows(month: str, firms: dict) -> pd.DataFrame:
    rows = []
    for siren, (dep, section, months) in firms.items():
        if month not in months:
            continue
        level, probability, evolution = months[month]
        rows.append(
            {
                "liste": month,
                "region": REGION_OF[dep],
                "siren": siren,
                "siret_siege": siren + "00011",
                "raison_sociale": f"Entreprise {siren[-3:]}",
                "departement": dep,
                "commune": "Commune",
                "code_naf": "25.11Z",
                "code_secteur": section,
                "libelle_section": SECTIONS[section],
                "categorie_juridique": "5710",
                "date_creation": dt.date(2001, 5, 1),
                "dernier_effectif": 12,
                "dette_sociale": 3000.0,
                "probabilite": probability,
                "niveau_alerte": level,
                "procedure_collective": None,
                "premiere_alerte": "oui" if evolution == "nouvelle alerte" else "non",
                "evolution": evolution,
                "niveau_mois_precedent": "risque modéré" if evolution == "aggravation" else "hors périmètre",
                "variation_probabilite": 1.5,
                "contributions": {"dette_urssaf": 1.2, "effectif": -0.1},
                "facteurs": [
                    {
                        "feature": "dette_sociale",
                        "topic": "dette_urssaf",
                        "value": 3000.0,
                        "level": None,
                        "contribution": 1.2,
                    }
                ],
                "ordre": 0 if level == "risque fort" else 1,
            }
        )
    table = pd.DataFrame(rows).sort_values(["region", "ordre", "probabilite"], ascending=[True, True, False])
    table["rang_region"] = table.groupby("region").cumcount() + 1
    return table.reset_index(drop=True)


def write_month(exports: Path, month: str, *, linked: bool, firms: dict = FIRMS) -> Path:
    """Write `month` for every region of REGIONS and the national summary; `linked`: as a
    publication under `.publications/` with `<month>` a link to it (else a plain folder, the
    layout of exports written before publications); returns the publication folder."""
    period = parse_month(month)
    ctx = ExportContext(
        period=period,
        model_name="signaux_faibles",
        model_version="3",
        fort=0.3,
        modere=0.1,
        topics=["dette_urssaf", "effectif"],
        disclosure=Disclosure(False, frozenset(), ()),
        departements=DEPARTEMENTS,
        sections=SECTIONS,
        regions=REGIONS,
    )
    rows = _rows(month, firms)
    stats = (
        rows.assign(n=1)
        .rename(columns={"code_secteur": "naf_section", "niveau_alerte": "alert_level"})
        .groupby(["region", "departement", "naf_section", "alert_level"], as_index=False)["n"]
        .sum()
    )
    folder = exports / PUBLICATIONS / month / uuid.uuid4().hex[:8] if linked else exports / month
    manifests = {
        region: write_region(
            folder / region, ctx, region, rows[rows["region"] == region], stats[stats["region"] == region]
        )
        for region in REGIONS
    }
    write_national(folder / NATIONAL, ctx, manifests, stats, 0, {tables.SCORES: 1})
    if linked:
        os.symlink(os.path.relpath(folder, exports), exports / month)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(root: Path, *overrides: str):
    """`python -m signaux_spark.portal serve` on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PORTAL_PORT": str(port), "PYTHONPATH": str(PROJECT_ROOT)}
    log = open(root / f"portal-{port}.log", "w")
    command = [sys.executable, "-m", "signaux_spark.portal", "serve", f"paths.root={root}", *overrides]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/connexion", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    started = (root / f"portal-{port}.log").read_text()
                    raise RuntimeError(f"the portal did not start: {started}") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def sign_in(url: str, email: str, password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
    """A client with the CSRF cookie of the sign-in page, after posting the form."""
    client = httpx.Client(base_url=url, timeout=30)
    token = csrf_of(client.get("/connexion").text)
    response = client.post("/connexion", data={"email": email, "password": password, "csrf": token})
    return client, response
