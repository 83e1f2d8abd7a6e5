"""`python -m rehearse.cli`: the same as the `rehearse` command."""

import sys

from .main import main

sys.exit(main())
