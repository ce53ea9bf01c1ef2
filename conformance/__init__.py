"""taskapp-conformance: conformance suite and test harness for synth-ai task apps."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
