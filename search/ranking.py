"""The shop's business ranking on top of relevance: numeric fields' weights, stock, variants, sorting's relevance
cut and the session boost, as PUT /api/ranking takes them. See docs/design.md#business-ranking."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from indexer.products import NUMBER_NAME
from search.errors import ResourceError, validated


class Ranking(BaseModel):
    """Business ranking on top of relevance, stock and variants, as PUT /api/ranking takes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # numeric catalogue fields (rating, margin) or "popularity", each with a weight; negative: lower is better
    weights: dict[str, float] = Field(default_factory=dict, max_length=20)
    # the most the weighted signals together move a product, as a share of the candidates' score range
    business_share: float = Field(default=0.1, ge=0, le=1, allow_inf_nan=False)
    stock: Literal["demote", "hide", "ignore"] = "demote"  # out-of-stock products
    stock_demotion: float = Field(default=0.3, ge=0, le=1, allow_inf_nan=False)  # of the score range
    distinct: bool = False  # one hit per group_id (the best variant) unless a request says otherwise
    # sorted results keep the candidates scoring at least this share of the best one's relevance
    sort_relevance: float = Field(default=0.5, ge=0, le=1, allow_inf_nan=False)
    # the most a session's interests (its clicked categories and brands) move a product, as a share of the
    # candidates' score range; 0: off
    session_boost: float = Field(default=0.0, ge=0, le=1, allow_inf_nan=False)

    @field_validator("weights")
    @classmethod
    def _numeric_fields(cls, value: dict[str, float]) -> dict[str, float]:
        for name, weight in value.items():
            if not NUMBER_NAME.match(name):
                raise ValueError(f"{name[:40]!r} is not a numeric field's name; use letters, digits and '_'")
            if not -1 <= weight <= 1:
                raise ValueError(f"the weight of {name!r} must be within -1..1, got {weight}")
        return value


def ranking_of(record: Any) -> Ranking:
    if not isinstance(record, dict):
        raise ResourceError("body", 'ranking settings are a JSON object, such as {"weights": {"rating": 0.5}}')
    return validated(Ranking, record)
