//! Contract test of a meeting's scheduled start: unset by default, set on creation or
//! later, kept by other updates, cleared with `Some(None)`, and surviving the round trip
//! through the listing.

use super::TestStore;
use plenum_store::{MeetingUpdate, NewMeeting};
use time::Duration;

contract!(scheduled_start_is_set_kept_and_cleared);

async fn scheduled_start_is_set_kept_and_cleared(s: &TestStore) {
    let owner = super::user(s, "carol").await;
    let unscheduled = super::meeting(s, owner, "ad hoc").await;
    assert_eq!(s.meeting_by_id(unscheduled).await.unwrap().starts_at, None);

    let starts = super::t0() + Duration::days(3);
    let scheduled = s
        .create_meeting(
            NewMeeting {
                owner_id: owner,
                title: "planning".into(),
                password_hash: None,
                waiting_room: false,
                description: String::new(),
                starts_at: Some(starts),
            },
            super::t0(),
        )
        .await
        .unwrap();
    assert_eq!(scheduled.starts_at, Some(starts));
    let listed = s.meetings_by_owner(owner).await.unwrap();
    let starts_of = |id| listed.iter().find(|m| m.id == id).map(|m| m.starts_at);
    assert_eq!(starts_of(scheduled.id), Some(Some(starts)));
    assert_eq!(starts_of(unscheduled), Some(None));

    let later = super::t0() + Duration::minutes(1);
    let moved = starts + Duration::hours(2);
    let set = |at| MeetingUpdate {
        starts_at: Some(at),
        ..Default::default()
    };
    let m = s.update_meeting(unscheduled, set(Some(moved)), later).await;
    assert_eq!(m.unwrap().starts_at, Some(moved));
    let renamed = MeetingUpdate {
        title: Some("renamed".into()),
        ..Default::default()
    };
    let m = s.update_meeting(unscheduled, renamed, later).await.unwrap();
    assert_eq!((m.title.as_str(), m.starts_at), ("renamed", Some(moved)));
    let m = s.update_meeting(unscheduled, set(None), later).await;
    assert_eq!(m.unwrap().starts_at, None);
    assert_eq!(s.meeting_by_id(unscheduled).await.unwrap().starts_at, None);
    assert_eq!(
        s.meeting_by_id(scheduled.id).await.unwrap().starts_at,
        Some(starts)
    );
}
