"""Database operations of the registry: keyword-only functions that take a Session.

They raise :mod:`registry.errors` exceptions; HTTP concerns stay in :mod:`registry.api`.
Functions that write say whether they commit.
"""
