"""The verifier's exceptions: one root, narrow leaves."""


class VerifierError(Exception):
    """Root of every exception this package raises."""


class BundleFormatError(VerifierError, ValueError):
    """A bundle or record is not well formed (missing field, bad hex, wrong type).

    ``field`` names the offending member as a path (``anchor.txHash``, ``proof[3]``); ``code`` is
    the stable ``format`` check code (``verifier.protocol.codes.Code``) when the raiser knows a
    narrower one.
    """

    def __init__(self, message: str, *, field: str | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class TrustConfigError(VerifierError, ValueError):
    """A trust file is missing, unreadable or malformed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ChainUnavailableError(VerifierError, ConnectionError):
    """A chain node did not answer, timed out, or answered with something that is not JSON-RPC.

    Checks report it as ERROR, never INVALID: an outage must not read as a forged label.
    """


class BundleFetchError(VerifierError, OSError):
    """A bundle could not be read from a file or fetched from a URL."""


class ChainResponseError(ChainUnavailableError):
    """A chain node answered, but not with a well-formed JSON-RPC result for the call made."""


class AttestationError(VerifierError, ValueError):
    """A signed statement (EIP-712 attestation, recognition, withdrawal) is malformed or unsigned.

    ``code`` is a stable snake_case reason (docs/ATTESTATIONS.md, "Error codes"); ``field`` names
    the offending member (``message.upstream[2]``, ``signature``).
    """

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class SignatureError(AttestationError):
    """A signature is malformed, malleable (high s), or recovers no public key."""
