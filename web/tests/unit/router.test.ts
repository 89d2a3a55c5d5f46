import { describe, expect, it } from 'vitest';
import { parseRoute } from '../../src/router';

describe('parseRoute', () => {
  it.each([
    ['/', { name: 'home' }],
    ['', { name: 'home' }],
    ['/m/4b7c', { name: 'meeting', meetingId: '4b7c' }],
    ['/m/4b7c/', { name: 'meeting', meetingId: '4b7c' }],
    ['/j/AbC-12', { name: 'join', code: 'AbC-12' }],
    ['/j/a%20b', { name: 'join', code: 'a b' }],
    ['/j', { name: 'not_found' }],
    ['/m/1/2', { name: 'not_found' }],
    ['/admin', { name: 'not_found' }],
  ])('%s', (path, route) => {
    expect(parseRoute(path)).toEqual(route);
  });
});
