import { describe, expect, test } from 'vitest';
import { EdgeUrlError, edgeUrls } from '../../../agent/connection/edge-url.ts';

describe('edgeUrls', () => {
  test('http base gives ws /agent and the same http base', () => {
    expect(edgeUrls('http://127.0.0.1:8787')).toEqual({
      agent: 'ws://127.0.0.1:8787/agent',
      http: 'http://127.0.0.1:8787',
    });
  });

  test('https base gives wss', () => {
    expect(edgeUrls('https://edge.example')).toEqual({
      agent: 'wss://edge.example/agent',
      http: 'https://edge.example',
    });
  });

  test('ws and wss bases give http and https for downloads', () => {
    expect(edgeUrls('ws://h:1')).toEqual({ agent: 'ws://h:1/agent', http: 'http://h:1' });
    expect(edgeUrls('wss://h')).toEqual({ agent: 'wss://h/agent', http: 'https://h' });
  });

  test('a path prefix is kept and trailing slashes dropped', () => {
    expect(edgeUrls('https://proxy.example/rbee//')).toEqual({
      agent: 'wss://proxy.example/rbee/agent',
      http: 'https://proxy.example/rbee',
    });
  });

  test('a base that already names /agent is the socket itself', () => {
    expect(edgeUrls('ws://h:9/agent')).toEqual({ agent: 'ws://h:9/agent', http: 'http://h:9' });
    expect(edgeUrls('wss://h/x/agent/')).toEqual({ agent: 'wss://h/x/agent', http: 'https://h/x' });
  });

  test.each([
    ['edge:8787', /scheme must be http, https, ws or wss, not edge/],
    ['not a url', /not an absolute URL/],
    ['ftp://h', /scheme must be http, https, ws or wss, not ftp/],
    ['http://user:pw@h', /pass credentials with --token/],
    ['http://h/?x=1', /no query or fragment/],
    ['http://h/#top', /no query or fragment/],
  ])('refuses %s, saying why', (input, message) => {
    expect(() => edgeUrls(input)).toThrow(EdgeUrlError);
    expect(() => edgeUrls(input)).toThrow(message);
  });
});
