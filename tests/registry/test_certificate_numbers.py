"""Certificate numbers: one serial per certificate per year, even for the first ones of a year
issued at once (they used to collide on the counter's primary key: a 500 on PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from fastapi import FastAPI
from sqlmodel import Session

from registry.crud.labels import next_certificate_number

WORKERS = 8


def test_first_certificates_of_a_year_at_once_get_distinct_serials(app: FastAPI) -> None:
    engine = app.state.engine
    start = Barrier(WORKERS)

    def issue(_: int) -> str:
        with Session(engine) as session:
            start.wait()  # every transaction asks for the year's first serial together
            number = next_certificate_number(session, year=2031)
            session.commit()
            return number

    with ThreadPoolExecutor(WORKERS) as pool:
        numbers = list(pool.map(issue, range(WORKERS)))
    assert sorted(numbers) == [f"CQ-CFL-2031-{n:06d}" for n in range(1, WORKERS + 1)]
    with Session(engine) as session:
        assert next_certificate_number(session, year=2031) == "CQ-CFL-2031-000009"
        assert next_certificate_number(session, year=2032) == "CQ-CFL-2032-000001"
