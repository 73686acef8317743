import type { Command } from "commander";

/** `modelship data validate` (registered by its own module). */
export function registerDataValidate(_data: Command): void {}
