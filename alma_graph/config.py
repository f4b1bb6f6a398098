"""Configuration: ALMA's ``.alma/config.yaml`` format plus the graph keys.

Validation is strict on purpose: ALMA silently falls back on unknown keys and
storage names, which hides typos. Here an unknown key or value is a
``ConfigError`` that names the key and suggests the closest valid one.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from alma_graph.errors import ConfigError
from alma_graph.memory.validation import check_label, check_name
from alma_graph.retrieval.recipes import RecipeConfig, SignalConfig, recipe_names  # noqa: F401 (re-exported)

_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_CLIENT_TOKEN = re.compile(r"alma\.server\.clients\.[^.]+\.token")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class AgentConfig(_Strict):
    """One agent's scope and sharing, as in ALMA's ``agents:`` section."""

    domain: str | None = None
    description: str | None = None
    can_learn: list[str] = Field(default_factory=list)
    cannot_learn: list[str] = Field(default_factory=list)
    share_with: list[str] = Field(default_factory=list)  # "*" shares with every agent
    inherit_from: list[str] = Field(default_factory=list)
    min_occurrences_for_heuristic: int | None = Field(default=None, ge=1, le=1000)

    @field_validator("share_with", "inherit_from")
    @classmethod
    def _agent_names(cls, names: list[str]) -> list[str]:
        return [n if n == "*" else check_name(n) for n in names]

    @field_validator("can_learn", "cannot_learn")
    @classmethod
    def _labels(cls, labels: list[str]) -> list[str]:
        return [check_label(label, "scope entry") for label in labels]


class Weights(_Strict):
    """ALMA's four ranking factors plus feedback; they need not sum to one."""

    similarity: float = Field(default=0.4, ge=0)
    recency: float = Field(default=0.3, ge=0)
    success_rate: float = Field(default=0.2, ge=0)
    confidence: float = Field(default=0.1, ge=0)
    feedback: float = Field(default=0.15, ge=0)


class RetrievalConfig(_Strict):
    default_top_k: int = Field(default=5, ge=1, le=1000)
    recipe: str = "hybrid"  # a built-in recipe (see alma_graph/retrieval/recipes.py) or one of `recipes`
    recipes: dict[str, RecipeConfig] = Field(default_factory=dict)
    weights: Weights = Field(default_factory=Weights)
    recency_half_life_days: float = Field(default=30.0, gt=0)
    # Candidates below this cosine similarity are not returned at all: an
    # unrelated memory in the prompt costs tokens and misleads the agent.
    min_similarity: float = Field(default=0.1, ge=-1, le=1)
    max_inheritance_depth: int = Field(default=5, ge=1, le=20)
    # Where dense and BM25 candidates come from: "local" (FAISS + BM25 in the process,
    # derived from the graph) or "server" (Neo4j's own vector and full-text indexes).
    # Unset: local on Kuzu, server on Neo4j (docs/neo4j.md).
    indexes: Literal["server", "local"] | None = None
    # How a query is embedded (memories are always embedded exactly). "int8": through an
    # int8-quantised MiniLM (indexes/onnx_minilm.py), vectors within ~0.99 cosine of the
    # exact ones; its weights (11 MB, not 42) stay in the CPU's cache, so a hybrid retrieve
    # at 10,000 memories took 5.0 ms instead of 6.8 (benchmarks/vs_alma.py), and LoCoMo dev
    # recall_any@5 moved by -0.004 (hybrid) and +0.009 (dense only). "exact": queries
    # embedded like memories.
    query_embedding: Literal["exact", "int8"] = "int8"


class ExtractionConfig(_Strict):
    """spaCy entity and relation extraction on every write."""

    enabled: bool = True
    # A newer fact with the same subject and one of these predicates closes the older one.
    single_valued_predicates: list[str] = Field(default_factory=lambda: [
        "works_at", "lives_in", "uses_version", "owns", "member_of", "reports_to", "located_in", "married_to",
    ])
    aliases: dict[str, str] = Field(default_factory=dict)  # alias -> canonical name
    # Concept nodes from noun phrases (knowledge/concepts.py), and SIMILAR edges between
    # concepts whose names' embeddings are at least this close, at most so many per new concept.
    concepts: bool = True
    concept_similarity: float = Field(default=0.8, gt=0, le=1)
    concept_similar_max: int = Field(default=5, ge=0, le=100)


class LearningConfig(_Strict):
    similarity_threshold: float = Field(default=0.7, gt=0, le=1)
    min_occurrences_for_heuristic: int = Field(default=3, ge=1, le=1000)
    min_failures_for_anti_pattern: int = Field(default=2, ge=1, le=1000)
    # An anti-pattern's better_alternative is the most similar heuristic of its task type,
    # and only when at least this similar (cosine of the two memories' texts): else none.
    alternative_similarity_threshold: float = Field(default=0.4, ge=-1, le=1)


LifecycleKind = Literal["heuristic", "anti_pattern", "domain_knowledge", "outcome", "preference"]


_LIFECYCLE_KINDS: tuple[LifecycleKind, ...] = ("heuristic", "anti_pattern", "domain_knowledge")


class DecayConfig(_Strict):
    """Confidence fades while a memory goes unused and recovers when it is used."""

    enabled: bool = True
    half_life_days: float = Field(default=90.0, gt=0)
    grace_days: float = Field(default=7.0, ge=0)  # no decay within this long of the last use / validation
    reinforce_on_use: float = Field(default=0.1, ge=0, le=1)  # share of the gap to 1 regained per use
    kinds: list[LifecycleKind] = Field(default_factory=lambda: list(_LIFECYCLE_KINDS))


class ForgetPolicyConfig(_Strict):
    """What a lifecycle run archives (each criterion off when null). Archived memories are
    audited and can be restored."""

    below_confidence: float | None = Field(default=0.05, ge=0, le=1)
    older_than_days: float | None = Field(default=None, gt=0)
    max_per_agent: int | None = Field(default=None, ge=1)  # per agent and kind, the best are kept
    kinds: list[LifecycleKind] = Field(default_factory=lambda: list(_LIFECYCLE_KINDS))


class ConsolidateConfig(_Strict):
    enabled: bool = False  # merge near-duplicates on each lifecycle run
    similarity_threshold: float = Field(default=0.92, gt=0, le=1)


class ScheduleConfig(_Strict):
    """When the lifecycle runs by itself; with neither set, only ``run_lifecycle()`` runs it."""

    on_open: bool = False
    every_n_writes: int | None = Field(default=None, ge=1)


class LifecycleConfig(_Strict):
    decay: DecayConfig = Field(default_factory=DecayConfig)
    forget: ForgetPolicyConfig = Field(default_factory=ForgetPolicyConfig)
    consolidate: ConsolidateConfig = Field(default_factory=ConsolidateConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)


class Neo4jConfig(_Strict):
    uri: str = "bolt://localhost:7687"
    user: str = "neo4j"
    password: str | None = None
    database: str = "neo4j"


class ClientConfig(_Strict):
    """A client of ``alma-graph serve``: its bearer token and the agents and users it may act as."""

    # None when its ${VAR} is unset: fine for in-process use, refused by `serve`.
    token: SecretStr | None
    agents: list[str] = Field(default_factory=list)  # ["*"]: every agent
    users: list[str] = Field(default_factory=list)  # ["*"]: every user
    read_only: bool = False

    @field_validator("agents", "users")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        return [n if n == "*" else check_name(n) for n in names]

    @field_validator("token")
    @classmethod
    def _long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < 16:
            raise ValueError("a client token needs at least 16 characters (use a long random secret)")
        return token


class ServerConfig(_Strict):
    """``alma-graph serve``: who may connect (see docs/security.md)."""

    clients: dict[str, ClientConfig] = Field(default_factory=dict)

    @field_validator("clients")
    @classmethod
    def _distinct_tokens(cls, clients: dict[str, ClientConfig]) -> dict[str, ClientConfig]:
        tokens = [c.token.get_secret_value() for c in clients.values() if c.token is not None]
        if len(tokens) != len(set(tokens)):
            raise ValueError("two clients share a token; give each client its own")
        for name in clients:
            check_name(name, "client name")
        return clients

class WebhookConfig(_Strict):
    """One signed webhook that every process opening the store delivers to (CLI, MCP, Python).
    Put the secret in the environment: ``secret: ${ALMA_WEBHOOK_SECRET}``."""

    url: str
    secret: str = Field(min_length=1)
    events: list[Literal["created", "updated", "deleted", "accessed", "consolidated"]] | None = None  # default: all but accessed
    timeout_seconds: float = Field(default=5.0, gt=0, le=300)  # per attempt
    max_attempts: int = Field(default=5, ge=1, le=100)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+", url):
            raise ValueError(f"a webhook url must be an http:// or https:// URL with a host, got {url!r}")
        return url


class ALMAConfig(_Strict):
    project_id: str = "default"
    storage: Literal["kuzu", "neo4j"] = "kuzu"
    storage_dir: str = ".alma"
    embedding_provider: Literal["local"] = "local"
    neo4j: Neo4jConfig = Field(default_factory=Neo4jConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    learning: LearningConfig = Field(default_factory=LearningConfig)
    extraction: ExtractionConfig = Field(default_factory=ExtractionConfig)
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)
    agents: dict[str, AgentConfig] = Field(default_factory=dict)
    server: ServerConfig = Field(default_factory=ServerConfig)
    webhooks: list[WebhookConfig] = Field(default_factory=list)

    @field_validator("project_id")
    @classmethod
    def _project_id(cls, value: str) -> str:
        return check_name(value, "project_id")

    @field_validator("agents")
    @classmethod
    def _agent_keys(cls, agents: dict[str, AgentConfig]) -> dict[str, AgentConfig]:
        for name in agents:
            check_name(name)
        return agents

    @model_validator(mode="after")
    def _known_recipe(self) -> "ALMAConfig":
        names = recipe_names(self.retrieval.recipes)
        if self.retrieval.recipe not in names:
            raise ValueError(f"retrieval.recipe {self.retrieval.recipe!r} is not a recipe; choose one of {names}")
        return self

    @model_validator(mode="after")
    def _indexes_fit_storage(self) -> "ALMAConfig":
        if self.retrieval.indexes == "server" and self.storage != "neo4j":
            raise ValueError(f"retrieval.indexes 'server' needs storage: neo4j (storage is {self.storage!r}); "
                             "use 'local' or leave it unset")
        return self

    def agent(self, name: str) -> AgentConfig:
        """The agent's config; agents not in the config may learn anything."""
        return self.agents.get(name) or AgentConfig()


def expand_env(value: Any, where: str = "alma") -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string of a parsed config.

    A backend's section (``neo4j:``) is resolved only when ``storage`` selects it, so a
    Kuzu config may name ``${NEO4J_PASSWORD}`` without the variable being set."""
    if isinstance(value, dict) and where == "alma":
        storage = expand_env(value.get("storage", "kuzu"), f"{where}.storage")
        return {k: (_expand_unused_backend(v, f"{where}.{k}") if k in BACKEND_SECTIONS and k != storage
                    else expand_env(v, f"{where}.{k}"))
                for k, v in value.items()}
    if isinstance(value, dict):
        return {k: expand_env(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    whole = _ENV_PATTERN.fullmatch(value)
    if whole and _CLIENT_TOKEN.fullmatch(where) and whole.group(1) not in os.environ and whole.group(2) is None:
        return None  # an unset client token only matters to `serve`, which refuses to start without it

    def substitute(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{where}: environment variable {name} is not set (write ${{{name}:-default}} to give a default)")

    return _ENV_PATTERN.sub(substitute, value)


BACKEND_SECTIONS = ("neo4j",)  # config sections that belong to one storage backend


def _expand_unused_backend(section: Any, where: str) -> Any:
    """The section of a backend not in use: its keys are still checked, but a value whose
    environment variable is not set falls back to the default instead of failing."""
    if not isinstance(section, dict):
        return section
    expanded = {}
    for key, value in section.items():
        try:
            expanded[key] = expand_env(value, f"{where}.{key}")
        except ConfigError:
            continue  # e.g. ${NEO4J_PASSWORD} with storage: kuzu
    return expanded


def _field_names(path: tuple) -> list[str]:
    """The valid keys at ``path`` in the config tree, for 'did you mean' hints."""
    model: type[BaseModel] = ALMAConfig
    i = 0
    while i < len(path):
        if model is ALMAConfig and path[i] == "agents":
            model, i = AgentConfig, i + 2  # skip the agent's name
            continue
        if model is ServerConfig and path[i] == "clients":
            model, i = ClientConfig, i + 2  # skip the client's name
            continue
        field = model.model_fields.get(str(path[i]))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model, i = annotation, i + 1
    return list(model.model_fields)


def _explain(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        loc = tuple(item["loc"])
        key = "alma." + ".".join(str(p) for p in loc)
        if item["type"] == "extra_forbidden":
            valid = _field_names(loc[:-1])
            guess = difflib.get_close_matches(str(loc[-1]), valid, n=1)
            hint = f" (did you mean {guess[0]!r}?)" if guess else (f" (valid keys: {', '.join(valid)})" if valid else "")
            lines.append(f"{key}: unknown key{hint}")
        else:
            msg = item["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            key = key.rstrip(".")
            got = item.get("input")
            lines.append(f"{key}: {msg}" + ("" if isinstance(got, dict) else f" (got {got!r})"))
    return "invalid alma_graph config:\n  " + "\n  ".join(lines)


def parse_config(data: Any, source: str = "config") -> ALMAConfig:
    """Validate an already-parsed config mapping (with or without the ``alma:`` root)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping with an 'alma:' key")
    if "alma" in data:
        extra = set(data) - {"alma"}
        if extra:
            raise ConfigError(f"{source}: unknown top-level key(s) {sorted(extra)}; everything goes under 'alma:'")
        data = data["alma"] or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: 'alma:' must be a mapping")
    data = expand_env(data)
    try:
        return ALMAConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_explain(exc)}") from None


def project_folder(config_path: str | os.PathLike) -> Path:
    """The folder a config file belongs to: the one holding ``.alma/``, else the file's own."""
    path = Path(config_path)
    return path.parent.parent if path.parent.name == ".alma" else path.parent


def load_config(path: str | os.PathLike) -> ALMAConfig:
    """Read and validate a YAML config file."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist (create one with `alma-graph init`)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    config = parse_config(data, str(path))
    storage_dir = Path(config.storage_dir)
    if not storage_dir.is_absolute():
        # A relative storage_dir is relative to the directory holding .alma/, i.e. the project.
        base = project_folder(path)
        config.storage_dir = str((base / storage_dir).resolve())
    return config
