"""The console's words in Chinese (default) and English: ``api/locales/<language>.json``, one flat
mapping of dotted keys to text with ``{name}`` placeholders.

Labels of domain values (risk kinds, stages, roles, severities) are keys too
(``stage.institution``); a value without a label is shown as it is, so a stage added by a
parser shows up before it is translated."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
FALLBACK_LANGUAGE = "en"


@lru_cache(maxsize=len(LANGUAGES))
def catalog(language: str) -> dict[str, str]:
    with (LOCALES_DIR / f"{language}.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def pick_language(requested: str | None) -> str:
    """The cookie's language when it is one we have, else Chinese (the users' language, and
    not the browser's guess, since officials' machines are often set to English)."""
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


class Translator:
    def __init__(self, language: str) -> None:
        self.language = pick_language(language)
        self._texts = catalog(self.language)
        self._fallback = catalog(FALLBACK_LANGUAGE)

    def __call__(self, key: str, /, **values: object) -> str:
        text = self._texts.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text

    def knows(self, key: str) -> bool:
        return key in self._texts or key in self._fallback

    def label(self, group: str, value: object) -> str:
        """The label of a domain value (``label("stage", "institution")``), else the value."""
        key = f"{group}.{value}"
        return self._texts.get(key) or self._fallback.get(key) or str(value)
