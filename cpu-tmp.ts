import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import autocannon from "autocannon";
async function cpu(pid: number) { const s = await readFile(`/proc/${pid}/stat`, "utf8"); const f = s.slice(s.lastIndexOf(")") + 2).split(" "); return (Number(f[11]) + Number(f[12])) / 100; }
const args = process.argv.slice(2);
const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "ignore"], env: process.env });
let out = ""; child.stdout.on("data", (d) => (out += d));
while (!out.includes("\n")) await new Promise((r) => setTimeout(r, 20));
const { url } = JSON.parse(out.split("\n")[0]);
await new Promise((r) => setTimeout(r, 500));
const body = JSON.stringify({ inputs: [{ name: "input", shape: [1, 4], datatype: "FP32", data: [0.5, 0.5, 0.5, 0.5] }] });
const target = url + (process.env.PATHX ?? "/v2/models/b/infer");
await autocannon({ url: target, method: "POST", headers: { "content-type": "application/json" }, body, connections: 50, duration: 2 });
const c0 = await cpu(child.pid!);
const r = await autocannon({ url: target, method: "POST", headers: { "content-type": "application/json" }, body, connections: 50, duration: Number(process.env.DUR ?? 4) });
const c1 = await cpu(child.pid!);
console.log(args.slice(-1)[0], "rps", r.requests.average, "cpu us/req", ((c1 - c0) * 1e6 / r.requests.total).toFixed(1), "non2xx", r.non2xx);
child.kill("SIGTERM"); await new Promise((r) => child.on("exit", r));
