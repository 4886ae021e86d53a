"""How the sample catalogue and its judgments were written (run it to write them again).

    python data/sample/generate.py

Products come from hand-written product lines (type, brands, materials, colours, sizes, price
range, feature sentences); each query is a small rule over product attributes, graded
3 = the asked type with every asked attribute, 2 = the asked type with an attribute off,
1 = a related type (same leaf category group), 0 = a judged product of another type.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).parent

# type -> category path, brands, materials, colours, sizes, price range, feature sentences, extra attributes
LINES = {
    "electric kettle": (
        "Home > Kitchen > Kettles", ["Brevilla", "Kettleworth", "Morphy & Sons", "Salton Home"],
        ["stainless steel", "glass", "plastic"], ["silver", "black", "red", "cream"], ["1.0 l", "1.5 l", "1.7 l"],
        (19, 129),
        ["Boils a full jug in under four minutes with a 3000 W element.", "Rapid boil with automatic shut-off and boil-dry protection.",
         "Keep-warm mode holds water at temperature for 30 minutes.", "Variable temperature presets for green tea, white tea and coffee.",
         "360-degree swivel base with cord storage.", "Limescale filter you can take out and rinse."],
    ),
    "stovetop kettle": (
        "Home > Kitchen > Kettles", ["Kettleworth", "Le Crouset", "Alpenware"],
        ["stainless steel", "enamel", "copper"], ["silver", "red", "blue", "copper"], ["1.6 l", "2.1 l"],
        (24, 95),
        ["Whistles when the water boils.", "Works on gas, electric and induction hobs.", "Stay-cool handle and flip-up spout."],
    ),
    "frying pan": (
        "Home > Kitchen > Cookware", ["Tefalon", "Le Crouset", "Alpenware", "Castiron Co"],
        ["non-stick aluminium", "cast iron", "stainless steel", "carbon steel"], ["black", "grey", "red"], ["20 cm", "24 cm", "28 cm"],
        (15, 140),
        ["Suitable for all hobs including induction.", "PFOA-free non-stick coating releases eggs without oil.",
         "Oven safe to 260 C.", "Pre-seasoned and ready to use.", "Riveted handle stays cool on the hob."],
    ),
    "saucepan": (
        "Home > Kitchen > Cookware", ["Tefalon", "Alpenware", "Le Crouset"],
        ["stainless steel", "non-stick aluminium", "copper"], ["silver", "black", "copper"], ["16 cm", "18 cm", "20 cm"],
        (18, 120),
        ["Glass lid with steam vent.", "Pouring lips on both sides and measuring marks inside.", "Tri-ply base spreads heat evenly."],
    ),
    "coffee machine": (
        "Home > Kitchen > Coffee Makers", ["Brevilla", "De Longo", "Kettleworth"],
        ["stainless steel", "plastic"], ["black", "silver", "white"], ["1.2 l", "1.8 l"],
        (59, 699),
        ["15-bar pump espresso with a steam wand for milk.", "Built-in conical burr grinder with 30 settings.",
         "Drip filter coffee for up to 12 cups with a 24-hour timer.", "Takes ground coffee or pods."],
    ),
    "coffee grinder": (
        "Home > Kitchen > Coffee Makers", ["Brevilla", "De Longo", "Hario-san"],
        ["stainless steel", "plastic", "ceramic"], ["black", "silver"], ["one size"],
        (25, 199),
        ["Conical burrs give an even grind from espresso to French press.", "Hand grinder with ceramic burrs for travel."],
    ),
    "office chair": (
        "Home > Furniture > Office Chairs", ["Ergoform", "Sitwell", "Nordhaus"],
        ["mesh", "leather", "fabric"], ["black", "grey", "blue"], ["standard", "large"],
        (89, 649),
        ["Adjustable lumbar support and 4D armrests.", "Breathable mesh back keeps you cool.", "Synchro tilt with lock in five positions.",
         "Seat height 42 to 54 cm, for users up to 150 kg.", "Headrest adjusts in height and angle."],
    ),
    "standing desk": (
        "Home > Furniture > Desks", ["Ergoform", "Nordhaus", "Sitwell"],
        ["oak veneer", "bamboo", "laminate"], ["white", "black", "natural"], ["120 x 60 cm", "140 x 70 cm", "160 x 80 cm"],
        (199, 899),
        ["Dual motors lift from 62 to 127 cm.", "Memory keypad with four height presets.", "Anti-collision sensor stops the frame."],
    ),
    "running shoes": (
        "Clothing > Footwear > Running Shoes", ["Stridex", "Asix", "Nova Run", "Peakline"],
        ["mesh", "knit"], ["black", "white", "blue", "red", "green"], ["UK 7", "UK 8", "UK 9", "UK 10", "UK 11"],
        (49, 180),
        ["Cushioned midsole for long road runs.", "Lightweight racer with a carbon plate.", "Grippy trail outsole with 5 mm lugs.",
         "Reflective details for running at night.", "Wide toe box and neutral support."],
    ),
    "hiking boots": (
        "Clothing > Footwear > Hiking Boots", ["Peakline", "Trailmark", "Alpenware"],
        ["leather", "suede", "synthetic"], ["brown", "grey", "black", "green"], ["UK 7", "UK 8", "UK 9", "UK 10", "UK 11"],
        (69, 240),
        ["Waterproof breathable membrane keeps feet dry.", "Vibram-style outsole grips wet rock.", "Ankle support for rough trails.",
         "Lightweight mid boot for day hikes."],
    ),
    "rain jacket": (
        "Clothing > Outerwear > Rain Jackets", ["Trailmark", "Peakline", "Nordhaus"],
        ["nylon", "polyester", "recycled polyester"], ["yellow", "navy", "black", "red", "green"], ["S", "M", "L", "XL"],
        (39, 260),
        ["Fully taped seams and a 20,000 mm waterproof rating.", "Packs into its own chest pocket.", "Adjustable hood with a stiffened peak.",
         "Pit zips let heat out on climbs."],
    ),
    "over-ear headphones": (
        "Electronics > Audio > Headphones", ["Sonora", "Bassline", "Audiq"],
        ["plastic", "aluminium", "leather"], ["black", "white", "silver", "blue"], ["one size"],
        (29, 399),
        ["Active noise cancelling blocks engine and office noise.", "40-hour battery with fast charging over USB-C.",
         "Bluetooth 5.3 with multipoint pairing.", "Detachable 3.5 mm cable for wired listening.", "Fold flat into a hard case."],
    ),
    "wireless earbuds": (
        "Electronics > Audio > Headphones", ["Sonora", "Bassline", "Audiq"],
        ["plastic"], ["black", "white", "green"], ["one size"],
        (19, 249),
        ["Noise cancelling with a transparency mode.", "IPX5 sweat resistant for workouts.", "Charging case holds three full charges."],
    ),
    "bluetooth speaker": (
        "Electronics > Audio > Speakers", ["Sonora", "Bassline", "Audiq"],
        ["fabric", "rubber", "aluminium"], ["black", "blue", "red", "grey"], ["mini", "medium", "large"],
        (25, 299),
        ["Waterproof to IP67, it floats in the pool.", "12 hours of playback at half volume.", "Pairs two speakers for stereo.",
         "Deep bass from a passive radiator."],
    ),
    "mechanical keyboard": (
        "Electronics > Computers > Keyboards", ["Keyforge", "Typewell", "Logix"],
        ["aluminium", "plastic"], ["black", "white", "grey"], ["full size", "tenkeyless", "60%"],
        (45, 220),
        ["Hot-swappable switches, tactile brown by default.", "RGB backlight with per-key lighting.", "Connects by Bluetooth, 2.4 GHz or USB-C.",
         "PBT double-shot keycaps."],
    ),
    "wireless mouse": (
        "Electronics > Computers > Mice", ["Logix", "Keyforge", "Typewell"],
        ["plastic"], ["black", "white", "grey", "pink"], ["standard", "compact"],
        (12, 129),
        ["Ergonomic vertical grip eases wrist strain.", "Silent clicks for shared offices.", "Rechargeable, 70 days on a charge.",
         "26,000 DPI sensor for gaming."],
    ),
    "pruning shears": (
        "Garden > Tools > Pruners", ["Greenthumb", "Fiskor", "Gardena Pro"],
        ["carbon steel", "stainless steel"], ["orange", "green", "red"], ["small", "medium"],
        (9, 59),
        ["Bypass blades cut live stems up to 20 mm cleanly.", "Anvil action for dead wood.", "Ratchet mechanism multiplies cutting force."],
    ),
    "garden hose": (
        "Garden > Watering > Hoses", ["Greenthumb", "Gardena Pro", "Hozelock Co"],
        ["rubber", "PVC", "latex"], ["green", "black", "blue"], ["15 m", "25 m", "30 m"],
        (15, 89),
        ["Expandable hose grows to three times its length under pressure.", "Kink-resistant reinforced walls.",
         "Comes with a spray gun with eight patterns."],
    ),
    "bike helmet": (
        "Sports > Cycling > Helmets", ["Velocita", "Rideguard", "Peakline"],
        ["polycarbonate", "EPS foam"], ["black", "white", "red", "blue", "yellow"], ["S", "M", "L"],
        (29, 199),
        ["MIPS liner reduces rotational impact.", "Integrated rear LED light.", "18 vents keep your head cool on climbs.",
         "Dial fit system adjusts with one hand."],
    ),
    "bike light set": (
        "Sports > Cycling > Lights", ["Velocita", "Rideguard", "Lumenpeak"],
        ["aluminium", "plastic"], ["black", "red"], ["one size"],
        (14, 119),
        ["800 lumen front light with a cut-off beam.", "USB-C rechargeable, 6 hours on medium.", "Daytime flash mode visible from 1 km."],
    ),
    "yoga mat": (
        "Sports > Fitness > Yoga", ["Zenflow", "Asix", "Nova Run"],
        ["natural rubber", "TPE", "cork"], ["purple", "blue", "black", "green", "pink"], ["4 mm", "6 mm"],
        (19, 99),
        ["Non-slip surface grips even in hot yoga.", "Alignment lines printed on top.", "Comes with a carrying strap."],
    ),
    "dumbbell set": (
        "Sports > Fitness > Weights", ["Ironcore", "Asix"],
        ["cast iron", "neoprene", "steel"], ["black", "grey", "pink"], ["2 x 5 kg", "2 x 10 kg", "adjustable 24 kg"],
        (25, 349),
        ["Adjustable from 2.5 to 24 kg with a turn of the dial.", "Hexagonal heads do not roll away.", "Neoprene coating is kind to floors."],
    ),
    "insulated water bottle": (
        "Home > Kitchen > Drinkware", ["Hydroflux", "Alpenware", "Zenflow"],
        ["stainless steel", "glass", "plastic"], ["black", "blue", "green", "white", "pink"], ["500 ml", "750 ml", "1 l"],
        (12, 49),
        ["Double-walled vacuum keeps drinks cold for 24 hours and hot for 12.", "Leak-proof lid, fits car cup holders.",
         "BPA-free and dishwasher safe."],
    ),
    "travel mug": (
        "Home > Kitchen > Drinkware", ["Hydroflux", "Kettleworth", "Alpenware"],
        ["stainless steel", "ceramic"], ["black", "red", "white", "blue"], ["350 ml", "470 ml"],
        (9, 39),
        ["Keeps coffee hot for hours on the commute.", "One-hand push-button lid.", "Fits under most coffee machines."],
    ),
    "toy building set": (
        "Toys > Construction > Building Sets", ["Brickwell", "Blockhaus"],
        ["plastic"], ["multicolour"], ["250 pieces", "500 pieces", "1000 pieces"],
        (15, 149),
        ["Builds a fire station with two vehicles.", "Space shuttle model with opening cargo bay.", "Compatible with other major brick brands.",
         "Ages 6 and up."],
    ),
}

PER_TYPE = 12
MODELS = ["Aero", "Nova", "Classic", "Pro", "Lite", "Max", "Terra", "Flex", "Orbit", "Prime", "Edge", "Pulse", "Core", "Vista"]

QUERIES = [
    # (query, product types, required attributes; "feature" = a phrase the description must contain)
    ("red kettle", ["electric kettle", "stovetop kettle"], {"colour": "red"}),
    ("stainless steel electric kettle", ["electric kettle"], {"material": "stainless steel"}),
    ("glass kettle", ["electric kettle"], {"material": "glass"}),
    ("induction kettle", ["stovetop kettle"], {"feature": "induction"}),
    ("cast iron skillet", ["frying pan"], {"material": "cast iron"}),
    ("non stick frying pan 28cm", ["frying pan"], {"material": "non-stick aluminium", "size": "28 cm"}),
    ("copper saucepan", ["saucepan"], {"material": "copper"}),
    ("espresso machine", ["coffee machine"], {"feature": "espresso"}),
    ("burr coffee grinder", ["coffee grinder"], {"feature": "burr"}),
    ("ergonomic mesh office chair", ["office chair"], {"material": "mesh"}),
    ("leather desk chair", ["office chair"], {"material": "leather"}),
    ("sit stand desk", ["standing desk"], {}),
    ("bamboo standing desk", ["standing desk"], {"material": "bamboo"}),
    ("mens running trainers size 10", ["running shoes"], {"size": "UK 10"}),
    ("blue running shoes", ["running shoes"], {"colour": "blue"}),
    ("waterproof walking boots", ["hiking boots"], {"feature": "waterproof"}),
    ("leather hiking boots", ["hiking boots"], {"material": "leather"}),
    ("yellow rain coat", ["rain jacket"], {"colour": "yellow"}),
    ("packable waterproof jacket", ["rain jacket"], {"feature": "packs into"}),
    ("noise cancelling headphones", ["over-ear headphones", "wireless earbuds"], {"feature": "noise cancelling"}),
    ("white earbuds", ["wireless earbuds"], {"colour": "white"}),
    ("bluetoth speaker", ["bluetooth speaker"], {}),
    ("portable speaker for the pool", ["bluetooth speaker"], {"feature": "waterproof"}),
    ("tenkeyless mechanical keyboard", ["mechanical keyboard"], {"size": "tenkeyless"}),
    ("quiet mouse for the office", ["wireless mouse"], {"feature": "silent"}),
    ("secateurs", ["pruning shears"], {}),
    ("30m garden hose", ["garden hose"], {"size": "30 m"}),
    ("cycling helmet with light", ["bike helmet"], {"feature": "led light"}),
    ("front and rear bike lights", ["bike light set"], {}),
    ("cork yoga mat", ["yoga mat"], {"material": "cork"}),
    ("adjustable dumbbells", ["dumbbell set"], {"size": "adjustable 24 kg"}),
    ("keep drinks cold all day", ["insulated water bottle"], {"feature": "cold"}),
    ("coffee travel cup", ["travel mug"], {}),
    ("lego compatible bricks", ["toy building set"], {"feature": "compatible"}),
    ("gift for a runner", ["running shoes"], {}),
]


def make_products(rng: random.Random) -> list[dict]:
    products, titles = [], set()
    for type_name, (category, brands, materials, colours, sizes, (low, high), features) in LINES.items():
        for _ in range(PER_TYPE):
            while True:  # no two products share a title
                brand, model = rng.choice(brands), rng.choice(MODELS)
                material, colour, size = rng.choice(materials), rng.choice(colours), rng.choice(sizes)
                if (brand, model, colour, size) not in titles:
                    titles.add((brand, model, colour, size))
                    break
            chosen = rng.sample(features, k=min(len(features), rng.randint(2, 3)))
            size_text = "" if size in ("one size", "standard") else f" {size}"
            title = f"{brand} {model} {type_name.title()}{size_text} - {colour.title()}"
            description = (
                f"The {model} {type_name} from {brand} in {colour}, made of {material}. " + " ".join(chosen)
            )
            products.append(
                {
                    "id": f"SKU-{len(products) + 1001}",
                    "title": title,
                    "description": description,
                    "category": category,
                    "brand": brand,
                    "price": round(rng.uniform(low, high), 0) - 0.01,
                    "currency": "EUR",
                    "attributes": {"colour": colour, "size": size, "material": material, "type": type_name},
                }
            )
    return products


def add_shop_fields(products: list[dict], rng: random.Random) -> None:
    """What a shop knows beside the text: a rating, stock, and variants (one brand's model of one type in several
    colours or sizes shares a group_id). Drawn from a random source of their own, so the products' text, the
    queries and the judgments stay as they were."""
    for product in products:
        attributes = product["attributes"]
        model = product["description"].split(" ")[1]
        product["group_id"] = "-".join((product["brand"], model, attributes["type"])).lower().replace(" ", "-")
        product["rating"] = round(rng.uniform(2.5, 5.0), 1)
        product["in_stock"] = rng.random() >= 0.08
        product["stock"] = rng.randint(1, 120) if product["in_stock"] else 0


def _has(product: dict, key: str, value: str) -> bool:
    if key == "feature":
        return value in product["description"].lower()
    return product["attributes"][key] == value


def grade(product: dict, types: list[str], required: dict[str, str]) -> int:
    attributes = product["attributes"]
    if attributes["type"] in types:
        return 3 if all(_has(product, key, value) for key, value in required.items()) else 2
    related = {LINES[name][0] for name in types}
    return 1 if product["category"] in related else 0


def main() -> None:
    rng = random.Random(20261122)
    products = make_products(rng)
    add_shop_fields(products, random.Random(20261207))
    with open(HERE / "products.jsonl", "w", encoding="utf-8") as handle:
        for product in products:
            handle.write(json.dumps(product, ensure_ascii=False) + "\n")
    queries, qrels = [], []
    for number, (text, types, required) in enumerate(QUERIES, start=1):
        qid = f"s{number}"
        queries.append(f"{qid}\t{text}\n")
        judged = [product for product in products if grade(product, types, required) > 0]
        others = [product for product in products if grade(product, types, required) == 0]
        for product in judged + rng.sample(others, k=10):
            qrels.append(f"{qid} 0 {product['id']} {grade(product, types, required)}\n")
    (HERE / "queries.tsv").write_text("".join(queries), encoding="utf-8")
    (HERE / "qrels.tsv").write_text("".join(qrels), encoding="utf-8")
    print(f"{len(products)} products, {len(queries)} queries, {len(qrels)} judgments")


if __name__ == "__main__":
    main()
