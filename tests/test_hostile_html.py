"""Hostile text in every free-text field reaches the report as text, never as markup.

Each field gets its own payload (a script element, an attribute break-out with an event
handler, a comment opener, quotes, ``&`` and braces). The pages are read back with the
standard library's HTML parser, as a browser would tokenise them: no ``<script>`` element,
no ``on*`` attribute, no ``javascript:`` URL, only the tags a report is made of, and every
payload present, character for character, in the page's text. Protocol names cannot carry
markup (the scenario allows only letters, digits, ``_ . -``), so hostile protocol names are
fed to the sensitivity section through a foreign table instead, where nothing validates them.
"""

from __future__ import annotations

import ast
import html
import json
import sys
import types
from html.parser import HTMLParser
from importlib.machinery import ModuleSpec
from pathlib import Path

import pandas as pd
import pytest

import fupsim
from fupsim.cli import main
from fupsim.report.html import Html, figure, markup, sanitize, section, table
from fupsim.report.sections.sensitivity import render as render_sensitivity

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
REPORT_SRC = ROOT / "src" / "fupsim" / "report"


def hostile(field: str) -> str:
    """A payload naming its field, so each field is found on the page on its own."""
    return (
        f'</title></p><script>alert("{field}")</script>'
        f"\"'><img src=x onerror=alert('{field}')> & &amp; <!-- {{0}} {field}"
    )


FIELDS = {
    "meta.name": hostile("meta-name"),
    "meta.description": hostile("meta-description"),
    "protocol.us-3m.description": hostile("protocol-description"),
    # the currency also labels figure axes: short enough for matplotlib's layout
    "costs.currency": "<script>alert('c')</script>\"&amp;{0}",
    "costs.source": hostile("costs-source"),
    'uncertainty."ultrasound.sensitivity".source': hostile("uncertainty-source"),
}

# every element a report page is made of; anything else on the page was injected
REPORT_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "nav",
    "ol", "ul", "li", "a", "section", "table", "caption", "thead", "tbody", "tr", "th", "td",
    "figure", "img", "figcaption", "b", "span", "footer", "code",
}  # fmt: skip


class _Doc(HTMLParser):
    """Every start tag with its attributes, and the text under each path of open elements."""

    VOID = frozenset({"img", "meta", "br", "link", "input", "hr"})

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[tuple[tuple[str, ...], str]] = []
        self._open: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        path = tuple(self._open)
        if self.texts and self.texts[-1][0] == path:
            self.texts[-1] = (path, self.texts[-1][1] + data)
        else:
            self.texts.append((path, data))

    def text_under(self, tag: str) -> list[str]:
        return [text for path, text in self.texts if tag in path]

    def has_text(self, needle: str, under: str = "body") -> bool:
        return any(needle in text for text in self.text_under(under))


def _assert_inert(doc: _Doc, *, image_prefix: str) -> None:
    """No script, no event handler, no javascript: URL, no foreign tag, images from the folder."""
    names = [tag for tag, _ in doc.tags]
    assert "script" not in names
    assert set(names) <= REPORT_TAGS, set(names) - REPORT_TAGS
    for tag, attrs in doc.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert "javascript:" not in (value or "").lower(), (tag, name, value)
        if tag == "img":
            assert str(attrs.get("src")).startswith(image_prefix), attrs
        if tag == "a":
            assert str(attrs.get("href")).startswith("#"), attrs


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = fupsim.load_scenario(BASELINE, FIELDS)
    result = fupsim.run(scenario, patients=600, replications=2, workers=1, seed=7)
    out = tmp_path_factory.mktemp("hostile") / "report"
    fupsim.build_report(result, out, progress=False, validation=False)
    return out


@pytest.fixture(scope="module", params=["index.html", "report-standalone.html"])
def page(hostile_report: Path, request: pytest.FixtureRequest) -> tuple[str, str, _Doc]:
    raw = (hostile_report / request.param).read_text(encoding="utf-8")
    return request.param, raw, _Doc(raw)


def test_no_script_handler_or_foreign_tag_on_either_page(page) -> None:
    name, _, doc = page
    prefix = "figures/" if name == "index.html" else "data:image/png;base64,"
    _assert_inert(doc, image_prefix=prefix)
    # the report's own figures only: eight, and the index work-up flow of its pathways section
    assert len([t for t, _ in doc.tags if t == "img"]) == 9


@pytest.mark.parametrize("key", list(FIELDS))
def test_every_hostile_field_is_shown_as_text(page, key: str) -> None:
    _, raw, doc = page
    payload = FIELDS[key]
    assert payload not in raw  # never verbatim in the markup ...
    assert doc.has_text(payload)  # ... but character for character in the page's text


def test_hostile_text_lands_where_each_field_belongs(page) -> None:
    _, _, doc = page
    currency = FIELDS["costs.currency"]
    assert any(currency in t for t in doc.text_under("th"))  # table headers with units
    assert any(currency in t for t in doc.text_under("figcaption"))  # figure captions
    assert any(currency in t for t in doc.text_under("li"))  # the summary's per-protocol bullets
    assert any(FIELDS["meta.name"] in t for t in doc.text_under("header"))
    assert any(FIELDS["meta.description"] in t for t in doc.text_under("header"))
    assert any(FIELDS["protocol.us-3m.description"] in t for t in doc.text_under("li"))
    sources = doc.text_under("table")
    assert any(FIELDS["costs.source"] in t for t in sources)
    assert any(FIELDS['uncertainty."ultrasound.sensitivity".source'] in t for t in sources)
    # the page title is the fixed one: nothing closed it early
    assert doc.text_under("title") == [
        "Ultrasound follow-up of incidental intrahepatic calcification"
    ]


def test_protocol_names_cannot_carry_markup() -> None:
    with pytest.raises(ValueError):
        fupsim.load_scenario(BASELINE, {"protocol.us-3m.name": "<b>x</b>"})


def test_cli_set_currency_script_is_escaped(tmp_path: Path) -> None:
    payload = "<script>alert(1)</script>"
    out = tmp_path / "rep"
    argv = [
        "report", str(BASELINE), "--out", str(out), "--patients", "300", "--replications", "2",
        "--seed", "3", "--workers", "1", "--quiet", "--no-validation",
        "--psa-draws", "20", "--psa-patients", "200",  # a small PSA: its section is checked too
        "--set", f'costs.currency="{payload}"',
    ]  # fmt: skip
    assert main(argv) == 0
    for name in ("index.html", "report-standalone.html"):
        raw = (out / name).read_text(encoding="utf-8")
        doc = _Doc(raw)
        assert payload not in raw
        assert "script" not in [t for t, _ in doc.tags]
        assert doc.has_text(f"costs in {payload} 2026")


def _plugin(monkeypatch: pytest.MonkeyPatch, name: str, render: object) -> None:
    mod = types.ModuleType(f"fupsim.report.sections.{name}")
    mod.__spec__ = ModuleSpec(mod.__name__, loader=None)
    mod.render = render  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, mod.__name__, mod)


def test_plugin_sections_cannot_inject(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    scenario = fupsim.load_scenario(BASELINE)
    result = fupsim.run(scenario, patients=300, replications=2, workers=1, seed=5)
    text = hostile("plugin")

    def plain(report_dir: Path, figures_dir: Path) -> str:
        # a careless plug-in: a plain str with the text pasted in, plus active content
        return (
            f'<section id="sensitivity" onmouseover="alert(1)"><h2>Sensitivity</h2><p>{text}</p>'
            '<img src="figures/yield.png" onerror="alert(2)"><img src="javascript:alert(3)">'
            '<a href="javascript:alert(4)">link</a><iframe src="https://example.org"></iframe>'
            "<svg onload=alert(5)><script>alert(6)</script></svg><p>after</p>"
        )

    def built(report_dir: Path, figures_dir: Path) -> Html:
        return markup('<section id="capacity"><h2>Capacity</h2><p>{}</p></section>', text)

    _plugin(monkeypatch, "sensitivity", plain)
    _plugin(monkeypatch, "capacity", built)
    out = fupsim.build_report(result, tmp_path / "rep", progress=False, validation=False)
    for name, prefix in (("index.html", "figures/"), ("report-standalone.html", "data:image/")):
        doc = _Doc((out / name).read_text(encoding="utf-8"))
        _assert_inert(doc, image_prefix=prefix)
        ids = [a.get("id") for t, a in doc.tags if t == "section"]
        assert "sensitivity" in ids and "capacity" in ids
        assert "after" in doc.text_under("section")  # the plain fragment's text is kept
        assert any(text in t for t in doc.text_under("section"))  # the built one: all of it
    index = _Doc((out / "index.html").read_text(encoding="utf-8"))
    assert [a["src"] for t, a in index.tags if t == "img"].count("figures/yield.png") == 2


def test_sensitivity_section_escapes_foreign_tables(tmp_path: Path) -> None:
    # tick labels of the tornado: short, or the figure's layout collapses
    name = '<b onclick="x">&amp;{0}'
    proto, currency = hostile("protocol"), hostile("sens-currency")
    outcome = hostile("outcome").replace("{0}", "")  # an outcome label is a format template
    (tmp_path / "manifest.json").write_text(
        json.dumps({"scenario": {"costs": {"currency": currency}, "protocol": [{"name": proto}]}})
    )
    pd.DataFrame(
        {"parameter": [name], "value": [0.1], "protocol": [proto], "net_monetary_benefit": [1.0]}
    ).to_csv(tmp_path / "owsa.csv", index=False)
    settings = {
        "outcome": outcome,
        "protocol": proto,
        "comparator": proto,
        "wtp": 1.0,
        "effect": "qalys_per_patient",
    }
    (tmp_path / "owsa_manifest.json").write_text(
        json.dumps({"analysis": "owsa", "currency": currency, "settings": settings})
    )
    pd.DataFrame(
        {
            "parameter": [name],
            "low_value": [0.1],
            "high_value": [0.9],
            "outcome": [outcome],
            "protocol": [proto],
            "outcome_base": [1.0],
            "outcome_at_low": [0.5],
            "outcome_at_high": [1.5],
            "swing": [1.0],
            "threshold_value": [float("nan")],
            "threshold_switch": [proto],
            "confidence": [hostile("confidence")],
        }
    ).to_csv(tmp_path / "owsa_tornado.csv", index=False)
    pd.DataFrame(
        {"wtp": [0.0, 1000.0], "protocol": [proto, proto], "probability": [1.0, 1.0]}
    ).to_csv(tmp_path / "ceac.csv", index=False)
    fragment = render_sensitivity(tmp_path, tmp_path / "figures")
    assert isinstance(fragment, Html)
    doc = _Doc(fragment)
    _assert_inert(doc, image_prefix="figures/")
    for text in (name, proto, currency, outcome, hostile("confidence")):
        assert text not in fragment and doc.has_text(text, under="section"), text
    assert any(currency in t for t in doc.text_under("th"))


def test_helpers_escape_text_in_attributes_and_content() -> None:
    text = hostile("helper")
    frame = pd.DataFrame({text: [text, 1.5]})
    parts = [
        figure("figures/x.png", text, text),
        section(text, text, markup("<p>{}</p>", text)),
        table(frame, {text: text}, caption=text, table_id=text, row_class=[text, ""]),
        markup("<p>{}</p>", text) + text,
        text + markup("<br>"),
        sanitize(f'<p title="{html.escape(text)}">{html.escape(text)}</p>'),
    ]
    for part in parts:
        assert isinstance(part, Html)
        doc = _Doc(part)
        assert "script" not in [t for t, _ in doc.tags]
        assert all(not k.startswith("on") for _, a in doc.tags for k in a)
        assert any(text in t for _, t in doc.texts)
    img = _Doc(parts[0]).tags[1][1]
    assert img["alt"] == text and set(img) == {"src", "alt", "loading"}
    sec = _Doc(parts[1]).tags[0][1]
    assert sec == {"id": text}
    tab = _Doc(parts[2])
    assert tab.tags[0][1] == {"id": text}
    assert [a for t, a in tab.tags if t == "tr" and a] == [{"class": text}]
    assert [t for t, _ in _Doc(parts[5]).tags] == ["p"]  # title is kept, escaped
    assert _Doc(parts[5]).tags[0][1] == {"title": text}


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
    ]


@pytest.mark.parametrize(
    "path", sorted(REPORT_SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(REPORT_SRC))
)
def test_report_modules_cannot_bypass_escaping(path: Path) -> None:
    """Only html.py makes Html; templates are literals; no second escaper; no raw to_html."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(REPORT_SRC)
    if path.name != "html.py" or path.parent != REPORT_SRC:
        assert not _calls(tree, "Html"), f"{where}: builds Html(...) itself; use markup()"
        # the stdlib html module may be used to read text back (unescape), never to escape
        aliases = {
            a.asname or a.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for a in node.names
            if a.name == "html"
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "html":
                assert {a.name for a in node.names} <= {"unescape"}, f"{where}: from html import"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert node.value.id not in aliases or node.attr == "unescape", (
                    f"{where}:{node.lineno}: html.{node.attr}; escape with fupsim.report.html"
                )
    for call in _calls(tree, "markup"):
        first = call.args[0] if call.args else None
        assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
            f"{where}:{call.lineno}: markup() needs a string literal as its template"
        )
    for call in _calls(tree, "to_html"):
        for kw in call.keywords:
            assert not (
                kw.arg == "escape" and isinstance(kw.value, ast.Constant) and not kw.value.value
            ), f"{where}:{call.lineno}: to_html(escape=False)"
