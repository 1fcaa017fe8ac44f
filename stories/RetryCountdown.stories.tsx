import type { Meta, StoryObj } from '@storybook/react-vite';
import { useState } from 'react';
import { expect, waitFor } from 'storybook/test';
import { RetryCountdownView, type RetryCountdownViewProps } from '../src/components/RetryCountdownView.js';

type Args = RetryCountdownViewProps & { seconds: number };

function Countdown({ seconds, ...props }: Args) {
  const [until] = useState(() => Date.now() + seconds * 1000);
  return <RetryCountdownView {...props} until={until} />;
}

const meta = {
  title: 'Components/RetryCountdown',
  component: RetryCountdownView,
  render: (args) => <Countdown {...args} />,
  args: { seconds: 5, retrying: false },
  argTypes: { seconds: { control: { type: 'number', min: 0 }, description: 'Story only: seconds from mount' } },
} satisfies Meta<Args>;

export default meta;
type Story = StoryObj<typeof meta>;

export const CountingDown: Story = {
  // Its play watches the clock move, so the screenshot run leaves the clock running (test/production).
  tags: ['real-time'],
  args: { seconds: 2 },
  play: async ({ canvas }) => {
    await expect(canvas.getByText('Retrying in 2 s…')).toBeVisible();
    await waitFor(() => expect(canvas.getByText('Retrying…')).toBeVisible(), { timeout: 3500 });
  },
};

export const InFlight: Story = { args: { retrying: true } };

export const Minutes: Story = { args: { seconds: 300 } };
