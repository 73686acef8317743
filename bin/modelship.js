#!/usr/bin/env node
import { existsSync } from "node:fs";
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `error: modelship needs Node.js 24 or newer, this is ${process.version}\n` +
      "  hint: in this repository run it through npm (`npm run modelship -- …`, `npm start`), which uses the Node 24 that `npm ci` installs; elsewhere install Node 24. [node-too-old]\n",
  );
  process.exit(2);
}
// Node keeps what it compiles of the modules below (keyed by each file's contents, in the folder
// NODE_COMPILE_CACHE names or the system's temporary folder) and reuses it on the next start, so
// a command starts on less CPU; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
const { enableCompileCache } = await import("node:module");
enableCompileCache();
// In a checkout, Node 24 runs the TypeScript sources directly (type stripping). The package ships
// no sources, only the compiled copy in build/, which also runs wherever it is unpacked: Node does
// not strip types under node_modules.
const source = new URL("../cli/main.ts", import.meta.url);
const checkout = !import.meta.url.includes("/node_modules/") && existsSync(source);
await import(checkout ? source.href : new URL("../build/cli/main.js", import.meta.url).href);
