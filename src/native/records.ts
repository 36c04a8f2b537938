/**
 * The record format the native side reads (native/plan.h for a marshalled
 * plan, native/front.c for a plan-cache entry): records one after another,
 * each a u32 tag, a u32 payload length, the payload and zero bytes up to a
 * multiple of 4. A payload is its parts in order: a number as an int32
 * (little-endian), a string as its UTF-8 bytes and a NUL, bytes as they
 * are.
 *
 * Written into one growing buffer: every void's spawn marshals its plan
 * (src/orchestrator/marshal.ts), and a buffer per part (a seccomp record
 * has hundreds) cost more than the rest of marshalling.
 */
export type RecordPart = string | number | Uint8Array;

export class RecordWriter {
  private buf = Buffer.allocUnsafe(4096);
  private len = 0;

  /** @param what names the strings in the error for a NUL byte ("plan string", "cached string"). */
  constructor(private readonly what: string) {}

  add(tag: number, ...parts: readonly RecordPart[]): void {
    let size = 0;
    for (const p of parts) {
      if (typeof p === "number") size += 4;
      else if (typeof p === "string") {
        if (p.includes("\0")) throw new Error(`void: NUL byte in ${this.what} ${JSON.stringify(p)}`);
        size += Buffer.byteLength(p, "utf8") + 1;
      } else size += p.length;
    }
    const padded = size + ((4 - (size % 4)) % 4);
    this.reserve(8 + padded);
    const b = this.buf;
    let at = this.len;
    b.writeUInt32LE(tag >>> 0, at);
    b.writeUInt32LE(size, at + 4);
    at += 8;
    for (const p of parts) {
      if (typeof p === "number") at = b.writeInt32LE(p | 0, at);
      else if (typeof p === "string") {
        at += b.write(p, at, "utf8");
        b[at++] = 0;
      } else {
        b.set(p, at);
        at += p.length;
      }
    }
    b.fill(0, at, this.len + 8 + padded);
    this.len += 8 + padded;
  }

  /** Appends records another writer made (its bytes()). */
  raw(records: Uint8Array): void {
    this.reserve(records.length);
    this.buf.set(records, this.len);
    this.len += records.length;
  }

  /** The records written so far (a copy: the writer may go on). */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }
}
