import { z } from "zod";

/** Whether a failed expectation stops training (error) or is only reported (warning). */
export const SeveritySchema = z
  .enum(["error", "warning"])
  .default("error")
  .describe("error: a failure stops `modelship train` and fails `data validate`; warning: reported only.");

const column = z.string().min(1).describe("Column the expectation is about.");
const mostly = z
  .number()
  .min(0)
  .max(1)
  .default(1)
  .describe("Least share of the non-null values that must pass (1 = all of them).");
const bound = (what: string) => z.number().nullable().optional().describe(what);
const bounds = {
  min_value: bound("Lower bound, inclusive unless strict_min; null or absent means none."),
  max_value: bound("Upper bound, inclusive unless strict_max; null or absent means none."),
  strict_min: z.boolean().default(false).describe("The lower bound itself fails."),
  strict_max: z.boolean().default(false).describe("The upper bound itself fails."),
};

const entry = <N extends string, S extends z.ZodRawShape>(name: N, shape: S, description: string) =>
  z
    .object({ expectation: z.literal(name), severity: SeveritySchema, ...shape })
    .strict()
    .describe(description);

type Bounded = { min_value?: number | null | undefined; max_value?: number | null | undefined };
const hasABound = (e: Bounded) =>
  (e.min_value !== undefined && e.min_value !== null) || (e.max_value !== undefined && e.max_value !== null);
const ordered = (e: Bounded) =>
  e.min_value === undefined || e.min_value === null || e.max_value === undefined || e.max_value === null
    ? true
    : e.min_value <= e.max_value;
const checkBounds = <T extends z.ZodType<Bounded>>(schema: T) =>
  schema
    .refine(hasABound, { message: "set min_value, max_value or both", path: ["min_value"] })
    .refine(ordered, { message: "min_value must not be greater than max_value", path: ["min_value"] });

const validRegex = (source: string) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
};

/** Type names accepted by expect_column_values_to_be_of_type, and the kind of value each means. */
export const TYPE_NAMES = {
  int: "int",
  int32: "int",
  int64: "int",
  integer: "int",
  INTEGER: "int",
  BIGINT: "int",
  float: "float",
  float32: "float",
  float64: "float",
  double: "float",
  number: "float",
  FLOAT: "float",
  DOUBLE: "float",
  NUMERIC: "float",
  str: "string",
  string: "string",
  object: "string",
  VARCHAR: "string",
  TEXT: "string",
  bool: "bool",
  boolean: "bool",
  BOOLEAN: "bool",
} as const;
export type TypeKind = (typeof TYPE_NAMES)[keyof typeof TYPE_NAMES];

type TypeName = keyof typeof TYPE_NAMES;
const typeName = z
  .enum(Object.keys(TYPE_NAMES) as [TypeName, ...TypeName[]])
  .describe("Expected type: int, float, str or bool (GE's Python and SQL names are accepted).");

/** One entry of `data.expectations`, named and with keyword arguments as Great Expectations names them. */
export const ExpectationSchema = z.discriminatedUnion("expectation", [
  entry(
    "expect_column_to_exist",
    {
      column,
      column_index: z
        .number()
        .int()
        .nonnegative()
        .optional()
        .describe("Position the column must have (0 = first)."),
    },
    "The column is present in the data.",
  ),
  checkBounds(
    entry(
      "expect_table_row_count_to_be_between",
      {
        min_value: z.number().int().nonnegative().nullable().optional().describe("Fewest rows; null: none."),
        max_value: z.number().int().nonnegative().nullable().optional().describe("Most rows; null: none."),
        strict_min: bounds.strict_min,
        strict_max: bounds.strict_max,
      },
      "The number of rows, over every source, is within the bounds.",
    ),
  ),
  entry(
    "expect_column_values_to_not_be_null",
    { column, mostly },
    "Values are present (not null, not empty); mostly counts every row.",
  ),
  checkBounds(
    entry(
      "expect_column_values_to_be_between",
      { column, ...bounds, mostly },
      "Non-null values are numbers within the bounds.",
    ),
  ),
  entry(
    "expect_column_values_to_be_in_set",
    {
      column,
      value_set: z
        .array(z.union([z.string(), z.number(), z.boolean()]))
        .min(1)
        .describe("Allowed values, compared exactly (1 and '1' differ)."),
      mostly,
    },
    "Non-null values are members of value_set.",
  ),
  entry(
    "expect_column_values_to_match_regex",
    {
      column,
      regex: z
        .string()
        .min(1)
        .refine(validRegex, { message: "regex is not a valid regular expression" })
        .describe("Regular expression searched for in each value (anchor it with ^ and $ for a full match)."),
      mostly,
    },
    "Non-null values, as text, contain a match of regex.",
  ),
  entry(
    "expect_column_values_to_be_unique",
    { column, mostly },
    "Non-null values occur once; every occurrence of a repeated value is unexpected.",
  ),
  checkBounds(
    entry(
      "expect_column_mean_to_be_between",
      { column, ...bounds },
      "The mean of the non-null values is within the bounds.",
    ),
  ),
  checkBounds(
    entry(
      "expect_column_stdev_to_be_between",
      { column, ...bounds },
      "The sample standard deviation (n - 1) of the non-null values is within the bounds.",
    ),
  ),
  checkBounds(
    entry(
      "expect_column_proportion_of_unique_values_to_be_between",
      {
        column,
        min_value: z.number().min(0).max(1).nullable().optional().describe("Lowest share; null: none."),
        max_value: z.number().min(0).max(1).nullable().optional().describe("Highest share; null: none."),
        strict_min: bounds.strict_min,
        strict_max: bounds.strict_max,
      },
      "Distinct non-null values divided by non-null values is within the bounds.",
    ),
  ),
  entry(
    "expect_column_values_to_be_of_type",
    { column, type_: typeName, mostly },
    "Non-null values have the type type_.",
  ),
]);
export type Expectation = z.infer<typeof ExpectationSchema>;
export type ExpectationName = Expectation["expectation"];

/** Every expectation this version knows, in the order the docs list them. */
export const EXPECTATION_NAMES: readonly ExpectationName[] = ExpectationSchema.options.map(
  (o) => o.shape.expectation.value,
);
