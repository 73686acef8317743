import cliProgress from "cli-progress";

export type ProgressMode = "auto" | "plain" | "silent";
export type EpochReport = { epoch: number; logs: Record<string, number> };
export type Progress = { epoch(r: EpochReport): void; log(line: string): void; stop(): void };

function fmt(logs: Record<string, number>): string {
  return Object.entries(logs)
    .map(
      ([k, v]) =>
        `${k} ${Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4)}`,
    )
    .join("  ");
}

/** Epoch progress on stderr: a live bar on a TTY, one line per epoch otherwise, nothing when silent. */
export function createProgress(
  mode: ProgressMode,
  totalEpochs: number,
  stream: NodeJS.WriteStream = process.stderr,
  /** Epochs already done (a resumed run), where the bar starts. */
  startAt = 0,
): Progress {
  if (mode === "silent") return { epoch: () => undefined, log: () => undefined, stop: () => undefined };
  if (mode === "plain" || !stream.isTTY) {
    return {
      epoch: ({ epoch, logs }) => stream.write(`epoch ${epoch}/${totalEpochs}  ${fmt(logs)}\n`),
      log: (line) => stream.write(`${line}\n`),
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: "epoch {value}/{total} [{bar}] {metrics}  ETA {eta_formatted}",
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalEpochs, startAt, { metrics: "" });
  return {
    epoch: ({ epoch, logs }) => bar.update(epoch, { metrics: fmt(logs) }),
    log: (line) => stream.write(`\r\x1b[K${line}\n`),
    stop: () => bar.stop(),
  };
}
