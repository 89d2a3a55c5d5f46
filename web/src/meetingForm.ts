/** The meeting edit form's logic, apart from its rendering. */

import type { Meeting, UpdateMeeting } from './protocol';

/** What to send for an edit: only what changed; an empty password field keeps the old one. */
export function meetingChanges(
  meeting: Meeting,
  form: { title: string; description: string; password: string; removePassword: boolean; waitingRoom: boolean },
): UpdateMeeting {
  const changes: UpdateMeeting = {};
  const title = form.title.trim();
  if (title !== meeting.title) changes.title = title;
  const description = form.description.trim();
  if (description !== meeting.description) changes.description = description;
  if (form.removePassword) changes.password = null;
  else if (form.password !== '') changes.password = form.password;
  if (form.waitingRoom !== meeting.waiting_room) changes.waiting_room = form.waitingRoom;
  return changes;
}
