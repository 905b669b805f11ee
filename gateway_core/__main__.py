"""``python -m gateway_core``: the same as the ``gateway-kit`` command."""

import sys

from .cli import main

sys.exit(main())
