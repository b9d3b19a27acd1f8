"""`python -m bot` is the same CLI as `factbot`."""

import sys

from bot.cli import main

sys.exit(main())
