//! The compact range (Merkle "frontier") of a log: the roots of the perfect subtrees
//! that the binary decomposition of the tree size cuts the leaves into, left to right.
//!
//! A log of `n` leaves has exactly `n.count_ones()` of them (at most 64 hashes), and they
//! are all a writer needs to append the next leaf and to compute the root: a database
//! writer keeps them in one row instead of reading every leaf hash again, and a verifier
//! that starts in the middle of a log (a range export, or a log whose oldest entries the
//! retention job removed) starts from the compact range at that point.

use crate::merkle::{Hash, empty_root, node_hash};

/// Why a compact range is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    #[error("a compact range of size {size} has {expected} hashes, not {found}")]
    WrongLength {
        size: u64,
        expected: usize,
        found: usize,
    },
    #[error("compact range bytes are not a whole number of 32-byte hashes")]
    Bytes,
}

/// The compact range of a tree of `size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactRange {
    size: u64,
    /// Perfect subtree roots, largest (leftmost) first; subtree `i` has
    /// `2^(i-th highest set bit of size)` leaves.
    hashes: Vec<Hash>,
}

impl CompactRange {
    /// The compact range of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A compact range from its parts, checking that the number of hashes fits the size.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Self, CompactError> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(CompactError::WrongLength {
                size,
                expected,
                found: hashes.len(),
            });
        }
        Ok(Self { size, hashes })
    }

    /// A compact range from its size and the concatenated hashes (as a store keeps them).
    pub fn from_bytes(size: u64, bytes: &[u8]) -> Result<Self, CompactError> {
        if !bytes.len().is_multiple_of(32) {
            return Err(CompactError::Bytes);
        }
        let hashes = bytes
            .chunks_exact(32)
            .map(|chunk| {
                let mut hash = [0u8; 32];
                hash.copy_from_slice(chunk);
                hash
            })
            .collect();
        Self::from_parts(size, hashes)
    }

    /// The hashes concatenated, largest subtree first.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.hashes.concat()
    }

    /// Number of leaves covered.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect subtree roots, largest (leftmost) first.
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends one leaf hash: O(log n) node hashes in the worst case, O(1) amortised.
    pub fn append(&mut self, leaf: Hash) {
        let mut carry = leaf;
        // Each trailing one bit of the old size is a subtree of the same height as the
        // carry, so the two merge; the merged subtree then meets the next one up.
        let mut merges = self.size.trailing_ones();
        while merges > 0 {
            // `merges` never exceeds the number of hashes (one per set bit).
            if let Some(left) = self.hashes.pop() {
                carry = node_hash(&left, &carry);
            }
            merges -= 1;
        }
        self.hashes.push(carry);
        self.size += 1;
    }

    /// The tree's root hash (RFC 6962 MTH): the subtree roots folded from the right.
    pub fn root(&self) -> Hash {
        let mut iter = self.hashes.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |right, left| node_hash(left, &right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MerkleLog;

    #[test]
    fn root_matches_the_full_tree_at_every_size() {
        let mut log = MerkleLog::new();
        let mut range = CompactRange::new();
        assert_eq!(range.root(), log.root());
        for i in 0u32..300 {
            let data = i.to_be_bytes();
            log.append(&data);
            range.append(crate::merkle::leaf_hash(&data));
            assert_eq!(range.size(), log.size());
            assert_eq!(range.hashes().len(), range.size().count_ones() as usize);
            assert_eq!(range.root(), log.root(), "size {}", range.size());
        }
    }

    #[test]
    fn bytes_round_trip_and_lengths_are_checked() {
        let mut range = CompactRange::new();
        for i in 0u8..11 {
            range.append([i; 32]);
        }
        let back = CompactRange::from_bytes(11, &range.to_bytes()).unwrap();
        assert_eq!(back, range);
        assert_eq!(
            CompactRange::from_bytes(12, &range.to_bytes()),
            Err(CompactError::WrongLength {
                size: 12,
                expected: 2,
                found: 3
            })
        );
        assert_eq!(
            CompactRange::from_bytes(11, &[0u8; 33]),
            Err(CompactError::Bytes)
        );
    }
}
