"""Industry tags of a document: keyword rules over the product ("Certain …") and Nice classes.

Rules read the title, the parsed products and, when neither names a product (a receipt-of-complaint
title does not), the "Certain …" phrase of the summary; never the whole body, where patent
boilerplate would tag everything.  A keyword matches as a whole word, plural "s" allowed.
The vocabulary came from the products of the 792 real Section 337 notices in the samples.
Trademark documents add the industries of their Nice classes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from ipsentry.core.documents import Document

INDUSTRY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "semiconductors": (
        "semiconductor", "integrated circuit", "transistor", "wafer", "chipset", "gallium nitride",
        "mosfet", "dram", "flash memory", "memory device", "processor", "microcontroller",
        "printed circuit board", "memory module", "memory chip", "mram", "image sensor",
    ),
    "consumer_electronics": (
        "smartphone", "mobile phone", "mobile device", "cellular phone", "cellular device",
        "tablet computer", "laptop", "computer", "television", "headphone", "earbud", "speaker",
        "camera", "smartwatch", "wearable", "display", "audio", "video", "game console",
        "gaming", "streaming", "set-top box", "electronic device", "touchscreen", "drone",
        "electrical connector", "eyewear", "earpiece", "screen protector",
    ),
    "telecommunications": (
        "telecommunication", "wireless", "lte", "umts", "5g", "router", "base station", "cellular",
        "networking", "network device", "fiber optic", "optical fiber", "modem", "subsea",
    ),
    "batteries_energy": (
        "battery", "batteries", "lithium", "solar", "photovoltaic", "energy storage", "inverter",
        "power supply", "charger", "charging", "fuel cell", "wind turbine", "electrolyte",
    ),
    "medical_devices": (
        "medical", "surgical", "catheter", "stent", "implant", "diagnostic", "syringe",
        "microneedle", "orthopedic", "dental", "blood glucose", "ultrasound", "immunoassay",
        "dermatological", "hydrodermabrasion", "in vitro fertilization", "test strip", "blood",
        "clear aligner", "cpap", "pneumatic compression", "medical imaging", "nasal device",
        "balloon dilation",
    ),
    "pharmaceuticals": (
        "pharmaceutical", "drug", "capsule", "vaccine", "tirzepatide", "gabapentin",
        "recombinant", "serum albumin", "l-tryptophan", "biologic",
    ),
    "vaping": (
        "vaporizer", "vaporizing", "vaping", "vape", "e-cigarette", "electronic cigarette",
        "electronic nicotine", "nicotine", "tobacco", "heated tobacco",
    ),
    "textiles_apparel": (
        "apparel", "garment", "clothing", "dress", "dresses", "jumpsuit", "textile", "fabric",
        "footwear", "shoe", "nonwoven", "yarn", "knitted", "handbag",
    ),
    "cosmetics_personal_care": (
        "cosmetic", "skin care", "skincare", "eyelash", "hair", "toothbrush", "beauty",
    ),
    "furniture": (
        "furniture", "chair", "sofa", "mattress", "bed frame", "cabinet", "desk", "raised garden bed",
        "pillow", "cushion",
    ),
    "automotive": (
        "automotive", "vehicle", "automobile", "windshield wiper", "tire", "tyre", "brake",
        "engine", "truck", "motorcycle", "headlamp", "lidar", "car",
    ),
    "lighting": (
        "light-emitting diode", "light emitting diode", "led", "lamp", "lighting", "bulb", "luminaire",
    ),
    "toys_sporting_goods": (
        "toy", "doll", "puzzle", "golf", "fitness", "exercise", "bicycle", "fishing", "sporting",
        "skateboard", "unicycle", "self-balancing", "child car seat", "child carrier", "helmet",
    ),
    "machinery": (
        "machine", "machinery", "valve", "pump", "compressor", "robotic", "robot", "printer",
        "toner", "hvac", "thermostat", "windlass", "generator", "scanner", "barcode",
        "food processing equipment", "power tool", "nailer", "loader", "excavator", "drilling",
    ),
    "household_appliances": (
        "appliance", "vacuum", "cookware", "blender", "cooler", "grill", "refrigerator",
        "water filter", "shaver", "candle", "kitchen", "lighter", "ceiling fan", "icemaking",
    ),
    "chemicals_materials": (
        "chemical", "polymer", "resin", "coating", "adhesive", "alloy", "aluminum", "cement",
        "composite", "nonwoven material", "flash-spun",
    ),
    "food_agriculture": (
        "food", "beverage", "milk", "chocolate", "agricultural", "seed", "fertilizer", "plant-derived",
    ),
    "software": ("software", "cloud", "computing", "data processing", "graphics"),
}  # fmt: skip

# Nice classes (11th/12th edition headings, abridged) → industries.
NICE_CLASS_INDUSTRIES: dict[int, tuple[str, ...]] = {
    1: ("chemicals_materials",), 2: ("chemicals_materials",), 3: ("cosmetics_personal_care",),
    4: ("batteries_energy",), 5: ("pharmaceuticals",), 6: ("chemicals_materials",),
    7: ("machinery",), 8: ("household_appliances",), 9: ("consumer_electronics", "software"),
    10: ("medical_devices",), 11: ("lighting", "household_appliances"), 12: ("automotive",),
    14: ("jewellery_watches",), 16: ("paper_printing",), 18: ("textiles_apparel",),
    20: ("furniture",), 21: ("household_appliances",), 22: ("textiles_apparel",),
    23: ("textiles_apparel",), 24: ("textiles_apparel",), 25: ("textiles_apparel",),
    26: ("textiles_apparel",), 27: ("furniture",), 28: ("toys_sporting_goods",),
    29: ("food_agriculture",), 30: ("food_agriculture",), 31: ("food_agriculture",),
    32: ("food_agriculture",), 33: ("food_agriculture",), 34: ("vaping",), 38: ("telecommunications",),
    42: ("software",),
}  # fmt: skip

_CERTAIN = re.compile(r"\bCertain\s+(.+?)(?:,?\s+DN\s+\d+|;|\.\s|$)")


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    return {
        industry: re.compile(
            r"\b(?:" + "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)) + r")s?\b",
            re.IGNORECASE,
        )
        for industry, words in INDUSTRY_KEYWORDS.items()
    }


def industries_of_text(texts: Iterable[str]) -> set[str]:
    joined = "\n".join(text for text in texts if text)
    return {industry for industry, pattern in _patterns().items() if pattern.search(joined)}


def industries_of_classes(classes: Iterable[int]) -> set[str]:
    return {industry for number in classes for industry in NICE_CLASS_INDUSTRIES.get(number, ())}


def document_industries(document: Document) -> list[str]:
    texts = [document.title, *document.products]
    if not document.products and "certain" not in document.title.lower():
        product = _CERTAIN.search(document.summary)
        if product:
            texts.append(product.group(1))
    return sorted(industries_of_text(texts) | industries_of_classes(document.classes))
