/** The one face every observable in the kit has: subscribe, read a snapshot, be told of changes. */
export interface Subscribable<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
}

/**
 * A tiny listener set. `notify` calls each listener once; a listener that throws does not stop the others
 * (the error is rethrown asynchronously so it still shows up in the console and in tests).
 */
export function createListeners() {
  const listeners = new Set<() => void>();
  return {
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    notify(): void {
      for (const listener of [...listeners]) {
        try {
          listener();
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
    get size(): number {
      return listeners.size;
    },
  };
}
