/** The one socket contract the hub needs; each runtime adapter wraps its WebSocket into it. */
export type AgentSocket = {
  send(data: string): void;
  close(code: number, reason: string): void;
};
