"""The cost curve's catalogue generator: seeded, the real products first, variants made of real titles."""

from __future__ import annotations

import pytest

from benchmarks.cost_curve import generated

pytestmark = pytest.mark.fast

REAL = [
    {"id": f"r{number}", "title": title, "brand": brand, "price": number}
    for number, (title, brand) in enumerate(
        [
            ("Hampton Bay 3-Light Ceiling Fan", "Hampton Bay"),
            ("BEHR Premium Deck Stain 1 gal.", "BEHR"),
            ("Delta Vero Shower Faucet Trim Kit", "Delta"),
            ("Toro Recycler 22 in. Lawn Mower", "Toro"),
        ]
    )
]


def test_larger_catalogues_hold_every_real_product_then_seeded_variants() -> None:
    made = list(generated(REAL, 50, seed=1))
    assert made[:4] == REAL and len(made) == 50
    assert len({record["id"] for record in made}) == 50
    words = {word for record in REAL for word in record["title"].split()}
    for variant in made[4:]:
        base = next(record for record in REAL if record["brand"] == variant["brand"])
        assert variant["price"] == base["price"] and set(variant["title"].split()) <= words
        assert variant["title"].split()[0] == base["title"].split()[0]  # its own first half, another's last
    assert made == list(generated(REAL, 50, seed=1)) and made != list(generated(REAL, 50, seed=2))


def test_smaller_catalogues_are_a_seeded_sample_of_the_real_ones() -> None:
    made = list(generated(REAL, 2, seed=1))
    assert len(made) == 2 and all(record in REAL for record in made)
    assert made == list(generated(REAL, 2, seed=1))
