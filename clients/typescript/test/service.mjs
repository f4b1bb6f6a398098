// Starts a real `alma-graph serve` (embedded Kuzu, the real models) on a free localhost
// port for the tests, with three clients: admin (every agent), junior (one agent,
// read-only) and writer (lead and senior). Python: $ALMA_GRAPH_PYTHON, else the
// checkout's .venv.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";

const ROOT = resolve(import.meta.dirname, "..", "..", "..");

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

export async function startService() {
  const dir = mkdtempSync(join(tmpdir(), "alma-graph-ts-"));
  const tokens = {
    admin: randomBytes(16).toString("hex"),
    junior: randomBytes(16).toString("hex"),
    writer: randomBytes(16).toString("hex"),
  };
  writeFileSync(join(dir, "config.yaml"), `alma:
  project_id: ts-client
  storage: kuzu
  storage_dir: ${JSON.stringify(join(dir, "store"))}
  agents:
    lead: {}
    junior: {inherit_from: [lead]}
    senior: {share_with: [junior]}
    other: {}
  server:
    clients:
      admin: {token: "\${TS_ADMIN_TOKEN}", agents: ["*"], users: ["*"]}
      junior: {token: "\${TS_JUNIOR_TOKEN}", agents: [junior], users: [dana], read_only: true}
      writer: {token: "\${TS_WRITER_TOKEN}", agents: [lead, senior], users: [dana]}
`);
  const port = await freePort();
  const python = process.env.ALMA_GRAPH_PYTHON ?? join(ROOT, ".venv", "bin", "python");
  const env = {
    ...process.env,
    TS_ADMIN_TOKEN: tokens.admin,
    TS_JUNIOR_TOKEN: tokens.junior,
    TS_WRITER_TOKEN: tokens.writer,
    HF_HUB_OFFLINE: "1",
    TRANSFORMERS_OFFLINE: "1",
    PYTHONPATH: [ROOT, process.env.PYTHONPATH].filter(Boolean).join(":"),
  };
  const child = spawn(python, ["-m", "alma_graph.cli", "serve", "--config", join(dir, "config.yaml"),
    "--port", String(port)], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => { output += chunk; });
  child.stderr.on("data", (chunk) => { output += chunk; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alma-graph serve exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`alma-graph serve was not ready in 180 s:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/v1/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  return {
    url,
    tokens,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
