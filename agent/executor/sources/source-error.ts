/** A source that could not be retrieved or extracted; the message is makepkg's. */
export class SourceError extends Error {
  override name = 'SourceError';
}
