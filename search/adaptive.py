"""The dense leg's share in weighted fusion, per query: the closer the best product is in meaning, the more it counts.

    logit(share) = logit(dense_weight) + SLOPE * (top dense cosine - CENTRE)

so `dense_weight` (a tuned one too) is the share at a top cosine of CENTRE, and a weight of 0 or 1 stays as it
is. The two constants were fitted once, not per index, on the train parts of three judged sets counted alike
(Home Depot and crowdflower with MiniLM, QBQTC in Chinese with multilingual-e5), so that no set loses to the
better of its bm25 and its half-and-half hybrid; `python -m benchmarks.fusion_by_query` measures them. Of the
features a query offers at search time (its length, numbers, codes, words no product uses, how peaked each
leg is, how much the legs agree), only the dense leg's best cosine both wanted a larger share in its top
quartile than in its bottom one in every set and sets the sets apart: median 0.65 on Home Depot, whose best
fixed share is 0.3, 0.74 on crowdflower (0.4), 0.91 on QBQTC (0.6). Length pointed opposite ways (long Home
Depot queries want the keyword leg, long crowdflower ones the dense leg), and queries with codes wanted more
dense share, not less. The cosine's scale belongs to the encoder: a new encoder may need CENTRE measured again.
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
