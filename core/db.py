"""The database: an async SQLAlchemy engine (aiosqlite by default, asyncpg for PostgreSQL),
sessions, short synchronous units of work (`run_sync`), and schema upgrades through Alembic.

Exceptions: `DatabaseError` (the database could not be reached or upgraded).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

try:
    import fcntl
except ImportError:  # Windows: no flock; a development machine runs one process anyway
    fcntl = None  # type: ignore[assignment]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

T = TypeVar("T")


class DatabaseError(Exception):
    """The database could not be reached or its schema could not be upgraded."""


def _json_dumps(value: Any) -> str:
    # JSON columns (outbox payloads above all) are written on the webhook's hot path: orjson is
    # ~7x faster than json.dumps. Non-string keys are allowed, as json.dumps allowed them.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers and one writer work at once; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    # First: switching a fresh file to WAL takes the write lock, and several processes starting
    # at once on a new database would otherwise get "database is locked" instead of waiting.
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL keeps every commit across a crash or kill of the process; only a power
    # loss can drop the last commits. It saves an fsync per commit (~3 ms → ~0.1 ms here), which
    # is what a webhook writing its replies to the outbox pays on every update.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Database:
    def __init__(self, url: str, *, schema: str | None = None) -> None:
        """`schema` (PostgreSQL only) puts every table in that schema; tests use it to isolate runs."""
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.is_postgres = url.startswith("postgresql")
        kwargs: dict[str, Any] = {}
        if self.is_postgres:
            kwargs["pool_size"] = 10
            kwargs["pool_pre_ping"] = True
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.schema = schema
        json_codec = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs, **json_codec)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        # SQLite on a file: `run_sync` work goes to one writer thread with a plain sqlite3
        # connection (see there). An in-memory database exists once per connection, so it
        # keeps to the async engine.
        self._writer: Engine | None = None
        self._writer_thread: ThreadPoolExecutor | None = None  # started on first use
        if self.is_sqlite and (make_url(url).database or ":memory:") != ":memory:":
            self._writer = create_engine(make_url(url).set(drivername="sqlite"), **json_codec)
            event.listen(self._writer, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Handed to migrations as `context.config.attributes`: what a data migration needs from
        # the app, e.g. "pii_cipher" (a callable giving the `core.pii` cipher, set by AppContext).
        self.migration_attributes: dict[str, Any] = {}
        # The `core.pii` cipher personal data in this database is sealed with (set by the
        # composition root; code holding only a connection finds it with `Database.of`).
        self.cipher: Any = None
        _databases[self.engine.sync_engine] = self
        if self._writer is not None:
            _databases[self._writer] = self

    @staticmethod
    def of(conn: Connection) -> Database | None:
        """The `Database` a connection (from `run_sync` or a session) belongs to."""
        return _databases.get(conn.engine)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed together at the end, or not at all."""
        async with self.sessions() as session, session.begin():
            yield session

    async def run_sync(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` in one transaction, committed when it returns, rolled back when it
        raises; for short units of statements on a hot path (the webhook's group commit).

        On SQLite the whole transaction runs in one hop to a writer thread: through aiosqlite
        every statement, BEGIN and COMMIT is a thread round trip of its own, ≈ 0.5 ms of event
        loop CPU per transaction however small. Units queue in that thread one at a time, so
        they never contend with each other for SQLite's single write lock. On PostgreSQL,
        asyncpg is already asynchronous: the work runs on an async connection."""
        if self._writer is not None:
            if self._writer_thread is None:
                self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
            return await asyncio.get_running_loop().run_in_executor(
                self._writer_thread, partial(_in_transaction, self._writer, work)
            )
        async with self.engine.begin() as conn:
            return await conn.run_sync(work)

    async def upgrade(self) -> None:
        """Bring the schema to the newest revision of every domain's migrations.

        Safe to call from several processes at once (every `yizhan serve` upgrades as it
        starts): they take turns, and each one after the first finds the schema at head."""
        try:
            async with self._migration_lock(), self.engine.begin() as conn:
                if self.is_postgres:
                    # Transaction-scoped, so PostgreSQL drops it at commit, rollback, or when
                    # the connection dies: a crashed upgrade never leaves the lock held, as a
                    # session lock on a pooled connection could. Taken before CREATE SCHEMA,
                    # which races too (unique violation on pg_namespace).
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": migration_lock_key(self.schema)},
                    )
                    if self.schema:
                        await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                await conn.run_sync(_run_upgrade, self.migration_attributes)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"数据库升级失败：{exc}") from exc

    @asynccontextmanager
    async def _migration_lock(self) -> AsyncIterator[None]:
        """SQLite file: an exclusive lock on a file beside the database while migrating.

        pysqlite runs DDL outside any transaction, so two processes migrating one new file
        would both try CREATE TABLE; SQLite's own busy timeout (10 s) is also too short to wait
        out a long data migration. Polled rather than blocking, so a cancelled start-up stops
        waiting. PostgreSQL (and in-memory SQLite, one connection's own) need nothing here."""
        database = make_url(self.url).database if self.is_sqlite else None
        if not database or database == ":memory:" or fcntl is None:
            yield
            return
        with open(f"{database}.migrate-lock", "a+b") as handle:
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    async def checkpoint(self) -> bool:
        """SQLite file: copy the write-ahead log into the database and empty it
        (`wal_checkpoint(TRUNCATE)`), so old versions of rows (a card before it was blanked, a
        purged row) do not linger in the `-wal` file. True when the log was emptied (readers
        in the middle of a transaction can hold it back; the next checkpoint catches up).
        Elsewhere nothing to do (True)."""
        if self._writer is None:
            return True

        def truncate(conn: Connection) -> bool:
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
            return busy is None or not busy[0]

        if self._writer_thread is None:
            self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        # Outside a transaction (a checkpoint cannot run inside one), in the writer thread so it
        # never waits for the writer's own work.
        return await asyncio.get_running_loop().run_in_executor(
            self._writer_thread, partial(_outside_transaction, self._writer, truncate)
        )

    # -- a change signal between processes on one SQLite file ----------------------------------

    def _generation_file(self, name: str) -> Path | None:
        database = make_url(self.url).database if self.is_sqlite else None
        if not database or database == ":memory:":
            return None
        return Path(f"{database}.{name}-generation")

    def generation(self, name: str) -> str | None:
        """What `bump_generation(name)` last wrote, by any process, for a SQLite file ("" before
        the first bump); None elsewhere. A read of a few bytes beside the database, cheap
        enough to poll twice a second.

        Why: on the default set-up (SQLite, no Redis) each process's key-value store is its
        own, so a change signalled through it (a CLI `stations revoke`) never reaches a running
        server. PostgreSQL deployments share Redis, which carries the signal."""
        path = self._generation_file(name)
        if path is None:
            return None
        try:
            return path.read_text()
        except FileNotFoundError:
            return ""

    def bump_generation(self, name: str) -> None:
        """Tell every process on this SQLite file that `name` changed (nothing elsewhere).
        Written whole and renamed into place, so a reader never sees half a value."""
        path = self._generation_file(name)
        if path is None:
            return
        token = f"{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_text(token)
        os.replace(temporary, path)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except (SQLAlchemyError, OSError):
            return False

    async def close(self) -> None:
        await self.engine.dispose()
        if self._writer is not None and self._writer_thread is not None:
            thread, self._writer_thread = self._writer_thread, None
            await asyncio.get_running_loop().run_in_executor(thread, self._writer.dispose)
            thread.shutdown(wait=False)


_databases: weakref.WeakKeyDictionary[Engine, Database] = weakref.WeakKeyDictionary()


def _outside_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return work(conn)


def _in_transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    with engine.begin() as conn:
        return work(conn)


def migration_lock_key(schema: str | None) -> int:
    """The advisory lock key of migrations in `schema`: a stable signed 64-bit number, so runs
    in different schemas of one database (tests, several deployments) do not wait for each
    other."""
    digest = hashlib.blake2b(f"yizhan:migrate:{schema or ''}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def alembic_config(
    connection: Connection | None = None, attributes: dict[str, Any] | None = None
) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes.update(attributes or {})
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _run_upgrade(connection: Connection, attributes: dict[str, Any]) -> None:
    # Each domain has its own branch of migrations; "heads" upgrades all of them.
    command.upgrade(alembic_config(connection, attributes), "heads")
