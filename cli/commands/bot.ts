import type { Command } from "commander";

/** `modelship bot`: runs the GitHub App (configured by Probot's environment variables). */
export function register(program: Command): void {
  program
    .command("bot")
    .description(
      "Run the Modelship GitHub App. Reads APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, " +
        "GHE_HOST, GHE_PROTOCOL, LOG_LEVEL, PORT and HOST; without APP_ID it serves the App's setup page.",
    )
    .action(async () => {
      const { startBot } = await import("../../bot/start.ts");
      await startBot(process.env);
    });
}
