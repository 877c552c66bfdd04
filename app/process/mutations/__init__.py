"""Root mutation fields of the process domain."""

import strawberry

from app.process.mutations.edit import EditMutation
from app.process.mutations.lifecycle import LifecycleMutation


@strawberry.type
class ProcessMutation(LifecycleMutation, EditMutation):
    pass


__all__ = ["ProcessMutation"]
