// The keyboard map, in one place so that the `?` overlay and the handler cannot disagree.

export const KEY_HELP = [
  ["← / →", "previous / next frame"],
  ["Shift + ← / →", "10 frames back / forward"],
  ["Home / End", "first / last frame"],
  ["Space", "play / pause"],
  ["[ / ]", "slower / faster (⅛, ¼, ½, 1, 2×)"],
  ["i", "onset at cursor (new interval if none selected)"],
  ["a / o", "apex / offset at cursor"],
  ["k", "cycle kind (ME, MaE, blink, other)"],
  ["Enter", "save now and deselect"],
  ["Escape", "cancel unsaved changes / deselect"],
  ["Delete", "delete selected interval"],
  ["n / p", "next / previous interval"],
  ["Ctrl+Z / Ctrl+Shift+Z", "undo / redo (saved to the server)"],
  ["y / x", "accept / reject selected prediction; y on an interval takes its suggested emotion"],
  ["+ / -", "zoom in / out"],
  ["g", "go to frame (dataset numbering)"],
  [". / ,", "next / previous disagreement of the comparison (miss or extra)"],
  ["c", "comment at the cursor (on the selected interval); Enter sends"],
  ["?", "this help"],
];

/** Map a keydown to [command, argument], or null when the key is not ours. */
export function commandFor(e) {
  const ctrl = e.ctrlKey || e.metaKey;
  const key = e.key;
  if (ctrl) {
    if (key === "z" || key === "Z") return e.shiftKey ? ["redo"] : ["undo"];
    if (key === "y") return ["redo"];
    return null;
  }
  if (e.altKey) return null;
  switch (key) {
    case "ArrowRight": return ["step", e.shiftKey ? 10 : 1];
    case "ArrowLeft": return ["step", e.shiftKey ? -10 : -1];
    case "Home": return ["home"];
    case "End": return ["end"];
    case " ": return ["play"];
    case "[": return ["speed", -1];
    case "]": return ["speed", 1];
    case "i": return ["point", "onset"];
    case "a": return ["point", "apex"];
    case "o": return ["point", "offset"];
    case "k": return ["kind"];
    case "Enter": return ["save"];
    case "Escape": return ["cancel"];
    case "Delete": case "Backspace": return ["delete"];
    case "n": return ["next", 1];
    case "p": return ["next", -1];
    case "y": return ["accept"];
    case "x": return ["reject"];
    case "+": case "=": return ["zoom", 2];
    case "-": case "_": return ["zoom", 0.5];
    case "g": return ["goto"];
    case ".": return ["disagreement", 1];
    case ",": return ["disagreement", -1];
    case "c": return ["comment"];
    case "?": return ["help"];
    default: return null;
  }
}
