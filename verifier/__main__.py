"""``python -m verifier BUNDLE|URL ...``: the same as ``tanji verify``."""

import sys

from verifier.cli import main

sys.exit(main())
