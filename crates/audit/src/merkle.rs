//! RFC 6962 Merkle tree over SHA-256: leaf hashes `SHA-256(0x00 || data)`, interior nodes
//! `SHA-256(0x01 || left || right)`, the empty tree hashing to `SHA-256("")`.
//!
//! [`MerkleLog`] is the append-only in-memory log. It keeps every *complete* aligned
//! subtree hash, level by level (level 0 = leaf hashes). An append adds one leaf and then
//! merges upwards while a level gains a right child, so it costs O(log n) worst case and
//! O(1) amortised. Any root or proof is then assembled from O(log n) stored subtrees
//! (the "compact range" of the right edge), never by rehashing leaves. Memory is about two
//! hashes per leaf (64 MB for a million entries).
//!
//! A log can also start in the middle: [`MerkleLog::from_compact`] seeds it with the
//! compact range at size `s` (all that is left of a trail whose oldest entries the
//! retention job removed). Level `h` then holds the subtrees from index `(s >> h) & !1`
//! on, beginning with the compact range's subtree of that height when bit `h` of `s` is
//! set. That is every node a root of size `n >= s`, an inclusion proof of a leaf `m >= s`
//! or a consistency proof from a size `>= s` needs: the left siblings on such a path are
//! subtrees of the compact range at `m` (or at the old size), each at index
//! `(m >> h) - 1` for an odd `m >> h`, which is `(m >> h) & !1` and so not below the
//! offset since `m >= s`; everything right of the path starts at or after `s`. Earlier leaves and sizes are refused with
//! [`MerkleError::BeforeStart`]. Since the offset is even, a level's parity is that of its
//! length, and appends work unchanged.
//!
//! Proof generation follows RFC 6962 §2.1.1/§2.1.2 (PATH and SUBPROOF); verification
//! follows the iterative algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2, which need no tree
//! and therefore work on untrusted proofs alone.

use crate::compact::CompactRange;
use aws_lc_rs::digest::{Context, SHA256, digest};

/// A SHA-256 output.
pub type Hash = [u8; 32];

/// Why a Merkle operation or proof failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {requested} exceeds the log size {size}")]
    SizeOutOfRange { requested: u64, size: u64 },
    #[error("old tree size {old} exceeds new tree size {new}")]
    SizesReversed { old: u64, new: u64 },
    #[error("proof has the wrong number of hashes")]
    WrongProofLength,
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
    #[error(
        "leaf or tree size {requested} lies before leaf {start}, where this log starts (earlier leaves are known only by their compact range)"
    )]
    BeforeStart { requested: u64, start: u64 },
}

/// `SHA-256(0x00 || data)`: the hash of one leaf.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[0x00]);
    ctx.update(data);
    to_hash(ctx.finish().as_ref())
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[0x01]);
    ctx.update(left);
    ctx.update(right);
    to_hash(ctx.finish().as_ref())
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    to_hash(digest(&SHA256, b"").as_ref())
}

/// The tree hash MTH(D[n]) of a list of leaf hashes, by the recursive definition of
/// RFC 6962 §2.1. Linear in the number of leaves; meant for one-off computations.
pub fn tree_hash(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&tree_hash(&leaves[..k]), &tree_hash(&leaves[k..]))
        }
    }
}

fn to_hash(bytes: &[u8]) -> Hash {
    let mut out = [0u8; 32];
    // SHA-256 always yields 32 bytes; copying via zip avoids a panicking slice copy.
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = *b;
    }
    out
}

/// The largest power of two strictly below `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// An append-only Merkle log holding all complete subtree hashes from its start on.
#[derive(Debug, Clone, Default)]
pub struct MerkleLog {
    /// The size of the compact range the log was seeded with (0 for a log of its own
    /// leaves from the first); earlier leaves are known only through that range.
    start: u64,
    /// `levels[h][i]` is the hash of the complete subtree of `2^h` leaves starting at
    /// leaf `(offset(h) + i) * 2^h`, with `offset(h) = (start >> h) & !1`; level `h`
    /// therefore holds `(size >> h) - offset(h)` hashes.
    levels: Vec<Vec<Hash>>,
}

impl MerkleLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// A log whose first `range.size()` leaves are known only through their compact
    /// range: appends continue after them, and roots and proofs work for every size and
    /// leaf from there on (see the module doc for why the range is enough).
    pub fn from_compact(range: &CompactRange) -> Self {
        let start = range.size();
        let height = (u64::BITS - start.leading_zeros()) as usize;
        let mut levels = vec![Vec::new(); height];
        // The range lists its subtrees largest first, one per set bit of its size.
        let set_bits = (0..height).rev().filter(|&h| (start >> h) & 1 == 1);
        for (level, hash) in set_bits.zip(range.hashes()) {
            levels[level].push(*hash);
        }
        Self { start, levels }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.offset(0) + self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// The hash of subtree `index` of level `level`, if the log holds it.
    fn stored(&self, level: usize, index: u64) -> Option<Hash> {
        let at = usize::try_from(index.checked_sub(self.offset(level))?).ok()?;
        self.levels.get(level)?.get(at).copied()
    }

    /// The index of the first subtree level `level` holds.
    fn offset(&self, level: usize) -> u64 {
        let shift = u32::try_from(level).unwrap_or(u32::MAX);
        self.start.checked_shr(shift).unwrap_or(0) & !1
    }

    /// Appends a leaf by its data; returns its index.
    pub fn append(&mut self, data: &[u8]) -> u64 {
        self.append_hash(leaf_hash(data))
    }

    /// Appends a leaf by its (already computed) leaf hash; returns its index.
    pub fn append_hash(&mut self, hash: Hash) -> u64 {
        let index = self.size();
        let mut carry = hash;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(carry);
            // A level of even length just completed a pair: its parent is now complete.
            // (Its offset is even, so the length has the parity of the subtree count.)
            if !row.len().is_multiple_of(2) {
                break;
            }
            let n = row.len();
            carry = node_hash(&row[n - 2], &row[n - 1]);
            level += 1;
        }
        index
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Result<Hash, MerkleError> {
        self.check_start(index)?;
        self.stored(0, index).ok_or(MerkleError::IndexOutOfRange {
            index,
            size: self.size(),
        })
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        // The log's own size is always in range and never before its start.
        self.subtree(0, self.size())
    }

    /// The root the tree had when it held `size` leaves (0, or at least the start).
    pub fn root_at(&self, size: u64) -> Result<Hash, MerkleError> {
        self.check_size(size)?;
        if size > 0 {
            self.check_start(size)?;
        }
        Ok(self.subtree(0, size))
    }

    /// The inclusion proof (audit path) of leaf `index` (not before the start) in the
    /// tree of `size` leaves, leaf to root (RFC 6962 §2.1.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, MerkleError> {
        self.check_size(size)?;
        if index >= size {
            return Err(MerkleError::IndexOutOfRange { index, size });
        }
        self.check_start(index)?;
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Ok(proof)
    }

    /// The consistency proof from the tree of `old` leaves (0, or at least the start) to
    /// the tree of `new` leaves (RFC 6962 §2.1.2). Empty when `old` is 0 or equals `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, MerkleError> {
        self.check_size(new)?;
        if old > new {
            return Err(MerkleError::SizesReversed { old, new });
        }
        let mut proof = Vec::new();
        if old > 0 {
            self.check_start(old)?;
            self.subproof(old, 0, new, true, &mut proof);
        }
        Ok(proof)
    }

    fn check_size(&self, size: u64) -> Result<(), MerkleError> {
        if size > self.size() {
            return Err(MerkleError::SizeOutOfRange {
                requested: size,
                size: self.size(),
            });
        }
        Ok(())
    }

    /// Refuses a leaf index or tree size before the start: its proof or root would need
    /// subtrees the log does not hold.
    fn check_start(&self, requested: u64) -> Result<(), MerkleError> {
        if requested < self.start {
            return Err(MerkleError::BeforeStart {
                requested,
                start: self.start,
            });
        }
        Ok(())
    }

    /// MTH(D[start:end]) for `end <= size`. An aligned power-of-two range is one stored
    /// hash; any other range splits at the largest power of two below its length, as the
    /// definition does. Ranges arising from roots and proofs start aligned, so each call
    /// touches O(log n) stored hashes.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let len = end - start;
        if len == 0 {
            return empty_root();
        }
        if len.is_power_of_two() && start.is_multiple_of(len) {
            let level = len.trailing_zeros() as usize;
            if let Some(h) = self.stored(level, start >> level) {
                return h;
            }
        }
        if len == 1 {
            // Unreachable for end <= size from the public calls, which refuse leaves and
            // sizes before the start: every leaf after it is stored at level 0.
            return empty_root();
        }
        let k = split_point(len);
        node_hash(
            &self.subtree(start, start + k),
            &self.subtree(start + k, end),
        )
    }

    /// PATH(m, D[start:end]) with `m` relative to `start`, appended leaf-first.
    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m - k, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// SUBPROOF(m, D[start:end], b).
    fn subproof(&self, m: u64, start: u64, end: u64, complete: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !complete {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, complete, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// Verifies that `leaf` (a leaf hash) is leaf `index` of the tree of `size` leaves with
/// root `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(MerkleError::WrongProofLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(MerkleError::WrongProofLength);
    }
    if r != *root {
        return Err(MerkleError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `old` leaves with root `old_root` is a prefix of the tree of
/// `new` leaves with root `new_root` (RFC 9162 §2.1.4.2). Equal sizes need an empty proof
/// and equal roots; an empty old tree is a prefix of everything.
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), MerkleError> {
    if old > new {
        return Err(MerkleError::SizesReversed { old, new });
    }
    if old == new {
        if !proof.is_empty() {
            return Err(MerkleError::WrongProofLength);
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(MerkleError::RootMismatch)
        };
    }
    if old == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(MerkleError::WrongProofLength)
        };
    }
    let Some((first, rest)) = proof.split_first() else {
        return Err(MerkleError::WrongProofLength);
    };
    // When `old` is a power of two its root is itself a node of the new tree and is not
    // repeated in the proof; the walk then starts from it.
    let (start, path) = if old.is_power_of_two() {
        (old_root, proof)
    } else {
        (first, rest)
    };
    let (mut fnode, mut snode) = (old - 1, new - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*start, *start);
    for c in path {
        if snode == 0 {
            return Err(MerkleError::WrongProofLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(MerkleError::WrongProofLength);
    }
    if fr != *old_root || sr != *new_root {
        return Err(MerkleError::RootMismatch);
    }
    Ok(())
}
