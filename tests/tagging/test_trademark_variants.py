"""Comparison keys and normalised texts: the batch functions (a byte-table fast path for
ASCII texts) give exactly what the one-text functions give."""

from __future__ import annotations

import random
import string

import pytest

from ipsentry.tagging.trademark_variants import (
    comparison_key,
    comparison_keys,
    normalise_text,
    normalise_texts,
)

# Every ASCII character (symbols folded to letters, control characters, the batch separator
# \x1f), look-alike pairs, and a few non-ASCII texts that take the Unicode path.
_ALPHABET = string.printable + "".join(map(chr, range(32))) + "\x7f" + "rnvvcl$@!|" * 3
_UNICODE = ["华為", "Ｈｕａｗｅｉ", "Café Crème", "ﬁne", "€URO", "Straße", "\u00a0x"]


def _texts(rng: random.Random, count: int) -> list[str]:
    texts = ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 24))) for _ in range(count)]
    for _ in range(count // 10):
        texts[rng.randrange(count)] = rng.choice(_UNICODE) + rng.choice(texts)
    return texts


@pytest.mark.parametrize("seed", range(5))
def test_batch_keys_and_texts_are_the_one_text_functions(seed: int) -> None:
    texts = _texts(random.Random(seed), 400)
    assert comparison_keys(texts) == [comparison_key(text) for text in texts]
    assert normalise_texts(texts) == [normalise_text(text) for text in texts]


def test_batch_folds_as_documented() -> None:
    texts = ["CA$H", "C0RNER", "VVAVE", "I1l|", "Cl-ear", "r n", "SUN_STAR", "", "  "]
    assert comparison_keys(texts) == ["cash", "comer", "wave", "llll", "dear", "m", "sunstar", "", ""]
    assert normalise_texts(texts) == ["ca h", "c0rner", "vvave", "i1l", "cl ear", "r n", "sun star", "", ""]
    assert comparison_keys([]) == normalise_texts([]) == []
