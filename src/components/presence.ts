import { useEffect, useSyncExternalStore } from 'react';

/**
 * Which clients have a drop-in banner mounted, so the drop-in toaster can step back: the banner holds the state and
 * announces each change; the toaster then only marks the end of an episode ("Back to normal"), which the banner,
 * gone at that point, cannot. Keyed by the client's demand store; a WeakMap, so nothing outlives the provider.
 */
interface Presence {
  banners: number;
  listeners: Set<() => void>;
}

const presences = new WeakMap<object, Presence>();

function presenceOf(owner: object): Presence {
  let presence = presences.get(owner);
  if (!presence) presences.set(owner, (presence = { banners: 0, listeners: new Set() }));
  return presence;
}

function change(presence: Presence, by: number): void {
  presence.banners += by;
  for (const notify of [...presence.listeners]) notify();
}

/** Called by `<HighDemandBanner>`: marks a banner as mounted for `owner` while the calling component is. */
export function useBannerMounted(owner: object): void {
  useEffect(() => {
    const presence = presenceOf(owner);
    change(presence, 1);
    return () => change(presence, -1);
  }, [owner]);
}

/** True while at least one `<HighDemandBanner>` is mounted for `owner`. */
export function useBannerShown(owner: object): boolean {
  return useSyncExternalStore(
    (listener) => {
      const presence = presenceOf(owner);
      presence.listeners.add(listener);
      return () => presence.listeners.delete(listener);
    },
    () => presenceOf(owner).banners > 0,
    () => false,
  );
}
