"""Client defaults of the verifier (not protocol facts): kept apart from the chain reader so that
building ``tanji verify``'s argument parser imports no web3."""

from typing import Final

#: Seconds the verifier waits for one answer from a chain node or a bundle URL.
DEFAULT_TIMEOUT: Final = 10.0
