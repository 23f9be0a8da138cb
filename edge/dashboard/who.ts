import type { Role } from '../../shared/api/tokens.ts';

/** The signed-in user a page is rendered for: the session's CSRF token, name and role. */
export type Who = { csrf: string; name: string; role: Role };
