// Builds the viewer into the Python package (alma_graph/service/ui_static), so that
// `pip install` ships it and the service serves it without Node.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";

const here = import.meta.dirname;
const out = resolve(here, "..", "..", "alma_graph", "service", "ui_static");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [resolve(here, "src", "main.ts")],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  outfile: resolve(out, "app.js"),
  legalComments: "external",
  logLevel: "warning",
});
for (const file of ["index.html", "style.css"]) copyFileSync(resolve(here, file), resolve(out, file));
console.log(`built the viewer into ${out}`);
