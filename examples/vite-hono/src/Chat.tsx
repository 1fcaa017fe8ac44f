import { useClaudeMutation } from 'claude-overload-kit';
import { useState, type FormEvent } from 'react';

export function Chat() {
  const [prompt, setPrompt] = useState('Say hello in five words.');
  const ask = useClaudeMutation();
  const answer = ask.data?.content.find((block) => block.type === 'text')?.text;
  const cancelled = ask.error?.kind === 'aborted';

  function submit(event: FormEvent) {
    event.preventDefault();
    ask.mutate({ model: 'claude-sonnet-5-5', max_tokens: 256, messages: [{ role: 'user', content: prompt }] });
  }

  return (
    <form onSubmit={submit}>
      <textarea aria-label="Prompt" value={prompt} onChange={(event) => setPrompt(event.target.value)} />
      <button type="submit" disabled={ask.isPending}>Ask Claude</button>
      {ask.isPending && <button type="button" onClick={ask.retry.cancel}>Cancel</button>}
      <p role="status">
        {ask.isPending && 'Asking Claude…'}
        {cancelled && 'Cancelled.'}
        {ask.isError && !cancelled && "Claude couldn't answer this time. Try again in a moment."}
      </p>
      {answer !== undefined && <p data-testid="answer">{answer}</p>}
    </form>
  );
}
