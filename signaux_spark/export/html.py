"""The short HTML summaries, readable offline: one self-contained page (inline CSS, inline SVG
charts, no script, no external resource)."""

from __future__ import annotations

from html import escape

from signaux_spark.export.labels import number

COLORS = {"risque fort": "#c0392b", "risque modéré": "#e67e22"}
STYLE = """
body{font-family:Arial,Helvetica,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em;color:#1f4e79}h2{font-size:1.15em;color:#1f4e79;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#1f4e79;color:#fff}td.n{text-align:right}
.cards{display:flex;flex-wrap:wrap;gap:1em}.card{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.6em}.note{color:#555;font-size:.85em}
"""


def page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>'
        + escape(title)
        + "</title><style>"
        + STYLE
        + "</style></head><body>\n<h1>"
        + escape(title)
        + "</h1>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def cards(items: list[tuple[str, int | str]]) -> str:
    return (
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{escape(str(value))}</b>{escape(label)}</div>' for label, value in items)
        + "</div>"
    )


def table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    """An HTML table; the columns whose index is in `numeric` are right-aligned and formatted."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if i in numeric:
                text = number(value) if isinstance(value, (int, float)) else ("" if value is None else str(value))
                cells.append(f'<td class="n">{escape(text)}</td>')
            else:
                cells.append(f"<td>{escape('' if value is None else str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(headers)}">aucune</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def stacked_bars(
    items: list[tuple[str, dict[str, int]]], title: str, series: tuple[str, ...] = tuple(COLORS), width: int = 720
) -> str:
    """A horizontal stacked bar chart as inline SVG: one bar per (label, {series: count})."""
    if not items:
        return f'<p class="note">{escape(title)} : aucune alerte.</p>'
    label_width, bar_height, gap, top = 260, 18, 6, 28
    total_max = max(sum(values.get(s, 0) for s in series) for _, values in items) or 1
    scale = (width - label_width - 60) / total_max
    height = top + len(items) * (bar_height + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" font-family="Arial" font-size="12">',
        f'<text x="0" y="14" font-weight="bold">{escape(title)}</text>',
    ]
    x_legend = label_width
    for name in series:
        parts.append(
            f'<rect x="{x_legend}" y="4" width="12" height="12" fill="{COLORS.get(name, "#888")}"/>'
            f'<text x="{x_legend + 16}" y="14">{escape(name)}</text>'
        )
        x_legend += 130
    for i, (label, values) in enumerate(items):
        y = top + i * (bar_height + gap)
        parts.append(f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end">{escape(label[:42])}</text>')
        x = float(label_width)
        for name in series:
            count = values.get(name, 0)
            if count:
                w = count * scale
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                    f'fill="{COLORS.get(name, "#888")}"><title>{escape(label)} : {count} {escape(name)}</title></rect>'
                )
                x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}">{sum(values.get(s, 0) for s in series)}</text>')
    parts.append("</svg>")
    return "".join(parts)
