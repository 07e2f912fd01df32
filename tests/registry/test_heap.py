"""A serving process freezes its start-up heap (registry.heap); a test's application does not."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from registry.app import create_app
from registry.config import load_settings
from registry.heap import freeze_heap
from registry.workers import create_worker_app


def test_freeze_heap_moves_what_is_alive_out_of_the_collections() -> None:
    gc.unfreeze()
    kept = [object() for _ in range(100)]
    try:
        freeze_heap()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


def test_only_serving_processes_freeze(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert create_app(load_settings(data_dir=tmp_path, anchoring=False)).state.freeze_heap is False
    monkeypatch.setenv("TANJI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TANJI_ANCHORING", "false")
    assert create_worker_app().state.freeze_heap is True
