//! The result statement example in docs/vote-protocol.md is the statement of the
//! roll-call fixture, byte for byte (Ed25519 signatures are deterministic).

use crate::fixture::{ROLL_CALL_BALLOTS, log_with_vote, protocol_of};
use plenum_vote::Mode;

#[test]
fn the_documented_statement_is_what_the_code_signs() {
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/vote-protocol.md"),
    )
    .unwrap();
    let documented = docs
        .split("<!-- statement-example:start -->\n```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n<!-- statement-example:end -->").next())
        .expect("docs/vote-protocol.md has the statement example between its markers");
    let (log, _) = log_with_vote(Mode::RollCall, ROLL_CALL_BALLOTS, None);
    let statement = protocol_of(&log).statement;
    assert_eq!(
        documented, statement,
        "docs/vote-protocol.md's example differs; the statement is:\n{statement}"
    );
}
