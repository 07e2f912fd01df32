"""The console's shared parts: its navigation (:mod:`registry.console.nav`).

The console's pages are routes in ``registry/api/routes/console*.py``; each area (enterprise,
review, signing, city) has its own route module, templates ``console_<area>_*.html`` and message
catalogue ``registry/data/console/<area>.json``. What a page may do is decided by the same table
the API checks (:mod:`registry.permissions`).
"""
