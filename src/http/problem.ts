// Error answers as RFC 9457 problem details: {type, title, status, detail}, served as
// application/problem+json, for every endpoint. `detail` says what was wrong in words a user
// can act on; `errors` lists each problem when there are several (a check that does not validate).
import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: string[];
}

export function problem(status: number, detail: string, errors?: string[]): Problem {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, ...(errors && errors.length > 0 ? { errors } : {}) };
}

export function sendProblem(res: Response, status: number, detail: string, options: { errors?: string[]; headers?: Record<string, string> } = {}): void {
  if (options.headers) res.set(options.headers);
  res.status(status).type('application/problem+json').send(JSON.stringify(problem(status, detail, options.errors)));
}
