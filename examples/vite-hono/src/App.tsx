import { ClaudeProvider, ClaudeToaster, HighDemandBanner } from 'claude-overload-kit';
import 'claude-overload-kit/styles.css';
import { Chat } from './Chat';

export default function App() {
  return (
    <ClaudeProvider endpoint="/api/claude">
      <main>
        <h1>Ask Claude</h1>
        <HighDemandBanner />
        <Chat />
      </main>
      <ClaudeToaster />
    </ClaudeProvider>
  );
}
