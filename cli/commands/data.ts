import type { Command } from "commander";
import { registerDataProfile } from "./data-profile.ts";
import { registerDataPull } from "./data-pull.ts";
import { registerDataValidate } from "./data-validate.ts";

/** `modelship data pull|validate|profile`: the training data before any GPU time is spent. */
export function register(program: Command): void {
  const data = program
    .command("data")
    .description("Pull the configured data sources, validate them against the expectations, profile them.");
  registerDataPull(data);
  registerDataValidate(data);
  registerDataProfile(data);
}
