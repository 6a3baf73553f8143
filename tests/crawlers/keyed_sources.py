"""Settings for crawling a source that needs credentials, given as deployed: through the
Settings handed to ``run_spider``, none in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipsentry.config.settings import Settings, SourceKeys, SourceURLs


def settings_with_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, source: str, url: str, keys: SourceKeys
) -> Settings:
    """Settings whose ``source`` is at ``url`` and whose credentials are ``keys``; the
    ``IPSENTRY_KEYS__…`` variables are taken out of the environment, so the crawl can only have
    the keys from these settings."""
    for name in SourceKeys.model_fields:
        monkeypatch.delenv(f"IPSENTRY_KEYS__{name.upper()}", raising=False)
    return Settings(
        environment="test",
        data_dir=tmp_path / "var",
        sources=SourceURLs.model_validate({source: url}),
        keys=keys,
    )
