// One chart: a uPlot canvas (drawn with the CSSOM only, so the console's CSP
// is no obstacle; its stylesheet is part of ours) inside a <figure> whose
// text alternative is a one-line summary for screen readers and a table
// anyone can open. It follows its container's width.

import uPlot from "uplot";
import { h } from "../../shared/dom";
import type { Num } from "./types";

export interface SeriesSpec {
  label: string;
  color: string;
  scale: string;
  bars?: boolean;
  dash?: number[];
  format: (v: Num) => string;
}

export interface ScaleSpec {
  key: string;
  format: (v: number) => string;
  side: "left" | "right";
  /** A fixed range (shares: 0..1); otherwise from 0 to a little above the largest value. */
  range?: [number, number];
  /** The steps the axis may tick by (durations: whole seconds, minutes, hours). */
  incrs?: number[];
}

export interface ChartData {
  time: boolean;
  /** x values: seconds since the epoch when `time`, else plain numbers. */
  xs: number[];
  ys: Num[][];
  /** How an x value is written on the axis and in the table's first column. */
  xAxis: (x: number) => string;
  xLabel: (x: number) => string;
  xHead: string;
  series: SeriesSpec[];
  scales: ScaleSpec[];
  /** A vertical line with a label (the threshold in force). */
  marker?: { x: number; label: string };
  summary: string;
}

const HEIGHT = 220;
const AXIS = { stroke: "#4a5a55", font: "12px system-ui, sans-serif", grid: { stroke: "#e3e9e7", width: 1 }, ticks: { stroke: "#cfd8d5", width: 1 } };

export class Chart {
  readonly element: HTMLElement;
  private readonly box: HTMLElement;
  private readonly text: HTMLElement;
  private readonly tableBox: HTMLElement;
  private plot: uPlot | null = null;

  constructor(name: string, caption: string, private readonly asTable: string, private readonly noData: string) {
    const id = `report-chart-${name}`;
    this.box = h("div", { class: "chart-plot", "aria-hidden": "true" });
    this.text = h("p", { class: "sr-only" });
    this.tableBox = h("div", { class: "chart-table" });
    this.element = h("figure", { class: "chart", "data-chart": name, "aria-labelledby": id }, h("figcaption", { id }, caption), this.text, this.box, this.tableBox);
    new ResizeObserver(() => this.fit()).observe(this.box);
  }

  draw(d: ChartData): void {
    this.plot?.destroy();
    this.plot = null;
    this.box.replaceChildren();
    this.element.dataset.points = String(d.xs.length);
    if (d.xs.length === 0) {
      this.text.textContent = "";
      this.tableBox.replaceChildren(h("p", { class: "empty" }, this.noData));
      return;
    }
    this.text.textContent = d.summary;
    this.tableBox.replaceChildren(this.table(d));
    this.plot = new uPlot(this.options(d), [d.xs, ...d.ys] as uPlot.AlignedData, this.box);
  }

  private options(d: ChartData): uPlot.Options {
    const step = d.xs.length > 1 ? d.xs[1]! - d.xs[0]! : d.time ? 3600 : 0.05;
    const hasBars = d.series.some((s) => s.bars);
    const scales: uPlot.Scales = {
      x: { time: d.time, range: (_u, min, max) => (hasBars ? [min - step / 2, max + step / 2] : [min, max]) },
    };
    for (const s of d.scales) {
      scales[s.key] = { range: s.range ? () => s.range! : (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] };
    }
    const marker = d.marker;
    return {
      width: this.width(),
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales,
      series: [
        { label: d.xHead, value: (_u, x) => (x === null || x === undefined ? "" : d.xLabel(x)) },
        ...d.series.map(
          (s): uPlot.Series => ({
            label: s.label,
            scale: s.scale,
            stroke: s.color,
            width: s.bars ? 1 : 2,
            ...(s.bars ? { fill: `${s.color}55`, paths: uPlot.paths.bars!({ size: [0.7, 48] }), points: { show: false } } : {}),
            ...(s.dash ? { dash: s.dash } : {}),
            // A lone value between empty buckets has no line to show it: draw every point unless they crowd.
            ...(s.bars || d.xs.length > 90 ? {} : { points: { show: true, size: 6, fill: "#fff" } }),
            spanGaps: false,
            value: (_u, v) => s.format(v ?? null),
          }),
        ),
      ],
      axes: [
        { ...AXIS, space: 64, values: (_u, splits) => splits.map((x) => d.xAxis(x)) },
        ...d.scales.map(
          (s): uPlot.Axis => ({
            ...AXIS,
            scale: s.key,
            side: s.side === "left" ? 3 : 1,
            size: 64,
            ...(s.incrs ? { incrs: s.incrs } : {}),
            ...(s.side === "right" ? { grid: { show: false } } : {}),
            values: (_u, splits) => splits.map((v) => s.format(v)),
          }),
        ),
      ],
      hooks: marker ? { draw: [(u: uPlot) => drawMarker(u, marker.x, marker.label)] } : {},
    };
  }

  private table(d: ChartData): HTMLElement {
    const head = h("tr", {}, h("th", { scope: "col" }, d.xHead), ...d.series.map((s) => h("th", { scope: "col" }, s.label)));
    const rows = d.xs.map((x, i) => h("tr", {}, h("th", { scope: "row" }, d.xLabel(x)), ...d.series.map((s, j) => h("td", {}, s.format(d.ys[j]?.[i] ?? null)))));
    return h("details", {}, h("summary", {}, this.asTable), h("table", { class: "admin-table" }, h("thead", {}, head), h("tbody", {}, ...rows)));
  }

  private width(): number {
    return Math.max(280, Math.floor(this.box.clientWidth || 560));
  }

  private fit(): void {
    if (!this.plot || this.box.clientWidth === 0) return;
    const w = this.width();
    if (w !== this.plot.width) this.plot.setSize({ width: w, height: HEIGHT });
  }
}

/** A dashed vertical line at `x` with its label, drawn on the chart's own canvas. */
function drawMarker(u: uPlot, x: number, label: string): void {
  const px = u.valToPos(x, "x", true);
  const ctx = u.ctx;
  const { top, height } = u.bbox;
  ctx.save();
  ctx.strokeStyle = "#24443b";
  ctx.fillStyle = "#24443b";
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
  ctx.beginPath();
  ctx.moveTo(px, top);
  ctx.lineTo(px, top + height);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.font = `${12 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.textBaseline = "top";
  const w = ctx.measureText(label).width;
  const left = px + 4 * devicePixelRatio + w > u.bbox.left + u.bbox.width ? px - 4 * devicePixelRatio - w : px + 4 * devicePixelRatio;
  ctx.fillText(label, left, top + 2 * devicePixelRatio);
  ctx.restore();
}
