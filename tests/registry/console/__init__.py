"""The console's browser tests (Playwright with Debian's Chromium): see ``browser.py``."""
