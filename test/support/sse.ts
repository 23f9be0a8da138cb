export type SseEvent = { event: string; data: string; id?: string };

/**
 * Reads a Server-Sent Events stream over a real HTTP request until it closes (or `until`
 * says stop), returning every event in order.
 */
export async function readSse(
  url: string,
  headers: Record<string, string>,
  until: (event: SseEvent, all: SseEvent[]) => boolean = () => false,
): Promise<SseEvent[]> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  if (res.status !== 200) throw new Error(`SSE ${url}: HTTP ${res.status} ${await res.text()}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let at = buffer.indexOf('\n\n');
      while (at !== -1) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const event: SseEvent = { event: 'message', data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event.event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          else if (line.startsWith('id:')) event.id = line.slice(3).trim();
        }
        event.data = data.join('\n');
        events.push(event);
        if (until(event, events)) {
          controller.abort();
          return events;
        }
        at = buffer.indexOf('\n\n');
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return events;
}

/** Every log entry carried by `logs` and `step` events, in order. */
export function entriesOf(events: SseEvent[]): Array<{ s: number; k: string; x?: string }> {
  const out: Array<{ s: number; k: string; x?: string }> = [];
  for (const e of events) {
    if (e.event === 'logs') out.push(...JSON.parse(e.data));
    if (e.event === 'step') out.push(JSON.parse(e.data));
  }
  return out;
}
