"""One open embedded database per path inside a process.

Kuzu lets one process open the same directory twice; the two handles then do not
see each other's writes and closing them loses one side's acknowledged writes. A
second open of a path that is already open in this process is therefore refused
with a ``StorageError`` that names the first opener (reuse that instance, or close it).
"""

from __future__ import annotations

import gc
import threading
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from alma_graph.errors import StorageError

_lock = threading.Lock()
_open: dict[str, tuple[weakref.ref, str]] = {}  # resolved path -> (the store, who opened it)


def claim(path: Path, store: Any, project_id: str) -> None:
    """Register ``store`` as the one open handle on ``path``, or refuse if another is open."""
    key = str(Path(path).resolve())
    opener = (f"project {project_id!r}, opened at {datetime.now(timezone.utc):%H:%M:%S} UTC "
              f"in thread {threading.current_thread().name!r}")
    with _lock:
        held = _open.get(key)
        if held is not None and held[0]() is not None:
            gc.collect()  # an instance dropped without close() may only wait for the cycle collector
        if held is not None and held[0]() is not None:
            raise StorageError(
                f"the Kuzu store at {key} is already open in this process ({held[1]}); two handles on one "
                "embedded store would not see each other's writes — reuse the open ALMA instance or close it first"
            )
        _open[key] = (weakref.ref(store), opener)


def release(path: Path, store: Any) -> None:
    key = str(Path(path).resolve())
    with _lock:
        held = _open.get(key)
        if held is not None and held[0]() in (store, None):
            del _open[key]
