"""``python -m stdp_lab``: the ``stdp-lab`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
