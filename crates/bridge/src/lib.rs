//! plenum-bridge (being written).
