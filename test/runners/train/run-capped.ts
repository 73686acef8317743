import { spawn } from "node:child_process";

export type CappedRun = { code: number | null; stdout: string; stderr: string };

/** Runs a Node script in a child process whose V8 heap is capped at `heapMb`, and collects its output. */
export function runWithHeapCap(script: string, heapMb: number, cwd: string): Promise<CappedRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, "--no-warnings", script], { cwd });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
