import { Chat } from './chat';

export default function Home() {
  return (
    <main className="page">
      <h1>Ask Claude</h1>
      <p>When Claude is busy, the banner and the toast say so, and the kit retries on its own.</p>
      <Chat />
    </main>
  );
}
