import type { ClaudeClient } from './client.js';
import type { Retryer } from './retryer.js';

/**
 * The retryer of each cached query in flight, by query id, so every view of one query (two components, a devtool)
 * sees the same retry state. Listeners are kept per id: a change to one query wakes only its readers.
 */
export interface QueryRegistry {
  /**
   * Runs `start()` under `id` and resolves with its answer. The retryer stays registered after failing (so its
   * state says `failed` and can revive) until the next run under the same id replaces it; a success removes it.
   */
  run<T>(id: string, start: () => Retryer<T>): Promise<T>;
  get(id: string): Retryer<unknown> | undefined;
  subscribe(id: string, listener: () => void): () => void;
}

export function createQueryRegistry(): QueryRegistry {
  const retryers = new Map<string, Retryer<unknown>>();
  const listeners = new Map<string, Set<() => void>>();

  function set(id: string, retryer: Retryer<unknown> | undefined): void {
    if (retryer) retryers.set(id, retryer);
    else retryers.delete(id);
    for (const listener of [...(listeners.get(id) ?? [])]) listener();
  }

  return {
    async run(id, start) {
      const retryer = start();
      set(id, retryer);
      const answer = await retryer.promise;
      if (retryers.get(id) === retryer) set(id, undefined);
      return answer;
    },
    get: (id) => retryers.get(id),
    subscribe(id, listener) {
      let set = listeners.get(id);
      if (!set) listeners.set(id, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(id);
      };
    },
  };
}

const registries = new WeakMap<ClaudeClient, QueryRegistry>();

/** The registry of one client, made on first use (so apps that never cache a query never ship or build one). */
export function queryRegistryOf(client: ClaudeClient): QueryRegistry {
  let registry = registries.get(client);
  if (!registry) registries.set(client, (registry = createQueryRegistry()));
  return registry;
}
