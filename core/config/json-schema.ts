import { z } from "zod";
import { ConfigSchema } from "./schema.ts";

/** The published JSON Schema of `.github/modelship.yml` (what a user may write, defaults included). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConfigSchema, { io: "input", target: "draft-2020-12" }),
    $id: "https://modelship.dev/schema/modelship.schema.json",
    title: "Modelship configuration (.github/modelship.yml)",
  };
}
