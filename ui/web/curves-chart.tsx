import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export type Curve = { label: string; points: Array<[number, number]> };

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

/** Aligns curves on the union of their x values (uPlot's data layout); gaps are null. */
export function alignCurves(curves: readonly Curve[]): uPlot.AlignedData {
  const xs = [...new Set(curves.flatMap((c) => c.points.map(([x]) => x)))].sort((a, b) => a - b);
  const ys = curves.map((c) => {
    const at = new Map(c.points);
    return xs.map((x) => at.get(x) ?? null);
  });
  return [xs, ...ys] as uPlot.AlignedData;
}

/** Learning curves (or any series over a numeric x) drawn with uPlot on a canvas. */
export function CurvesChart(props: {
  title: string;
  xLabel: string;
  curves: Curve[];
  logY?: boolean;
  width?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || props.curves.length === 0) return;
    const width = props.width ?? Math.max(300, Math.min(900, el.clientWidth || 600));
    const plot = new uPlot(
      {
        title: props.title,
        width,
        height: 260,
        scales: { x: { time: false }, y: props.logY ? { distr: 3 } : {} },
        axes: [{ label: props.xLabel }, {}],
        series: [
          { label: props.xLabel },
          ...props.curves.map((c, i) => ({
            label: c.label,
            stroke: COLOURS[i % COLOURS.length]!,
            width: 2,
            spanGaps: true,
          })),
        ],
      },
      alignCurves(props.curves),
      el,
    );
    return () => plot.destroy();
  }, [props.title, props.xLabel, props.curves, props.logY, props.width]);
  return (
    <div
      class="chart"
      ref={box}
      role="img"
      aria-label={`${props.title}: ${props.curves.map((c) => c.label).join(", ")}`}
    />
  );
}
