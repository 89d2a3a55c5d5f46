//! Wire types of Plenum, the only place where they are defined.
//!
//! - [`signaling`]: the browser ↔ server WebSocket protocol (docs/signaling.md);
//!   [`vote`] holds the payloads of its formal votes.
//! - [`rest`]: request and response bodies of the REST API under `/api/v1`.
//! - [`roles`]: account roles and the default tenant.
//! - [`admin`]: bodies of the administration API (tenants, accounts, policy, API clients).
//! - [`bridge`]: commands from the control plane to a media bridge and the events it
//!   answers with. Today both run in one process and exchange these values over channels;
//!   keeping them plain data lets a bridge move to another host later.
//!
//! Identifiers are newtypes so a participant id cannot be passed where a meeting id is meant.

pub mod admin;
pub mod bridge;
pub mod ids;
pub mod rest;
pub mod roles;
pub mod signaling;
pub mod vote;

pub use ids::{MeetingId, ParticipantId, UserId, VoteId};
pub use roles::{AccountRole, DEFAULT_TENANT};
