"""Row plans: how an API type's plain fields follow from one database row, written once for both ways of
answering them (issue 29, the cold path).

A type built from rows declares its fields' sources: a column (`Col`, with an optional converter), an
object built from columns of the same row (`Nested`, e.g. a summary's `created { dateTime user { id } }`),
a function of the row (`Computed`), or a value its builder gives (`Own`: a tree node's parent, children,
inherited flags). The table serves two readers:

- `RowPlan.build` makes the object with every field set (the type's `from_row`), for resolvers and for the
  stock executor;
- the fast executor (app/graphql/executor.py) compiles a selection of plain fields over the row itself, so a
  response's objects become dicts straight from rows, without an API object, its nested objects and a
  generated function call per object (see `generate_row` in app/graphql/executor_plans.py).

`RowPlan.lazy` makes an object of a `RowBacked` type that holds its row (`lazy_row`) and its `Own` fields
only: the executor answers compiled selections from the row, and anything else that reads a field (a
resolver, the stock executor, equality) finds every field set on first access (`RowBacked.__getattr__`). A builder may also give a field that the row would answer, to decide it otherwise (a part
its read left out, as None); a compiled selection reads such a field only where the read included it (the
builders' keys say which parts were read).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from strawberry.types.cast import TYPE_CAST_ATTRIBUTE


class Col:
    """A field read from one column, through `convert` when given."""

    __slots__ = ("column", "convert")

    def __init__(self, column: str, convert: Callable[[Any], Any] | None = None) -> None:
        assert column.isidentifier() and not column.startswith("_"), column  # generated code reads `row.<column>`
        self.column, self.convert = column, convert

    def value(self, row: Any) -> Any:
        v = getattr(row, self.column)
        return v if self.convert is None else self.convert(v)


class Nested:
    """An object field built from columns of the same row by `plan`; null when the column `null_when_null` is
    null."""

    __slots__ = ("null_when_null", "plan")

    def __init__(self, plan: RowPlan, null_when_null: str | None = None) -> None:
        self.plan, self.null_when_null = plan, null_when_null

    def value(self, row: Any) -> Any:
        if self.null_when_null is not None and getattr(row, self.null_when_null) is None:
            return None
        return self.plan.build(row)


class Computed:
    """A field that is a function of the row."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function

    def value(self, row: Any) -> Any:
        return self.function(row)


class Own:
    """A field that is not a function of the row: where the object sits in a tree (its parent, its children,
    a flag inherited from above). Whoever builds the object gives it by name to `build` or `lazy`; compiled
    selections read it from the object. An object made with a place (`RowPlan.lazy`'s `place`) has its
    builder answer it instead, from the row and the place (see `Placer`); `below` marks the fields whose
    values are objects of the same tree (children, a generated group), which the builder answers as
    (class, row, place) of each."""

    __slots__ = ("below",)

    def __init__(self, below: bool = False) -> None:
        self.below = below


OWN_FIELD = Own()
BELOW_FIELD = Own(below=True)


class Placer(Protocol):
    """The builder of a tree's objects, for objects it made with a place (an opaque value of its own: where the
    object sits). It answers their `Own` fields from row and place, so that a compiled selection answers a
    whole tree from its rows without making an object per node (`generate_placed` in
    app/graphql/executor_plans.py), and a node that something reads by attribute gets them on first read."""

    def answer(self, name: str, row: Any, place: Any) -> Any:
        """The value of the `Own` field `name` (not a `below` one)."""

    def below(self, name: str, row: Any, place: Any) -> Any:
        """A `below` field: a list of (class, row, place), or one such triple or None (a single object)."""

    def own_fields(self, cls: type, row: Any, place: Any) -> dict[str, Any]:
        """Every `Own` field of the object of `cls` at `place`, as objects (those below made with places too)."""

Source = Col | Nested | Computed | Own


class RowPlan:
    """The sources of `cls`'s fields (by Python attribute name), and `extra`: attributes set on every object
    (e.g. the private `_row`, as `"_row": THE_ROW`)."""

    __slots__ = ("cls", "eager", "extra", "from_row", "sources")

    def __init__(self, cls: type, sources: dict[str, Source], extra: dict[str, Any] | None = None,
                 at_once: tuple[str, ...] = ()) -> None:
        """`at_once`: fields a lazy object sets when it is made (e.g. `id`, for code that looks nodes up by it)."""
        self.cls, self.sources, self.extra = cls, sources, extra or {}
        self.from_row = {n: s for n, s in sources.items() if not isinstance(s, Own)}
        for source in self.from_row.values():
            if isinstance(source, Nested):
                assert not any(isinstance(s, Own) for s in source.plan.sources.values()), \
                    "an object built from its parent's row has no place of its own"
        # What a lazy object sets at once: a field with a class-level default would read as that default, never
        # reaching `__getattr__` (the extras, such as `_row`, and any source field with a default).
        self.eager = {**{n: s for n, s in self.from_row.items() if hasattr(cls, n) or n in at_once}, **self.extra}
        if isinstance(cls, type) and issubclass(cls, RowBacked):
            assert "row_plan" not in cls.__dict__, f"{cls.__name__} has one row plan"
            cls.row_plan = self

    def values(self, row: Any, given: Any = ()) -> dict[str, Any]:
        """The fields that follow from `row` (all but the `Own` ones and those in `given`), and the extras."""
        out = {name: source.value(row) for name, source in self.from_row.items() if name not in given}
        for name, value in self.extra.items():
            out[name] = row if value is THE_ROW else value
        return out

    def build(self, row: Any, **own: Any) -> Any:
        """The object with every field set: from `row`, and `own` (the `Own` fields, and any field the builder
        decides otherwise, such as a part the read left out)."""
        return self.cls(**self.values(row, own), **own)

    def lazy(self, row: Any, place: tuple[Placer, Any] | None = None, **own: Any) -> Any:
        """An object of `cls` holding `row` and `own` (as `build`): the fields that follow from the row are set
        when something first reads one. With `place` (its builder and where it sits), the builder answers the
        `Own` fields not in `own`, on first read too."""
        made: Any = object.__new__(self.cls)
        d = made.__dict__
        d.update(own)
        if place is not None:
            d["lazy_place"] = place
        for name, source in self.eager.items():
            if name not in own:
                d[name] = row if source is THE_ROW else source.value(row) if isinstance(source, Col | Nested | Computed) \
                    else source
        d["lazy_row"] = row
        return made


THE_ROW: Any = object()
"""In `RowPlan.extra`: the row itself."""


class RowBacked:
    """The base of an API type whose objects `RowPlan.lazy` may make (its plan, made after the class, sets
    `row_plan`): such an object holds its row in `lazy_row` (None on one built whole), and the first read of a
    field it does not hold sets every field that follows from the row (`__getattr__`)."""

    lazy_row: Any = None
    lazy_place: tuple[Placer, Any] | None = None
    row_plan: RowPlan

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        row = d.get("lazy_row")
        plan = getattr(type(self), "row_plan", None)
        if row is not None and plan is not None:
            if name in plan.from_row or name in plan.extra:
                for field, value in plan.values(row, d).items():
                    d[field] = value
                return d[name]
            place = d.get("lazy_place")
            if place is not None and isinstance(plan.sources.get(name), Own):
                for field, value in place[0].own_fields(type(self), row, place[1]).items():
                    d.setdefault(field, value)
                return d[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


# The executor asks every object whether it was cast (`strawberry.cast` sets this on the instance); on the class,
# that question finds "no" without `__getattr__` (an instance that is cast still says so).
setattr(RowBacked, TYPE_CAST_ATTRIBUTE, None)
