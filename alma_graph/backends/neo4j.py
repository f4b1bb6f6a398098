"""A Neo4j server over Bolt: the store for many processes and for Neo4j Browser.

Every domain operation comes from ``GraphStore``; this module only connects,
runs statements, manages transactions and creates the schema; the searches on
the server's own vector and full-text indexes come from ``ServerSearch``. Many
processes may share one project here (``shared = True``) and follow the graph's
write generation (see ``Context.refresh``).
"""

from __future__ import annotations

import logging
import time as time_module
from contextlib import contextmanager
from datetime import date, datetime, time, timezone
from typing import Any

from alma_graph.backends.neo4j_search import ServerSearch
from alma_graph.errors import StorageError
from alma_graph.queries import neo4j as nq
from alma_graph.queries import neo4j_search as sq

log = logging.getLogger(__name__)

CONNECTION_TIMEOUT_S = 15.0
RETRY_DELAYS_S = (0.05, 0.1, 0.2, 0.5, 1.0)
INDEX_WAIT_S = 600  # populating new indexes over a large existing store takes a while
_PLAIN = (str, int, float, bool, type(None))


class Neo4jStore(ServerSearch):
    name = "neo4j"
    shared = True

    def __init__(self, neo4j_config: Any, project_id: str, dimension: int):
        super().__init__(project_id, dimension)
        import neo4j

        self._neo4j = neo4j
        self.uri = neo4j_config.uri
        self.user = neo4j_config.user
        self.database = neo4j_config.database
        self._tx = None
        self._session: Any = None
        # The newest generation this process has seen every write up to (see bump_generation).
        self._seen_generation: int | None = None
        auth = (self.user, neo4j_config.password) if neo4j_config.password is not None else None
        if not self.uri.split("://", 1)[0].lower().startswith(("bolt", "neo4j")):
            # The driver's HTTP mode is a preview needing extra packages; 7474 is Browser's port.
            raise StorageError(
                f"alma.neo4j.uri {self.uri!r} is not a Bolt URI: use bolt://host:7687 or neo4j://host:7687 "
                "(port 7474 serves Neo4j Browser over HTTP, not the database protocol)"
            )
        try:
            self._driver = neo4j.GraphDatabase.driver(
                self.uri, auth=auth, connection_timeout=CONNECTION_TIMEOUT_S,
                notifications_min_severity="OFF",  # e.g. the cartesian-product hint on MATCH (a), (b)
            )
        except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
            raise StorageError(
                f"invalid Neo4j URI {self.uri!r} (alma.neo4j.uri): {exc}; "
                "use bolt://host:7687 or neo4j://host:7687"
            ) from None
        try:
            self._connect(neo4j_config.password)
            self._create_schema()
        except BaseException:
            self.close()
            raise

    @property
    def location(self) -> str:
        return f"{self.uri} (database {self.database})"

    def _connect(self, password: str | None) -> None:
        exceptions = self._neo4j.exceptions
        try:
            self._driver.verify_connectivity()
            self._session = self._driver.session(database=self.database)
            self._session.run("RETURN 1").consume()  # an unknown database fails here, not later
        except exceptions.AuthError:
            hint = ("no password is configured: set alma.neo4j.password (e.g. \"${NEO4J_PASSWORD}\")"
                    if password is None else "check alma.neo4j.user and alma.neo4j.password (NEO4J_PASSWORD)")
            raise StorageError(
                f"Neo4j at {self.uri} refused the credentials of user {self.user!r}: {hint}"
            ) from None
        except exceptions.ServiceUnavailable as exc:
            raise StorageError(
                f"cannot reach a Neo4j server at {self.uri}: {exc}. Check that the server is running "
                "(`python -m alma_graph.neo4j_local` starts one locally, or `docker compose up neo4j`), "
                "that alma.neo4j.uri names its Bolt port, and that no firewall is in the way"
            ) from None
        except exceptions.ClientError as exc:
            if "DatabaseNotFound" in (exc.code or ""):
                raise StorageError(
                    f"Neo4j at {self.uri} has no database {self.database!r}: set alma.neo4j.database "
                    "(Community edition has only 'neo4j')"
                ) from None
            raise StorageError(f"Neo4j at {self.uri} refused the connection: {exc.message}") from None

    # -- primitives ------------------------------------------------------------------

    def run(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if self._session is None:
                raise StorageError(f"the Neo4j store at {self.location} is closed")
            in_transaction = self._tx is not None
            runner: Any = self._tx if in_transaction else self._session
            for delay in (*RETRY_DELAYS_S, None):
                try:
                    result = runner.run(query, params or {})
                    keys = result.keys()
                    return [{k: _native(v) for k, v in zip(keys, record.values())} for record in result]
                except self._neo4j.exceptions.Neo4jError as exc:
                    # An auto-commit statement that hit a deadlock or lock timeout was rolled
                    # back whole, so running it again is safe; inside a transaction it is not.
                    if in_transaction or delay is None or not exc.is_retryable():
                        raise StorageError(f"Neo4j rejected a statement: {exc.code}: {exc.message}") from exc
                    log.debug("retrying after %s", exc.code)
                    time_module.sleep(delay)
                except self._neo4j.exceptions.DriverError as exc:
                    raise StorageError(f"lost the connection to Neo4j at {self.uri}: {exc}") from exc
            raise AssertionError("unreachable")

    @contextmanager
    def transaction(self):
        with self._lock:
            if self._tx is not None:  # nested: the outer transaction decides
                yield
                return
            if self._session is None:
                raise StorageError(f"the Neo4j store at {self.location} is closed")
            try:
                tx = self._session.begin_transaction()
            except self._neo4j.exceptions.DriverError as exc:
                raise StorageError(f"lost the connection to Neo4j at {self.uri}: {exc}") from exc
            self._tx = tx
            try:
                # Lock this project's generation node first: write transactions of one
                # project then run one after another across processes and cannot deadlock.
                self.run(nq.LOCK_PROJECT, {"key": f"{self.project_id}/generation"})
                yield
            except BaseException:
                self._tx = None
                try:
                    tx.rollback()
                except Exception:  # the server may already have rolled back a failed transaction
                    pass
                tx.close()
                raise
            self._tx = None
            try:
                tx.commit()
            except self._neo4j.exceptions.Neo4jError as exc:
                raise StorageError(f"Neo4j could not commit: {exc.code}: {exc.message}") from exc
            except self._neo4j.exceptions.DriverError as exc:
                raise StorageError(f"lost the connection to Neo4j at {self.uri} while committing: {exc}") from exc
            finally:
                tx.close()

    def _create_memories_query(self) -> str:
        return nq.create_memories()

    def close(self) -> None:
        with self._lock:
            session, driver = self._session, getattr(self, "_driver", None)
            self._session = self._driver = None  # type: ignore[assignment]
            try:
                if session is not None:
                    session.close()
            finally:
                if driver is not None:
                    driver.close()

    # -- the write generation, shared by every process on this project ------------------

    def generation(self) -> int:
        value = super().generation()
        with self._lock:
            if self._tx is None:  # a value read outside a write is what the caller now syncs to
                self._seen_generation = value
        return value

    def bump_generation(self) -> int:
        """Increment atomically and return the generation this process's derived
        index now reflects: the new value when no other process wrote since this one
        last looked, otherwise the last value it had seen, so the caller's index
        stays tagged stale and is rebuilt on its next read."""
        [row] = self.run(nq.BUMP_GENERATION, {"key": f"{self.project_id}/generation"})
        new = row["value"]
        with self._lock:
            seen = self._seen_generation
            if seen is None or new == seen + 1:
                self._seen_generation = new
                return new
            log.debug("generation moved %s -> %s under another writer; index will re-sync", seen, new)
            return seen

    # -- schema ----------------------------------------------------------------------

    def _create_schema(self) -> None:
        existing = {row["name"] for row in self.run(nq.SCHEMA_NAMES)}
        missing = {name: statement for name, statement in
                   {**nq.schema_statements(), **sq.search_schema(self.dimension)}.items() if name not in existing}
        for statement in missing.values():
            try:
                self.run(statement)
            except StorageError as exc:
                # Another process opening at the same moment created it first.
                if "AlreadyExists" not in str(exc):
                    raise
        if missing:  # new indexes over existing nodes fill in the background: wait for them
            self.run(sq.AWAIT_INDEXES, {"seconds": INDEX_WAIT_S})
        self._check_schema_version()
        self._fill_search_text()


def _native(value: Any) -> Any:
    """Driver values -> plain Python; temporal values become timezone-aware UTC datetimes."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, list):
        if all(isinstance(v, _PLAIN) for v in value):  # property lists (embeddings) as they are
            return value
        return [_native(v) for v in value]
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    to_native = getattr(value, "to_native", None)
    if to_native is not None:
        native = to_native()
        if isinstance(native, datetime):
            return native.replace(tzinfo=timezone.utc) if native.tzinfo is None else native.astimezone(timezone.utc)
        if isinstance(native, (date, time)):
            return native
        return native
    return value
