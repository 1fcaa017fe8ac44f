/**
 * A first-in-first-out line with O(1) join, leave-from-anywhere and head removal: a doubly linked list, because a
 * request that gives up (abort, "Retry now") leaves from the middle, and an array's `indexOf` + `splice` there makes a
 * crowd cost the square of its size. Kept apart from the gate so a gate can hold one line per model later.
 */
export interface LineEntry<T> {
  readonly value: T;
  /** Internal links; `undefined` both ends. */
  prev?: LineEntry<T>;
  next?: LineEntry<T>;
  /** False once the entry has left the line (removing it again does nothing). */
  inLine: boolean;
}

export interface Line<T> {
  readonly size: number;
  /** The oldest entry, or undefined when empty. */
  peek(): LineEntry<T> | undefined;
  /** Joins at the back; the returned entry is the ticket to `remove` it later. */
  push(value: T): LineEntry<T>;
  /** Takes the oldest entry out. */
  shift(): T | undefined;
  /** Takes an entry out from anywhere; a no-op for one already out. */
  remove(entry: LineEntry<T>): void;
  /** Every value, oldest first (for the rare event that concerns everyone waiting, e.g. a new window). */
  forEach(visit: (value: T) => void): void;
}

export function createLine<T>(): Line<T> {
  let head: LineEntry<T> | undefined;
  let tail: LineEntry<T> | undefined;
  let size = 0;

  function remove(entry: LineEntry<T>): void {
    if (!entry.inLine) return;
    entry.inLine = false;
    if (entry.prev) entry.prev.next = entry.next;
    else head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else tail = entry.prev;
    entry.prev = entry.next = undefined;
    size -= 1;
  }

  return {
    get size() {
      return size;
    },
    peek: () => head,
    push(value) {
      const entry: LineEntry<T> = { value, prev: tail, inLine: true };
      if (tail) tail.next = entry;
      else head = entry;
      tail = entry;
      size += 1;
      return entry;
    },
    shift() {
      const first = head;
      if (!first) return undefined;
      remove(first);
      return first.value;
    },
    remove,
    forEach(visit) {
      for (let entry = head; entry; entry = entry.next) visit(entry.value);
    },
  };
}
