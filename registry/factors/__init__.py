"""The emission-factor database: publishers' signed, anchored factor-dataset versions.

- :mod:`registry.factors.models`: the tables (a dataset version, its factors, which footprint
  used which factor) and the API schemas;
- :mod:`registry.factors.crud`: publishing a signed version (checked, stored, queued for
  anchoring as a ``factor_dataset`` record), reading, searching, and the impact of a version's
  deprecations on certified footprints;
- :mod:`registry.factors.tables`: CSV and JSON import and export of a version's factors;
- :mod:`registry.factors.cli`: ``tanji factors …``.

docs/ACCOUNTING.md describes the formats, the API and the footprint provenance table.
"""
