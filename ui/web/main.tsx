import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { LiveView } from "./live-view.tsx";
import { RunsView } from "./runs-view.tsx";
import { VersionsView } from "./versions-view.tsx";

const VIEWS = { runs: "Runs", versions: "Versions", live: "Live deployment" } as const;
type View = keyof typeof VIEWS;

const viewFromHash = (): View => {
  const h = location.hash.replace(/^#/, "");
  return h in VIEWS ? (h as View) : "runs";
};

function App() {
  const [view, setView] = useState<View>(viewFromHash());
  useEffect(() => {
    const onHash = () => setView(viewFromHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  return (
    <>
      <header>
        <h1>Modelship</h1>
        <nav aria-label="Views">
          {(Object.keys(VIEWS) as View[]).map((v) => (
            <a href={`#${v}`} aria-current={v === view ? "page" : undefined} key={v}>
              {VIEWS[v]}
            </a>
          ))}
        </nav>
      </header>
      <main>
        {view === "runs" && <RunsView />}
        {view === "versions" && <VersionsView />}
        {view === "live" && <LiveView />}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
