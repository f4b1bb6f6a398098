// The client against a real `alma-graph serve` (embedded Kuzu, the real models).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AccessDeniedError, AlmaGraphClient, AlmaGraphError, AuthenticationError, NotFoundError, ValidationError,
} from "../dist/index.js";
import { startService } from "./service.mjs";

let service, admin, junior, writer;

before(async () => {
  service = await startService();
  admin = new AlmaGraphClient({ baseUrl: service.url, token: service.tokens.admin });
  junior = new AlmaGraphClient({ baseUrl: service.url, token: service.tokens.junior });
  writer = new AlmaGraphClient({ baseUrl: service.url, token: service.tokens.writer });
});

after(async () => {
  await service?.stop();
});

describe("alma-graph client", () => {
  test("health needs no token; anything else needs a known one", async () => {
    const anonymous = new AlmaGraphClient({ baseUrl: service.url });
    assert.equal((await anonymous.health()).status, "ok");
    await assert.rejects(anonymous.stats(), (e) => e instanceof AuthenticationError && e.status === 401);
    const wrong = new AlmaGraphClient({ baseUrl: service.url, token: "not-a-token-of-this-service" });
    await assert.rejects(wrong.stats(), AuthenticationError);
  });

  test("the token comes from ALMA_GRAPH_TOKEN and the address from ALMA_GRAPH_URL", async () => {
    process.env.ALMA_GRAPH_URL = service.url;
    process.env.ALMA_GRAPH_TOKEN = service.tokens.junior;
    try {
      const fromEnv = new AlmaGraphClient();
      assert.equal((await fromEnv.agents()).client.name, "junior");
    } finally {
      delete process.env.ALMA_GRAPH_URL;
      delete process.env.ALMA_GRAPH_TOKEN;
    }
  });

  test("writes, retrieval with explanations, and what each client may see", async () => {
    const fact = await writer.addKnowledge({ agent: "lead", domain: "architecture", fact: "The payments API depends on Redis" });
    assert.equal(fact.kind, "domain_knowledge");
    assert.equal(fact.text, "The payments API depends on Redis");
    const shared = await writer.addKnowledge({ agent: "senior", domain: "architecture",
      fact: "Alice Chen maintains the payments API at Acme Corp" });
    const secret = await admin.addKnowledge({ agent: "other", domain: "architecture", fact: "The payments API keys rotate weekly" });

    const result = await junior.retrieve({ task: "Change the payments API", agent: "junior", explain: true });
    const ids = result.domain_knowledge.map((m) => m.id);
    assert.ok(ids.includes(fact.id) && ids.includes(shared.id), "junior inherits lead's fact and senior shares with it");
    assert.ok(!ids.includes(secret.id), "another agent's memory stays out");
    const top = result.domain_knowledge[0];
    assert.ok(top.explain && top.explain.signals, "explain=true attaches the per-signal ranks");
    assert.equal(typeof top.explain.signals.dense.rank, "number");
    assert.match(result.prompt, /payments API/);

    await assert.rejects(junior.retrieve({ task: "payments", agent: "other" }),
      (e) => e instanceof AccessDeniedError && e.status === 403 && /junior/.test(e.message));
    await assert.rejects(junior.addKnowledge({ agent: "junior", domain: "x", fact: "y" }), AccessDeniedError);
    await assert.rejects(writer.getMemory(secret.id, "other"), AccessDeniedError);
  });

  test("the other write routes: outcomes, preferences, anti-patterns, feedback", async () => {
    const outcome = await writer.learn({ agent: "lead", task: "Deploy the billing service", outcome: true,
      strategy_used: "Blue-green deploy", task_type: "deploys" });
    assert.equal(outcome.kind, "outcome");
    const preference = await writer.addPreference({ user_id: "dana", category: "reports", preference: "Failing cases first" });
    assert.equal(preference.kind, "preference");
    const anti = await writer.addAntiPattern({ agent: "lead", pattern: "Fixed sleep() waits", why_bad: "Flaky on slow CI",
      better_alternative: "Wait for the element state" });
    assert.equal(anti.kind, "anti_pattern");
    const rated = await writer.feedback({ memory_id: anti.id, signal: "positive", agent: "lead" });
    assert.equal(rated.id, anti.id);
    await assert.rejects(writer.addPreference({ user_id: "eve", category: "x", preference: "y" }), AccessDeniedError);
  });

  test("one memory: get, list, edit (a new version), history, archive, erase", async () => {
    const first = await writer.addKnowledge({ agent: "lead", domain: "ops", fact: "Backups run at 02:00" });
    assert.equal((await writer.getMemory(first.id, "lead")).text, "Backups run at 02:00");
    const page = await writer.listMemories({ agent: "lead", kind: "domain_knowledge", limit: 50 });
    assert.ok(page.items.some((m) => m.id === first.id));

    const second = await writer.updateMemory(first.id, { agent: "lead", text: "Backups run at 03:00" });
    assert.notEqual(second.id, first.id);
    const history = await writer.history(second.id, "lead");
    assert.deepEqual(history.versions.map((m) => m.text).sort(), ["Backups run at 02:00", "Backups run at 03:00"]);
    assert.deepEqual(history.versions.find((m) => m.id === first.id)?.text, "Backups run at 02:00");

    await writer.deleteMemory(second.id, "lead");
    const archived = await writer.listMemories({ agent: "lead", include_archived: true, limit: 200 });
    assert.ok(archived.items.find((m) => m.id === second.id)?.archived);
    const current = await writer.listMemories({ agent: "lead", limit: 200 });
    assert.ok(!current.items.some((m) => m.id === second.id));

    const gone = await writer.addKnowledge({ agent: "lead", domain: "ops", fact: "The staging password is hunter2" });
    await writer.deleteMemory(gone.id, "lead", { hard: true });
    await assert.rejects(writer.getMemory(gone.id, "lead"), (e) => e instanceof NotFoundError && e.status === 404);
  });

  test("erasing a user removes their preferences", async () => {
    const preference = await admin.addPreference({ user_id: "erin", category: "tone", preference: "Short answers" });
    await admin.eraseUser("erin");
    await assert.rejects(admin.getMemory(preference.id, "lead"), NotFoundError);
  });

  test("the graph around an entity, stats, agents, tools", async () => {
    await writer.addKnowledge({ agent: "lead", domain: "architecture", fact: "The checkout service depends on Kafka" });
    const graph = await junior.graph({ agent: "junior", center: "Kafka", hops: 1 });
    const labels = graph.nodes.map((n) => n.label);
    assert.ok(labels.includes("Kafka"));
    assert.ok(graph.edges.some((e) => e.type === "MENTIONS"));

    const overview = await admin.graph({ agent: "junior" });
    assert.ok(overview.edges.some((e) => e.type === "INHERITS_FROM" && e.source === "agent:junior" && e.target === "agent:lead"));

    const stats = await admin.stats();
    assert.ok(stats.total_memories >= 3);
    assert.ok(stats.by_agent.lead >= 1);

    const seen = await junior.agents();
    assert.equal(seen.client.read_only, true);
    const byName = Object.fromEntries(seen.agents.map((a) => [a.name, a]));
    assert.deepEqual(Object.keys(byName).sort(), ["junior", "lead", "senior"]);
    assert.equal(byName.junior.may_act, true);
    assert.equal(byName.lead.may_act, false);
    assert.deepEqual(byName.junior.inherit_from, ["lead"]);

    const tools = await admin.tools();
    assert.ok(tools.some((t) => t.name === "alma_retrieve"));
    const health = await admin.callTool("alma_health", {});
    assert.ok(health);
  });

  test("malformed requests are a ValidationError (422)", async () => {
    await assert.rejects(admin.retrieve({ task: "x", agent: "lead", top_k: 0 }),
      (e) => e instanceof ValidationError && e.status === 422 && /top_k/.test(e.message));
    await assert.rejects(admin.graph({ agent: "lead", hops: 9 }), ValidationError);
    assert.ok(new ValidationError(422, "ValidationError", "x") instanceof AlmaGraphError);
  });
});
