"""Starting ``alma-graph serve`` as a subprocess for the service tests (real models, real store)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

TOKENS = {"admin": "admin-token-5f0c8e2a9b7d4e61", "qa_bot": "qa-bot-token-1a2b3c4d5e6f7a8b",
          "reader": "reader-token-9e8d7c6b5a4f3e2d"}
CLIENTS = {
    "admin": {"token": "${T_ADMIN}", "agents": ["*"], "users": ["*"]},
    "qa_bot": {"token": "${T_QA}", "agents": ["qa"], "users": ["dana"]},
    "reader": {"token": "${T_READER}", "agents": ["*"], "users": ["*"], "read_only": True},
}
TOKEN_ENV = {"T_ADMIN": TOKENS["admin"], "T_QA": TOKENS["qa_bot"], "T_READER": TOKENS["reader"]}


def service_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **TOKEN_ENV}
    for name in ("ALMA_GRAPH_URL", "ALMA_GRAPH_TOKEN", "ALMA_GRAPH_CONFIG"):
        env.pop(name, None)
    env.update(extra)
    return env


def write_config(folder: Path, settings: dict[str, Any], clients: dict[str, Any] | None = CLIENTS) -> Path:
    config = folder / ".alma" / "config.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    alma = {"storage_dir": ".alma", "agents": {"qa": {"can_learn": ["testing", "general"]}, "dev": {}}, **settings}
    if clients is not None:
        alma["server"] = {"clients": clients}
    config.write_text(yaml.safe_dump({"alma": alma}))
    return config


class RunningService:
    def __init__(self, process: subprocess.Popen, config: Path, info: dict[str, Any], log: Path):
        self.process, self.config, self.info, self.log = process, config, info, log
        self.url = info["url"]
        self.discovery = config.parent / "service.json"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


def start_service(config: Path, env: dict[str, str] | None = None, timeout: float = 300) -> RunningService:
    """``alma-graph serve`` on a free port; returns once its discovery file says ready."""
    log = config.parent.parent / "service.log"
    handle = open(log, "w")
    process = subprocess.Popen([sys.executable, "-m", "alma_graph.cli", "serve", "--config", str(config)],
                               env=env or service_env(), cwd=config.parent.parent, stdout=handle, stderr=handle)
    discovery = config.parent / "service.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}: {log.read_text()}")
        try:
            info = json.loads(discovery.read_text())
            if info["state"] == "ready":
                return RunningService(process, config, info, log)
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    process.kill()
    raise TimeoutError(f"the service did not become ready: {log.read_text()}")


def run_cli(*args: str, env: dict[str, str], cwd: Path, stdin: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alma_graph.cli", *args], env=env, cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=timeout)
