import { describe, expect, it } from 'vitest';
import { meetingChanges } from '../../src/meetingForm';
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
const unchanged = { title: 'Weekly', description: 'Agenda', password: '', removePassword: false, waitingRoom: false };

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
