import { describe, expect, it } from 'vitest';
import { toLocalInput } from '../../src/dates';
import { meetingChanges, splitMeetings } from '../../src/meetingForm';
import type { Meeting } from '../../src/protocol';

const meeting: Meeting = {
  id: 'm',
  title: 'Weekly',
  description: 'Agenda',
  has_password: true,
  waiting_room: false,
  owner_id: 'u',
  created_at: '2026-11-27T06:00:00Z',
};
const unchanged = { title: 'Weekly', description: 'Agenda', password: '', removePassword: false, waitingRoom: false, startsAt: '' };

describe('meetingChanges', () => {
  it('sends nothing when nothing changed (an empty password keeps the old one)', () => {
    expect(meetingChanges(meeting, unchanged)).toEqual({});
    expect(meetingChanges(meeting, { ...unchanged, title: '  Weekly ' })).toEqual({});
  });

  it('sends exactly what changed', () => {
    expect(meetingChanges(meeting, { ...unchanged, title: 'Daily', waitingRoom: true })).toEqual({
      title: 'Daily',
      waiting_room: true,
    });
    expect(meetingChanges(meeting, { ...unchanged, password: 'new secret' })).toEqual({ password: 'new secret' });
  });

  it('removing the password sends null, whatever was typed', () => {
    expect(meetingChanges(meeting, { ...unchanged, password: 'typed', removePassword: true })).toEqual({ password: null });
  });

  it('a changed description is sent trimmed; emptied, it clears', () => {
    expect(meetingChanges(meeting, { ...unchanged, description: ' Agenda\n1. Budget ' })).toEqual({ description: 'Agenda\n1. Budget' });
    expect(meetingChanges(meeting, { ...unchanged, description: '  ' })).toEqual({ description: '' });
  });
});

describe('meetingChanges and the scheduled start', () => {
  const scheduled: Meeting = { ...meeting, starts_at: '2030-05-04T07:30:00Z' };
  const kept = { ...unchanged, startsAt: toLocalInput(scheduled.starts_at) };

  it('the local form value of the same start is no change', () => {
    expect(meetingChanges(scheduled, kept)).toEqual({});
  });

  it('a new local start is sent as UTC; emptied, it unschedules', () => {
    const later = new Date(2031, 0, 2, 3, 4); // local time, as the input holds it
    expect(meetingChanges(scheduled, { ...kept, startsAt: '2031-01-02T03:04' })).toEqual({ starts_at: later.toISOString().replace('.000Z', 'Z') });
    expect(meetingChanges(scheduled, { ...kept, startsAt: '' })).toEqual({ starts_at: null });
    expect(meetingChanges(meeting, { ...unchanged, startsAt: '2031-01-02T03:04' }).starts_at).toMatch(/^2031-01-0[12]T\d{2}:04:00Z$/);
  });
});

describe('splitMeetings', () => {
  const now = new Date('2026-11-27T08:00:00Z');
  const at = (id: string, created_at: string, starts_at?: string | null): Meeting => ({ ...meeting, id, created_at, starts_at });
  const ids = (list: Meeting[]) => list.map((m) => m.id);

  it('upcoming: scheduled after now, soonest first; recent: the rest, newest first', () => {
    const meetings = [
      at('old-adhoc', '2026-11-01T00:00:00Z'),
      at('next-week', '2026-11-20T00:00:00Z', '2026-12-04T09:00:00Z'),
      at('tomorrow', '2026-11-26T00:00:00Z', '2026-11-28T09:00:00Z'),
      at('yesterday', '2026-10-01T00:00:00Z', '2026-11-26T09:00:00Z'),
      at('new-adhoc', '2026-11-27T07:00:00Z', null),
      at('right-now', '2026-11-02T00:00:00Z', '2026-11-27T08:00:00Z'),
    ];
    const { upcoming, recent } = splitMeetings(meetings, now);
    expect(ids(upcoming)).toEqual(['tomorrow', 'next-week']);
    // A meeting that started is recent by its start, not by when it was created.
    expect(ids(recent)).toEqual(['right-now', 'new-adhoc', 'yesterday', 'old-adhoc']);
  });

  it('leaves the input alone and handles nothing to show', () => {
    const meetings = [at('b', '2026-11-02T00:00:00Z'), at('a', '2026-11-01T00:00:00Z', '2027-01-01T00:00:00Z')];
    const copy = [...meetings];
    expect(ids(splitMeetings(meetings, now).upcoming)).toEqual(['a']);
    expect(meetings).toEqual(copy);
    expect(splitMeetings([], now)).toEqual({ upcoming: [], recent: [] });
  });
});
