// The small JSONPath subset json conditions use: `$`, `.name`, `["name"]`, `[0]`, `[-1]`.
// Parsed once at load into a list of steps; evaluating it is a plain walk.

export type JsonPath = ReadonlyArray<string | number>;

export interface ParsedPath {
  path: JsonPath;
  /** The source text of the path, for messages. */
  text: string;
  /** What followed the path in the input. */
  rest: string;
}

const NAME = /^[A-Za-z_][\w-]*/;
const INDEX = /^\[(-?\d+)\]/;
const QUOTED = /^\[\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\]/;

/** Parses a path at the start of `input`; throws an Error whose message says what is wrong. */
export function parseJsonPath(input: string): ParsedPath {
  const source = input.trimStart();
  if (!source.startsWith('$')) throw new Error('a path must start with "$"');
  const path: Array<string | number> = [];
  let i = 1;
  for (;;) {
    const rest = source.slice(i);
    let m: RegExpExecArray | null;
    if (rest.startsWith('.')) {
      m = NAME.exec(rest.slice(1));
      if (!m) throw new Error(`expected a field name after "." at ${JSON.stringify(source.slice(0, i + 1))}`);
      path.push(m[0]);
      i += 1 + m[0].length;
    } else if ((m = INDEX.exec(rest))) {
      path.push(Number(m[1]));
      i += m[0].length;
    } else if ((m = QUOTED.exec(rest))) {
      const quoted = m[1]!;
      path.push(quoted.startsWith('"') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1).replace(/\\(.)/g, '$1'));
      i += m[0].length;
    } else if (rest.startsWith('[')) {
      throw new Error(`expected [index] or ["name"] at ${JSON.stringify(rest)}`);
    } else {
      return { path, text: source.slice(0, i), rest };
    }
  }
}

/** The value at `path`, or undefined when any step is missing. */
export function evaluateJsonPath(value: unknown, path: JsonPath): unknown {
  let current = value;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[step < 0 ? current.length + step : step];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, step)) return undefined;
      current = (current as Record<string, unknown>)[step];
    }
  }
  return current;
}
