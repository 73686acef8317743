#!/usr/bin/env node
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `error: modelship needs Node.js 24 or newer, this is ${process.version}\n` +
      "  hint: in this repository run it through npm (`npm run modelship -- …`, `npm start`), which uses the Node 24 that `npm ci` installs; elsewhere install Node 24. [node-too-old]\n",
  );
  process.exit(2);
}
// In a checkout, Node 24 runs the TypeScript sources directly (type stripping). Node does not
// strip types under node_modules, so an installed package runs the compiled copy in build/.
const installed = import.meta.url.includes("/node_modules/");
await import(installed ? "../build/cli/main.js" : "../cli/main.ts");
