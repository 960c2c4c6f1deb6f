//! Merging one record version into another, deterministically.
//!
//! Each record carries a version vector (for each cell, the Lamport time of its latest
//! edit that the record includes). Comparing the local and the incoming vector tells
//! whether one version includes the other (a plain update, or a stale copy) or whether two
//! cells edited the record without seeing each other's edit (a conflict). A conflict keeps
//! the version with the highest `(lamport, cell)` (the edit made "last" in Lamport order,
//! ties broken by cell id) and the union of both vectors, so every cell that sees both
//! versions, in either order, ends up with the same record.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{CellId, Stored, Version};

/// How two version vectors relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Causality {
    /// Same edits.
    Equal,
    /// The first includes every edit of the second, and more.
    Newer,
    /// The second includes every edit of the first, and more.
    Older,
    /// Each has an edit the other lacks.
    Concurrent,
}

/// Compares two version vectors.
pub fn compare(a: &BTreeMap<CellId, u64>, b: &BTreeMap<CellId, u64>) -> Causality {
    let mut a_ahead = false;
    let mut b_ahead = false;
    for cell in a.keys().chain(b.keys()) {
        let x = a.get(cell).copied().unwrap_or(0);
        let y = b.get(cell).copied().unwrap_or(0);
        match x.cmp(&y) {
            Ordering::Greater => a_ahead = true,
            Ordering::Less => b_ahead = true,
            Ordering::Equal => {}
        }
    }
    match (a_ahead, b_ahead) {
        (false, false) => Causality::Equal,
        (true, false) => Causality::Newer,
        (false, true) => Causality::Older,
        (true, true) => Causality::Concurrent,
    }
}

/// What merging an incoming record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MergeOutcome {
    /// The record was not known here: added.
    New,
    /// The incoming version includes the local one: replaced.
    Updated,
    /// Same version here already: nothing to do.
    Unchanged,
    /// The local version already includes the incoming one: kept.
    Stale,
    /// Concurrent edits; the incoming version won.
    ConflictTheirs,
    /// Concurrent edits; the local version won.
    ConflictOurs,
}

fn merged_vv(a: &BTreeMap<CellId, u64>, b: &BTreeMap<CellId, u64>) -> BTreeMap<CellId, u64> {
    let mut out = a.clone();
    for (cell, n) in b {
        let entry = out.entry(*cell).or_insert(0);
        *entry = (*entry).max(*n);
    }
    out
}

/// Decides the merge of `incoming` into `local`; returns the record to store (if it
/// changes) and what happened. Pure: the caller writes.
pub fn merge<T: Clone + PartialEq + Serialize>(
    local: Option<&Stored<T>>,
    incoming: &Stored<T>,
) -> (Option<Stored<T>>, MergeOutcome) {
    let Some(local) = local else {
        return (Some(incoming.clone()), MergeOutcome::New);
    };
    match compare(&incoming.version.vv, &local.version.vv) {
        Causality::Newer => (Some(incoming.clone()), MergeOutcome::Updated),
        Causality::Older => (None, MergeOutcome::Stale),
        Causality::Equal if local.data == incoming.data => (None, MergeOutcome::Unchanged),
        // Equal vectors with different data cannot come from this program; resolve them
        // like a conflict so that the result is still deterministic.
        Causality::Equal | Causality::Concurrent => {
            let theirs_wins = wins(
                &incoming.version,
                &incoming.data,
                &local.version,
                &local.data,
            );
            let winner = if theirs_wins { incoming } else { local };
            let vv = merged_vv(&local.version.vv, &incoming.version.vv);
            let merged = Stored {
                id: local.id,
                version: Version {
                    vv,
                    ..winner.version.clone()
                },
                data: winner.data.clone(),
            };
            let outcome = if theirs_wins {
                MergeOutcome::ConflictTheirs
            } else {
                MergeOutcome::ConflictOurs
            };
            let changed = merged != *local;
            (changed.then_some(merged), outcome)
        }
    }
}

/// Whether version `a` (with data) beats `b`: highest `(lamport, cell)`, then the larger
/// JSON text (only reached by equal versions with different data).
fn wins<T: Serialize>(a: &Version, a_data: &T, b: &Version, b_data: &T) -> bool {
    match (a.lamport, a.cell).cmp(&(b.lamport, b.cell)) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => {
            let a_text = serde_json::to_string(a_data).unwrap_or_default();
            let b_text = serde_json::to_string(b_data).unwrap_or_default();
            a_text > b_text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RecordId;
    use chrono::DateTime;

    fn cell(n: u8) -> CellId {
        CellId([n; 16])
    }

    fn rec(data: &str, lamport: u64, by: u8, vv: &[(u8, u64)]) -> Stored<String> {
        Stored {
            id: RecordId([9; 16]),
            version: Version {
                lamport,
                cell: cell(by),
                updated_at: DateTime::UNIX_EPOCH,
                vv: vv.iter().map(|(c, n)| (cell(*c), *n)).collect(),
            },
            data: data.to_string(),
        }
    }

    #[test]
    fn compares_vectors() {
        let a = rec("", 1, 1, &[(1, 2)]).version.vv;
        let b = rec("", 1, 1, &[(1, 1)]).version.vv;
        let c = rec("", 1, 1, &[(1, 1), (2, 3)]).version.vv;
        assert_eq!(compare(&a, &a), Causality::Equal);
        assert_eq!(compare(&a, &b), Causality::Newer);
        assert_eq!(compare(&b, &a), Causality::Older);
        assert_eq!(compare(&a, &c), Causality::Concurrent);
    }

    #[test]
    fn new_update_stale_unchanged() {
        let v1 = rec("a", 1, 1, &[(1, 1)]);
        let v2 = rec("b", 2, 1, &[(1, 2)]);
        assert_eq!(merge(None, &v1).1, MergeOutcome::New);
        assert_eq!(
            merge(Some(&v1), &v2),
            (Some(v2.clone()), MergeOutcome::Updated)
        );
        assert_eq!(merge(Some(&v2), &v1), (None, MergeOutcome::Stale));
        assert_eq!(merge(Some(&v2), &v2), (None, MergeOutcome::Unchanged));
    }

    #[test]
    fn concurrent_edits_converge_in_either_order() {
        // Cell 1 created it at 1; cell 1 edits at 2, cell 2 edits at 5.
        let ours = rec("ours", 2, 1, &[(1, 2)]);
        let theirs = rec("theirs", 5, 2, &[(1, 1), (2, 5)]);
        let (at_1, outcome_1) = merge(Some(&ours), &theirs);
        let (at_2, outcome_2) = merge(Some(&theirs), &ours);
        assert_eq!(outcome_1, MergeOutcome::ConflictTheirs);
        assert_eq!(outcome_2, MergeOutcome::ConflictOurs);
        let at_1 = at_1.unwrap();
        let at_2 = at_2.unwrap();
        assert_eq!(at_1, at_2);
        assert_eq!(at_1.data, "theirs");
        assert_eq!(
            at_1.version.vv,
            [(cell(1), 2), (cell(2), 5)].into_iter().collect()
        );
        // Exchanging again changes nothing.
        assert_eq!(merge(Some(&at_1), &at_2).1, MergeOutcome::Unchanged);
    }

    #[test]
    fn lamport_ties_break_by_cell() {
        let a = rec("a", 3, 1, &[(1, 3)]);
        let b = rec("b", 3, 2, &[(2, 3)]);
        assert_eq!(merge(Some(&a), &b).0.unwrap().data, "b");
        assert_eq!(merge(Some(&b), &a).0.unwrap().data, "b");
    }
}
