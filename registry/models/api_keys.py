"""API schemas of an organisation's own API keys (``/api/v1/orgs/me/keys``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ApiKeyPublic(BaseModel):
    """An API key as its owner sees it: never the secret, which is stored only as a hash."""

    key_id: str = Field(description="the public part of the key, tnj_<key_id>_<secret>")
    created_at: datetime
    revoked_at: datetime | None
    active: bool
    current: bool = Field(description="the key this request was made with")


class ApiKeysPublic(BaseModel):
    data: list[ApiKeyPublic]
    count: int


class ApiKeyNew(BaseModel):
    """A newly issued key: ``api_key`` is shown this once and cannot be read again."""

    key_id: str
    api_key: str
    created_at: datetime
    replaces: str | None = Field(default=None, description="the key id a rotation revoked")
