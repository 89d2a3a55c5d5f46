//! The protocol's wording in German and English, and its dates.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::PdfError;

/// The language of a rendered protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    /// The BCP 47 tag (`de`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// The language named by `tag` (`de` or `en`, case-insensitive).
    pub fn parse(tag: &str) -> Option<Self> {
        match tag.to_ascii_lowercase().as_str() {
            "de" => Some(Lang::De),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub(crate) fn texts(self) -> &'static Texts {
        match self {
            Lang::De => &GERMAN,
            Lang::En => &ENGLISH,
        }
    }
}

/// Every fixed text of the protocol; texts with numbers in them are the methods below.
pub(crate) struct Texts {
    lang: Lang,
    pub(crate) title: &'static str,
    pub(crate) overview: &'static str,
    pub(crate) vote_id: &'static str,
    pub(crate) tenant: &'static str,
    pub(crate) meeting: &'static str,
    pub(crate) opened: &'static str,
    pub(crate) deadline: &'static str,
    pub(crate) closed: &'static str,
    pub(crate) cancelled: &'static str,
    pub(crate) close_all_voted: &'static str,
    pub(crate) close_deadline: &'static str,
    pub(crate) close_moderator: &'static str,
    pub(crate) mode: &'static str,
    pub(crate) roll_call: &'static str,
    pub(crate) roll_call_note: &'static str,
    pub(crate) pseudonymous: &'static str,
    pub(crate) pseudonymous_note: &'static str,
    pub(crate) eligible: &'static str,
    pub(crate) participation: &'static str,
    pub(crate) result: &'static str,
    pub(crate) option: &'static str,
    pub(crate) votes: &'static str,
    pub(crate) total: &'static str,
    pub(crate) no_result_cancelled: &'static str,
    pub(crate) cancel_reason: &'static str,
    pub(crate) ballots_by_voter: &'static str,
    pub(crate) ballots_by_token: &'static str,
    pub(crate) name: &'static str,
    pub(crate) token: &'static str,
    pub(crate) choice: &'static str,
    pub(crate) did_not_vote: &'static str,
    pub(crate) yes: &'static str,
    pub(crate) no: &'static str,
    pub(crate) abstain: &'static str,
    pub(crate) verification: &'static str,
    pub(crate) verification_intro: &'static str,
    pub(crate) checkpoint_origin: &'static str,
    pub(crate) checkpoint_size: &'static str,
    pub(crate) checkpoint_time: &'static str,
    pub(crate) root_hash_hex: &'static str,
    pub(crate) root_hash_base64: &'static str,
    pub(crate) signature: &'static str,
    pub(crate) key_name: &'static str,
    pub(crate) public_key: &'static str,
    pub(crate) how_to_verify: &'static str,
    pub(crate) page: &'static str,
    pub(crate) of: &'static str,
    months: [&'static str; 12],
}

impl Texts {
    /// "3 of 5 eligible voters voted (60 %)".
    pub(crate) fn participation_line(&self, cast: u64, eligible: u64) -> String {
        let percent = (cast * 100).checked_div(eligible).unwrap_or(0);
        match self.lang {
            Lang::De => {
                format!("{cast} von {eligible} Stimmberechtigten haben abgestimmt ({percent} %)")
            }
            Lang::En => format!("{cast} of {eligible} eligible voters voted ({percent} %)"),
        }
    }

    /// "2026-03-14T09:30:00Z (14. März 2026, 09:30 UTC)".
    pub(crate) fn time(&self, unix_ms: u64) -> Result<String, PdfError> {
        let nanos = i128::from(unix_ms) * 1_000_000;
        let time = OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map_err(|_| PdfError::TimeOutOfRange(unix_ms))?;
        let iso = time
            .format(&Rfc3339)
            .map_err(|_| PdfError::TimeOutOfRange(unix_ms))?;
        let month = self.months[usize::from(u8::from(time.month())) - 1];
        let (day, year, hour, minute) = (time.day(), time.year(), time.hour(), time.minute());
        let human = match self.lang {
            Lang::De => format!("{day}. {month} {year}, {hour:02}:{minute:02} UTC"),
            Lang::En => format!("{day} {month} {year}, {hour:02}:{minute:02} UTC"),
        };
        Ok(format!("{iso} ({human})"))
    }
}

static GERMAN: Texts = Texts {
    lang: Lang::De,
    title: "Abstimmungsprotokoll",
    overview: "Übersicht",
    vote_id: "Abstimmung",
    tenant: "Mandant",
    meeting: "Sitzung",
    opened: "Eröffnet",
    deadline: "Frist",
    closed: "Geschlossen",
    cancelled: "Abgebrochen",
    close_all_voted: "alle Stimmberechtigten haben abgestimmt",
    close_deadline: "die Frist ist abgelaufen",
    close_moderator: "von der Moderation geschlossen",
    mode: "Verfahren",
    roll_call: "Namentliche Abstimmung",
    roll_call_note: "Namen und Stimmen aller Abstimmenden sind Teil des Ergebnisses.",
    pseudonymous: "Pseudonyme Abstimmung",
    pseudonymous_note: "Pseudonym, nicht anonym: Jede stimmberechtigte Person erhielt ein zufälliges \
        Stimm-Token, das nur ihr angezeigt wurde; das Ergebnis listet Token und Stimme, so dass jede \
        Person ihre eigene Stimme findet. Wer ein Token einer Person zuordnen kann (etwa weil sie es \
        zeigt), kennt ihre Stimme. Während die Abstimmung lief, kannte der Plenum-Server die \
        Zuordnung im Arbeitsspeicher; gespeichert oder protokolliert wird sie nicht.",
    eligible: "Stimmberechtigte",
    participation: "Beteiligung",
    result: "Ergebnis",
    option: "Option",
    votes: "Stimmen",
    total: "Abgegebene Stimmen",
    no_result_cancelled: "Die Abstimmung wurde abgebrochen; es gibt kein Ergebnis.",
    cancel_reason: "Grund des Abbruchs",
    ballots_by_voter: "Stimmen nach Namen",
    ballots_by_token: "Stimmen nach Token",
    name: "Name",
    token: "Token",
    choice: "Stimme",
    did_not_vote: "— nicht abgestimmt",
    yes: "Ja",
    no: "Nein",
    abstain: "Enthaltung",
    verification: "Prüfung",
    verification_intro: "Plenum hat das Ergebnis zusammen mit dem Checkpoint des Prüfprotokolls \
        (Merkle-Log) mit Ed25519 signiert. Die folgenden Werte müssen mit denen in der \
        maschinenlesbaren Fassung (protocol.json) übereinstimmen.",
    checkpoint_origin: "Checkpoint-Herkunft",
    checkpoint_size: "Checkpoint-Größe (Einträge)",
    checkpoint_time: "Checkpoint-Zeit",
    root_hash_hex: "Wurzel-Hash (hex)",
    root_hash_base64: "Wurzel-Hash (base64)",
    signature: "Signatur des Ergebnisses (Ed25519, base64)",
    key_name: "Schlüsselname",
    public_key: "Öffentlicher Schlüssel",
    how_to_verify: "So prüfen Sie das Protokoll ohne Netz und ohne Datenbank: \
        „plenum vote verify protocol.json“ oder mit dem unabhängigen Python-Skript \
        „python3 tools/vote-verify/plenum_vote_verify.py protocol.json“. Beide rechnen das Ergebnis aus den \
        Stimmen nach und prüfen Signatur und Merkle-Wurzel; eine Quittung prüft \
        „--receipt quittung.json“.",
    page: "Seite",
    of: "von",
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
};

static ENGLISH: Texts = Texts {
    lang: Lang::En,
    title: "Voting protocol",
    overview: "Overview",
    vote_id: "Vote",
    tenant: "Tenant",
    meeting: "Meeting",
    opened: "Opened",
    deadline: "Deadline",
    closed: "Closed",
    cancelled: "Cancelled",
    close_all_voted: "all eligible voters voted",
    close_deadline: "the time ran out",
    close_moderator: "closed by a moderator",
    mode: "Mode",
    roll_call: "Roll-call vote",
    roll_call_note: "The names and choices of all voters are part of the result.",
    pseudonymous: "Pseudonymous vote",
    pseudonymous_note: "Pseudonymous, not anonymous: every eligible voter got a random voting \
        token shown only to them; the result lists token and choice so that each voter can find \
        their own ballot. Whoever can link a token to a person (for example because they show \
        it) knows that person's choice. While the vote ran, the Plenum server held the link in \
        memory; it is neither stored nor logged.",
    eligible: "Eligible voters",
    participation: "Participation",
    result: "Result",
    option: "Option",
    votes: "Votes",
    total: "Ballots cast",
    no_result_cancelled: "The vote was cancelled; there is no result.",
    cancel_reason: "Reason for cancelling",
    ballots_by_voter: "Ballots by voter",
    ballots_by_token: "Ballots by token",
    name: "Name",
    token: "Token",
    choice: "Choice",
    did_not_vote: "— did not vote",
    yes: "Yes",
    no: "No",
    abstain: "Abstain",
    verification: "Verification",
    verification_intro: "Plenum signed the result together with the checkpoint of the audit \
        log (a Merkle log) with Ed25519. The values below must match those in the \
        machine-readable protocol (protocol.json).",
    checkpoint_origin: "Checkpoint origin",
    checkpoint_size: "Checkpoint size (entries)",
    checkpoint_time: "Checkpoint time",
    root_hash_hex: "Root hash (hex)",
    root_hash_base64: "Root hash (base64)",
    signature: "Result signature (Ed25519, base64)",
    key_name: "Key name",
    public_key: "Public key",
    how_to_verify: "To verify this protocol without network or database: \
        \"plenum vote verify protocol.json\", or with the independent Python script \
        \"python3 tools/vote-verify/plenum_vote_verify.py protocol.json\". Both recompute the tally from the \
        ballots and check the signature and the Merkle root; add \"--receipt receipt.json\" to \
        check a receipt.",
    page: "Page",
    of: "of",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};
