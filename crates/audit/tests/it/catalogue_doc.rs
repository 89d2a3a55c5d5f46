//! `docs/audit-events.md` lists exactly the catalogue: the table between its markers must
//! be what `plenum_audit::catalogue::markdown_table` writes.

#[test]
fn the_event_doc_matches_the_catalogue() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/audit-events.md");
    let doc = std::fs::read_to_string(path).expect("docs/audit-events.md exists");
    let (start, end) = ("<!-- catalogue:start -->\n", "<!-- catalogue:end -->");
    let table = doc
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(table, _)| table)
        .expect("docs/audit-events.md has the catalogue markers");
    let expected = plenum_audit::catalogue::markdown_table();
    assert!(
        table == expected,
        "docs/audit-events.md disagrees with plenum_audit::catalogue::ACTIONS; \
         put this between its markers:\n{expected}"
    );
}
