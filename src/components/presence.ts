import { useEffect, useSyncExternalStore } from 'react';
import { createListeners } from '../core/store.js';

/**
 * Which clients have a drop-in banner mounted, so the drop-in toaster can step back: the banner holds the state and
 * announces each change; the toaster then only marks the end of an episode ("Back to normal"), which the banner,
 * gone at that point, cannot. Keyed by the client's demand store; a WeakMap, so nothing outlives the provider.
 */
interface Presence extends ReturnType<typeof createListeners> {
  banners: number;
}

const presences = new WeakMap<object, Presence>();

function presenceOf(owner: object): Presence {
  let presence = presences.get(owner);
  if (!presence) presences.set(owner, (presence = Object.assign(createListeners(), { banners: 0 })));
  return presence;
}

function change(presence: Presence, by: number): void {
  presence.banners += by;
  presence.notify();
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
    (listener) => presenceOf(owner).subscribe(listener),
    () => presenceOf(owner).banners > 0,
    () => false,
  );
}
