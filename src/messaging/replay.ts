/**
 * Replay protection: remember recently accepted signatures.
 *
 * @module
 */

/**
 * A bounded set of signatures, used to reject a captured message sent again.
 *
 * #### Notes
 * When full, the *oldest* signature is forgotten (FIFO), in O(1) and with a
 * fixed-size ring, so memory stays flat however long the kernel runs.
 * jupyter_client instead culls a random 10% when its 2**16-entry history
 * overflows; FIFO is chosen here because it gives a guarantee random culling
 * does not: each of the last `capacity` accepted signatures is always
 * rejected if it comes again. A replay older than that window can only pass
 * if it still verifies, i.e. it is a genuine message the key holder signed.
 *
 * A capacity of 0 disables the cache (nothing is recorded, nothing is seen).
 */
export class ReplayCache {
  /**
   * @param capacity - maximum number of remembered signatures (default 2**16,
   *   the same as jupyter_client's `digest_history_size`).
   * @throws RangeError if capacity is not a non-negative integer.
   */
  constructor(capacity: number = 2 ** 16) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RangeError(`ReplayCache capacity must be a non-negative integer, got ${String(capacity)}`);
    }
    this._capacity = capacity;
    this._ring = new Array<string | undefined>(capacity);
  }

  /** Number of signatures currently remembered (never more than the capacity). */
  get size(): number {
    return this._set.size;
  }

  /** The maximum number of signatures remembered. */
  get capacity(): number {
    return this._capacity;
  }

  /**
   * Check a signature and remember it.
   *
   * @returns `true` if the signature was already remembered (a replay);
   *   otherwise records it and returns `false`.
   */
  seen(signature: string): boolean {
    if (this._set.has(signature)) return true;
    if (this._capacity === 0) return false;
    const evicted = this._ring[this._next];
    if (evicted !== undefined) this._set.delete(evicted);
    this._ring[this._next] = signature;
    this._set.add(signature);
    this._next = this._next + 1 === this._capacity ? 0 : this._next + 1;
    return false;
  }

  /** Forget every signature. */
  clear(): void {
    this._set.clear();
    this._ring.fill(undefined);
    this._next = 0;
  }

  private readonly _capacity: number;
  /** Insertion order; `_ring[_next]` is the oldest entry once the ring is full. */
  private readonly _ring: (string | undefined)[];
  private readonly _set = new Set<string>();
  private _next = 0;
}
