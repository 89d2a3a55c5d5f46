//! plenum-load: many synthetic WebRTC participants in one process, for measuring an SFU.
//!
//! The participant engine ([`participant`]) speaks WebRTC through str0m and sends
//! pre-built VP8 simulcast and Opus ([`media`]); it reaches a server only through a
//! [`driver::Driver`]: [`plenum::PlenumDriver`] for Plenum, `janus` for Janus's VideoRoom.
//! docs/load-tool.md describes the tool and its figures.

pub mod clock;
pub mod driver;
pub mod floor;
pub mod janus;
pub mod media;
pub mod participant;
pub mod plenum;
pub mod procfs;
pub mod report;
pub mod run;
pub mod scenario;
pub mod stats;
