// The alma_graph viewer: sign in with a client token, then look at what that client's
// agents may see — agents and their sharing, a graph around anything (click to expand),
// search with explanations, one memory's details and history (and edits, for writers).
import cytoscape from "cytoscape";
import {
  AlmaGraphClient, AlmaGraphError, type AgentInfo, type Agents, type Graph, type Memory,
} from "../../typescript/src/index.js";
import { graphStyle } from "./style.js";

const TOKEN_KEY = "alma-graph-token";
const KINDS = ["heuristic", "anti_pattern", "outcome", "domain_knowledge", "preference"] as const;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

let client: AlmaGraphClient;
let who: Agents;
let cy: cytoscape.Core;

function agent(): string {
  return $<HTMLSelectElement>("agent").value;
}

function showError(error: unknown): void {
  const box = $("error");
  box.textContent = error instanceof AlmaGraphError ? `${error.type}: ${error.message}` : String(error);
  box.hidden = false;
}

async function guarded(work: () => Promise<void>): Promise<void> {
  $("error").hidden = true;
  try {
    await work();
  } catch (error) {
    showError(error);
  }
}

// -- sign in ---------------------------------------------------------------------------------------

async function signIn(token: string): Promise<void> {
  client = new AlmaGraphClient({ baseUrl: location.origin, token });
  who = await client.agents();
  sessionStorage.setItem(TOKEN_KEY, token);
  const whoami = $("whoami");
  whoami.textContent = `signed in as client “${who.client.name}”${who.client.read_only ? " (read-only)" : ""}`;
  whoami.hidden = false;
  const select = $<HTMLSelectElement>("agent");
  select.replaceChildren(...who.agents.filter((a) => a.may_act).map((a) => el("option", { value: a.name }, a.name)));
  $("app").hidden = false;
  if (!cy) {
    cy = cytoscape({ container: $("graph"), style: graphStyle, wheelSensitivity: 0.3, minZoom: 0.2, maxZoom: 3 });
    cy.on("tap", "node", (event) => guarded(() => expand(event.target.id())));
    (window as unknown as { viewer: unknown }).viewer = { get cy() { return cy; } };
  }
  await Promise.all([showAgents(), showCounts(), showGraph(null)]);
}

// -- agents and counts -----------------------------------------------------------------------------

function describeAgent(a: AgentInfo): HTMLElement {
  const lines: (Node | string)[] = [el("strong", {}, a.name), a.may_act ? "" : " (seen through sharing)"];
  if (a.inherit_from.length) lines.push(el("div", { class: "edge" }, `INHERITS_FROM → ${a.inherit_from.join(", ")}`));
  if (a.share_with.length) lines.push(el("div", { class: "edge" }, `SHARES_WITH → ${a.share_with.join(", ")}`));
  if (a.can_learn.length) lines.push(el("div", { class: "edge" }, `may learn: ${a.can_learn.join(", ")}`));
  if (a.cannot_learn.length) lines.push(el("div", { class: "edge" }, `may not learn: ${a.cannot_learn.join(", ")}`));
  return el("li", { "data-agent": a.name }, ...lines);
}

async function showAgents(): Promise<void> {
  $("agents").replaceChildren(...who.agents.map(describeAgent));
}

/** Counts per kind and per agent: one call for a client of every agent, else one per agent it may act as. */
async function showCounts(): Promise<void> {
  const everyAgent = who.client.agents.includes("*");
  const names = who.agents.filter((a) => a.may_act).map((a) => a.name);
  const all = everyAgent ? [await client.stats()] : await Promise.all(names.map((name) => client.stats(name)));
  const byKind: Record<string, number> = {};
  const byAgent: Record<string, number> = {};
  let archived = 0;
  for (const stats of all) {
    for (const [kind, n] of Object.entries(stats.by_kind as Record<string, number>)) byKind[kind] = (byKind[kind] ?? 0) + n;
    for (const [name, n] of Object.entries(stats.by_agent as Record<string, number>)) byAgent[name] = n;
    archived += Number(stats.archived ?? 0);
  }
  const kinds = el("table", { id: "counts-by-kind" }, ...KINDS.map((k) =>
    el("tr", { "data-kind": k }, el("td", {}, k.replace("_", " ")), el("td", {}, String(byKind[k] ?? 0)))),
    el("tr", { "data-kind": "archived" }, el("td", {}, "archived"), el("td", {}, String(archived))));
  const agents = el("table", { id: "counts-by-agent" }, ...Object.entries(byAgent).sort().map(([name, n]) =>
    el("tr", { "data-agent": name }, el("td", {}, name), el("td", {}, String(n)))));
  $("counts").replaceChildren(el("h3", {}, "by kind"), kinds, el("h3", {}, "by agent"), agents);
}

// -- the graph -------------------------------------------------------------------------------------

/** The graph as the service returns it (its schema leaves nodes and edges open). */
type ViewGraph = Graph;
type ViewEdge = { id: string; source: string; target: string; type: string; props?: Record<string, unknown> };

function toElements(graph: ViewGraph): cytoscape.ElementDefinition[] {
  const nodes = graph.nodes.map((n) => {
    const props = (n.props ?? {}) as Record<string, unknown>;
    const kind = n.kind === "memory" ? String(props.kind) : String(n.kind);
    const classes = [String(n.kind), kind, props.archived || props.superseded ? "superseded" : ""].join(" ");
    const label = String(n.label ?? n.id);
    return { group: "nodes" as const, data: { id: n.id, label: label.length > 48 ? label.slice(0, 46) + "…" : label,
      kind: n.kind, props }, classes };
  });
  const edges = (graph.edges as ViewEdge[]).map((e) => {
    const props = (e.props ?? {}) as Record<string, unknown>;
    const date = typeof props.valid_from === "string" ? ` (${props.valid_from.slice(0, 10)})` : "";
    const label = e.type === "RELATED" ? `${props.predicate}${date}` : String(e.type);
    const superseded = props.superseded || props.valid_to ? "superseded" : "";
    return { group: "edges" as const, data: { id: e.id, source: e.source, target: e.target, label, type: e.type, props },
      classes: `${e.type} ${superseded}` };
  });
  return [...nodes, ...edges];
}

function merge(graph: ViewGraph, fresh: boolean): void {
  if (fresh) cy.elements().remove();
  const elements = toElements(graph).filter((e) => cy.getElementById(String(e.data.id)).empty());
  cy.add(elements.filter((e) => e.group === "nodes"));
  cy.add(elements.filter((e) => e.group === "edges" && !cy.getElementById(String(e.data.source)).empty()
    && !cy.getElementById(String(e.data.target)).empty()));
  cy.layout({ name: "cose", animate: false, randomize: fresh, nodeRepulsion: () => 40000, idealEdgeLength: () => 110,
    nodeOverlap: 40, fit: true, padding: 40 }).run();
  if (cy.zoom() > 1.1) cy.zoom({ level: 1.1, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
  cy.center();
  $("graph").dataset.nodes = String(cy.nodes().length);
  $("graph-status").textContent = `${cy.nodes().length} nodes, ${cy.edges().length} edges${graph.truncated ? " (truncated)" : ""}`;
}

/** The center to ask the service for: an agent's name, an entity's key, a memory's id. */
function centerOf(id: string): string {
  return id.startsWith("agent:") ? id.slice("agent:".length) : id;
}

let graphRequest = 0;

async function showGraph(center: string | null): Promise<void> {
  const hops = Number($<HTMLSelectElement>("graph-hops").value);
  const asked = ++graphRequest;
  const graph: ViewGraph = await client.graph(center ? { agent: agent(), center, hops } : { agent: agent() });
  if (asked !== graphRequest) return; // a later request (another agent or center) owns the view
  merge(graph, true);
  $("graph").dataset.center = graph.center ?? "";
  if (graph.center) cy.getElementById(String(graph.center)).select();
}

async function expand(id: string): Promise<void> {
  const node = cy.getElementById(id);
  merge(await client.graph({ agent: agent(), center: centerOf(id), hops: 1 }), false);
  node.addClass("expanded");
  if (node.data("kind") === "memory") await openMemory(id);
}

// -- search ----------------------------------------------------------------------------------------

function ranks(memory: Memory): string {
  const signals = ((memory.explain ?? {}) as { signals?: Record<string, { rank?: number | null }> }).signals ?? {};
  return Object.entries(signals).map(([name, s]) => `${name} #${s.rank ?? "–"}`).join(" · ");
}

async function search(task: string): Promise<void> {
  const result = await client.retrieve({ task, agent: agent(), explain: true, top_k: 5 });
  const memories = [...result.heuristics, ...result.anti_patterns, ...result.domain_knowledge, ...result.outcomes,
    ...result.preferences].sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
  const items = memories.map((m) => {
    const paths = (((m.explain ?? {}) as { paths?: string[] }).paths ?? []);
    const item = el("li", { "data-memory": m.id },
      el("span", { class: "kind" }, m.kind), el("span", { class: "text" }, m.text),
      el("div", { class: "ranks" }, `score ${(m.score ?? 0).toFixed(3)} — ${ranks(m)}`),
      ...paths.map((p) => el("div", { class: "path" }, `path: ${p}`)),
      m.shared_from && m.shared_from !== agent() ? el("div", { class: "edge" }, `from ${m.shared_from}`) : "");
    item.addEventListener("click", () => guarded(() => openMemory(m.id, true)));
    return item;
  });
  $("results").replaceChildren(...(items.length ? items : [el("li", {}, "nothing found")]));
}

// -- one memory ------------------------------------------------------------------------------------

const SKIP = new Set(["text", "explain", "score", "score_breakdown", "metadata"]);

let memoryRequest = 0;

async function openMemory(id: string, centerGraph = false): Promise<void> {
  const asked = ++memoryRequest;
  const [memory, history] = await Promise.all([client.getMemory(id, agent()), client.history(id, agent())]);
  if (asked !== memoryRequest) return; // a later click (or an edit) owns the panel
  const panel = $("memory");
  const fields = Object.entries(memory).filter(([k, v]) => !SKIP.has(k) && v !== null && v !== undefined && v !== "");
  const details = el("dl", {}, ...fields.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))]));
  const ordered = [...history.versions].sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  const versions = ordered.map((v) => el("li", { class: v.id === memory.id && !v.archived ? "current" : "old", "data-memory": v.id },
    `${(v.created_at ?? "").slice(0, 19).replace("T", " ")} — ${v.text}${v.id === memory.id ? " (shown)" : ""}`));
  panel.replaceChildren(el("h2", {}, memory.kind.replace("_", " ")), el("p", { id: "memory-text" }, memory.text), details,
    el("h2", {}, `History (${history.versions.length} version${history.versions.length === 1 ? "" : "s"})`),
    el("ol", { id: "history" }, ...versions));
  // Edits are made as the memory's own agent (an agent may not rewrite what it inherits).
  if (!who.client.read_only && !memory.archived && memory.agent === agent()) panel.append(editor(memory));
  panel.dataset.memory = memory.id;
  if (centerGraph) {
    $<HTMLInputElement>("graph-center").value = memory.id;
    await showGraph(memory.id);
  }
}

function editor(memory: Memory): HTMLElement {
  const text = el("textarea", { id: "edit-text", "aria-label": "new text" }) as HTMLTextAreaElement;
  text.value = memory.text;
  const save = el("button", { id: "save" }, "Save as new version");
  const archive = el("button", { id: "archive" }, "Archive");
  const erase = el("button", { id: "erase", class: "danger" }, "Erase");
  save.addEventListener("click", () => guarded(async () => {
    const updated = await client.updateMemory(memory.id, { agent: agent(), text: text.value });
    await openMemory(updated.id, true);
    await showCounts();
  }));
  archive.addEventListener("click", () => guarded(async () => {
    await client.deleteMemory(memory.id, agent());
    await openMemory(memory.id);
    await showCounts();
  }));
  erase.addEventListener("click", () => guarded(async () => {
    if (!confirm("Erase this memory for good? Only an audit record without its text stays.")) return;
    await client.deleteMemory(memory.id, agent(), { hard: true });
    delete $("memory").dataset.memory;
    $("memory").replaceChildren(el("p", {}, "Erased."));
    cy.getElementById(memory.id).remove();
    await showCounts();
  }));
  return el("div", {}, el("h2", {}, "Edit"), text, el("div", { class: "actions" }, save, archive, erase));
}

// -- wiring ----------------------------------------------------------------------------------------

$("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  void guarded(() => signIn($<HTMLInputElement>("token").value.trim()));
});
$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  void guarded(() => search($<HTMLInputElement>("search-input").value));
});
$("graph-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void guarded(() => showGraph($<HTMLInputElement>("graph-center").value.trim() || null));
});
$("agent").addEventListener("change", () => void guarded(async () => {
  // What is shown belongs to the agent it was asked for.
  memoryRequest++;
  $("results").replaceChildren();
  delete $("memory").dataset.memory;
  $("memory").replaceChildren(el("p", { class: "hint" }, "Click a search result or a memory in the graph."));
  await showGraph(null);
}));
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void guarded(() => signIn(saved));
