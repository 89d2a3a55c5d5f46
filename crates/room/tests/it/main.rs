//! Behavioural tests of plenum-room, through its public API only: each test drives a room
//! with inputs and asserts on the exact outputs (who gets what, in which order).

mod bridge;
mod chat;
mod hands;
mod join;
mod lifecycle;
mod lock;
mod media;
mod moderation;
mod polls;
mod random;
mod reactions;
mod resume;
mod support;
mod votes;
