// Where a JSON text first goes wrong, as a line and a column, for config errors a person fixes
// in an editor (JSON.parse names no position for some errors, and never a line).

/** The 1-based line and column of the first syntax error in `text`, or undefined if it is valid JSON. */
export function jsonErrorPosition(text: string): { line: number; column: number } | undefined {
  const offset = firstErrorOffset(text)
  if (offset === undefined) return undefined
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, column: offset - before.lastIndexOf('\n') }
}

/** The offset of the first character that cannot continue a JSON text (text.length: it ends too soon). */
function firstErrorOffset(text: string): number | undefined {
  let i = 0
  const fail = (): never => {
    throw i
  }
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++
  }
  /** Skips the character `c`, or fails where it is missing. */
  const expect = (c: string): void => {
    if (text[i] !== c) fail()
    i++
  }
  const literal = (word: string): void => {
    for (const c of word) expect(c)
  }
  const string = (): void => {
    expect('"')
    while (text[i] !== '"') {
      if (i >= text.length || text.charAt(i) < ' ') fail()
      if (text[i] === '\\') {
        i++
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (/[0-9a-fA-F]/.test(text[i + k] ?? '')) continue
            i += k
            fail()
          }
          i += 4
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail()
      }
      i++
    }
    i++
  }
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))
    if (!match) fail()
    i += match![0].length
  }
  /** The items of an object or array after its opening character, up to and with `close`. */
  const items = (close: string, item: () => void): void => {
    ws()
    if (text[i] === close) {
      i++
      return
    }
    for (;;) {
      item()
      ws()
      if (text[i] !== ',') break
      i++
    }
    expect(close)
  }
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      items('}', () => {
        ws()
        string()
        ws()
        expect(':')
        value()
      })
    } else if (c === '[') {
      i++
      items(']', value)
    } else if (c === '"') string()
    else if (c === 't') literal('true')
    else if (c === 'f') literal('false')
    else if (c === 'n') literal('null')
    else number()
  }
  try {
    value()
    ws()
    if (i < text.length) fail()
    return undefined
  } catch (at) {
    if (typeof at !== 'number') throw at
    return Math.min(at, text.length)
  }
}
