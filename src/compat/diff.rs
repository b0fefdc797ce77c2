//! The diff of two versions: every change with both verdicts.

use serde_json::Value;

use super::finding::{Change, SchemaDiff};
use super::mode::{Direction, Policy};
use super::{SchemaMap, compare};

/// Lists every change from `from` to `to` with its backward verdict (can consumers on `to`
/// read documents of `from`?) and forward verdict (the reverse).
///
/// Both directions are compared and their findings paired by path (and by the type the
/// change gets in the other direction); a change seen in one direction only is compatible
/// in the other.
#[must_use]
pub fn diff(from: &Value, to: &Value, policy: Policy, refs: &SchemaMap) -> SchemaDiff {
    let backward = compare(from, to, Direction::Backward, policy, refs);
    let forward = compare(from, to, Direction::Forward, policy, refs);
    let mut used = vec![false; forward.len()];
    let mut changes = Vec::with_capacity(backward.len());
    for b in &backward {
        let pick = |pred: &dyn Fn(usize) -> bool| (0..forward.len()).find(|&j| !used[j] && pred(j));
        let partner = pick(&|j| forward[j].path == b.path && forward[j].kind.inverse() == b.kind)
            .or_else(|| pick(&|j| forward[j].path == b.path));
        if let Some(j) = partner {
            used[j] = true;
        }
        changes.push(Change {
            kind: b.kind,
            path: b.path.clone(),
            backward_compatible: b.compatible,
            forward_compatible: partner.is_none_or(|j| forward[j].compatible),
            message: b.message.clone(),
        });
    }
    for (f, was_used) in forward.iter().zip(&used) {
        if !was_used {
            changes.push(Change {
                kind: f.kind.inverse(),
                path: f.path.clone(),
                backward_compatible: true,
                forward_compatible: f.compatible,
                message: f.message.clone(),
            });
        }
    }
    SchemaDiff {
        policy,
        backward_compatible: backward.iter().all(|f| f.compatible),
        forward_compatible: forward.iter().all(|f| f.compatible),
        changes,
    }
}
