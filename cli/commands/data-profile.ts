import type { Command } from "commander";

/** `modelship data profile` (registered by its own module). */
export function registerDataProfile(_data: Command): void {}
