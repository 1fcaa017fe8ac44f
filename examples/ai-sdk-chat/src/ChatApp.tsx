import { ClaudeProvider, ClaudeToaster, HighDemandBanner } from 'claude-overload-kit';
import 'claude-overload-kit/styles.css';
import { ChatWindow } from './ChatWindow';
import './app.css';

export default function ChatApp() {
  return (
    <ClaudeProvider endpoint="/api/claude">
      <main className="app">
        <h1>Chat with Claude</h1>
        <HighDemandBanner />
        <ChatWindow />
      </main>
      <ClaudeToaster />
    </ClaudeProvider>
  );
}
