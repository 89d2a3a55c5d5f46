//! The rest of the catalogue for `audit_events`: moderation over the signaling socket,
//! administration over REST, the security alarms and the trail's own actions — each
//! performed for real on the same instance, then found in its trail — and the guard that
//! every catalogue action Plenum can perform was seen, so an action added without a test
//! fails the suite.

use crate::admin::{ROOT_PASSWORD, account};
use crate::audit_events::{detail, find, trail};
use crate::common::{Req, TestApp};
use crate::signaling::{Served, Ws, closed_with, expect, send};
use axum::http::{Method, StatusCode};
use plenum_audit::{ActorKind, Entry, Outcome};
use plenum_protocol::{AccountRole, MeetingId};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// Catalogue actions no code path records yet: recordings and live streams do not exist.
/// Each leaves this list when its feature lands, together with its test.
const NOT_YET_PERFORMABLE: &[&str] = &[
    "recording.start",
    "recording.stop",
    "streaming.start",
    "streaming.stop",
];

/// Long enough for the meeting writer on a loaded 2-core machine; reached only on failure.
const WRITER_DEADLINE: Duration = Duration::from_secs(10);

/// Reads the trail until `seen` holds for it (the meeting writer appends asynchronously).
async fn wait_until(app: &TestApp, what: &str, seen: impl Fn(&[Entry]) -> bool) -> Vec<Entry> {
    let started = tokio::time::Instant::now();
    loop {
        let entries = trail(app).await;
        if seen(&entries) {
            return entries;
        }
        if started.elapsed() > WRITER_DEADLINE {
            let actions: Vec<_> = entries.iter().map(|e| (&e.action, e.outcome)).collect();
            panic!("{what} never recorded: {actions:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Entries of `action` for `resource` with `outcome`, newest last.
fn entries_of<'a>(
    entries: &'a [Entry],
    action: &str,
    resource: &str,
    outcome: Outcome,
) -> Vec<&'a Entry> {
    entries
        .iter()
        .filter(|e| e.action == action && e.resource == resource && e.outcome == outcome)
        .collect()
}

/// Waits until the meeting's trail holds `count` successful `action` entries; returns
/// the newest.
async fn recorded(app: &TestApp, meeting: MeetingId, action: &str, count: usize) -> Entry {
    let resource = format!("meeting:{meeting}");
    let entries = wait_until(app, action, |entries| {
        entries_of(entries, action, &resource, Outcome::Success).len() >= count
    })
    .await;
    let found = entries_of(&entries, action, &resource, Outcome::Success);
    assert_eq!(found.len(), count, "{action}: {found:?}");
    found[count - 1].clone()
}

/// A vote cancelled, then one cast and closed by itself (the owner is the only eligible
/// voter left): vote.open and vote.cancel by the owner, vote.ballot by the voter (roll
/// call), vote.close by the system.
async fn vote_actions(app: &TestApp, owner: &mut Ws, live: MeetingId, alice_id: &str) {
    let steps = [
        (
            "vote.cancel",
            json!({"reason": "wrong item"}),
            "vote.cancelled",
        ),
        ("vote.ballot", json!({"option": "yes"}), "vote.closed"),
    ];
    for (kind, mut payload, answer) in steps {
        let open = json!({"subject": "Minutes approved", "mode": "roll_call"});
        send(owner, json!({"type": "vote.open", "payload": open})).await;
        payload["vote_id"] = expect(owner, "vote.opened").await["payload"]["vote_id"].clone();
        send(owner, json!({"type": kind, "payload": payload})).await;
        expect(owner, answer).await;
    }
    let opened = recorded(app, live, "vote.open", 2).await;
    assert_by_owner(&opened, alice_id, None);
    let cancelled = recorded(app, live, "vote.cancel", 1).await;
    assert_by_owner(&cancelled, alice_id, None);
    assert_eq!(detail(&cancelled, "reason"), "wrong item");
    let cast = recorded(app, live, "vote.ballot", 1).await;
    assert_by_owner(&cast, alice_id, None);
    assert_eq!(detail(&cast, "option"), "yes");
    let closed = recorded(app, live, "vote.close", 1).await;
    assert_eq!(closed.actor.kind, ActorKind::System);
    assert_eq!(detail(&closed, "reason"), "all_voted");
}

/// A moderation entry by the owner alice, naming `target` where the action has one.
#[track_caller]
fn assert_by_owner(entry: &Entry, alice_id: &str, target: Option<&str>) {
    assert_eq!(entry.actor.kind, ActorKind::User, "{entry:?}");
    assert_eq!(crate::audit_events::clear(&entry.actor.id), alice_id);
    if let Some(target) = target {
        assert_eq!(detail(entry, "participant"), target, "{entry:?}");
    }
}

/// A guest who asks to join and waits; returns its socket and the id the owner sees in
/// the waiting list.
async fn waiting_guest(
    served: &Served,
    owner: &mut Ws,
    meeting: MeetingId,
    name: &str,
) -> (Ws, String) {
    let mut guest = served.connect().await;
    let token = served.guest_token(meeting, name);
    send(
        &mut guest,
        json!({"type": "session.auth", "payload": {"token": token}}),
    )
    .await;
    expect(&mut guest, "session.authenticated").await;
    send(&mut guest, json!({"type": "room.join"})).await;
    expect(&mut guest, "room.waiting").await;
    loop {
        let state = expect(owner, "room.state").await;
        let waiting = state["payload"]["waiting"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if let Some(found) = waiting.iter().find(|w| w["display_name"] == name) {
            return (guest, found["id"].as_str().unwrap().to_owned());
        }
    }
}

async fn moderate(owner: &mut Ws, kind: &str, payload: Value) {
    send(owner, json!({"type": kind, "payload": payload})).await;
}

/// Reads until a `participant.updated` shows the hand of `id` `raised` (or lowered).
async fn hand_seen(owner: &mut Ws, id: &str, raised: bool) {
    loop {
        let update = expect(owner, "participant.updated").await;
        if update["payload"]["id"] == id && update["payload"]["hand_raised"] == raised {
            return;
        }
    }
}

/// Admission, denial, moderator rights, hands, waiting room, lock, removal and the end of
/// the meeting for all, in a meeting with a waiting room.
pub(crate) async fn moderation_actions(served: &Served) {
    let app = &served.app;
    let alice_id = app
        .state
        .store
        .user_by_username("alice")
        .await
        .unwrap()
        .id
        .to_string();
    let (live, owner_token) = served.meeting(true).await;
    let mut owner = served.join(&owner_token).await;

    let (mut gina, waiting_gina) = waiting_guest(served, &mut owner, live, "Gina").await;
    moderate(
        &mut owner,
        "moderation.admit",
        json!({"participant_id": waiting_gina}),
    )
    .await;
    expect(&mut gina, "room.join_success").await;
    let joined = expect(&mut owner, "participant.joined").await;
    let gina_id = joined["payload"]["id"].as_str().unwrap().to_owned();
    let admit = recorded(app, live, "participant.admit", 1).await;
    assert_by_owner(&admit, &alice_id, Some(&waiting_gina));

    let (mut dora, waiting_dora) = waiting_guest(served, &mut owner, live, "Dora").await;
    moderate(
        &mut owner,
        "moderation.deny",
        json!({"participant_id": waiting_dora}),
    )
    .await;
    expect(&mut dora, "room.denied").await;
    let deny = recorded(app, live, "participant.deny", 1).await;
    assert_by_owner(&deny, &alice_id, Some(&waiting_dora));

    // The signaling message and the catalogue action share their names here.
    for action in ["moderation.grant_moderator", "moderation.revoke_moderator"] {
        moderate(&mut owner, action, json!({"participant_id": gina_id})).await;
        let entry = recorded(app, live, action, 1).await;
        assert_by_owner(&entry, &alice_id, Some(&gina_id));
    }

    // Lowering one raised hand, then all of them.
    send(&mut gina, json!({"type": "hand.raise", "payload": {}})).await;
    hand_seen(&mut owner, &gina_id, true).await;
    moderate(
        &mut owner,
        "moderation.lower_hand",
        json!({"participant_id": gina_id}),
    )
    .await;
    hand_seen(&mut owner, &gina_id, false).await;
    let one = recorded(app, live, "moderation.lower_hand", 1).await;
    assert_by_owner(&one, &alice_id, Some(&gina_id));
    send(&mut gina, json!({"type": "hand.raise", "payload": {}})).await;
    hand_seen(&mut owner, &gina_id, true).await;
    moderate(&mut owner, "moderation.lower_all_hands", json!({})).await;
    hand_seen(&mut owner, &gina_id, false).await;
    let all = recorded(app, live, "moderation.lower_hand", 2).await;
    assert_by_owner(&all, &alice_id, None);
    assert_eq!(detail(&all, "all"), "true");

    // Room settings: each entry names the new value.
    for (message, payload, action, key) in [
        (
            "moderation.set_waiting_room",
            json!({"enabled": false}),
            "moderation.waiting_room",
            "enabled",
        ),
        (
            "moderation.set_locked",
            json!({"locked": true}),
            "moderation.lock",
            "locked",
        ),
    ] {
        let value = payload[key].to_string();
        moderate(&mut owner, message, payload).await;
        let entry = recorded(app, live, action, 1).await;
        assert_by_owner(&entry, &alice_id, None);
        assert_eq!(detail(&entry, key), value, "{action}");
    }

    moderate(
        &mut owner,
        "moderation.remove",
        json!({"participant_id": gina_id}),
    )
    .await;
    expect(&mut gina, "room.removed").await;
    closed_with(&mut gina, WRITER_DEADLINE).await;
    let remove = recorded(app, live, "moderation.remove", 1).await;
    assert_by_owner(&remove, &alice_id, Some(&gina_id));

    vote_actions(app, &mut owner, live, &alice_id).await;

    moderate(&mut owner, "moderation.end", json!({})).await;
    expect(&mut owner, "room.ended").await;
    let end = recorded(app, live, "moderation.end_for_all", 1).await;
    assert_by_owner(&end, &alice_id, None);
    let closed = recorded(app, live, "meeting.end", 1).await;
    assert_eq!(closed.actor.kind, ActorKind::System);
}

async fn admin_request(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> StatusCode {
    let mut request = Req::new(method, path).bearer(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    let answer = app.send(request).await;
    assert!(answer.status.is_success(), "{path}: {answer:?}");
    answer.status
}

/// An account updated, re-roled and deleted, a tenant created, renamed and deleted, the
/// policy changed, an API client created and revoked — all by an instance admin.
pub(crate) async fn administration_actions(app: &TestApp) {
    let root = account(app, "root", AccountRole::InstanceAdmin, "default").await;
    let root_id = app
        .state
        .store
        .user_by_username("root")
        .await
        .unwrap()
        .id
        .to_string();
    let by_root = |entry: &Entry| {
        assert_eq!(entry.actor.kind, ActorKind::User, "{entry:?}");
        assert_eq!(crate::audit_events::clear(&entry.actor.id), root_id);
    };

    let created = app
        .send(Req::post("/api/v1/tenants/default/users").bearer(&root).json(json!({
            "username": "carl", "display_name": "Carl", "password": ROOT_PASSWORD, "role": "user"
        })))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let carl = created.body["id"].as_str().unwrap().to_owned();
    let carl_path = format!("/api/v1/tenants/default/users/{carl}");
    admin_request(
        app,
        Method::PATCH,
        &carl_path,
        &root,
        Some(json!({"display_name": "Carl B."})),
    )
    .await;
    admin_request(
        app,
        Method::PATCH,
        &carl_path,
        &root,
        Some(json!({"role": "auditor"})),
    )
    .await;
    admin_request(app, Method::DELETE, &carl_path, &root, None).await;

    let tenant = app
        .send(
            Req::post("/api/v1/tenants")
                .bearer(&root)
                .json(json!({"id": "zeta", "name": "Zeta"})),
        )
        .await;
    assert_eq!(tenant.status, StatusCode::CREATED, "{tenant:?}");
    admin_request(
        app,
        Method::PATCH,
        "/api/v1/tenants/zeta",
        &root,
        Some(json!({"name": "Zeta AG"})),
    )
    .await;
    admin_request(app, Method::DELETE, "/api/v1/tenants/zeta", &root, None).await;

    let policy = app
        .send(Req::get("/api/v1/tenants/default/policy").bearer(&root))
        .await;
    let mut policy = policy.body;
    policy["guests_allowed"] = json!(false);
    admin_request(
        app,
        Method::PUT,
        "/api/v1/tenants/default/policy",
        &root,
        Some(policy),
    )
    .await;

    let client = app
        .send(
            Req::post("/api/v1/tenants/default/api-clients")
                .bearer(&root)
                .json(json!({"name": "Reporting", "scopes": ["meetings:read"]})),
        )
        .await;
    assert_eq!(client.status, StatusCode::CREATED, "{client:?}");
    let client_id = client.body["client"]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    admin_request(
        app,
        Method::DELETE,
        &format!("/api/v1/tenants/default/api-clients/{client_id}"),
        &root,
        None,
    )
    .await;

    let entries = trail(app).await;
    let carl_resource = format!("user:{carl}");
    for action in [
        "user.create",
        "user.update",
        "user.role_change",
        "user.delete",
    ] {
        let entry = find(&entries, action, Outcome::Success);
        assert_eq!(entry.resource, carl_resource, "{action}");
        by_root(entry);
    }
    assert_eq!(
        detail(find(&entries, "user.update", Outcome::Success), "field"),
        "display_name"
    );
    let role_change = find(&entries, "user.role_change", Outcome::Success);
    assert_eq!(
        (detail(role_change, "from"), detail(role_change, "to")),
        ("user", "auditor")
    );
    assert_eq!(
        detail(find(&entries, "user.delete", Outcome::Success), "role"),
        "auditor"
    );
    for action in ["tenant.create", "tenant.update", "tenant.delete"] {
        let entry = find(&entries, action, Outcome::Success);
        assert_eq!(entry.resource, "tenant:zeta", "{action}");
        by_root(entry);
    }
    assert_eq!(
        detail(find(&entries, "tenant.update", Outcome::Success), "field"),
        "name"
    );
    by_root(find(&entries, "config.change", Outcome::Success));
    for action in ["api_client.create", "api_client.revoke"] {
        let entry = find(&entries, action, Outcome::Success);
        assert_eq!(
            entry.resource,
            format!("api_client:{client_id}"),
            "{action}"
        );
        by_root(entry);
    }
}

/// A brute-forced account, a burst of denials and a refused back-channel logout.
pub(crate) async fn security_alarms(app: &TestApp) {
    const GUESSER: &str = "198.51.100.23:40000";
    const PROBER: &str = "198.51.100.24:40000";
    // Five failures within ten minutes lock the account (see lockout.rs).
    for _ in 0..5 {
        let answer = app
            .send(
                Req::post("/api/v1/auth/login")
                    .peer(GUESSER)
                    .json(json!({"username": "bob", "password": "guess"})),
            )
            .await;
        answer.assert_problem(401, "invalid_credentials");
    }
    for _ in 0..plenum_server::denial_burst::BURST_THRESHOLD {
        app.send(Req::get("/api/v1/me").bearer("not.a.token").peer(PROBER))
            .await
            .assert_problem(401, "token_malformed");
    }
    let refused = app
        .send(
            Req::post("/api/v1/auth/oidc/nowhere/backchannel-logout").raw(
                Some("application/x-www-form-urlencoded"),
                "logout_token=forged",
            ),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{refused:?}");

    let entries = trail(app).await;
    // One lock for the account, one for the source address; neither names the account.
    let scopes: BTreeSet<&str> = entries
        .iter()
        .filter(|e| e.action == "auth.lockout" && e.outcome == Outcome::Success)
        .map(|e| detail(e, "scope"))
        .collect();
    assert_eq!(scopes, BTreeSet::from(["account", "source"]));
    let burst = find(&entries, "access.denied_burst", Outcome::Success);
    assert_eq!(
        detail(burst, "denials"),
        plenum_server::denial_burst::BURST_THRESHOLD.to_string()
    );
    assert_eq!(
        burst.source.as_ref().map(crate::audit_events::clear),
        Some("198.51.100.24")
    );
    let logout = find(&entries, "auth.backchannel_logout", Outcome::Denied);
    assert_eq!(logout.actor.kind, ActorKind::Service);
    assert_eq!(crate::audit_events::clear(&logout.actor.id), "oidc:nowhere");
}

/// The trail's own actions: the signing key's entry at the first seal, an auditor's
/// search, checkpoint read and export, and a retention run.
pub(crate) async fn trail_actions(app: &TestApp) {
    let sealed = plenum_server::audit::checkpoints::seal_now(&app.state).await;
    assert!(sealed.is_some(), "nothing was sealed");
    let auditor = account(app, "audrey", AccountRole::Auditor, "default").await;
    for path in [
        "/api/v1/audit/entries?action=auth.login&limit=5",
        "/api/v1/audit/checkpoint",
        "/api/v1/audit/export",
    ] {
        let answer = app.send(Req::get(path).bearer(&auditor)).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer:?}");
    }
    let state = &app.state;
    plenum_server::audit::retention::run_once(&state.store, &state.config, &state.audit_signer)
        .await
        .unwrap();

    let entries = trail(app).await;
    let key = find(&entries, "audit.key_valid", Outcome::Success);
    assert_eq!(key.actor.kind, ActorKind::System);
    assert!(key.resource.starts_with("audit-key:"), "{key:?}");
    let reads: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.action == "audit.read" && e.actor.kind == ActorKind::User)
        .collect();
    assert_eq!(reads.len(), 2, "a search and a checkpoint read: {reads:?}");
    let export = find(&entries, "audit.export", Outcome::Success);
    assert_eq!(export.actor.kind, ActorKind::User);
    let run = find(&entries, "retention.run", Outcome::Success);
    assert_eq!(run.actor.kind, ActorKind::System);
    assert_eq!(
        detail(run, "audit"),
        "0",
        "nothing is older than the retention period"
    );
}

/// The guard: every catalogue action Plenum can perform is in the trail of this run.
pub(crate) fn assert_every_action_seen(entries: &[Entry]) {
    let seen: BTreeSet<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for action in NOT_YET_PERFORMABLE {
        assert!(
            plenum_audit::catalogue::lookup(action).is_some(),
            "{action} is not in the catalogue any more; drop it from NOT_YET_PERFORMABLE"
        );
        assert!(
            !seen.contains(action),
            "{action} is recorded now; drop it from NOT_YET_PERFORMABLE and check its entry"
        );
    }
    let missing: Vec<&str> = plenum_audit::catalogue::ACTIONS
        .iter()
        .map(|spec| spec.name)
        .filter(|name| !NOT_YET_PERFORMABLE.contains(name) && !seen.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "catalogue actions no test performed and found in the trail: {missing:?}"
    );
}
