"""The verifier's machinery: bundle parsing, the chain reader, the checks and the engine.

Not a public interface: import the library's API from ``verifier`` (``Verifier``, ``Trust``,
``Bundle``, results, codes) and the protocol's facts and math from ``verifier.protocol``.
"""
