// Public surface of healthmon's PromQL engine: parsing and type checking, the series window, the evaluator.

export type * from './ast.js';
export { parseExpr, parseSyntax } from './parser.js';
export { checkTypes, exprType } from './type-check.js';
export { PromQLParseError, PromQLEvalError, type SourcePosition } from './errors.js';
export { createSeriesWindow } from './series-window.js';
export type { SeriesWindow, SeriesWindowOptions, SampleInput, LoadPoint, StoredSeries, HistogramSamples } from './series-window.js';
export { createEngine } from './engine.js';
export type { Engine, EngineOptions, QueryResult, QueryAnnotations, Sample, Series, Point, HistogramPoint } from './engine.js';
export type { NativeHistogram, Buckets, CounterResetHint } from './native-histogram.js';
export { formatLabels, LabelSet, type Labels } from './labels.js';
export { formatDuration } from '../core/duration.js';
export { parseDurationMs } from './literals.js';
