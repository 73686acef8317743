import { parseAction, convertActionTemplate } from "@actions/workflow-parser/actions/index";
import { NoOperationTraceWriter } from "@actions/workflow-parser";
import { readFileSync } from "node:fs";
const content = readFileSync(process.argv[2]!, "utf8");
const r = parseAction({ name: "action.yml", content }, new NoOperationTraceWriter());
const errors = r.context.errors.getErrors().map((e) => e.message);
const t = r.value ? convertActionTemplate(r.context, r.value) : null;
process.stdout.write(
  JSON.stringify({
    errors,
    template: t && {
      name: t.name,
      runs: t.runs,
      inputs: t.inputs?.map((i) => ({
        id: i.id,
        required: i.required ?? false,
        default: i.default?.toString(),
        description: i.description,
      })),
      outputs: t.outputs?.map((o) => ({ id: o.id, description: o.description })),
    },
  }),
);
