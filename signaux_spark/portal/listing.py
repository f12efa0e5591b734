"""What the month and firm pages show, computed from the published JSON lists (pure functions of
the documents and the query string, so the pages work without JavaScript)."""

from __future__ import annotations

from collections.abc import Mapping

NEW_ALERT = "nouvelle alerte"  # the `evolution` of a firm alerted this month and not the month before
SORTS = {"rang": "rang_region", "probabilite": "probabilite"}


def _distinct(values) -> list:
    return list(dict.fromkeys(v for v in values if v not in (None, "")))


def month_view(document: dict, params: Mapping[str, str]) -> dict:
    """The region's list filtered (niveau, departement, secteur, nouvelles=1) and sorted
    (tri=rang|probabilite, sens=asc|desc); also the choices each filter offers."""
    firms = document["entreprises"]
    chosen = {k: params.get(k, "") for k in ("niveau", "departement", "secteur", "nouvelles")}
    rows = [
        f
        for f in firms
        if (not chosen["niveau"] or f.get("niveau_alerte") == chosen["niveau"])
        and (not chosen["departement"] or f.get("departement") == chosen["departement"])
        and (not chosen["secteur"] or f.get("secteur") == chosen["secteur"])
        and (chosen["nouvelles"] != "1" or f.get("evolution") == NEW_ALERT)
    ]
    sort = params.get("tri", "rang") if params.get("tri") in SORTS else "rang"
    default = "desc" if sort == "probabilite" else "asc"
    direction = params.get("sens", default) if params.get("sens") in ("asc", "desc") else default
    key = SORTS[sort]
    present = [f for f in rows if f.get(key) is not None]
    present.sort(key=lambda f: f[key], reverse=direction == "desc")
    rows = present + [f for f in rows if f.get(key) is None]
    departements = {f.get("departement"): f.get("libelle_departement") for f in firms}
    return {
        "rows": rows,
        "total": len(firms),
        "chosen": chosen,
        "sort": sort,
        "direction": direction,
        "levels": _distinct(f.get("niveau_alerte") for f in firms),
        "departements": [(code, departements[code] or "") for code in sorted(_distinct(departements))],
        "secteurs": sorted(_distinct(f.get("secteur") for f in firms)),
    }


def firm_view(history: list[dict]) -> dict:
    """A firm's lists, oldest first: the probability of each month, the months its level changed,
    and the top factors of its latest list."""
    latest = history[-1]
    changes, before = [], None
    for row in history:
        if row.get("niveau_alerte") != before:
            changes.append(
                {
                    "month": row["month"],
                    "from": before,
                    "to": row.get("niveau_alerte"),
                    "evolution": row.get("evolution"),
                }
            )
            before = row.get("niveau_alerte")
    top = max((row.get("probabilite") or 0 for row in history), default=0) or 1
    return {
        "firm": latest,
        "history": history,
        "changes": changes,
        "factors": latest.get("facteurs") or [],
        "scale": 100 / top,
    }
