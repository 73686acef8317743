#!/usr/bin/env node
// In a checkout, Node 24 runs the TypeScript sources directly (type stripping). Node does not
// strip types under node_modules, so an installed package runs the compiled copy in build/.
const installed = import.meta.url.includes("/node_modules/");
await import(installed ? "../build/cli/main.js" : "../cli/main.ts");
