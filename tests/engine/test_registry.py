"""The registry finds the checks by importing `conformance.checks`, in the order it declares."""

from __future__ import annotations

import pkgutil

import pytest

from conformance import checks, registry
from conformance.context import CheckContext
from conformance.registry import Severity, catalogue, check


def test_every_check_module_is_an_area() -> None:
    """Every public module of `conformance.checks` is listed in `AREAS`, so none is left out."""
    modules = {m.name for m in pkgutil.iter_modules(checks.__path__) if not m.name.startswith("_")}
    assert {area.__name__.rsplit(".", 1)[1] for area in checks.AREAS} == modules


def test_catalogue_follows_areas_then_numbers() -> None:
    """The catalogue lists the areas in `AREAS` order, each area's checks by number."""
    listed = catalogue()
    modules = [spec.func.__module__ for spec in listed]
    declared = [area.__name__ for area in checks.AREAS]
    assert list(dict.fromkeys(modules)) == [m for m in declared if m in modules]
    for area in dict.fromkeys(spec.area for spec in listed):
        numbers = [int(spec.id.rpartition("-")[2]) for spec in listed if spec.area == area]
        assert numbers == sorted(numbers), area


def test_an_authors_check_follows_the_built_in_areas(monkeypatch: pytest.MonkeyPatch) -> None:
    """A check registered outside `conformance.checks` comes after every built-in one."""
    monkeypatch.setattr(registry, "_CATALOGUE", dict(registry._CATALOGUE))

    @check("AAA-1", severity=Severity.INFO, spec="§1.1")
    def authors_own(ctx: CheckContext) -> None:
        """An author's own check."""

    assert catalogue()[-1].id == "AAA-1"
