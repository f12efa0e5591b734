"""The national summary for the central team, in `exports/<YYYY-MM>/national/`: counts per region
(an HTML page with charts and a CSV), the national distribution by sector, and a manifest that
also lists every regional file with its checksum. Counts only: no firm is named here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from signaux_spark.export import html
from signaux_spark.export.files import csv_bytes, write_atomic
from signaux_spark.export.labels import number
from signaux_spark.export.lists import Column
from signaux_spark.export.manifest import write_manifest
from signaux_spark.export.region import ExportContext, distribution_rows, level_counts, levels_by
from signaux_spark.export.surveillance import summary_section, write_surveillance
from signaux_spark.scoring.score import FORT, MODERE, NO_ALERT, PROCEEDING

REGION_COLUMNS = [
    Column("region", "région", "Code INSEE de la région."),
    Column("libelle_region", "nom de la région", ""),
    Column("suivies", "entreprises suivies", "Entreprises du périmètre notées par le modèle.", "", "int"),
    Column("fort", "risque fort", "", "", "int"),
    Column("modere", "risque modéré", "", "", "int"),
    Column("procedure", "en procédure collective", "", "", "int"),
    Column("nouvelles", "nouvelles alertes", "", "", "int"),
    Column("sorties", "sorties de liste", "", "", "int"),
    Column("taux", "taux d'alerte (%)", "", "%", "number"),
]


def region_rows(ctx: ExportContext, manifests: dict[str, dict]) -> pd.DataFrame:
    rows = []
    for code, manifest in sorted(manifests.items()):
        c = manifest["counts"]
        rows.append(
            {
                "region": code,
                "libelle_region": ctx.regions.get(code, ""),
                "suivies": c["scored"],
                "fort": c[FORT],
                "modere": c[MODERE],
                "procedure": c[PROCEEDING],
                "nouvelles": c["new_alerts"],
                "sorties": c["exits"],
                "taux": 100 * (c[FORT] + c[MODERE]) / c["scored"] if c["scored"] else None,
            }
        )
    return pd.DataFrame(rows, columns=[c.key for c in REGION_COLUMNS])


def write_national(
    folder: Path,
    ctx: ExportContext,
    manifests: dict[str, dict],
    stats: pd.DataFrame,
    without_region: int,
    inputs: dict[str, int],
    findings: pd.DataFrame | None = None,
) -> dict:
    """Write the national files; `manifests`: region code -> its manifest (already written in
    `folder.parent / code`); `stats`: firm counts of the whole country; `inputs`: the Delta
    version of each table read; `findings`: the month's monitoring (None: not monitored)."""
    table = region_rows(ctx, manifests)
    monitoring = None if findings is None else write_surveillance(folder, ctx.month, ctx.month_label, findings)
    write_atomic(folder / f"synthese_nationale_{ctx.month}.csv", csv_bytes(table, REGION_COLUMNS))
    counts = level_counts(stats)
    totals = {
        "scored": counts[FORT] + counts[MODERE] + counts[NO_ALERT],
        **counts,
        **{k: int(sum(m["counts"][k] for m in manifests.values())) for k in ("listed", "new_alerts", "exits")},
        "without_region": without_region,
    }
    title = f"Signaux faibles – synthèse nationale – liste de {ctx.month_label}"
    write_atomic(
        folder / f"synthese_nationale_{ctx.month}.html",
        page(ctx, title, table, stats, totals, findings, monitoring).encode("utf-8"),
    )
    regions = {code: {"counts": m["counts"], "files": m["files"]} for code, m in sorted(manifests.items())}
    return write_manifest(
        folder, {**ctx.common(), "inputs": inputs, "counts": totals, "regions": regions, "monitoring": monitoring}
    )


def page(
    ctx: ExportContext,
    title: str,
    table: pd.DataFrame,
    stats: pd.DataFrame,
    totals: dict,
    findings: pd.DataFrame | None = None,
    monitoring: dict[str, int] | None = None,
) -> str:
    bars = [(f"{r.region} {r.libelle_region}", {FORT: r.fort, MODERE: r.modere}) for r in table.itertuples()]
    rows = [
        [
            r.region,
            r.libelle_region,
            r.suivies,
            r.fort,
            r.modere,
            r.procedure,
            r.nouvelles,
            r.sorties,
            None if pd.isna(r.taux) else number(r.taux, 1) + " %",
        ]
        for r in table.itertuples()
    ]
    sectors = levels_by(stats, "naf_section", ctx.sections)
    links = " · ".join(f'<a href="../{code}/synthese_{code}_{ctx.month}.html">{code}</a>' for code in table["region"])
    body = [
        f"<p>{ctx.model_html()} ; seuils : risque fort à partir de "
        f"{number(100 * ctx.fort, 1)} %, risque modéré à partir de {number(100 * ctx.modere, 1)} %.</p>",
        summary_section(ctx.month, findings, monitoring),
        html.cards(
            [
                ("entreprises suivies", number(totals["scored"])),
                ("risque fort", number(totals[FORT])),
                ("risque modéré", number(totals[MODERE])),
                ("nouvelles alertes", number(totals["new_alerts"])),
                ("sorties de liste", number(totals["exits"])),
                ("en procédure collective", number(totals[PROCEEDING])),
            ]
        ),
        "<h2>Par région</h2>",
        html.stacked_bars([b for b in bars if sum(b[1].values())], "Alertes par région"),
        html.table([c.header for c in REGION_COLUMNS], rows, numeric={2, 3, 4, 5, 6, 7}),
        "<h2>Par secteur (France entière)</h2>",
        html.stacked_bars([(label, c) for label, c in sectors if c[FORT] + c[MODERE]], "Alertes par secteur"),
        html.table(
            ["secteur", "entreprises suivies", "risque fort", "risque modéré", "en procédure", "taux d'alerte"],
            distribution_rows(sectors),
            numeric={1, 2, 3, 4},
        ),
        f'<p class="note">Synthèses régionales : {links}.</p>',
    ]
    if totals["without_region"]:
        body.append(
            f'<p class="note">{totals["without_region"]} entreprise(s) listée(s) sans région connue du '
            "référentiel : dans aucun fichier régional.</p>"
        )
    return html.page(title, body)
