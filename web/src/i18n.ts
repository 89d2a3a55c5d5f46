/**
 * German and English texts, and the choice between them.
 *
 * Every visible string and accessible name comes from these dictionaries. The language
 * follows `navigator.language`, can be overridden with `?lang=de|en`, and the override is
 * remembered in localStorage so it survives navigation inside the app.
 */

export const en = {
  'app.name': 'Plenum',
  'app.loading': 'Loading…',
  'app.language': 'Language',
  'app.skip': 'Skip to content',

  'login.title': 'Sign in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'Sign-in failed: wrong username or password.',
  'login.lockedMinute': 'Too many attempts. Try again in 1 minute.',
  'login.lockedMinutes': 'Too many attempts. Try again in {minutes} minutes.',
  'login.with': 'Sign in with {name}',
  'login.or': 'or with a username and password',
  'login.directory': 'Directory account (LDAP / Active Directory)',
  'login.providerFailed': 'Sign-in at the identity provider did not succeed. Please try again.',
  'login.directoryUnavailable': 'The directory cannot be reached. Please try again later.',
  'logout': 'Sign out',
  'menu.label': 'User menu',
  'menu.settings': 'Settings',
  'theme.label': 'Theme',
  'theme.system': 'As the system',
  'theme.light': 'Light',
  'theme.dark': 'Dark',

  'home.title': 'My meetings',
  'home.signedInAs': 'Signed in as {name}',
  'home.empty': 'You have no meetings yet.',
  'home.create': 'Create meeting',
  'home.meetingTitle': 'Title',
  'home.meetingDescription': 'Description (optional)',
  'home.meetingPassword': 'Password (optional)',
  'home.waitingRoom': 'Waiting room',
  'home.open': 'Open',
  'home.copyInvite': 'Copy invite link',
  'home.copied': 'Invite link copied',
  'home.inviteLink': 'Invite link',
  'home.delete': 'Delete',
  'home.hasPassword': 'Password protected',
  'home.hasWaitingRoom': 'Waiting room on',
  'home.startNow': 'Start a meeting now',
  'home.instantTitle': 'Meeting of {name}',
  'home.created': 'Created {date}',
  'home.edit': 'Edit',
  'home.editTitle': 'Edit “{title}”',
  'home.newPassword': 'New password (leave empty to keep the current one)',
  'home.removePassword': 'Remove the password',
  'home.save': 'Save',
  'home.cancel': 'Cancel',
  'home.upcoming': 'Upcoming',
  'home.recent': 'Recent',
  'home.startsAt': 'Scheduled start (optional)',
  'home.starts': 'Starts {date}',

  'join.title': 'Join “{title}”',
  'join.displayName': 'Display name',
  'join.password': 'Meeting password',
  'join.submit': 'Join',
  'join.asUser': 'You join as {name}.',
  'join.invalid': 'This invite link is not valid (unknown, revoked or expired).',
  'join.wrongPassword': 'The password is wrong.',
  'join.refused': 'You cannot join this meeting.',
  'join.nameInvalid': 'Please enter a name (1–64 characters).',

  'lobby.title': 'Join the meeting',
  'lobby.preview': 'Camera preview',
  'lobby.camera': 'Camera',
  'lobby.microphone': 'Microphone',
  'lobby.speaker': 'Speaker',
  'lobby.level': 'Microphone level',
  'lobby.cameraIsOff': 'Your camera is off.',
  'lobby.cameraDenied': 'Access to the camera was denied.',
  'lobby.cameraMissing': 'No camera was found. You can join without video.',
  'lobby.cameraBusy': 'The camera is in use by another application.',
  'lobby.cameraFailed': 'The camera could not be started.',
  'lobby.micDenied': 'Access to the microphone was denied.',
  'lobby.micMissing': 'No microphone was found. You can join and listen.',
  'lobby.micBusy': 'The microphone is in use by another application.',
  'lobby.micFailed': 'The microphone could not be started.',
  'lobby.deniedHint': 'Allow access in your browser’s site settings (the icon next to the address), then reload the page. You can also join without it.',
  'lobby.unnamedCamera': 'Camera {n}',
  'lobby.unnamedMic': 'Microphone {n}',
  'lobby.unnamedSpeaker': 'Speaker {n}',

  'meeting.connecting': 'Connecting…',
  'meeting.waiting': 'Waiting for the moderator to admit you.',
  'meeting.waitingHint': 'Please stay on this page. You will join automatically once admitted.',
  'meeting.denied': 'The moderator did not admit you to this meeting.',
  'meeting.removed': 'You were removed from the meeting.',
  'meeting.banned': 'You were banned from this meeting.',
  'meeting.ended': 'The meeting has ended.',
  'meeting.deleted': 'The meeting was deleted.',
  'meeting.internalError': 'The meeting was closed because of a server error.',
  'meeting.connectionLost': 'Connection lost.',
  'meeting.locked': 'This meeting is locked. Ask a moderator to unlock it, then try again.',
  'lock.locked': 'Locked',
  'lock.lockedHint': 'The meeting is locked: nobody new can join.',
  'lock.lock': 'Lock meeting',
  'lock.unlock': 'Unlock meeting',
  'meeting.reconnect': 'Rejoin',
  'meeting.left': 'You left the meeting.',
  'meeting.home': 'Back to start',
  'meeting.notFound': 'This meeting does not exist or has ended.',
  'meeting.mediaError': 'Camera or microphone unavailable: {detail}',
  'meeting.mutedByModerator': 'A moderator muted your microphone.',
  'meeting.you': '{name} (you)',
  'meeting.screenOf': 'Screen of {name}',
  'meeting.pin': 'Show {name} large',
  'meeting.unpin': 'Show all equally',
  'meeting.speaking': 'speaking',
  'quality.good': 'Good connection',
  'quality.medium': 'Unstable connection',
  'quality.poor': 'Poor connection',

  'controls.label': 'Meeting controls',
  'controls.mute': 'Mute microphone',
  'controls.unmute': 'Unmute microphone',
  'controls.cameraOff': 'Turn camera off',
  'controls.cameraOn': 'Turn camera on',
  'controls.shareScreen': 'Share screen',
  'controls.stopShare': 'Stop sharing screen',
  'controls.raiseHand': 'Raise hand',
  'controls.lowerHand': 'Lower hand',
  'controls.leave': 'Leave',
  'controls.chat': 'Chat',
  'controls.participants': 'Participants',
  'controls.shareFailed': 'Screen sharing failed: {detail}',
  'reaction.open': 'Send a reaction',
  'reaction.thumbsUp': 'thumbs up',
  'reaction.clap': 'applause',
  'reaction.heart': 'heart',
  'reaction.laugh': 'laughing',
  'reaction.surprised': 'surprised',
  'reaction.celebrate': 'celebration',
  'reaction.thinking': 'thinking',
  'reaction.thumbsDown': 'thumbs down',
  'reaction.announce': '{name} reacted: {reaction}',
  'reaction.rateLimited': 'Too many reactions at once. Please wait a moment.',
  'layout.speakerView': 'Speaker view',
  'layout.gridView': 'Grid view',
  'layout.pages': 'Video pages',
  'layout.previousPage': 'Previous page',
  'layout.nextPage': 'Next page',
  'layout.page': 'Page {page} of {count}',
  'devices.open': 'Device settings',
  'devices.title': 'Camera, microphone and speaker',
  'devices.close': 'Close',
  'devices.switchFailed': 'Switching the device failed: {detail}',
  'meeting.reconnecting': 'Connection lost — reconnecting…',
  'notify.joined': '{name} joined',
  'notify.left': '{name} left',
  'notify.hand': '{name} raised their hand',
  'notify.chat': '{name}: {text}',
  'notify.chatPrivate': '{name} (private): {text}',
  'controls.chatUnread': '{count} unread',
  'shortcuts.open': 'Keyboard shortcuts',
  'shortcuts.title': 'Keyboard shortcuts',
  'shortcuts.mic': 'Microphone on or off',
  'shortcuts.camera': 'Camera on or off',
  'shortcuts.hand': 'Raise or lower your hand',
  'shortcuts.help': 'Show this list',
  'shortcuts.note': 'Shortcuts do not work while you type, e.g. in the chat.',
  'shortcuts.close': 'Close',

  'chat.title': 'Chat',
  'chat.to': 'Send to',
  'chat.everyone': 'Everyone',
  'chat.message': 'Message',
  'chat.send': 'Send',
  'chat.private': 'private',
  'chat.privateTo': 'to {name}',
  'chat.empty': 'No messages yet.',
  'chat.rateLimited': 'You are sending too fast. Please wait a moment.',
  'chat.history': 'Chat messages',

  'people.title': 'Participants ({count})',
  'people.handRaised': 'Hand raised',
  'people.micOn': 'Microphone on',
  'people.micOff': 'Microphone off',
  'people.mutedByModerator': 'Muted by a moderator',
  'people.cameraOn': 'Camera on',
  'people.cameraOff': 'Camera off',
  'people.sharing': 'Sharing screen',
  'people.actionsFor': 'Actions for {name}',
  'people.mute': 'Mute {name}',
  'people.remove': 'Remove {name}',
  'people.ban': 'Ban {name}',
  'people.makeModerator': 'Make {name} moderator',
  'people.revokeModerator': 'Revoke moderator from {name}',
  'people.lowerHand': 'Lower hand of {name}',
  'hands.title': 'Raised hands ({count})',
  'hands.lower': 'Lower',
  'hands.lowerAll': 'Lower all hands',
  'hands.position': 'Your hand is raised. You are number {position} in the queue.',
  'people.muteAll': 'Mute all',
  'people.endForAll': 'End meeting for all',
  'people.confirmEnd': 'End the meeting for everyone?',

  'role.owner': 'Host',
  'role.moderator': 'Moderator',
  'role.participant': 'Participant',
  'role.guest': 'Guest',

  'waiting.title': 'Waiting room ({count})',
  'waiting.enabled': 'Waiting room on',
  'waiting.admit': 'Admit {name}',
  'waiting.deny': 'Deny {name}',
  'waiting.empty': 'Nobody is waiting.',

  'controls.polls': 'Polls',
  'poll.title': 'Polls',
  'poll.none': 'No poll yet.',
  'poll.open': 'Open',
  'poll.closed': 'Closed',
  'poll.anonymous': 'anonymous',
  'poll.named': 'named',
  'poll.single': 'one answer',
  'poll.multiple': 'several answers',
  'poll.answerCount': '{count} answered',
  'poll.closesAt': 'closes at {time}',
  'poll.submit': 'Answer',
  'poll.changeAnswer': 'Change answer',
  'poll.yourAnswer': 'Your answer: {choices}',
  'poll.results': 'Results',
  'poll.hiddenUntilClose': 'Results are shown once the poll is closed and shared.',
  'poll.hiddenUntilShared': 'Results are shown once a moderator shares them.',
  'poll.whoChoseWhat': 'Who chose what',
  'poll.close': 'Close poll',
  'poll.share': 'Share results',
  'poll.exportCsv': 'Download CSV',
  'poll.exportJson': 'Download JSON',
  'poll.export.option': 'Option',
  'poll.export.count': 'Count',
  'poll.export.name': 'Name',
  'poll.export.choices': 'Choices',
  'poll.create': 'New poll',
  'poll.question': 'Question',
  'poll.option': 'Option {n}',
  'poll.addOption': 'Add option',
  'poll.removeOption': 'Remove last option',
  'poll.allowMultiple': 'Allow several answers',
  'poll.makeAnonymous': 'Anonymous (nobody sees who chose what)',
  'poll.showResults': 'Show results',
  'poll.resultsLive': 'Live, as answers come in',
  'poll.resultsAtClose': 'After closing, when shared',
  'poll.minutes': 'Time limit in minutes (optional)',
  'poll.start': 'Start poll',
  'poll.problem.question': 'The question needs 1 to 300 characters.',
  'poll.problem.optionCount': 'A poll needs 2 to 10 options.',
  'poll.problem.optionLength': 'Each option has at most 100 characters.',
  'poll.problem.optionTwice': 'Each option may appear only once.',
  'poll.problem.duration': 'The time limit is between 10 seconds and 24 hours.',
  'poll.error.unknown': 'This poll no longer exists.',
  'poll.error.unknownOption': 'That option is not part of the poll.',
  'poll.error.closed': 'The poll is already closed.',
  'poll.error.alreadyOpen': 'Close the open poll before starting a new one.',
  'poll.error.rateLimited': 'Too many answers at once. Please wait a moment.',

  'error.forbidden': 'You are not allowed to do that.',
  'error.generic': 'Something went wrong ({code}).',
  'error.network': 'The server cannot be reached.',
} as const;

export type MessageKey = keyof typeof en;
export type Dictionary = Record<MessageKey, string>;

export const de: Dictionary = {
  'app.name': 'Plenum',
  'app.loading': 'Wird geladen…',
  'app.language': 'Sprache',
  'app.skip': 'Zum Inhalt springen',

  'login.title': 'Anmelden',
  'login.username': 'Benutzername',
  'login.password': 'Passwort',
  'login.submit': 'Anmelden',
  'login.failed': 'Anmeldung fehlgeschlagen: Benutzername oder Passwort falsch.',
  'login.lockedMinute': 'Zu viele Versuche. Bitte versuchen Sie es in 1 Minute erneut.',
  'login.lockedMinutes': 'Zu viele Versuche. Bitte versuchen Sie es in {minutes} Minuten erneut.',
  'login.with': 'Anmelden mit {name}',
  'login.or': 'oder mit Benutzername und Passwort',
  'login.directory': 'Verzeichniskonto (LDAP / Active Directory)',
  'login.providerFailed': 'Die Anmeldung beim Identitätsanbieter ist nicht gelungen. Bitte versuchen Sie es erneut.',
  'login.directoryUnavailable': 'Das Verzeichnis ist nicht erreichbar. Bitte versuchen Sie es später erneut.',
  'logout': 'Abmelden',
  'menu.label': 'Benutzermenü',
  'menu.settings': 'Einstellungen',
  'theme.label': 'Darstellung',
  'theme.system': 'Wie das System',
  'theme.light': 'Hell',
  'theme.dark': 'Dunkel',

  'home.title': 'Meine Besprechungen',
  'home.signedInAs': 'Angemeldet als {name}',
  'home.empty': 'Sie haben noch keine Besprechungen.',
  'home.create': 'Besprechung anlegen',
  'home.meetingTitle': 'Titel',
  'home.meetingDescription': 'Beschreibung (optional)',
  'home.meetingPassword': 'Passwort (optional)',
  'home.waitingRoom': 'Warteraum',
  'home.open': 'Öffnen',
  'home.copyInvite': 'Einladungslink kopieren',
  'home.copied': 'Einladungslink kopiert',
  'home.inviteLink': 'Einladungslink',
  'home.delete': 'Löschen',
  'home.hasPassword': 'Passwortgeschützt',
  'home.hasWaitingRoom': 'Warteraum aktiv',
  'home.startNow': 'Jetzt eine Besprechung starten',
  'home.instantTitle': 'Besprechung von {name}',
  'home.created': 'Angelegt am {date}',
  'home.edit': 'Bearbeiten',
  'home.editTitle': '„{title}“ bearbeiten',
  'home.newPassword': 'Neues Passwort (leer lassen, um das bisherige zu behalten)',
  'home.removePassword': 'Passwort entfernen',
  'home.save': 'Speichern',
  'home.cancel': 'Abbrechen',
  'home.upcoming': 'Demnächst',
  'home.recent': 'Zuletzt',
  'home.startsAt': 'Geplanter Beginn (optional)',
  'home.starts': 'Beginnt am {date}',

  'join.title': '„{title}“ beitreten',
  'join.displayName': 'Anzeigename',
  'join.password': 'Besprechungspasswort',
  'join.submit': 'Beitreten',
  'join.asUser': 'Sie treten als {name} bei.',
  'join.invalid': 'Dieser Einladungslink ist ungültig (unbekannt, widerrufen oder abgelaufen).',
  'join.wrongPassword': 'Das Passwort ist falsch.',
  'join.refused': 'Sie können dieser Besprechung nicht beitreten.',
  'join.nameInvalid': 'Bitte geben Sie einen Namen ein (1–64 Zeichen).',

  'lobby.title': 'Der Besprechung beitreten',
  'lobby.preview': 'Kameravorschau',
  'lobby.camera': 'Kamera',
  'lobby.microphone': 'Mikrofon',
  'lobby.speaker': 'Lautsprecher',
  'lobby.level': 'Mikrofonpegel',
  'lobby.cameraIsOff': 'Ihre Kamera ist aus.',
  'lobby.cameraDenied': 'Der Zugriff auf die Kamera wurde verweigert.',
  'lobby.cameraMissing': 'Es wurde keine Kamera gefunden. Sie können ohne Video beitreten.',
  'lobby.cameraBusy': 'Die Kamera wird von einer anderen Anwendung verwendet.',
  'lobby.cameraFailed': 'Die Kamera konnte nicht gestartet werden.',
  'lobby.micDenied': 'Der Zugriff auf das Mikrofon wurde verweigert.',
  'lobby.micMissing': 'Es wurde kein Mikrofon gefunden. Sie können beitreten und zuhören.',
  'lobby.micBusy': 'Das Mikrofon wird von einer anderen Anwendung verwendet.',
  'lobby.micFailed': 'Das Mikrofon konnte nicht gestartet werden.',
  'lobby.deniedHint': 'Erlauben Sie den Zugriff in den Website-Einstellungen Ihres Browsers (Symbol neben der Adresse) und laden Sie die Seite neu. Sie können auch ohne beitreten.',
  'lobby.unnamedCamera': 'Kamera {n}',
  'lobby.unnamedMic': 'Mikrofon {n}',
  'lobby.unnamedSpeaker': 'Lautsprecher {n}',

  'meeting.connecting': 'Verbindung wird aufgebaut…',
  'meeting.waiting': 'Bitte warten Sie, bis die Moderation Sie einlässt.',
  'meeting.waitingHint': 'Bleiben Sie auf dieser Seite. Sie treten automatisch bei, sobald Sie eingelassen werden.',
  'meeting.denied': 'Die Moderation hat Sie nicht eingelassen.',
  'meeting.removed': 'Sie wurden aus der Besprechung entfernt.',
  'meeting.banned': 'Sie wurden aus dieser Besprechung ausgeschlossen.',
  'meeting.ended': 'Die Besprechung wurde beendet.',
  'meeting.deleted': 'Die Besprechung wurde gelöscht.',
  'meeting.internalError': 'Die Besprechung wurde wegen eines Serverfehlers geschlossen.',
  'meeting.connectionLost': 'Verbindung verloren.',
  'meeting.locked': 'Diese Besprechung ist gesperrt. Bitten Sie die Moderation, sie zu entsperren, und versuchen Sie es dann erneut.',
  'lock.locked': 'Gesperrt',
  'lock.lockedHint': 'Die Besprechung ist gesperrt: Niemand Neues kann beitreten.',
  'lock.lock': 'Besprechung sperren',
  'lock.unlock': 'Besprechung entsperren',
  'meeting.reconnect': 'Erneut beitreten',
  'meeting.left': 'Sie haben die Besprechung verlassen.',
  'meeting.home': 'Zur Startseite',
  'meeting.notFound': 'Diese Besprechung gibt es nicht oder sie ist beendet.',
  'meeting.mediaError': 'Kamera oder Mikrofon nicht verfügbar: {detail}',
  'meeting.mutedByModerator': 'Die Moderation hat Ihr Mikrofon stummgeschaltet.',
  'meeting.you': '{name} (Sie)',
  'meeting.screenOf': 'Bildschirm von {name}',
  'meeting.pin': '{name} groß anzeigen',
  'meeting.unpin': 'Alle gleich groß anzeigen',
  'meeting.speaking': 'spricht',
  'quality.good': 'Gute Verbindung',
  'quality.medium': 'Instabile Verbindung',
  'quality.poor': 'Schlechte Verbindung',

  'controls.label': 'Besprechungssteuerung',
  'controls.mute': 'Mikrofon stummschalten',
  'controls.unmute': 'Mikrofon einschalten',
  'controls.cameraOff': 'Kamera ausschalten',
  'controls.cameraOn': 'Kamera einschalten',
  'controls.shareScreen': 'Bildschirm teilen',
  'controls.stopShare': 'Bildschirmfreigabe beenden',
  'controls.raiseHand': 'Hand heben',
  'controls.lowerHand': 'Hand senken',
  'controls.leave': 'Verlassen',
  'controls.chat': 'Chat',
  'controls.participants': 'Teilnehmende',
  'controls.shareFailed': 'Bildschirmfreigabe fehlgeschlagen: {detail}',
  'reaction.open': 'Reaktion senden',
  'reaction.thumbsUp': 'Daumen hoch',
  'reaction.clap': 'Applaus',
  'reaction.heart': 'Herz',
  'reaction.laugh': 'Lachen',
  'reaction.surprised': 'Überrascht',
  'reaction.celebrate': 'Feiern',
  'reaction.thinking': 'Nachdenklich',
  'reaction.thumbsDown': 'Daumen runter',
  'reaction.announce': '{name} hat reagiert: {reaction}',
  'reaction.rateLimited': 'Zu viele Reaktionen auf einmal. Bitte warten Sie einen Moment.',
  'layout.speakerView': 'Sprecheransicht',
  'layout.gridView': 'Galerieansicht',
  'layout.pages': 'Videoseiten',
  'layout.previousPage': 'Vorherige Seite',
  'layout.nextPage': 'Nächste Seite',
  'layout.page': 'Seite {page} von {count}',
  'devices.open': 'Geräteeinstellungen',
  'devices.title': 'Kamera, Mikrofon und Lautsprecher',
  'devices.close': 'Schließen',
  'devices.switchFailed': 'Gerätewechsel fehlgeschlagen: {detail}',
  'meeting.reconnecting': 'Verbindung unterbrochen – neuer Verbindungsversuch…',
  'notify.joined': '{name} ist beigetreten',
  'notify.left': '{name} hat die Besprechung verlassen',
  'notify.hand': '{name} hat die Hand gehoben',
  'notify.chat': '{name}: {text}',
  'notify.chatPrivate': '{name} (privat): {text}',
  'controls.chatUnread': '{count} ungelesen',
  'shortcuts.open': 'Tastenkürzel',
  'shortcuts.title': 'Tastenkürzel',
  'shortcuts.mic': 'Mikrofon ein oder aus',
  'shortcuts.camera': 'Kamera ein oder aus',
  'shortcuts.hand': 'Hand heben oder senken',
  'shortcuts.help': 'Diese Liste zeigen',
  'shortcuts.note': 'Tastenkürzel wirken nicht, während Sie tippen, z. B. im Chat.',
  'shortcuts.close': 'Schließen',

  'chat.title': 'Chat',
  'chat.to': 'Senden an',
  'chat.everyone': 'Alle',
  'chat.message': 'Nachricht',
  'chat.send': 'Senden',
  'chat.private': 'privat',
  'chat.privateTo': 'an {name}',
  'chat.empty': 'Noch keine Nachrichten.',
  'chat.rateLimited': 'Sie senden zu schnell. Bitte warten Sie einen Moment.',
  'chat.history': 'Chatnachrichten',

  'people.title': 'Teilnehmende ({count})',
  'people.handRaised': 'Hand gehoben',
  'people.micOn': 'Mikrofon an',
  'people.micOff': 'Mikrofon aus',
  'people.mutedByModerator': 'Von der Moderation stummgeschaltet',
  'people.cameraOn': 'Kamera an',
  'people.cameraOff': 'Kamera aus',
  'people.sharing': 'Teilt den Bildschirm',
  'people.actionsFor': 'Aktionen für {name}',
  'people.mute': '{name} stummschalten',
  'people.remove': '{name} entfernen',
  'people.ban': '{name} ausschließen',
  'people.makeModerator': '{name} zur Moderation machen',
  'people.revokeModerator': '{name} die Moderation entziehen',
  'people.lowerHand': 'Hand von {name} senken',
  'hands.title': 'Gehobene Hände ({count})',
  'hands.lower': 'Senken',
  'hands.lowerAll': 'Alle Hände senken',
  'hands.position': 'Ihre Hand ist gehoben. Sie sind Nummer {position} in der Reihe.',
  'people.muteAll': 'Alle stummschalten',
  'people.endForAll': 'Besprechung für alle beenden',
  'people.confirmEnd': 'Die Besprechung für alle beenden?',

  'role.owner': 'Gastgeber',
  'role.moderator': 'Moderation',
  'role.participant': 'Teilnehmer',
  'role.guest': 'Gast',

  'waiting.title': 'Warteraum ({count})',
  'waiting.enabled': 'Warteraum aktiv',
  'waiting.admit': '{name} einlassen',
  'waiting.deny': '{name} abweisen',
  'waiting.empty': 'Niemand wartet.',

  'controls.polls': 'Umfragen',
  'poll.title': 'Umfragen',
  'poll.none': 'Noch keine Umfrage.',
  'poll.open': 'Offen',
  'poll.closed': 'Beendet',
  'poll.anonymous': 'anonym',
  'poll.named': 'namentlich',
  'poll.single': 'eine Antwort',
  'poll.multiple': 'mehrere Antworten',
  'poll.answerCount': '{count} geantwortet',
  'poll.closesAt': 'endet um {time}',
  'poll.submit': 'Antworten',
  'poll.changeAnswer': 'Antwort ändern',
  'poll.yourAnswer': 'Ihre Antwort: {choices}',
  'poll.results': 'Ergebnis',
  'poll.hiddenUntilClose': 'Das Ergebnis erscheint, wenn die Umfrage beendet und geteilt ist.',
  'poll.hiddenUntilShared': 'Das Ergebnis erscheint, sobald es geteilt wird.',
  'poll.whoChoseWhat': 'Wer hat was gewählt',
  'poll.close': 'Umfrage beenden',
  'poll.share': 'Ergebnis teilen',
  'poll.exportCsv': 'CSV herunterladen',
  'poll.exportJson': 'JSON herunterladen',
  'poll.export.option': 'Option',
  'poll.export.count': 'Anzahl',
  'poll.export.name': 'Name',
  'poll.export.choices': 'Auswahl',
  'poll.create': 'Neue Umfrage',
  'poll.question': 'Frage',
  'poll.option': 'Option {n}',
  'poll.addOption': 'Option hinzufügen',
  'poll.removeOption': 'Letzte Option entfernen',
  'poll.allowMultiple': 'Mehrere Antworten erlauben',
  'poll.makeAnonymous': 'Anonym (niemand sieht, wer was gewählt hat)',
  'poll.showResults': 'Ergebnis zeigen',
  'poll.resultsLive': 'Live, während geantwortet wird',
  'poll.resultsAtClose': 'Nach dem Beenden, wenn geteilt',
  'poll.minutes': 'Zeitlimit in Minuten (optional)',
  'poll.start': 'Umfrage starten',
  'poll.problem.question': 'Die Frage braucht 1 bis 300 Zeichen.',
  'poll.problem.optionCount': 'Eine Umfrage braucht 2 bis 10 Optionen.',
  'poll.problem.optionLength': 'Jede Option hat höchstens 100 Zeichen.',
  'poll.problem.optionTwice': 'Jede Option darf nur einmal vorkommen.',
  'poll.problem.duration': 'Das Zeitlimit liegt zwischen 10 Sekunden und 24 Stunden.',
  'poll.error.unknown': 'Diese Umfrage gibt es nicht mehr.',
  'poll.error.unknownOption': 'Diese Option gehört nicht zur Umfrage.',
  'poll.error.closed': 'Die Umfrage ist bereits beendet.',
  'poll.error.alreadyOpen': 'Beenden Sie die offene Umfrage, bevor Sie eine neue starten.',
  'poll.error.rateLimited': 'Zu viele Antworten auf einmal. Bitte warten Sie kurz.',

  'error.forbidden': 'Das dürfen Sie nicht.',
  'error.generic': 'Etwas ist schiefgegangen ({code}).',
  'error.network': 'Der Server ist nicht erreichbar.',
};

export type Lang = 'de' | 'en';
export const dictionaries: Record<Lang, Dictionary> = { de, en };

const STORAGE_KEY = 'plenum.lang';

function asLang(value: string | null | undefined): Lang | null {
  if (!value) return null;
  const base = value.toLowerCase().split('-')[0];
  return base === 'de' || base === 'en' ? base : null;
}

/**
 * Picks the language: an explicit `?lang=` wins (and is remembered), then a remembered
 * choice, then the browser's languages in order, then English.
 */
export function chooseLang(
  search: string,
  remembered: string | null,
  browserLanguages: readonly string[],
): { lang: Lang; remember: Lang | null } {
  const fromQuery = asLang(new URLSearchParams(search).get('lang'));
  if (fromQuery) return { lang: fromQuery, remember: fromQuery };
  const fromStorage = asLang(remembered);
  if (fromStorage) return { lang: fromStorage, remember: null };
  for (const candidate of browserLanguages) {
    const lang = asLang(candidate);
    if (lang) return { lang, remember: null };
  }
  return { lang: 'en', remember: null };
}

/** Replaces `{name}` placeholders; unknown placeholders stay visible so they get noticed. */
export function format(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The placeholders a template uses, sorted (for checking that translations match). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  const dict = dictionaries[lang];
  return (key, params) => format(dict[key], params);
}

let current: Lang = 'en';

/** Resolves the language once at start-up from the page URL, storage and browser. */
export function initLang(): Lang {
  let remembered: string | null = null;
  try {
    remembered = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled; the URL and browser language still decide.
  }
  const { lang, remember } = chooseLang(location.search, remembered, navigator.languages ?? [navigator.language]);
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, remember);
    } catch {
      // Not remembering is acceptable.
    }
  }
  current = lang;
  document.documentElement.lang = lang;
  return lang;
}

export function setLang(lang: Lang): void {
  current = lang;
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembering is acceptable.
  }
}

export function getLang(): Lang {
  return current;
}

/** Translates with the current language. */
export const t: Translate = (key, params) => format(dictionaries[current][key], params);
