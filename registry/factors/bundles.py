"""The factor-dataset versions an inventory bundle carries (docs/PROTOCOL.md section 17.7).

An ``inventory`` record's bundle lists, in its ``factorDatasets`` member, the bundle of each
factor-dataset version the inventory cites: the version's ``factor_dataset`` record with its
proof and anchor (pending until its batch is anchored) and its ``tanji-factors/1`` document as
``document``. The documents go in while the whole inventory bundle stays within the protocol's
:data:`~verifier.protocol.records.MAX_BUNDLE_BYTES`; a version whose document would not fit
carries ``documentUrl`` instead (``GET /api/v1/factors/datasets/{dataset}/{version}``), and the
verifier asks for that file with ``--factors``. The verifier ties every document to its version's
signed, anchored digest, so it may come from anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlmodel import Session

from registry.factors.models import FactorDatasetVersion
from registry.records.bundles import bundle_of
from verifier.protocol.factor_dataset import (
    DATASETS_MEMBER,
    DOCUMENT_MEMBER,
    DOCUMENT_URL_MEMBER,
    RECORD_TYPE,
    record_id,
)
from verifier.protocol.records import MAX_BUNDLE_BYTES

__all__ = ["DATASETS_MEMBER", "with_dataset_bundles"]

#: Room kept under the bundle limit for what the size estimate does not count.
MARGIN_BYTES: Final = 4096


def _size(value: Any) -> int:
    """Bytes of ``value`` as a JSON response writes it (compact, UTF-8)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def with_dataset_bundles(
    session: Session,
    bundle: dict[str, Any],
    cited: Sequence[Mapping[str, Any]],
    *,
    base_url: str,
    limit: int = MAX_BUNDLE_BYTES,
) -> dict[str, Any]:
    """``bundle`` (an inventory record's) with ``factorDatasets``: a bundle per cited version
    (``{"dataset", "version"}`` items) stored here, each with its document while they fit."""
    items: list[dict[str, Any]] = []
    rows: list[FactorDatasetVersion] = []
    for ref in cited:
        row = session.get(
            FactorDatasetVersion, record_id(str(ref.get("dataset")), str(ref.get("version")))
        )
        if row is None:  # not published here: the verifier reports the version not given
            continue
        rows.append(row)
        items.append(bundle_of(session, RECORD_TYPE, row))
    budget = limit - MARGIN_BYTES - _size(bundle) - _size(items)
    for item, row in zip(items, rows, strict=True):
        cost = _size(row.document) + len(DOCUMENT_MEMBER) + 4
        if cost <= budget:
            item[DOCUMENT_MEMBER] = row.document
            budget -= cost
        else:
            url = f"{base_url}/api/v1/factors/datasets/{row.dataset}/{row.version}"
            item[DOCUMENT_URL_MEMBER] = url
    return bundle | {DATASETS_MEMBER: items}
