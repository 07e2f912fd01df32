"""Client defaults of the verifier (not protocol facts): kept apart from the chain reader so that
building ``tanji verify``'s argument parser imports no web3."""

from typing import Final

#: Seconds the verifier waits for one answer from a chain node or a bundle URL.
DEFAULT_TIMEOUT: Final = 10.0

#: Seconds ``tanji verify`` waits, in all, for a server on this machine (a loopback URL) that
#: refuses connections, as one still starting does (verifier/_internal/local_node.py).
LOCAL_NODE_WAIT_SECONDS: Final = 15.0
