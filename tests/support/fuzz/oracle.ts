import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { OpenApiDoc, Operation, Schema } from './spec.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable is one level down.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

export interface Observed {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** the body as text (streams: what arrived before the test stopped reading) */
  text: string;
}

export interface Violation {
  rule: string;
  detail: string;
}

const DOC_ID = 'https://techbridge.test/openapi.json';

/**
 * The contract a response must keep: never 5xx; every 4xx is application/problem+json with
 * type/title/status/code (and Retry-After on 429); every 2xx is a documented status and content
 * type, and its JSON body validates against the documented schema (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1).
 */
export function createOracle(doc: OpenApiDoc) {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ $id: DOC_ID, components: doc.components });
  const compiled = new Map<Schema, ValidateFunction>();
  const validatorFor = (schema: Schema): ValidateFunction => {
    let v = compiled.get(schema);
    if (!v) {
      // Local refs (#/components/…) resolve against the document registered above.
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', `"$ref":"${DOC_ID}#/`)) as Schema;
      v = ajv.compile(rebased as object);
      compiled.set(schema, v);
    }
    return v;
  };
  const problem = validatorFor({ $ref: '#/components/schemas/Problem' });

  function check(op: Operation, res: Observed, opts: { routed: boolean; sentBody: boolean }): Violation[] {
    const out: Violation[] = [];
    const type = String(res.headers['content-type'] ?? '');
    const media = type.split(';')[0]!.trim().toLowerCase();
    if (res.status >= 500) out.push({ rule: '5xx', detail: `${res.status} ${res.text.slice(0, 300)}` });
    const documented = op.responses.get(res.status);
    // A hostile path can leave the route (…/../…): then the operation's own contract does not apply.
    // A body sent to an operation that takes none can still be too large or of an unknown type.
    const bodyStatus = !op.body && opts.sentBody && (res.status === 413 || res.status === 415);
    if (opts.routed && !documented && !bodyStatus) {
      out.push({ rule: 'undocumented status', detail: `${res.status} is not among ${[...op.responses.keys()].join(', ')}: ${res.text.slice(0, 200)}` });
    }
    if (res.status >= 400) {
      if (media !== 'application/problem+json') out.push({ rule: 'problem content type', detail: `${res.status} came as "${type}": ${res.text.slice(0, 200)}` });
      let body: unknown;
      try {
        body = JSON.parse(res.text);
      } catch {
        out.push({ rule: 'problem body', detail: `not JSON: ${res.text.slice(0, 200)}` });
        return out;
      }
      if (!problem(body)) out.push({ rule: 'problem body', detail: `${ajv.errorsText(problem.errors)}: ${res.text.slice(0, 200)}` });
      const p = body as { status?: unknown; code?: unknown };
      if (p.status !== res.status) out.push({ rule: 'problem status', detail: `body says ${String(p.status)}, response is ${res.status}` });
      if (typeof p.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(p.code)) out.push({ rule: 'problem code', detail: `code ${JSON.stringify(p.code)} is not SCREAMING_SNAKE` });
      if (res.status === 429 && !res.headers['retry-after']) out.push({ rule: '429 without Retry-After', detail: res.text.slice(0, 200) });
      return out;
    }
    if (res.status >= 200 && res.status < 300 && opts.routed && documented) {
      if (documented.size === 0) {
        if (res.text.length > 0) out.push({ rule: 'unexpected body', detail: `${res.status} is documented without content: ${res.text.slice(0, 200)}` });
        return out;
      }
      if (!documented.has(media)) {
        out.push({ rule: 'undocumented content type', detail: `"${type}" is not among ${[...documented.keys()].join(', ')}` });
        return out;
      }
      const schema = documented.get(media);
      if (schema !== undefined && (media === 'application/json' || media.endsWith('+json'))) {
        let body: unknown;
        try {
          body = JSON.parse(res.text);
        } catch {
          out.push({ rule: 'response body', detail: `not JSON: ${res.text.slice(0, 200)}` });
          return out;
        }
        const validate = validatorFor(schema);
        if (!validate(body)) out.push({ rule: 'response schema', detail: `${ajv.errorsText(validate.errors)} in ${res.text.slice(0, 300)}` });
      }
    }
    return out;
  }

  /** Whether a value is valid under a (sub)schema of the document. */
  function accepts(schema: Schema, value: unknown): boolean {
    return validatorFor(schema)(value) === true;
  }

  return { check, accepts };
}
