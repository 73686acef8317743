import { useEffect, useState } from "preact/hooks";
import { formatNumber, getJson, type ModelVersion, type VersionDetail } from "./api.ts";

/** The registry: versions with their aliases; one version's metrics, lineage, artifacts and alias history. */
export function VersionsView() {
  const [versions, setVersions] = useState<ModelVersion[]>([]);
  const [chosen, setChosen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<ModelVersion[]>("/api/versions").then(setVersions, (e: Error) => setError(e.message));
  }, []);
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {versions.length === 0 && !error && <p>No registered versions yet (`modelship register RUN_DIR`).</p>}
      <ul class="versions">
        {versions.map((v) => (
          <li key={v.version}>
            <button type="button" aria-pressed={chosen === v.version} onClick={() => setChosen(v.version)}>
              v{v.version}
            </button>{" "}
            {v.aliases.map((a) => (
              <span class="alias" key={a}>
                {a}
              </span>
            ))}{" "}
            <span class="muted">{v.createdAt.slice(0, 19).replace("T", " ")}</span>
          </li>
        ))}
      </ul>
      {chosen && <VersionCard version={chosen} />}
    </section>
  );
}

function VersionCard(props: { version: string }) {
  const [v, setV] = useState<VersionDetail | null>(null);
  useEffect(() => {
    void getJson<VersionDetail>(`/api/versions/${encodeURIComponent(props.version)}`).then(setV);
  }, [props.version]);
  if (!v) return <p>Loading v{props.version}…</p>;
  return (
    <article class="card" aria-labelledby="card-title">
      <h3 id="card-title">
        {v.name} v{v.version}
      </h3>
      <Lineage v={v} />
      <h4>Metrics</h4>
      <table>
        <tbody>
          {Object.entries(v.metrics).map(([k, x]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{formatNumber(x)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Artifacts</h4>
      <div class="table-wrap">
        <table class="artifacts">
          <thead>
            <tr>
              <th scope="col">file</th>
              <th scope="col">bytes</th>
              <th scope="col">sha256</th>
            </tr>
          </thead>
          <tbody>
            {v.artifacts.map((a) => (
              <tr key={a.path}>
                <td>{a.path}</td>
                <td>{a.bytes}</td>
                <td>
                  <code>{a.sha256}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h4>Alias history</h4>
      {Object.entries(v.aliasHistory).map(([alias, events]) => (
        <div key={alias}>
          <h5>{alias}</h5>
          <ol class="timeline">
            {events.map((e, i) => (
              <li key={i}>
                {e.at.slice(0, 19).replace("T", " ")} → {e.version ?? "removed"}{" "}
                {e.reason ? <span class="muted">({e.reason})</span> : null}
              </li>
            ))}
          </ol>
        </div>
      ))}
    </article>
  );
}

/** Commit → run → version ← parent version, as a small graph. */
function Lineage(props: { v: VersionDetail }) {
  const { v } = props;
  const nodes = [
    { label: `commit ${v.lineage.commit?.slice(0, 7) ?? "?"}`, x: 10 },
    { label: `data ${v.dataFingerprint.replace(/^sha256:/, "").slice(0, 8)}`, x: 150 },
    { label: `run ${v.runId.slice(0, 14)}`, x: 290 },
    { label: `v${v.version}`, x: 430 },
  ];
  const parent = v.lineage.parentVersion;
  return (
    <svg
      class="lineage"
      viewBox="0 0 560 110"
      role="img"
      aria-label={`lineage: ${nodes.map((n) => n.label).join(" → ")}${parent ? `, parent v${parent}` : ""}`}
    >
      {nodes.map((n, i) => (
        <g key={n.label}>
          <rect
            x={n.x}
            y={10}
            width={120}
            height={30}
            rx={6}
            class={i === nodes.length - 1 ? "node current" : "node"}
          />
          <text x={n.x + 60} y={30} text-anchor="middle">
            {n.label}
          </text>
          {i > 0 && <line x1={nodes[i - 1]!.x + 120} y1={25} x2={n.x} y2={25} class="edge" />}
        </g>
      ))}
      {parent && (
        <g>
          <rect x={430} y={70} width={120} height={30} rx={6} class="node" />
          <text x={490} y={90} text-anchor="middle">
            parent v{parent}
          </text>
          <line x1={490} y1={70} x2={490} y2={40} class="edge" />
        </g>
      )}
    </svg>
  );
}
