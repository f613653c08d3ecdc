// pdfkit's 14 standard fonts (Helvetica, Courier) encode text as WinAnsi; anything outside that
// code page comes out as garbage glyphs. The PDF therefore shows such characters as '?', and says
// so; the exact names stay in the embedded case.json, the JSON and the CSV.

// Code points WinAnsi maps in 0x80–0x9F (the rest of its range is Latin-1).
const WIN_ANSI_EXTRA = new Set([
  0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013,
  0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e, 0x0178,
]);

export function isWinAnsi(cp: number): boolean {
  return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(cp);
}

/** Replaces every character the standard PDF fonts cannot show with '?'; tabs/newlines become spaces. */
// Symbols common in method descriptions, spelled out rather than lost.
const TRANSLITERATE: Record<string, string> = {
  ρ: 'rho',
  φ: 'phi',
  ϕ: 'phi',
  σ: 'sigma',
  θ: 'theta',
  α: 'alpha',
  β: 'beta',
  λ: 'lambda',
  ε: 'epsilon',
  Σ: 'Sum',
  '≥': '>=',
  '≤': '<=',
  '≠': '!=',
  '≈': '~',
  '→': '->',
  '←': '<-',
  '−': '-',
  '∞': 'inf',
  '√': 'sqrt',
  '∝': 'proportional to',
};

export function toWinAnsi(text: string, keepNewlines = false): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const tr = TRANSLITERATE[ch];
    if (tr !== undefined) {
      out += tr;
      continue;
    }
    if (cp === 0x0a && keepNewlines) out += '\n';
    else if (cp === 0x0a || cp === 0x0d || cp === 0x09) out += ' ';
    else out += isWinAnsi(cp) ? ch : '?';
  }
  return out;
}

export function needsReplacement(text: string): boolean {
  for (const ch of text) if (!isWinAnsi(ch.codePointAt(0)!)) return true;
  return false;
}
