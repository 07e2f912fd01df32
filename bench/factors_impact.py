"""Impact of a new factor-dataset version: which certified footprints used a factor it deprecates.

    python bench/factors_impact.py [--footprints 1000] [--factors 200] [--per-footprint 20]
                                   [--deprecate 50] [--database-url postgresql://...]

A temporary data dir (SQLite, or ``--database-url``) gets a publisher with a registered key, a
dataset version ``bench@1`` of ``--factors`` factors, and ``--footprints`` certified footprints
(stored through ``registry.crud.footprints.add_footprint``, then marked certified as label issue
marks them), each with ``--per-footprint`` rows in ``footprint_factor`` (what the calculation
records: every footprint uses a window of the factors). Version ``bench@2`` deprecates the
first ``--deprecate`` factors. Measured: publishing ``bench@2`` (signature check, validation,
deprecation check, storage) and the impact query (``registry.factors.crud.impact``, what
``tanji factors impact`` and ``GET …/impact`` run), each the best of 3 impact runs; and the whole
``tanji factors impact bench@2`` command in a fresh process (interpreter start included).
Target: 1,000 certified footprints re-checked in < 10 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402
from eth_account.messages import encode_defunct  # noqa: E402
from sqlmodel import Session  # noqa: E402

from registry.config import load_settings  # noqa: E402
from registry.crud import suppliers  # noqa: E402
from registry.crud.footprints import add_footprint  # noqa: E402
from registry.crud.orgs import create_org  # noqa: E402
from registry.db import make_engine, migrate  # noqa: E402
from registry.factors import crud  # noqa: E402
from registry.factors.starter import sign_document  # noqa: E402
from registry.models.footprints import FootprintCreate  # noqa: E402
from registry.models.orgs import OrgRole  # noqa: E402
from registry.models.suppliers import KeyRegistration  # noqa: E402
from verifier.protocol.accounting.formats import FACTORS_FORMAT  # noqa: E402
from verifier.protocol.hashing import keccak  # noqa: E402

KEY = "0x" + keccak(b"tanji/bench/factors-impact/publisher").hex()
CHAIN_ID, CONTRACT = 20240, "0x" + "5a" * 20
BASE_URL = "https://tanji.bench"
TARGET_SECONDS = 10.0
FOOTPRINT: dict[str, Any] = {
    "product_name": {"zh": "基准笔记本电脑", "en": "Bench laptop"},
    "category": "laptop",
    "declared_unit": "unit",
    "declared_amount": 1,
    "kg_co2e_per_unit": 212.5,
    "fossil_kg_co2e": 210.0,
    "biogenic_kg_co2e": 2.5,
    "system_boundary": "cradle-to-grave",
    "reference_period": {"start": "2025-01-01", "end": "2025-12-31"},
    "geography": {"country": "CN", "subdivision": "CN-CQ"},
    "standards": ["GB/T 24067-2024"],
    "primary_data_share": 40.0,
    "data_quality_rating": 2,
    "company_name": "Bench Computing",
}


def _factor(i: int) -> dict[str, Any]:
    return {
        "id": f"f-{i:05d}",
        "names": {"zh-Hans": f"基准因子 {i}", "en": f"Bench factor {i}"},
        "value": "1.5",
        "unit": "kg CO2e / kg",
        "category": "material",
        "gases": "CO2e",
        "gwp": "AR6-100",
        "geography": "CN",
        "year": 2024,
        "source": {"document": "Bench source", "table": f"T{i}"},
        "uncertainty": {"distribution": "none"},
        "quality": dict.fromkeys(
            ("reliability", "completeness", "temporal", "geographical", "technological"), 2
        ),
    }


def _document(version: str, count: int, deprecates: list[str]) -> dict[str, Any]:
    return {
        "format": FACTORS_FORMAT,
        "dataset": "bench",
        "version": version,
        "publisher": {"name": "Bench publisher", "address": Account.from_key(KEY).address},
        "published": "2026-12-01",
        "deprecates": deprecates,
        "factors": [_factor(i) for i in range(count)],
    }


def _publish(session: Session, org: Any, document: dict[str, Any]) -> float:
    start = time.perf_counter()
    signature = sign_document(document, KEY, chain_id=CHAIN_ID, contract=CONTRACT)
    crud.publish(
        session,
        org=org,
        document=document,
        signature=signature,
        chain_id=CHAIN_ID,
        contract=CONTRACT,
    )
    session.commit()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--footprints", type=int, default=1000)
    parser.add_argument("--factors", type=int, default=200)
    parser.add_argument("--per-footprint", type=int, default=20)
    parser.add_argument("--deprecate", type=int, default=50)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp) / "data", database_url=args.database_url, base_url=BASE_URL
        )
        engine = make_engine(settings)
        migrate(engine)
        with Session(engine, expire_on_commit=False) as session:
            publisher, _ = create_org(session, name="Bench publisher", role=OrgRole.PUBLISHER)
            enterprise, _ = create_org(session, name="Bench Computing", role=OrgRole.ENTERPRISE)
            address = Account.from_key(KEY).address
            text = suppliers.registration_message(
                base_url=BASE_URL, org_id=publisher.id, address=address
            )
            proof = Account.sign_message(encode_defunct(text=text), private_key=KEY)
            suppliers.register_key(
                session,
                org=publisher,
                body=KeyRegistration(
                    address=address, signature="0x" + bytes(proof.signature).hex()
                ),
                base_url=BASE_URL,
            )
            session.commit()
            _publish(session, publisher, _document("1", args.factors, []))

            start = time.perf_counter()
            links = 0
            for n in range(args.footprints):
                item = FootprintCreate.model_validate(
                    {**FOOTPRINT, "product_ids": [f"urn:tanji:sku:BENCH-{n:05d}"]}
                )
                row = add_footprint(session, org=enterprise, item=item)
                row.status = "certified"  # as issuing its label does
                session.add(row)
                session.flush()
                first = (n * 7) % args.factors
                uses = [
                    ("bench", "1", f"f-{(first + k) % args.factors:05d}")
                    for k in range(args.per_footprint)
                ]
                links += crud.record_footprint_factors(session, row.id, uses)
            session.commit()
            seeded = time.perf_counter() - start

            deprecated = [f"f-{i:05d}" for i in range(args.deprecate)]
            publish_seconds = _publish(session, publisher, _document("2", args.factors, deprecated))
            timings = []
            for _ in range(3):
                start = time.perf_counter()
                found = crud.impact(session, dataset="bench", version="2")
                timings.append(time.perf_counter() - start)
        engine.dispose()

        env = {**os.environ, "TANJI_DATA_DIR": str(settings.data_dir)}
        if args.database_url:
            env["TANJI_DATABASE_URL"] = args.database_url
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "registry.cli", "factors", "impact", "bench@2"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        cli_seconds = time.perf_counter() - start
        listed = len(done.stdout.strip().splitlines())

    best = min(timings)
    print(
        f"seeded {args.footprints:,} certified footprints with {links:,} footprint_factor rows "
        f"in {seeded:.1f} s ({'PostgreSQL' if args.database_url else 'SQLite'})"
    )
    print(
        f"publish bench@2 ({args.factors} factors, {args.deprecate} deprecated): "
        f"{publish_seconds * 1000:.0f} ms"
    )
    print(
        f"impact of bench@2 over {args.footprints:,} certified footprints: "
        f"{best * 1000:.1f} ms (best of 3), {len(found)} impacted"
    )
    print(f"`tanji factors impact bench@2` in a fresh process: {cli_seconds:.2f} s, {listed} lines")
    total = best + publish_seconds
    verdict = "PASS" if cli_seconds < TARGET_SECONDS and total < TARGET_SECONDS else "FAIL"
    target = f"< {TARGET_SECONDS:.0f} s"
    print(f"{verdict}: re-checked {args.footprints:,} certified footprints in {target}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
