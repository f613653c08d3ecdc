// A small, careful reader for two things only: the embedded files of a PDF (the case.json that
// every genprint report carries) and the text its pages print (to compare the case.json digest
// printed in Section 6 with the embedded file). No PDF library is used because none on npm reads
// attachments without also rendering pages; this covers what pdfkit writes. It follows the classic cross-reference table pdfkit writes and,
// should a tool have rewritten the file, falls back to scanning for object headers. Only
// unencrypted PDFs with uncompressed or Flate-compressed embedded streams are supported, which
// covers what the report writer produces.
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';

interface PdfObject {
  num: number;
  /** The object's dictionary source (between the outer << >>), latin1. */
  dict: string;
  /** Byte offset of the first stream byte, when the object is a stream. */
  streamStart?: number;
}

/** Finds the end of a dictionary starting at `start` (which must point at "<<"), skipping strings. */
function dictEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '(') {
      // Literal string: balanced parentheses, backslash escapes.
      let level = 1;
      i++;
      while (i < text.length && level > 0) {
        const d = text[i]!;
        if (d === '\\') i++;
        else if (d === '(') level++;
        else if (d === ')') level--;
        i++;
      }
      continue;
    }
    if (c === '<' && text[i + 1] === '<') {
      depth++;
      i += 2;
      continue;
    }
    if (c === '>' && text[i + 1] === '>') {
      depth--;
      i += 2;
      if (depth === 0) return i;
      continue;
    }
    if (c === '%') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    i++;
  }
  return -1;
}

function parseObjectAt(text: string, offset: number): PdfObject | null {
  const head = /^\s*(\d+)\s+(\d+)\s+obj\s*/.exec(text.slice(offset, offset + 64));
  if (!head) return null;
  const dictStart = offset + head[0].length;
  if (!text.startsWith('<<', dictStart)) return { num: Number(head[1]), dict: '' };
  const end = dictEnd(text, dictStart);
  if (end < 0) return null;
  const obj: PdfObject = { num: Number(head[1]), dict: text.slice(dictStart + 2, end - 2) };
  const after = /^\s*stream(\r\n|\n|\r)/.exec(text.slice(end, end + 16));
  if (after) obj.streamStart = end + after[0].length;
  return obj;
}

/** Object number → byte offset, from the last classic xref table; empty when there is none. */
function readXref(text: string): Map<number, number> {
  const map = new Map<number, number>();
  const sx = text.lastIndexOf('startxref');
  if (sx < 0) return map;
  const m = /startxref\s+(\d+)/.exec(text.slice(sx, sx + 40));
  if (!m) return map;
  let pos = Number(m[1]);
  if (!text.startsWith('xref', pos)) return map; // an xref stream (PDF 1.5+): use the scan instead
  pos += 4;
  const re = /\s*(\d+)\s+(\d+)/y;
  for (;;) {
    re.lastIndex = pos;
    const sec = re.exec(text);
    if (!sec) break;
    const first = Number(sec[1]);
    const count = Number(sec[2]);
    pos = re.lastIndex;
    const entry = /\s*(\d{10})\s(\d{5})\s([nf])/y;
    for (let k = 0; k < count; k++) {
      entry.lastIndex = pos;
      const e = entry.exec(text);
      if (!e) return map;
      pos = entry.lastIndex;
      if (e[3] === 'n' && !map.has(first + k)) map.set(first + k, Number(e[1]));
    }
  }
  return map;
}

/** Every "N G obj" header in the file; later definitions win, as in an incremental update. */
function scanObjects(text: string): Map<number, number> {
  const map = new Map<number, number>();
  const re = /(?:^|[\r\n])(\d+)\s+\d+\s+obj\b/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) map.set(Number(m[1]), m.index + (m[0].length - m[0].trimStart().length));
  return map;
}

function decodePdfString(raw: string): string {
  // Literal string body (without the outer parentheses) → bytes → text.
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      bytes.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const d = raw[++i];
    if (d === undefined) break;
    const esc: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12, '(': 40, ')': 41, '\\': 92 };
    if (d in esc) bytes.push(esc[d]!);
    else if (/[0-7]/.test(d)) {
      let oct = d;
      while (oct.length < 3 && /[0-7]/.test(raw[i + 1] ?? '')) oct += raw[++i];
      bytes.push(parseInt(oct, 8) & 0xff);
    } else if (d === '\r' || d === '\n') {
      if (d === '\r' && raw[i + 1] === '\n') i++;
    } else bytes.push(d.charCodeAt(0));
  }
  const buf = Buffer.from(bytes);
  if (buf[0] === 0xfe && buf[1] === 0xff) return buf.subarray(2).swap16().toString('utf16le');
  return buf.toString('latin1');
}

function stringValue(dict: string, key: string): string | null {
  const re = new RegExp(`/${key}\\s*\\(`);
  const m = re.exec(dict);
  if (!m) {
    const hex = new RegExp(`/${key}\\s*<([0-9A-Fa-f\\s]*)>`).exec(dict);
    if (!hex) return null;
    const buf = Buffer.from(hex[1]!.replace(/\s+/g, ''), 'hex');
    return buf[0] === 0xfe && buf[1] === 0xff ? buf.subarray(2).swap16().toString('utf16le') : buf.toString('latin1');
  }
  let i = m.index + m[0].length;
  let level = 1;
  const start = i;
  while (i < dict.length && level > 0) {
    const c = dict[i]!;
    if (c === '\\') i++;
    else if (c === '(') level++;
    else if (c === ')') level--;
    i++;
  }
  return decodePdfString(dict.slice(start, i - 1));
}

class PdfReader {
  private readonly text: string;
  private readonly offsets: Map<number, number>;

  constructor(private readonly bytes: Buffer) {
    // latin1 maps bytes 1:1 to UTF-16 code units, so string offsets are byte offsets.
    this.text = bytes.toString('latin1');
    const xref = readXref(this.text);
    const scanned = scanObjects(this.text);
    // The xref is authoritative where it points at a real object header; the scan fills gaps.
    this.offsets = new Map(scanned);
    for (const [num, off] of xref) if (parseObjectAt(this.text, off)?.num === num) this.offsets.set(num, off);
  }

  object(num: number): PdfObject | null {
    const off = this.offsets.get(num);
    return off === undefined ? null : parseObjectAt(this.text, off);
  }

  allObjects(): PdfObject[] {
    const out: PdfObject[] = [];
    for (const num of this.offsets.keys()) {
      const o = this.object(num);
      if (o) out.push(o);
    }
    return out;
  }

  /** The decoded bytes of a stream object. */
  streamData(obj: PdfObject): Buffer {
    if (obj.streamStart === undefined) throw new Error(`PDF object ${obj.num} is not a stream`);
    let length: number | null = null;
    const len = /\/Length\s+(\d+)(\s+(\d+)\s+R)?/.exec(obj.dict);
    if (len && !len[2]) length = Number(len[1]);
    else if (len) {
      const off = this.offsets.get(Number(len[1]));
      const v = off === undefined ? null : /^\s*\d+\s+\d+\s+obj\s*(\d+)/.exec(this.text.slice(off, off + 64));
      length = v ? Number(v[1]) : null;
    }
    let end = length !== null ? obj.streamStart + length : -1;
    // Trust /Length only when "endstream" follows it; otherwise fall back to the keyword.
    if (end < 0 || !/^\s*endstream/.test(this.text.slice(end, end + 32))) {
      end = this.text.indexOf('endstream', obj.streamStart);
      if (end < 0) throw new Error(`PDF object ${obj.num}: stream has no end`);
      if (this.text[end - 1] === '\n') end--;
      if (this.text[end - 1] === '\r') end--;
    }
    const raw = this.bytes.subarray(obj.streamStart, end);
    const filter = /\/Filter\s*\[?\s*\/(\w+)/.exec(obj.dict)?.[1];
    if (!filter) return Buffer.from(raw);
    if (filter === 'FlateDecode') return inflateSync(raw);
    throw new Error(`PDF object ${obj.num}: unsupported stream filter /${filter}`);
  }
}

function checkDigest(obj: PdfObject, data: Buffer): void {
  // pdfkit stores the MD5 of the uncompressed file as /Params /CheckSum: a cheap guard against a
  // damaged attachment (it is not a security measure; the report's SHA-256 file is).
  const sum = stringValue(obj.dict, 'CheckSum');
  if (sum === null) return;
  const expected = /^[0-9a-f]{32}$/i.test(sum) ? sum.toLowerCase() : Buffer.from(sum, 'latin1').toString('hex');
  const actual = createHash('md5').update(data).digest('hex');
  if (expected !== actual) throw new Error(`embedded file in PDF object ${obj.num} is damaged (checksum mismatch)`);
}

/** The names of all embedded files (Filespec objects) in a PDF. */
export function listEmbeddedFiles(pdf: Buffer): string[] {
  const reader = new PdfReader(pdf);
  return reader
    .allObjects()
    .filter((o) => /\/Type\s*\/Filespec\b/.test(o.dict))
    .map((o) => stringValue(o.dict, 'UF') ?? stringValue(o.dict, 'F') ?? '')
    .filter(Boolean);
}

/** The bytes of the embedded file called `name`, or null when the PDF has none by that name. */
export function extractEmbeddedFile(pdf: Buffer, name: string): Buffer | null {
  const reader = new PdfReader(pdf);
  for (const spec of reader.allObjects()) {
    if (!/\/Type\s*\/Filespec\b/.test(spec.dict)) continue;
    const specName = stringValue(spec.dict, 'UF') ?? stringValue(spec.dict, 'F');
    if (specName !== name) continue;
    const ef = /\/EF\s*<<[^>]*?\/F\s+(\d+)\s+\d+\s+R/.exec(spec.dict);
    if (!ef) continue;
    const obj = reader.object(Number(ef[1]));
    if (!obj) continue;
    const data = reader.streamData(obj);
    checkDigest(obj, data);
    return data;
  }
  return null;
}

/** The strings of one text object (BT … ET) of a content stream, joined: for pdfkit, one line of text. */
function textRuns(content: string): string[] {
  const runs: string[] = [];
  const blocks = /\bBT\b([\s\S]*?)\bET\b/g;
  let b: RegExpExecArray | null;
  while ((b = blocks.exec(content))) {
    let text = '';
    // Hex strings <…> and literal strings (…) in Tj / TJ operands; kerning numbers are skipped.
    const strings = /<([0-9A-Fa-f\s]*)>|\(((?:\\.|[^\\)])*)\)/g;
    let m: RegExpExecArray | null;
    while ((m = strings.exec(b[1]!))) {
      text += m[1] !== undefined ? Buffer.from(m[1].replace(/\s+/g, ''), 'hex').toString('latin1') : decodePdfString(m[2]!);
    }
    if (text) runs.push(text);
  }
  return runs;
}

/**
 * Every line of text the PDF's pages print, page by page in object order. Only for fonts whose
 * codes are character codes (the standard 14 fonts pdfkit uses for reports), which is all a
 * genprint report uses.
 */
export function pageTextRuns(pdf: Buffer): string[] {
  const reader = new PdfReader(pdf);
  const runs: string[] = [];
  const pages = reader
    .allObjects()
    .filter((o) => /\/Type\s*\/Page\b(?!s)/.test(o.dict))
    .sort((a, b) => a.num - b.num);
  for (const page of pages) {
    const contents = /\/Contents\s*(\[[^\]]*\]|\d+\s+\d+\s+R)/.exec(page.dict)?.[1] ?? '';
    for (const ref of contents.matchAll(/(\d+)\s+\d+\s+R/g)) {
      const obj = reader.object(Number(ref[1]));
      if (!obj || obj.streamStart === undefined) continue;
      runs.push(...textRuns(reader.streamData(obj).toString('latin1')));
    }
  }
  return runs;
}
