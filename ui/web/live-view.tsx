import { useEffect, useRef, useState } from "preact/hooks";
import {
  formatNumber,
  getJson,
  postAction,
  type DeploymentStatus,
  type DriftReport,
  type ModelVersion,
} from "./api.ts";
import { CurvesChart, type Curve } from "./curves-chart.tsx";

const RATE_WINDOW = 60;

/** Follows `/api/events` and keeps requests/s per variant from successive request counts. */
function useDeployment(): { status: DeploymentStatus | null; rates: Curve[]; error: string | null } {
  const [status, setStatus] = useState<DeploymentStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rates, setRates] = useState<Curve[]>([]);
  const last = useRef<{ t: number; counts: Map<string, number> } | null>(null);
  useEffect(() => {
    const source = new EventSource("/api/events");
    source.addEventListener("deployment", (e) => {
      const s = JSON.parse((e as MessageEvent<string>).data) as DeploymentStatus & { error?: string };
      if (s.error) return setError(s.error);
      setError(null);
      setStatus(s);
      const t = Date.now() / 1000;
      const counts = new Map(s.traffic.map((x) => [`${x.variant} v${x.version}`, x.requests]));
      const prev = last.current;
      last.current = { t, counts };
      if (!prev) return;
      setRates((curves) => {
        const next = new Map(curves.map((c) => [c.label, c.points]));
        for (const [label, n] of counts) {
          const before = prev.counts.get(label);
          if (before === undefined || n < before) continue;
          const points = [...(next.get(label) ?? []), [t, (n - before) / (t - prev.t)] as [number, number]];
          next.set(label, points.slice(-RATE_WINDOW));
        }
        return [...next].map(([label, points]) => ({ label, points }));
      });
    });
    source.onerror = () => setError("the event stream is reconnecting…");
    return () => source.close();
  }, []);
  return { status, rates, error };
}

/** The live environment: slots, traffic per variant, the rollout and its timeline, and actions. */
export function LiveView() {
  const { status, rates, error } = useDeployment();
  if (!status) return <p>{error ?? "Connecting…"}</p>;
  const record = status.current ?? status.history.at(-1) ?? null;
  return (
    <section aria-labelledby="live-title">
      <h2 id="live-title">
        {status.environment}:{" "}
        {status.active ? (
          <span data-live-version={status.active.version}>v{status.active.version}</span>
        ) : (
          "nothing deployed"
        )}
        {!status.serving && <span class="badge">router stopped</span>}
      </h2>
      {error && (
        <p role="status" class="error">
          {error}
        </p>
      )}
      <h3>Slots</h3>
      <div class="table-wrap">
        <table class="slots">
          <thead>
            <tr>
              <th scope="col">slot</th>
              <th scope="col">version</th>
              <th scope="col">pid</th>
              <th scope="col">live</th>
            </tr>
          </thead>
          <tbody>
            {(["blue", "green"] as const).map((c) => {
              const s = status.slots[c];
              return (
                <tr key={c} data-slot={c}>
                  <th scope="row">{c}</th>
                  <td>{s ? `v${s.version}` : "–"}</td>
                  <td>{s?.pid ?? "–"}</td>
                  <td>
                    {status.active?.colour === c
                      ? `live${status.health ? ` (${status.health.state})` : ""}`
                      : ""}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {status.traffic.length > 0 && <Traffic status={status} />}
      {rates.length > 0 && (
        <CurvesChart
          title="requests/s"
          xLabel="time (s)"
          curves={rates.map((c) => ({
            ...c,
            points: c.points.map(([t, y]) => [Math.round(t), y] as [number, number]),
          }))}
        />
      )}
      {record && (
        <>
          <h3>
            Rollout {record.id}: {record.kind} v{record.version} —{" "}
            {status.rollout ? `${status.rollout.strategy}, ` : ""}
            <span data-phase={record.phase}>{record.phase}</span>
            {record.outcome ? ` (${record.outcome}${record.reason ? `: ${record.reason}` : ""})` : ""}
          </h3>
          <ol class="timeline">
            {record.timeline
              .filter((e) => e.accepted)
              .map((e, i) => (
                <li key={i}>
                  {e.at.slice(11, 23)} {e.event}: {e.from} → {e.to}
                  {e.note ? <span class="muted"> — {e.note}</span> : null}
                </li>
              ))}
          </ol>
        </>
      )}
      <Drift />
      <Actions status={status} />
    </section>
  );
}

/** Drift per feature from the environment's latest `modelship drift --env` report. */
function Drift() {
  const [report, setReport] = useState<DriftReport | null | undefined>(undefined);
  useEffect(() => {
    void getJson<DriftReport | null>("/api/drift").then(setReport, () => setReport(null));
  }, []);
  if (report === undefined) return null;
  if (report === null)
    return (
      <section class="drift" aria-labelledby="drift-title">
        <h3 id="drift-title">Drift</h3>
        <p class="muted">No drift report yet: `modelship drift --env` writes one.</p>
      </section>
    );
  const rows = report.prediction ? [...report.features, report.prediction] : report.features;
  return (
    <section class="drift" aria-labelledby="drift-title">
      <h3 id="drift-title">
        Drift:{" "}
        {report.status === "not-enough-data"
          ? "not enough data"
          : report.drift
            ? "dataset drifted"
            : "no dataset drift"}
      </h3>
      <p class="muted">
        {report.at.slice(0, 19).replace("T", " ")} · {report.rows.current} rows against {report.reference} (
        {report.rows.reference} rows) · {formatNumber(report.share * 100, 3)}% of features drifted
      </p>
      <div class="table-wrap">
        <table class="drift-features">
          <thead>
            <tr>
              {["feature", "test", "statistic", "p-value", "threshold", "drifted"].map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((f) => (
              <tr key={f.name} class={f.drifted ? "drifted" : undefined}>
                <td>{f.name}</td>
                <td>{f.test}</td>
                <td>{formatNumber(f.statistic)}</td>
                <td>{formatNumber(f.pValue)}</td>
                <td>{formatNumber(f.threshold)}</td>
                <td>{f.drifted ? "yes" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Traffic(props: { status: DeploymentStatus }) {
  return (
    <>
      <h3>Traffic</h3>
      <div class="table-wrap">
        <table class="traffic">
          <thead>
            <tr>
              {[
                "variant",
                "version",
                "slot",
                "weight %",
                "requests",
                "error rate",
                "p50 ms",
                "p95 ms",
                "p99 ms",
              ].map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.status.traffic.map((t) => (
              <tr key={t.slot}>
                <td>{t.variant}</td>
                <td>v{t.version}</td>
                <td>{t.slot}</td>
                <td>{t.shadowPercent !== null ? `shadow ${t.shadowPercent}` : t.weight}</td>
                <td>{t.requests}</td>
                <td>{formatNumber(t.errorRate, 3)}</td>
                <td>{formatNumber(t.p50Ms, 3)}</td>
                <td>{formatNumber(t.p95Ms, 3)}</td>
                <td>{formatNumber(t.p99Ms, 3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

type Pending = { action: string; label: string; body?: unknown };

/** Promote, abort, rollback, deploy: each needs the router's admin token and a confirmation. */
function Actions(props: { status: DeploymentStatus }) {
  const [token, setToken] = useState("");
  const [versions, setVersions] = useState<ModelVersion[]>([]);
  const [target, setTarget] = useState("");
  const [pending, setPending] = useState<Pending | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    void getJson<ModelVersion[]>("/api/versions").then((v) => {
      setVersions(v);
      setTarget((t) => t || (v[0]?.version ?? ""));
    });
  }, []);
  useEffect(() => {
    if (pending) dialog.current?.showModal();
    else dialog.current?.close();
  }, [pending]);
  const run = async (p: Pending) => {
    setPending(null);
    setResult(`${p.label}…`);
    try {
      const r = await postAction<{ outcome?: string; version?: string; message?: string }>(
        p.action,
        token,
        p.body,
      );
      setResult(
        `${p.label}: ${r.outcome ?? "done"}${r.version ? ` (v${r.version})` : ""}${r.message ? ` — ${r.message}` : ""}`,
      );
    } catch (e) {
      setResult(`${p.label} refused: ${(e as Error).message}`);
    }
  };
  const inRollout = props.status.rollout !== null;
  return (
    <section class="actions" aria-labelledby="actions-title">
      <h3 id="actions-title">Actions</h3>
      <label>
        Admin token{" "}
        <input
          type="password"
          autocomplete="off"
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
      </label>
      <p class="muted">
        The token is in .modelship/deploy/{props.status.environment}.admin.json; without it this page only
        reads.
      </p>
      <div class="buttons">
        <button
          type="button"
          disabled={!token}
          onClick={() => setPending({ action: "rollback", label: "Roll back" })}
        >
          Roll back
        </button>
        <button
          type="button"
          disabled={!token || !inRollout}
          onClick={() => setPending({ action: "promote", label: "Promote" })}
        >
          Promote
        </button>
        <button
          type="button"
          disabled={!token || !inRollout}
          onClick={() => setPending({ action: "abort", label: "Abort" })}
        >
          Abort
        </button>
        <label>
          Version{" "}
          <select value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          disabled={!token || !target}
          onClick={() =>
            setPending({ action: "deploy", label: `Deploy v${target}`, body: { version: target } })
          }
        >
          Deploy
        </button>
      </div>
      {result && (
        <p role="status" class="result">
          {result}
        </p>
      )}
      <dialog ref={dialog} onClose={() => setPending(null)} aria-labelledby="confirm-title">
        <h4 id="confirm-title">
          {pending?.label} in {props.status.environment}?
        </h4>
        <p>Traffic of {props.status.environment} moves as soon as you confirm.</p>
        <div class="buttons">
          <button type="button" onClick={() => setPending(null)}>
            Cancel
          </button>
          <button type="button" class="danger" onClick={() => pending && void run(pending)}>
            Confirm
          </button>
        </div>
      </dialog>
    </section>
  );
}
