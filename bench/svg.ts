/**
 * A tiny SVG chart generator: horizontal bar charts with p10–p90 whiskers
 * and line charts (optionally log-x) with whiskers. Plain strings, no
 * dependencies; the output is static SVG that GitHub renders inline.
 */

export interface Bar {
  label: string;
  value: number;
  lo?: number;
  hi?: number;
  /** Bars of one group share a colour. */
  group?: string;
}

export interface BarChart {
  title: string;
  subtitle?: string;
  /** The x-axis caption, e.g. "× the C floor (median, p10–p90 whiskers)". */
  axis: string;
  bars: Bar[];
  /** Vertical reference lines, e.g. { at: 1, label: "floor" }. */
  refs?: { at: number; label: string }[];
  /** Digits after the point in value labels. */
  digits?: number;
}

export interface Series {
  name: string;
  points: { x: number; y: number; lo?: number; hi?: number }[];
}

export interface LineChart {
  title: string;
  subtitle?: string;
  xAxis: string;
  yAxis: string;
  series: Series[];
  logX?: boolean;
  refs?: { at: number; label: string }[];
}

const PALETTE = ["#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e", "#9498a0"];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : "–");

/** Round axis ticks covering [min(0, lo), max]. */
function ticks(max: number, count = 5, lo = 0): number[] {
  const min = Math.min(0, lo);
  const span = Math.max(max, 0) - min;
  if (!(span > 0)) return [0, 1];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.floor(min / step) * step; t <= max + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  if (out[out.length - 1]! < max) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

function header(width: number, height: number, title: string, subtitle?: string): string[] {
  // Wide enough for the title and subtitle, whatever the plot needs.
  const w = Math.ceil(Math.max(width, 24 + 8.6 * title.length, 24 + 6.8 * (subtitle?.length ?? 0)));
  const h = Math.ceil(height);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ${FONT} font-size="12">`,
    `<title>${escapeXml(subtitle ? `${title} (${subtitle})` : title)}</title>`,
    `<rect width="${w}" height="${h}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="15" font-weight="600" fill="#111">${escapeXml(title)}</text>`,
  ];
  if (subtitle) out.push(`<text x="16" y="42" fill="#555">${escapeXml(subtitle)}</text>`);
  return out;
}

export function barChart(c: BarChart): string {
  const digits = c.digits ?? 2;
  const labelWidth = Math.min(560, 16 + 6.6 * Math.max(...c.bars.map((b) => b.label.length), 4));
  const plotWidth = 420;
  const rowHeight = 24;
  const top = (c.subtitle ? 58 : 40) + (c.refs?.length ? 14 : 0);
  const width = labelWidth + plotWidth + 90;
  const height = top + rowHeight * c.bars.length + 48;
  const finite = (v: number[]) => v.filter(Number.isFinite);
  const maxValue = Math.max(...finite(c.bars.map((b) => Math.max(b.value, b.hi ?? 0))), ...(c.refs ?? []).map((r) => r.at), 0);
  const minValue = Math.min(...finite(c.bars.map((b) => Math.min(b.value, b.lo ?? 0))), 0);
  const axis = ticks(maxValue * 1.05, 5, minValue * 1.05);
  const xMin = axis[0]!;
  const xMax = axis[axis.length - 1]!;
  const x = (v: number) => labelWidth + ((Math.min(Math.max(v, xMin), xMax) - xMin) / (xMax - xMin)) * plotWidth;
  const groups = [...new Set(c.bars.map((b) => b.group ?? ""))];
  const out = header(width, height, c.title, c.subtitle);
  const bottom = top + rowHeight * c.bars.length;
  for (const t of axis) {
    out.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 4}" x2="${x(t).toFixed(1)}" y2="${bottom}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" fill="#555">${t}</text>`);
  }
  if (xMin < 0) out.push(`<line x1="${x(0).toFixed(1)}" y1="${top - 4}" x2="${x(0).toFixed(1)}" y2="${bottom}" stroke="#888"/>`);
  out.push(`<text x="${labelWidth + plotWidth / 2}" y="${bottom + 36}" text-anchor="middle" fill="#333">${escapeXml(c.axis)}</text>`);
  c.bars.forEach((b, i) => {
    const y = top + i * rowHeight;
    const colour = PALETTE[groups.indexOf(b.group ?? "") % PALETTE.length];
    out.push(`<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end" fill="#222">${escapeXml(b.label)}</text>`);
    if (Number.isFinite(b.value)) {
      const x0 = Math.min(x(0), x(b.value));
      out.push(`<rect x="${x0.toFixed(1)}" y="${y + 5}" width="${Math.abs(x(b.value) - x(0)).toFixed(1)}" height="${rowHeight - 10}" fill="${colour}" fill-opacity="0.85"/>`);
      if (b.lo !== undefined && b.hi !== undefined && Number.isFinite(b.lo) && Number.isFinite(b.hi)) {
        const ym = y + rowHeight / 2;
        out.push(`<line x1="${x(b.lo).toFixed(1)}" y1="${ym}" x2="${x(b.hi).toFixed(1)}" y2="${ym}" stroke="#222" stroke-width="1.2"/>`);
        for (const v of [b.lo, b.hi]) out.push(`<line x1="${x(v).toFixed(1)}" y1="${ym - 5}" x2="${x(v).toFixed(1)}" y2="${ym + 5}" stroke="#222" stroke-width="1.2"/>`);
      }
      const labelX = Math.max(x(b.value), b.hi !== undefined && Number.isFinite(b.hi) ? x(b.hi) : 0) + 6;
      out.push(`<text x="${labelX.toFixed(1)}" y="${y + 16}" fill="#222">${fmt(b.value, digits)}</text>`);
    } else {
      out.push(`<text x="${labelWidth + 4}" y="${y + 16}" fill="#888">not measured</text>`);
    }
  });
  for (const r of c.refs ?? []) {
    out.push(`<line x1="${x(r.at).toFixed(1)}" y1="${top - 8}" x2="${x(r.at).toFixed(1)}" y2="${bottom}" stroke="#c00" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${(x(r.at) + 3).toFixed(1)}" y="${top - 10}" fill="#c00" font-size="11">${escapeXml(r.label)}</text>`);
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

export function lineChart(c: LineChart): string {
  const right = 24 + 7 * Math.max(...c.series.map((q) => q.name.length), 8);
  const width = 560 + right;
  const height = 400;
  const left = 70;
  const top = c.subtitle ? 64 : 46;
  const bottom = height - 52;
  const pts = c.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  const xs = pts.map((p) => p.x);
  const xLo = c.logX ? Math.log10(Math.max(Math.min(...xs), 1e-9)) : Math.min(0, ...xs);
  const xHi = c.logX ? Math.log10(Math.max(...xs)) : Math.max(...xs);
  const yAxis = ticks(Math.max(...pts.map((p) => Math.max(p.y, p.hi ?? 0)), ...(c.refs ?? []).map((r) => r.at)) * 1.05);
  const yMax = yAxis[yAxis.length - 1]!;
  const xAt = (v: number) => left + (((c.logX ? Math.log10(Math.max(v, 1e-9)) : v) - xLo) / (xHi - xLo || 1)) * (width - left - right);
  const yAt = (v: number) => bottom - (v / yMax) * (bottom - top);
  const out = header(width, height, c.title, c.subtitle);
  for (const t of yAxis) {
    out.push(`<line x1="${left}" y1="${yAt(t).toFixed(1)}" x2="${width - right}" y2="${yAt(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${(yAt(t) + 4).toFixed(1)}" text-anchor="end" fill="#555">${t}</text>`);
  }
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  for (const t of xTicks) out.push(`<text x="${xAt(t).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" fill="#555">${t}</text>`);
  out.push(`<line x1="${left}" y1="${bottom}" x2="${width - right}" y2="${bottom}" stroke="#888"/>`);
  out.push(`<text x="${(left + (width - right)) / 2}" y="${bottom + 36}" text-anchor="middle" fill="#333">${escapeXml(c.xAxis)}</text>`);
  out.push(`<text transform="translate(16 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escapeXml(c.yAxis)}</text>`);
  for (const r of c.refs ?? []) {
    out.push(`<line x1="${left}" y1="${yAt(r.at).toFixed(1)}" x2="${width - right}" y2="${yAt(r.at).toFixed(1)}" stroke="#c00" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${left + 4}" y="${(yAt(r.at) + 14).toFixed(1)}" fill="#c00" font-size="11">${escapeXml(r.label)}</text>`);
  }
  c.series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const p = s.points.filter((q) => Number.isFinite(q.y));
    if (p.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${p.map((q) => `${xAt(q.x).toFixed(1)},${yAt(q.y).toFixed(1)}`).join(" ")}"/>`);
    for (const q of p) {
      if (q.lo !== undefined && q.hi !== undefined && Number.isFinite(q.lo) && Number.isFinite(q.hi)) {
        out.push(`<line x1="${xAt(q.x).toFixed(1)}" y1="${yAt(q.lo).toFixed(1)}" x2="${xAt(q.x).toFixed(1)}" y2="${yAt(q.hi).toFixed(1)}" stroke="${colour}" stroke-width="1.2"/>`);
      }
      out.push(`<circle cx="${xAt(q.x).toFixed(1)}" cy="${yAt(q.y).toFixed(1)}" r="3.5" fill="${colour}"/>`);
    }
    const ly = top + 8 + i * 20;
    out.push(`<rect x="${width - right + 14}" y="${ly - 9}" width="12" height="12" fill="${colour}"/>`);
    out.push(`<text x="${width - right + 32}" y="${ly + 1}" fill="#222">${escapeXml(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
