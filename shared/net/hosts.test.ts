import { describe, expect, it } from 'vitest';
import { isLoopbackHost, projectUrlProblem } from './hosts';

describe('isLoopbackHost', () => {
  it('knows this computer by name and address', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3']) {
      expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: true });
    }
    for (const host of ['[::1]', '::1', '::ffff:127.0.0.1']) {
      expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: true });
    }
  });

  it('treats every other host as another machine', () => {
    for (const host of [
      'example.com',
      'localhost.example.com',
      'api.localhost',
      '127.0.0.1.nip.io',
      '128.0.0.1',
      '10.0.0.1',
      '0.0.0.0',
      '[::2]',
      '127.0.0.256',
      '',
    ]) {
      expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: false });
    }
  });
});

describe('projectUrlProblem', () => {
  it('accepts https anywhere and http on this computer only', () => {
    expect(projectUrlProblem('https://abc.supabase.co')).toBeNull();
    expect(projectUrlProblem('http://127.0.0.1:54321')).toBeNull();
    expect(projectUrlProblem('http://localhost:54321')).toBeNull();
    for (const url of ['http://abc.supabase.co', 'http://10.1.1.1', 'ftp://x.test', 'nonsense']) {
      expect({ url, refused: projectUrlProblem(url) !== null }).toEqual({ url, refused: true });
    }
  });
});
