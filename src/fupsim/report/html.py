"""HTML building blocks of the report: escaping by construction, tables, figures, the page.

Every text reaches the page through this module. :class:`Html` marks markup that is safe to
emit as it is, and only this module makes one: its helpers build markup from a literal
template and escape every value put into it unless the value is itself :class:`Html`::

    markup("<li><b>{}</b>: {}</li>", protocol.name, protocol.description)  # both escaped
    markup("<p>{}</p>", table(...))                                        # Html: kept

A plain ``str`` (a scenario's free text, a currency, a protocol name, a number) is therefore
always escaped, wherever it is put: forgetting ``esc`` shows tags as text on the page, it
never runs them. ``Html + str`` and ``Html.join`` escape their plain operands; an f-string or
``%`` with an :class:`Html` gives a plain ``str``, which is escaped again when used. The final
page is the :class:`Html` returned by :func:`page`. Plug-in sections that return a plain
``str`` go through :func:`sanitize`, which keeps a small set of tags and escapes everything
else. ``tests/test_hostile_html.py`` checks that no module of the report calls ``Html(...)``
itself or passes anything but a literal as a template.
"""

from __future__ import annotations

import base64
import html
import math
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, LiteralString

import pandas as pd

__all__ = [
    "Html",
    "esc",
    "figure",
    "fmt_number",
    "join",
    "markup",
    "page",
    "sanitize",
    "section",
    "standalone",
    "table",
]

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


class Html(str):
    """Markup that is safe to emit as it is; made only by the helpers of this module."""

    __slots__ = ()

    def __html__(self) -> Html:
        """The markup itself (the ``__html__`` protocol of MarkupSafe and Jinja2)."""
        return self

    def __add__(self, other: object) -> Html:  # type: ignore[override]
        return Html(str.__add__(self, esc(other)))

    def __radd__(self, other: object) -> Html:
        return Html(str.__add__(esc(other), self))

    def join(self, parts: Iterable[object]) -> Html:  # type: ignore[override]
        """The parts, each escaped unless it is Html, with this markup between them."""
        return Html(str.join(self, [esc(p) for p in parts]))


def esc(text: object) -> Html:
    """Any value's text, HTML-escaped (quotes too); an :class:`Html` value is returned as is."""
    if isinstance(text, Html):
        return text
    return Html(html.escape(str(text), quote=True))


class _Escaping(string.Formatter):
    """``str.format`` that escapes every field unless it is Html."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Html):
            if format_spec:
                raise ValueError("an Html field takes no format spec")
            return str(value)
        return html.escape(format(value, format_spec), quote=True)


_FORMATTER = _Escaping()


def markup(template: LiteralString, /, *args: object, **kwargs: object) -> Html:
    """``template.format(*args, **kwargs)`` with every value escaped unless it is Html.

    Parameters
    ----------
    template : str
        A string literal written in the code (``{}`` fields as in ``str.format``), never text
        built from data: it is the only part emitted unescaped.
    """
    return Html(_FORMATTER.vformat(template, args, kwargs))


def join(parts: Iterable[object], sep: str = "") -> Html:
    """The parts one after another, each escaped unless it is Html."""
    return esc(sep).join(parts)


def fmt_number(value: Any, digits: int = 2) -> str:
    """A number with thousands separators and ``digits`` decimals; '–' for missing.

    Returns plain text (escaped where it is put into markup); other values as their text.
    """
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
    return str(value)


Formatter = Callable[[Any], object]


def table(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    caption: str,
    formats: Mapping[str, Formatter] | None = None,
    digits: Mapping[str, int] | None = None,
    row_class: Sequence[str] | None = None,
    table_id: str | None = None,
) -> Html:
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
        Column → function returning the cell's content: plain text (escaped) or :class:`Html`.
    digits : mapping, optional
        Column → decimals for numeric cells (default 2).
    row_class : sequence of str, optional
        A CSS class per row (e.g. "assumption").
    """
    formats = formats or {}
    digits = digits or {}
    cols = [c for c in columns if c in frame.columns]
    head = join(markup("<th>{}</th>", columns[c]) for c in cols)
    rows = []
    for i, (_, rec) in enumerate(frame.iterrows()):
        cells = []
        for c in cols:
            v = rec[c]
            if c in formats:
                cells.append(markup("<td>{}</td>", formats[c](v)))
            elif isinstance(v, int | float) and not isinstance(v, bool):
                py = (
                    int(v) if float(v).is_integer() and c in digits and digits[c] == 0 else float(v)
                )
                cells.append(markup('<td class="num">{}</td>', fmt_number(py, digits.get(c, 2))))
            else:
                cells.append(markup("<td>{}</td>", fmt_number(v)))
        cls = (
            markup(' class="{}"', row_class[i])
            if row_class is not None and row_class[i]
            else Html()
        )
        rows.append(markup("<tr{}>{}</tr>", cls, join(cells)))
    ident = markup(' id="{}"', table_id) if table_id else Html()
    return markup(
        "<table{}><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        ident,
        caption,
        head,
        join(rows),
    )


def figure(src: str, alt: str, caption: str | Html) -> Html:
    """A figure with its caption; ``src`` is relative to the page (``figures/x.png``)."""
    return markup(
        '<figure><img src="{}" alt="{}" loading="eager"><figcaption>{}</figcaption></figure>',
        src,
        alt,
        caption,
    )


def section(ident: str, title: str, body: Html) -> Html:
    """``<section id=...><h2>title</h2>body</section>``."""
    return markup('<section id="{}"><h2>{}</h2>\n{}\n</section>', ident, title, body)


_STYLE = Html(CSS)  # a constant of this module


def page(
    title: str, subtitle: str | Html, sections: Sequence[tuple[str, str, Html]], footer: Html
) -> Html:
    """The whole page: title, a table of contents, the sections and the footer.

    Parameters
    ----------
    sections : sequence of (id, title, html)
        Each section's anchor, heading (for the contents) and full ``<section>`` markup.
    """
    toc = join(markup('<li><a href="#{}">{}</a></li>', i, t) for i, t, _ in sections)
    body = join((h for _, _, h in sections), "\n")
    return markup(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title}</title><style>{style}</style></head><body>\n"
        '<header><h1>{title}</h1><p class="note">{subtitle}</p></header>\n'
        '<nav aria-label="contents"><ol>{toc}</ol></nav>\n{body}\n'
        '<footer id="footer">{footer}</footer>\n</body></html>\n',
        title=title,
        style=_STYLE,
        subtitle=subtitle,
        toc=toc,
        body=body,
        footer=footer,
    )


_FIGURE_FILE = r"figures/[A-Za-z0-9_-][A-Za-z0-9_.-]*\.png"
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")(' + _FIGURE_FILE + r')(")')


def standalone(document: Html, folder: Path) -> Html:
    """The page with every ``figures/*.png`` embedded as a data URI: one file to forward."""

    def embed(match: re.Match[str]) -> str:
        data = base64.b64encode((folder / match.group(2)).read_bytes()).decode("ascii")
        return f"{match.group(1)}data:image/png;base64,{data}{match.group(3)}"

    return Html(_IMG_SRC.sub(embed, esc(document)))


_TAGS = frozenset(
    "section h2 h3 h4 p ul ol li table caption thead tbody tfoot tr th td figure figcaption "
    "img b i em strong code pre span div br sup sub small".split()
)
_VOID = frozenset({"img", "br"})
_ATTRS = frozenset({"id", "class", "colspan", "rowspan", "alt", "src", "loading", "title"})
_DROPPED = frozenset(
    {"script", "style", "template", "iframe", "object", "embed", "noscript", "textarea"}
    | {"title", "svg", "math", "select", "xmp", "noembed", "noframes", "plaintext"}
)
_SAFE_SRC = re.compile(_FIGURE_FILE + r"\Z")


class _Sanitizer(HTMLParser):
    """Re-emits a fragment keeping only :data:`_TAGS` and :data:`_ATTRS`; text escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[Html] = []
        self.open: list[str] = []
        self.skip = 0

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if tag in _DROPPED:
            self.skip += 0 if closed else 1
            return
        if self.skip or tag not in _TAGS:
            return
        if tag == "img" and not any(n == "src" and _SAFE_SRC.match(v or "") for n, v in attrs):
            return
        kept = [
            markup(' {}="{}"', name, value)
            for name, value in attrs
            if name in _ATTRS
            and value is not None
            and (name != "src" or _SAFE_SRC.match(value) is not None)
        ]
        self.out.append(markup("<{}{}>", tag, join(kept)))
        if tag not in _VOID:
            if closed:
                self.out.append(markup("</{}>", tag))
            else:
                self.open.append(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.skip = max(0, self.skip - 1)
        elif not self.skip and tag in self.open:
            while self.open:
                last = self.open.pop()
                self.out.append(markup("</{}>", last))
                if last == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(esc(data))

    def result(self) -> Html:
        self.close()
        return join([*self.out, *(markup("</{}>", t) for t in reversed(self.open))])


def sanitize(fragment: str) -> Html:
    """Untrusted markup (a plug-in's plain ``str``) reduced to safe markup.

    Keeps the tags of a report section (headings, paragraphs, lists, tables, figures, inline
    emphasis) with the attributes ``id``, ``class``, ``colspan``, ``rowspan``, ``alt``,
    ``title``, ``loading`` and ``src`` (only ``figures/<name>.png``); drops every other tag,
    every other attribute (event handlers, ``style``, ``href``), comments and the content of
    ``script``, ``style`` and similar elements; escapes all text; closes what it opened.
    """
    if isinstance(fragment, Html):
        return fragment
    parser = _Sanitizer()
    parser.feed(str(fragment))
    return parser.result()
