/**
 * The store engine cannot be reached (Redis down, connection lost). The HTTP API answers it
 * with 503 STORE_UNAVAILABLE; nothing is acknowledged that was not stored.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly code = 'STORE_UNAVAILABLE';
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}
