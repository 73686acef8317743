import { ModelshipError } from "../errors.ts";

/** Checks a kubernetes-models object against the official schema it carries and returns it. */
export function validated<
  T extends {
    validate(): void;
    kind?: string | undefined;
    metadata?: { name?: string | undefined } | undefined;
  },
>(object: T): T {
  try {
    object.validate();
  } catch (err) {
    throw new ModelshipError({
      code: "kubernetes-object-invalid",
      message: `the ${object.kind ?? "object"} ${object.metadata?.name ?? ""} Modelship built is invalid: ${(err as Error).message}`,
      hint: "Check deploy.kubernetes in .github/modelship.yml.",
    });
  }
  return object;
}
