"""People of an organisation: console users, their one-time setup links and their sessions.

API keys stay for machines (:mod:`registry.models.orgs`); a person signs in to ``/console`` with an
email and a password (Argon2id, :mod:`registry.passwords`). Secrets a browser holds (a setup link's
token, a session cookie) are stored only as their SHA-256 hash, like API keys: they are 256-bit
random values, so a fast hash is enough (:func:`registry.passwords.token_hash`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.models.common import UTCDateTime, utcnow


class UserRole(StrEnum):
    """What a person may do inside their organisation (the organisation's own role, an
    :class:`registry.models.orgs.OrgRole`, decides what the organisation may do at all)."""

    OWNER = "owner"  # everything the organisation may do, and manages its users and keys
    EDITOR = "editor"  # prepares and submits the organisation's records
    REVIEWER = "reviewer"  # reviews and decides (a certification body's reviewer)
    VIEWER = "viewer"  # reads only


class User(SQLModel, table=True):
    """A person with a console account in an organisation."""

    __tablename__ = "console_user"

    id: str = Field(primary_key=True, max_length=64)
    org_id: str = Field(foreign_key="organisation.id", index=True, max_length=64)
    #: Lower-cased; one account per address across the registry (it is the login name).
    email: str = Field(unique=True, index=True, max_length=320)
    #: Stored as text (not a database enum type): a new role needs no ALTER TYPE.
    role: UserRole = Field(
        sa_type=sa.Enum(
            UserRole,
            native_enum=False,
            create_constraint=False,
            length=16,
            values_callable=lambda roles: [role.value for role in roles],
        )
    )
    #: The Argon2id encoded hash; ``None`` until the setup link is used.
    password_hash: str | None = Field(default=None, max_length=200)
    #: The TOTP (RFC 6238) secret, base32, once the user turned the second factor on.
    totp_secret: str | None = Field(default=None, max_length=64)
    #: The last TOTP time step accepted: a code is good once (no replay within its window).
    totp_last_step: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SetupToken(SQLModel, table=True):
    """A one-time link that lets a user set their password (stored as a hash, expiring)."""

    __tablename__ = "console_setup_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="console_user.id", index=True, max_length=64)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser: its cookie stored as a hash, and the session's CSRF token."""

    __tablename__ = "console_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="console_user.id", index=True, max_length=64)
    session_hash: str = Field(unique=True, index=True, max_length=64)
    #: Sent in every form of the session and compared on every POST.
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
