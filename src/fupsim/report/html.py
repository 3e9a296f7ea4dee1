"""HTML building blocks of the report: escaping, tables with units, figures, the page shell."""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["esc", "figure", "fmt_number", "page", "section", "standalone", "table"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;max-width:1100px;
margin:0 auto;padding:1.5em 2em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em} h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;
margin-top:2em} h3{margin-top:1.4em}
nav ol{columns:3;font-size:.92em} .lead{font-size:1.08em;background:#eef5fb;border-left:4px solid
#0072B2;padding:.8em 1.1em} .note{color:#555;font-size:.9em}
table{border-collapse:collapse;max-width:100%;margin:.6em 0 1.2em;font-size:.86em} caption{text-align:left;
font-weight:600;padding:.3em 0} th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top}
th{background:#f3f3f3;text-align:left} td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.assumption td{background:#fff6e5} tr.group th{background:#e4eef7;font-weight:600}
table.params td:nth-child(1){white-space:nowrap} table.params td{overflow-wrap:anywhere} .flag{color:#a04000;font-weight:700}
figure{margin:1em 0 1.6em} figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.9em;color:#333;margin-top:.3em} .pass{color:#00703c;font-weight:600}
.fail{color:#b00020;font-weight:700} footer{margin-top:3em;border-top:1px solid #ccc;
font-size:.85em;color:#444} code,pre{font-size:.92em;background:#f6f6f6;padding:.1em .3em}
pre{padding:.6em;overflow-x:auto;white-space:pre-wrap}
"""


def esc(text: object) -> str:
    """HTML-escape any value's text."""
    return html.escape(str(text), quote=True)


def fmt_number(value: Any, digits: int = 2) -> str:
    """A number with thousands separators and ``digits`` decimals; '–' for missing."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:,.{digits}f}"
    return esc(value)


Formatter = Callable[[Any], str]


def table(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    caption: str,
    formats: Mapping[str, Formatter] | None = None,
    digits: Mapping[str, int] | None = None,
    row_class: Sequence[str] | None = None,
    table_id: str | None = None,
) -> str:
    """An HTML table of selected columns, with headers that carry units.

    Parameters
    ----------
    frame : DataFrame
        The data.
    columns : mapping
        Column → header text (with its unit, e.g. "Cost per person (USD 2026)"); columns
        absent from ``frame`` are skipped.
    caption : str
        Table caption (plain text).
    formats : mapping, optional
        Column → function returning the cell's HTML.
    digits : mapping, optional
        Column → decimals for numeric cells (default 2).
    row_class : sequence of str, optional
        A CSS class per row (e.g. "assumption").
    """
    formats = formats or {}
    digits = digits or {}
    cols = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{esc(columns[c])}</th>" for c in cols)
    rows = []
    for i, (_, rec) in enumerate(frame.iterrows()):
        cells = []
        for c in cols:
            v = rec[c]
            if c in formats:
                cells.append(f"<td>{formats[c](v)}</td>")
            elif isinstance(v, int | float) and not isinstance(v, bool):
                py = (
                    int(v) if float(v).is_integer() and c in digits and digits[c] == 0 else float(v)
                )
                cells.append(f'<td class="num">{fmt_number(py, digits.get(c, 2))}</td>')
            else:
                cells.append(f"<td>{fmt_number(v)}</td>")
        cls = f' class="{esc(row_class[i])}"' if row_class is not None and row_class[i] else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    return (
        f"<table{ident}><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def figure(src: str, alt: str, caption: str) -> str:
    """A figure with its caption; ``src`` is relative to the page (``figures/x.png``)."""
    return (
        f'<figure><img src="{esc(src)}" alt="{esc(alt)}" loading="eager">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def section(ident: str, title: str, body: str) -> str:
    """``<section id=...><h2>title</h2>body</section>``."""
    return f'<section id="{esc(ident)}"><h2>{esc(title)}</h2>\n{body}\n</section>'


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]], footer: str) -> str:
    """The whole page: title, a table of contents, the sections and the footer.

    Parameters
    ----------
    sections : sequence of (id, title, html)
        Each section's anchor, heading (for the contents) and full ``<section>`` HTML.
    """
    toc = "".join(f'<li><a href="#{esc(i)}">{esc(t)}</a></li>' for i, t, _ in sections)
    body = "\n".join(h for _, _, h in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
        f'<header><h1>{esc(title)}</h1><p class="note">{subtitle}</p></header>\n'
        f'<nav aria-label="contents"><ol>{toc}</ol></nav>\n{body}\n'
        f'<footer id="footer">{footer}</footer>\n</body></html>\n'
    )


_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")(figures/[^"]+\.png)(")')


def standalone(html: str, folder: Path) -> str:
    """The page with every ``figures/*.png`` embedded as a data URI: one file to forward."""

    def embed(match: re.Match[str]) -> str:
        data = base64.b64encode((folder / match.group(2)).read_bytes()).decode("ascii")
        return f"{match.group(1)}data:image/png;base64,{data}{match.group(3)}"

    return _IMG_SRC.sub(embed, html)
