"""Process-wide guards that must run before any Ethereum library is imported.

``py_ecc`` (imported by eth-account, eth-tester and py-evm) raises Python's recursion limit to
100,000 when it is first imported. CPython's C JSON parser then recurses that deep on a hostile
document (``[[[[...``, 70,000 levels in 140 KB) and overflows the C stack: the process dies with a
segmentation fault instead of raising ``RecursionError``. Nothing in py_ecc needs the raised
limit (its pairing and BLS code run at the default), so :func:`import_ethereum_libraries_safely`
imports it once with the limit kept. ``verifier/__init__.py`` calls it, and ``anchoring`` and
``registry`` import ``verifier`` first, so every entry point of ours is covered; inputs are also
bounded in depth before any parser sees them (:func:`verifier.protocol.wire.check_json_depth`).
"""

import sys
from typing import Final

#: The most any library of ours needs (py-evm sets 12 × 1024 so that the EVM's 1,024 call frames
#: fit), and little enough that CPython's C stack cannot overflow (measured: a JSON document
#: nested this deep raises ``RecursionError`` on the main thread and on worker threads).
SAFE_RECURSION_LIMIT: Final = 12 * 1024


def import_ethereum_libraries_safely() -> int:
    """Import ``py_ecc`` with the recursion limit kept; return the limit now in force.

    Idempotent. A limit some earlier import already raised past :data:`SAFE_RECURSION_LIMIT` is
    brought back down to it.
    """
    before = sys.getrecursionlimit()
    try:
        import py_ecc  # noqa: F401  (raises the limit as a side effect of its first import)
    except ImportError:  # pragma: no cover - installed with eth-account
        pass
    finally:
        sys.setrecursionlimit(min(before, SAFE_RECURSION_LIMIT))
    return sys.getrecursionlimit()
