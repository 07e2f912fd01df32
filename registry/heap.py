"""The serving process's heap after start-up: frozen out of the garbage collector's way.

CPython's cyclic garbage collector walks every container object of a generation it collects;
the oldest generation holds everything start-up made (the models, the SQLAlchemy metadata, the
route table, the templates): measured at 180 ms for one full collection in a worker serving
label reads, every client of the worker waiting meanwhile. Such a collection comes whenever the
long-lived objects have grown by a quarter, so it lands on requests at random: the tail of the
latency. ``gc.freeze()`` moves every object alive once start-up is done into a permanent
generation that collections skip (what the Python documentation suggests for long-running
servers); what requests allocate is collected as before.

Only ``tanji serve`` processes freeze (``app.state.freeze_heap``): a test process that builds
many applications one after another would otherwise keep each one's garbage for good.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_heap"]


def freeze_heap() -> None:
    """Collect start-up's garbage, then freeze everything left alive."""
    gc.collect()
    gc.freeze()
