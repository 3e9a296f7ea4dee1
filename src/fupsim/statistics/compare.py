"""Statistical comparison of a run's protocols: the tables behind ``fupsim compare``.

:func:`compare` turns a :class:`~fupsim.experiment.RunResult` into a :class:`Comparison`:
paired contrasts with McNemar and Holm (:mod:`.paired`), optionally a GEE over all protocols
(an appendix), non-inferiority of each less intensive protocol against the reference,
cumulative detection curves since onset and log-rank tests (:mod:`.survival`), detection
curves since the index scan (:mod:`.replicates`) and the ICER table in the scenario's effect
(:mod:`fupsim.economics`) with delta-method intervals. Every interval follows
:mod:`.intervals`. ``docs/compare.md`` documents every column; :func:`load_comparison` reads
the files back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats as sps

from fupsim.economics import icer_table
from fupsim.labels import effect as effect_of
from fupsim.output import write_csv, write_text
from fupsim.scenario import ScenarioError
from fupsim.statistics import survival
from fupsim.statistics.intervals import ratio_interval
from fupsim.statistics.paired import (
    HEALTH_METRICS,
    METRICS,
    Paired,
    align,
    contrast_table,
    mean_difference,
)
from fupsim.statistics.rates import protocol_rates
from fupsim.statistics.replicates import detection_from_index

if TYPE_CHECKING:
    from fupsim.experiment import RunResult

__all__ = [
    "NI_ALPHA",
    "OUTPUT_FILES",
    "Comparison",
    "compare",
    "gee_model",
    "load_comparison",
    "noninferiority",
]

OUTPUT_FILES = (
    "comparison.csv",
    "icer.csv",
    "models.txt",
    "detection_curves_from_onset.csv",
    "detection_curves_from_index.csv",
    "logrank.csv",
    "noninferiority.csv",
    "rates.csv",
)
NI_ALPHA = 0.025  # one-sided level of the non-inferiority test


def gee_model(p: Paired, *, max_patients: int = 20_000, seed: int = 0) -> tuple[str, pd.DataFrame]:
    """GEE over all protocols at once for screen detection, clustered by patient within replicate.

    A linear-probability GEE (Gaussian family, identity link, exchangeable working correlation,
    robust sandwich covariance) of ``screen_detected`` on protocol indicators (reference =
    first protocol): its coefficients are risk differences against the reference, defined even
    when an arm detects nothing (a logit model is not). Fitted on every paired patient when
    there are at most ``max_patients``, otherwise on a seeded random subsample of them.

    Returns
    -------
    text : str
        The statsmodels summary, the subsampling note and a joint Wald test.
    coefficients : DataFrame
        ``term, estimate_per_1000, se_per_1000, p_value`` (empty when the fit fails).
    """
    import warnings

    import statsmodels.api as sm

    k = len(p.protocols)
    n = p.n
    rng = np.random.default_rng(seed)
    take = np.sort(rng.choice(n, size=max_patients, replace=False)) if n > max_patients else None
    sub = f"a random subsample of {max_patients:,} of {n:,} paired patients (seed {seed})"
    note = f"Fitted on {'all ' + format(n, ',') + ' paired patients' if take is None else sub}."
    y = np.column_stack([p.values[name]["screen_detected"].astype(float) for name in p.protocols])
    if take is not None:
        y = y[take]
    m = len(y)
    terms = ["Intercept"] + [f"protocol[{name}]" for name in p.protocols[1:]]
    exog = np.zeros((m * k, k))
    exog[:, 0] = 1.0
    for j in range(1, k):
        exog[j::k, j] = 1.0
    empty = pd.DataFrame(columns=["term", "estimate_per_1000", "se_per_1000", "p_value"])
    if k < 2 or m < 2:
        return "GEE: needs at least two protocols and two patients; not fitted.\n", empty
    model = sm.GEE(
        y.ravel(),
        pd.DataFrame(exog, columns=terms),
        groups=np.repeat(np.arange(m), k),
        family=sm.families.Gaussian(),
        cov_struct=sm.cov_struct.Exchangeable(),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = model.fit()
        except (np.linalg.LinAlgError, ValueError) as err:
            return f"GEE: fit failed ({err}).\n{note}\n", empty
        text = str(res.summary(yname="screen_detected"))
    notes = "".join(f"\nstatsmodels warning: {w.message}" for w in caught)
    b = np.asarray(res.params)[1:]
    cov = np.asarray(res.cov_params())[1:, 1:]
    chi2 = float(b @ np.linalg.pinv(cov) @ b)
    wald = (
        f"Joint Wald test that all protocols detect alike: chi2 = {chi2:.3f}, df = {k - 1}, "
        f"p = {sps.chi2.sf(chi2, k - 1):.4g}"
    )
    coef = pd.DataFrame(
        {
            "term": terms,
            "estimate_per_1000": 1000 * np.asarray(res.params),
            "se_per_1000": 1000 * np.asarray(res.bse),
            "p_value": np.asarray(res.pvalues),
        }
    )
    head = (
        "GEE, linear probability model of screen detection: Gaussian family, identity link, "
        "exchangeable working correlation within patient (clusters = patient within "
        f"replicate), robust covariance. Coefficients are risk differences against "
        f"{p.protocols[0]!r}.\n{note}{notes}\n"
    )
    return f"{head}\n{text}\n{wald}\n", coef


def noninferiority(
    p: Paired,
    reference: str,
    candidates: Sequence[str],
    margin_per_1000: float,
    *,
    by_replicate: bool = False,
) -> pd.DataFrame:
    """One-sided non-inferiority of each candidate against the reference on screen detection.

    H0: (candidate - reference) screen-detected per 1,000 ≤ -margin; H1: it is > -margin.
    The paired difference's lower one-sided 97.5% confidence bound (the lower end of the
    two-sided 95% interval) is compared with -margin.

    Parameters
    ----------
    p : Paired
        Aligned outcomes.
    reference : str
        Reference protocol (the most intensive, e.g. every 3 months).
    candidates : sequence of str
        Less intensive protocols to test.
    margin_per_1000 : float
        Tolerated loss of screen detections per 1,000 patients (≥ 0).
    by_replicate : bool
        Use the spread of replicate means (t, R - 1 df) instead of independent patients,
        as :func:`fupsim.paired.contrast_table` does when patients interact.

    Returns
    -------
    DataFrame
        ``comparison, metric, estimate, se, lower_bound, margin_per_1000, statistic,
        p_value, alpha, conclusion`` (estimate, se and bound per 1,000 patients).
    """
    rows = []
    ref = p.values[reference]["screen_detected"].astype(np.int8)
    for name in candidates:
        d = p.values[name]["screen_detected"].astype(np.int8) - ref
        res = mean_difference(d, p.replicate, p.replicates)
        coupled = by_replicate and p.replicates >= 2
        est = 1000 * res["estimate"]
        se = 1000 * res["se_replicates" if coupled else "se"]
        df = p.replicates - 1 if coupled else max(p.n - 1, 1)
        if se > 0:
            stat = (est + margin_per_1000) / se
            pval = float(sps.t.sf(stat, df))
            lower = est - sps.t.ppf(1 - NI_ALPHA, df) * se
        else:
            stat = np.inf if est > -margin_per_1000 else -np.inf
            pval, lower = float(est <= -margin_per_1000), est
        ok = lower > -margin_per_1000
        rows.append(
            {
                "comparison": f"{name} vs {reference}",
                "metric": "screen_detected_per_1000",
                "estimate": est,
                "se": se,
                "lower_bound": lower,
                "margin_per_1000": margin_per_1000,
                "statistic": stat,
                "p_value": pval,
                "alpha": NI_ALPHA,
                "conclusion": "non-inferior" if ok else "non-inferiority not shown",
            }
        )
    cols = [
        "comparison",
        "metric",
        "estimate",
        "se",
        "lower_bound",
        "margin_per_1000",
        "statistic",
        "p_value",
        "alpha",
        "conclusion",
    ]
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True)
class Comparison:
    """The statistical comparison of a run's protocols (result of :func:`compare`).

    Attributes
    ----------
    table : DataFrame
        ``comparison.csv``: one row per contrast ("A vs B" = A minus B) × metric.
    icer : DataFrame
        ``icer.csv``: protocols ordered by cost, dominance status, ICER in the scenario's
        effect with its 95% interval, net monetary benefit.
    detection_curves : DataFrame
        ``detection_curves_from_onset.csv``: cumulative screen detection per protocol by months
        since the change began (Kaplan–Meier and Aalen–Johansen; long table).
    logrank : DataFrame
        ``logrank.csv``: log-rank tests of time to screen detection.
    models_text : str
        ``models.txt``: statsmodels summaries for an appendix.
    noninferiority : DataFrame
        ``noninferiority.csv``: one row per less intensive protocol against the reference.
    rates : DataFrame
        ``rates.csv``: each protocol's event rates per 1,000 with exact and Wilson intervals.
    """

    table: pd.DataFrame
    icer: pd.DataFrame
    detection_curves: pd.DataFrame
    logrank: pd.DataFrame
    models_text: str
    noninferiority: pd.DataFrame
    rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    detection_from_index: pd.DataFrame = field(default_factory=pd.DataFrame)
    """``detection_curves_from_index.csv``: screen-detected share of all people followed by
    months since the index scan (:func:`.replicates.detection_from_index`)."""

    FILES = OUTPUT_FILES

    def summary(self) -> pd.DataFrame:
        """Readable table: one row per metric, one column per contrast, "estimate (95% CI)".

        A ``*`` marks a Holm-adjusted p-value below 0.05.
        """
        if self.table.empty:
            return pd.DataFrame({"metric": [m for m, *_ in METRICS]})
        t = self.table
        cell = [
            f"{e:,.2f} ({lo:,.2f} to {hi:,.2f}){'*' if pa < 0.05 else ''}"
            if np.isfinite(e)
            else "n/a"
            for e, lo, hi, pa in zip(
                t["estimate"], t["ci_low"], t["ci_high"], t["p_adjusted"], strict=True
            )
        ]
        wide = t.assign(cell=cell).pivot(index="metric", columns="comparison", values="cell")
        wide = wide.reindex(
            index=list(dict.fromkeys(t["metric"])), columns=list(dict.fromkeys(t["comparison"]))
        )
        return wide.reset_index().rename_axis(columns=None)

    def against(self, reference: str) -> pd.DataFrame:
        """The rows of ``comparison.csv`` that compare each protocol with ``reference``.

        Returns
        -------
        DataFrame
            ``protocol, reference, metric, unit, estimate, ci_low, ci_high, p_adjusted``: the
            same numbers (and intervals) as ``comparison.csv``, reference as the second arm.
        """
        cols = ["protocol", "reference", "metric", "unit", "estimate", "ci_low", "ci_high"]
        t = self.table
        if t.empty:
            return pd.DataFrame(columns=[*cols, "p_adjusted"])
        parts = t["comparison"].astype(str).str.split(" vs ", n=1, expand=True)
        fwd, rev = parts[1] == reference, parts[0] == reference
        ahead = t[fwd].assign(protocol=parts[0][fwd], reference=reference)
        behind = t[rev].assign(  # "reference vs X": negate, swap the limits
            protocol=parts[1][rev],
            reference=reference,
            estimate=-t["estimate"][rev],
            ci_low=-t["ci_high"][rev],
            ci_high=-t["ci_low"][rev],
        )
        out = (
            pd.concat([f for f in (ahead, behind) if len(f)]) if len(ahead) + len(behind) else ahead
        )
        return out[[*cols, "p_adjusted"]].reset_index(drop=True)

    def widest(self) -> str:
        """One sentence: the widest per-1,000 interval and the run size that would halve it."""
        t = self.table[self.table["metric"].str.endswith("_per_1000")]
        t = t[np.isfinite((t["ci_high"] - t["ci_low"]).to_numpy(float))]
        if t.empty:
            return "No interval to halve."
        row = t.iloc[int(np.argmax((t["ci_high"] - t["ci_low"]).to_numpy()))]
        return (
            f"Widest interval: {row['metric']} for {row['comparison']} "
            f"({row['ci_high'] - row['ci_low']:.2f} per 1,000 wide). Halving it needs about "
            f"{int(row['patients_to_halve_ci']):,} patients per replicate, or "
            f"{int(row['replicates_to_halve_ci']):,} replicates at the current size."
        )

    def write(self, out_dir: str | Path) -> Path:
        """Write the files of :data:`OUTPUT_FILES` into ``out_dir`` (each atomically).

        Each file is written beside its target and renamed into place; other files in the
        folder are left alone.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        tables = {
            "comparison.csv": self.table,
            "icer.csv": self.icer,
            "detection_curves_from_onset.csv": self.detection_curves,
            "detection_curves_from_index.csv": self.detection_from_index,
            "logrank.csv": self.logrank,
            "noninferiority.csv": self.noninferiority,
            "rates.csv": self.rates,
        }
        for name, frame in tables.items():
            write_csv(frame, out / name)
        write_text(out / "models.txt", self.models_text)
        return out


def _economics(
    p: Paired, wtp: list[float], currency: str, effect: str, *, by_replicate: bool
) -> pd.DataFrame:
    """ICER table from per-protocol means in ``effect`` (an outcome column), with intervals.

    Each frontier step's ICER interval is the delta method on the paired per-patient
    differences in cost and effect (or on replicate means when ``by_replicate``), as
    :mod:`.intervals` states. Per-protocol ``_se`` columns are across replicate means.
    """
    counts = np.bincount(p.replicate, minlength=p.replicates)
    out_effect = f"{effect}_per_patient"
    rows = []
    for name in p.protocols:
        row: dict[str, object] = {"protocol": name}
        for col, out in (("cost", "cost_per_patient"), (effect, out_effect)):
            v = p.values[name][col].astype(float)
            row[out] = float(v.mean())
            per_rep = np.bincount(p.replicate, weights=v, minlength=p.replicates) / counts
            row[f"{out}_se"] = (
                float(per_rep.std(ddof=1) / math.sqrt(p.replicates)) if p.replicates > 1 else np.nan
            )
        rows.append(row)
    means = pd.DataFrame(rows)
    table = icer_table(means, wtp=wtp, effect=out_effect)
    ses = means.set_index("protocol")[["cost_per_patient_se", f"{out_effect}_se"]]
    table = table.join(ses, on="protocol")
    lows, highs = [], []
    for _, row in table.iterrows():
        other = row["compared_with"]
        if row["status"] != "frontier" or not isinstance(other, str):
            lows.append(np.nan)
            highs.append(np.nan)
            continue
        this = str(row["protocol"])
        dc = p.values[this]["cost"].astype(float) - p.values[other]["cost"]
        de = p.values[this][effect].astype(float) - p.values[other][effect]
        if by_replicate and p.replicates >= 2:
            dc = np.bincount(p.replicate, weights=dc, minlength=p.replicates) / counts
            de = np.bincount(p.replicate, weights=de, minlength=p.replicates) / counts
        _, _, lo, hi = ratio_interval(np.asarray(dc), np.asarray(de))
        lows.append(lo)
        highs.append(hi)
    table["icer_ci_low"] = lows
    table["icer_ci_high"] = highs
    table.insert(1, "currency", currency)
    table.insert(2, "effect", effect)
    return table


def _less_intensive(p: Paired, reference: str) -> list[str]:
    """Protocols with fewer scheduled (attended + missed) scans per patient than the reference."""
    sched = {
        n: float((p.values[n]["n_scans"] + p.values[n]["n_missed"].astype(float)).mean())
        for n in p.protocols
    }
    return [n for n in p.protocols if n != reference and sched[n] < sched[reference]]


def _mcnemar_text(p: Paired, pairs: list[tuple[str, str]]) -> str:
    """Paired 2 × 2 tables of screen detection behind the McNemar tests."""
    lines = ["Paired screen detection (rows: first protocol, columns: second; 1 = detected)"]
    for a, b in pairs:
        ya, yb = (
            p.values[a]["screen_detected"].astype(bool),
            p.values[b]["screen_detected"].astype(bool),
        )
        n11, n10 = int((ya & yb).sum()), int((ya & ~yb).sum())
        n01, n00 = int((~ya & yb).sum()), int((~ya & ~yb).sum())
        lines.append(
            f"\n{a} vs {b}\n{'':>12}{b + '=1':>16}{b + '=0':>16}\n"
            f"{a + '=1':>12}{n11:>16,}{n10:>16,}\n{a + '=0':>12}{n01:>16,}{n00:>16,}"
        )
    return "\n".join(lines) + "\n"


def _text(frame: pd.DataFrame, empty: str) -> str:
    """A table as aligned text, or a note in brackets when it has no rows."""
    return frame.to_string(index=False) if len(frame) else f"({empty})"


def compare(result: RunResult, *, gee: bool = True, gee_patients: int = 20_000) -> Comparison:
    """Compare every protocol of a run: paired contrasts, non-inferiority, curves, ICERs.

    Parameters
    ----------
    result : RunResult
        A run (``fupsim.run`` or ``fupsim.load_run``) with its per-patient outcomes.
    gee : bool
        Fit the appendix GEE (a few seconds on a large run); without it ``models.txt`` says
        it was not fitted.
    gee_patients : int
        Most paired patients the appendix GEE is fitted on (a seeded subsample beyond it).

    Returns
    -------
    Comparison
        The tables of :data:`OUTPUT_FILES` and the text of ``models.txt``.
    """
    sc = result.scenario
    names = list(sc.protocol_names)
    ref = sc.analysis.reference_protocol or names[0]
    if ref not in names:
        raise ScenarioError(
            f"analysis.reference_protocol {ref!r}: not a protocol of the run ({names})"
        )
    order = [ref, *(n for n in names if n != ref)]
    eff = effect_of(getattr(sc.analysis, "effect", None)).outcome
    if eff not in result.outcomes.columns:
        eff = "screen_detected"  # a run without health outcomes
    metrics = METRICS + tuple(m for m in HEALTH_METRICS if m[1] in result.outcomes.columns)
    columns = list(
        dict.fromkeys([c for _, c, _, _ in metrics] + list(survival.NEEDED) + ["n_missed", eff])
    )
    p = align(result.outcomes, order, columns)
    if p.n == 0:
        raise ScenarioError("outcomes: the run has no patients")
    pairs = [(order[j], order[i]) for i in range(len(order)) for j in range(i + 1, len(order))]
    currency = f"{sc.costs.currency} {sc.costs.year}"
    patients = round(p.n / max(p.replicates, 1))
    coupled = getattr(sc, "capacity", None) is not None  # a shared service: patients interact
    table = contrast_table(
        p, pairs, currency=currency, patients=patients, by_replicate=coupled, metrics=metrics
    )
    margin = sc.analysis.noninferiority_margin_per_1000
    ni = noninferiority(p, ref, _less_intensive(p, ref), margin, by_replicate=coupled)
    icer = _economics(p, list(sc.analysis.willingness_to_pay), currency, eff, by_replicate=coupled)
    horizon = sc.simulation.horizon_months
    changed = p.values[ref]["progressive"].astype(bool)  # latent truth, shared by every arm
    arms = {n: p.arm(n, survival.NEEDED, changed) for n in order}
    curves = survival.detection_curves(arms, horizon)
    lr = survival.logrank(arms, horizon, ref)
    seed = int(result.manifest.get("seed", sc.simulation.seed))
    gee_text = (
        gee_model(p, max_patients=gee_patients, seed=seed)[0]
        if gee
        else "GEE: not fitted (opt-in: fupsim report --gee, or compare(result, gee=True)).\n"
    )
    models = (
        f"fupsim compare: {p.replicates} replicate(s) x {patients:,} patients x {len(order)} "
        f"protocols; reference {ref!r}; costs in {currency}.\n\n{gee_text}\n"
        f"{_mcnemar_text(p, pairs)}"
        f"\nNon-inferiority (one-sided alpha {NI_ALPHA:g}, "
        f"margin {margin:g} per 1,000):\n{_text(ni, 'no less intensive protocol')}\n"
        f"\nLog-rank tests of time to screen detection:\n{_text(lr, 'a single protocol')}\n"
    )
    rates = protocol_rates(result.outcomes, order)
    from_index = detection_from_index(result.outcomes, horizon, protocols=order)
    return Comparison(table, icer, curves, lr, models, ni, rates, from_index)


def load_comparison(folder: str | Path) -> Comparison:
    """Read the files :meth:`Comparison.write` wrote into ``folder``.

    Raises
    ------
    ScenarioError
        When a file of :data:`OUTPUT_FILES` is missing (the folder holds no comparison).
    """
    folder = Path(folder)
    missing = [n for n in OUTPUT_FILES if not (folder / n).is_file()]
    if missing:
        raise ScenarioError(
            f"{folder / missing[0]}: missing; run 'fupsim compare {folder}' to write the comparison"
        )

    def read(name: str) -> pd.DataFrame:
        try:
            return pd.read_csv(folder / name)
        except pd.errors.EmptyDataError:
            return pd.DataFrame()

    return Comparison(
        table=read("comparison.csv"),
        icer=read("icer.csv"),
        detection_curves=read("detection_curves_from_onset.csv"),
        logrank=read("logrank.csv"),
        models_text=(folder / "models.txt").read_text(encoding="utf-8"),
        noninferiority=read("noninferiority.csv"),
        rates=read("rates.csv"),
        detection_from_index=read("detection_curves_from_index.csv"),
    )
