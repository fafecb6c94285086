// Argument and return types of every PromQL function, as Prometheus's parser declares them; used by the type checker.
// `variadic`: 0 = exact arity, n > 0 = up to n optional trailing args, -1 = unlimited repeats of the last type.

import type { ValueType } from './ast.js';

export interface FunctionSignature {
  argTypes: ValueType[];
  variadic: number;
  returnType: ValueType;
  /** Behind a feature flag in Prometheus; healthmon either implements it or rejects it. */
  experimental?: boolean;
  /** Parsed by lezer-promql but not implemented by healthmon. */
  unsupported?: boolean;
}

const V: ValueType = 'vector';
const M: ValueType = 'matrix';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

const vecToVec = (): FunctionSignature => ({ argTypes: [V], variadic: 0, returnType: V });
const rangeToVec = (): FunctionSignature => ({ argTypes: [M], variadic: 0, returnType: V });
const dateFn = (): FunctionSignature => ({ argTypes: [V], variadic: 1, returnType: V });

export const FUNCTION_SIGNATURES: Readonly<Record<string, FunctionSignature>> = {
  abs: vecToVec(), ceil: vecToVec(), floor: vecToVec(), exp: vecToVec(), sqrt: vecToVec(),
  ln: vecToVec(), log2: vecToVec(), log10: vecToVec(), sgn: vecToVec(),
  sin: vecToVec(), cos: vecToVec(), tan: vecToVec(), asin: vecToVec(), acos: vecToVec(), atan: vecToVec(),
  sinh: vecToVec(), cosh: vecToVec(), tanh: vecToVec(), asinh: vecToVec(), acosh: vecToVec(), atanh: vecToVec(),
  deg: vecToVec(), rad: vecToVec(),
  pi: { argTypes: [], variadic: 0, returnType: S },
  time: { argTypes: [], variadic: 0, returnType: S },
  start: { argTypes: [], variadic: 0, returnType: S, experimental: true },
  end: { argTypes: [], variadic: 0, returnType: S, experimental: true },
  range: { argTypes: [], variadic: 0, returnType: S, experimental: true },
  step: { argTypes: [], variadic: 0, returnType: S, experimental: true },
  min_of: { argTypes: [S, S], variadic: 0, returnType: S, experimental: true },
  max_of: { argTypes: [S, S], variadic: 0, returnType: S, experimental: true },
  absent: vecToVec(),
  absent_over_time: rangeToVec(),
  present_over_time: rangeToVec(),
  avg_over_time: rangeToVec(), count_over_time: rangeToVec(), sum_over_time: rangeToVec(),
  min_over_time: rangeToVec(), max_over_time: rangeToVec(), last_over_time: rangeToVec(),
  stddev_over_time: rangeToVec(), stdvar_over_time: rangeToVec(),
  first_over_time: { ...rangeToVec(), experimental: true },
  mad_over_time: { ...rangeToVec(), experimental: true },
  ts_of_first_over_time: { ...rangeToVec(), experimental: true },
  ts_of_last_over_time: { ...rangeToVec(), experimental: true },
  ts_of_min_over_time: { ...rangeToVec(), experimental: true },
  ts_of_max_over_time: { ...rangeToVec(), experimental: true },
  quantile_over_time: { argTypes: [S, M], variadic: 0, returnType: V },
  changes: rangeToVec(), resets: rangeToVec(), delta: rangeToVec(), deriv: rangeToVec(),
  idelta: rangeToVec(), increase: rangeToVec(), irate: rangeToVec(), rate: rangeToVec(),
  predict_linear: { argTypes: [M, S], variadic: 0, returnType: V },
  double_exponential_smoothing: { argTypes: [M, S, S], variadic: 0, returnType: V, experimental: true },
  clamp: { argTypes: [V, S, S], variadic: 0, returnType: V },
  clamp_max: { argTypes: [V, S], variadic: 0, returnType: V },
  clamp_min: { argTypes: [V, S], variadic: 0, returnType: V },
  round: { argTypes: [V, S], variadic: 1, returnType: V },
  day_of_month: dateFn(), day_of_week: dateFn(), day_of_year: dateFn(), days_in_month: dateFn(),
  hour: dateFn(), minute: dateFn(), month: dateFn(), year: dateFn(),
  timestamp: vecToVec(),
  histogram_quantile: { argTypes: [S, V], variadic: 0, returnType: V },
  histogram_count: vecToVec(), histogram_sum: vecToVec(), histogram_avg: vecToVec(),
  histogram_stddev: vecToVec(), histogram_stdvar: vecToVec(),
  histogram_fraction: { argTypes: [S, S, V], variadic: 0, returnType: V },
  histogram_quantiles: { argTypes: [V, STR, S], variadic: -1, returnType: V, experimental: true },
  label_replace: { argTypes: [V, STR, STR, STR, STR], variadic: 0, returnType: V },
  label_join: { argTypes: [V, STR, STR, STR], variadic: -1, returnType: V },
  scalar: { argTypes: [V], variadic: 0, returnType: S },
  vector: { argTypes: [S], variadic: 0, returnType: V },
  sort: vecToVec(), sort_desc: vecToVec(),
  sort_by_label: { argTypes: [V, STR], variadic: -1, returnType: V, experimental: true },
  sort_by_label_desc: { argTypes: [V, STR], variadic: -1, returnType: V, experimental: true },
  info: { argTypes: [V, V], variadic: 1, returnType: V, experimental: true, unsupported: true },
  start_timestamp: { ...vecToVec(), experimental: true, unsupported: true },
};
