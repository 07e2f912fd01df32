"""docs/DEPLOYMENT.md and docs/PERFORMANCE.md name only real settings, scripts and plots.

An operator copies these files' settings into production: a ``TANJI_*`` name that is not a field
of :class:`registry.config.Settings` would be silently ignored (``extra="ignore"``), and a
command naming a missing bench script or a missing plot is a figure nobody can reproduce.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from anchoring.finality import DEV_CHAIN_IDS, ETHEREUM_CHAIN_IDS
from registry.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "DEPLOYMENT.md", ROOT / "docs" / "PERFORMANCE.md"]
ENV_PREFIX = str(Settings.model_config.get("env_prefix", ""))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_tanji_variable_is_a_setting(doc: Path) -> None:
    names = set(re.findall(rf"\b{ENV_PREFIX}([A-Z][A-Z0-9_]*)\b", doc.read_text(encoding="utf-8")))
    assert names, f"{doc.name} names no setting"
    unknown = sorted(n for n in names if n.lower() not in Settings.model_fields)
    assert not unknown, f"{doc.name} names settings that do not exist: {unknown}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_bench_script_and_plot_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    scripts = set(re.findall(r"bench/[a-z_]+\.(?:py|js)", text))
    plots = set(re.findall(r"\(img/([a-z_]+\.png)\)", text))
    missing = [s for s in sorted(scripts) if not (ROOT / s).is_file()]
    missing += [p for p in sorted(plots) if not (ROOT / "docs" / "img" / p).is_file()]
    assert not missing, f"{doc.name} refers to files that do not exist: {missing}"


def test_genesis_is_a_qbft_genesis_on_a_chain_id_with_confirmations() -> None:
    text = DOCS[0].read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```json\n(.*?)```", text, re.S) if '"qbft"' in b)
    genesis = json.loads(block)
    config = genesis["config"]
    assert set(config["qbft"]) == {"blockperiodseconds", "epochlength", "requesttimeoutseconds"}
    assert config["qbft"]["requesttimeoutseconds"] > config["qbft"]["blockperiodseconds"]
    # The contract is compiled for shanghai (PUSH0): the chain must activate it at genesis.
    assert config["shanghaiTime"] == 0
    # Not an id Tanji treats as a development chain (no confirmations, no reorganisations).
    assert config["chainId"] not in DEV_CHAIN_IDS | ETHEREUM_CHAIN_IDS
