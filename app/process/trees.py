"""The repository of process trees' API objects: the kept ones when the fast path's tree layer holds the
process at this revision (app/fast/trees.py), else built from the rows the request's loader read. The types
of app/process/types.py ask here and never see a cache."""

from __future__ import annotations

from app.fast.trees import Trees
from app.graphql.context import Loaders
from app.graphql.lookahead import Needs
from app.process.tree import WHOLE, Tree, TreeRead
from app.process.tree_types import ProcessGroup, ProcessJob, build_tree, read_fields

# Estimated bytes per node (tracemalloc, the benchmark's trees) of the API objects kept in the tree layer
# and of one response fragment (a compiled selection's answer, app/graphql/executor.py) kept with them.
NODE_BYTES = 1000
FRAGMENT_BYTES = 350

Built = tuple[ProcessGroup, list[ProcessGroup | ProcessJob]]


def kept_tree(loaders: Loaders, process_id: str, revision: int, read: TreeRead, exclude_generated: bool
              ) -> Built | None:
    """The API objects of a process tree at `revision` when the tree layer holds them for `read` (or for the
    whole tree, which answers any selection): built once for every request that reads that revision."""
    found: Built | None = Trees(loaders.shared).get("tree", process_id, revision, (read, exclude_generated),
                                                    (WHOLE, exclude_generated))
    return found


def built_tree(loaders: Loaders, tree: Tree, revision: int, read: TreeRead, exclude_generated: bool,
               needs: Needs | None) -> Built:
    """The API objects of `tree` (read as `read`, after the process row at `revision`). With the tree layer
    on, everything the tree holds is built, not only what this selection asks for, and kept for the requests
    that read the same revision; else only what `needs` reaches."""
    trees = Trees(loaders.shared)
    if not trees.on:
        if needs is None:
            return build_tree(tree, exclude_generated=exclude_generated)
        return build_tree(tree, exclude_generated=exclude_generated, depth=needs.depth, fields=needs.names,
                          placed=True)
    root, nodes = build_tree(tree, exclude_generated=exclude_generated, depth=read.depth, fields=read_fields(read))
    if root.fragment_memo is None:  # not yet kept (this request may have built it already)
        root.fragment_memo = trees.keep("tree", tree.process_id, revision, (read, exclude_generated), (root, nodes),
                                        size=len(nodes) * NODE_BYTES, answer_bytes=len(nodes) * FRAGMENT_BYTES)
    return root, nodes
