/** The meeting edit form's logic, apart from its rendering. */

import { fromLocalInput, toLocalInput } from './dates';
import type { Meeting, UpdateMeeting } from './protocol';

/**
 * What to send for an edit: only what changed; an empty password field keeps the old one.
 * `startsAt` is the `datetime-local` value (local time); emptied, it unschedules.
 */
export function meetingChanges(
  meeting: Meeting,
  form: { title: string; description: string; password: string; removePassword: boolean; waitingRoom: boolean; startsAt: string },
): UpdateMeeting {
  const changes: UpdateMeeting = {};
  const title = form.title.trim();
  if (title !== meeting.title) changes.title = title;
  const description = form.description.trim();
  if (description !== meeting.description) changes.description = description;
  if (form.removePassword) changes.password = null;
  else if (form.password !== '') changes.password = form.password;
  if (form.waitingRoom !== meeting.waiting_room) changes.waiting_room = form.waitingRoom;
  if (form.startsAt !== toLocalInput(meeting.starts_at)) changes.starts_at = fromLocalInput(form.startsAt);
  return changes;
}

/**
 * Home's two lists: "upcoming" (scheduled to start after `now`, soonest first) and
 * "recent" (the rest, newest first by scheduled start, else by creation).
 */
export function splitMeetings(meetings: readonly Meeting[], now: Date): { upcoming: Meeting[]; recent: Meeting[] } {
  const startOf = (m: Meeting) => (m.starts_at ? Date.parse(m.starts_at) : Number.NaN);
  const upcoming = meetings.filter((m) => startOf(m) > now.getTime()).sort((a, b) => startOf(a) - startOf(b));
  const sortKey = (m: Meeting) => {
    const start = startOf(m);
    return Number.isNaN(start) ? Date.parse(m.created_at) : start;
  };
  const recent = meetings.filter((m) => !upcoming.includes(m)).sort((a, b) => sortKey(b) - sortKey(a));
  return { upcoming, recent };
}
