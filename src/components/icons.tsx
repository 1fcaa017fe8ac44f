import { stillWaitingAfterIncident } from '../core/messages.js';
import type { DemandSnapshot } from '../core/types.js';

/**
 * One shape per state, so none is told by colour alone (WCAG 1.4.1). Paths after Lucide (ISC), 24 px grid, each
 * icon's strokes joined into one path (a later subpath starts with an absolute `M`, so it draws where Lucide's own
 * `<path>` did).
 */
const PATHS = {
  hourglass: 'M5 22h14M5 2h14M17 22v-4.17a2 2 0 0 0-.59-1.41L12 12l-4.41 4.41A2 2 0 0 0 7 17.83V22M7 2v4.17a2 2 0 0 0 .59 1.41L12 12l4.41-4.41A2 2 0 0 0 17 6.17V2',
  gauge: 'M12 14l4-4M3.34 19a10 10 0 1 1 17.32 0',
  'wifi-off': 'M12 20h.01M8.5 16.43a5 5 0 0 1 7 0M5 12.86a10 10 0 0 1 5.17-2.69M19 12.86a10 10 0 0 0-2.01-1.52M2 8.82a15 15 0 0 1 4.18-2.64M22 8.82a15 15 0 0 0-11.29-3.76M2 2l20 20',
  'triangle-alert': 'M21.73 18l-8-14a2 2 0 0 0-3.48 0l-8 14A2 2 0 0 0 4 21h16a2 2 0 0 0 1.73-3M12 9v4M12 17h.01',
  'octagon-x': 'M2.59 16.73A2 2 0 0 1 2 15.31V8.69a2 2 0 0 1 .59-1.41l4.69-4.69A2 2 0 0 1 8.69 2h6.62a2 2 0 0 1 1.41.59l4.69 4.69A2 2 0 0 1 22 8.69v6.62a2 2 0 0 1-.59 1.41l-4.69 4.69a2 2 0 0 1-1.41.59H8.69a2 2 0 0 1-1.41-.59zM15 9l-6 6M9 9l6 6',
  'circle-check': 'M21.8 10A10 10 0 1 1 17 3.33M9 11l3 3L22 4',
} as const;

export type IconName = keyof typeof PATHS;

/** The icon for a snapshot: busy, rate-limited, offline, incident (or its end), unavailable, back to normal. */
export function iconFor(demand: Pick<DemandSnapshot, 'level' | 'incident'> & Partial<Pick<DemandSnapshot, 'waiting' | 'retrying'>>): IconName {
  if (demand.level !== 'incident') return LEVEL_ICONS[demand.level];
  if (demand.incident?.status !== 'resolved') return 'triangle-alert';
  return stillWaitingAfterIncident(demand) ? 'hourglass' : 'circle-check';
}

const LEVEL_ICONS: Record<Exclude<DemandSnapshot['level'], 'incident'>, IconName> = {
  normal: 'circle-check',
  busy: 'hourglass',
  rate_limited: 'gauge',
  offline: 'wifi-off',
  unavailable: 'octagon-x',
};

/** The state's icon inside `.cok-indicator` (which draws the waiting ring); hidden from assistive technology. */
export function StateIcon({ name }: { name: IconName }) {
  return (
    <span className="cok-indicator" aria-hidden="true">
      <svg
        className="cok-icon"
        data-icon={name}
        viewBox="0 0 24 24"
        fill="none"
        stroke="currentColor"
        strokeWidth={2}
        strokeLinecap="round"
        strokeLinejoin="round"
        focusable="false"
      >
        <path d={PATHS[name]} />
      </svg>
    </span>
  );
}
