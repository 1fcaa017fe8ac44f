import { ClaudeProvider, ClaudeToaster, HighDemandBanner } from 'claude-overload-kit';
import 'claude-overload-kit/styles.css';
import { Chat } from './Chat';
import './app.css';

export default function App() {
  return (
    <ClaudeProvider endpoint="/api/claude">
      <main className="app">
        <h1>Chat with Claude</h1>
        <HighDemandBanner />
        <Chat />
      </main>
      <ClaudeToaster />
    </ClaudeProvider>
  );
}
