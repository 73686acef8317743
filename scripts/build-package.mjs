// Compiles the TypeScript sources to JavaScript in build/ for the published package: Node does
// not strip types from files under node_modules, so an installed copy must run compiled code.
// Data the code reads relative to its own files (templates, examples, manifests) is copied
// alongside, so paths resolve the same way from build/ as from the sources.
// It runs as `prepare`: before `npm pack`/`npm publish`, and in the clone npm makes when a
// project installs Modelship from a git URL. It writes to stderr only: `npm pack --json` stays
// parseable.
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build");
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
  stdio: ["ignore", process.stderr, process.stderr],
});
for (const dir of ["templates", "examples"]) cpSync(join(root, dir), join(out, dir), { recursive: true });
for (const file of ["app.yml", "package.json"]) cpSync(join(root, file), join(out, file));
// The dashboard's browser bundle, so an installed package serves it without esbuild.
execFileSync(process.execPath, [join(root, "ui", "build-web.ts"), join(out, "ui", "static")], {
  stdio: ["ignore", process.stderr, process.stderr],
});
process.stderr.write(`compiled package written to ${out}\n`);
