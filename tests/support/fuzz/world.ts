import request from 'supertest';
import type { TestContext } from '../app.js';
import { contractInput, fileContract, registerContract } from '../contracts.js';
import { achievementInput, createAdmin, needInput, publish, registerUser, type TestUser } from '../factories.js';
import { trading } from '../trading.js';
import { FuzzState, type ActorKind } from './state.js';

const KINDS = ['university', 'institute', 'enterprise', 'broker'] as const;

/**
 * Real rows made through the API by the usual factories, one signed-in user per organization kind
 * plus the platform admin, so generated requests can name rows that exist and act as their owner.
 */
export async function buildWorld(ctx: TestContext): Promise<{ state: FuzzState; users: Record<ActorKind, TestUser> }> {
  const state = new FuzzState();
  const admin = await createAdmin(ctx.app, ctx.services);
  const users = { admin } as Record<ActorKind, TestUser>;
  for (const kind of KINDS) users[kind] = await registerUser(ctx.app, kind);
  for (const [kind, u] of Object.entries(users) as [ActorKind, TestUser][]) {
    state.addActor({ key: kind, kind, userId: u.userId, organizationId: u.organizationId, authorization: u.auth.Authorization });
  }
  const api = () => request(ctx.app.server);
  const learn = (collection: string, owner: ActorKind, body: { id: string } & Record<string, unknown>) => {
    state.addId(collection, body.id, owner);
  };

  const { university: uni, institute: inst, enterprise: ent, broker } = users;
  for (const [owner, u] of [['university', uni], ['institute', inst]] as const) {
    learn('achievements', owner, await publish(ctx.app, 'achievements', u, admin, achievementInput()));
    const draft = await api().post('/v1/achievements').set(u.auth).send(achievementInput({ title: '草稿成果：低温余热发电' }));
    learn('achievements', owner, draft.body);
  }
  learn('needs', 'enterprise', await publish(ctx.app, 'needs', ent, admin, needInput()));
  learn('needs', 'enterprise', (await api().post('/v1/needs').set(ent.auth).send(needInput({ title: '草稿需求：寒地温室保温' }))).body);

  const desk = trading(ctx, admin);
  const listing = await desk.listing(uni);
  learn('listings', 'university', listing);
  const registration = await desk.register(ent, listing.id);
  learn('registrations', 'enterprise', registration);
  const pending = await desk.listing(inst, {}, { approve: false });
  learn('listings', 'institute', pending);

  const deal = await api()
    .post('/v1/deals')
    .set(broker.auth)
    .send({ sellerOrganizationId: uni.organizationId, buyerOrganizationId: ent.organizationId, note: '撮合成功' });
  if (deal.status === 201) learn('deals', 'broker', deal.body);

  const filed = await fileContract(ctx.app, uni, contractInput(uni.organizationId, ent.organizationId));
  learn('contracts', 'university', filed);
  const other = await fileContract(ctx.app, inst, contractInput(inst.organizationId, ent.organizationId, { title: '技术开发合同' }));
  learn('contracts', 'institute', await registerContract(ctx.app, admin, other.id));

  return { state, users };
}
