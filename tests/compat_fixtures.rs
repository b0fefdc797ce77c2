//! Data-driven compatibility cases from `tests/fixtures/compat/*.json`.
//!
//! Each file holds an array of cases:
//! `{name, old, new, mode?, policy?, expectCompatible, expectFindingTypes, refs?, previous?,
//! expectCheckedAgainst?, matchMode?}`. `expectFindingTypes` is compared as a multiset with
//! every finding the check produced (compatible ones included); with
//! `"matchMode": "contains"` it only has to be contained in them. With `previous` (a list of
//! `{version, schema}`), `old` is ignored and the case runs `check_against_versions`.
//! The runner reports every failing case by file and name, then fails.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use schemabus::compat::{CompatibilityMode, FindingType, Policy, SchemaMap, check, check_against_versions};
use serde_json::Value;

struct Case {
    file: String,
    name: String,
    raw: Value,
}

fn load_cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compat");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("read fixture");
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", file.display()));
        let array =
            value.as_array().unwrap_or_else(|| panic!("{} must hold an array of cases", file.display()));
        let short = file.file_name().expect("file name").to_string_lossy().into_owned();
        for raw in array {
            let name =
                raw["name"].as_str().unwrap_or_else(|| panic!("a case in {short} has no name")).to_owned();
            cases.push(Case { file: short.clone(), name, raw: raw.clone() });
        }
    }
    cases
}

fn mode_of(case: &Case) -> CompatibilityMode {
    case.raw["mode"].as_str().unwrap_or("BACKWARD").parse().unwrap_or_else(|e| panic!("{}: {e}", case.name))
}

fn policy_of(case: &Case) -> Policy {
    case.raw["policy"].as_str().unwrap_or("STRICT").parse().unwrap_or_else(|e| panic!("{}: {e}", case.name))
}

fn expected_types(case: &Case) -> Vec<FindingType> {
    let mut types: Vec<FindingType> = case.raw["expectFindingTypes"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: expectFindingTypes missing", case.name))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("{}: finding type must be a string", case.name))
                .parse()
                .unwrap_or_else(|e| panic!("{}: {e}", case.name))
        })
        .collect();
    types.sort();
    types
}

/// Runs one case; `Err` describes the mismatch.
fn run(case: &Case) -> Result<(), String> {
    let mode = mode_of(case);
    let policy = policy_of(case);
    let refs: SchemaMap = case.raw["refs"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let report = if let Some(previous) = case.raw["previous"].as_array() {
        let versions: Vec<(u32, &Value)> = previous
            .iter()
            .map(|p| {
                let v = p["version"].as_u64().expect("version") as u32;
                (v, &p["schema"])
            })
            .collect();
        check_against_versions(&case.raw["new"], versions, mode, policy, &refs)
    } else {
        check(&case.raw["old"], &case.raw["new"], mode, policy, &refs)
    };
    let mut actual: Vec<FindingType> = report.findings.iter().map(|f| f.kind).collect();
    actual.sort();
    let expected = expected_types(case);
    let expect_compatible = case.raw["expectCompatible"]
        .as_bool()
        .unwrap_or_else(|| panic!("{}: expectCompatible missing", case.name));
    let mut problems = Vec::new();
    if report.compatible != expect_compatible {
        problems.push(format!("expected compatible={expect_compatible}, got {}", report.compatible));
    }
    let contains_only = case.raw["matchMode"].as_str() == Some("contains");
    let matches = if contains_only {
        let mut remaining = actual.clone();
        expected.iter().all(|t| match remaining.iter().position(|a| a == t) {
            Some(i) => {
                remaining.remove(i);
                true
            }
            None => false,
        })
    } else {
        actual == expected
    };
    if !matches {
        problems.push(format!(
            "expected finding types {:?}, got {:?}",
            expected.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            actual.iter().map(|t| t.as_str()).collect::<Vec<_>>()
        ));
    }
    if let Some(checked) = case.raw.get("expectCheckedAgainst") {
        let want: Vec<u32> = serde_json::from_value(checked.clone()).expect("expectCheckedAgainst");
        if report.checked_against != want {
            problems.push(format!("expected checkedAgainst {want:?}, got {:?}", report.checked_against));
        }
    }
    for finding in &report.findings {
        if !finding.path.starts_with('#') || finding.message.is_empty() {
            problems.push(format!("malformed finding {finding:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let detail: Vec<String> = report
            .findings
            .iter()
            .map(|f| {
                format!(
                    "    {} {} {} [{}] {}",
                    f.direction.map_or("", |d| d.as_str()),
                    f.kind,
                    f.path,
                    if f.compatible { "ok" } else { "BREAKS" },
                    f.message
                )
            })
            .collect();
        Err(format!("{}\n  findings:\n{}", problems.join("\n  "), detail.join("\n")))
    }
}

#[test]
fn compatibility_fixtures() {
    let cases = load_cases();
    let mut failures = Vec::new();
    let mut names = BTreeSet::new();
    for case in &cases {
        if !names.insert(case.name.clone()) {
            failures.push(format!("[{}] duplicate case name `{}`", case.file, case.name));
        }
        if let Err(why) = run(case) {
            failures.push(format!("[{}] case `{}` FAILED: {why}", case.file, case.name));
        }
    }
    println!("compat fixtures: {} cases, {} failed", cases.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} compatibility fixtures failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn fixtures_cover_every_finding_type_both_directions_and_policies() {
    let cases = load_cases();
    assert!(cases.len() >= 150, "only {} fixture cases", cases.len());
    let mut seen: BTreeMap<FindingType, usize> = BTreeMap::new();
    let mut modes = BTreeSet::new();
    let mut policies = BTreeSet::new();
    for case in &cases {
        for t in expected_types(case) {
            *seen.entry(t).or_default() += 1;
        }
        modes.insert(mode_of(case).as_str());
        policies.insert(policy_of(case).as_str());
    }
    let missing: Vec<&str> =
        FindingType::ALL.iter().filter(|t| !seen.contains_key(t)).map(|t| t.as_str()).collect();
    assert!(missing.is_empty(), "finding types without a fixture: {missing:?}");
    for mode in CompatibilityMode::ALL {
        assert!(modes.contains(mode.as_str()), "no fixture uses mode {mode}");
    }
    assert!(policies.contains("STRICT") && policies.contains("LENIENT"));
}
