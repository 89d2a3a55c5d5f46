//! Sans-IO formatting of audit records as RFC 5424 syslog messages whose MSG is either
//! JSON with Elastic Common Schema field names or ArcSight CEF.
//!
//! Nothing an entry carries reaches the line raw: header fields are restricted to the
//! printable US-ASCII RFC 5424 allows, JSON strings escape every control character
//! (including DEL, the C1 range and the Unicode line separators, which `serde_json` would
//! leave alone), and CEF escapes `\`, `|` / `=` and line breaks as the CEF specification
//! says and every other control character as `\uXXXX`. An ANSI escape sequence therefore
//! arrives as the visible text `\u001b[…`, never as a terminal command.

use plenum_audit::catalogue::{self, Severity};
use plenum_audit::{ActorKind, Entry, Outcome, Value};
use serde_json::{Map, Value as Json, json};
use std::fmt::Write as _;

/// The APP-NAME of every message.
pub const APP_NAME: &str = "plenum";
/// The MSGID of an exported checkpoint (not an entry action: checkpoints are not entries).
pub const CHECKPOINT_MSGID: &str = "audit.checkpoint";
/// Longest detail value copied into a message, in bytes; longer values are cut at a
/// character boundary and marked. Keeps one message within what receivers accept
/// (rsyslog's default limit is 8 KiB; see docs/siem.md) whatever an entry holds.
pub const MAX_VALUE_BYTES: usize = 1024;
const TRUNCATED: &str = "…[truncated]";
/// RFC 5424 limits of the header fields.
const MAX_HOSTNAME: usize = 255;
const MAX_PROCID: usize = 128;
const MAX_MSGID: usize = 32;

/// The payload format inside the syslog message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    /// JSON with Elastic Common Schema field names.
    Json,
    /// ArcSight Common Event Format.
    Cef,
}

/// A syslog facility (RFC 5424, section 6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facility(u8);

impl Facility {
    /// Security/authorization messages, private: the default for the audit trail.
    pub const AUTHPRIV: Facility = Facility(10);

    const NAMES: [(&'static str, u8); 24] = [
        ("kern", 0),
        ("user", 1),
        ("mail", 2),
        ("daemon", 3),
        ("auth", 4),
        ("syslog", 5),
        ("lpr", 6),
        ("news", 7),
        ("uucp", 8),
        ("cron", 9),
        ("authpriv", 10),
        ("ftp", 11),
        ("ntp", 12),
        ("security", 13),
        ("console", 14),
        ("clock", 15),
        ("local0", 16),
        ("local1", 17),
        ("local2", 18),
        ("local3", 19),
        ("local4", 20),
        ("local5", 21),
        ("local6", 22),
        ("local7", 23),
    ];

    /// The facility named as in syslog.conf (`authpriv`, `local0`, …).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, code)| Facility(code))
    }

    /// Every accepted name, for error messages.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::NAMES.iter().map(|(n, _)| *n)
    }

    pub fn code(self) -> u8 {
        self.0
    }
}

/// A signed checkpoint as exported: the witnessed copy outside the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointNote {
    /// Tree size the checkpoint commits to.
    pub size: u64,
    /// Checkpoint time, Unix ms.
    pub time_ms: u64,
    /// The signed note text (C2SP signed-note), verbatim.
    pub note: String,
}

/// One thing to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record<'a> {
    Entry(&'a Entry),
    Checkpoint(&'a CheckpointNote),
}

/// Formats records for one target. Pure: the same record always gives the same line.
#[derive(Debug, Clone)]
pub struct Formatter {
    format: PayloadFormat,
    facility: Facility,
    hostname: String,
    procid: String,
    product_version: String,
}

impl Formatter {
    /// `hostname` and `procid` are cleaned to what RFC 5424 allows (empty becomes `-`).
    pub fn new(
        format: PayloadFormat,
        facility: Facility,
        hostname: &str,
        procid: &str,
        product_version: &str,
    ) -> Self {
        Self {
            format,
            facility,
            hostname: header_field(hostname, MAX_HOSTNAME),
            procid: header_field(procid, MAX_PROCID),
            product_version: product_version.to_owned(),
        }
    }

    /// The complete RFC 5424 message of `record`, without transport framing.
    pub fn message(&self, record: Record<'_>) -> String {
        let (severity, time_ms, msgid) = match record {
            Record::Entry(e) => (
                catalogue::severity(&e.action, e.outcome),
                e.time_ms,
                e.action.as_str(),
            ),
            Record::Checkpoint(c) => (checkpoint_severity(), c.time_ms, CHECKPOINT_MSGID),
        };
        let payload = match (self.format, record) {
            (PayloadFormat::Json, Record::Entry(e)) => entry_json(e),
            (PayloadFormat::Json, Record::Checkpoint(c)) => checkpoint_json(c),
            (PayloadFormat::Cef, Record::Entry(e)) => self.entry_cef(e),
            (PayloadFormat::Cef, Record::Checkpoint(c)) => self.checkpoint_cef(c),
        };
        let pri = u16::from(self.facility.code()) * 8 + u16::from(severity.code());
        // Structured data is left out (`-`): everything is in the MSG, which SIEMs parse.
        format!(
            "<{pri}>1 {} {} {APP_NAME} {} {} - {payload}",
            rfc3339_ms(time_ms),
            self.hostname,
            self.procid,
            header_field(msgid, MAX_MSGID),
        )
    }

    fn entry_cef(&self, e: &Entry) -> String {
        let severity = catalogue::severity(&e.action, e.outcome);
        let name = catalogue::lookup(&e.action).map_or(e.action.as_str(), |s| s.description);
        let mut ext = vec![
            ("rt", e.time_ms.to_string()),
            ("act", e.action.clone()),
            ("outcome", outcome_name(e.outcome).to_owned()),
            ("cn1Label", "sequence".to_owned()),
            ("cn1", e.seq.to_string()),
            ("cs1Label", "tenant".to_owned()),
            ("cs1", e.tenant.clone()),
            ("cs2Label", "resource".to_owned()),
            ("cs2", e.resource.clone()),
            ("cs3Label", "actorKind".to_owned()),
            ("cs3", actor_kind_name(e.actor.kind).to_owned()),
        ];
        if let Some(id) = clear(&e.actor.id) {
            ext.push(("suid", id.to_owned()));
        }
        if let Some(name) = user_name(e) {
            ext.push(("suser", name.to_owned()));
        }
        if let Some(ip) = e.source.as_ref().and_then(clear) {
            ext.push(("src", ip.to_owned()));
        }
        if let Some(id) = &e.request_id {
            ext.push(("cs4Label", "requestId".to_owned()));
            ext.push(("cs4", id.clone()));
        }
        let details = details_json(e);
        if !details.is_empty() {
            ext.push(("cs5Label", "details".to_owned()));
            ext.push(("cs5", Json::Object(details).to_string()));
        }
        self.cef(&e.action, name, severity, &ext)
    }

    fn checkpoint_cef(&self, c: &CheckpointNote) -> String {
        let ext = [
            ("rt", c.time_ms.to_string()),
            ("act", CHECKPOINT_MSGID.to_owned()),
            ("cn1Label", "treeSize".to_owned()),
            ("cn1", c.size.to_string()),
            ("cs1Label", "checkpoint".to_owned()),
            ("cs1", c.note.clone()),
        ];
        self.cef(
            CHECKPOINT_MSGID,
            "Signed checkpoint of the audit log",
            checkpoint_severity(),
            &ext,
        )
    }

    fn cef(
        &self,
        signature: &str,
        name: &str,
        severity: Severity,
        ext: &[(&str, String)],
    ) -> String {
        let mut out = format!(
            "CEF:0|Plenum|Plenum|{}|{}|{}|{}|",
            cef_header(&self.product_version),
            cef_header(signature),
            cef_header(name),
            cef_severity(severity),
        );
        for (i, (key, value)) in ext.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(key);
            out.push('=');
            out.push_str(&cef_extension(&truncate(value)));
        }
        out
    }
}

/// Checkpoints are notices: an auditor reviews them, nobody is paged.
fn checkpoint_severity() -> Severity {
    Severity::Notice
}

/// ECS JSON of an entry.
fn entry_json(e: &Entry) -> String {
    let severity = catalogue::severity(&e.action, e.outcome);
    let category = catalogue::lookup(&e.action).map(|s| s.category.ecs());
    let mut event = json!({
        "kind": "event",
        "dataset": "plenum.audit",
        "action": e.action,
        // ECS allows only success, failure and unknown; a denial is a failure, and
        // `plenum.outcome` keeps the finer value.
        "outcome": match e.outcome {
            Outcome::Success => "success",
            Outcome::Failure | Outcome::Denied => "failure",
        },
        "sequence": e.seq,
        "severity": severity.code(),
    });
    if let Some(category) = category {
        event["category"] = json!([category]);
    }
    let mut doc = json!({
        "@timestamp": rfc3339_ms(e.time_ms),
        "event": event,
        "log": { "level": severity.name() },
        "organization": { "id": truncate(&e.tenant) },
        "plenum": {
            "actor_kind": actor_kind_name(e.actor.kind),
            "resource": truncate(&e.resource),
            "outcome": outcome_name(e.outcome),
        },
    });
    let mut user = Map::new();
    if let Some(id) = clear(&e.actor.id) {
        user.insert("id".to_owned(), Json::String(truncate(id)));
    }
    if let Some(name) = user_name(e) {
        user.insert("name".to_owned(), Json::String(truncate(name)));
    }
    if !user.is_empty() {
        doc["user"] = Json::Object(user);
    }
    if let Some(ip) = e.source.as_ref().and_then(clear) {
        doc["source"] = json!({ "ip": truncate(ip) });
    }
    if let Some(id) = &e.request_id {
        doc["http"] = json!({ "request": { "id": truncate(id) } });
    }
    let details = details_json(e);
    if !details.is_empty() {
        doc["plenum"]["details"] = Json::Object(details);
    }
    escape_json_controls(&doc.to_string())
}

/// ECS JSON of a checkpoint.
fn checkpoint_json(c: &CheckpointNote) -> String {
    let severity = checkpoint_severity();
    let doc = json!({
        "@timestamp": rfc3339_ms(c.time_ms),
        "event": {
            "kind": "event",
            "dataset": "plenum.audit",
            "action": CHECKPOINT_MSGID,
            "category": ["database"],
            "severity": severity.code(),
        },
        "log": { "level": severity.name() },
        "plenum": { "checkpoint": { "size": c.size, "note": c.note } },
    });
    escape_json_controls(&doc.to_string())
}

/// The details whose clear value is present (erased personal data is left out).
fn details_json(e: &Entry) -> Map<String, Json> {
    e.details
        .iter()
        .filter_map(|d| Some((truncate(&d.key), Json::String(truncate(clear(&d.value)?)))))
        .collect()
}

/// The account name when the entry names one: a username or, failing that, a display
/// name, from the details.
fn user_name(e: &Entry) -> Option<&str> {
    ["username", "display_name"].iter().find_map(|key| {
        e.details
            .iter()
            .find(|d| d.key == *key)
            .and_then(|d| clear(&d.value))
    })
}

/// The clear text of a value, unless it was erased.
fn clear(value: &Value) -> Option<&str> {
    match value {
        Value::Text(t) => Some(t),
        Value::Personal(p) => p.value.as_deref(),
    }
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::Denied => "denied",
    }
}

fn actor_kind_name(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::User => "user",
        ActorKind::Guest => "guest",
        ActorKind::System => "system",
        ActorKind::Service => "service",
    }
}

/// CEF severity 0–10 (10 most urgent) from the syslog severity.
fn cef_severity(severity: Severity) -> u8 {
    match severity {
        Severity::Alert => 10,
        Severity::Warning => 6,
        Severity::Notice => 4,
        Severity::Informational => 2,
    }
}

/// `value` cut to [`MAX_VALUE_BYTES`] at a character boundary, marked when cut.
fn truncate(value: &str) -> String {
    if value.len() <= MAX_VALUE_BYTES {
        return value.to_owned();
    }
    let mut end = MAX_VALUE_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{TRUNCATED}", &value[..end])
}

/// A header field as RFC 5424 allows it: 1 to `max` printable US-ASCII characters
/// (33–126); anything else becomes `_`, and an empty field the NILVALUE `-`.
fn header_field(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .collect();
    if cleaned.is_empty() {
        "-".to_owned()
    } else {
        cleaned
    }
}

/// Unix ms as an RFC 3339 UTC timestamp with milliseconds (`2026-11-27T06:00:00.123Z`).
pub fn rfc3339_ms(time_ms: u64) -> String {
    let secs = time_ms / 1000;
    let millis = time_ms % 1000;
    // Beyond year 9999 RFC 3339 has no form; such a time is clamped rather than emitted
    // in a shape receivers reject.
    let secs = i64::try_from(secs).unwrap_or(i64::MAX).min(253_402_300_799);
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Escapes, as `\uXXXX`, the characters JSON allows raw inside strings but a log line
/// must not carry: DEL, the C1 controls and U+2028/U+2029. `serde_json` has already
/// escaped U+0000–U+001F; outside strings its output has none of these characters, so
/// the result is still the same JSON value.
fn escape_json_controls(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// CEF header escaping: `\` and `|`; control characters as `\uXXXX` text.
fn cef_header(text: &str) -> String {
    cef_escape(text, &['\\', '|'])
}

/// CEF extension value escaping: `\` and `=`, line breaks as `\n` / `\r`; other control
/// characters as `\uXXXX` text.
fn cef_extension(text: &str) -> String {
    cef_escape(text, &['\\', '='])
}

fn cef_escape(text: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if special.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenum_audit::{Actor, Detail, Personal};

    const HOSTILE: &str = "Eve\nCEF:0|x|y=z\\ \u{1b}[31mred\u{1b}[0m\u{7f}\u{85}\u{2028}";

    fn entry(action: &str, outcome: Outcome) -> Entry {
        Entry {
            seq: 41,
            time_ms: 1_795_761_296_789,
            tenant: "default".to_owned(),
            actor: Actor {
                kind: ActorKind::User,
                id: Value::Personal(Personal::new("user-1", &[7; 16]).expect("salt")),
            },
            source: Some(Value::Personal(
                Personal::new("192.0.2.7", &[8; 16]).expect("salt"),
            )),
            action: action.to_owned(),
            resource: "meeting:m1".to_owned(),
            outcome,
            request_id: Some("req-1".to_owned()),
            details: vec![Detail {
                key: "display_name".to_owned(),
                value: Value::Personal(Personal::new(HOSTILE, &[9; 16]).expect("salt")),
            }],
        }
    }

    fn formatter(format: PayloadFormat) -> Formatter {
        Formatter::new(format, Facility::AUTHPRIV, "meet.example", "123", "0.1.0")
    }

    fn msg_of(line: &str) -> &str {
        // <PRI>1 TS HOST APP PROCID MSGID SD MSG
        line.splitn(8, ' ').nth(7).expect("eight fields")
    }

    #[test]
    fn json_message_has_header_and_ecs_fields() {
        let line = formatter(PayloadFormat::Json)
            .message(Record::Entry(&entry("auth.login", Outcome::Failure)));
        // authpriv (10) * 8 + warning (4): a failed login is raised to a warning.
        assert!(
            line.starts_with(
                "<84>1 2026-11-27T06:34:56.789Z meet.example plenum 123 auth.login - {"
            ),
            "{line}"
        );
        let doc: Json = serde_json::from_str(msg_of(&line)).expect("JSON");
        assert_eq!(doc["@timestamp"], "2026-11-27T06:34:56.789Z");
        assert_eq!(doc["event"]["action"], "auth.login");
        assert_eq!(doc["event"]["category"][0], "authentication");
        assert_eq!(doc["event"]["outcome"], "failure");
        assert_eq!(doc["event"]["sequence"], 41);
        assert_eq!(doc["event"]["severity"], 4);
        assert_eq!(doc["log"]["level"], "warning");
        assert_eq!(doc["user"]["id"], "user-1");
        assert_eq!(doc["user"]["name"], HOSTILE);
        assert_eq!(doc["source"]["ip"], "192.0.2.7");
        assert_eq!(doc["organization"]["id"], "default");
        assert_eq!(doc["http"]["request"]["id"], "req-1");
        assert_eq!(doc["plenum"]["details"]["display_name"], HOSTILE);
        assert_eq!(doc["plenum"]["outcome"], "failure");
    }

    #[test]
    fn nothing_raw_reaches_the_line() {
        for format in [PayloadFormat::Json, PayloadFormat::Cef] {
            let line = formatter(format)
                .message(Record::Entry(&entry("participant.join", Outcome::Success)));
            assert!(
                !line
                    .chars()
                    .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}'),
                "{format:?}: {line:?}"
            );
            assert!(line.contains("\\u001b[31m"), "{line}");
        }
    }

    #[test]
    fn cef_escapes_header_and_extension() {
        let f = formatter(PayloadFormat::Cef);
        let mut e = entry("auth.login", Outcome::Success);
        e.action = "x|y\\z".to_owned();
        let line = f.message(Record::Entry(&e));
        let cef = msg_of(&line);
        assert!(
            cef.starts_with("CEF:0|Plenum|Plenum|0.1.0|x\\|y\\\\z|x\\|y\\\\z|4|rt=1795761296789 "),
            "{cef}"
        );
        // The hostile name: newline as \n, `=` and `\` escaped, `|` as is in extensions.
        assert!(
            cef.contains(
                "suser=Eve\\nCEF:0|x|y\\=z\\\\ \\u001b[31mred\\u001b[0m\\u007f\\u0085\\u2028"
            ),
            "{cef}"
        );
        assert!(cef.contains("cn1Label=sequence cn1=41 "), "{cef}");
        assert!(cef.contains("src=192.0.2.7"), "{cef}");
    }

    #[test]
    fn erased_personal_data_is_left_out() {
        let mut e = entry("auth.login", Outcome::Success);
        e.erase_personal();
        let line = formatter(PayloadFormat::Json).message(Record::Entry(&e));
        let doc: Json = serde_json::from_str(msg_of(&line)).expect("JSON");
        assert!(
            doc.get("user").is_none() && doc.get("source").is_none(),
            "{doc}"
        );
        assert!(doc["plenum"].get("details").is_none(), "{doc}");
    }

    #[test]
    fn checkpoints_carry_the_signed_note() {
        let note = CheckpointNote {
            size: 42,
            time_ms: 1_795_761_296_789,
            note: "plenum.example/audit\n42\nAAAA\ntime 1\n\n\u{2014} k AAAA\n".to_owned(),
        };
        let json = formatter(PayloadFormat::Json).message(Record::Checkpoint(&note));
        assert!(json.starts_with("<85>1 "), "{json}");
        assert!(json.contains(" audit.checkpoint - {"), "{json}");
        let doc: Json = serde_json::from_str(msg_of(&json)).expect("JSON");
        assert_eq!(doc["plenum"]["checkpoint"]["note"], note.note.as_str());
        assert_eq!(doc["plenum"]["checkpoint"]["size"], 42);
        let cef = formatter(PayloadFormat::Cef).message(Record::Checkpoint(&note));
        assert!(
            cef.contains("cs1=plenum.example/audit\\n42\\nAAAA\\ntime 1\\n\\n"),
            "{cef}"
        );
    }

    #[test]
    fn long_values_are_cut_and_header_fields_cleaned() {
        let mut e = entry("auth.login", Outcome::Success);
        e.details[0].value = Value::text("é".repeat(MAX_VALUE_BYTES));
        let f = Formatter::new(
            PayloadFormat::Json,
            Facility::AUTHPRIV,
            "bad host\n",
            "",
            "v",
        );
        let line = f.message(Record::Entry(&e));
        assert!(line.contains(" bad_host_ plenum - auth.login "), "{line}");
        let doc: Json = serde_json::from_str(msg_of(&line)).expect("JSON");
        let name = doc["user"]["name"].as_str().expect("name");
        assert!(name.ends_with(TRUNCATED) && name.len() <= MAX_VALUE_BYTES + TRUNCATED.len());
    }

    #[test]
    fn facilities_by_name() {
        assert_eq!(Facility::from_name("authpriv"), Some(Facility::AUTHPRIV));
        assert_eq!(Facility::from_name("local7").map(Facility::code), Some(23));
        assert_eq!(Facility::from_name("nope"), None);
    }
}
