//! The public surface of `schemabus::compat`: names on the wire, report shape, the diff,
//! mode selection over versions, robustness, and that the docs list every finding type.

use std::collections::BTreeSet;
use std::path::Path;

use schemabus::compat::{
    CompatibilityMode, Direction, FindingType, Policy, SchemaMap, check, check_against_versions, compare,
    diff,
};
use serde_json::{Value, json};

fn no_refs() -> SchemaMap {
    SchemaMap::new()
}

#[test]
fn modes_and_policies_use_wire_names() {
    for mode in CompatibilityMode::ALL {
        let wire = serde_json::to_value(mode).expect("serialise mode");
        assert_eq!(wire, json!(mode.as_str()));
        assert_eq!(mode.to_string(), mode.as_str());
        assert_eq!(mode.as_str().parse::<CompatibilityMode>(), Ok(mode));
        let back: CompatibilityMode = serde_json::from_value(wire).expect("deserialise mode");
        assert_eq!(back, mode);
    }
    assert_eq!(
        serde_json::to_value(CompatibilityMode::BackwardTransitive).expect("mode"),
        json!("BACKWARD_TRANSITIVE")
    );
    assert_eq!(CompatibilityMode::default(), CompatibilityMode::Backward);
    assert_eq!("full_transitive".parse(), Ok(CompatibilityMode::FullTransitive));
    assert!("SIDEWAYS".parse::<CompatibilityMode>().is_err());
    assert_eq!(Policy::default(), Policy::Strict);
    assert_eq!(serde_json::to_value(Policy::Lenient).expect("policy"), json!("LENIENT"));
    assert_eq!("STRICT".parse(), Ok(Policy::Strict));
    assert!("LOOSE".parse::<Policy>().is_err());
}

#[test]
fn finding_type_names_are_unique_and_round_trip() {
    let mut names = BTreeSet::new();
    for kind in FindingType::ALL {
        assert!(names.insert(kind.as_str()), "duplicate name {kind}");
        assert_eq!(kind.as_str().parse::<FindingType>(), Ok(*kind));
        let wire = serde_json::to_value(kind).expect("serialise type");
        assert_eq!(serde_json::from_value::<FindingType>(wire).expect("type"), *kind);
        // The inverse of the inverse names the same kind of change family.
        assert!(FindingType::ALL.contains(&kind.inverse()));
    }
    assert!(serde_json::from_value::<FindingType>(json!("NOT_A_TYPE")).is_err());
}

#[test]
fn report_serialises_with_the_documented_fields() {
    let old = json!({"type": "object", "properties": {"a/b": {"type": "string"}}});
    let new = json!({"type": "object", "properties": {"a/b": {"type": "integer"}}});
    let report =
        check_against_versions(&new, [(1, &old)], CompatibilityMode::Backward, Policy::Strict, &no_refs());
    assert!(!report.compatible);
    let wire = serde_json::to_value(&report).expect("serialise report");
    assert_eq!(wire["checkedAgainst"], json!([1]));
    assert_eq!(wire["mode"], json!("BACKWARD"));
    assert_eq!(wire["policy"], json!("STRICT"));
    let finding = &wire["findings"][0];
    assert_eq!(finding["type"], json!("TYPE_CHANGED"));
    assert_eq!(finding["path"], json!("#/properties/a~1b/type"));
    assert_eq!(finding["compatible"], json!(false));
    assert!(finding["message"].as_str().is_some_and(|m| m.ends_with('.')));
    assert_eq!(finding["direction"], json!("BACKWARD"));
    assert_eq!(finding["version"], json!(1));
    assert_eq!(report.incompatible_findings().count(), 1);
}

#[test]
fn versions_are_checked_newest_first_and_only_latest_unless_transitive() {
    let v1 = json!({"type": "string"});
    let v2 = json!({"type": "string", "maxLength": 5});
    let v3 = json!({"type": "string", "maxLength": 10});
    let new = json!({"type": "string", "maxLength": 10});
    let versions = [(2, &v2), (3, &v3), (1, &v1)];
    let latest =
        check_against_versions(&new, versions, CompatibilityMode::Backward, Policy::Strict, &no_refs());
    assert_eq!(latest.checked_against, vec![3]);
    assert!(latest.compatible);
    let all = check_against_versions(
        &new,
        versions,
        CompatibilityMode::BackwardTransitive,
        Policy::Strict,
        &no_refs(),
    );
    assert_eq!(all.checked_against, vec![3, 2, 1]);
    assert!(!all.compatible, "v1 had no maxLength, so v3's bound breaks it");
    let against_v1: Vec<_> = all.findings.iter().filter(|f| f.version == Some(1)).collect();
    assert_eq!(against_v1.len(), 1);
    assert_eq!(against_v1[0].kind, FindingType::MaxLengthAdded);
    let none = check_against_versions(&new, versions, CompatibilityMode::None, Policy::Strict, &no_refs());
    assert!(none.compatible && none.checked_against.is_empty() && none.findings.is_empty());
    let empty = check_against_versions(
        &new,
        std::iter::empty(),
        CompatibilityMode::FullTransitive,
        Policy::Strict,
        &no_refs(),
    );
    assert!(empty.compatible && empty.checked_against.is_empty());
}

#[test]
fn diff_gives_both_verdicts_for_every_change() {
    let from = json!({
        "type": "object",
        "description": "v1",
        "properties": {"id": {"type": "string", "maxLength": 5}},
        "additionalProperties": false
    });
    let to = json!({
        "type": "object",
        "description": "v2",
        "properties": {
            "id": {"type": "string", "maxLength": 8},
            "note": {"type": "string"}
        },
        "additionalProperties": false
    });
    let d = diff(&from, &to, Policy::Strict, &no_refs());
    let find = |kind: FindingType| {
        d.changes.iter().find(|c| c.kind == kind).unwrap_or_else(|| panic!("no {kind} in {:#?}", d.changes))
    };
    let description = find(FindingType::DescriptionChanged);
    assert!(description.backward_compatible && description.forward_compatible);
    let length = find(FindingType::MaxLengthIncreased);
    assert_eq!(length.path, "#/properties/id/maxLength");
    assert!(length.backward_compatible && !length.forward_compatible);
    let added = find(FindingType::OptionalPropertyAddedToUnopenContentModel);
    assert_eq!(added.path, "#/properties/note");
    assert!(added.backward_compatible && !added.forward_compatible);
    assert_eq!(d.changes.len(), 3, "{:#?}", d.changes);
    assert!(d.backward_compatible && !d.forward_compatible);
    let wire = serde_json::to_value(&d).expect("serialise diff");
    assert!(wire["changes"][0]["backwardCompatible"].is_boolean());
    assert!(wire["changes"][0]["forwardCompatible"].is_boolean());

    let same = diff(&from, &from, Policy::Strict, &no_refs());
    assert!(same.changes.is_empty() && same.backward_compatible && same.forward_compatible);
}

#[test]
fn diff_reports_forward_only_changes_with_old_to_new_names() {
    let from = json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]});
    let to = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let d = diff(&from, &to, Policy::Strict, &no_refs());
    assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
    let change = &d.changes[0];
    assert_eq!(change.kind, FindingType::RequiredAttributeRemoved);
    assert!(change.backward_compatible && !change.forward_compatible);
}

#[test]
fn policy_changes_verdicts_not_findings() {
    let old = json!({"type": "object", "properties": {"a": {"type": "string"}}});
    let new = json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}});
    let strict = check(&old, &new, CompatibilityMode::Backward, Policy::Strict, &no_refs());
    let lenient = check(&old, &new, CompatibilityMode::Backward, Policy::Lenient, &no_refs());
    assert!(!strict.compatible && lenient.compatible);
    let kinds = |r: &schemabus::compat::CompatReport| r.findings.iter().map(|f| f.kind).collect::<Vec<_>>();
    assert_eq!(kinds(&strict), kinds(&lenient));
}

#[test]
fn hostile_inputs_never_panic_and_terminate() {
    let cases: Vec<(Value, Value)> = vec![
        (json!({"$ref": "#"}), json!({"$ref": "#"})),
        (json!({"$ref": 7}), json!({})),
        (json!({}), json!({"$ref": "relative.json"})),
        (json!({"$ref": "#/%zz"}), json!({"$ref": "#/%zz"})),
        (
            json!({"type": 12, "enum": "x", "required": "a", "properties": []}),
            json!({"items": 3, "allOf": {}}),
        ),
        (json!({"anyOf": []}), json!({"oneOf": []})),
        (
            json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}),
            json!(true),
        ),
        (json!(null), json!("schema")),
    ];
    for (old, new) in &cases {
        for direction in [Direction::Backward, Direction::Forward] {
            let findings = compare(old, new, direction, Policy::Strict, &no_refs());
            for f in &findings {
                assert!(f.path.starts_with('#'), "{f:?}");
            }
        }
        let _ = diff(old, new, Policy::Lenient, &no_refs());
    }
}

#[test]
fn registered_schema_references_resolve_through_the_supplied_map() {
    let uri = "https://schemabus.invalid/registries/shop/schemas/money/versions/2";
    let mut refs = SchemaMap::new();
    refs.insert(uri.to_owned(), json!({"$defs": {"amount": {"type": "integer", "minimum": 0}}}));
    let old = json!({"type": "object", "properties": {"total": {"type": "integer", "minimum": 0}}});
    let new = json!({"type": "object", "properties": {"total": {"$ref": format!("{uri}#/$defs/amount")}}});
    let report = check(&old, &new, CompatibilityMode::Full, Policy::Strict, &refs);
    assert!(report.compatible, "{report:#?}");
    assert!(report.findings.is_empty(), "{report:#?}");
    let unresolved = check(&old, &new, CompatibilityMode::Backward, Policy::Strict, &no_refs());
    assert!(!unresolved.compatible);
    assert_eq!(unresolved.findings[0].kind, FindingType::RefUnresolved);
}

#[test]
fn compatibility_doc_lists_every_finding_type_and_mode() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/COMPATIBILITY.md");
    let doc = std::fs::read_to_string(&path).expect("docs/COMPATIBILITY.md exists");
    let missing: Vec<&str> = FindingType::ALL
        .iter()
        .map(|t| t.as_str())
        .filter(|name| !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(missing.is_empty(), "docs/COMPATIBILITY.md does not document {missing:?}");
    for mode in CompatibilityMode::ALL {
        assert!(doc.contains(&format!("`{}`", mode.as_str())), "mode {mode} undocumented");
    }
}
