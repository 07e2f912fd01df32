"""The protocol's facts, defined once (docs/PROTOCOL.md).

Everything that two implementations of the protocol must agree on lives here and only here:

- :mod:`verifier.protocol.records`: bundle and trust-file formats, record types, which record type
  each nested list holds, the leaf encoding, the bounds a bundle must stay within;
- :mod:`verifier.protocol.codes`: the stable result codes;
- :mod:`verifier.protocol.messages`: each code's message, keyed by language tag (data in
  ``messages.json``);
- :mod:`verifier.protocol.reasons`: on-chain revocation reasons and recognition-withdrawal reasons;
- :mod:`verifier.protocol.languages`: the language tags Tanji speaks and how a request picks one;
- :mod:`verifier.protocol.scheme`: the label-scheme identifier rule.

``anchoring``, ``registry`` and the in-browser verifier (``scripts/gen_browser_tables.py``
generates its tables from this package) import these facts; none restates them.
"""
