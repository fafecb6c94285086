// The error thrown for PromQL that does not parse or type-check, with a 1-based line:column position.
// Its message reads like Prometheus's ("1:6: parse error: …") because rule-file checks show it to users.

export interface SourcePosition {
  line: number;
  column: number;
}

export class PromQLParseError extends Error {
  override readonly name = 'PromQLParseError';
  readonly position: SourcePosition;
  /** 0-based character offset into the expression text. */
  readonly offset: number;
  /** The message without the position prefix. */
  readonly detail: string;
  /** True when the syntax is valid Prometheus but uses a feature healthmon does not implement. */
  readonly unsupported: boolean;

  constructor(detail: string, source: string, offset: number, opts: { unsupported?: boolean; cause?: unknown } = {}) {
    const position = positionOf(source, offset);
    super(`${position.line}:${position.column}: parse error: ${detail}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.position = position;
    this.offset = offset;
    this.detail = detail;
    this.unsupported = opts.unsupported ?? false;
  }
}

/** Errors raised while evaluating a well-typed expression (many-to-many matching, duplicate labelsets, …). */
export class PromQLEvalError extends Error {
  override readonly name = 'PromQLEvalError';
}

export function positionOf(source: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
