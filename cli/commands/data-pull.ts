import type { Command } from "commander";

/** `modelship data pull` (registered by its own module). */
export function registerDataPull(_data: Command): void {}
