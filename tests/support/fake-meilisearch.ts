import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An in-process stand-in for the parts of the Meilisearch HTTP API (v1.x) the adapter uses:
 * GET /health; POST /indexes; DELETE /indexes/:uid; PATCH /indexes/:uid/settings;
 * POST /indexes/:uid/documents; POST /indexes/:uid/documents/delete-batch; POST /indexes/:uid/search;
 * POST /multi-search; POST /swap-indexes; GET /tasks/:uid. Writes are asynchronous tasks as in the real server.
 *
 * It records every request, and it can go down (connections refused), be slow, or fail tasks,
 * which a real server cannot be made to do on demand.
 *
 * Text matching is a deliberate simplification: a query is split on whitespace, and a word matches
 * when it (or a synonym) is a substring of a searchable attribute. Filters accept the subset of
 * Meilisearch's syntax the adapter emits (=, !=, >, >=, <, <=, IN, NOT IN, IS NULL, EXISTS, NOT EXISTS)
 * and reject anything else with invalid_search_filter, so an adapter bug shows up as an error.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

type Doc = Record<string, unknown> & { id?: unknown };
interface FakeIndex {
  uid: string;
  primaryKey: string;
  settings: Record<string, unknown>;
  docs: Map<string, Doc>;
}
interface TaskView {
  uid: number;
  batchUid: number | null;
  indexUid: string | null;
  status: 'enqueued' | 'processing' | 'succeeded' | 'failed';
  type: string;
  canceledBy: null;
  details: Record<string, unknown>;
  error: { message: string; code: string; type: string; link: string } | null;
  duration: string | null;
  enqueuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeMeilisearch {
  readonly apiKey: string;
  readonly requests: RecordedRequest[] = [];
  readonly indexes = new Map<string, FakeIndex>();
  private readonly tasks = new Map<number, TaskView>();
  private nextTask = 0;
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  /** ms added before every response */
  delayMs = 0;
  /** the next N tasks fail (Infinity: all) */
  failTasks = 0;
  failCode = 'internal';
  /**
   * While true, a write is applied at once but its task stays "processing": a client waiting for
   * the task hangs with the change already in the index, as when a relay is killed mid-batch.
   */
  holdTasks = false;

  constructor(apiKey = 'fake-master-key') {
    this.apiKey = apiKey;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and drops every connection: clients get ECONNREFUSED until up(). */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async up(): Promise<void> {
    if (!this.server) await this.start();
  }

  async stop(): Promise<void> {
    await this.down();
  }

  /** Documents of an index, by id. */
  documents(uid: string): Map<string, Doc> {
    return this.indexes.get(uid)?.docs ?? new Map();
  }

  requestsTo(method: string, pathPattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && pathPattern.test(r.path));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body });
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    let status = 200;
    let payload: unknown;
    try {
      if (url.pathname !== '/health' && req.headers.authorization !== `Bearer ${this.apiKey}`) {
        throw new ApiError(req.headers.authorization ? 403 : 401, req.headers.authorization ? 'invalid_api_key' : 'missing_authorization_header', 'The provided API key is invalid.');
      }
      [status, payload] = this.route(req.method ?? 'GET', url.pathname.split('/').filter(Boolean), body, url.searchParams);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      status = err.status;
      payload = { message: err.message, code: err.code, type: 'invalid_request', link: `https://docs.meilisearch.com/errors#${err.code}` };
    }
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  }

  private route(method: string, parts: string[], body: unknown, params: URLSearchParams): [number, unknown] {
    const [a, b, c, d] = parts;
    if (method === 'GET' && a === 'health' && parts.length === 1) return [200, { status: 'available' }];
    if (method === 'GET' && a === 'tasks' && b !== undefined && parts.length === 2) {
      const task = this.tasks.get(Number(b));
      if (!task) throw new ApiError(404, 'task_not_found', `Task \`${b}\` not found.`);
      return [200, task];
    }
    if (method === 'POST' && a === 'indexes' && parts.length === 1) {
      const { uid, primaryKey } = body as { uid: string; primaryKey?: string };
      return this.enqueue(uid, 'indexCreation', () => {
        if (this.indexes.has(uid)) throw new ApiError(400, 'index_already_exists', `Index \`${uid}\` already exists.`);
        this.indexes.set(uid, { uid, primaryKey: primaryKey ?? 'id', settings: {}, docs: new Map() });
        return { primaryKey };
      });
    }
    if (method === 'POST' && a === 'swap-indexes' && parts.length === 1) {
      const swaps = body as { indexes: [string, string] }[];
      return this.enqueue(null, 'indexSwap', () => {
        for (const { indexes } of swaps) {
          const [x, y] = indexes.map((u) => this.indexes.get(u));
          if (!x || !y) throw new ApiError(404, 'index_not_found', `Index \`${!x ? indexes[0] : indexes[1]}\` not found.`);
          this.indexes.set(indexes[0], { ...y, uid: indexes[0] });
          this.indexes.set(indexes[1], { ...x, uid: indexes[1] });
        }
        return { swaps };
      });
    }
    if (method === 'POST' && a === 'multi-search' && parts.length === 1) {
      const { queries } = body as { queries: (SearchBody & { indexUid: string })[] };
      return [
        200,
        {
          results: queries.map(({ indexUid, ...q }) => {
            const idx = this.indexes.get(indexUid);
            if (!idx) throw new ApiError(404, 'index_not_found', `Index \`${indexUid}\` not found.`);
            return { indexUid, ...this.search(idx, q) };
          }),
        },
      ];
    }
    if (a !== 'indexes' || b === undefined) throw new ApiError(404, 'not_found', 'not found');
    const uid = b;
    const index = () => {
      const idx = this.indexes.get(uid);
      if (!idx) throw new ApiError(404, 'index_not_found', `Index \`${uid}\` not found.`);
      return idx;
    };
    if (method === 'DELETE' && parts.length === 2) {
      return this.enqueue(uid, 'indexDeletion', () => {
        index();
        this.indexes.delete(uid);
        return {};
      });
    }
    if (method === 'PATCH' && c === 'settings' && parts.length === 3) {
      const settings = body as Record<string, unknown>;
      for (const k of ['searchableAttributes', 'filterableAttributes', 'sortableAttributes', 'rankingRules', 'dictionary']) {
        if (k in settings && !Array.isArray(settings[k])) throw new ApiError(400, `invalid_settings_${k}`, `Invalid value type at \`.${k}\``);
      }
      return this.enqueue(uid, 'settingsUpdate', () => {
        Object.assign(index().settings, settings);
        return settings;
      });
    }
    if (method === 'POST' && c === 'documents' && d === undefined) {
      const docs = body as Doc[];
      return this.enqueue(uid, 'documentAdditionOrUpdate', () => {
        const idx = index();
        const pk = params.get('primaryKey') ?? idx.primaryKey;
        const missing = docs.find((doc) => doc[pk] === undefined);
        if (missing) throw new ApiError(400, 'missing_document_id', `Document doesn't have a \`${pk}\` attribute: \`${JSON.stringify(missing)}\`.`);
        for (const doc of docs) idx.docs.set(String(doc[pk]), structuredClone(doc));
        return { receivedDocuments: docs.length, indexedDocuments: docs.length };
      });
    }
    if (method === 'POST' && c === 'documents' && d === 'delete-batch') {
      const ids = (body as unknown[]).map(String);
      return this.enqueue(uid, 'documentDeletion', () => {
        const idx = index();
        let deleted = 0;
        for (const id of ids) if (idx.docs.delete(id)) deleted++;
        return { providedIds: ids.length, deletedDocuments: deleted };
      });
    }
    if (method === 'POST' && c === 'search' && parts.length === 3) return [200, this.search(index(), body as SearchBody)];
    throw new ApiError(404, 'not_found', `${method} /${parts.join('/')} is not implemented by the fake`);
  }

  /** Tasks finish at once (or fail when told to); the client still has to poll for them. */
  private enqueue(indexUid: string | null, type: string, apply: () => Record<string, unknown>): [number, unknown] {
    const uid = this.nextTask++;
    const now = new Date().toISOString();
    const task: TaskView = { uid, batchUid: uid, indexUid, status: 'enqueued', type, canceledBy: null, details: {}, error: null, duration: null, enqueuedAt: now, startedAt: null, finishedAt: null };
    this.tasks.set(uid, task);
    const finish = () => {
      if (this.holdTasks) {
        task.status = 'processing';
        task.startedAt = new Date().toISOString();
        try {
          task.details = apply();
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
        }
        return;
      }
      task.startedAt = task.finishedAt = new Date().toISOString();
      task.duration = 'PT0.001S';
      if (this.failTasks > 0) {
        this.failTasks--;
        task.status = 'failed';
        task.error = { message: 'injected failure', code: this.failCode, type: 'internal', link: 'https://docs.meilisearch.com/errors#internal' };
        return;
      }
      try {
        task.details = apply();
        task.status = 'succeeded';
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        task.status = 'failed';
        task.error = { message: err.message, code: err.code, type: 'invalid_request', link: `https://docs.meilisearch.com/errors#${err.code}` };
      }
    };
    finish();
    return [202, { taskUid: uid, indexUid, status: 'enqueued', type, enqueuedAt: now }];
  }

  private search(idx: FakeIndex, body: SearchBody) {
    const settings = idx.settings as { searchableAttributes?: string[]; filterableAttributes?: string[]; sortableAttributes?: string[]; synonyms?: Record<string, string[]> };
    const searchable = settings.searchableAttributes ?? ['*'];
    const filterable = new Set(settings.filterableAttributes ?? []);
    const words = (body.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const strategy = body.matchingStrategy ?? 'last';
    const matches: { doc: Doc; score: number }[] = [];
    for (const doc of idx.docs.values()) {
      if (body.filter !== undefined && !evaluateFilter(body.filter, doc, filterable)) continue;
      if (words.length === 0) {
        matches.push({ doc, score: 1 });
        continue;
      }
      const attrs = searchable[0] === '*' ? Object.keys(doc) : searchable;
      let score = 0;
      let hit = 0;
      for (const w of words) {
        const alternatives = [w, ...(settings.synonyms?.[w] ?? [])].map((x) => x.toLowerCase());
        const rank = attrs.findIndex((attr) => alternatives.some((alt) => textOf(doc[attr]).includes(alt)));
        if (rank >= 0) {
          hit++;
          score += 1 - rank * 0.1;
        }
      }
      if (strategy === 'all' ? hit === words.length : hit > 0) matches.push({ doc, score: score / words.length });
    }
    for (const s of body.sort ?? []) {
      const [attr] = s.split(':');
      if (!attr || !(settings.sortableAttributes ?? []).includes(attr)) throw new ApiError(400, 'invalid_search_sort', `Attribute \`${attr}\` is not sortable.`);
    }
    matches.sort((x, y) => {
      for (const s of body.sort ?? []) {
        const [attr, dir] = s.split(':') as [string, string];
        const [u, v] = [x.doc[attr], y.doc[attr]];
        if (u == null || v == null) {
          if (u == null && v == null) continue;
          return u == null ? 1 : -1;
        }
        if (u !== v) return (u < v ? -1 : 1) * (dir === 'desc' ? -1 : 1);
      }
      return y.score - x.score;
    });
    const facetDistribution: Record<string, Record<string, number>> = {};
    for (const f of body.facets ?? []) {
      if (!filterable.has(f)) throw new ApiError(400, 'invalid_search_facets', `Attribute \`${f}\` is not filterable.`);
      const counts: Record<string, number> = {};
      for (const { doc } of matches) for (const v of [doc[f]].flat()) if (v != null) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
      facetDistribution[f] = counts;
    }
    const present = (m: { doc: Doc; score: number }) => ({ ...m.doc, ...(body.showRankingScore ? { _rankingScore: m.score } : {}) });
    const base = { query: body.q ?? '', processingTimeMs: 0, ...(body.facets ? { facetDistribution } : {}) };
    if (body.hitsPerPage !== undefined || body.page !== undefined) {
      const per = body.hitsPerPage ?? 20;
      const page = body.page ?? 1;
      return { ...base, hits: matches.slice((page - 1) * per, page * per).map(present), hitsPerPage: per, page, totalPages: Math.ceil(matches.length / per), totalHits: matches.length };
    }
    const offset = body.offset ?? 0;
    const limit = body.limit ?? 20;
    return { ...base, hits: matches.slice(offset, offset + limit).map(present), offset, limit, estimatedTotalHits: matches.length };
  }
}

interface SearchBody {
  q?: string | null;
  filter?: (string | string[])[] | string;
  facets?: string[];
  sort?: string[];
  limit?: number;
  offset?: number;
  hitsPerPage?: number;
  page?: number;
  matchingStrategy?: string;
  showRankingScore?: boolean;
}

const textOf = (v: unknown): string => (v == null ? '' : Array.isArray(v) ? v.map(textOf).join(' ') : String(v)).toLowerCase();

function evaluateFilter(filter: (string | string[])[] | string, doc: Doc, filterable: Set<string>): boolean {
  const clauses = typeof filter === 'string' ? [filter] : filter;
  return clauses.every((clause) => (Array.isArray(clause) ? clause.some((c) => evaluateAtom(c, doc, filterable)) : evaluateAtom(clause, doc, filterable)));
}

function literal(s: string): unknown {
  const t = s.trim();
  if (t.startsWith('"')) return JSON.parse(t);
  if (t === 'true' || t === 'false') return t === 'true';
  const n = Number(t);
  if (Number.isNaN(n)) throw new ApiError(400, 'invalid_search_filter', `cannot parse value ${t}`);
  return n;
}

function evaluateAtom(atom: string, doc: Doc, filterable: Set<string>): boolean {
  const m =
    /^(\w+) (NOT IN|IN) \[(.*)\]$/.exec(atom) ??
    /^(\w+) (IS NULL|IS NOT NULL|EXISTS|NOT EXISTS)$/.exec(atom) ??
    /^(\w+) (=|!=|>=|<=|>|<) (".*"|[-\d.]+|true|false)$/.exec(atom);
  if (!m) throw new ApiError(400, 'invalid_search_filter', `The fake cannot parse filter \`${atom}\``);
  const [, attr, op, rest] = m as unknown as [string, string, string, string | undefined];
  if (!filterable.has(attr)) throw new ApiError(400, 'invalid_search_filter', `Attribute \`${attr}\` is not filterable.`);
  const value = doc[attr];
  const values = Array.isArray(value) ? value : [value];
  switch (op) {
    case 'IS NULL':
      return attr in doc && value === null;
    case 'IS NOT NULL':
      return !(attr in doc && value === null);
    case 'EXISTS':
      return attr in doc;
    case 'NOT EXISTS':
      return !(attr in doc);
    case 'IN':
    case 'NOT IN': {
      const list = JSON.parse(`[${rest}]`) as unknown[];
      const any = values.some((v) => list.includes(v));
      return op === 'IN' ? any : !any;
    }
  }
  const want = literal(rest!);
  const cmp = (v: unknown) => {
    if (v == null) return false;
    switch (op) {
      case '=':
        return v === want;
      case '>':
        return (v as number) > (want as number);
      case '>=':
        return (v as number) >= (want as number);
      case '<':
        return (v as number) < (want as number);
      case '<=':
        return (v as number) <= (want as number);
      default:
        return false;
    }
  };
  if (op === '!=') return !values.some((v) => v === want);
  return values.some(cmp);
}
