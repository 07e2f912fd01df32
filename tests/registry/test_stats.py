"""The city's aggregates (registry.city.stats), their chart (registry.city.svgchart) and the
``tanji city`` commands: month ranges, CSV, the SVG's accessible text and escaping, the query
plans (covering indexes, no table scan), and the CLI on a real data dir.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import Session

from registry.city.districts import district_name, districts, read_district
from registry.city.stats import MAX_MONTHS, Aggregate, aggregate, default_range, month_range
from registry.city.stats import to_csv as stats_csv
from registry.city.svgchart import PALETTE, nice_ceiling, stacked_bars_svg
from registry.config import load_settings
from registry.db import make_engine, migrate
from registry.errors import InvalidInputError
from tests.registry.server import TANJI, create_org

NOW = datetime(2026, 3, 10, tzinfo=UTC)


def sample() -> Aggregate:
    return Aggregate(
        measure="labels",
        by="grade",
        months=["2026-01", "2026-02", "2026-03"],
        keys=["A", "C"],
        counts={("2026-01", "A"): 3, ("2026-03", "A"): 1, ("2026-03", "C"): 2},
    )


def test_month_ranges() -> None:
    assert default_range(NOW) == ("2025-04", "2026-03")
    assert month_range(None, None, NOW)[0] == "2025-04" and len(month_range(None, None, NOW)) == 12
    assert month_range("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    for start, end, code in (
        ("2026-13", "2026-12", "bad_month"),
        ("26-01", "2026-12", "bad_month"),
        ("2026-05", "2026-04", "bad_range"),
        ("2020-01", "2026-12", "range_too_long"),
    ):
        with pytest.raises(InvalidInputError) as refused:
            month_range(start, end, NOW)
        assert refused.value.code == code
    assert len(month_range("2022-01", "2026-12")) == MAX_MONTHS


def test_the_csv_holds_every_month_key_and_total() -> None:
    rows = list(csv.reader(io.StringIO(stats_csv(sample()))))
    assert rows == [
        ["month", "A", "C", "total"],
        ["2026-01", "3", "0", "3"],
        ["2026-02", "0", "0", "0"],
        ["2026-03", "1", "2", "3"],
        ["total", "4", "2", "6"],
    ]
    assert sample().as_json()["data"][2] == {
        "month": "2026-03",
        "counts": {"A": 1, "C": 2},
        "total": 3,
    }


def test_the_chart_is_accessible_and_escaped() -> None:
    svg = stacked_bars_svg(
        sample(),
        title="Labels <by> grade",
        description="three months & two grades",
        name=lambda key: f"<b>{key}</b>",
        chart_id="c1",
    )
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="city-chart" role="img"')
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Labels &lt;by&gt; grade</title>' in svg
    assert '<desc id="c1-desc">three months &amp; two grades</desc>' in svg
    assert "<b>" not in svg and "&lt;b&gt;A&lt;/b&gt; (4)" in svg  # legend with totals
    segments = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"><title>([^<]+)</title>', svg)
    assert [tip for _, tip in segments] == [
        "2026-01 · &lt;b&gt;A&lt;/b&gt;: 3",
        "2026-03 · &lt;b&gt;A&lt;/b&gt;: 1",
        "2026-03 · &lt;b&gt;C&lt;/b&gt;: 2",
    ]
    assert {colour for colour, _ in segments} == {PALETTE[0], PALETTE[1]}
    assert [nice_ceiling(n) for n in (0, 1, 3, 7, 11, 49, 51, 999)] == [
        1,
        1,
        5,
        10,
        20,
        50,
        100,
        1000,
    ]


def test_districts() -> None:
    found = {d.id: d for d in districts()}
    assert len(found) == 39  # 26 districts, 12 counties, Liangjiang New Area
    assert found["yuzhong"].code == "500103" and found["liangjiang"].code is None
    assert {lang for d in found.values() for lang in d.names} == {"zh-Hans", "zh-Hant", "en"}
    assert district_name("jiangbei", "zh-Hant", "-") == "江北區"
    assert district_name("unassigned", "en", "No district") == "No district"
    assert read_district("") is None
    with pytest.raises(InvalidInputError) as refused:
        read_district("atlantis")
    assert (refused.value.code, refused.value.field) == ("unknown_district", "district")


@pytest.mark.sqlite_only(reason="reads SQLite's EXPLAIN QUERY PLAN")
def test_each_aggregate_reads_a_covering_index(tmp_path: Path) -> None:
    """No aggregate scans a table: each reads a month range of a covering index (and, for a
    label's category or an organisation's district, one index lookup per row)."""
    engine = make_engine(load_settings(data_dir=tmp_path / "data"))
    migrate(engine)
    statements: list[str] = []
    with Session(engine) as session:
        connection = session.connection()

        def record(conn: object, cursor: object, statement: str, *args: object) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        event.listen(connection, "before_cursor_execute", record)
        for measure, by in (
            ("footprints", "category"),
            ("footprints", "district"),
            ("labels", "grade"),
            ("labels", "category"),
            ("labels", "district"),
        ):
            statements.clear()
            aggregate(session, measure=measure, by=by, start="2026-01", end="2026-12")
            (statement,) = statements
            plan = _plan(connection, statement)
            assert not any(step.startswith("SCAN") for step in plan), (measure, by, plan)
            index = "ix_label_stats" if measure == "labels" else "ix_footprint_stats"
            assert f"USING COVERING INDEX {index}" in plan[0], plan
            # The other table (a label's footprint, an organisation) by one index lookup per
            # row; with statistics (ANALYZE) SQLite reads a footprint's category from
            # ix_footprint_category_of alone.
            assert all(step.startswith(("SEARCH", "USE TEMP B-TREE")) for step in plan), plan
    engine.dispose()


def _plan(connection: object, statement: str) -> list[str]:
    count = statement.count("?")
    rows = connection.exec_driver_sql(  # type: ignore[attr-defined]
        "EXPLAIN QUERY PLAN " + statement, tuple(["2026-01-01 00:00:00.000000"] * count)
    ).all()
    return [str(row[-1]) for row in rows]


@pytest.mark.slow
def test_the_city_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    create_org(data, name="CQ Data Centre", role="publisher", gs1_prefix=None)
    listed = subprocess.run(
        [*TANJI, "city", "publishers", "--data-dir", str(data)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    org_id = listed.split("\t")[0]
    assert "\tunconfirmed\t0 key(s)\t0\tCQ Data Centre" in listed

    def city(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*TANJI, "city", *args, "--data-dir", str(data)], capture_output=True, text=True
        )

    assert city("publisher", "confirm", org_id).stdout.strip() == f"{org_id}\tconfirmed"
    refused = city("publisher", "withdraw", org_id)
    assert refused.returncode != 0 and "reason_required" in refused.stderr
    assert city("publisher", "withdraw", org_id, "--reason", "closed").returncode == 0
    assert city("district", org_id, "yubei").stdout.strip().endswith("\tyubei")
    assert city("district", org_id, "atlantis").returncode != 0
    stats = city(
        "stats", "--measure", "labels", "--by", "grade", "--from", "2026-01", "--to", "2026-02"
    )
    assert stats.stdout.splitlines() == ["month,total", "2026-01,0", "2026-02,0", "total,0"]
    audit = subprocess.run(
        [*TANJI, "audit", "list", "--json", "--data-dir", str(data)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for action in ("publisher.confirm", "publisher.withdraw", "org.district"):
        assert f'"{action}"' in audit
