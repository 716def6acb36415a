import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportReportSchema, type ImportReport } from '../src/modules/achievements/achievements.import.schemas.js';
import { AchievementSchema } from '../src/modules/achievements/achievements.schemas.js';
import { ProblemSchema } from '../src/lib/http.js';
import { startTestApp, type TestContext } from './support/app.js';
import { createAdmin, registerUser, type TestUser } from './support/factories.js';

let ctx: TestContext;
let uni: TestUser;
beforeAll(async () => {
  ctx = await startTestApp();
  uni = await registerUser(ctx.app, 'university', { name: '哈尔滨测试大学', regionCode: '230100' });
});
afterAll(async () => {
  await ctx?.close();
});

const HEADERS_ZH = ['序号', '成果名称', '成果简介', '所属领域', '技术成熟度', '阶段', '知识产权', '转化方式', '价格方式', '价格（万元）', '完成单位', '所在地区', '关键词', '联系人', '联系电话', '邮箱', '有效期'];
const SUMMARY = '以天然石墨为原料制备少层石墨烯导热膜，面向手机与服务器散热。';

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const csv = (rows: string[][], opts: { bom?: boolean; eol?: string } = {}) =>
  Buffer.from((opts.bom ? '\uFEFF' : '') + rows.map((r) => r.map(csvCell).join(',')).join(opts.eol ?? '\r\n') + (opts.eol ?? '\r\n'), 'utf8');

function upload(user: TestUser | null, data: Buffer, filename: string, contentType?: string) {
  const req = request(ctx.app.server).post('/v1/achievements/import');
  if (user) req.set(user.auth);
  return req.attach('file', data, contentType ? { filename, contentType } : { filename });
}

/** The organization's achievements as stored. */
async function storedFor(organizationId: string) {
  const { rows } = await ctx.db.pool.query<{ id: string; title: string; status: string; created_by: string }>(
    'select id, title, status, created_by from achievements where organization_id = $1 order by title',
    [organizationId],
  );
  return rows;
}

function expectProblem(res: { status: number; headers: Record<string, string>; body: unknown }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers['content-type']).toMatch(/problem\+json/);
  expect(ProblemSchema.parse(res.body).code).toBe(code);
}

describe('POST /v1/achievements/import (CSV)', () => {
  it('creates the valid rows as drafts, reports the invalid ones per row by column, and stores nothing of them', async () => {
    const user = await registerUser(ctx.app, 'university', { name: '东北测试大学', regionCode: '230100' });
    const rows = [
      HEADERS_ZH,
      ['1', '石墨烯导热膜连续化制备技术', SUMMARY, 'HLJ.5.03.04', '6', '中试', '发明专利:ZL201910123456.7；实用新型:ZL202020654321.X(已授权)', '转让；许可', '固定', '120.5', '东北测试大学材料学院', '哈尔滨市', '石墨烯；导热膜, 散热', '王工', '0451-86412345', 'wang@example.cn', '2027-01-31'],
      ['2', '', SUMMARY, 'HLJ.5.03.04', '6', '中试', '', '转让', '面议', '', '', '', '', '', '', '', ''],
      ['3', '无标题之外的坏成熟度成果', SUMMARY, 'HLJ.5.03.04', '12', '', '', '转让', '', '', '', '', '', '', '', '', ''],
      ['4', '领域无法识别的成果名称', SUMMARY, '量子玄学', '5', '', '', '许可', '', '', '', '', '', '', '', '', ''],
      ['5', '价格写错了的成果名称', SUMMARY, '新材料', '5', '', '', '许可', '固定', '十万元', '', '', '', '', '', '', ''],
      [],
      ['6', '寒地水稻智能\n插秧机', '面向黑龙江寒地水稻的智能插秧机，作业效率提高30%。', '精量播种，NHT.08.05', 'TRL8', '', '', '作价投资/合作开发', '', '', '', '', '', '', '', '', ''],
      ['7', '有效期太远的成果名称', SUMMARY, 'HLJ.5.03.04', '5', '', '', '许可', '', '', '', '', '', '', '', '', '2035-01-01'],
    ];
    const res = await upload(user, csv(rows), '可转化成果清单.csv', 'text/csv');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const report: ImportReport = ImportReportSchema.parse(res.body);
    expect(report.rows).toBe(7);
    expect(report.created.count).toBe(2);
    expect(report.created.items.map((c) => c.row)).toEqual([2, 8]);
    // Spreadsheet rows: header 1, blank row 7 counted but not reported.
    expect(report.failed.map((f) => f.row)).toEqual([3, 4, 5, 6, 9]);
    const byRow = new Map(report.failed.map((f) => [f.row, f.errors]));
    expect(byRow.get(3)).toEqual([{ path: '成果名称', message: 'is required' }]);
    expect(byRow.get(4)).toEqual([{ path: '技术成熟度', message: expect.stringContaining('1 to 9') }]);
    expect(byRow.get(5)).toEqual([{ path: '所属领域', message: expect.stringContaining('量子玄学') }]);
    expect(byRow.get(6)).toEqual([{ path: '价格（万元）', message: expect.stringContaining('万元') }]);
    // Rejected by the service (validity window), after the row passed the schema.
    expect(byRow.get(9)).toEqual([{ path: '有效期', message: expect.stringContaining('days ahead') }]);

    const stored = await storedFor(user.organizationId);
    expect(stored.map((s) => s.title).sort()).toEqual(['寒地水稻智能\n插秧机', '石墨烯导热膜连续化制备技术'].sort());
    expect(stored.every((s) => s.status === 'draft' && s.created_by === user.userId)).toBe(true);
    const { rows: traces } = await ctx.db.pool.query('select 1 from achievements where title like any($1)', [['%坏成熟度%', '%无法识别%', '%价格写错%', '%有效期太远%']]);
    expect(traces).toHaveLength(0);

    const mine = await request(ctx.app.server).get('/v1/achievements').query({ mine: 'true' }).set(user.auth);
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((a: { id: string }) => a.id).sort()).toEqual(report.created.items.map((c) => c.id).sort());
    // Drafts are not public.
    const pub = await request(ctx.app.server).get('/v1/achievements');
    expect(pub.body.items.some((a: { organizationId: string }) => a.organizationId === user.organizationId)).toBe(false);

    const first = await request(ctx.app.server).get(`/v1/achievements/${report.created.items[0]!.id}`).set(user.auth);
    const a = AchievementSchema.parse(first.body);
    expect(a).toMatchObject({
      title: '石墨烯导热膜连续化制备技术',
      status: 'draft',
      organizationId: user.organizationId,
      fieldCodes: ['HLJ.5.03.04'],
      trl: 6,
      stage: 'pilot',
      transferModes: ['transfer', 'license'],
      price: { kind: 'fixed', amount: { amount: 120_500_000, currency: 'CNY' } },
      institution: '东北测试大学材料学院',
      regionCode: '230100',
      keywords: ['石墨烯', '导热膜', '散热'],
      contact: { name: '王工', phone: '0451-86412345', email: 'wang@example.cn' },
      validUntil: '2027-01-31T15:59:59.000Z',
    });
    expect(a.ipRights).toEqual([
      { kind: 'invention_patent', number: 'ZL201910123456.7', status: 'granted' },
      { kind: 'utility_model', number: 'ZL202020654321.X', status: 'granted' },
    ]);

    // Defaults: stage from the TRL, 面议 without a price, institution and region from the organization, field names resolved.
    const second = AchievementSchema.parse((await request(ctx.app.server).get(`/v1/achievements/${report.created.items[1]!.id}`).set(user.auth)).body);
    expect(second).toMatchObject({
      trl: 8,
      stage: 'industrialization',
      price: { kind: 'negotiable' },
      institution: '东北测试大学',
      regionCode: '230100',
      fieldCodes: ['HLJ.5.05.01', 'NHT.08.05'],
      transferModes: ['equity', 'joint_development'],
      contact: null,
    });
  });

  it('accepts English headers, a UTF-8 BOM, semicolons, region names and field names', async () => {
    const user = await registerUser(ctx.app, 'institute');
    const rows = [
      ['title', 'summary', 'fieldCodes', 'trl', 'stage', 'transferModes', 'priceKind', 'priceWan', 'region', 'contactEmail', 'validUntil'],
      ['Graphene thermal film process', 'A continuous process for few-layer graphene thermal films.', '石墨烯功能材料', '5', 'pilot', 'license', 'fixed', '80', '黑龙江省大庆市', 'a@example.cn', '2026/12/31'],
      ['Cold-region rice planter', 'An intelligent rice transplanter for cold regions of Heilongjiang.', 'HLJ.5.05.01', '7', 'industrialization', 'transfer', 'negotiable', '', '230100', 'not-an-email', ''],
    ];
    const text = '\uFEFF' + rows.map((r) => r.join(';')).join('\n') + '\n';
    const res = await upload(user, Buffer.from(text, 'utf8'), 'list.csv');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const report = ImportReportSchema.parse(res.body);
    expect(report.created.items.map((c) => c.row)).toEqual([2]);
    expect(report.failed).toEqual([{ row: 3, errors: [{ path: 'contactEmail', message: expect.any(String) }] }]);
    const a = AchievementSchema.parse((await request(ctx.app.server).get(`/v1/achievements/${report.created.items[0]!.id}`).set(user.auth)).body);
    expect(a).toMatchObject({ fieldCodes: ['HLJ.5.03.04'], regionCode: '230600', price: { kind: 'fixed', amount: { amount: 80_000_000 } }, validUntil: '2026-12-31T15:59:59.000Z' });
  });

  it('imports every row of seeds/import-sample.csv (the README example)', async () => {
    const user = await registerUser(ctx.app, 'university');
    const res = await upload(user, await readFile('seeds/import-sample.csv'), 'import-sample.csv');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const report = ImportReportSchema.parse(res.body);
    expect(report.failed).toEqual([]);
    expect(report.created.count).toBe(15);
    expect(await storedFor(user.organizationId)).toHaveLength(15);
  });

  it('reads GBK, the encoding of Excel "CSV (逗号分隔)" on Chinese Windows', async () => {
    const user = await registerUser(ctx.app, 'enterprise');
    // 成果名称 in GBK.
    const gbkTitle = Buffer.from('b3c9b9fbc3fbb3c6', 'hex');
    const data = Buffer.concat([
      Buffer.from('title,summary,fieldCodes,trl,transferModes\r\n'),
      gbkTitle,
      Buffer.from(',An achievement whose title is GBK-encoded.,HLJ.4.01.02,4,consulting\r\n'),
    ]);
    const res = await upload(user, data, 'gbk.csv');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(ImportReportSchema.parse(res.body).created.count).toBe(1);
    expect((await storedFor(user.organizationId)).map((s) => s.title)).toEqual(['成果名称']);
  });
});

describe('POST /v1/achievements/import (XLSX)', () => {
  it('reads the first sheet below a title row, with typed cells, and reports rows by their sheet numbers', async () => {
    const user = await registerUser(ctx.app, 'broker');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('成果清单');
    ws.addRow(['东北测试大学2026年可转化成果清单']);
    ws.mergeCells('A1:H1');
    ws.addRow(['成果名称*', '成果简介', '领域代码', 'TRL', '转化方式', '价格(万元)', '有效期', '知识产权']);
    ws.addRow([{ richText: [{ text: '高强韧' }, { text: '钛合金焊丝' }] }, '面向航空结构件的高强韧钛合金焊丝及其制备工艺。', 'HLJ.5.03.02', 7, '技术许可', 35.25, new Date(Date.UTC(2027, 5, 30)), '发明专利:ZL201810000001.2']);
    ws.addRow(['赠送方式不被接受的成果', '面向航空结构件的高强韧钛合金焊丝及其制备工艺。', 'HLJ.5.03.02', 7, '赠送', 10, null, null]);
    ws.addRow([]);
    ws.addRow(['成熟度不是整数的成果', '面向航空结构件的高强韧钛合金焊丝及其制备工艺。', 'HLJ.5.03.02', 6.5, '转让', null, null, '专利:123']);
    wb.addWorksheet('说明').addRow(['这张表不会被读取']);
    const data = Buffer.from(await wb.xlsx.writeBuffer());

    const res = await upload(user, data, 'list.xlsx');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const report = ImportReportSchema.parse(res.body);
    expect(report.rows).toBe(3);
    expect(report.created.items.map((c) => c.row)).toEqual([3]);
    expect(report.failed.map((f) => f.row)).toEqual([4, 6]);
    expect(report.failed[0]!.errors).toEqual([{ path: '转化方式', message: expect.stringContaining('赠送') }]);
    expect(report.failed[1]!.errors.map((e) => e.path).sort()).toEqual(['TRL', '知识产权']);

    const a = AchievementSchema.parse((await request(ctx.app.server).get(`/v1/achievements/${report.created.items[0]!.id}`).set(user.auth)).body);
    expect(a).toMatchObject({
      title: '高强韧钛合金焊丝',
      trl: 7,
      stage: 'industrialization',
      transferModes: ['license'],
      price: { kind: 'fixed', amount: { amount: 35_250_000, currency: 'CNY' } },
      validUntil: '2027-06-30T15:59:59.000Z',
      ipRights: [{ kind: 'invention_patent', number: 'ZL201810000001.2', status: 'granted' }],
    });
    expect(await storedFor(user.organizationId)).toHaveLength(1);
  });
});

describe('POST /v1/achievements/import (refusals)', () => {
  const good = ['石墨烯导热膜连续化制备技术', SUMMARY, 'HLJ.5.03.04', '6', '转让'];
  const header = ['成果名称', '成果简介', '所属领域', '技术成熟度', '转化方式'];

  it('answers 401 without a token and 403 to the platform operator', async () => {
    expectProblem(await upload(null, csv([header, good]), 'a.csv'), 401, 'UNAUTHENTICATED');
    const admin = await createAdmin(ctx.app, ctx.services);
    expectProblem(await upload(admin, csv([header, good]), 'a.csv'), 403, 'ROLE_NOT_ALLOWED');
    expect(await storedFor(admin.organizationId)).toHaveLength(0);
  });

  it('refuses unknown, duplicate and missing columns as a whole with the expected columns listed', async () => {
    const unknown = await upload(uni, csv([[...header, '颜色'], [...good, '红']]), 'a.csv');
    expectProblem(unknown, 422, 'IMPORT_UNKNOWN_COLUMNS');
    expect(unknown.body.detail).toContain('成果名称 (title)');
    expect(unknown.body.errors).toEqual([{ path: '颜色', message: expect.stringContaining('column F') }]);

    const dup = await upload(uni, csv([[...header, 'title'], [...good, 'x']]), 'a.csv');
    expectProblem(dup, 422, 'IMPORT_DUPLICATE_COLUMNS');

    const missing = await upload(uni, csv([header.slice(0, 3), good.slice(0, 3)]), 'a.csv');
    expectProblem(missing, 422, 'IMPORT_MISSING_COLUMNS');
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(['技术成熟度', '转化方式']);

    const headless = await upload(uni, csv([[...header, ''], [...good, '数据']]), 'a.csv');
    expectProblem(headless, 422, 'IMPORT_UNKNOWN_COLUMNS');
    expect(await storedFor(uni.organizationId)).toHaveLength(0);
  });

  it('refuses empty files and files with a header only', async () => {
    expectProblem(await upload(uni, Buffer.alloc(0), 'a.csv'), 422, 'IMPORT_EMPTY');
    expectProblem(await upload(uni, Buffer.from('\uFEFF\r\n\r\n'), 'a.csv'), 422, 'IMPORT_EMPTY');
    expectProblem(await upload(uni, csv([header]), 'a.csv'), 422, 'IMPORT_EMPTY');
  });

  it('refuses other file types with 415 and non-multipart bodies with 415, a form without a file with 400', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    expectProblem(await upload(uni, png, 'logo.png', 'image/png'), 415, 'UNSUPPORTED_FILE_TYPE');
    expectProblem(await upload(uni, png, 'renamed.csv', 'text/csv'), 415, 'UNSUPPORTED_FILE_TYPE');
    expectProblem(await upload(uni, Buffer.from('d0cf11e0a1b11ae1', 'hex'), 'old.xls'), 415, 'UNSUPPORTED_FILE_TYPE');
    expectProblem(await upload(uni, Buffer.from('PK\u0003\u0004not really a workbook'), 'fake.xlsx'), 415, 'UNSUPPORTED_FILE_TYPE');
    expectProblem(await upload(uni, Buffer.from('%PDF-1.7 hello'), 'a.pdf', 'application/pdf'), 415, 'UNSUPPORTED_FILE_TYPE');

    const json = await request(ctx.app.server).post('/v1/achievements/import').set(uni.auth).send({ rows: [] });
    expectProblem(json, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const noFile = await request(ctx.app.server).post('/v1/achievements/import').set(uni.auth).field('note', 'hello');
    expectProblem(noFile, 400, 'IMPORT_NO_FILE');
    const unreadable = await upload(uni, Buffer.from('成果名称,成果简介\n"unclosed,quote\n'), 'a.csv');
    expectProblem(unreadable, 422, 'IMPORT_UNREADABLE');
    expect(await storedFor(uni.organizationId)).toHaveLength(0);
  });

  it('refuses more than 5,000 rows with 413 and imports nothing', async () => {
    const rows = [header, ...Array.from({ length: 5001 }, (_, i) => [`超限成果第${i}号测试`, SUMMARY, 'HLJ.5.03.04', '5', '许可'])];
    expectProblem(await upload(uni, csv(rows), 'big.csv'), 413, 'IMPORT_TOO_MANY_ROWS');
    expect(await storedFor(uni.organizationId)).toHaveLength(0);
  });
});

describe('upload size limit', () => {
  let small: TestContext;
  beforeAll(async () => {
    small = await startTestApp({ IMPORT_LIMIT_BYTES: '2048' });
  });
  afterAll(async () => {
    await small?.close();
  });

  it('answers 413 to a file over IMPORT_LIMIT_BYTES', async () => {
    const user = await registerUser(small.app, 'university');
    const res = await request(small.app.server).post('/v1/achievements/import').set(user.auth).attach('file', Buffer.alloc(4096, 'a'), 'big.csv');
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('5,000 rows in one request', () => {
  it('creates every row', { timeout: 180_000 }, async () => {
    const user = await registerUser(ctx.app, 'university');
    const header = ['成果名称', '成果简介', '所属领域', '技术成熟度', '转化方式', '价格(万元)', '关键词', '知识产权'];
    const rows = Array.from({ length: 5000 }, (_, i) => [`批量导入成果第${i + 1}号`, `${SUMMARY}编号${i + 1}。`, i % 2 ? 'HLJ.5.03.04' : '人工智能', String((i % 9) + 1), i % 3 ? '转让；许可' : '技术服务', String(10 + (i % 50)), '批量；导入', `发明专利:ZL2019${String(10000000 + i)}.1`]);
    const started = performance.now();
    const res = await upload(user, csv([header, ...rows]), 'bulk.csv');
    const ms = performance.now() - started;
    expect(res.status, JSON.stringify(res.body).slice(0, 2000)).toBe(200);
    const report = ImportReportSchema.parse(res.body);
    expect(report.failed).toEqual([]);
    expect(report.created.count).toBe(5000);
    const { rows: counted } = await ctx.db.pool.query<{ n: number }>("select count(*)::int as n from achievements where organization_id = $1 and status = 'draft'", [user.organizationId]);
    expect(counted[0]!.n).toBe(5000);
    console.log(`import of 5,000 CSV rows: ${Math.round(ms)} ms`);
  });
});

describe('npm run import (CLI)', () => {
  const runCli = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', ...args], {
        env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += String(d)));
      child.stderr.on('data', (d) => (stderr += String(d)));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });

  it('imports a file as the organization’s first owner, prints the summary and the failed rows, exits 1 on failures', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tb-import-'));
    try {
      const user = await registerUser(ctx.app, 'university');
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('Sheet1');
      ws.addRow(['成果名称', '成果简介', '所属领域', '技术成熟度', '转化方式']);
      ws.addRow(['命令行导入的好成果', SUMMARY, 'HLJ.5.03.04', 5, '许可']);
      ws.addRow(['命令行导入的坏成果', SUMMARY, 'HLJ.5.03.04', 0, '许可']);
      const file = path.join(dir, 'list.xlsx');
      await writeFile(file, Buffer.from(await wb.xlsx.writeBuffer()));
      const env = { DATABASE_URL: ctx.db.url, DATA_DIR: dir };

      const run = await runCli([file, '--org', user.organizationId], env);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toContain('2 rows, 1 created as drafts');
      expect(run.stderr).toMatch(/row 3: 技术成熟度: /);
      const stored = await storedFor(user.organizationId);
      expect(stored.map((s) => [s.title, s.status, s.created_by])).toEqual([['命令行导入的好成果', 'draft', user.userId]]);

      const ok = path.join(dir, 'ok.csv');
      await writeFile(ok, csv([['title', 'summary', 'fieldCodes', 'trl', 'transferModes'], ['CLI imported achievement', 'Imported from the command line as --user.', 'HLJ.4.01.02', '3', 'consulting']]));
      const clean = await runCli([ok, '--org', user.organizationId, '--user', user.userId], env);
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stdout).toContain('1 rows, 1 created');
      expect(await storedFor(user.organizationId)).toHaveLength(2);

      const stranger = await runCli([ok, '--org', user.organizationId, '--user', uni.userId], env);
      expect(stranger.code).toBe(2);
      expect(stranger.stderr).toContain('not a member');
      const usage = await runCli([ok], env);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('usage: npm run import');
      expect(await storedFor(user.organizationId)).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
