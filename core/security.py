"""API keys and passwords.  Keys are random and long, so a SHA-256 of the key is a safe
at-rest form and allows a constant-time lookup; passwords are low-entropy, so they get scrypt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

KEY_PREFIX = "ips_"


def new_api_key() -> tuple[str, str, str]:
    """Returns (whole key — shown once, lookup prefix, hash to store)."""
    lookup = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{lookup}_{secrets.token_urlsafe(32)}"
    return key, lookup, hash_api_key(key)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_key_lookup(key: str) -> str | None:
    """The lookup prefix of a well-formed key, else None."""
    if not key.startswith(KEY_PREFIX):
        return None
    lookup, _, rest = key[len(KEY_PREFIX) :].partition("_")
    return lookup if len(lookup) == 12 and rest else None


def api_key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(key), stored_hash)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return hmac.compare_digest(digest, expected)


def mask_secret(value: str | None) -> str | None:
    """Enough to recognise a secret, never enough to use it."""
    if not value:
        return value
    return value[:4] + "…" if len(value) > 8 else "…"
