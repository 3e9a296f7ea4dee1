"""Figures of the simulated cohort set against the source article's description of IHC.

Every function takes a cohort table (one row per person: ``stream``, ``age_years``, ``sex``,
``lobe``, ``n_foci``, ``cause``, and ``replicate`` where there are several) such as
``fupsim cohort`` writes, or the outcomes of one protocol.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from fupsim.plots.axes import new_axes

__all__ = [
    "AGE_BAND_YEARS",
    "plot_age",
    "plot_causes",
    "plot_foci",
    "plot_lobe",
    "plot_prenatal",
    "plot_sex",
]

AGE_BAND_YEARS = (20.0, 50.0)
"""The source article: IHC is most common at ages 20–50."""

# Not protocol colours: the cohort is the same under every protocol.
SIMULATED = "#51606F"
INPUT = "#000000"


def _adults(cohort: pd.DataFrame) -> pd.DataFrame:
    if "stream" in cohort.columns:
        return cohort[cohort["stream"].astype(str) == "adult"]
    return cohort


def _share_bars(
    ax: Axes,
    simulated: pd.Series,
    expected: Mapping[str, float] | None,
    *,
    horizontal: bool = False,
) -> None:
    """Simulated shares as bars (with the value printed), scenario inputs as diamonds."""
    labels = [str(i) for i in simulated.index]
    pos = np.arange(len(labels))
    pct = 100.0 * simulated.to_numpy(dtype=float)
    bar = ax.barh if horizontal else ax.bar
    bars = bar(pos, pct, color=SIMULATED, alpha=0.85, label="simulated")
    pad = 9 if expected is not None else 2  # clear of the input diamond
    ax.bar_label(bars, labels=[f"{v:.1f}%" for v in pct], padding=pad, fontsize=8)
    if expected is not None:
        exp = [100.0 * expected.get(k, np.nan) for k in labels]
        if horizontal:
            ax.plot(exp, pos, "D", color=INPUT, ms=6, label="scenario input")
        else:
            ax.plot(pos, exp, "D", color=INPUT, ms=6, label="scenario input")
    if horizontal:
        ax.set_yticks(pos, labels)
        ax.invert_yaxis()
        ax.set_xlabel("Share of adults (%)")
        ax.set_xlim(0, max(pct.max(), 1.0) * 1.25)
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    else:
        ax.set_xticks(pos, labels)
        ax.set_ylabel("Share of adults (%)")
        ax.set_ylim(0, max(pct.max(), 1.0) * 1.2)
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.legend(fontsize=8, loc="best")


def plot_age(cohort: pd.DataFrame, *, ax: Axes | None = None, bin_years: float = 2.0) -> Axes:
    """Histogram of age at the index scan (adults), with the article's 20–50 year band shaded.

    Parameters
    ----------
    cohort : DataFrame
        One row per person with ``age_years`` (years) and optionally ``stream``.
    bin_years : float
        Bin width, years.

    Returns
    -------
    Axes
        x: age (years); y: % of adults per bin.
    """
    ax = new_axes(ax)
    age = _adults(cohort)["age_years"].to_numpy(dtype=float)
    lo, hi = AGE_BAND_YEARS
    ax.axvspan(lo, hi, color="0.88", zorder=0, label="article: most common at 20–50 y")
    edges = np.arange(np.floor(age.min() / bin_years) * bin_years, age.max() + bin_years, bin_years)
    weights = np.full(age.size, 100.0 / max(age.size, 1))
    heights, _, _ = ax.hist(
        age, bins=edges.tolist(), weights=weights, color=SIMULATED, alpha=0.85, label="simulated"
    )
    ax.set_ylim(0, float(np.max(heights)) * 1.3)  # head-room for the legend
    inside = float(np.mean((age >= lo) & (age <= hi))) * 100.0
    ax.set_title(f"Age: {inside:.0f}% of adults aged 20–50 y", fontsize=10)
    ax.set_xlabel("Age at index scan (years)")
    ax.set_ylabel(f"Adults (% per {bin_years:g}-year bin)")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=1))
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_sex(cohort: pd.DataFrame, *, ax: Axes | None = None, female_share: float = 0.5) -> Axes:
    """Share of women and men among adults; the article says men and women equally.

    Parameters
    ----------
    female_share : float
        The scenario's input share of women (0–1).
    """
    ax = new_axes(ax)
    sex = _adults(cohort)["sex"].astype(str)
    shares = sex.value_counts(normalize=True).reindex(["female", "male"], fill_value=0.0)
    _share_bars(ax, shares, {"female": female_share, "male": 1.0 - female_share})
    ax.set_title("Sex (article: men and women equally)", fontsize=10)
    ax.set_xlabel("Sex")
    return ax


def plot_lobe(
    cohort: pd.DataFrame, *, ax: Axes | None = None, expected: Mapping[str, float] | None = None
) -> Axes:
    """Share of adults by lobe of the calcification; the article: right ≫ left, both rarely.

    Parameters
    ----------
    expected : mapping, optional
        Scenario input shares by lobe (0–1), drawn as diamonds.
    """
    ax = new_axes(ax)
    lobe = _adults(cohort)["lobe"].astype(str)
    shares = lobe.value_counts(normalize=True).reindex(["right", "left", "both"], fill_value=0.0)
    _share_bars(ax, shares, expected)
    ax.set_title("Lobe (article: right far more than left, both rarely)", fontsize=10)
    ax.set_xlabel("Lobe")
    return ax


def plot_foci(
    cohort: pd.DataFrame, *, ax: Axes | None = None, multiple_share: float | None = None
) -> Axes:
    """Share of adults by number of calcified foci; the article: usually a single focus.

    Parameters
    ----------
    multiple_share : float, optional
        Scenario input share with more than one focus (0–1); drawn as the input for "1".
    """
    ax = new_axes(ax)
    foci = _adults(cohort)["n_foci"].to_numpy()
    labels = ["1", "2", "3", "4", "5+"]
    codes = np.clip(foci, 1, 5) - 1
    counts = np.bincount(codes, minlength=5)[:5]
    shares = pd.Series(counts / max(foci.size, 1), index=labels)
    expected = None if multiple_share is None else {"1": 1.0 - multiple_share}
    _share_bars(ax, shares, expected)
    ax.set_title("Number of foci (article: usually one)", fontsize=10)
    ax.set_xlabel("Calcified foci per person (count)")
    return ax


def plot_causes(
    cohort: pd.DataFrame, *, ax: Axes | None = None, expected: Mapping[str, float] | None = None
) -> Axes:
    """Cause mix of adults (horizontal bars); the article names bile-duct stones the commonest.

    Parameters
    ----------
    expected : mapping, optional
        Scenario input shares by cause (0–1), drawn as diamonds.
    """
    ax = new_axes(ax)
    cause = _adults(cohort)["cause"].astype(str)
    order = list(expected) if expected is not None else list(cause.value_counts().index)
    shares = cause.value_counts(normalize=True).reindex(order, fill_value=0.0)
    shares.index = [str(c).replace("_", " ") for c in shares.index]
    exp = None if expected is None else {k.replace("_", " "): v for k, v in expected.items()}
    _share_bars(ax, shares, exp, horizontal=True)
    ax.set_title("Cause (article: bile-duct stones commonest)", fontsize=10)
    return ax


def plot_prenatal(
    cohort: pd.DataFrame,
    *,
    screened: int,
    ax: Axes | None = None,
    article_rate: float = 0.00057,
) -> Axes:
    """Fetal hepatic calcifications found per 10,000 pregnancies scanned, against the article.

    Parameters
    ----------
    cohort : DataFrame
        With ``stream`` and, for several replicates, ``replicate``.
    screened : int
        Pregnancies scanned per replicate.
    article_rate : float
        The article's detection rate per pregnancy scanned (0.057% = 0.00057).

    Returns
    -------
    Axes
        One bar (simulated, with its exact 95% binomial interval) and the article's rate.
    """
    from scipy.stats import beta

    ax = new_axes(ax)
    reps = int(cohort["replicate"].nunique()) if "replicate" in cohort.columns else 1
    found = int((cohort["stream"].astype(str) == "prenatal").sum())
    n = max(screened * reps, 1)
    lo = beta.ppf(0.025, found, n - found + 1) if found > 0 else 0.0
    hi = beta.ppf(0.975, found + 1, n - found)
    scale = 10_000.0
    rate = found / n * scale
    err = np.array([[rate - lo * scale], [hi * scale - rate]])
    bars = ax.bar(
        [0], [rate], yerr=err, capsize=6, color=SIMULATED, alpha=0.85, label="simulated (95% CI)"
    )
    ax.bar_label(bars, labels=[f"{rate:.2f}"], padding=14, fontsize=8)
    ax.axhline(
        article_rate * scale, color=INPUT, ls="--", label=f"article: {article_rate * 100:.3f}%"
    )
    ax.set_xticks([0], [f"{found:,} of {n:,}\npregnancies"])
    ax.set_xlim(-1, 1)
    ax.set_ylim(0, max(hi * scale, article_rate * scale) * 1.35)
    ax.set_ylabel("Fetal findings per 10,000 pregnancies scanned")
    ax.set_title("Prenatal detection rate", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return ax
