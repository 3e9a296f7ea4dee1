"""The "who is followed" report section renders the run's pathway, infant and subgroup tables."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

import fupsim
from fupsim.report.sections import ORDER
from fupsim.report.sections.pathways import render


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._current = str(a["id"])
            self.ids.append(self._current)
            self.rows[self._current] = 0
        elif tag == "tr" and self._current is not None:
            self.rows[self._current] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._current = None


def test_section_shows_the_flow_infants_and_subgroups(baseline_path: Path, tmp_path: Path) -> None:
    sc = fupsim.load_scenario(baseline_path)
    run = tmp_path / "run"
    fupsim.run(sc, replications=2, patients=2000, workers=1, events=False).write(run)
    html = render(run, run / "figures")
    assert html is not None
    p = _Tables()
    p.feed(html)
    assert {"pathway-flow", "pathway-causes", "infants", "subgroups"} <= set(p.ids)
    pathways = pd.read_csv(run / "pathways.csv")
    adults = pathways[pathways["pathway"] != "infant"]
    # every adult is in exactly one pathway: the shares add up to one
    assert abs(adults["share_of_adults"].sum() - 1.0) < 1e-9
    # one header row plus one row per pathway present in the run
    assert p.rows["pathway-flow"] == 1 + pathways["pathway"].nunique()
    assert "pathways" in ORDER
    # the flow figure is drawn and shown
    assert (run / "figures" / "pathway_flow.png").is_file()
    assert 'src="figures/pathway_flow.png"' in html


def test_section_is_absent_without_its_tables(tmp_path: Path) -> None:
    assert render(tmp_path, tmp_path / "figures") is None
