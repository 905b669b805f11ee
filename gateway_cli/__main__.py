"""``python -m gateway_cli``: the same as the ``gateway-kit`` command."""

import sys

from . import main

sys.exit(main())
