/**
 * The line's order: a binary min-heap on each entry's place, `(tag, order)`: its turn among users (`tag`, 0 when the
 * line does not tell users apart, see fair-turns.ts), then its first arrival. A request that comes back with its ticket,
 * or that Claude turned away, takes its old place in O(log n) instead of going to the back. Entries that leave early
 * (aborted, timed out) are only marked and skipped when they reach the top, which keeps leaving O(1).
 */
export interface Place {
  /** Its round among users (fair-turns.ts); 0 for every entry of a line that does not tell users apart. */
  readonly tag: number;
  readonly order: number;
}

/** Does place `a` come before place `b`? */
export const before = (a: Place, b: Place): boolean => a.tag < b.tag || (a.tag === b.tag && a.order < b.order);

export interface Ordered extends Place {
  /** Set when the entry left the line; the heap drops it when it surfaces. */
  gone: boolean;
}

export interface OrderHeap<T extends Ordered> {
  push(entry: T): void;
  /** The first entry still in line, without taking it out. */
  peek(): T | undefined;
  /** Takes out and returns the first entry still in line. */
  shift(): T | undefined;
  /** Marks an entry as gone (it must be in the heap). */
  remove(entry: T): void;
  /** Entries still in line. */
  readonly size: number;
  /** Entries still in line ahead of `place`: O(n), for the rare refusals that tell the browser its place. */
  ahead(place: Place): number;
}

export function createOrderHeap<T extends Ordered>(): OrderHeap<T> {
  const heap: T[] = [];
  let live = 0;
  const less: (a: T, b: T) => boolean = before;

  function up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  function down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }

  function popTop(): T | undefined {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      down(0);
    }
    return top;
  }

  function skipGone(): void {
    while (heap.length > 0 && heap[0]!.gone) popTop();
  }

  return {
    push(entry) {
      heap.push(entry);
      live += 1;
      up(heap.length - 1);
    },
    peek() {
      skipGone();
      return heap[0];
    },
    shift() {
      skipGone();
      const top = popTop();
      if (top) live -= 1;
      return top;
    },
    remove(entry) {
      if (entry.gone) return;
      entry.gone = true;
      live -= 1;
      // Many dead entries would slow every operation: rebuild once they are most of the heap.
      if (heap.length > 64 && live < heap.length / 4) {
        const kept = heap.filter((e) => !e.gone);
        heap.length = 0;
        for (const e of kept) heap.push(e);
        for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
      }
    },
    get size() {
      return live;
    },
    ahead(place) {
      let n = 0;
      for (const e of heap) if (!e.gone && before(e, place)) n += 1;
      return n;
    },
  };
}
