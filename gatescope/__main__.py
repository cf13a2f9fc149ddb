"""python -m gatescope: the same as the gatescope command."""

import sys

from gatescope.cli import main

sys.exit(main())
