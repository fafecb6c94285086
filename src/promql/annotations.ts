// Warnings and infos produced during evaluation (Prometheus's annotations), formatted like Prometheus's
// "PromQL warning: … (line:col)" so users and the conformance runner can compare them.

import type { PosRange } from './ast.js';
import { positionOf } from './errors.js';

export class Annotations {
  readonly warnings = new Set<string>();
  readonly infos = new Set<string>();

  constructor(private readonly source: string) {}

  warn(msg: string, pos: PosRange): void {
    this.warnings.add(`PromQL warning: ${msg}${this.at(pos)}`);
  }

  info(msg: string, pos: PosRange): void {
    this.infos.add(`PromQL info: ${msg}${this.at(pos)}`);
  }

  private at(pos: PosRange): string {
    if (this.source === '') return '';
    const p = positionOf(this.source, pos.start);
    return ` (${p.line}:${p.column})`;
  }
}
