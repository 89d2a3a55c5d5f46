//! The auditor's API (SEC-07, SEC-16): the auditor queries the trail, administrators and
//! users get 403 problems, a tenant's auditor sees only that tenant, bad queries are 400
//! problems, and every read is itself in the trail.

use crate::admin::account;
use crate::common::{Req, TestApp};
use axum::http::StatusCode;
use plenum_audit::{Actor, ActorKind, Entry, Outcome, Personal, Value};
use plenum_protocol::AccountRole;
use serde_json::Value as Json;

/// Appends an entry as the server's own code would.
async fn record(app: &TestApp, tenant: &str, action: &str, actor: &str, resource: &str) {
    let entry = Entry {
        seq: 0,
        time_ms: plenum_server::audit::now_ms(),
        tenant: tenant.into(),
        actor: Actor {
            kind: ActorKind::User,
            id: Value::Personal(Personal::new(actor, &[5; 16]).unwrap()),
        },
        source: None,
        action: action.into(),
        resource: resource.into(),
        outcome: Outcome::Success,
        request_id: None,
        details: Vec::new(),
    };
    app.state.store.append_audit(entry).await.unwrap();
}

async fn get(app: &TestApp, token: &str, query: &str) -> crate::common::Answer {
    app.send(Req::get(&format!("/api/v1/audit/entries{query}")).bearer(token))
        .await
}

fn actions(body: &Json) -> Vec<String> {
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn only_the_auditor_reads_the_trail_and_each_read_is_recorded() {
    let app = TestApp::new().await;
    app.state
        .store
        .create_tenant("acme", "Acme", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let auditor = account(&app, "audrey", AccountRole::Auditor, "default").await;
    let acme_auditor = account(&app, "carl", AccountRole::Auditor, "acme").await;
    let admin = account(&app, "adam", AccountRole::InstanceAdmin, "default").await;
    let tenant_admin = account(&app, "tess", AccountRole::TenantAdmin, "default").await;
    let user = app.login("alice").await;
    let meeting = uuid::Uuid::new_v4();
    record(
        &app,
        "default",
        "meeting.create",
        "u-1",
        &format!("meeting:{meeting}"),
    )
    .await;
    record(&app, "acme", "meeting.create", "u-2", "meeting:other").await;
    record(
        &app,
        "default",
        "participant.join",
        "u-3",
        &format!("meeting:{meeting}"),
    )
    .await;

    // Administrators and users are refused with a problem body (SEC-07).
    for token in [&admin, &tenant_admin, &user] {
        let answer = get(&app, token, "").await;
        answer.assert_problem(403, "forbidden");
    }
    let answer = app.send(Req::get("/api/v1/audit/entries")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{answer:?}");

    // The instance's auditor: filters by meeting and by action.
    let answer = get(&app, &auditor, &format!("?meeting={meeting}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(
        actions(&answer.body),
        ["meeting.create", "participant.join"]
    );
    let answer = get(&app, &auditor, "?action=meeting.create&actor=u-2").await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["entries"][0]["entry"]["tenant"], "acme");
    assert_eq!(
        answer.body["entries"][0]["entry"]["actor"]["id"]["personal"]["value"],
        "u-2"
    );
    // Paging: one per page, `next` until the end.
    let first = get(&app, &auditor, "?action=meeting.create&limit=1").await;
    assert_eq!(first.body["entries"].as_array().unwrap().len(), 1);
    let next = first.body["next"].as_u64().expect("a next page");
    let second = get(
        &app,
        &auditor,
        &format!("?action=meeting.create&limit=1&after={next}"),
    )
    .await;
    assert_eq!(second.body["entries"][0]["entry"]["tenant"], "acme");
    assert!(second.body.get("next").is_none(), "{:?}", second.body);

    // A tenant's auditor sees only the own tenant (its own reads included).
    let answer = get(&app, &acme_auditor, "?action=meeting.create").await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let tenants: Vec<&str> = answer.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(tenants, ["acme"]);

    // The latest checkpoint; refused to admins.
    app.state
        .audit_signer
        .checkpoint(&app.state.config.audit, &app.state.store)
        .await
        .unwrap();
    let answer = app
        .send(Req::get("/api/v1/audit/checkpoint").bearer(&auditor))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    plenum_audit::Checkpoint::parse(answer.body["note"].as_str().unwrap()).unwrap();
    app.send(Req::get("/api/v1/audit/checkpoint").bearer(&admin))
        .await
        .assert_problem(403, "forbidden");

    // Bad queries are 400 problems.
    for query in [
        "?limit=0",
        "?limit=1001",
        "?from=yesterday",
        "?from=2026-11-27T10:00:00Z&to=2026-11-27T09:00:00Z",
        "?action=no.such_action",
        "?outcome=maybe",
        "?meeting=not-a-uuid",
        "?after=-1",
        "?colour=red",
    ] {
        get(&app, &auditor, query)
            .await
            .assert_problem(400, "invalid_query");
    }

    // Every successful read is in the trail, by the reader, with its query.
    let answer = get(&app, &auditor, "?action=audit.read&limit=1000").await;
    let reads: Vec<&Json> = answer.body["entries"].as_array().unwrap().iter().collect();
    // audrey: meeting, action+actor, two pages, the checkpoint; carl: one. This query is
    // recorded after it is answered.
    assert_eq!(reads.len(), 6, "{reads:#?}");
    assert!(reads.iter().any(|e| {
        e["entry"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["value"]["text"] == format!("meeting={meeting}"))
    }));
}

#[tokio::test]
async fn the_auditor_exports_a_bundle_that_verifies_offline_and_gets_proofs() {
    let app = TestApp::new().await;
    app.state
        .store
        .create_tenant("acme", "Acme", time::OffsetDateTime::now_utc())
        .await
        .unwrap();
    let auditor = account(&app, "audrey", AccountRole::Auditor, "default").await;
    let acme_auditor = account(&app, "carl", AccountRole::Auditor, "acme").await;
    let admin = account(&app, "adam", AccountRole::InstanceAdmin, "default").await;
    for n in 0..5 {
        record(
            &app,
            "default",
            "meeting.create",
            &format!("u-{n}"),
            "meeting:x",
        )
        .await;
    }
    record(&app, "acme", "meeting.create", "u-acme", "meeting:y").await;
    let signer = &app.state.audit_signer;
    signer
        .checkpoint(&app.state.config.audit, &app.state.store)
        .await
        .unwrap()
        .expect("a checkpoint of the new entries");

    let answer = app
        .send(Req::get("/api/v1/audit/checkpoint").bearer(&auditor))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let witness = plenum_audit::Checkpoint::parse(answer.body["note"].as_str().unwrap()).unwrap();
    assert_eq!(answer.body["size"], witness.body.size);

    // The bundle verifies offline, against the checkpoint as a witness too.
    let answer = app
        .send(Req::get("/api/v1/audit/export").bearer(&auditor))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let bundle =
        plenum_audit::Bundle::from_json(&serde_json::to_vec(&answer.body).unwrap()).unwrap();
    let report = plenum_audit::verify_bundle(&bundle, Some(&witness)).expect("verifies");
    assert_eq!(report.entries, witness.body.size);
    // A changed entry in the exported bundle is caught, naming it.
    let mut tampered = bundle.clone();
    let victim = tampered.entries.len() - 1;
    tampered.entries[victim].entry.resource = "meeting:forged".into();
    let error = plenum_audit::verify_bundle(&tampered, None).expect_err("tampered");
    assert!(error.to_string().contains("seq"), "{error}");

    // A range: from a time and up to a seq.
    let from = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let from = from
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let answer = app
        .send(Req::get(&format!("/api/v1/audit/export?from={from}&to=3")).bearer(&auditor))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    // Refused: administrators, and auditors of one tenant (a bundle holds every tenant).
    app.send(Req::get("/api/v1/audit/export").bearer(&admin))
        .await
        .assert_problem(403, "forbidden");
    app.send(Req::get("/api/v1/audit/export").bearer(&acme_auditor))
        .await
        .assert_problem(403, "forbidden");
    app.send(Req::get("/api/v1/audit/export?from=later").bearer(&auditor))
        .await
        .assert_problem(400, "invalid_query");

    // An inclusion proof checks against the signed root.
    let seq = bundle
        .entries
        .iter()
        .find(|e| e.entry.tenant == "acme" && e.entry.action == "meeting.create")
        .unwrap()
        .entry
        .seq;
    let answer = app
        .send(Req::get(&format!("/api/v1/audit/entries/{seq}/proof")).bearer(&auditor))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let proof: Vec<plenum_audit::Hash> = answer.body["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| plenum_audit::hash_from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    let checkpoint =
        plenum_audit::Checkpoint::parse(answer.body["checkpoint"].as_str().unwrap()).unwrap();
    checkpoint
        .verify(&bundle.keys)
        .expect("signed by a bundle key");
    let leaf: plenum_audit::BundleEntry =
        serde_json::from_value(answer.body["entry"].clone()).unwrap();
    assert_eq!(leaf.leaf_hash, leaf.entry.leaf_hash().unwrap());
    plenum_audit::merkle::verify_inclusion(
        &leaf.leaf_hash,
        seq,
        checkpoint.body.size,
        &proof,
        &checkpoint.body.root,
    )
    .expect("the proof leads to the signed root");
    // The acme auditor may prove acme's entry, not the default tenant's.
    let answer = app
        .send(Req::get(&format!("/api/v1/audit/entries/{seq}/proof")).bearer(&acme_auditor))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    let other = bundle
        .entries
        .iter()
        .find(|e| e.entry.tenant == "default")
        .unwrap()
        .entry
        .seq;
    app.send(Req::get(&format!("/api/v1/audit/entries/{other}/proof")).bearer(&acme_auditor))
        .await
        .assert_problem(404, "not_found");
    app.send(Req::get("/api/v1/audit/entries/999999/proof").bearer(&auditor))
        .await
        .assert_problem(409, "not_sealed");
    app.send(Req::get("/api/v1/audit/entries/x/proof").bearer(&auditor))
        .await
        .assert_problem(404, "not_found");

    // The exports and proofs are in the trail.
    let answer = app
        .send(Req::get("/api/v1/audit/entries?action=audit.export").bearer(&auditor))
        .await;
    assert_eq!(actions(&answer.body).len(), 2, "{:?}", answer.body);
}
