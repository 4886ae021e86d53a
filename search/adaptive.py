"""The dense leg's share in weighted fusion, per query: the closer the best product in meaning, the more it counts.

See docs/design.md#per-query-dense-share.
"""

from __future__ import annotations

import math

CENTRE = 0.87  # the top dense cosine at which the dense leg keeps the configured share
SLOPE = 5.0  # logit change per unit of top cosine; from 0.5: cosine 0.65 -> share 0.25, 0.75 -> 0.35, 0.92 -> 0.56


def dense_share(weight: float, top_cosine: float | None) -> float:
    """The dense leg's share for a query whose best dense hit scores `top_cosine`; `weight` where it has none."""
    if top_cosine is None or weight <= 0.0 or weight >= 1.0 or not math.isfinite(top_cosine):
        return weight
    logit = math.log(weight / (1.0 - weight)) + SLOPE * (top_cosine - CENTRE)
    # the two branches keep exp() from overflowing whatever the sign of the logit
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    odds = math.exp(logit)
    return odds / (1.0 + odds)
