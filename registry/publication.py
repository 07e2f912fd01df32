"""What a deployment publishes about itself: its trust file at a fixed, well-known URL.

``GET /.well-known/tanji-trust.json`` serves the ``tanji-trust/1`` document of this deployment
(the same :meth:`registry.chain.ChainHandle.trust_document` that ``tanji demo`` writes as
``trust.json``): its chain, anchor contract, issuer and the node to ask. A verifier passes that
URL to ``tanji verify --trust``; the label page's "check it yourself" command names it.

A careful verifier would rather take the trust file from the certifier's own publication (its
website, a registry of certifiers) than from the server that issued the label: a forger who
controls a server can serve a matching trust file for their own contract. The URL is the
convenient default for the deployment one already reaches, not a substitute for that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urljoin

if TYPE_CHECKING:
    from registry.chain import ChainHandle
    from registry.config import Settings

#: The path of a deployment's trust file (RFC 8615 well-known URI).
TRUST_PATH: Final = "/.well-known/tanji-trust.json"
#: The ``name`` of the published trust file.
TRUST_NAME: Final = "Tanji registry"


def trust_url(base_url: str) -> str:
    """The URL of the trust file a deployment at ``base_url`` publishes."""
    return base_url.rstrip("/") + TRUST_PATH


def node_url(settings: Settings) -> str | None:
    """The chain node the published trust file names (absolute), or ``None``.

    ``public_rpc_url`` when set, else this deployment's own ``/rpc`` on the embedded chain; an
    outside node's ``rpc_url`` is never published (it may hold an API key).
    """
    rpc_url = settings.browser_rpc_url
    if rpc_url is None:
        return None
    return urljoin(settings.base_url.rstrip("/") + "/", rpc_url)


def published_trust(settings: Settings, chain: ChainHandle) -> dict[str, Any]:
    """This deployment's ``tanji-trust/1`` document (without ``rpcUrl`` when no node is public)."""
    document = chain.trust_document(rpc_url=node_url(settings) or "", name=TRUST_NAME)
    if not document["chains"][0]["rpcUrl"]:
        del document["chains"][0]["rpcUrl"]
    return document
