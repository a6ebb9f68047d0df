import type { Address, NotificationPreferences } from '../contract.js';

export interface ProfilePatch {
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  address?: Address | null;
}

export type ProfileField = keyof ProfilePatch | 'preferences';

export interface ProfileState extends Required<ProfilePatch> {
  preferences: NotificationPreferences;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * The fields a patch really changes; an update that changes nothing raises no event.
 * @example changedFields({ firstName: 'Ada', … }, { firstName: 'Ada' }) // → []
 */
export function changedFields(current: ProfileState, patch: ProfilePatch): (keyof ProfilePatch)[] {
  return (Object.keys(patch) as (keyof ProfilePatch)[]).filter((field) => patch[field] !== undefined && !same(current[field], patch[field]));
}
