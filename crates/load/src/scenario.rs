//! Scenarios: who publishes what in how many rooms, e.g. `broadcast:1x50`.

use crate::participant::Publish;
use std::fmt;
use std::str::FromStr;

/// The most participants one run may have (all processes together).
pub const MAX_PARTICIPANTS: usize = 2000;

/// A load scenario; see [`Scenario::from_str`] for the forms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// As given, e.g. `meeting:10x10`.
    pub name: String,
    pub rooms: usize,
    /// Participants of each room that publish (the first ones).
    pub publishers: usize,
    /// Participants per room, publishers included.
    pub participants: usize,
    /// Whether publishers send their simulcast camera besides the microphone.
    pub video: bool,
}

/// Why a scenario name was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "scenario {0:?}: expected broadcast:PxV, meeting:PxN (N ≥ P), meetings:RxN or audio:PxV \
     with positive numbers and at most {MAX_PARTICIPANTS} participants"
)]
pub struct ScenarioError(String);

impl FromStr for Scenario {
    type Err = ScenarioError;

    /// - `broadcast:PxV`: one room, P publishers (simulcast camera + microphone), V viewers
    ///   that publish nothing;
    /// - `meeting:PxN`: one room of N participants, the first P publish (`meeting:10x10`:
    ///   everyone publishes and sees the 9 others);
    /// - `meetings:RxN`: R rooms of N participants who all publish;
    /// - `audio:PxV`: one room, P publishers of audio only, V listeners.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ScenarioError(s.to_owned());
        let (kind, sizes) = s.split_once(':').ok_or_else(error)?;
        let (a, b) = sizes.split_once('x').ok_or_else(error)?;
        let a: usize = a.parse().map_err(|_| error())?;
        let b: usize = b.parse().map_err(|_| error())?;
        if a == 0 || b == 0 {
            return Err(error());
        }
        let (rooms, publishers, participants, video) = match kind {
            "broadcast" => (1, a, a.checked_add(b).ok_or_else(error)?, true),
            "meeting" if b >= a => (1, a, b, true),
            "meetings" => (a, b, b, true),
            "audio" => (1, a, a.checked_add(b).ok_or_else(error)?, false),
            _ => return Err(error()),
        };
        if rooms
            .checked_mul(participants)
            .is_none_or(|n| n > MAX_PARTICIPANTS)
        {
            return Err(error());
        }
        Ok(Scenario {
            name: s.to_owned(),
            rooms,
            publishers,
            participants,
            video,
        })
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl Scenario {
    pub fn total_participants(&self) -> usize {
        self.rooms * self.participants
    }

    /// Participant number `index` (0-based over all rooms): its room and what it sends.
    pub fn role(&self, index: usize) -> (usize, Publish) {
        let room = index / self.participants;
        let publish = if index % self.participants >= self.publishers {
            Publish::Nothing
        } else if self.video {
            Publish::AudioVideo
        } else {
            Publish::Audio
        };
        (room, publish)
    }

    /// Streams all subscribers together should receive: from every publisher of their
    /// room but themselves, audio and (if any) video.
    pub fn expected_streams(&self) -> usize {
        let per_publisher = if self.video { 2 } else { 1 };
        let viewers = self.participants - self.publishers;
        let per_room = self.publishers * (self.publishers - 1) + viewers * self.publishers;
        self.rooms * per_room * per_publisher
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_scenarios_parse_with_their_stream_counts() {
        let broadcast: Scenario = "broadcast:1x50".parse().unwrap();
        assert_eq!(broadcast.total_participants(), 51);
        assert_eq!(broadcast.expected_streams(), 100);
        assert_eq!(broadcast.role(0).1, Publish::AudioVideo);
        assert_eq!(broadcast.role(1).1, Publish::Nothing);
        let meeting: Scenario = "meeting:10x10".parse().unwrap();
        assert_eq!(meeting.total_participants(), 10);
        assert_eq!(meeting.expected_streams(), 10 * 9 * 2);
        let meetings: Scenario = "meetings:20x4".parse().unwrap();
        assert_eq!(meetings.total_participants(), 80);
        assert_eq!(meetings.role(5), (1, Publish::AudioVideo));
        assert_eq!(meetings.expected_streams(), 20 * 4 * 3 * 2);
        let audio: Scenario = "audio:1x200".parse().unwrap();
        assert_eq!(audio.total_participants(), 201);
        assert_eq!(audio.role(0).1, Publish::Audio);
        assert_eq!(audio.expected_streams(), 200);
        let partial: Scenario = "meeting:2x5".parse().unwrap();
        assert_eq!(partial.expected_streams(), (2 + 3 * 2) * 2);
    }

    #[test]
    fn malformed_or_oversized_scenarios_are_refused() {
        for bad in [
            "",
            "meeting",
            "meeting:3",
            "meeting:3x",
            "meeting:0x3",
            "meeting:5x3",
            "party:2x2",
            "meetings:100x100",
            "broadcast:1x-1",
            "audio:1x2000",
        ] {
            assert!(bad.parse::<Scenario>().is_err(), "{bad}");
        }
    }
}
