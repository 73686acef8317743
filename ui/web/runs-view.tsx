import { useEffect, useMemo, useState } from "preact/hooks";
import { formatNumber, getJson, type RunDetail, type RunEntry } from "./api.ts";
import { CurvesChart, type Curve } from "./curves-chart.tsx";

type Sort = { key: string; descending: boolean };

const valueOf = (r: RunEntry, key: string): unknown => {
  if (key.startsWith("metrics.")) return r.metrics[key.slice(8)];
  if (key.startsWith("params.")) return r.params[key.slice(7)];
  return (r as unknown as Record<string, unknown>)[key];
};

function compare(a: unknown, b: unknown): number {
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

const show = (v: unknown): string =>
  typeof v === "number"
    ? formatNumber(v)
    : v === undefined
      ? "–"
      : typeof v === "object"
        ? JSON.stringify(v)
        : String(v);

/** The runs table: filter (MLflow syntax, on the server), sort, select runs to compare. */
export function RunsView() {
  const [runs, setRuns] = useState<RunEntry[]>([]);
  const [filter, setFilter] = useState("");
  const [applied, setApplied] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sort, setSort] = useState<Sort>({ key: "startedAt", descending: true });
  const [selected, setSelected] = useState<string[]>([]);
  useEffect(() => {
    getJson<{ runs: RunEntry[] }>(`/api/runs${applied ? `?filter=${encodeURIComponent(applied)}` : ""}`).then(
      (r) => {
        setRuns(r.runs);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, [applied]);
  const metricKeys = useMemo(
    () => [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].slice(0, 5),
    [runs],
  );
  const paramKeys = useMemo(
    () =>
      [
        ...new Set(runs.flatMap((r) => Object.keys(r.params).filter((k) => typeof r.params[k] !== "object"))),
      ].slice(0, 4),
    [runs],
  );
  const columns = [
    "id",
    "status",
    "startedAt",
    ...metricKeys.map((k) => `metrics.${k}`),
    ...paramKeys.map((k) => `params.${k}`),
  ];
  const sorted = [...runs].sort(
    (a, b) => (sort.descending ? -1 : 1) * compare(valueOf(a, sort.key), valueOf(b, sort.key)),
  );
  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  return (
    <section aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      <form
        class="filter"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filter.trim());
        }}
      >
        <label>
          Filter{" "}
          <input
            name="filter"
            value={filter}
            placeholder="metrics.accuracy > 0.9 and params.learningRate < 0.05"
            onInput={(e) => setFilter(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Apply</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="table-wrap">
        <table class="runs">
          <thead>
            <tr>
              <th scope="col">Compare</th>
              {columns.map((c) => (
                <th
                  scope="col"
                  key={c}
                  aria-sort={sort.key === c ? (sort.descending ? "descending" : "ascending") : "none"}
                >
                  <button
                    type="button"
                    onClick={() => setSort({ key: c, descending: sort.key === c ? !sort.descending : true })}
                  >
                    {c.replace(/^(metrics|params)\./, "")}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={r.id} data-run={r.id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`compare ${r.id}`}
                    checked={selected.includes(r.id)}
                    onChange={() => toggle(r.id)}
                  />
                </td>
                {columns.map((c) => (
                  <td key={c} class={c === "status" ? r.status : undefined}>
                    {c === "startedAt" ? r.startedAt.slice(0, 19).replace("T", " ") : show(valueOf(r, c))}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {runs.length === 0 && !error && (
        <p>
          {applied
            ? "No run matches the filter."
            : "No runs yet: `modelship train` or `modelship run` writes them under .modelship/runs."}
        </p>
      )}
      {selected.length >= 2 && <CompareRuns ids={selected} />}
    </section>
  );
}

function CompareRuns(props: { ids: string[] }) {
  const [details, setDetails] = useState<RunDetail[]>([]);
  const [metric, setMetric] = useState<string>("val_loss");
  const [logY, setLogY] = useState(false);
  useEffect(() => {
    void Promise.all(props.ids.map((id) => getJson<RunDetail>(`/api/runs/${encodeURIComponent(id)}`))).then(
      setDetails,
    );
  }, [props.ids.join(",")]);
  const keys = [...new Set(details.flatMap((d) => d.history.flatMap((e) => Object.keys(e))))].filter(
    (k) => k !== "epoch",
  );
  const chosen = keys.includes(metric) ? metric : (keys[0] ?? metric);
  const curves: Curve[] = details.map((d) => ({
    label: d.id,
    points: d.history
      .filter((e) => Number.isFinite(e[chosen]))
      .map((e) => [e.epoch, e[chosen]!] as [number, number]),
  }));
  const rows = (pick: (d: RunDetail) => Record<string, unknown>) =>
    [...new Set(details.flatMap((d) => Object.keys(pick(d))))].map((k) => {
      const values = details.map((d) => pick(d)[k]);
      return { k, values, differs: new Set(values.map((v) => JSON.stringify(v))).size > 1 };
    });
  return (
    <section class="compare" aria-labelledby="compare-title">
      <h3 id="compare-title">Comparing {details.length} runs</h3>
      <label>
        Curve{" "}
        <select value={chosen} onChange={(e) => setMetric(e.currentTarget.value)}>
          {keys.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>{" "}
      <label>
        <input type="checkbox" checked={logY} onChange={() => setLogY(!logY)} /> log scale
      </label>
      <CurvesChart title={chosen} xLabel="epoch" curves={curves} logY={logY} />
      <table class="side-by-side">
        <thead>
          <tr>
            <th scope="col">value</th>
            {details.map((d) => (
              <th scope="col" key={d.id}>
                {d.id}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {[
            ...rows((d) => d.metrics).map((r) => ({ ...r, k: `metrics.${r.k}` })),
            ...rows((d) => d.params).map((r) => ({ ...r, k: `params.${r.k}` })),
          ].map((r) => (
            <tr key={r.k} class={r.differs ? "differs" : undefined}>
              <th scope="row">{r.k}</th>
              {r.values.map((v, i) => (
                <td key={i}>{show(v)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
