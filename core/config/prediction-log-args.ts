import type { Monitoring } from "./schema.ts";

/**
 * `monitoring` as the inference server's prediction-log flags (`--log-sample-rate`, `--log-max-mb`,
 * `--log-rotate-mb`, `--log-max-record-kb`); the folder itself comes with `--prediction-log DIR`.
 */
export function predictionLogArgs(m: Monitoring): string[] {
  return [
    "--log-sample-rate",
    String(m.sampleRate),
    "--log-max-mb",
    String(m.maxLogMB),
    "--log-rotate-mb",
    String(m.rotateMB),
    "--log-max-record-kb",
    String(m.maxRecordKB),
  ];
}
