import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { validateCreditCode } from '../src/lib/credit-code.js';

describe('configuration', () => {
  it('refuses to start in production without secrets or a database', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_PRIVATE_KEY[\s\S]*DATABASE_URL/);
  });
  it('keeps the sandbox clock off by default and refuses it in production', () => {
    expect(loadConfig({}).SANDBOX_CLOCK).toBe(false);
    expect(loadConfig({ SANDBOX_CLOCK: 'true' }).SANDBOX_CLOCK).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test', SANDBOX_CLOCK: '1' }).SANDBOX_CLOCK).toBe(true);
    expect(() => loadConfig({ SANDBOX_CLOCK: 'on' })).toThrow(/SANDBOX_CLOCK/);
    const production = { NODE_ENV: 'production', JWT_PRIVATE_KEY: 'pem', DATABASE_URL: 'postgres://db/techbridge' };
    expect(loadConfig({ ...production, SANDBOX_CLOCK: 'false' }).SANDBOX_CLOCK).toBe(false);
    expect(() => loadConfig({ ...production, SANDBOX_CLOCK: 'true' })).toThrow(/SANDBOX_CLOCK: not allowed in production/);
  });
  it('has development defaults and rejects nonsense', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.JWT_PRIVATE_KEY).toBeUndefined();
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ SEED: 'maybe' })).toThrow(/SEED/);
  });
});

describe('统一社会信用代码', () => {
  it('accepts real codes and rejects a wrong check character or alphabet', () => {
    for (const ok of ['91350100M000100Y43', '91110000600037341L', '12100000400000624D']) expect(validateCreditCode(ok)).toBeNull();
    expect(validateCreditCode('91350100M000100Y44')).toMatch(/check character/);
    expect(validateCreditCode('91350100M000100YI3')).toMatch(/18 characters/);
    expect(validateCreditCode('123')).toMatch(/18 characters/);
  });
});
