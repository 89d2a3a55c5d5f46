//! Renders real protocols (a vote run through `plenum_vote::Vote`, its entries in an
//! `AuditLog` Merkle log, a signed checkpoint, `Protocol::assemble`) and reads the PDFs
//! back with poppler's `pdftotext`, as a reader would see them.

use std::io::Write;
use std::process::{Command, Stdio};

use plenum_audit::entry::{Actor, ActorKind, Personal, Value};
use plenum_audit::{AuditLog, ProvenKey, SigningKey, to_hex};
use plenum_vote::{
    CloseReason, Mode, Options, Protocol, ProvenSigningKey, TOKEN_BYTES, Vote, VoteEvent,
    VoteOption, VoteSpec, VoteState, Voter,
};
use plenum_vote_pdf::{Lang, PdfError, render};

const OPENED_MS: u64 = 1_773_480_600_000; // 2026-03-14T09:30:00Z
const TENANT: &str = "stadtrat";
const MEETING: &str = "9b1c0d2e-5a7f-4c3b-8e6d-000000000042";
const UMLAUT_SUBJECT: &str =
    "Änderung der Geschäftsordnung: Öffentlichkeit der Ausschüsse – „Transparenz“ für Bürger";

/// What a test vote is: its mode, options, voters, who chooses what, and how it ends.
struct Scenario {
    subject: String,
    mode: Mode,
    options: Options,
    voters: Vec<Voter>,
    /// (voter index, option id) in casting order.
    ballots: Vec<(usize, &'static str)>,
    cancel: Option<&'static str>,
}

fn voters(names: &[&str]) -> Vec<Voter> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| Voter::new(&format!("acct-{i}"), name))
        .collect()
}

fn signing_key() -> SigningKey {
    SigningKey::from_seed("rathaus.example-audit-2026", &[42; 32], 0, u64::MAX)
        .expect("a valid test key")
}

fn account(id: &str) -> Actor {
    let id = Personal::new(id, &[3; 16]).expect("a valid personal value");
    Actor {
        kind: ActorKind::User,
        id: Value::Personal(id),
    }
}

/// Runs the scenario through the state machine into a Merkle log and assembles (and so
/// verifies) its protocol.
fn protocol(scenario: &Scenario) -> Protocol {
    let key = signing_key();
    let mut log = AuditLog::new("rathaus.example/audit").expect("a valid origin");
    log.record_key(key.record(), OPENED_MS - 60_000, TENANT)
        .expect("key recorded");
    let secrets: Vec<[u8; TOKEN_BYTES]> = match scenario.mode {
        Mode::RollCall => Vec::new(),
        // Distinct secrets; their order says nothing about the tokens' sorted order.
        Mode::Pseudonymous => (0..scenario.voters.len())
            .map(|i| std::array::from_fn(|byte| (i * 37 + byte * 11 + 5) as u8))
            .collect(),
    };
    let spec = VoteSpec {
        id: "vote-7".to_owned(),
        tenant: TENANT.to_owned(),
        meeting: MEETING.to_owned(),
        subject: scenario.subject.clone(),
        options: scenario.options.clone(),
        mode: scenario.mode,
        eligible: scenario.voters.clone(),
        duration_ms: Some(900_000),
    };
    let mut vote = Vote::open(spec, OPENED_MS, &secrets).expect("a valid spec");
    let mut vote_seqs = Vec::new();
    let mut record = |log: &mut AuditLog, event: VoteEvent, actor: Actor, time: u64| {
        let seq = log.next_seq();
        log.append(event.entry(seq, time, TENANT, MEETING, actor))
            .expect("entry appended");
        vote_seqs.push(seq);
    };
    let moderator = account("acct-moderator");
    record(
        &mut log,
        VoteEvent::Open(vote.open_record().clone()),
        moderator.clone(),
        OPENED_MS,
    );
    let mut now = OPENED_MS;
    for &(voter, option) in &scenario.ballots {
        now += 7_000;
        let voter_id = &scenario.voters[voter].id;
        let ballot = vote.cast(voter_id, option, now).expect("ballot accepted");
        record(&mut log, VoteEvent::Ballot(ballot), account(voter_id), now);
        if let Some(close) = vote.commit(voter_id, now).expect("ballot pending") {
            record(
                &mut log,
                VoteEvent::Close(close),
                plenum_vote::event::system_actor(),
                now,
            );
        }
    }
    now += 30_000;
    if let Some(reason) = scenario.cancel {
        let cancel = vote.cancel(reason, now).expect("cancelled");
        record(&mut log, VoteEvent::Cancel(cancel), moderator, now);
    } else if *vote.state() == VoteState::Open {
        let close = vote.close(CloseReason::Moderator, now).expect("closed");
        let close = close.expect("no ballot is pending");
        record(&mut log, VoteEvent::Close(close), moderator, now);
    }
    let checkpoint = log
        .checkpoint(&key, now + 1_000)
        .expect("checkpoint signed");
    let bundle = log.bundle();
    let prove = |seq: u64| ProvenKey {
        entry: bundle.entries[seq as usize].clone(),
        proof: log
            .merkle()
            .inclusion_proof(seq, checkpoint.body.size)
            .expect("proof"),
    };
    let keys = vec![ProvenSigningKey {
        key: key.record().clone(),
        recorded: prove(0),
    }];
    let events = vote_seqs.into_iter().map(prove).collect();
    Protocol::assemble(events, checkpoint.to_note(), keys, &key).expect("protocol assembled")
}

/// The text poppler extracts, in layout mode (table rows stay on one line).
fn pdftotext(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run pdftotext ({error}): install Debian's poppler-utils (scripts/test does)"
            )
        });
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(pdf).expect("pdftotext reads the PDF");
    drop(stdin);
    let output = child.wait_with_output().expect("pdftotext finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "pdftotext failed: {stderr}"
    );
    String::from_utf8(output.stdout).expect("pdftotext writes UTF-8")
}

/// Pages as pdftotext separates them (form feeds).
fn pages(text: &str) -> Vec<&str> {
    text.split('\u{c}')
        .filter(|page| !page.trim().is_empty())
        .collect()
}

/// Whether a line of `text` has `left` and, after it, `right` (a table row).
fn has_row(text: &str, left: &str, right: &str) -> bool {
    text.lines().any(|line| {
        line.find(left).is_some_and(|at| {
            line[at + left.len()..]
                .split_whitespace()
                .collect::<Vec<_>>()
                == [right]
        })
    })
}

/// Same as `has_row` but the right part may be several words.
fn has_row_text(text: &str, left: &str, right: &str) -> bool {
    text.lines().any(|line| {
        line.find(left)
            .is_some_and(|at| line[at + left.len()..].trim() == right)
    })
}

fn root_hex(protocol: &Protocol) -> String {
    let checkpoint = plenum_audit::Checkpoint::parse(&protocol.checkpoint).expect("checkpoint");
    to_hex(&checkpoint.body.root)
}

fn council() -> Vec<Voter> {
    voters(&[
        "Jürgen Öztürk",
        "Anna Weiß",
        "Bärbel Müller-Lüdenscheidt",
        "Chloé Dubois",
    ])
}

fn roll_call() -> Scenario {
    Scenario {
        subject: UMLAUT_SUBJECT.to_owned(),
        mode: Mode::RollCall,
        options: Options::YesNo { abstain: true },
        voters: council(),
        ballots: vec![(1, "yes"), (0, "no"), (2, "yes")],
        cancel: None,
    }
}

/// What a roll-call protocol must read like in one language.
struct Expected {
    lang: Lang,
    headings: [&'static str; 7],
    yes_no_abstain: [&'static str; 3],
    did_not_vote: &'static str,
    lines: [&'static str; 3],
}

const GERMAN: Expected = Expected {
    lang: Lang::De,
    headings: [
        "Abstimmungsprotokoll",
        "Stimmberechtigte (4)",
        "Beteiligung",
        "Ergebnis",
        "Stimmen nach Namen",
        "Prüfung",
        "Namentliche Abstimmung",
    ],
    yes_no_abstain: ["Ja", "Nein", "Enthaltung"],
    did_not_vote: "— nicht abgestimmt",
    lines: [
        "3 von 4 Stimmberechtigten haben abgestimmt (75 %)",
        "2026-03-14T09:30:00Z (14. März 2026, 09:30 UTC)",
        "„plenum vote verify protocol.json“",
    ],
};

const ENGLISH: Expected = Expected {
    lang: Lang::En,
    headings: [
        "Voting protocol",
        "Eligible voters (4)",
        "Participation",
        "Result",
        "Ballots by voter",
        "Verification",
        "Roll-call vote",
    ],
    yes_no_abstain: ["Yes", "No", "Abstain"],
    did_not_vote: "— did not vote",
    lines: [
        "3 of 4 eligible voters voted (75 %)",
        "2026-03-14T09:30:00Z (14 March 2026, 09:30 UTC)",
        "\"plenum vote verify protocol.json\"",
    ],
};

#[test]
fn a_roll_call_protocol_reads_back_in_german_and_english() {
    let protocol = protocol(&roll_call());
    let hex = root_hex(&protocol);
    for expected in [GERMAN, ENGLISH] {
        let lang = expected.lang;
        let text = pdftotext(&render(&protocol, lang).expect("rendered"));
        for wanted in expected.headings.iter().chain(&expected.lines) {
            assert!(text.contains(wanted), "{lang:?}: no {wanted:?} in\n{text}");
        }
        // The subject (longer than one line) comes back whole, umlauts and quotes included.
        let flowing = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flowing.contains(UMLAUT_SUBJECT),
            "{lang:?}: subject missing in\n{text}"
        );
        let [yes, no, abstain] = expected.yes_no_abstain;
        for (option, count) in [(yes, "2"), (no, "1"), (abstain, "0")] {
            assert!(
                has_row(&text, option, count),
                "{lang:?}: no {option} {count} in\n{text}"
            );
        }
        assert!(
            has_row(&text, "Anna Weiß", yes),
            "{lang:?}: Anna's ballot missing"
        );
        assert!(
            has_row(&text, "Jürgen Öztürk", no),
            "{lang:?}: Jürgen's ballot missing"
        );
        let did_not_vote = expected.did_not_vote;
        assert!(
            has_row_text(&text, "Chloé Dubois", did_not_vote),
            "{lang:?}: Chloé missing"
        );
        assert!(
            text.contains(&hex),
            "{lang:?}: root hash {hex} missing in\n{text}"
        );
    }
}

#[test]
fn the_verification_block_prints_what_the_json_holds() {
    let protocol = protocol(&roll_call());
    let text = pdftotext(&render(&protocol, Lang::En).expect("rendered"));
    let json = serde_json::to_string(&protocol).expect("JSON");
    let checkpoint = plenum_audit::Checkpoint::parse(&protocol.checkpoint).expect("checkpoint");
    // The root hash as the checkpoint note writes it (base64, third line of the note).
    let root_base64 = protocol.checkpoint.lines().nth(2).expect("root line");
    assert!(
        text.contains(root_base64),
        "no base64 root {root_base64} in\n{text}"
    );
    assert!(has_row(&text, "Checkpoint origin", "rathaus.example/audit"));
    assert!(has_row(
        &text,
        "Checkpoint size (entries)",
        &checkpoint.body.size.to_string()
    ));
    assert!(has_row(&text, "Key name", "rathaus.example-audit-2026"));
    let public_key = to_hex(&signing_key().record().public_key);
    assert!(
        json.contains(&public_key) && text.contains(&public_key),
        "public key missing"
    );
    // The result signature, wrapped over lines, rejoins to the statement's signature line.
    let signature_line = protocol.statement.lines().last().expect("signature line");
    let signature = signature_line.rsplit(' ').next().expect("base64 part");
    let after = text
        .split("Result signature (Ed25519, base64)")
        .nth(1)
        .expect("signature label");
    let printed: String = after
        .lines()
        .skip(1)
        .take_while(|line| !line.trim().is_empty() && !line.contains(':'))
        .map(str::trim)
        .collect();
    assert!(
        printed.starts_with(signature),
        "printed {printed:?}, signed {signature:?}"
    );
}

#[test]
fn a_pseudonymous_protocol_lists_tokens_not_names() {
    let scenario = Scenario {
        subject: "Wahl der Schriftführung".to_owned(),
        mode: Mode::Pseudonymous,
        options: Options::Custom(vec![
            VoteOption::new("meier", "Frau Meier"),
            VoteOption::new("schulz", "Herr Schulz"),
        ]),
        voters: council(),
        ballots: vec![(0, "meier"), (3, "schulz"), (1, "meier"), (2, "meier")],
        cancel: None,
    };
    let protocol = protocol(&scenario);
    let hex = root_hex(&protocol);
    let tokens: Vec<(String, String)> = protocol
        .events
        .iter()
        .filter_map(|proven| match VoteEvent::from_entry(&proven.entry.entry) {
            Ok(VoteEvent::Ballot(plenum_vote::BallotRecord::Pseudonymous {
                token,
                option,
                ..
            })) => Some((token, option)),
            _ => None,
        })
        .collect();
    assert_eq!(tokens.len(), 4);
    for (lang, heading, note) in [
        (Lang::De, "Stimmen nach Token", "Pseudonym, nicht anonym"),
        (Lang::En, "Ballots by token", "Pseudonymous, not anonymous"),
    ] {
        let text = pdftotext(&render(&protocol, lang).expect("rendered"));
        assert!(
            text.contains(heading) && text.contains(note),
            "{lang:?}:\n{text}"
        );
        assert!(
            has_row(&text, "Frau Meier", "3"),
            "{lang:?}: tally missing in\n{text}"
        );
        assert!(
            has_row(&text, "Herr Schulz", "1"),
            "{lang:?}: tally missing in\n{text}"
        );
        assert!(text.contains(&hex), "{lang:?}: root hash missing");
        for (token, option) in &tokens {
            let label = if option == "meier" {
                "Frau Meier"
            } else {
                "Herr Schulz"
            };
            assert!(
                has_row_text(&text, token, label),
                "{lang:?}: token {token} missing"
            );
        }
        // Eligible voters are named, but no ballot line names a voter.
        assert!(text.contains("Anna Weiß"));
        assert!(!has_row_text(&text, "Anna Weiß", "Frau Meier"));
    }
}

#[test]
fn sixty_voters_span_numbered_pages() {
    let names: Vec<String> = (1..=60)
        .map(|i| format!("Ratsmitglied Nummer {i:02} Schäfer"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let options = ["yes", "no", "abstain"];
    let scenario = Scenario {
        subject: format!(
            "{UMLAUT_SUBJECT} {}",
            "und weitere Punkte der Tagesordnung ".repeat(11)
        )
        .trim_end()
        .to_owned(),
        mode: Mode::RollCall,
        options: Options::YesNo { abstain: true },
        voters: voters(&names),
        ballots: (0..57).map(|i| (i, options[i % 3])).collect(),
        cancel: None,
    };
    assert!(scenario.subject.chars().count() <= 500);
    let protocol = protocol(&scenario);
    for (lang, page_word, of) in [(Lang::De, "Seite", "von"), (Lang::En, "Page", "of")] {
        let text = pdftotext(&render(&protocol, lang).expect("rendered"));
        let pages = pages(&text);
        assert!(pages.len() >= 2, "{lang:?}: {} page(s)", pages.len());
        let count = pages.len();
        for (index, page) in pages.iter().enumerate() {
            let footer = format!("{page_word} {} {of} {count}", index + 1);
            assert!(
                page.contains(&footer),
                "{lang:?}: no {footer:?} on page {}",
                index + 1
            );
        }
        for name in &names {
            assert!(text.contains(name), "{lang:?}: {name} missing");
        }
        assert!(has_row(
            &text,
            if lang == Lang::De { "Ja" } else { "Yes" },
            "19"
        ));
        assert!(text.contains(&root_hex(&protocol)));
    }
}

#[test]
fn a_cancelled_vote_prints_its_reason_and_no_result() {
    let scenario = Scenario {
        cancel: Some("Beschlussunfähig: weniger als die Hälfte anwesend"),
        ballots: vec![(0, "yes")],
        ..roll_call()
    };
    let protocol = protocol(&scenario);
    let german = pdftotext(&render(&protocol, Lang::De).expect("rendered"));
    assert!(german.contains("Die Abstimmung wurde abgebrochen; es gibt kein Ergebnis."));
    assert!(german.contains("Beschlussunfähig: weniger als die Hälfte anwesend"));
    assert!(
        !german.contains("Abgegebene Stimmen"),
        "a result table was printed:\n{german}"
    );
    let english = pdftotext(&render(&protocol, Lang::En).expect("rendered"));
    assert!(english.contains("The vote was cancelled; there is no result."));
}

#[test]
fn a_tampered_protocol_is_not_printed() {
    let mut protocol = protocol(&roll_call());
    protocol.tally.options[0].count += 1;
    assert!(matches!(
        render(&protocol, Lang::De),
        Err(PdfError::Unverified(_))
    ));
}

#[test]
fn text_outside_windows_1252_becomes_question_marks_and_the_pdf_stays_valid() {
    let scenario = Scenario {
        subject: "Łódź 漢字 🗳 Beschluss".to_owned(),
        ..roll_call()
    };
    let text = pdftotext(&render(&protocol(&scenario), Lang::De).expect("rendered"));
    assert!(text.contains("?ód? ?? ? Beschluss"), "{text}");
}
