"""The web viewer's part of the service: ``GET /v1/agents`` (who the caller is, and the
agents it may see with their sharing and scopes) and the built viewer at ``/ui/``.

The viewer is a static page (built from ``clients/web`` with esbuild into ``ui_static/``,
shipped as package data, so serving it needs no Node). The page itself is public — it
holds no data; every call it makes carries the client token the person signs in with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from starlette.staticfiles import StaticFiles

UI_PATH = "/ui"
UI_STATIC = Path(__file__).resolve().parent / "ui_static"

router = APIRouter(prefix="/v1")


class ClientInfo(BaseModel):
    name: str
    agents: list[str] = Field(description="The agents it may act as; ['*']: any.")
    users: list[str] = Field(description="The users it may name; ['*']: any.")
    read_only: bool


class AgentInfo(BaseModel):
    name: str
    may_act: bool = Field(description="The caller may act as this agent (else it is seen through sharing).")
    in_config: bool
    domain: str | None = None
    description: str | None = None
    can_learn: list[str]
    cannot_learn: list[str]
    inherit_from: list[str]
    share_with: list[str]


class Agents(BaseModel):
    client: ClientInfo
    agents: list[AgentInfo] = Field(description="The caller's agents and the agents they read from.")


def _client(request: Request) -> Any:
    return request.state.alma_client


@router.get("/agents", response_model=Agents, tags=["graph"])
def agents(request: Request, who: Annotated[Any, Depends(_client)]) -> dict[str, Any]:
    """The caller's client, its agents and the agents they inherit from or that share with them,
    each with its scope (`can_learn` / `cannot_learn`) and sharing edges."""
    svc = request.app.state.service

    def read(alma: Any) -> dict[str, Any]:
        known = alma.agents()
        actable = sorted(known) if who.all_agents else sorted(who.agents)
        depth = alma.config.retrieval.max_inheritance_depth
        seen = set(actable)
        if not who.all_agents:  # a client of every agent already lists them all
            for name in actable:
                seen |= set(alma.store.visible_agents(name, depth))
        configured = set(alma.config.agents)
        rows = []
        for name in sorted(seen):
            config = known.get(name) or alma.config.agent(name)
            rows.append({"name": name, "may_act": name in actable, "in_config": name in configured,
                         **config.model_dump(include={"domain", "description", "can_learn", "cannot_learn",
                                                      "inherit_from", "share_with"})})
        return {"client": {"name": who.name, "agents": sorted(who.agents), "users": sorted(who.users),
                           "read_only": who.read_only}, "agents": rows}

    return svc.run(read)


def mount_ui(app: Any) -> None:
    """Serve the built viewer at /ui/ (and send /ui to /ui/)."""
    if not (UI_STATIC / "index.html").is_file():
        raise RuntimeError(f"the web viewer's files are missing from {UI_STATIC}: build them with "
                           "`npm ci && npm run build` in clients/web")

    @app.get(UI_PATH, include_in_schema=False)
    def ui_root() -> RedirectResponse:
        return RedirectResponse(UI_PATH + "/")

    app.mount(UI_PATH, StaticFiles(directory=UI_STATIC, html=True), name="ui")


__all__ = ["router", "mount_ui", "UI_PATH"]
