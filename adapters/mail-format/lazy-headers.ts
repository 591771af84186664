/**
 * Headers parsed on first use: discovery hands every message to the rules, and a rule that reads only the
 * envelope never pays for the parse.
 *
 * @module
 */
import { parseHeaderBlock } from './header-block.js';

/**
 * The headers of a message as a read-only map, parsed from the raw block by {@link parseHeaderBlock} on first use.
 *
 * @example
 * ```ts
 * const headers = new LazyHeaders(row.headers);
 * headers.get('list-id'); // parses now, once
 * ```
 */
export class LazyHeaders implements ReadonlyMap<string, readonly string[]> {
  #raw: Buffer | string | undefined;
  #parsed: Map<string, string[]> | undefined;

  constructor(raw: Buffer | string | undefined) {
    this.#raw = raw;
  }

  #map(): Map<string, string[]> {
    if (this.#parsed === undefined) {
      this.#parsed = this.#raw === undefined ? new Map() : parseHeaderBlock(this.#raw);
      this.#raw = undefined;
    }
    return this.#parsed;
  }

  get size(): number {
    return this.#map().size;
  }
  get(name: string): readonly string[] | undefined {
    return this.#map().get(name);
  }
  has(name: string): boolean {
    return this.#map().has(name);
  }
  forEach(
    callback: (value: readonly string[], key: string, map: ReadonlyMap<string, readonly string[]>) => void,
  ): void {
    for (const [key, value] of this.#map()) callback(value, key, this);
  }
  entries(): MapIterator<[string, readonly string[]]> {
    return this.#map().entries();
  }
  keys(): MapIterator<string> {
    return this.#map().keys();
  }
  values(): MapIterator<readonly string[]> {
    return this.#map().values();
  }
  [Symbol.iterator](): MapIterator<[string, readonly string[]]> {
    return this.#map()[Symbol.iterator]();
  }
}
