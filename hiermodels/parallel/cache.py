"""Values kept per process: built and compiled models that tasks of one model share."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["PROCESS_CACHE_SIZE", "process_cache"]

#: Compiled models kept per process by :func:`process_cache`.
PROCESS_CACHE_SIZE = 8


_cache: OrderedDict[Hashable, Any] = OrderedDict()
_cache_lock = threading.RLock()


def process_cache(key: Hashable, factory: Callable[[], Any]) -> Any:
    """The value stored under ``key`` in this process, made by ``factory()`` if absent.

    Workers keep built and compiled models here, so that tasks of the same model
    compile once per process. The :data:`PROCESS_CACHE_SIZE` most recently used values
    are kept.

    Examples
    --------
    >>> process_cache(("doc", 1), lambda: [1, 2])
    [1, 2]
    >>> process_cache(("doc", 1), lambda: "not called")
    [1, 2]
    """
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        value = factory()
        _cache[key] = value
        while len(_cache) > PROCESS_CACHE_SIZE:
            _cache.popitem(last=False)
        return value
