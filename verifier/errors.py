"""The verifier's exceptions: one root, narrow leaves."""


class VerifierError(Exception):
    """Root of every exception this package raises."""


class BundleFormatError(VerifierError, ValueError):
    """A bundle or record is not well formed (missing field, bad hex, wrong type)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TrustConfigError(VerifierError, ValueError):
    """A trust file is missing, unreadable or malformed."""
