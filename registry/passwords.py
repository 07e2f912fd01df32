"""Console secrets: Argon2id password hashes, TOTP codes, and random tokens stored as hashes.

A person's password is low-entropy, so it is stored as an Argon2id hash (``argon2-cffi``'s
defaults, RFC 9106's low-memory profile); verifying also says when a hash should be redone with
newer parameters. Setup links, session cookies and CSRF tokens are 256-bit random values from
``secrets``: like API keys (:mod:`registry.security`) they are stored as SHA-256, which is enough
when guessing is infeasible. The optional second factor is TOTP (RFC 6238: SHA-1, 6 digits,
30-second steps, what authenticator apps read from an ``otpauth://`` QR code) with ``pyotp``; a
code is accepted one step either side of now, and each time step only once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Final

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from registry.errors import InvalidInputError

#: Bytes of randomness in a setup link's token, a session cookie, a CSRF token.
TOKEN_BYTES: Final = 32
#: A password's length in characters (NIST SP 800-63B: at least 8, long passphrases allowed).
MIN_PASSWORD_LENGTH: Final = 10
MAX_PASSWORD_LENGTH: Final = 256

_HASHER: Final = PasswordHasher()
#: Verified when the email is unknown, so a wrong email costs what a wrong password does.
_DUMMY_HASH: Final = _HASHER.hash(secrets.token_urlsafe(TOKEN_BYTES))


def new_token() -> str:
    """A fresh random token (URL-safe text)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored form of a token: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password_rules(password: str) -> None:
    """Raise :class:`InvalidInputError` (field ``password``) for a password too short or long."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInputError(
            f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            code="invalid_password",
            field="password",
        )


def hash_password(password: str) -> str:
    """The Argon2id encoded hash of ``password`` (salted; the parameters are in the string)."""
    return _HASHER.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (``None``: no password set; still costs a hash)."""
    try:
        return _HASHER.verify(stored if stored is not None else _DUMMY_HASH, password) and (
            stored is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than today's."""
    return _HASHER.check_needs_rehash(stored)


#: Time steps either side of now whose TOTP code is accepted (clock drift, typing time).
TOTP_WINDOW: Final = 1
#: The issuer authenticator apps show next to the account.
TOTP_ISSUER: Final = "Tanji"


def new_totp_secret() -> str:
    """A fresh TOTP secret (base32, 160 bits as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, account: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads (from a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=TOTP_ISSUER)


def totp_step(secret: str, code: str, *, after: int | None, now: float | None = None) -> int | None:
    """The time step whose code ``code`` is, within :data:`TOTP_WINDOW` of now and later than
    step ``after`` (a step used before), or ``None`` when it is no such code."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    current = totp.timecode(int(moment))
    for offset in range(-TOTP_WINDOW, TOTP_WINDOW + 1):
        step = current + offset
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            return step
    return None
