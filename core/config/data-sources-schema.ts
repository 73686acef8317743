import { z } from "zod";

/** `${NAME}`: the only way a value may come from the environment (never a literal secret). */
export const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

const FILE_FORMATS = ["auto", "csv", "json", "jsonl", "parquet", "arrow"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

const SqlParamSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const FileSourceSchema = z
  .object({
    kind: z.literal("file"),
    path: z
      .string()
      .min(1)
      .describe("A file or a glob (`data/*.csv`) relative to the repository root; never outside it."),
    format: z
      .enum(FILE_FORMATS)
      .default("auto")
      .describe("auto: from the extension (.csv, .json, .jsonl/.ndjson, .parquet, .arrow/.feather/.ipc)."),
    encoding: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Text encoding of CSV/JSON files, e.g. latin1 or windows-1252 (WHATWG names). Default utf-8; invalid UTF-8 is an error.",
      ),
  })
  .strict();

const PaginationSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("none") }).strict(),
  z
    .object({ type: z.literal("link") })
    .strict()
    .describe('Follow the Link header\'s rel="next" URL.'),
  z
    .object({
      type: z.literal("cursor"),
      field: z.string().min(1).describe("JSONPath of the next cursor in each page, e.g. $.next_cursor."),
      param: z.string().min(1).default("cursor").describe("Query parameter the cursor is sent in."),
    })
    .strict(),
  z
    .object({
      type: z.literal("page"),
      param: z.string().min(1).default("page"),
      start: z.number().int().nonnegative().default(1),
    })
    .strict()
    .describe("Increment a page-number parameter until a page has no records."),
  z
    .object({
      type: z.literal("offset"),
      param: z.string().min(1).default("offset"),
      limitParam: z.string().min(1).default("limit"),
      limit: z.number().int().positive().default(100),
    })
    .strict()
    .describe("Advance an offset parameter by the page size until a page has fewer records."),
]);

const HttpSourceSchema = z
  .object({
    kind: z.literal("http"),
    url: z.url({ protocol: /^https?$/ }).describe("First page; http(s) only."),
    records: z
      .string()
      .min(1)
      .default("$")
      .describe(
        "JSONPath of the rows in each page, e.g. $.data.items; $ means the page is an array of rows.",
      ),
    pagination: PaginationSchema.default({ type: "none" }),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe(
        "Request headers; `${NAME}` is replaced from the environment (the only place secrets may come from).",
      ),
    maxPages: z.number().int().positive().default(1000).describe("Stop with an error past this many pages."),
    maxRows: z
      .number()
      .int()
      .positive()
      .default(10_000_000)
      .describe("Stop with an error past this many rows."),
    retries: z
      .number()
      .int()
      .nonnegative()
      .default(5)
      .describe("Retries per page on 429 and 5xx, with exponential backoff; Retry-After is honoured."),
    timeoutSeconds: z.number().positive().default(30).describe("Per request."),
  })
  .strict();

const SqliteSourceSchema = z
  .object({
    kind: z.literal("sqlite"),
    path: z.string().min(1).describe("A SQLite database file inside the repository (opened read-only)."),
    query: z.string().min(1),
    params: z.array(SqlParamSchema).default([]).describe("Bound to the query's ? placeholders, in order."),
  })
  .strict();

const PostgresSourceSchema = z
  .object({
    kind: z.literal("postgres"),
    url: z
      .string()
      .regex(
        /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/,
        "must name an environment variable, e.g. ${DATABASE_URL}: a connection string (and its password) never goes in the config",
      )
      .describe("`${NAME}` of the environment variable holding the connection string."),
    query: z.string().min(1),
    params: z.array(SqlParamSchema).default([]).describe("Bound to $1, $2, ... in order."),
    batchRows: z.number().int().positive().default(1000).describe("Rows fetched per cursor read."),
  })
  .strict();

/** One entry of `data.sources`. */
export const DataSourceConfigSchema = z.discriminatedUnion("kind", [
  FileSourceSchema,
  HttpSourceSchema,
  SqliteSourceSchema,
  PostgresSourceSchema,
]);
export type DataSourceConfig = z.infer<typeof DataSourceConfigSchema>;
export type FileSourceConfig = z.infer<typeof FileSourceSchema>;
export type HttpSourceConfig = z.infer<typeof HttpSourceSchema>;
export type SqliteSourceConfig = z.infer<typeof SqliteSourceSchema>;
export type PostgresSourceConfig = z.infer<typeof PostgresSourceSchema>;
export type Pagination = z.infer<typeof PaginationSchema>;

/** Streaming loader settings (`data.loading`). */
export const DataLoadingSchema = z
  .object({
    bufferMiB: z
      .number()
      .positive()
      .max(4096)
      .default(16)
      .describe(
        "Bytes read ahead per file while parsing; bounds the loader's own memory, not the file size.",
      ),
    maxRecordKiB: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe(
        "Largest single row or line accepted; a longer one is an error rather than unbounded memory.",
      ),
    workers: z
      .number()
      .int()
      .min(0)
      .max(64)
      .optional()
      .describe(
        "Worker threads that parse CSV and JSON-lines files larger than one buffer and decode Parquet row groups; default: one fewer than the CPUs (at most 4, none on one CPU); 0 parses on the main thread.",
      ),
  })
  .strict();
export type DataLoading = z.infer<typeof DataLoadingSchema>;
