"""The table of record kinds: every kind of record the registry anchors, registered once.

Adding a kind takes one module holding its entry (``registry/records/<kind>.py``: model, leaf,
nested bundles, revocation sweep) and one line here. The anchoring loop, ``tanji anchor`` and the
bundle routes read this table; nothing else lists record kinds.
"""

from __future__ import annotations

from typing import Final

from registry.records import (
    attestations,
    audit,
    factor_datasets,
    footprints,
    inventories,
    labels,
    recognitions,
)
from registry.records.kind import RecordKinds

RECORD_KINDS: Final = RecordKinds(
    [
        footprints.KIND,
        labels.KIND,
        attestations.KIND,
        recognitions.KIND,
        recognitions.WITHDRAWAL_KIND,
        audit.KIND,
        factor_datasets.KIND,
        inventories.KIND,
    ]
)
