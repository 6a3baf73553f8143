"""Bearer secrets that are not API keys (console session cookies, feed URLs): long random
strings, so a SHA-256 of the secret is a safe at-rest form and a direct index lookup."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
