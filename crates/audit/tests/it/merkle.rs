//! Every case of ../shared/testdata/rfc6962-vectors.json: roots, generated and verified
//! inclusion and consistency proofs, and the cases that must fail. Then the log against
//! the recursive definition for many sizes, and a log started from a compact range
//! against the log of all leaves.

use plenum_audit::merkle::{
    MerkleError, MerkleLog, leaf_hash, tree_hash, verify_consistency, verify_inclusion,
};
use plenum_audit::{CompactRange, Hash, from_hex, hash_from_hex};
use serde_json::Value;

struct Vectors {
    leaves: Vec<Vec<u8>>,
    roots: Vec<Hash>,
    json: Value,
}

fn vectors() -> Vectors {
    // CI checks out ../shared beside the repository, as /work/shared is beside /work/main.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata/rfc6962-vectors.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap();
    let leaves = json["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| from_hex(l.as_str().unwrap()).unwrap())
        .collect();
    let roots = hashes(&json["roots"]);
    Vectors {
        leaves,
        roots,
        json,
    }
}

fn hashes(value: &Value) -> Vec<Hash> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hash_from_hex(h.as_str().unwrap()).unwrap())
        .collect()
}

fn num(value: &Value) -> u64 {
    value.as_u64().unwrap()
}

fn log_of(leaves: &[Vec<u8>]) -> MerkleLog {
    let mut log = MerkleLog::new();
    for leaf in leaves {
        log.append(leaf);
    }
    log
}

#[test]
fn roots_of_every_prefix() {
    let v = vectors();
    assert_eq!(v.roots.len(), v.leaves.len() + 1);
    let mut log = MerkleLog::new();
    assert_eq!(log.root(), v.roots[0]);
    for (n, leaf) in v.leaves.iter().enumerate() {
        log.append(leaf);
        assert_eq!(log.root(), v.roots[n + 1], "root of {} leaves", n + 1);
        let by_definition: Vec<Hash> = v.leaves[..=n].iter().map(|l| leaf_hash(l)).collect();
        assert_eq!(tree_hash(&by_definition), v.roots[n + 1]);
    }
    for (n, root) in v.roots.iter().enumerate() {
        assert_eq!(log.root_at(n as u64).unwrap(), *root, "root_at({n})");
    }
}

#[test]
fn inclusion_proofs_are_generated_and_verified() {
    let v = vectors();
    let log = log_of(&v.leaves);
    let cases = v.json["inclusion"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let (index, size) = (num(&case["leaf_index"]), num(&case["tree_size"]));
        let path = hashes(&case["path"]);
        assert_eq!(log.inclusion_proof(index, size).unwrap(), path, "{case}");
        let leaf = leaf_hash(&v.leaves[index as usize]);
        verify_inclusion(&leaf, index, size, &path, &v.roots[size as usize])
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        // The same path must not prove a different leaf.
        let other = leaf_hash(b"not this leaf");
        assert!(verify_inclusion(&other, index, size, &path, &v.roots[size as usize]).is_err());
    }
}

#[test]
fn consistency_proofs_are_generated_and_verified() {
    let v = vectors();
    let log = log_of(&v.leaves);
    let cases = v.json["consistency"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let (old, new) = (num(&case["old_size"]), num(&case["new_size"]));
        let proof = hashes(&case["proof"]);
        assert_eq!(log.consistency_proof(old, new).unwrap(), proof, "{case}");
        let (old_root, new_root) = (v.roots[old as usize], v.roots[new as usize]);
        verify_consistency(old, new, &proof, &old_root, &new_root)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        // A different old root must not be accepted with the same proof.
        if old != new {
            let wrong = v.roots[(old as usize + 1) % v.roots.len()];
            if wrong != old_root {
                assert!(verify_consistency(old, new, &proof, &wrong, &new_root).is_err());
            }
        }
    }
}

#[test]
fn must_fail_cases_fail() {
    let v = vectors();
    let cases = v.json["must_fail"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let result = if case.get("leaf_index").is_some() {
            let (index, size) = (num(&case["leaf_index"]), num(&case["tree_size"]));
            let leaf = leaf_hash(&v.leaves[index as usize]);
            verify_inclusion(
                &leaf,
                index,
                size,
                &hashes(&case["path"]),
                &v.roots[size as usize],
            )
        } else {
            let (old, new) = (num(&case["old_size"]), num(&case["new_size"]));
            verify_consistency(
                old,
                new,
                &hashes(&case["proof"]),
                &v.roots[old as usize],
                &v.roots[new as usize],
            )
        };
        assert!(result.is_err(), "must fail: {}", case["what"]);
    }
}

#[test]
fn malformed_proofs_are_errors() {
    let v = vectors();
    let root = v.roots[8];
    let leaf = leaf_hash(&v.leaves[0]);
    let cases: Vec<(&str, Result<(), MerkleError>)> = vec![
        (
            "index beyond size",
            verify_inclusion(&leaf, 8, 8, &[], &root),
        ),
        ("empty tree", verify_inclusion(&leaf, 0, 0, &[], &root)),
        (
            "path too long",
            verify_inclusion(&leaf, 0, 1, &[root], &v.roots[1]),
        ),
        ("path too short", verify_inclusion(&leaf, 0, 8, &[], &root)),
        (
            "old beyond new",
            verify_consistency(8, 7, &[], &root, &v.roots[7]),
        ),
        (
            "equal sizes, other root",
            verify_consistency(8, 8, &[], &v.roots[7], &root),
        ),
        (
            "equal sizes, non-empty proof",
            verify_consistency(8, 8, &[root], &root, &root),
        ),
        (
            "missing proof",
            verify_consistency(3, 8, &[], &v.roots[3], &root),
        ),
        (
            "proof from nothing",
            verify_consistency(0, 8, &[root], &v.roots[0], &root),
        ),
        (
            "huge sizes",
            verify_consistency(u64::MAX - 1, u64::MAX, &[root; 70], &root, &root),
        ),
    ];
    for (what, result) in cases {
        assert!(result.is_err(), "{what}");
    }
    let log = log_of(&v.leaves);
    assert!(log.inclusion_proof(0, 9).is_err());
    assert!(log.inclusion_proof(8, 8).is_err());
    assert!(log.consistency_proof(5, 4).is_err());
    assert!(log.consistency_proof(1, 9).is_err());
    assert!(log.root_at(9).is_err());
}

#[test]
fn log_matches_the_definition_and_its_own_proofs() {
    let leaves: Vec<Vec<u8>> = (0u32..70).map(|i| i.to_be_bytes().to_vec()).collect();
    let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
    let log = log_of(&leaves);
    for size in 0..=70u64 {
        let root = tree_hash(&hashes[..size as usize]);
        assert_eq!(log.root_at(size).unwrap(), root, "size {size}");
        for index in 0..size {
            let proof = log.inclusion_proof(index, size).unwrap();
            verify_inclusion(&hashes[index as usize], index, size, &proof, &root).unwrap();
        }
        for old in 0..=size {
            let proof = log.consistency_proof(old, size).unwrap();
            let old_root = tree_hash(&hashes[..old as usize]);
            verify_consistency(old, size, &proof, &old_root, &root)
                .unwrap_or_else(|e| panic!("{old}->{size}: {e}"));
        }
    }
}

/// A log seeded with the compact range at `start` and then given the leaves after it
/// answers every root and proof from `start` on exactly as the log of all leaves does,
/// and refuses what would need the leaves before `start`.
#[test]
fn a_log_seeded_with_a_compact_range_answers_like_the_full_log() {
    let leaves: Vec<Vec<u8>> = (0u32..130).map(|i| i.to_be_bytes().to_vec()).collect();
    let full = log_of(&leaves);
    let mut range = CompactRange::new();
    for start in 0..=70u64 {
        let mut seeded = MerkleLog::from_compact(&range);
        assert_eq!(seeded.size(), start);
        assert_eq!(seeded.root(), full.root_at(start).unwrap(), "start {start}");
        for leaf in &leaves[start as usize..] {
            seeded.append(leaf);
        }
        assert_eq!(seeded.size(), full.size());
        assert_eq!(seeded.root(), full.root());
        for index in start..full.size() {
            assert_eq!(seeded.leaf(index), full.leaf(index));
        }
        for size in start..=full.size() {
            let root = full.root_at(size).unwrap();
            if size > 0 {
                assert_eq!(seeded.root_at(size), Ok(root), "start {start}, size {size}");
            }
            for index in start..size {
                let proof = seeded.inclusion_proof(index, size).unwrap();
                assert_eq!(
                    proof,
                    full.inclusion_proof(index, size).unwrap(),
                    "start {start}, leaf {index}, size {size}"
                );
                verify_inclusion(
                    &leaf_hash(&leaves[index as usize]),
                    index,
                    size,
                    &proof,
                    &root,
                )
                .unwrap();
            }
            for old in (start..=size).chain([0]) {
                let proof = seeded.consistency_proof(old, size).unwrap();
                assert_eq!(
                    proof,
                    full.consistency_proof(old, size).unwrap(),
                    "start {start}, {old} -> {size}"
                );
                verify_consistency(old, size, &proof, &full.root_at(old).unwrap(), &root).unwrap();
            }
        }
        let before = |requested| MerkleError::BeforeStart { requested, start };
        for early in 0..start {
            assert_eq!(seeded.leaf(early), Err(before(early)));
            assert_eq!(seeded.inclusion_proof(early, 130), Err(before(early)));
            if early > 0 {
                assert_eq!(seeded.root_at(early), Err(before(early)));
                assert_eq!(seeded.consistency_proof(early, 130), Err(before(early)));
            }
        }
        range.append(leaf_hash(&leaves[start as usize]));
    }
}
