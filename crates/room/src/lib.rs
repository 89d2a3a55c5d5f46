//! plenum-room (being written).
