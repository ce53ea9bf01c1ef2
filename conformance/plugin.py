"""pytest plugin (pytest11 entry point): inert unless its options or fixtures are used."""

from __future__ import annotations
