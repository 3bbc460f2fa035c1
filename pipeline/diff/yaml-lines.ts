/** The lines of a YAML text as the diff's cut of a changed file reads them (pipeline/diff/splice.ts). */

export const SPACE = 0x20;
export const HASH = 0x23;
export const DASH = 0x2d;
export const NEWLINE = 0x0a;
export const TAB = 0x09;
export const COLON = 0x3a;

/**
 * A text and the offset where each of its lines starts (`starts[count]` is the text's length);
 * read() fills it again for the next text (the cut keeps one per side and reuses it, file after
 * file). A line's indentation is looked at only as far as the cut asks: most lines are only ever
 * asked whether they are deeper than the top-level entries, which is one character.
 */
export class Lines {
  text = '';
  count = 0;
  starts = new Int32Array(256);

  read(text: string): this {
    this.text = text;
    let count = 0;
    let start = 0;
    while (start < text.length) {
      if (count + 1 >= this.starts.length) this.grow();
      this.starts[count++] = start;
      const newline = text.indexOf('\n', start);
      start = newline < 0 ? text.length : newline + 1;
    }
    this.starts[count] = text.length;
    this.count = count;
    return this;
  }

  /** Whether line `i` has more than `column` spaces of indentation. */
  deeper(i: number, column: number): boolean {
    const at = this.starts[i]!;
    for (let k = 0; k <= column; k++) if (this.text.charCodeAt(at + k) !== SPACE) return false;
    return true;
  }

  /** The spaces that start line `i`. */
  indent(i: number): number {
    const start = this.starts[i]!;
    let at = start;
    while (this.text.charCodeAt(at) === SPACE) at++;
    return at - start;
  }

  /** The code of line `i`'s first character after its `indent` spaces (-1: a blank line). */
  code(i: number, indent: number): number {
    const at = this.starts[i]! + indent;
    if (at >= this.starts[i + 1]!) return -1;
    const code = this.text.charCodeAt(at);
    return code === NEWLINE ? -1 : code;
  }

  private grow(): void {
    const starts = new Int32Array(this.starts.length * 2);
    starts.set(this.starts);
    this.starts = starts;
  }
}
