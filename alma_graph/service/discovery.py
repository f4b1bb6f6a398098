"""The discovery file: how clients find the service that owns a store.

``alma-graph serve`` writes ``<storage_dir>/service.json`` (pid, host, port, URL,
state) when it starts and removes it when it exits. A client that reads a file
whose process is gone treats it as stale. The file is claimed with ``O_EXCL``,
so two servers starting at once cannot both own the store.

This module must stay light: the thin CLI imports it before deciding whether to
load the library at all (no torch, spaCy, Kuzu, pydantic).
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from alma_graph.errors import ConfigError, StorageError

FILE_NAME = "service.json"
URL_ENV = "ALMA_GRAPH_URL"
TOKEN_ENV = "ALMA_GRAPH_TOKEN"
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class ServiceInfo:
    pid: int
    host: str
    port: int
    url: str
    state: str  # "starting" while the models load, then "ready"
    project_id: str
    config: str
    started_at: float

    def describe(self) -> str:
        return f"pid {self.pid}, {self.url}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def read(storage_dir: str | os.PathLike) -> ServiceInfo | None:
    """The live service of a storage dir, or None (no file, an unreadable one, or a dead process)."""
    path = Path(storage_dir) / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        info = ServiceInfo(**data)
    except (OSError, ValueError, TypeError):
        return None
    return info if pid_alive(info.pid) else None


def claim(storage_dir: str | os.PathLike, info: ServiceInfo) -> Path:
    """Write the discovery file for this process; refuse when a live service owns the store."""
    directory = Path(storage_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            running = read(directory)
            if running is not None and running.pid != os.getpid():
                raise StorageError(f"a service already serves this store ({running.describe()}); "
                                   f"use it, or stop it first (kill {running.pid})") from None
            path.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(info), handle)
        return path
    raise StorageError(f"could not claim {path}: another service started at the same moment")


def update(path: Path, info: ServiceInfo) -> None:
    """Rewrite the file atomically (e.g. starting -> ready)."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(info)), encoding="utf-8")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def release(path: Path) -> None:
    """Remove the file if it is still this process's."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def storage_dir_of(config: str | os.PathLike) -> Path | None:
    """The storage dir a config file names, read without validating the whole config (the thin
    path must not pay for pydantic). None when the file does not exist."""
    import yaml

    path = Path(config)
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    section = data.get("alma", data) if isinstance(data, dict) else {}
    value = section.get("storage_dir", ".alma") if isinstance(section, dict) else ".alma"
    value = _ENV.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), str(value))
    storage = Path(value).expanduser()
    if not storage.is_absolute():  # as load_config: relative to the folder holding .alma/
        base = path.parent.parent if path.resolve().parent.name == ".alma" else path.parent
        storage = base / storage
    return storage.resolve()


def wait_until_ready(storage_dir: Path, info: ServiceInfo, timeout: float = 180) -> ServiceInfo | None:
    """Wait while a service loads its models; None if it died meanwhile."""
    deadline = time.monotonic() + timeout
    while info.state != "ready" and time.monotonic() < deadline:
        time.sleep(0.2)
        current = read(storage_dir)
        if current is None:
            return None
        info = current
    return info
