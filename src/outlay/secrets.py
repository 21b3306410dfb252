"""API keys at rest: Fernet-encrypted with a key from settings or a 0600 key file in the data dir.

A key is never logged, printed or returned; ``mask_key`` gives the only form that may be shown.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from outlay.config import Settings
from outlay.errors import ConfigError
from outlay.store.files import make_private

_KNOWN_PREFIXES = ("crsr_", "key_")


def mask_key(key: str) -> str:
    """``crsr_…3f9a``: the known prefix and the last four characters, nothing else."""
    prefix = next((p for p in _KNOWN_PREFIXES if key.startswith(p)), "")
    tail = key[-4:] if len(key) >= 12 else ""
    return f"{prefix}…{tail}"


class KeyBox:
    """Encrypts and decrypts stored API keys."""

    def __init__(self, secret: bytes) -> None:
        try:
            self._fernet = Fernet(secret)
        except ValueError as exc:
            raise ConfigError(
                "OUTLAY_SECRET_KEY is not a valid Fernet key (32 url-safe base64 bytes); "
                "generate one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`"
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyBox:
        if settings.secret_key:
            return cls(settings.secret_key.encode())
        return cls(_load_or_create_key_file(settings.key_path))

    def seal(self, api_key: str) -> bytes:
        return self._fernet.encrypt(api_key.encode())

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken as exc:
            raise ConfigError(
                "a stored API key cannot be decrypted: the secret key changed; restore the "
                "previous OUTLAY_SECRET_KEY or secret.key, or remove and re-add the account"
            ) from exc


def _load_or_create_key_file(path: Path) -> bytes:
    if path.exists():
        make_private(path)  # copied in or restored with a wider mode
        return path.read_bytes().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret = Fernet.generate_key()
    # O_EXCL: two processes creating the file at once must not both win with different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret
