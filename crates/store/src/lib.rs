//! plenum-store (being written).
