import { adminDecision, adminOnly, cell, open, ownerOnly, posters, rolesOnly, signedIn, type OperationPolicy, type PolicyTable } from './policy.js';

/**
 * Every operation of openapi/openapi.json by operationId (src/lib/policy.ts explains the cells).
 * `who` quotes API.md; comments and `why` say why a cell is not the obvious one.
 */
export const POLICY = {
  // Operations
  getHealth: open(),
  getReadiness: open(),

  // Accounts
  register: open(),
  createToken: open(),
  refreshToken: open(),
  getMe: signedIn(),
  getJwks: open(),
  getOrganization: { who: 'public', anonymous: 'allow', subject: 'organization', roles: { ...posters('organization', cell('allow', 'allow')), admin: cell('allow', 'allow') } },
  updateOrganization: {
    who: 'members',
    why: 'A profile is public, so another organization is told 403 rather than 404; admins edit any profile (moderation)',
    anonymous: 401,
    subject: 'organization',
    roles: { ...posters('organization', cell('allow', 403)), admin: cell('allow', 'allow') },
  },
  createInvite: {
    who: 'organization owner',
    why: "Inviting into another organization is 404 for everyone; an admin's invite brings in a further admin",
    anonymous: 401,
    subject: 'organization',
    roles: { ...posters('organization', cell('allow', 404)), admin: cell('allow', 404) },
  },

  // Catalog and calendar
  listFields: open(),
  listRegions: open(),
  listWorkingDays: open(),
  listCalendarClosures: open(),
  createCalendarClosure: adminOnly(),
  deleteCalendarClosure: adminOnly(),

  // Achievements (科技成果)
  createAchievement: rolesOnly('university, institute, enterprise, broker', ['university', 'institute', 'enterprise', 'broker']),
  listAchievements: open(),
  getAchievement: {
    who: 'anyone (published) / owner, admin',
    anonymous: 404,
    subject: 'achievement:draft',
    roles: { ...posters('achievement:draft', cell('allow', 404)), admin: cell(null, 'allow') },
  },
  // Admins may see every row, so they are told it is not theirs to change (NOT_OWNER) instead of 404.
  updateAchievement: ownerOnly('achievement:draft', 'owner', cell(null, 403)),
  submitAchievement: ownerOnly('achievement:draft', 'owner', cell(null, 403)),
  reviewAchievement: adminDecision('achievement:pending_review'),
  archiveAchievement: ownerOnly('achievement:draft', 'owner, admin', cell(null, 'allow')),
  importAchievements: rolesOnly('university, institute, enterprise, broker', ['university', 'institute', 'enterprise', 'broker']),
  listAchievementMatches: {
    who: 'owner, admin, broker',
    why: "A published row is visible, so a non-broker outsider gets 403; brokers match other organizations' rows (that is their trade)",
    anonymous: 401,
    subject: 'achievement:published',
    roles: { ...posters('achievement:published', cell('allow', 403)), broker: cell('allow', 'allow'), admin: cell(null, 'allow') },
  },

  // Needs (技术需求)
  createNeed: rolesOnly('enterprise, broker', ['enterprise', 'broker']),
  listNeeds: open(),
  getNeed: {
    who: 'anyone (published) / owner, admin',
    anonymous: 404,
    subject: 'need:draft',
    roles: { ...posters('need:draft', cell('allow', 404)), admin: cell(null, 'allow') },
  },
  updateNeed: ownerOnly('need:draft', 'owner', cell(null, 403)),
  submitNeed: ownerOnly('need:draft', 'owner', cell(null, 403)),
  reviewNeed: adminDecision('need:pending_review'),
  archiveNeed: ownerOnly('need:draft', 'owner, admin', cell(null, 'allow')),
  listNeedMatches: {
    who: 'owner, admin, broker',
    why: "As for achievements: visible row → 403 for outsiders; brokers match other organizations' needs",
    anonymous: 401,
    subject: 'need:published',
    roles: { ...posters('need:published', cell('allow', 403)), broker: cell('allow', 'allow'), admin: cell(null, 'allow') },
  },

  // Search
  search: open(),

  // Listings (挂牌) and auctions (竞价)
  createListing: {
    who: 'owner of the achievement, broker',
    why: "The subject is the (published, so visible) achievement listed: another organization's → 403 NOT_ACHIEVEMENT_OWNER; brokers list achievements their own organization owns; admins do not sell",
    anonymous: 401,
    subject: 'achievement:published',
    roles: { ...posters('achievement:published', cell('allow', 403)), admin: cell(null, 403) },
  },
  listListings: open(),
  getListing: {
    who: 'anyone (approved) / seller, admin',
    anonymous: 404,
    subject: 'listing:pending_review',
    roles: { ...posters('listing:pending_review', cell('allow', 404)), admin: cell(null, 'allow') },
  },
  updateListing: ownerOnly('listing:pending_review', 'seller', cell(null, 403)),
  reviewListing: adminDecision('listing:pending_review'),
  withdrawListing: ownerOnly('listing:pending_review', 'seller, admin', cell(null, 'allow')),
  confirmListingAgreement: {
    who: 'the seller or the single qualified buyer',
    why: 'The listing is public, so outsiders (admins included: they withdraw, they do not confirm) get 403 NOT_A_PARTY',
    anonymous: 401,
    subject: 'listing:awaiting_agreement',
    roles: { ...posters('listing:awaiting_agreement', cell('allow', 403)), admin: cell(null, 403) },
  },
  createRegistration: {
    who: 'enterprise',
    why: 'Registering is for enterprises on listings of others: the seller itself gets 403 OWN_LISTING',
    anonymous: 401,
    subject: 'listing:notice',
    roles: { ...posters('listing:notice', cell(403, 403)), enterprise: cell(403, 'allow'), admin: cell(null, 403) },
  },
  listRegistrations: {
    who: 'seller, admin: all; others: their own',
    why: 'The listing is public: anyone signed in may ask and sees only its own registrations',
    anonymous: 401,
    subject: 'listing:notice',
    roles: { ...posters('listing:notice', cell('allow', 'allow')), admin: cell(null, 'allow') },
  },
  qualifyRegistration: {
    who: 'seller, admin',
    why: 'The listing is public, so a non-seller gets 403 NOT_SELLER',
    anonymous: 401,
    subject: 'listing:notice',
    roles: { ...posters('listing:notice', cell('allow', 403)), admin: cell(null, 'allow') },
  },
  settleDeposit: adminDecision('listing:deposit_paid'),
  placeBid: {
    who: 'qualified registrant',
    why: 'Only enterprises bid (others 403 KIND_NOT_ALLOWED); the seller can never register, so its own bid is 409 NOT_QUALIFIED',
    anonymous: 401,
    subject: 'listing:auction',
    roles: { ...posters('listing:auction', cell(403, 403)), enterprise: cell(409, 'allow'), admin: cell(null, 403) },
  },
  listBids: {
    who: 'anyone',
    why: 'Anyone once the listing is approved; before that it is invisible outside the seller side',
    anonymous: 404,
    subject: 'listing:pending_review',
    roles: { ...posters('listing:pending_review', cell('allow', 404)), admin: cell(null, 'allow') },
  },
  listListingAudit: {
    who: "seller's members, admins",
    why: 'The audit log stays private even while the listing is public',
    anonymous: 401,
    subject: 'listing:notice',
    roles: { ...posters('listing:notice', cell('allow', 404)), admin: cell(null, 'allow') },
  },
  verifyListingAudit: adminDecision('listing:notice'),
  streamListingEvents: {
    who: 'anyone',
    why: 'Anyone once the listing is approved; before that it is invisible outside the seller side',
    anonymous: 404,
    subject: 'listing:pending_review',
    roles: { ...posters('listing:pending_review', cell('allow', 404)), admin: cell(null, 'allow') },
  },

  // Deals (broker workflow)
  createDeal: rolesOnly('broker, admin', ['broker', 'admin']),
  listDeals: signedIn('broker (own), parties, admin'),
  getDeal: {
    who: 'broker of the deal, parties, admin',
    why: "An admin's own deal is one it opened; admins see every deal",
    anonymous: 401,
    subject: 'deal',
    roles: { ...posters('deal', cell('allow', 404)), admin: cell('allow', 'allow') },
  },
  updateDeal: {
    who: 'broker of the deal, parties',
    why: 'Admins may move any deal (the operator arranges deals too)',
    anonymous: 401,
    subject: 'deal',
    roles: { ...posters('deal', cell('allow', 404)), admin: cell('allow', 'allow') },
  },

  // Contracts (技术合同登记)
  fileContract: {
    who: 'seller-side member, broker of the deal',
    why: 'The subject is the organization named as seller: naming another one (without being the broker of its deal) is 403 NOT_SELLER_SIDE; admins register, they do not file',
    anonymous: 401,
    subject: 'seller-organization',
    roles: { ...posters('seller-organization', cell('allow', 403)), admin: cell(null, 403) },
  },
  listContracts: signedIn('parties, admin'),
  listOverdueContracts: adminOnly(),
  getContract: {
    who: 'parties, admin',
    anonymous: 401,
    subject: 'contract:submitted',
    roles: { ...posters('contract:submitted', cell('allow', 404)), admin: cell(null, 'allow') },
  },
  // Admins see every contract, so they are told it is the seller side's to change (NOT_SELLER_SIDE).
  updateContractDraft: ownerOnly('contract:draft', 'seller side', cell(null, 403)),
  submitContractDraft: ownerOnly('contract:draft', 'seller side', cell(null, 403)),
  reviewContract: adminDecision('contract:submitted'),
  supplyContractMaterial: ownerOnly('contract:material_requested', 'seller side', cell(null, 403)),
  fileContractChange: ownerOnly('contract:registered', 'seller side', cell(null, 403)),
  fileContractCancellation: ownerOnly('contract:registered', 'seller side', cell(null, 403)),

  // Statistics
  getContractStats: open('anyone (aggregates only)'),
  getStatsOverview: open(),

  // Interests and subscriptions
  createAchievementInterest: {
    who: 'enterprise, broker',
    why: "Interest comes from other organizations: on the caller's own row it is 422 OWN_ROW",
    anonymous: 401,
    subject: 'achievement:published',
    roles: { ...posters('achievement:published', cell(403, 403)), enterprise: cell(422, 'allow'), broker: cell(422, 'allow'), admin: cell(null, 403) },
  },
  listAchievementInterests: {
    who: 'owner, admin',
    why: 'A published row is visible, so an outsider gets 403 NOT_OWNER',
    anonymous: 401,
    subject: 'achievement:published',
    roles: { ...posters('achievement:published', cell('allow', 403)), admin: cell(null, 'allow') },
  },
  createNeedInterest: {
    who: 'university, institute, enterprise, broker',
    why: "Proposals come from other organizations: on the caller's own need it is 422 OWN_ROW",
    anonymous: 401,
    subject: 'need:published',
    roles: { ...posters('need:published', cell(422, 'allow')), admin: cell(null, 403) },
  },
  listNeedInterests: {
    who: 'owner, admin',
    why: 'A published row is visible, so an outsider gets 403 NOT_OWNER',
    anonymous: 401,
    subject: 'need:published',
    roles: { ...posters('need:published', cell('allow', 403)), admin: cell(null, 'allow') },
  },
  listInterests: signedIn(),
  getInterest: {
    who: "the row's owner, the interested organization, admin",
    anonymous: 401,
    subject: 'interest:pending',
    roles: { ...posters('interest:pending', cell('allow', 404)), admin: cell(null, 'allow') },
  },
  // Admins may see every interest, so they are told only the owner decides (NOT_OWNER).
  acceptInterest: ownerOnly('interest:pending', "the row's owner", cell(null, 403)),
  declineInterest: ownerOnly('interest:pending', "the row's owner", cell(null, 403)),
  createSubscription: signedIn(),
  listSubscriptions: signedIn(),
  getSubscription: {
    who: 'user',
    why: "A subscription is its user's alone: admins see only their own",
    anonymous: 401,
    subject: 'subscription',
    roles: { ...posters('subscription', cell('allow', 404)), admin: cell('allow', 404) },
  },
  deleteSubscription: {
    who: 'user',
    why: "A subscription is its user's alone: admins delete only their own",
    anonymous: 401,
    subject: 'subscription',
    roles: { ...posters('subscription', cell('allow', 404)), admin: cell('allow', 404) },
  },
  listNotifications: signedIn(),
  markNotificationRead: {
    who: 'user',
    why: "A notification is its user's alone, admins' included",
    anonymous: 401,
    subject: 'notification',
    roles: { ...posters('notification', cell('allow', 404)), admin: cell('allow', 404) },
  },

  // Sandbox clock (with SANDBOX_CLOCK=true; otherwise 404 to everyone, before authorization)
  getSandboxClock: adminOnly(),
  moveSandboxClock: adminOnly(),
} satisfies Record<string, OperationPolicy> as PolicyTable;
