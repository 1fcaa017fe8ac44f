// Shared by every unit test file. jsdom files opt in with `// @vitest-environment jsdom` at the top.
import { afterEach } from 'vitest';

afterEach(async () => {
  if (typeof document !== 'undefined') {
    const { cleanup } = await import('@testing-library/react');
    cleanup();
  }
});
