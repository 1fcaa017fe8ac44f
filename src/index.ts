// claude-overload-kit — the React layer, the components and the framework-free core.
// Every name here is deliberate API; test/api/exports.test.ts snapshots the list.
import { frenchMessages as frenchMessagesMoved } from './core/messages-fr.js';
import type { ClaudeMessages } from './core/messages.js';

export * from './core/index.js';
export * from './query/index.js';
export * from './react/index.js';
export * from './components/index.js';

/**
 * French copy.
 * @deprecated Moved to its own entry so that apps which do not use it do not ship it:
 * `import { frenchMessages } from 'claude-overload-kit/messages/fr'`. This alias goes in the next minor release.
 */
export const frenchMessages: ClaudeMessages = frenchMessagesMoved;
