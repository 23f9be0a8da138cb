/** Follows a job's SSE log, calling `onEntries` with each event's entries as it arrives. */
export async function followSse(
  url: string,
  token: string,
  onEntries: (entries: Array<{ s: number; t: number; k: string; x?: string }>, at: number) => void,
  /** When given, `logs` events go here unparsed instead (a client that only counts them). */
  onData?: (data: string, at: number) => void,
): Promise<{ state: string }> {
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`SSE ${url}: ${res.status}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error('SSE stream closed before its end event');
    buffer += decoder.decode(value, { stream: true });
    let at = buffer.indexOf('\n\n');
    while (at !== -1) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trimStart();
      }
      if (event === 'logs') {
        const now = performance.timeOrigin + performance.now();
        if (onData) onData(data, now);
        else onEntries(JSON.parse(data), now);
      }
      if (event === 'end') {
        await reader.cancel();
        return JSON.parse(data) as { state: string };
      }
      at = buffer.indexOf('\n\n');
    }
  }
}
