"""Moved: the families are objects in :mod:`hiermodels.families`, one module each.

This module keeps the old import path (``from hiermodels.spec.families import
get_family``) working. It holds nothing itself and resolves the names on use, so the
specification layer never imports the family layer above it.

Examples
--------
>>> import hiermodels.families
>>> from hiermodels.spec.families import get_family
>>> get_family is hiermodels.families.get_family
True
"""

_MOVED = ("FAMILIES", "Family", "get_family", "resolve_link")


def __getattr__(name: str):
    if name in _MOVED:
        import hiermodels.families

        return getattr(hiermodels.families, name)
    raise AttributeError(f"module 'hiermodels.spec.families' has no attribute {name!r}")
