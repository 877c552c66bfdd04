"""Root mutation fields of the process domain."""

import strawberry

from app.process.mutations.edit import EditMutation
from app.process.mutations.lifecycle import LifecycleMutation
from app.process.mutations.revert import RevertMutation


@strawberry.type
class ProcessMutation(LifecycleMutation, EditMutation, RevertMutation):
    pass


__all__ = ["ProcessMutation"]
