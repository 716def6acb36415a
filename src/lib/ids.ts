import { uuidv7 } from 'uuidv7';

/** Ids are UUIDv7: opaque to clients, time-ordered for index locality and stable keyset cursors. */
export const newId = (): string => uuidv7();
