"""The async engine, the naming convention, and transaction helpers that work alike on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections import namedtuple
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import MetaData, String, Table, any_, bindparam, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool
from sqlalchemy.util.concurrency import greenlet_spawn
from sqlmodel import SQLModel

from app.adapters.sqlalchemy import opened_since_last_fault
from app.bus import announcements
from app.connectivity import (
    ReadEngine,
    abandon,
    abandon_pooled,
    is_unavailable,
    read_engine,
    reconnect,
    watch_connections,
)
from app.lsn import WRITTEN, note_commit
from app.reads import noted
from app.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)
metadata = SQLModel.metadata

_IMMEDIATE = "processgraph_sqlite_immediate"
log = logging.getLogger("processgraph.db")


def sort_key_type(length: int | None = None) -> Any:
    """A string compared byte-wise on every database: PostgreSQL gets the "C" collation, whatever the
    cluster's default, so ordering matches SQLite and Python on casefolded keys."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def sort_key(name: str) -> str:
    """The stored sort and filter key of a name (`process.name_key`, `app_user.name_key`), and of a name filter's
    needle: Python's str.casefold, which no database's lower() reproduces ('ß' -> 'ss'), so that ordering and
    `nameContains` answer alike on every database. The one definition: every write of a name writes its key
    with this (migration 0013 keeps a copy, as migrations import no app code)."""
    return name.casefold()


def table(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class (reads and bulk writes use Core rows)."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def json_loads(text: str | bytes) -> Any:
    """orjson for JSON columns (several times faster on a tree's job arguments); the standard decoder for
    what orjson refuses (integers past 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def json_dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def create_engine(settings: Settings, url: str | None = None, **kwargs: Any) -> AsyncEngine:
    """Create the async engine (of `url`, a standby's, or DATABASE_URL); on SQLite, take over BEGIN so writers
    can ask for BEGIN IMMEDIATE."""
    url = url or settings.database_url
    kwargs.setdefault("json_deserializer", json_loads)
    kwargs.setdefault("json_serializer", json_dumps)
    if is_sqlite(url):
        engine = create_async_engine(url, **kwargs)
        busy_ms = settings.sqlite_busy_timeout_ms

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # The driver's own implicit BEGIN is turned off; SQLAlchemy's "begin"
            # event below emits it, so a write transaction can take the write lock
            # up front instead of failing later with "database is locked".
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get(_IMMEDIATE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # asyncpg: no reset query on release is needed beyond the rollback SQLAlchemy does. The pool holds
    # enough connections for a busy gateway (a request's loader batches each take one for a moment):
    # overflow connections are closed on return, and a new PostgreSQL backend costs milliseconds.
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    if settings.database_pooler == "pgbouncer-transaction":
        # A transaction pooler hands each transaction (and each autocommit statement) whatever server
        # connection is free, so no server-side state may outlive one: asyncpg's statement cache off (its
        # fetch(), which fetch_plain uses, then runs unnamed statements, parsed again at execution, since
        # PgBouncer takes a Flush as the end of an implicit transaction), and SQLAlchemy's cache of prepared
        # statements off (its prepare() is then unnamed too). One more round trip per statement.
        kwargs["connect_args"] = {"statement_cache_size": 0, "prepared_statement_cache_size": 0,
                                  **kwargs.get("connect_args", {})}
    engine = create_async_engine(url, **kwargs)
    watch_connections(engine)
    return engine


_row_classes: dict[tuple[str, ...], Any] = {}


def _row_class(keys: tuple[str, ...]) -> Any:
    cls = _row_classes.get(keys)
    if cls is None:
        cls = _row_classes[keys] = namedtuple("PlainRow", keys)
    return cls


def plain_rows(result: Any) -> list[Any]:
    """The rows of a result as named tuples, for reads that touch every column of many rows: attribute
    access on a named tuple is a C-level index (about 20 ns) where a SQLAlchemy Row looks the key up (about
    200 ns), and a tree or a page reads thousands of attributes. Same attribute names as the Row."""
    make = _row_class(tuple(result.keys()))._make
    return [make(row) for row in result.all()]


class _Compiled:
    """A hot read compiled once for asyncpg: its SQL text, its parameters in `$n` order, literal values."""

    __slots__ = ("defaults", "names", "sql", "statement")

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.statement = statement  # held, so that the id() key is never reused while cached
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.defaults: dict[str, Any] = dict(compiled.params)

    def args(self, params: dict[str, Any] | None) -> list[Any]:
        given = params or {}
        return [given[n] if n in given else self.defaults[n] for n in self.names]


_compiled: dict[int, _Compiled] = {}
_COMPILED_MAX = 512


def _compiled_for(statement: Any, dialect: Any) -> _Compiled:
    found = _compiled.get(id(statement))
    if found is None or found.statement is not statement:
        if len(_compiled) >= _COMPILED_MAX:  # hot reads are a few dozen shapes; this only bounds a leak
            _compiled.clear()
        found = _compiled[id(statement)] = _Compiled(statement, dialect)
    return found


def _from_records(records: list[Any], tuples: bool) -> list[Any]:
    if not records:
        return []
    if tuples:
        return records
    make = _row_class(tuple(records[0].keys()))._make
    return [make(r) for r in records]


async def fetch_plain(conn: Reads, statement: Any, params: dict[str, Any] | None = None, *,
                      tuples: bool = False) -> list[Any]:
    """`plain_rows(await conn.execute(statement, params))` for the hot reads (statements built once, in
    autocommit connections: `reader()`, or `plain_connection`). On PostgreSQL the statement's compiled text goes
    to asyncpg directly and its records become the named tuples: SQLAlchemy's execution and Row layers cost
    about 85 us per statement and more per row (issue 7), which a tree read pays three times. The statement
    events still fire (the statement metric and tests count these too); column types must be ones asyncpg
    decodes as SQLAlchemy would (no result processors: tests/test_db.py compares both paths). Anywhere else
    (SQLite, a connection inside a transaction), it is exactly the SQLAlchemy call. With `tuples`, rows that
    are only hashed and compared, without names: plain tuples, or asyncpg's records as they come (a record
    hashes and compares as the tuple of its values; converting 100 of them costs 20 us)."""
    if isinstance(conn, PlainConnection):
        return await conn.fetch(statement, params, tuples)
    sync = conn.sync_connection
    fairy = sync.connection if sync is not None and conn.dialect.driver == "asyncpg" else None
    driver: Any = None if fairy is None or not getattr(fairy.dbapi_connection, "autocommit", False) \
        else fairy.driver_connection
    if sync is None or driver is None:
        result = await conn.execute(statement, params)
        return [tuple(row) for row in result.all()] if tuples else plain_rows(result)
    found = _compiled_for(statement, conn.dialect)
    args = found.args(params)
    for attempt in (1, 2):
        sync.dispatch.before_cursor_execute(sync, None, found.sql, args, None, False)
        try:
            records = await driver.fetch(found.sql, *args)
            break
        except Exception as exc:
            if not (driver.is_closed() or is_unavailable(exc)):
                raise
            # The read is buffered and autocommit (nothing was returned, nothing to undo): retried once, on
            # a fresh connection.
            await abandon(conn, exc)
            if attempt == 2:
                raise
            await reconnect(conn)
            driver = (await conn.get_raw_connection()).driver_connection
    rows = _from_records(records, tuples)
    noted(found.sql, args, rows)
    return rows


class PlainConnection:
    """A pooled PostgreSQL connection as the pool holds it, for reads that are only `fetch_plain` statements
    (`plain_connection`): its asyncpg connection runs each statement by itself, outside any transaction, as
    the `reader()` engine's autocommit connections do."""

    __slots__ = ("dialect", "engine", "fairy")

    def __init__(self, engine: AsyncEngine, fairy: Any) -> None:
        self.engine, self.fairy, self.dialect = engine, fairy, engine.dialect

    async def fetch(self, statement: Any, params: dict[str, Any] | None, tuples: bool) -> list[Any]:
        found = _compiled_for(statement, self.dialect)
        args = found.args(params)
        rows = await self.fetch_sql(found.sql, args, tuples)
        noted(found.sql, args, rows)
        return rows

    async def fetch_sql(self, sql: str, args: Any, tuples: bool) -> list[Any]:
        """The rows of a compiled hot read's text (`fetch`'s, or one noted by app/fast/recording.py)."""
        dispatch = self.engine.sync_engine.dispatch
        for attempt in (1, 2):
            dispatch.before_cursor_execute(None, None, sql, args, None, False)
            driver = self.fairy.driver_connection
            try:
                return _from_records(await driver.fetch(sql, *args), tuples)
            except Exception as exc:
                if not (driver.is_closed() or is_unavailable(exc)):
                    raise
                # As in fetch_plain: this connection and the pool's older ones are not handed out again, and
                # the read runs once more on a fresh connection.
                fairy, self.fairy = self.fairy, None
                await abandon_pooled(self.engine.sync_engine.pool, fairy, exc)
                if attempt == 2:
                    raise
                self.fairy = await self.engine.raw_connection()
        raise AssertionError("unreachable")

    def current(self) -> bool:
        """What the pool checks before it hands a connection out (SQLAlchemy's connection record, and the
        checkout event of app/connectivity.py): its socket is still open, and it was opened after the pool last
        met a fault (after which older connections are replaced). A connection kept checked out between uses
        (app/fast/answers.py's spares) is checked so before each use."""
        fairy = self.fairy
        if fairy is None or fairy.driver_connection.is_closed():
            return False
        return opened_since_last_fault(self.engine.sync_engine.pool, fairy)

    async def release(self) -> None:
        fairy, self.fairy = self.fairy, None
        if fairy is None:
            return
        pool = self.engine.sync_engine.pool
        if isinstance(pool, QueuePool) and pool.checkedin() < pool.size():
            fairy.close()  # back into a free slot of the pool: no I/O (nothing to roll back, nothing to close)
            return
        # The pool closes an overflow connection as it comes back: that is I/O, done in SQLAlchemy's way and
        # to completion even if this task is cancelled meanwhile.
        task = asyncio.ensure_future(greenlet_spawn(fairy.close))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            await asyncio.wait([task])
            raise


Reads = AsyncConnection | PlainConnection


@asynccontextmanager
async def plain_connection(engine: AsyncEngine) -> AsyncIterator[Reads]:
    """A connection for reads made only of `fetch_plain` statements (PerDialect ones included). On PostgreSQL,
    a pooled connection as it is (`PlainConnection`): taking it and giving it back costs about 35 us of CPU,
    where `engine.connect()` costs about 180 us (an AsyncConnection, three greenlet switches, its isolation
    level set and reset, a task to close it), most of a cached read's database cost (issue 16). Each statement
    runs outside a transaction: under READ COMMITTED a transaction gives each statement its own snapshot too,
    so the reads see what they would have. Elsewhere, `engine.connect()`."""
    if engine.dialect.driver != "asyncpg":
        async with engine.connect() as conn:
            yield conn
        return
    plain = PlainConnection(engine, await engine.raw_connection())
    try:
        yield plain
    finally:
        await plain.release()


def _in_list(column: Any, name: str) -> Any:
    return column.in_(bindparam(name, expanding=True))


def _any_array(column: Any, name: str) -> Any:
    # One SQL text whatever the number of ids, so asyncpg prepares it once (an expanding IN renders a
    # new text, and a new prepared statement, for every length).
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


class PerDialect:
    """A statement built once per dialect by `build(in_ids)`, where `in_ids(column, name)` is "column is one
    of the ids in parameter `name`": `= ANY(array)` on PostgreSQL, an expanding IN elsewhere. With
    `by_name`, `build(in_ids, dialect_name)`, for statements whose SQL differs by database."""

    def __init__(self, build: Callable[..., Any], *, by_name: bool = False) -> None:
        self.build = build
        self.by_name = by_name
        self._built: dict[str, Any] = {}

    def __call__(self, conn: Reads) -> Any:
        name = conn.dialect.name
        stmt = self._built.get(name)
        if stmt is None:
            in_ids = _any_array if name == "postgresql" else _in_list
            stmt = self._built[name] = self.build(in_ids, name) if self.by_name else self.build(in_ids)
        return stmt


_readers: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def reader(engine: AsyncEngine) -> AsyncEngine:
    """The engine for reads that need no transaction (loader batches, list pages): on PostgreSQL its
    connections run in autocommit, saving the BEGIN and ROLLBACK round trips of every batch. Under READ
    COMMITTED each statement has its own snapshot inside a transaction too, so nothing is lost. Shares the
    pool; a SELECT whose connection is lost runs once more on a fresh one (app/connectivity.py). Elsewhere it
    is the engine itself."""
    if engine.dialect.name != "postgresql" or isinstance(engine, ReadEngine):
        return engine
    found = _readers.get(engine)
    if found is None:
        found = _readers[engine] = read_engine(engine.sync_engine.execution_options(isolation_level="AUTOCOMMIT"))
    return found


async def update_many(conn: AsyncConnection, tbl: Table, rows: list[dict[str, Any]], cols: tuple[str, ...]) -> None:
    """One executemany UPDATE by id for all changed rows of a table (not a round trip per row)."""
    if not rows:
        return
    stmt = tbl.update().where(tbl.c.id == bindparam("b_id")).values({c: bindparam(f"b_{c}") for c in cols})
    await conn.execute(stmt, [{"b_id": r["id"], **{f"b_{c}": r[c] for c in cols}} for r in rows])


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection, one transaction, committed on success and rolled back on any error; the wake-up keys
    its writers announce go out in one statement before the commit (app/bus.py)."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(**{_IMMEDIATE: True})
        async with conn.begin(), announcements(conn):
            yield conn
        if WRITTEN.get() is not None and conn.dialect.driver == "asyncpg":  # read-your-writes (app/lsn.py)
            await _note_commit(engine, conn)


async def _note_commit(engine: AsyncEngine, conn: AsyncConnection) -> None:
    """The primary's WAL position after a commit, for read-your-writes: on the connection that committed, or,
    should that fail, on another; never an error, since the write is committed whatever happens here (without
    it, the client's next reads may not see the write, which is the most a lost connection can cost)."""
    try:
        await note_commit((await conn.get_raw_connection()).driver_connection)
        return
    except Exception as exc:
        log.info("the WAL position after a commit was not read (%s); trying another connection", type(exc).__name__)
    try:
        async with plain_connection(engine) as plain:
            if isinstance(plain, PlainConnection) and plain.fairy is not None:
                await note_commit(plain.fairy.driver_connection)
    except Exception as exc:
        log.warning("the WAL position after a commit is unknown (%s: %s): the client's next reads may not see "
                    "its write", type(exc).__name__, str(exc)[:200])


@asynccontextmanager
async def read_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A short-lived connection for one loader batch or one listing query."""
    async with engine.connect() as conn:
        yield conn
