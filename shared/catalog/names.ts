/** Why a requested catalog name was refused; `null` when it is acceptable. */
export type NameRefusal = { status: 400 | 404; rule: string } | null;

const MAX_NAME = 128;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+@-]*$/;

/**
 * Checks a file or id name taken from a URL, after the router has decoded it once.
 * Rules are checked in order so the refusal names the first one broken.
 * @example checkName('../etc/passwd') // { status: 400, rule: 'name must not contain "/" or "\\"' }
 */
export function checkName(name: string): NameRefusal {
  if (name.length === 0) return { status: 400, rule: 'name must not be empty' };
  if (name.length > MAX_NAME)
    return { status: 400, rule: `name must be at most ${MAX_NAME} characters` };
  if (name.includes('\0')) return { status: 400, rule: 'name must not contain NUL' };
  if (name.includes('/') || name.includes('\\'))
    return { status: 400, rule: 'name must not contain "/" or "\\"' };
  if (name === '.' || name === '..' || name.startsWith('.'))
    return { status: 400, rule: 'name must not start with "."' };
  if (name.includes('%'))
    return { status: 400, rule: 'name must not contain "%" (no double encoding)' };
  if (!SAFE_NAME.test(name))
    return { status: 400, rule: 'name must match [A-Za-z0-9][A-Za-z0-9._+@-]*' };
  return null;
}
