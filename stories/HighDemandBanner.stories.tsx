import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, waitFor } from 'storybook/test';
import { HighDemandBannerView, type HighDemandBannerViewProps } from '../src/components/HighDemandBannerView.js';
import { frenchMessages } from '../src/core/messages-fr.js';
import { mergeMessages } from '../src/core/messages.js';
import { AppFrame, busyDemand, NORMAL, REQUEST_ID, STORY_MESSAGES, useDemandAt } from './support.js';

type Args = HighDemandBannerViewProps & { retryInSeconds?: number };

function Banner({ retryInSeconds, demand, ...props }: Args) {
  return (
    <AppFrame>
      <HighDemandBannerView {...props} demand={useDemandAt(demand, retryInSeconds)} />
    </AppFrame>
  );
}

const meta = {
  title: 'Components/HighDemandBanner',
  component: HighDemandBannerView,
  render: (args) => <Banner {...args} />,
  args: {
    demand: busyDemand(),
    messages: STORY_MESSAGES,
    retryInSeconds: 8,
    onRetryNow: fn(),
    onCancel: fn(),
    onDismiss: fn(),
  },
  argTypes: {
    retryInSeconds: { control: { type: 'number', min: 0 }, description: 'Story only: next attempt, seconds from mount' },
  },
} satisfies Meta<Args>;

export default meta;
type Story = StoryObj<typeof meta>;

export const BusyWithCountdown: Story = {
  play: async ({ args, canvas, userEvent }) => {
    await expect(canvas.getByRole('status')).toHaveTextContent('Claude is busy right now.');
    await expect(canvas.getByText(/Retrying in \d s…/)).toBeVisible();
    await userEvent.click(canvas.getByRole('button', { name: 'Retry now' }));
    await expect(args.onRetryNow).toHaveBeenCalledTimes(1);
    await userEvent.click(canvas.getByRole('button', { name: 'Cancel' }));
    await expect(args.onCancel).toHaveBeenCalledTimes(1);
  },
};

export const Ticking: Story = {
  // Its play watches the clock move, so the screenshot run leaves the clock running (test/production).
  tags: ['real-time'],
  args: { retryInSeconds: 3 },
  play: async ({ canvas }) => {
    await expect(canvas.getByText('Retrying in 3 s…')).toBeVisible();
    await waitFor(() => expect(canvas.getByText('Retrying in 2 s…')).toBeVisible(), { timeout: 2000 });
  },
};

/** The only attempt is on the wire: no Retry now (it would send nothing), Cancel stops it. */
export const Retrying: Story = {
  args: { demand: busyDemand({ retrying: true, inFlight: 1, waiting: 0 }), retryInSeconds: undefined },
  play: async ({ canvas }) => {
    await expect(canvas.queryByRole('button', { name: 'Retry now' })).toBeNull();
    await expect(canvas.getByRole('button', { name: 'Cancel' })).toBeVisible();
  },
};

/** After a cancel, a new request waits out the app-wide window: "Sending in", not "Retrying" at attempt 0. */
export const AppWideWait: Story = {
  args: { demand: busyDemand({ attempt: 0 }), retryInSeconds: 6 },
  play: async ({ canvas }) => {
    await expect(canvas.getByText('Sending in 6 s…')).toBeVisible();
    await expect(canvas.getByRole('button', { name: 'Send now' })).toBeVisible();
  },
};

export const RateLimited: Story = {
  args: { demand: busyDemand({ level: 'rate_limited', lastFailureKind: 'rate_limited' }), retryInSeconds: 20 },
};

export const ServerError: Story = {
  args: { demand: busyDemand({ lastFailureKind: 'server_error' }), retryInSeconds: 4 },
};

export const Offline: Story = {
  args: { demand: busyDemand({ level: 'offline', lastFailureKind: 'offline', attempt: 1 }), retryInSeconds: undefined },
  play: async ({ canvas }) => {
    await expect(canvas.queryByRole('button', { name: 'Retry now' })).toBeNull();
    await expect(canvas.getByRole('button', { name: 'Cancel' })).toBeVisible();
  },
};

export const Unavailable: Story = {
  args: { demand: busyDemand({ level: 'unavailable', lastFailureKind: 'server_error', attempt: 4, waiting: 0 }), retryInSeconds: undefined },
  play: async ({ args, canvas, userEvent }) => {
    // By keyboard: the actions are native buttons, reached with Tab and pressed with Enter.
    canvas.getByRole('button', { name: 'Dismiss' }).focus();
    await userEvent.keyboard('{Enter}');
    await expect(args.onDismiss).toHaveBeenCalledTimes(1);
    await expect(canvas.queryByRole('button', { name: 'Cancel' })).toBeNull();
  },
};

export const SpendLimited: Story = {
  args: { demand: busyDemand({ level: 'unavailable', lastFailureKind: 'spend_limited', waiting: 0 }), retryInSeconds: undefined },
};

export const EscalationSlow: Story = { args: { demand: busyDemand({ escalation: 'slow', attempt: 4 }) } };
export const EscalationUnusual: Story = { args: { demand: busyDemand({ escalation: 'unusual', attempt: 19 }), retryInSeconds: 45 } };
export const EscalationContact: Story = { args: { demand: busyDemand({ escalation: 'contact', attempt: 31 }), retryInSeconds: 60 } };

export const Incident: Story = {
  args: {
    demand: busyDemand({
      level: 'incident',
      escalation: 'unusual',
      incident: {
        name: 'Elevated errors on Claude Opus',
        status: 'identified',
        impact: 'major',
        url: 'https://status.claude.com/incidents/example',
      },
    }),
    retryInSeconds: 30,
  },
};

/** Anthropic reports the incident over, and nothing of the person's waits any more. */
export const IncidentResolved: Story = {
  args: {
    demand: busyDemand({
      level: 'incident',
      waiting: 0,
      incident: { name: 'Elevated errors on Claude Opus', status: 'resolved', impact: 'major', url: 'https://status.claude.com/incidents/example' },
    }),
    retryInSeconds: undefined,
  },
  play: async ({ canvas }) => {
    await expect(canvas.getByRole('status')).toHaveTextContent('Anthropic reports the disruption is over.');
    await expect(canvas.queryByText(/Retrying/)).toBeNull();
  },
};

/**
 * Anthropic reports the incident over while the person's request still waits: their wait is what they read, never
 * "the disruption is over" with a check mark beside "Retrying in 4 s".
 */
export const IncidentResolvedStillWaiting: Story = {
  args: {
    demand: busyDemand({
      level: 'incident',
      escalation: 'slow',
      incident: { name: 'Elevated errors on Claude Opus', status: 'resolved', impact: 'major', url: 'https://status.claude.com/incidents/example' },
    }),
    retryInSeconds: 5,
  },
  play: async ({ canvas }) => {
    await expect(canvas.getByRole('status')).toHaveTextContent('Claude is busy right now.');
    await expect(canvas.getByRole('status')).not.toHaveTextContent('disruption is over');
  },
};

/**
 * The kit handler's line keeps the request's place: the state is announced once ("you're in line"), and the one
 * duration on screen is the expected turn, counting down silently beside it.
 */
export const InLine: Story = {
  args: {
    demand: busyDemand({ line: { ahead: 12, expectedWaitMs: 40_000 }, retrying: true, waiting: 0 }),
    retryInSeconds: 40,
  },
  play: async ({ canvas }) => {
    await expect(canvas.getByRole('status')).toHaveTextContent("Claude is busy — you're in line.");
    await expect(canvas.getByRole('status')).not.toHaveTextContent(/\d/);
    await expect(canvas.getByText(/^Your turn in about \d+ s\.$/)).toBeVisible();
    await expect(canvas.queryByText(/Retrying/)).toBeNull();
  },
};

/**
 * A fallback chain in `'offer'` mode: Sonnet has held the request up for `afterMs`, so the banner offers Haiku now,
 * with what changes, in place of "Retry now". "Keep waiting" stays with Sonnet and puts the offer away.
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
    await expect(canvas.queryByRole('button', { name: 'Retry now' })).toBeNull();
    await userEvent.click(canvas.getByRole('button', { name: 'Answer with Claude Haiku 4.5 now — faster, less thorough' }));
    await expect(args.onAcceptOffer).toHaveBeenCalledTimes(1);
    await userEvent.click(canvas.getByRole('button', { name: 'Keep waiting' }));
    await expect(args.onDeclineOffer).toHaveBeenCalledTimes(1);
    await expect(canvas.getByRole('button', { name: 'Cancel' })).toBeVisible();
  },
};

export const DetailsOpen: Story = {
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByText('Details'));
    await expect(canvas.getByText(REQUEST_ID)).toBeVisible();
    await expect(canvas.getByRole('link', { name: /Claude status page/ })).toHaveAttribute('href', 'https://status.claude.com');
  },
};

export const LongCopy: Story = {
  args: {
    demand: busyDemand({ escalation: 'contact', lastRequestId: `${REQUEST_ID}${REQUEST_ID}` }),
    retryInSeconds: 75,
    messages: mergeMessages(STORY_MESSAGES, {
      busy: 'Claude is handling an unusually large number of requests from people all around the world right now.',
      escalationContact:
        "We've let the on-call team know and they are keeping an eye on it. Your draft is safe; you can keep this tab open and we will carry on automatically, or come back later.",
    }),
  },
};

export const DarkTheme: Story = {
  parameters: { theme: 'dark' },
  args: { demand: busyDemand({ escalation: 'slow' }) },
};

export const French: Story = {
  args: { messages: frenchMessages, retryInSeconds: 12 },
  play: async ({ canvas }) => {
    await expect(canvas.getByRole('status')).toHaveTextContent('Claude est très sollicité en ce moment.');
    await expect(canvas.getByRole('button', { name: 'Réessayer' })).toBeVisible();
  },
};

export const Normal: Story = {
  args: { demand: NORMAL, retryInSeconds: undefined },
  play: async ({ canvas }) => {
    await expect(canvas.queryByRole('status')).toBeNull();
  },
};
