//! plenum-sfu (being written).
