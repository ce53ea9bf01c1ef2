"""Interop baselines for the contract generations after 0.2 (issue #15); see docs/generations.md."""
