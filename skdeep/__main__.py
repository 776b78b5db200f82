"""``python -m skdeep``: the command line (``demo`` and ``tune``; see ``skdeep --help``)."""

import sys

from ._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
