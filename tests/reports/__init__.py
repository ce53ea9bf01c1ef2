"""Tests of conformance.reports."""
