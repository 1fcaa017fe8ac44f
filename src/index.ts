// claude-overload-kit — the React layer, the components and the framework-free core.
export * from './core/index.js';
export * from './react/index.js';
export * from './components/index.js';
export { defaultMessages, mergeMessages, type ClaudeMessages } from './core/messages.js';
export { frenchMessages } from './core/messages-fr.js';
