import type { Meta, StoryObj } from '@storybook/react-vite';
import { useEffect, useState } from 'react';
import { expect, fn, waitFor } from 'storybook/test';
import { ClaudeToasterView, type ClaudeToasterViewProps } from '../src/components/ClaudeToasterView.js';
import type { DemandSnapshot } from '../src/core/types.js';
import { AppFrame, busyDemand, NORMAL, STORY_MESSAGES, useDemandAt } from './support.js';

type Args = ClaudeToasterViewProps & {
  retryInSeconds?: number;
  /** Story only: snapshots applied one after another, `afterMs` from mount. */
  script?: { afterMs: number; demand: DemandSnapshot; retryInSeconds?: number }[];
};

/** Plays a short episode: the toaster sees successive snapshots, as it would from useClaudeDemand(). */
function Toaster({ retryInSeconds, demand, script = [], ...props }: Args) {
  const initial = useDemandAt(demand, retryInSeconds);
  const [current, setCurrent] = useState(initial);
  useEffect(() => {
    const timers = script.map((step) =>
      setTimeout(() => {
        const next = step.retryInSeconds === undefined ? step.demand : { ...step.demand, nextAttemptAt: Date.now() + step.retryInSeconds * 1000 };
        setCurrent(next);
      }, step.afterMs),
    );
    return () => timers.forEach(clearTimeout);
  }, [script]);
  return (
    <>
      <AppFrame />
      <ClaudeToasterView {...props} demand={current} />
    </>
  );
}

const meta = {
  title: 'Components/ClaudeToaster',
  component: ClaudeToasterView,
  render: (args) => <Toaster {...args} />,
  args: { demand: busyDemand({ attempt: 1 }), messages: STORY_MESSAGES, retryInSeconds: 8, onRetryNow: fn(), onCancel: fn() },
  argTypes: {
    retryInSeconds: { control: { type: 'number', min: 0 }, description: 'Story only: next attempt, seconds from mount' },
    script: { control: false },
  },
} satisfies Meta<Args>;

export default meta;
type Story = StoryObj<typeof meta>;

/** The episode's toast: headline, countdown, Cancel and Retry now. Retry now keeps it open (the episode goes on). */
export const EpisodeStart: Story = {
  play: async ({ args, canvas, userEvent }) => {
    const toast = await canvas.findByRole('listitem');
    await expect(toast).toHaveTextContent('Claude is busy right now.');
    await userEvent.click(canvas.getByRole('button', { name: 'Retry now' }));
    await expect(args.onRetryNow).toHaveBeenCalledTimes(1);
    await expect(canvas.getByRole('listitem')).toBeVisible();
    await expect(canvas.getByRole('button', { name: 'Cancel' })).toBeVisible();
    // F8 takes the keyboard to the toasts (Radix's hotkey), from anywhere on the page.
    await userEvent.keyboard('{F8}');
    await waitFor(() => expect(canvas.getByRole('region', { name: 'Notifications (F8)' }).contains(document.activeElement)).toBe(true));
  },
};

/** The only attempt is on the wire: Retry now would send nothing, so it is not offered; Cancel still stops it. */
export const InFlight: Story = {
  args: { demand: busyDemand({ retrying: true, inFlight: 1, waiting: 0 }), retryInSeconds: undefined },
  play: async ({ canvas }) => {
    await canvas.findByRole('listitem');
    await expect(canvas.queryByRole('button', { name: 'Retry now' })).toBeNull();
    await expect(canvas.getByRole('button', { name: 'Cancel' })).toBeVisible();
  },
};

/** After a cancel, a new request waits out the app-wide window: nothing was sent, so it is not a retry. */
export const AppWideWait: Story = {
  args: { demand: busyDemand({ attempt: 0 }), retryInSeconds: 6 },
  play: async ({ canvas }) => {
    await canvas.findByRole('listitem');
    await expect(canvas.getByText('Sending in 6 s…')).toBeVisible();
    await expect(canvas.getByRole('button', { name: 'Send now' })).toBeVisible();
  },
};

/**
 * A fallback chain in `'offer'` mode, no banner on the page: the toast offers Haiku now, with what changes, in place
 * of "Retry now". Either choice keeps the toast open: the episode goes on until an answer ends it.
 */
export const OfferAFasterModel: Story = {
  name: 'Offer a faster model',
  args: {
    demand: busyDemand({ attempt: 3, offer: { model: 'claude-haiku-4-5', from: 'claude-sonnet-4-5' } }),
    retryInSeconds: 10,
    onAcceptOffer: fn(),
    onDeclineOffer: fn(),
  },
  play: async ({ args, canvas, userEvent }) => {
    await canvas.findByRole('listitem');
    await expect(canvas.queryByRole('button', { name: 'Retry now' })).toBeNull();
    await userEvent.click(canvas.getByRole('button', { name: 'Answer with Claude Haiku 4.5 now — faster, less thorough' }));
    await expect(args.onAcceptOffer).toHaveBeenCalledTimes(1);
    await userEvent.click(canvas.getByRole('button', { name: 'Keep waiting' }));
    await expect(args.onDeclineOffer).toHaveBeenCalledTimes(1);
    await expect(canvas.getByRole('listitem')).toBeVisible();
  },
};

export const RateLimited: Story = {
  args: { demand: busyDemand({ level: 'rate_limited', lastFailureKind: 'rate_limited' }), retryInSeconds: 20 },
};

export const Offline: Story = {
  args: { demand: busyDemand({ level: 'offline', lastFailureKind: 'offline', attempt: 1 }), retryInSeconds: undefined },
};

export const Unavailable: Story = {
  args: { demand: busyDemand({ level: 'unavailable', lastFailureKind: 'server_error', attempt: 4, waiting: 0 }), retryInSeconds: undefined },
};

export const CountdownUpdate: Story = {
  args: {
    retryInSeconds: 3,
    script: [{ afterMs: 1200, demand: busyDemand({ attempt: 3, waiting: 2 }), retryInSeconds: 12 }],
  },
  play: async ({ canvas }) => {
    await waitFor(() => expect(canvas.getByText('Attempt 3')).toBeVisible(), { timeout: 3000 });
    await expect(canvas.getByText(/Retrying in 1[12] s…/)).toBeVisible();
    // The same toast was updated, not a second one added.
    await expect(canvas.getAllByRole('listitem')).toHaveLength(1);
  },
};

export const Escalated: Story = {
  args: { demand: busyDemand({ escalation: 'unusual', attempt: 14 }), retryInSeconds: 40 },
};

export const BackToNormal: Story = {
  args: { script: [{ afterMs: 800, demand: { ...NORMAL, recovered: true } }] },
  play: async ({ canvas }) => {
    await waitFor(() => expect(canvas.getByText('Back to normal', { selector: '.cok-toast-title' })).toBeVisible(), {
      timeout: 6000,
    });
  },
};

export const DarkTheme: Story = {
  parameters: { theme: 'dark' },
  args: { demand: busyDemand({ attempt: 2, escalation: 'slow' }) },
};

/**
 * The kit handler's line keeps the request's place: one duration, the expected turn, and no attempt count (its trips
 * back to its place are not tries the person would count).
 */
export const InLine: Story = {
  args: { demand: busyDemand({ line: { ahead: 12, expectedWaitMs: 40_000 }, attempt: 6, retrying: true, waiting: 0 }), retryInSeconds: 40 },
  play: async ({ canvas }) => {
    const toast = await canvas.findByRole('listitem');
    await expect(toast).toHaveTextContent("Claude is busy — you're in line.");
    await expect(toast).toHaveTextContent(/Your turn in about \d+ s\./);
    await expect(toast).not.toHaveTextContent(/Retrying|Attempt/);
  },
};
