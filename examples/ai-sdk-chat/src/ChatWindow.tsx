import { useChat } from '@ai-sdk/react';
import { useClaudeClient } from 'claude-overload-kit';
import { createClaudeChatTransport } from 'claude-overload-kit/ai-sdk';
import { useMemo, useState } from 'react';

export function ChatWindow() {
  const client = useClaudeClient();
  const transport = useMemo(() => createClaudeChatTransport({ api: '/api/chat', client }), [client]);
  const { messages, sendMessage, status, error } = useChat({ transport });
  const [input, setInput] = useState('');
  return (
    <form
      className="chat"
      onSubmit={(event) => {
        event.preventDefault();
        if (!input.trim()) return;
        void sendMessage({ text: input });
        setInput('');
      }}
    >
      <ol aria-label="Conversation">
        {messages.map((message) => (
          <li key={message.id} data-role={message.role}>
            {message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('')}
          </li>
        ))}
      </ol>
      {error && <p role="alert">The answer did not come. Please try again.</p>}
      <label>
        Message
        <input value={input} onChange={(event) => setInput(event.target.value)} />
      </label>
      <button type="submit" disabled={status === 'submitted' || status === 'streaming'}>Send</button>
    </form>
  );
}
