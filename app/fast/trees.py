"""Trees kept across requests in the gateway's shared cache (issue 16): the tree layer of the fast path.

A process tree changes only with its process's `revision`, a run tree only with its run's `tree_version`,
and both are columns of the row every read of a tree loads first. So a tree is kept under its kind, its id
(the family: storing a newer version drops the older ones) and that version, and a variant (what was read
of it: its depth and parts, whether generated nodes were built). A read finds it only at the version its row
carries. What the kept value is, and how much memory it takes, the domain's repository says
(app/process/trees.py, app/run/trees.py).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from app.fast.cache import FragmentMemo, Layer


class Trees(Layer):
    """The tree layer over one shared cache; with none (TREE_CACHE_MB=0) it keeps and finds nothing."""

    __slots__ = ()

    def get(self, kind: str, family: str, version: int, *variants: Hashable) -> Any:
        """The tree kept for the first of `variants` held at `version`, or None."""
        if self.shared is None:
            return None
        return self.shared.get(*((kind, family, version, variant) for variant in variants))

    def keep(self, kind: str, family: str, version: int, variant: Hashable, value: Any, *, size: int,
             answer_bytes: int) -> FragmentMemo | None:
        """Keep `value`; the memo for what compiled selections answer for it, or None when it was not kept."""
        if self.shared is None:
            return None
        return self.shared.keep((kind, family, version, variant), value, family=family, version=version,
                                size=size, answer_bytes=answer_bytes)
