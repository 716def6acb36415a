import { expect } from 'vitest';
import type request from 'supertest';

/** Asserts an RFC 9457 problem with our stable code. */
export function expectProblem(res: request.Response, status: number, code?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, requestId: expect.any(String), title: expect.any(String), type: expect.any(String) });
  if (code) expect(res.body.code).toBe(code);
}
