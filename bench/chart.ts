import { capacityAt, type CapacityTimeline } from './claude.js';
import type { RunResult } from './simulate.js';

const WIDTH = 960;
const HEIGHT = 440;
const MARGIN = { top: 48, right: 220, bottom: 44, left: 64 };
const COLORS: Record<string, string> = {
  'immediate-retry': '#d62728',
  'tanstack-query-default': '#ff7f0e',
  'anthropic-sdk-default': '#9467bd',
  'vercel-ai-sdk-default': '#8c564b',
  'tanstack-mutation-default': '#ffbb78',
  'tanstack-query-patient': '#e6550d',
  'anthropic-sdk-patient': '#c5b0d5',
  'claude-overload-kit': '#1f77b4',
  'claude-overload-kit (shared store)': '#1f77b4',
  'claude-overload-kit (store per instance)': '#17becf',
  ideal: '#2ca02c',
};
const FALLBACK_COLORS = ['#17becf', '#bcbd22', '#e377c2', '#7f7f7f'];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fixed = (x: number) => x.toFixed(1);

export interface ChartInput {
  title: string;
  runs: readonly RunResult[];
  timeline: CapacityTimeline;
  bucketMs: number;
  /** Mean service time: turns slots into the answers per second Claude can give. */
  meanServiceMs: number;
}

/**
 * Attempts per second over time for each strategy, on a log scale (a tight loop sends hundreds of times what
 * the others do), with Claude's capacity in answers per second overlaid and the drop shaded. Plain SVG text.
 */
export function renderChart(input: ChartInput): string {
  const { runs, timeline, bucketMs, meanServiceMs } = input;
  const buckets = Math.max(1, ...runs.map((r) => r.perBucket.length));
  const endMs = buckets * bucketMs;
  const perSecond = (count: number) => count / (bucketMs / 1000);
  const peak = Math.max(1, ...runs.flatMap((r) => r.perBucket.map(perSecond)), timeline.slots / (meanServiceMs / 1000));
  const topExp = Math.ceil(Math.log10(peak));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (ms: number) => MARGIN.left + (ms / endMs) * plotW;
  // Log scale from 0.1/s; zero sits on the axis.
  const y = (v: number) => MARGIN.top + plotH * (1 - (Math.log10(Math.max(v, 0.1)) + 1) / (topExp + 1));

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" `
      + `font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="15" font-weight="600">${escape(input.title)}</text>`,
    `<rect x="${fixed(x(timeline.dropStartMs))}" y="${MARGIN.top}" width="${fixed(x(timeline.dropStartMs + timeline.dropMs)
      - x(timeline.dropStartMs))}" height="${plotH}" fill="#f2f2f2"/>`,
    `<text x="${fixed(x(timeline.dropStartMs) + 4)}" y="${MARGIN.top + 14}" fill="#666">capacity drop</text>`,
  ];
  for (let e = -1; e <= topExp; e++) {
    const v = 10 ** e;
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fixed(y(v))}" y2="${fixed(y(v))}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${fixed(y(v) + 4)}" text-anchor="end">${v < 1 ? v : v.toLocaleString('en')}</text>`);
  }
  const stepMin = endMs > 30 * 60_000 ? 5 : 1;
  for (let m = 0; m * 60_000 <= endMs; m += stepMin) {
    out.push(`<text x="${fixed(x(m * 60_000))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${m}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">minutes</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">attempts per second (log)</text>`);

  const capacity: string[] = [];
  for (let ms = 0; ms <= endMs; ms += 1000) {
    capacity.push(`${fixed(x(ms))},${fixed(y(capacityAt(timeline, ms) / (meanServiceMs / 1000)))}`);
  }
  out.push(`<polyline points="${capacity.join(' ')}" fill="none" stroke="#000" stroke-width="2" stroke-dasharray="6 4"/>`);

  const legend: Array<[string, string, string]> = [['Claude capacity (answers/s)', '#000', '6 4']];
  runs.forEach((run, i) => {
    const color = COLORS[run.name] ?? FALLBACK_COLORS[i % FALLBACK_COLORS.length] ?? '#000';
    const points = run.perBucket.map((count, b) => `${fixed(x((b + 0.5) * bucketMs))},${fixed(y(perSecond(count)))}`);
    out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round"/>`);
    legend.push([run.name, color, '']);
  });
  legend.forEach(([name, color, dash], i) => {
    const ly = MARGIN.top + 8 + i * 20;
    const lx = WIDTH - MARGIN.right + 16;
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"`
      + `${dash ? ` stroke-dasharray="${dash}"` : ''}/>`, `<text x="${lx + 30}" y="${ly + 4}">${escape(name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
