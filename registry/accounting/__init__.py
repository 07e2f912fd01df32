"""Footprint calculations: from an inventory and cited factor datasets to a footprint.

docs/ACCOUNTING.md is the contract; :mod:`verifier.protocol.accounting` reads the documents and
computes the exact point value (the same code a verifier runs). This package adds what the
registry does around it:

- :mod:`registry.accounting.rules`: each product category's accounting rules, read from
  ``registry/data/categories.json``;
- :mod:`registry.accounting.datasets`: where a calculation's factor dataset versions come from
  (files given on the command line, the starter datasets shipped in ``registry/data/factors/``,
  the registry's factor database), refusing a version nobody has (``unknown_dataset``, per line);
- :mod:`registry.accounting.uncertainty`: the seeded Monte Carlo run (Brightway's
  ``stats_arrays``) that gives the 95 % interval;
- :mod:`registry.accounting.calculation`: one calculation (rules, exact value, interval) and its
  JSON result;
- :mod:`registry.accounting.submission`: a calculation made into a footprint submission, with
  the factor provenance rows;
- :mod:`registry.accounting.cli`: ``tanji footprint calc``.

The API route is :mod:`registry.api.routes.calculations` (``POST /api/v1/calculations``).
"""
