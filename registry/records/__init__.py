"""Record kinds as a table: what the registry anchors, how each kind is bundled and revoked.

- :mod:`registry.records.kind`: :class:`RecordKind` (one entry) and :class:`RecordKinds`;
- :mod:`registry.records.table`: :data:`RECORD_KINDS`, the one table, and the registration of
  each kind (a module of its own: ``footprints``, ``labels``, ``attestations``,
  ``recognitions``, ``audit``);
- :mod:`registry.records.bundles`: every record's bundle, nested bundles included;
- :mod:`registry.records.sweeps`: on-chain revocations of records revoked while pending.

This package sits above :mod:`registry.crud` (it reads through it; crud never imports it).
"""

from registry.records.bundles import (
    NestingError,
    anchored_bundle,
    assembled_bundle,
    bundle_of,
    check_hidden,
    disclose_for,
    parse_hide,
)
from registry.records.kind import RecordKind, RecordKinds
from registry.records.sweeps import sweep_revocations
from registry.records.table import RECORD_KINDS

__all__ = [
    "RECORD_KINDS",
    "NestingError",
    "RecordKind",
    "RecordKinds",
    "anchored_bundle",
    "assembled_bundle",
    "bundle_of",
    "check_hidden",
    "disclose_for",
    "parse_hide",
    "sweep_revocations",
]
