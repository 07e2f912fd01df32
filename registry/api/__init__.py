"""The registry's HTTP API: routers under ``registry.api.routes``, dependencies in ``deps``."""
