/**
 * The alma_graph knowledge service's client: one method per `/v1` route, request and
 * response types generated from the service's OpenAPI (`src/openapi.ts`, `npm run generate`).
 */
import type { components, paths } from "./openapi.js";

export type { components, paths } from "./openapi.js";
type Schemas = components["schemas"];
export type Memory = Schemas["Memory"];
export type Kind = Memory["kind"];
export type RetrieveRequest = Schemas["RetrieveRequest"];
export type RetrieveResponse = Schemas["RetrieveResponse"];
export type LearnRequest = Schemas["LearnRequest"];
export type KnowledgeRequest = Schemas["KnowledgeRequest"];
export type PreferenceRequest = Schemas["PreferenceRequest"];
export type AntiPatternRequest = Schemas["AntiPatternRequest"];
export type FeedbackRequest = Schemas["FeedbackRequest"];
export type MemoryPatch = Schemas["MemoryPatch"];
export type MemoryPage = Schemas["MemoryPage"];
export type History = Schemas["History"];
export type Graph = Schemas["Graph"];
export type GraphNode = Schemas["GraphNode"];
export type GraphEdge = Schemas["GraphEdge"];
export type Stats = Schemas["Stats"];
export type Health = Schemas["Health"];
export type Agents = Schemas["Agents"];
export type AgentInfo = Schemas["AgentInfo"];
export type ToolInfo = Schemas["ToolInfo"];
export type Deleted = Schemas["Deleted"];
export type Erased = Schemas["Erased"];

type QueryOf<P extends keyof paths, M extends "get" | "delete"> =
  paths[P][M] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
export type ListMemoriesQuery = QueryOf<"/v1/memories", "get">;
export type GraphQuery = QueryOf<"/v1/graph", "get">;

/** A failed call: the HTTP status and the service's `{"error": {type, message}}`. */
export class AlmaGraphError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.type = type;
  }
}
/** 401: no token, or one the service does not know. */
export class AuthenticationError extends AlmaGraphError {}
/** 403: the client may not act as that agent / name that user, or is read-only. */
export class AccessDeniedError extends AlmaGraphError {}
/** 404: no such memory (visible to that agent), entity or route. */
export class NotFoundError extends AlmaGraphError {}
/** 422: the request is malformed (a missing or misspelt field, a value out of range). */
export class ValidationError extends AlmaGraphError {}

const ERRORS: Record<number, new (status: number, type: string, message: string) => AlmaGraphError> = {
  401: AuthenticationError,
  403: AccessDeniedError,
  404: NotFoundError,
  422: ValidationError,
};

export interface ClientOptions {
  /** The service's address, e.g. `http://127.0.0.1:8765` (default: `$ALMA_GRAPH_URL`). */
  baseUrl?: string;
  /** A client token from `alma.server.clients` (default: `$ALMA_GRAPH_TOKEN`). */
  token?: string;
  /** Another fetch (tests, proxies); default: the global one. */
  fetch?: typeof fetch;
}

function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name];
}

type QueryValue = string | number | boolean | null | undefined;

export class AlmaGraphClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions = {}) {
    const base = options.baseUrl ?? env("ALMA_GRAPH_URL");
    if (!base) throw new TypeError("give baseUrl (or set ALMA_GRAPH_URL) to the service's address");
    this.baseUrl = base.replace(/\/+$/, "");
    this.#token = options.token ?? env("ALMA_GRAPH_TOKEN");
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async #call<T>(method: string, path: string, query?: Record<string, QueryValue>, body?: unknown): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.#fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const error = data?.error ?? {};
      const Kind = ERRORS[response.status] ?? AlmaGraphError;
      throw new Kind(response.status, error.type ?? "HTTPError", error.message ?? `${method} ${path}: ${response.status}`);
    }
    return data as T;
  }

  // -- service ---------------------------------------------------------------------------------
  /** Liveness (no token needed). */
  health(): Promise<Health> {
    return this.#call("GET", "/v1/health");
  }
  /** Counts per kind and agent (a client limited to some agents names one). */
  stats(agent?: string): Promise<Stats> {
    return this.#call("GET", "/v1/stats", { agent });
  }
  /** Who this token is, and the agents it may see with their sharing and scopes. */
  agents(): Promise<Agents> {
    return this.#call("GET", "/v1/agents");
  }

  // -- retrieval and writes --------------------------------------------------------------------
  /** The memories relevant to a task, the five kinds ranked, plus a rendered `prompt`. */
  retrieve(request: RetrieveRequest): Promise<RetrieveResponse> {
    return this.#call("POST", "/v1/retrieve", undefined, request);
  }
  learn(request: LearnRequest): Promise<Memory> {
    return this.#call("POST", "/v1/learn", undefined, request);
  }
  addKnowledge(request: KnowledgeRequest): Promise<Memory> {
    return this.#call("POST", "/v1/knowledge", undefined, request);
  }
  addPreference(request: PreferenceRequest): Promise<Memory> {
    return this.#call("POST", "/v1/preferences", undefined, request);
  }
  addAntiPattern(request: AntiPatternRequest): Promise<Memory> {
    return this.#call("POST", "/v1/anti-patterns", undefined, request);
  }
  feedback(request: FeedbackRequest): Promise<Memory> {
    return this.#call("POST", "/v1/feedback", undefined, request);
  }

  // -- one memory ------------------------------------------------------------------------------
  listMemories(query: ListMemoriesQuery): Promise<MemoryPage> {
    return this.#call("GET", "/v1/memories", query as Record<string, QueryValue>);
  }
  getMemory(id: string, agent: string): Promise<Memory> {
    return this.#call("GET", `/v1/memories/${encodeURIComponent(id)}`, { agent });
  }
  /** A new version with the changes; the old one is kept behind SUPERSEDES. */
  updateMemory(id: string, patch: MemoryPatch): Promise<Memory> {
    return this.#call("PATCH", `/v1/memories/${encodeURIComponent(id)}`, undefined, patch);
  }
  /** Every version, oldest first. */
  history(id: string, agent: string): Promise<History> {
    return this.#call("GET", `/v1/memories/${encodeURIComponent(id)}/history`, { agent });
  }
  /** Archive (restorable), or with `hard: true` erase for good. */
  deleteMemory(id: string, agent: string, options: { hard?: boolean } = {}): Promise<Deleted> {
    return this.#call("DELETE", `/v1/memories/${encodeURIComponent(id)}`, { agent, hard: options.hard });
  }
  /** Erase everything stated by or about a user; cannot be undone. */
  eraseUser(userId: string): Promise<Erased> {
    return this.#call("DELETE", `/v1/users/${encodeURIComponent(userId)}`, { hard: true });
  }

  // -- graph and tools -------------------------------------------------------------------------
  /** The subgraph the agent may see around an entity, memory or agent (or its top of the graph). */
  graph(query: GraphQuery): Promise<Graph> {
    return this.#call("GET", "/v1/graph", query as Record<string, QueryValue>);
  }
  tools(): Promise<ToolInfo[]> {
    return this.#call("GET", "/v1/tools");
  }
  /** Any registry tool, with the same arguments and checks as over MCP. */
  callTool(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.#call("POST", `/v1/tools/${encodeURIComponent(name)}`, undefined, args);
  }
}
