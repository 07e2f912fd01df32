"""Which chain the registry anchors on, with which key, at which contract address.

``rpc_url`` unset → the embedded chain in ``<data_dir>/chain`` (the anchoring key in an
encrypted keystore in the data dir, funded at genesis, the contract deployed on first use).
``rpc_url`` set → that node; the signer from ``TANJI_SIGNER_KEY`` or a keystore, the contract at
``anchor_address`` (or the one this data dir deployed there before).
Deployments are remembered in ``<data_dir>/deployments.json`` per chain id.

A hosted node's URL often carries an API key (in its path, query or user info), and exception
messages quote the URL: :func:`redact_url_secrets` takes those parts out of any text before it
is logged, and :func:`chain_error_code` turns an exception into a stable code to show publicly.

**Time limits on a node.** web3's ``HTTPProvider`` by default waits 10 s (30 s as this module
used to set it) per call and retries read calls five times, so a stalled node held a caller for
minutes. :func:`node_provider` bounds both: a call fails once :data:`RPC_READ_TIMEOUT_SECONDS`
pass without an answer (no retry: a node that stalls once is asked again by the anchoring loop,
with backoff), and only a refused or reset connection is tried again, :data:`RPC_ATTEMPTS` times
in all. Nothing is lost by failing early: the batcher commits each step before it touches the
chain and finishes an interrupted batch on its next run. Health probes
(:meth:`ChainHandle.probe`) use a separate client with :data:`PROBE_TIMEOUT_SECONDS` and no retry.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import is_hex_address, to_checksum_address
from requests import ConnectionError as RequestsConnectionError
from requests import Timeout as RequestsTimeout
from web3 import Web3
from web3.exceptions import BlockNotFound, TransactionNotFound
from web3.providers.rpc import HTTPProvider
from web3.providers.rpc.utils import ExceptionRetryConfiguration

from anchoring.client import AnchorClient
from anchoring.embedded import EmbeddedChain
from anchoring.errors import AnchoringError
from anchoring.signer import ENV_KEY, ENV_PASSWORD, dev_signer, load_signer
from registry.config import Settings
from registry.errors import ChainSetupError
from verifier.protocol.records import TRUST_FORMAT
from verifier.redaction import redact_secrets

log = logging.getLogger(__name__)

DEPLOYMENTS_FILE = "deployments.json"

#: Seconds to connect to a node, and to wait for its answer to one JSON-RPC call.
RPC_CONNECT_TIMEOUT_SECONDS = 5.0
RPC_READ_TIMEOUT_SECONDS = 10.0
#: Tries of a read call whose connection was refused or reset (timeouts are never retried).
RPC_ATTEMPTS = 2
#: The health probe's limit for one call (connect and answer); it is never retried.
PROBE_TIMEOUT_SECONDS = 2.0
#: Set-up errors that a node coming (back) up fixes: the server starts without the chain, reports
#: degraded and keeps trying to open it (:mod:`registry.chain_monitor`). Others (a bad key, no
#: contract at the configured address) stop the start-up with their message.
TRANSIENT_SETUP_CODES = frozenset({"chain_unavailable", "chain_timeout"})


def node_provider(
    url: str,
    *,
    timeout: float | tuple[float, float] = (RPC_CONNECT_TIMEOUT_SECONDS, RPC_READ_TIMEOUT_SECONDS),
    attempts: int = RPC_ATTEMPTS,
) -> HTTPProvider:
    """An HTTP provider for ``url`` with bounded time limits (see the module docstring)."""
    retry = (
        ExceptionRetryConfiguration(
            errors=(RequestsConnectionError,), retries=attempts, backoff_factor=0.25
        )
        if attempts > 1
        else None
    )
    return HTTPProvider(
        url, request_kwargs={"timeout": timeout}, exception_retry_configuration=retry
    )


@dataclass
class ChainHandle:
    """An open chain connection with the anchoring client; close it when done."""

    w3: Web3
    client: AnchorClient
    account: LocalAccount = field(repr=False)
    embedded: EmbeddedChain | None = None
    #: The node's JSON-RPC URL (``None``: the embedded chain); may hold credentials.
    rpc_url: str | None = field(default=None, repr=False)
    _probe_w3: Web3 | None = field(default=None, init=False, repr=False)

    def redact(self, text: str) -> str:
        """``text`` without the secret parts of this chain's node URL (for logs)."""
        return redact_url_secrets(text, self.rpc_url)

    @property
    def chain_id(self) -> int:
        """The chain id."""
        return self.client.chain_id

    @property
    def address(self) -> str:
        """The anchor contract's checksummed address."""
        return self.client.address

    def head(self) -> int:
        """The latest block number."""
        return int(self.w3.eth.block_number)

    def probe(self) -> int:
        """The latest block number, asked within :data:`PROBE_TIMEOUT_SECONDS` and never retried.

        For health checks, on a thread of their own. The embedded chain answers in-process (it
        may wait for its lock while a batch is mined; the caller bounds that wait).
        """
        if self.rpc_url is None:
            return self.head()
        if self._probe_w3 is None:
            self._probe_w3 = Web3(
                node_provider(self.rpc_url, timeout=PROBE_TIMEOUT_SECONDS, attempts=1)
            )
        return int(self._probe_w3.eth.block_number)

    def receipt_block(self, tx_hash: str) -> tuple[int, int] | None:
        """The number and timestamp of the block holding ``tx_hash`` on the node's chain now
        (``None``: not there), asked like :meth:`probe` (bounded, not retried): for request
        threads. The timestamp is the receipt's own block's (by hash), so a transaction mined
        again at the same height after a reorganisation, in a block of another time, shows."""
        w3 = self.w3
        if self.rpc_url is None:
            receipt = self.client.receipt(tx_hash)
        else:
            self.probe()  # makes the bounded provider
            assert self._probe_w3 is not None
            w3 = self._probe_w3
            try:
                receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                receipt = None
        if receipt is None:
            return None
        try:
            block = w3.eth.get_block(receipt["blockHash"])
        except BlockNotFound:  # reorganised away between the two questions
            return None
        return int(block["number"]), int(block["timestamp"])

    def trust_document(self, *, rpc_url: str, name: str) -> dict[str, Any]:
        """A ``tanji-trust/1`` file trusting this deployment (for ``tanji verify --trust``); it
        asks for the confirmations this deployment waits for, where it waits for any."""
        chain: dict[str, Any] = {
            "chainId": self.chain_id,
            "rpcUrl": rpc_url,
            "contracts": [self.address],
        }
        if self.client.confirmations:
            chain["confirmations"] = self.client.confirmations
        return {
            "format": TRUST_FORMAT,
            "name": name,
            "chains": [chain],
            "issuers": [{"address": str(self.account.address), "name": name}],
        }

    def close(self) -> None:
        """Release the embedded chain (its lock) if this handle opened one."""
        if self.embedded is not None:
            self.embedded.close()


def load_account(settings: Settings) -> LocalAccount:
    """The anchoring key: ``signer_key``, else a keystore, else the data dir's dev keystore."""
    env = dict(os.environ)
    if settings.keystore_password is not None:
        env[ENV_PASSWORD] = settings.keystore_password.get_secret_value()
    try:
        if settings.signer_key is not None:
            return load_signer(env={ENV_KEY: settings.signer_key.get_secret_value()})
        if settings.keystore is not None:
            return load_signer(keystore=settings.keystore, env=env)
        if settings.embedded_chain:
            return dev_signer(settings.data_dir, env=env)
        return load_signer(env=env)
    except AnchoringError as exc:
        raise ChainSetupError(str(exc), code=exc.code, field="signer_key") from None


def open_chain(settings: Settings, *, allow_deploy: bool | None = None) -> ChainHandle:
    """Connect to the configured chain and its anchor contract.

    ``allow_deploy`` (default: only on the embedded chain) lets this deploy the contract when no
    address is configured or remembered. Raises :class:`ChainSetupError`.
    """
    account = load_account(settings)
    embedded: EmbeddedChain | None = None
    try:
        if settings.rpc_url is None:
            embedded = EmbeddedChain.open(settings.data_dir, fund=[account.address])
            w3 = embedded.w3
        else:
            w3 = Web3(node_provider(settings.rpc_url))
        client = _connect(
            settings,
            w3,
            account,
            allow_deploy=settings.embedded_chain if allow_deploy is None else allow_deploy,
        )
    except AnchoringError as exc:
        if embedded is not None:
            embedded.close()
        raise ChainSetupError(str(exc), code=exc.code) from None
    except OSError as exc:  # requests' transport errors: the node is down or does not answer
        if embedded is not None:
            embedded.close()
        if settings.rpc_url is None:
            raise
        message = redact_url_secrets(
            f"the chain node {settings.rpc_url} cannot be reached: {type(exc).__name__}: {exc}",
            settings.rpc_url,
        )
        raise ChainSetupError(message, code=chain_error_code(exc)) from None
    except BaseException:
        if embedded is not None:
            embedded.close()
        raise
    return ChainHandle(
        w3=w3, client=client, account=account, embedded=embedded, rpc_url=settings.rpc_url
    )


def redact_url_secrets(text: str, url: str | None) -> str:
    """``text`` without the secrets of node URLs (:func:`verifier.redaction.redact_secrets`)."""
    return redact_secrets(text, url)


def chain_error_code(exc: BaseException) -> str:
    """A stable code for an error met talking to the chain (its message may quote the URL)."""
    if isinstance(exc, AnchoringError):  # the client wraps most transport errors in these
        return exc.code
    if isinstance(exc, TimeoutError | RequestsTimeout):
        return "chain_timeout"
    if isinstance(exc, OSError):  # requests' and urllib3's connection errors are OSErrors
        return "chain_unavailable"
    return "chain_error"


def client_options(settings: Settings, chain_id: int) -> dict[str, Any]:
    """The :class:`AnchorClient` options ``settings`` give on ``chain_id``: confirmations (by
    chain unless set), the fee cap, when to look at a transaction without a receipt."""
    return {
        "confirmations": settings.confirmations_for(chain_id),
        "max_fee_per_gas": settings.max_fee_per_gas,
        "resend_after": settings.resend_after_seconds,
    }


def deploy_contract(settings: Settings, w3: Web3, account: LocalAccount) -> AnchorClient:
    """Deploy a new anchor contract and remember it in the data dir."""
    client = AnchorClient.deploy(w3, account, **client_options(settings, int(w3.eth.chain_id)))
    _remember(settings.data_dir, client.chain_id, client.address)
    log.info("deployed the anchor contract at %s on chain %d", client.address, client.chain_id)
    return client


def _connect(
    settings: Settings, w3: Web3, account: LocalAccount, *, allow_deploy: bool
) -> AnchorClient:
    chain_id = int(w3.eth.chain_id)
    address = settings.anchor_address or _remembered(settings.data_dir, chain_id)
    if address is not None:
        if not is_hex_address(address):
            raise ChainSetupError(
                f"anchor address {address!r} is not a hex address",
                code="invalid_setting",
                field="anchor_address",
            )
        if w3.eth.get_code(to_checksum_address(address)):
            return AnchorClient(w3, address, account, **client_options(settings, chain_id))
        if settings.anchor_address is not None or not allow_deploy:
            raise ChainSetupError(
                f"no contract at {address} on chain {chain_id}",
                code="no_contract",
                field="anchor_address",
            )
    if not allow_deploy:
        raise ChainSetupError(
            f"no anchor contract configured for chain {chain_id}: set TANJI_ANCHOR_ADDRESS "
            "or run `tanji deploy`",
            code="no_contract",
            field="anchor_address",
        )
    return deploy_contract(settings, w3, account)


def anchor_address(settings: Settings, chain_id: int) -> str | None:
    """The anchor contract this deployment uses on ``chain_id``: the configured address, else
    the one the data dir deployed there (``None``: none known)."""
    return settings.anchor_address or _remembered(settings.data_dir, chain_id)


def _remembered(data_dir: Path, chain_id: int) -> str | None:
    path = data_dir / DEPLOYMENTS_FILE
    if not path.exists():
        return None
    try:
        known = json.loads(path.read_text("utf-8"))
        return str(known[str(chain_id)]["address"])
    except (KeyError, TypeError, ValueError):
        return None


def _remember(data_dir: Path, chain_id: int, address: str) -> None:
    path = data_dir / DEPLOYMENTS_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    known: dict[str, Any] = {}
    if path.exists():
        try:
            known = json.loads(path.read_text("utf-8"))
        except ValueError:
            known = {}
    known[str(chain_id)] = {"address": address}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(known, indent=2) + "\n", "utf-8")
    os.replace(tmp, path)
