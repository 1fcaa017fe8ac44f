// Node environment on purpose: rendering on the server must neither throw nor reach for the DOM or the network.
import { renderToString } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { ClaudeProvider, useClaudeClient, useClaudeMessages } from '../../src/react/context.js';
import { useClaudeDemand } from '../../src/react/useClaudeDemand.js';
import { useClaudeMutation } from '../../src/react/useClaudeMutation.js';
import { useClaudeQuery } from '../../src/react/useClaudeQuery.js';
import { useClaudeStream } from '../../src/react/useClaudeStream.js';
import { useRetryCountdown } from '../../src/react/useRetryCountdown.js';

function EveryHook() {
  const client = useClaudeClient();
  const messages = useClaudeMessages();
  const demand = useClaudeDemand();
  const mutation = useClaudeMutation();
  const query = useClaudeQuery({ messages: [{ role: 'user', content: 'Summarise the page' }] });
  const stream = useClaudeStream();
  const seconds = useRetryCountdown(demand.nextRetryAt);
  return (
    <ul>
      <li>client:{typeof client.send}</li>
      <li>copy:{typeof messages === 'object' ? 'yes' : 'no'}</li>
      <li>demand:{demand.level}</li>
      <li>mutation:{mutation.status}/{mutation.retry.phase}</li>
      <li>query:{query.status}/{query.fetchStatus}/{query.retry.phase}/{query.text ?? 'none'}</li>
      <li>stream:{stream.status}/{stream.retry.phase}/{stream.text}</li>
      <li>countdown:{seconds ?? 'none'}</li>
    </ul>
  );
}

describe('server rendering', () => {
  it('renders the provider and every hook in their idle state, without a request or a timer', () => {
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    vi.useFakeTimers();
    try {
      const html = renderToString(
        <ClaudeProvider endpoint="/api/claude">
          <EveryHook />
        </ClaudeProvider>,
      ).replace(/<!-- -->/g, '');
      expect(html).toContain('client:function');
      expect(html).toContain('copy:yes');
      expect(html).toContain('demand:normal');
      expect(html).toContain('mutation:idle/idle');
      expect(html).toContain('query:pending/');
      expect(html).toContain('/idle/none');
      expect(html).toContain('stream:idle/idle/');
      expect(html).toContain('countdown:none');
      expect(fetch).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
      vi.unstubAllGlobals();
    }
  });

  it('imports the React layer without a window', async () => {
    expect(typeof globalThis.window).toBe('undefined');
    const react = await import('../../src/react/index.js');
    expect(typeof react.ClaudeProvider).toBe('function');
  });
});
