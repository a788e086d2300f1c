"""``python -m hiermodels`` runs the command-line interface."""

import sys

from hiermodels.cli import main

sys.exit(main())
