/**
 * A value-or-error wrapper: how a guest run hands its result to the host's `doneCallback`.
 *
 * Port of the `outcome` package used by trio and async-kernel. The error is kept exactly as
 * thrown (JavaScript can throw anything), so `unwrap()` rethrows the very same value.
 */
export class Outcome<T> {
  readonly #ok: boolean;
  readonly #value: T | undefined;
  readonly #error: unknown;

  private constructor(ok: boolean, value: T | undefined, error: unknown) {
    this.#ok = ok;
    this.#value = value;
    this.#error = error;
  }

  /** An outcome holding `value`. */
  static value<T>(value: T): Outcome<T> {
    return new Outcome<T>(true, value, undefined);
  }

  /** An outcome holding the thrown value `error`. */
  static error<T = never>(error: unknown): Outcome<T> {
    return new Outcome<T>(false, undefined, error);
  }

  /** Call `fn(...args)` and capture what it returns or throws. */
  static capture<T, A extends unknown[]>(fn: (...args: A) => T, ...args: A): Outcome<T> {
    try {
      return Outcome.value(fn(...args));
    } catch (error) {
      return Outcome.error<T>(error);
    }
  }

  /**
   * Call `fn(...args)`, await its result and capture the settled value or error. A synchronous
   * throw from `fn` is captured too, never thrown out of `acapture`.
   */
  static async acapture<T, A extends unknown[]>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): Promise<Outcome<Awaited<T>>> {
    try {
      return Outcome.value(await fn(...args));
    } catch (error) {
      return Outcome.error<Awaited<T>>(error);
    }
  }

  /** True when this outcome holds an error. */
  get isError(): boolean {
    return !this.#ok;
  }

  /** Return the value, or throw the captured error. */
  unwrap(): T {
    if (!this.#ok) throw this.#error;
    return this.#value as T;
  }
}
