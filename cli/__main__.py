"""`python -m featkit_cli` runs the `featkit` command line."""

import sys

from .app import main

sys.exit(main())
