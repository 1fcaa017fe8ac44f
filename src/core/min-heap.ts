/** A binary min-heap: O(log n) push and pop, O(1) peek. For "the earliest of many" that changes one at a time. */
export interface MinHeap<T> {
  readonly size: number;
  push(value: T): void;
  peek(): T | undefined;
  pop(): T | undefined;
  clear(): void;
}

export function createMinHeap<T>(compare: (a: T, b: T) => number): MinHeap<T> {
  const items: T[] = [];
  const less = (i: number, j: number) => compare(items[i]!, items[j]!) < 0;
  const swap = (i: number, j: number) => {
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  };
  return {
    get size() {
      return items.length;
    },
    push(value) {
      let i = items.push(value) - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!less(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    },
    peek: () => items[0],
    clear: () => {
      items.length = 0;
    },
    pop() {
      const top = items[0];
      const last = items.pop();
      if (items.length > 0 && last !== undefined) {
        items[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          let m = i;
          if (l < items.length && less(l, m)) m = l;
          if (l + 1 < items.length && less(l + 1, m)) m = l + 1;
          if (m === i) break;
          swap(i, m);
          i = m;
        }
      }
      return top;
    },
  };
}
