"""Stable numeric codes of verification results (docs/PROTOCOL.md, "Result codes").

A code, once published, keeps its meaning forever and is never reused; new situations get new
numbers. Each check owns a hundred: ``format`` 1xx, ``integrity`` 2xx, ``inclusion`` 3xx,
``anchored`` 4xx, ``not_revoked`` 5xx, ``issuer`` 6xx, ``recognition`` 8xx; 9xx are shared
(skips, internal errors, command-line errors). ``0`` means the check passed.
"""

from enum import IntEnum


class Code(IntEnum):
    """Every result code the verifier can report."""

    OK = 0

    # format (1xx): the bundle cannot be read as a tanji-bundle/1
    FORMAT_NOT_JSON = 100
    FORMAT_TOO_LARGE = 101
    FORMAT_NOT_OBJECT = 102
    FORMAT_UNKNOWN_VERSION = 103
    FORMAT_MISSING_FIELD = 104
    FORMAT_WRONG_TYPE = 105
    FORMAT_BAD_HEX = 106
    FORMAT_WRONG_LENGTH = 107
    FORMAT_PROOF_TOO_LONG = 108
    FORMAT_TOO_DEEP = 109
    FORMAT_SALT_AND_DISCLOSURE = 110
    FORMAT_DISCLOSED_WITHOUT_SALT = 111
    FORMAT_DISCLOSED_AND_HIDDEN = 112
    FORMAT_SALT_WITHOUT_FIELD = 113
    FORMAT_NOT_CANONICAL = 114
    FORMAT_PENDING_INCONSISTENT = 115
    FORMAT_DUPLICATE_KEY = 116
    FORMAT_BAD_VALUE = 117
    FORMAT_TOO_MANY = 118
    FORMAT_UNKNOWN_FIELD = 119
    FORMAT_WRONG_RECORD_TYPE = 120
    # A JSON number that is not finite or reaches 2**53 in magnitude, however it is spelt
    # (I-JSON, docs/PROTOCOL.md section 2 "Numbers").
    FORMAT_NUMBER_OUT_OF_RANGE = 121

    # integrity (2xx): the record does not produce the leaf value
    INTEGRITY_WRONG_ENCODING = 200
    INTEGRITY_LEAF_MISMATCH = 201
    INTEGRITY_DIGEST_MISMATCH = 202

    # inclusion (3xx): the leaf and proof do not produce the root
    INCLUSION_ROOT_MISMATCH = 300

    # anchored (4xx): the root is not anchored where the verifier trusts
    ANCHORED_UNTRUSTED_CHAIN = 400
    ANCHORED_CHAIN_ID_MISMATCH = 401
    ANCHORED_UNTRUSTED_CONTRACT = 402
    ANCHORED_ROOT_NOT_ANCHORED = 403
    ANCHORED_NOT_INCLUDED = 404
    ANCHORED_TX_NOT_FOUND = 405
    ANCHORED_NO_EVENT = 406
    ANCHORED_BLOCK_MISMATCH = 407
    ANCHORED_NO_RPC_URL = 408
    # The anchor holds but its block has fewer confirmations than the trust file requires:
    # not final yet (verdict PENDING, not VALID; verifier.protocol.finality).
    ANCHORED_NOT_FINAL = 409

    # not_revoked (5xx)
    REVOKED_ROOT = 500
    REVOKED_LEAF = 501
    # The record under verification was revoked with reason 1 (superseded): it was genuine and
    # has been replaced by a newer record (status SUPERSEDED, not INVALID; verdicts.py).
    REVOKED_SUPERSEDED = 502

    # issuer (6xx)
    ISSUER_UNTRUSTED = 600
    ISSUER_TX_NOT_FOUND = 601
    ISSUER_NONE_CONFIGURED = 690

    # attestation_signature (7xx): a nested supplier attestation's signature does not hold
    ATTESTATION_BAD_SIGNATURE = 700
    ATTESTATION_NOT_LINKED = 704
    ATTESTATION_UNTRUSTED_DOMAIN = 707
    ATTESTATION_REDACTED = 790

    # recognition (8xx): a nested recognition statement is not one the verifier accepts
    RECOGNITION_BAD_SIGNATURE = 800
    # Retired: a recognizer outside the trust file was INVALID; it is now SKIPPED (891).
    RECOGNITION_UNTRUSTED_RECOGNIZER = 801
    RECOGNITION_SCHEME_NOT_ACCEPTED = 802
    RECOGNITION_CATEGORY_NOT_ACCEPTED = 803
    RECOGNITION_SUBJECT_MISMATCH = 804
    RECOGNITION_NOT_YET_VALID = 805
    RECOGNITION_EXPIRED = 806
    RECOGNITION_UNTRUSTED_DOMAIN = 807
    RECOGNITION_REDACTED = 808
    RECOGNITION_NONE_CONFIGURED = 890
    RECOGNITION_RECOGNIZER_NOT_IN_PROFILE = 891
    RECOGNITION_DUPLICATE = 892

    # shared (9xx)
    SKIPPED_PENDING = 900
    SKIPPED_FORMAT_INVALID = 901
    SKIPPED_ANCHOR_UNTRUSTED = 902
    CHAIN_UNAVAILABLE = 990
    CHAIN_BAD_ANSWER = 991
    INTERNAL_ERROR = 999
    CLI_NO_TRUST_FILE = 950
    CLI_BAD_TRUST_FILE = 951
    CLI_BUNDLE_UNREADABLE = 952
