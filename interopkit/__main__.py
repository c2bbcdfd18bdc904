"""``python -m interopkit`` runs the command line."""

import sys

from interopkit.cli import main

sys.exit(main())
