import { useClaudeMutation } from 'claude-overload-kit';
import { useState, type FormEvent } from 'react';

export function Chat() {
  const [prompt, setPrompt] = useState('Say hello in five words.');
  const ask = useClaudeMutation();
  const answer = ask.data?.content.find((block) => block.type === 'text')?.text;

  function submit(event: FormEvent) {
    event.preventDefault();
    ask.mutate({ model: 'claude-sonnet-5-5', max_tokens: 256, messages: [{ role: 'user', content: prompt }] });
  }

  return (
    <form onSubmit={submit}>
      <textarea aria-label="Prompt" value={prompt} onChange={(event) => setPrompt(event.target.value)} />
      <button type="submit">Ask Claude</button>
      {answer !== undefined && <p data-testid="answer">{answer}</p>}
    </form>
  );
}
