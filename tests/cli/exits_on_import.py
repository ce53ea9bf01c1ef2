"""A module that calls sys.exit at import, as a careless app module might."""

import sys

sys.exit(5)
