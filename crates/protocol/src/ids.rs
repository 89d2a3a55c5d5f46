//! Identifier newtypes. All are random UUIDs (v4) and serialize as their hyphenated string.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id.
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A meeting (a persistent room that people join through its invite links).
    MeetingId
);
uuid_id!(
    /// One participant of a live meeting: fresh for every connection, so the same user in
    /// two tabs is two participants.
    ParticipantId
);
uuid_id!(
    /// A registered account, or the random subject of a guest token.
    UserId
);
uuid_id!(
    /// A formal vote inside a meeting (docs/signaling.md, "Votes").
    VoteId
);
