"""The Tanji PACT data model extension: its JSON Schema, served as the extension's ``dataSchema``.

The extension (``specVersion`` 2.0.0 of PACT's extension envelope) carries what PACT cannot hold
exactly and the anchoring proof: ``data.footprint`` (Tanji fields), ``data.bundle`` (the
``tanji-bundle/1`` once anchored, checked by ``tanji verify``) and ``data.proof`` (the bundle's
``root``, ``anchor`` and a link to the bundle). docs/PACT.md documents it in the format of
wbcsd/pact-catalog's data-model extensions.
"""

from __future__ import annotations

from typing import Any

from registry.pact.datamodel import EXTENSION_FIELDS, EXTENSION_SCHEMA_PATH
from verifier.protocol.records import BUNDLE_FORMAT


def extension_schema(base_url: str) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the extension's ``data``, its ``$id`` under ``base_url``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base_url}{EXTENSION_SCHEMA_PATH}",
        "title": "Tanji footprint extension (anchoring proof of a PACT ProductFootprint)",
        "type": "object",
        "required": ["footprint"],
        "properties": {
            "footprint": {
                "description": "Tanji footprint fields PACT cannot hold exactly",
                "type": "object",
                "properties": {name: {} for name in EXTENSION_FIELDS},
                "additionalProperties": False,
            },
            "bundle": {
                "description": f"The footprint's anchored {BUNDLE_FORMAT} (verify: tanji verify)",
                "type": "object",
                "required": ["format"],
                "properties": {"format": {"const": BUNDLE_FORMAT}},
            },
            "proof": {
                "description": "Where the proof is: the bundle's link, Merkle root and anchor",
                "type": "object",
                "required": ["bundle_url", "root"],
                "properties": {
                    "bundle_url": {"type": "string", "format": "uri"},
                    "root": {"type": "string", "pattern": "^0x[0-9a-f]{64}$"},
                    "anchor": {"type": ["object", "null"]},
                },
            },
        },
        "additionalProperties": False,
    }


def catalog_entry(base_url: str) -> dict[str, Any]:
    """The extension's ``extension.json`` in wbcsd/pact-catalog's format (served as its docs)."""
    return {
        "id": {
            "namespace": "@tanji",
            "extension_name": "tanji-footprint-extension",
            "version": "1.0.0",
        },
        "name": "Tanji footprint extension (anchoring proof)",
        "files": ["schema.json"],
        "schema": f"{base_url}{EXTENSION_SCHEMA_PATH}",
        "author": {"name": "Tanji", "url": base_url},
        "license": "MIT",
        "catalog_info": {
            "summary": "Carries a Tanji footprint's anchoring proof with its PACT "
            f"ProductFootprint: the {BUNDLE_FORMAT} (record, salt, Merkle proof, on-chain "
            "anchor), its root and anchor, and the Tanji fields PACT cannot hold exactly. A "
            "recipient checks it with `tanji verify` against the issuing deployment's trust file.",
            "status": "draft",
            "authors": ["tanji"],
        },
        "industries": [],
    }
