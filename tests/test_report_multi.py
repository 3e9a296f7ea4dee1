"""``fupsim report A.toml B.toml --out DIR``: scenarios side by side (structural uncertainty).

The page's statements are checked against each scenario's own report (its decision table and
frontier, read back with pandas), not against the page's own tables."""

from __future__ import annotations

import math
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from fupsim.cli import main
from fupsim.report.multi import disagreement_sentences
from fupsim.report.scenario_tables import disagreements

ROOT = Path(__file__).resolve().parents[1]

# Three protocols instead of seven keep the test small; the structural difference between
# the two is the article-ranking scenario's (cause mix of the followed group, no work-up).
SMALL = """
extends = "{parent}"

[meta]
name = "{name}"
description = "test: {parent_name} with three protocols, tiny sizes"

[simulation]
patients = 300
replications = 2

[[protocol]]
name = "us-3m"
interval_months = 3
duration_months = 24

[[protocol]]
name = "us-6m-24m"
interval_months = 6
duration_months = 24

[[protocol]]
name = "no-follow-up"
visits_months = []

[analysis]
reference_protocol = "us-6m-24m"
"""


def _scenario(folder: Path, name: str, parent: str) -> Path:
    path = folder / f"{name}.toml"
    text = SMALL.format(parent=(ROOT / "scenarios" / parent).as_posix(), name=name,
                        parent_name=parent)  # fmt: skip
    path.write_text(text, encoding="utf-8")
    return path


class _Page(HTMLParser):
    """Text of each element with an id (headlines, the disagreement paragraph) and links."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.links: list[str] = []
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag in ("div", "p", "section", "table"):
            ident = a.get("id")
            self._open.append(ident)
            if ident:
                self.by_id[ident] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("div", "p", "section", "table") and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for ident in self._open:
            if ident:
                self.by_id[ident] += data


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, _Page]:
    tmp = tmp_path_factory.mktemp("multi")
    a = _scenario(tmp, "small-base", "baseline.toml")
    b = _scenario(tmp, "small-ranking", "article-ranking.toml")
    out = tmp / "side"
    argv = ["report", str(a), str(b), "--out", str(out), "--psa-draws", "8",
            "--psa-patients", "300", "--workers", "1", "--quiet", "--no-validation"]  # fmt: skip
    assert main(argv) == 0
    page = _Page()
    page.feed((out / "index.html").read_text(encoding="utf-8"))
    return out, page


@pytest.mark.slow
def test_each_scenario_has_its_full_report_and_a_headline(built) -> None:
    out, page = built
    for name in ("small-base", "small-ranking"):
        assert (out / name / "index.html").is_file()
        assert (out / name / "decision.csv").is_file()  # its own PSA
        assert f"{name}/index.html" in page.links
        head = page.by_id[f"headline-{name}"]
        decision = pd.read_csv(out / name / "decision.csv")
        for _, r in decision.iterrows():  # the preferred protocol at every WTP, with its P
            assert f"USD {r['wtp']:,.0f} per QALY: {r['best_protocol']}" in " ".join(head.split())
            assert f"probability cost-effective {r['probability_cost_effective']:.2f}" in head
        front = pd.read_csv(out / name / "frontier_psa.csv")
        sequence = front[front["status"] == "frontier"].sort_values("cost_per_patient")
        for _, r in sequence.iloc[1:].iterrows():  # each step's ICER, from the PSA means
            assert f"{r['protocol']} (ICER USD {r['icer']:,.0f}" in head


@pytest.mark.slow
def test_disagreement_sentence_matches_the_two_decision_tables(built) -> None:
    out, page = built
    base = pd.read_csv(out / "small-base" / "decision.csv").set_index("wtp")
    rank = pd.read_csv(out / "small-ranking" / "decision.csv").set_index("wtp")
    said = " ".join(page.by_id["disagreement"].split())
    differ = [w for w in base.index if base.loc[w, "best_protocol"] != rank.loc[w, "best_protocol"]]
    assert differ, "the two scenarios should disagree somewhere (structural difference)"
    for w in base.index:
        phrase = (
            f"At USD {w:,.0f} per QALY, small-base prefers {base.loc[w, 'best_protocol']} "
            f"(probability cost-effective {base.loc[w, 'probability_cost_effective']:.2f}); "
            f"small-ranking prefers {rank.loc[w, 'best_protocol']}"
        )
        assert (phrase in said) == (w in differ), (w, said)
    agree = [w for w in base.index if w not in differ]
    for w in agree:
        assert f"{w:,.0f}" in said.split("Every scenario prefers", 1)[-1]


@pytest.mark.slow
def test_differences_table_lists_the_structural_keys(built) -> None:
    out, page = built
    diffs = pd.read_csv(out / "tables" / "scenario_differences.csv")
    structural = set(diffs.loc[diffs["kind"].str.startswith("structural"), "key"])
    # article-ranking.toml changes the cause mix and switches the index work-up off
    assert "index_workup.enabled" in structural
    assert {k for k in structural if k.startswith("cohort.causes.")}
    assert "meta.name" not in structural and "index_workup.enabled" in page.by_id["differences"]
    assert (out / "figures" / "scenarios_plane.png").read_bytes()[:4] == b"\x89PNG"


def test_a_bad_second_scenario_exits_2_and_writes_nothing(tmp_path, capsys) -> None:
    a = _scenario(tmp_path, "small-base", "baseline.toml")
    out = tmp_path / "side"
    argv = ["report", str(a), str(tmp_path / "missing.toml"), "--out", str(out), "--quiet"]
    assert main(argv) == 2
    assert "missing.toml" in capsys.readouterr().err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["small-base.toml"]


def test_disagreements_by_hand() -> None:
    nan = math.nan
    preferred = pd.DataFrame(
        {
            "scenario": ["a", "a", "a", "b", "b"],
            "wtp": [0.0, 50.0, 90.0, 0.0, 50.0],  # b has no 90: only common values compared
            "best_protocol": ["none", "none", "x", "none", "y"],
            "probability_cost_effective": [1.0, 0.8, 0.6, 0.9, nan],
        }
    )
    differ, agree = disagreements(preferred)
    assert agree == [0.0]
    assert [d["wtp"] for d in differ] == [50.0]
    assert [c[:2] for c in differ[0]["choices"]] == [("a", "none"), ("b", "y")]
    said = disagreement_sentences(preferred, "EUR", "QALY")
    assert said == [
        "At EUR 50 per QALY, a prefers none (probability cost-effective 0.80); b prefers y.",
        "Every scenario prefers none at EUR 0 per QALY.",
    ]
