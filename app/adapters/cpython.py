"""CPython's function objects, where app/serve.py gives a function a larger frame than its code needs."""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any


def with_extra_locals(fn: Callable[..., Any], count: int) -> Callable[..., Any]:
    """A copy of the plain function `fn` whose frame holds `count` more (unused) local slots. Python has no
    way to ask for a frame of a given size; a code object rebuilt through `__code__.replace` with more
    `co_varnames` is how CPython sizes one (see app/serve.py for why a large frame is wanted)."""
    code = fn.__code__
    code = code.replace(co_varnames=code.co_varnames + tuple(f"_pad{i}" for i in range(count)),
                        co_nlocals=code.co_nlocals + count)
    return FunctionType(code, fn.__globals__, fn.__name__)
