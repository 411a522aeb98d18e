/** Collects the table's strings as deduplicated UTF-8 for the string region of the buffer. */
export class StringRegion {
  private readonly placed = new Map<string, { offset: number; length: number }>();
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  private readonly encoder = new TextEncoder();

  /** Byte offset and UTF-8 length of `text` inside the region. */
  add(text: string): { offset: number; length: number } {
    const known = this.placed.get(text);
    if (known !== undefined) return known;
    const encoded = this.encoder.encode(text);
    const place = { offset: this.length, length: encoded.length };
    this.placed.set(text, place);
    this.chunks.push(encoded);
    this.length += encoded.length;
    return place;
  }

  get byteLength(): number {
    return this.length;
  }

  writeTo(target: Uint8Array, at: number): void {
    let offset = at;
    for (const chunk of this.chunks) {
      target.set(chunk, offset);
      offset += chunk.length;
    }
  }
}
