/** The lines of a YAML text as the diff's cut of a changed file reads them (pipeline/diff/splice.ts). */

export const SPACE = 0x20;
export const HASH = 0x23;
export const DASH = 0x2d;
export const NEWLINE = 0x0a;
export const TAB = 0x09;
export const COLON = 0x3a;

/**
 * A text, the offset where each of its lines starts (`starts[count]` is the text's length), and
 * each line's indentation and the code of its first other character (-1: a blank line); read()
 * fills it again for the next text (the cut keeps one per side and reuses it, file after file).
 */
export class Lines {
  text = '';
  count = 0;
  starts = new Int32Array(256);
  indents = new Int32Array(256);
  codes = new Int32Array(256);

  read(text: string): this {
    this.text = text;
    let count = 0;
    let start = 0;
    while (start < text.length) {
      if (count + 1 >= this.starts.length) this.grow();
      const newline = text.indexOf('\n', start);
      const end = newline < 0 ? text.length : newline + 1;
      let at = start;
      while (at < end && text.charCodeAt(at) === SPACE) at++;
      const code = at < end ? text.charCodeAt(at) : -1;
      this.starts[count] = start;
      this.indents[count] = at - start;
      this.codes[count] = code === NEWLINE ? -1 : code;
      count++;
      start = end;
    }
    this.starts[count] = text.length;
    this.count = count;
    return this;
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const grown = (from: Int32Array) => {
      const to = new Int32Array(size);
      to.set(from);
      return to;
    };
    [this.starts, this.indents, this.codes] = [grown(this.starts), grown(this.indents), grown(this.codes)];
  }
}
