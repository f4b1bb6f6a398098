"""Issue #12 item 11: a long ingestion shows an ETA, stops cleanly on Ctrl-C keeping what it
committed, and a second run continues without duplicates. A real SIGINT to a real CLI process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from alma_graph import ALMA

ALMA_GRAPH = Path(sys.executable).parent / "alma-graph"
FILES = 500  # one chunk each: 4 batches of 128, so Ctrl-C after the first lands mid-run


def cli(*args: str, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.Popen([str(ALMA_GRAPH), *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.kuzu_only
def test_ctrl_c_keeps_the_committed_batches_and_a_rerun_resumes(tmp_path, embedder, backend):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(FILES):
        (docs / f"note-{i:04d}.md").write_text(f"# Note {i}\n\nService {i} restarts after deploy number {i}.\n")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"alma": {"project_id": "ing", "storage": "kuzu",
                                               "storage_dir": str(tmp_path / "store")}}))

    process = cli("ingest", str(docs), "--agent", "qa", "--progress", "--config", str(config), cwd=tmp_path)
    stderr: list[str] = []
    progressed = threading.Event()

    def read_progress() -> None:
        while chunk := process.stderr.read(64):
            stderr.append(chunk)
            done = re.findall(r"(\d+)/%d \[" % FILES, "".join(stderr)[-400:])
            if done and int(done[-1]) >= 128 and "ETA" in "".join(stderr)[-400:]:
                progressed.set()

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    assert progressed.wait(timeout=240), "".join(stderr)[-2000:]
    process.send_signal(signal.SIGINT)
    reader.join(timeout=120)  # stderr ends when the process exits; the reader owns that pipe
    stdout = process.stdout.read()
    process.wait(timeout=60)
    output = "".join(stderr)
    assert process.returncode == 130, output[-2000:]
    assert "ETA 0" in output or re.search(r"ETA \d\d:\d\d", output)  # the bar estimates the time left
    assert "interrupted (Ctrl-C)" in stdout and "Traceback" not in output
    kept = int(re.search(r"added: .*?domain_knowledge (\d+)", stdout).group(1))
    assert 0 < kept < FILES

    with ALMA.quickstart(tmp_path / "store", project_id="ing", embedder=embedder) as alma:
        assert alma.stats()["total_memories"] == kept  # every reported write is there, nothing half-done

    rerun = subprocess.run([str(ALMA_GRAPH), "ingest", str(docs), "--agent", "qa", "--no-progress", "--json",
                            "--config", str(config)], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                           env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    report = yaml.safe_load(rerun.stdout)
    assert report["added"]["domain_knowledge"] == FILES - kept
    assert report["duplicates"] == {"domain_knowledge": kept}
    with ALMA.quickstart(tmp_path / "store", project_id="ing", embedder=embedder) as alma:
        texts = [r["text"] for r in alma.store.memory_texts()]
        assert len(texts) == len(set(texts)) == FILES  # resumed, no duplicates
