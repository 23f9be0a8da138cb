import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentBody, Encoded } from '../../../agent/connection/connection.ts';
import type { JobManager } from '../../../agent/jobs/job-manager.ts';
import { decodeAgentMessage, type LogEntry } from '../../../shared/protocol/index.ts';

/**
 * The edge's side of the job conversation, in memory: stores log frames the way the edge does
 * (refusing holes, dropping what it has), acks them, and answers job_done with done_ack once
 * the log is complete. `autoAck` off lets a test hold acks back.
 */
export class EdgeDouble {
  readonly messages: AgentBody[] = [];
  readonly stored = new Map<string, LogEntry[]>();
  autoAck = true;
  autoDoneAck = true;
  manager: JobManager | undefined;
  private waiters: Array<{ match: (m: AgentBody) => boolean; resolve: (m: AgentBody) => void }> =
    [];

  readonly send = (sent: AgentBody | Encoded): boolean => {
    // Frames the agent serialised itself are read back through the protocol's decoder.
    const message = 'encoded' in sent ? withoutVersion(decodeAgentMessage(sent.encoded)) : sent;
    this.messages.push(message);
    if (message.type === 'logs') {
      const log = this.stored.get(message.job) ?? [];
      this.stored.set(message.job, log);
      const first = message.entries[0]!.s;
      if (first > log.length)
        throw new Error(`hole: frame starts at ${first}, edge has ${log.length}`);
      message.entries.forEach((entry, i) => {
        if (entry.s !== first + i) throw new Error(`frame not consecutive at ${entry.s}`);
        if (entry.s === log.length) log.push(entry);
      });
      if (this.autoAck) this.ack(message.job);
    }
    if (message.type === 'job_done' && this.autoDoneAck) {
      const have = this.stored.get(message.job)?.length ?? 0;
      if (have >= message.total) this.deliver({ v: 1, type: 'done_ack', job: message.job });
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.match(message)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
    return true;
  };

  /** Acks everything stored for the job. */
  ack(job: string) {
    this.deliver({ v: 1, type: 'ack', job, next_seq: this.stored.get(job)?.length ?? 0 });
  }

  /** Hands a message to the manager after the current call returns, as a socket would. */
  deliver(message: Parameters<JobManager['onMessage']>[0]) {
    queueMicrotask(() => this.manager?.onMessage(message));
  }

  /** The first message (already sent or still to come) that matches. */
  waitFor<T extends AgentBody['type']>(
    type: T,
    match: (m: Extract<AgentBody, { type: T }>) => boolean = () => true,
  ): Promise<Extract<AgentBody, { type: T }>> {
    const test = (m: AgentBody) => m.type === type && match(m as Extract<AgentBody, { type: T }>);
    const found = this.messages.find(test);
    if (found) return Promise.resolve(found as Extract<AgentBody, { type: T }>);
    return new Promise((resolve) =>
      this.waiters.push({ match: test, resolve: resolve as (m: AgentBody) => void }),
    );
  }

  /** Resolves once the stored log of `job` has a line with text `x`. */
  async waitForLine(job: string, x: string): Promise<void> {
    while (!(this.stored.get(job) ?? []).some((e) => e.k !== 'step' && e.x === x)) {
      await this.waitFor(
        'logs',
        (m) => m.job === job && m.entries.some((e) => e.k !== 'step' && e.x === x),
      );
    }
  }

  lines(job: string): string[] {
    return (this.stored.get(job) ?? []).flatMap((e) => (e.k === 'step' ? [] : [e.x]));
  }
}

/** A catalog server: `GET /workers/<id>/PKGBUILD` from a map; records Authorization headers. */
export async function catalogServer(pkgbuilds: Record<string, string>) {
  const authorizations: string[] = [];
  const server: Server = createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? '');
    const match = /^\/workers\/([^/]+)\/PKGBUILD$/.exec(req.url ?? '');
    const body = match ? pkgbuilds[match[1]!] : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: 'No worker with that id in the catalog', code: 'UNKNOWN_WORKER' }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    authorizations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A PKGBUILD whose build() runs `body`. */
export const pkgbuild = (name: string, body: string) => `pkgname=${name}
pkgver=1.0.0
pkgrel=1
arch=('any')
build() {
${body}
}
package() {
  mkdir -p "$pkgdir/usr/share/${name}"
}
`;

function withoutVersion(message: ReturnType<typeof decodeAgentMessage>): AgentBody {
  const { v: _, ...body } = message;
  return body as AgentBody;
}
