// Action-unit strings as coders write them (FORMATS.md §3): a tiny live parser for the side panel.
// The server keeps the authoritative parse (au_tokens); this one only shows the coder what it read.

export const FACS_AUS = [
  [1, "Inner brow raiser"], [2, "Outer brow raiser"], [4, "Brow lowerer"], [5, "Upper lid raiser"],
  [6, "Cheek raiser"], [7, "Lid tightener"], [9, "Nose wrinkler"], [10, "Upper lip raiser"],
  [11, "Nasolabial deepener"], [12, "Lip corner puller"], [13, "Sharp lip puller"], [14, "Dimpler"],
  [15, "Lip corner depressor"], [16, "Lower lip depressor"], [17, "Chin raiser"], [18, "Lip pucker"],
  [20, "Lip stretcher"], [22, "Lip funneler"], [23, "Lip tightener"], [24, "Lip pressor"],
  [25, "Lips part"], [26, "Jaw drop"], [27, "Mouth stretch"], [28, "Lip suck"], [38, "Nostril dilator"],
  [39, "Nostril compressor"], [41, "Lid droop"], [42, "Slit"], [43, "Eyes closed"], [44, "Squint"],
  [45, "Blink"], [46, "Wink"], [51, "Head turn left"], [52, "Head turn right"], [53, "Head up"],
  [54, "Head down"], [55, "Head tilt left"], [56, "Head tilt right"], [57, "Head forward"],
  [58, "Head back"], [61, "Eyes turn left"], [62, "Eyes turn right"], [63, "Eyes up"], [64, "Eyes down"],
];
const NAMES = new Map(FACS_AUS);
const TOKEN = /^(?:AU)?([LRATB])?(\d{1,2})(?:([A-E])|\(([A-E])(?:\/[A-E])?\)|\(k\))?(\?)?$/i;

/** Parse "4+7+L10", "R12A, 14", "AU4(k)", "4(B/C)", "12/14" into tokens and unreadable pieces. */
export function parseAUs(text) {
  const tokens = [];
  const errors = [];
  for (const piece of text.split(/\s*(?:[+,，;]|\/(?![A-E]\))|\bor\b|\s)\s*/i)) {
    if (!piece) continue;
    const m = TOKEN.exec(piece);
    if (!m) {
      errors.push(piece);
      continue;
    }
    const au = Number(m[2]);
    tokens.push({
      text: piece, au, side: (m[1] || "").toUpperCase(), intensity: (m[3] || m[4] || "").toUpperCase(),
      uncertain: Boolean(m[5]), name: NAMES.get(au) || "not a FACS AU",
    });
  }
  return { tokens, errors };
}

/** Completions for the token being typed (the text after the last separator). */
export function completeAU(text, limit = 6) {
  const last = text.split(/[+,，/;\s]/).pop().replace(/^AU/i, "").replace(/^[LRATB](?=\d)/i, "");
  if (!last) return [];
  const byNumber = FACS_AUS.filter(([n]) => String(n).startsWith(last));
  const byName = /^\d/.test(last) ? [] : FACS_AUS.filter(([, name]) => name.toLowerCase().includes(last.toLowerCase()));
  return [...byNumber, ...byName].slice(0, limit);
}
