import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentExitError } from '../../agent/enrol/exit-codes.ts';
import { obtainHiveToken } from '../../agent/enrol/hive-token.ts';
import { findHiveToken } from '../../agent/enrol/token-source.ts';
import { startUpgrader } from '../../agent/upgrade/upgrader.ts';
import { tempDir } from '../support/edge-process.ts';

const tok = (c: string) => `rbh_${c.repeat(40)}`;

describe('where the hive token comes from', () => {
  it('takes --token-file, then the systemd credential, then $RBEE_TOKEN, then <state>/hive.token, then --token', async () => {
    const dir = tempDir('tokens');
    const state = tempDir('tokens-state');
    const credentials = tempDir('tokens-cred');
    writeFileSync(join(dir, 'file'), `${tok('a')}\n`);
    writeFileSync(join(credentials, 'hive.token'), tok('b'));
    writeFileSync(join(state, 'hive.token'), tok('d'));
    const all = {
      tokenFile: join(dir, 'file'),
      stateDir: state,
      token: tok('e'),
      env: { CREDENTIALS_DIRECTORY: credentials, RBEE_TOKEN: tok('c') },
    };
    expect(await findHiveToken(all)).toEqual({ token: tok('a'), from: join(dir, 'file') });
    const { tokenFile: _, ...noFile } = all;
    expect((await findHiveToken(noFile))?.token).toBe(tok('b'));
    expect((await findHiveToken({ ...noFile, env: { RBEE_TOKEN: tok('c') } }))?.from).toBe(
      '$RBEE_TOKEN',
    );
    expect(
      (await findHiveToken({ ...noFile, env: { HIVE: tok('c') }, tokenEnv: 'HIVE' }))?.from,
    ).toBe('$HIVE');
    expect((await findHiveToken({ ...noFile, env: {} }))?.token).toBe(tok('d'));
    expect(await findHiveToken({ stateDir: tempDir('empty'), token: tok('e'), env: {} })).toEqual({
      token: tok('e'),
      from: '--token',
    });
  });

  it('--token works with a warning; a file without a hive token is a configuration error (78)', async () => {
    const lines: string[] = [];
    const token = await obtainHiveToken({
      edge: 'http://127.0.0.1:1',
      stateDir: tempDir('w'),
      token: tok('f'),
      env: {},
      log: (l) => lines.push(l),
    });
    expect(token).toBe(tok('f'));
    expect(lines).toEqual([
      'rbee agent: warning: --token puts the hive token where every local user can read it (ps, /proc); use --token-file, $RBEE_TOKEN or <state>/hive.token',
    ]);
    const bad = join(tempDir('bad'), 'token');
    writeFileSync(bad, 'rba_admin_token');
    const refused = findHiveToken({ tokenFile: bad, stateDir: tempDir('x'), env: {} });
    await expect(refused).rejects.toThrow(
      new AgentExitError(`token file ${bad} does not hold a hive token (rbh_...)`, 78),
    );
    await expect(refused).rejects.toMatchObject({ exitCode: 78 });
    const none = obtainHiveToken({
      edge: 'http://127.0.0.1:1',
      stateDir: '/nonexistent/state',
      env: {},
      log: () => {},
    });
    await expect(none).rejects.toMatchObject({
      exitCode: 78,
      message:
        'no hive token: pass --enrol rbe_... (an enrolment token), --token-file PATH, set $RBEE_TOKEN, or put it in /nonexistent/state/hive.token',
    });
  });

  it('an edge that cannot be reached at enrolment is temporary (75)', async () => {
    const attempt = obtainHiveToken({
      edge: 'http://127.0.0.1:1',
      stateDir: tempDir('enrol-75'),
      enrol: `rbe_${'a'.repeat(40)}`,
      machineId: 'machine-0001',
      env: {},
      log: () => {},
    });
    await expect(attempt).rejects.toMatchObject({
      exitCode: 75,
      message: expect.stringMatching(/^cannot enrol at http:\/\/127\.0\.0\.1:1\/agent\/enrol: /),
    });
  });
});

describe('an upgraded agent that never connects', () => {
  it('puts the previous file back after the deadline and exits 75', async () => {
    const prefix = tempDir('deadline');
    const state = tempDir('deadline-state');
    const bundle = join(prefix, 'rbee-agent.mjs');
    writeFileSync(bundle, '// rbee-agent 0.2.0\n');
    writeFileSync(`${bundle}.prev`, '// rbee-agent 0.1.0\n');
    const marker = { from: '0.1.0', to: '0.2.0', sha256: 'f'.repeat(64), at: 1 };
    writeFileSync(join(state, 'upgrade.pending'), JSON.stringify(marker));
    const lines: string[] = [];
    const exited = new Promise<number>((resolve) => {
      void startUpgrader({
        bundle,
        version: '0.2.0',
        edge: 'http://127.0.0.1:1',
        token: tok('a'),
        stateDir: state,
        log: (l) => lines.push(l),
        exit: resolve,
        deadlineMs: 50,
      });
    });
    expect(await exited).toBe(75);
    const { readFileSync, existsSync } = await import('node:fs');
    expect(readFileSync(bundle, 'utf8')).toBe('// rbee-agent 0.1.0\n');
    expect(existsSync(`${bundle}.prev`)).toBe(false);
    expect(existsSync(join(state, 'upgrade.pending'))).toBe(false);
    expect(JSON.parse(readFileSync(join(state, 'upgrade.rolled-back'), 'utf8'))).toEqual(marker);
    expect(lines).toEqual([
      'rbee agent: upgraded from 0.1.0 to 0.2.0; confirming at the first welcome',
      'rbee agent: upgrade to 0.2.0 did not connect within 50 ms; restoring 0.1.0',
    ]);
  });
});
