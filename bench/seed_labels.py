"""Seed a registry database with N anchored labels, fast (SQLite or PostgreSQL).

    python bench/seed_labels.py --data-dir DIR [--database-url postgresql://...] [--count N]

One label is issued through the registry's own code (organisations, GTIN prefix, footprint,
certification), so its record, row and ledger entry have the real shape. The other ``N - 1``
are copies of it with their own id, certificate number, master salt and leaf (a real
``record_leaf_value``), written with multi-row inserts, and "anchored" in batches of
``--batch`` leaves: each batch is a real Merkle tree over its leaves (every label gets its real
proof) whose ``anchor_batch`` row names a made-up transaction (the root is never sent to a chain;
nothing here verifies, the load tests only read). The template label itself stays pending, so
the served process's anchoring loop anchors it on the data dir's chain.

The ids of the seeded labels are written one per line to ``DIR/label_ids.txt`` (for wrk).
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
ROOT = Path(__file__).resolve().parent.parent
# TANJI_BENCH_SOURCE: seed with another source tree's code (bench/load_labels.py --compare-with).
sys.path.insert(0, os.environ.get("TANJI_BENCH_SOURCE", str(ROOT)))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from anchoring.ledger import (  # noqa: E402
    BATCH_ANCHORED,
    RECORD_ANCHORED,
    AnchorBatch,
    AnchorRecord,
    leaf_hash_hex,
)
from anchoring.tree import MerkleTree  # noqa: E402
from registry.config import load_settings  # noqa: E402
from registry.crud import labels as label_crud  # noqa: E402
from registry.crud.footprints import add_footprint  # noqa: E402
from registry.crud.orgs import create_org  # noqa: E402
from registry.crud.prefixes import grant_prefix  # noqa: E402
from registry.db import make_engine, migrate  # noqa: E402
from registry.ids import new_master_salt, new_record_id  # noqa: E402
from registry.models.footprints import FootprintCreate  # noqa: E402
from registry.models.labels import Label, LabelCreate  # noqa: E402
from registry.models.orgs import OrgRole  # noqa: E402
from verifier.protocol.leaf import record_leaf_value  # noqa: E402
from verifier.protocol.records import LABEL  # noqa: E402

FOOTPRINT: dict[str, Any] = {
    "gtin": "2000001000014",
    "product_name": {"zh": "示例 14 英寸轻薄笔记本电脑", "en": "Demo 14-inch laptop"},
    "category": "laptop",
    "declared_unit": "unit",
    "declared_amount": 1,
    "kg_co2e_per_unit": 238.0,
    "fossil_kg_co2e": 235.6,
    "biogenic_kg_co2e": 2.4,
    "system_boundary": "cradle-to-grave",
    "reference_period": {"start": "2025-01-01", "end": "2025-12-31"},
    "geography": {"country": "CN", "subdivision": "CN-CQ"},
    "standards": ["ISO 14067:2018"],
    "primary_data_share": 58.0,
    "data_quality_rating": 2,
    "company_name": "Demo Bishan Smart Devices (fictional)",
}
#: A made-up anchoring transaction's chain and contract (nothing checks them).
CHAIN_ID = 31337
CONTRACT = "0x" + "5e" * 20


def issue_template(engine: sa.Engine) -> Label:
    """One label through the registry's code (pending in the ledger); returned detached."""
    with Session(engine) as session:
        ent, _ = create_org(session, name="Bench enterprise", role=OrgRole.ENTERPRISE)
        grant_prefix(session, org_id=ent.id, prefix="200000100001")  # FOOTPRINT's GTIN
        cert, _ = create_org(session, name="Bench certifier", role=OrgRole.CERTIFICATION_BODY)
        footprint = add_footprint(session, org=ent, item=FootprintCreate(**FOOTPRINT))
        body = LabelCreate(
            footprint_id=footprint.id, valid_from=date(2026, 1, 1), valid_until=date(2028, 12, 31)
        )
        label = label_crud.issue_label(session, certifier=cert, body=body)
        session.commit()
        session.refresh(label)
        session.expunge(label)
        return label


def seed(engine: sa.Engine, template: Label, count: int, batch: int) -> list[str]:
    """Insert ``count`` copies of ``template``, anchored in batches of ``batch``; their ids."""
    base = template.model_dump()
    ids: list[str] = []
    label_table = Label.__table__  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    next_batch_id = 1
    with engine.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(AnchorBatch.id))).scalar()
        next_batch_id = int(last or 0) + 1
    started = time.monotonic()
    for start in range(0, count, batch):
        n = min(batch, count - start)
        labels, leaves = [], []
        for i in range(start, start + n):
            label_id = new_record_id()
            salt = new_master_salt()
            record = copy.deepcopy(template.record)
            record["id"] = label_id
            record["certificate_number"] = f"BENCH-{i:09d}"
            row = {**base, "id": label_id, "certificate_number": record["certificate_number"]}
            row.update(record=record, master_salt="0x" + salt.hex(), created_at=now)
            labels.append(row)
            value = record_leaf_value(record, salt)
            leaves.append((label_id, value, leaf_hash_hex(value)))
            ids.append(label_id)
        tree = MerkleTree.from_leaf_hashes([bytes.fromhex(h[2:]) for _, _, h in leaves])
        batch_id = next_batch_id
        next_batch_id += 1
        records = [
            {
                "record_type": LABEL,
                "record_id": label_id,
                "leaf_value": value,
                "leaf_hash": leaf_hash,
                "status": RECORD_ANCHORED,
                "batch_id": batch_id,
                "leaf_index": index,
                "proof": tree.proof_hex(index),
                "created_at": now,
            }
            for index, (label_id, value, leaf_hash) in enumerate(leaves)
        ]
        with engine.begin() as conn:
            conn.execute(
                sa.insert(AnchorBatch),
                [
                    {
                        "id": batch_id,
                        "root": tree.root_hex,
                        "record_count": n,
                        "status": BATCH_ANCHORED,
                        "chain_id": CHAIN_ID,
                        "contract": CONTRACT,
                        "tx_hash": "0x" + f"{batch_id:064x}",
                        "nonce": batch_id,
                        "block_number": batch_id,
                        "block_timestamp": int(now.timestamp()),
                        "created_at": now,
                        "anchored_at": now,
                    }
                ],
            )
            conn.execute(sa.insert(label_table), labels)
            conn.execute(sa.insert(AnchorRecord), records)
        done = start + n
        if done % (batch * 50) == 0 or done == count:
            rate = done / (time.monotonic() - started)
            print(f"  {done:,} labels ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            # Explicit ids above: move the sequence past them for the anchoring loop's batches.
            conn.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('anchor_batch', 'id'), "
                    "(SELECT max(id) FROM anchor_batch))"
                )
            )
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", help="default: SQLite in the data dir")
    parser.add_argument("--count", type=int, default=10_000, help="labels to add")
    parser.add_argument("--batch", type=int, default=1000, help="leaves per anchored batch")
    args = parser.parse_args(argv)
    settings = load_settings(data_dir=args.data_dir, database_url=args.database_url)
    engine = make_engine(settings)
    migrate(engine)
    started = time.monotonic()
    template = issue_template(engine)
    ids = seed(engine, template, args.count - 1, args.batch)
    engine.dispose()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    out = args.data_dir / "label_ids.txt"
    out.write_text("\n".join(ids) + "\n", encoding="utf-8")
    seconds = time.monotonic() - started
    print(f"{len(ids) + 1:,} labels in {seconds:.1f} s; ids in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
