"""Shared look of every figure: one colour per protocol, the same in every plot."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["PALETTE", "protocol_colors"]

# Colour-blind-safe (Okabe-Ito), no-follow-up in grey.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
NO_FOLLOW_UP = "#7F7F7F"


def protocol_colors(protocols: Sequence[str]) -> dict[str, str]:
    """Map protocol names (in scenario order) to colours; a protocol with no scans is grey.

    The mapping depends only on the order of ``protocols``, so every figure of one scenario
    uses the same colour for the same protocol.
    """
    out: dict[str, str] = {}
    i = 0
    for name in protocols:
        if name.lower() in ("none", "no-follow-up", "no_follow_up", "no-followup"):
            out[name] = NO_FOLLOW_UP
        else:
            out[name] = PALETTE[i % len(PALETTE)]
            i += 1
    return out
