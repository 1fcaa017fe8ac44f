/**
 * A first-in-first-out queue with O(1) join, leave-from-anywhere and head removal: a doubly linked list, because a
 * request that gives up (abort, "Retry now") leaves from the middle, and an array's `indexOf` + `splice` there makes a
 * crowd cost the square of its size. The gate keeps its waiters in these ("line" is the handler's admission line).
 */
export interface FifoEntry<T> {
  readonly value: T;
  /** Internal links; `undefined` both ends. */
  prev?: FifoEntry<T>;
  next?: FifoEntry<T>;
  /** False once the entry has left the queue (removing it again does nothing). */
  inFifo: boolean;
}

export interface Fifo<T> {
  readonly size: number;
  /** The oldest entry, or undefined when empty. */
  peek(): FifoEntry<T> | undefined;
  /** Joins at the back; the returned entry is the ticket to `remove` it later. */
  push(value: T): FifoEntry<T>;
  /** Takes the oldest entry out. */
  shift(): T | undefined;
  /** Takes an entry out from anywhere; a no-op for one already out. */
  remove(entry: FifoEntry<T>): void;
  /** Every value, oldest first (for the rare event that concerns everyone waiting, e.g. a new window). */
  forEach(visit: (value: T) => void): void;
}

export function createFifo<T>(): Fifo<T> {
  let head: FifoEntry<T> | undefined;
  let tail: FifoEntry<T> | undefined;
  let size = 0;

  function remove(entry: FifoEntry<T>): void {
    if (!entry.inFifo) return;
    entry.inFifo = false;
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
      const entry: FifoEntry<T> = { value, prev: tail, inFifo: true };
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
