//! The generalisation benchmark of issue 24 (`docs/INFERENCE.md`, "Generalisation"): per
//! setting, the share of held-out real events accepted and of mutated events rejected, beside
//! GenSON on the same split in the same run.
//!
//! ```text
//! python3 -m venv /tmp/genson && /tmp/genson/bin/pip install genson==1.4.0
//! GENSON_PYTHON=/tmp/genson/bin/python cargo bench --bench infer_generalisation
//! ```
//!
//! Without `GENSON_PYTHON` the GenSON row is left out (it says so). Set `VERBOSE=1` to list
//! every refused held-out event and every accepted type mutant.

#[path = "../tests/generalisation/mod.rs"]
mod generalisation;

use std::io::Write;
use std::process::{Command, Stdio};

use generalisation::{Tally, TypeSamples, corpus, evaluate, split};
use schemabus::infer::{
    DeriveOptions, Hints, InferenceState, Knowledge, NullPolicy, RegistryKnowledge, derive_schema_with,
};
use serde_json::Value;

fn ours(corpus: &[TypeSamples], opts: &DeriveOptions) -> Vec<Value> {
    corpus
        .iter()
        .map(|t| {
            let mut st = InferenceState::new();
            for s in split(&t.samples).0 {
                st.add(&s);
            }
            derive_schema_with(&st, &Hints::default(), opts)
        })
        .collect()
}

fn genson(python: &str, corpus: &[TypeSamples]) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/genson/infer.py");
    let sets: Vec<Vec<Value>> = corpus.iter().map(|t| split(&t.samples).0).collect();
    let mut child = Command::new(python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start GenSON");
    let input = serde_json::to_vec(&sets).expect("samples serialise");
    child.stdin.take().expect("piped stdin").write_all(&input).expect("GenSON reads its input");
    let out = child.wait_with_output().expect("GenSON runs");
    assert!(out.status.success(), "GenSON failed");
    serde_json::from_slice(&out.stdout).expect("GenSON output")
}

fn print(label: &str, t: &Tally, verbose: bool) {
    println!("| {label} | {} |", t.row());
    if verbose {
        for r in &t.refusals {
            println!("    refused  {r}");
        }
        for m in &t.missed {
            println!("    accepted type mutant  {m}");
        }
    }
}

fn main() {
    let corpus = corpus();
    let held: usize = corpus.iter().map(|t| split(&t.samples).1.len()).sum();
    let verbose = std::env::var_os("VERBOSE").is_some();
    println!(
        "corpus: {} types, {} samples, {held} held out",
        corpus.len(),
        corpus.iter().map(|t| t.samples.len()).sum::<usize>()
    );
    println!("| setting | held-out accepted | type mutants rejected | required mutants rejected |");
    println!("| --- | --- | --- | --- |");
    for nulls in [NullPolicy::Observed, NullPolicy::Scalars, NullPolicy::All] {
        for min_required in [1, 2, 3, 4, 5, 8] {
            let opts = DeriveOptions { min_required, nulls, ..DeriveOptions::default() };
            let t = evaluate(&corpus, &ours(&corpus, &opts));
            print(&format!("schemabus nulls={} minRequired={min_required}", nulls.as_str()), &t, verbose);
        }
    }
    let d = DeriveOptions::default();
    let base = ours(&corpus, &d);
    let t = evaluate(&corpus, &base);
    print(
        &format!("schemabus defaults (nulls={}, minRequired={})", d.nulls.as_str(), d.min_required),
        &t,
        verbose,
    );
    // Registry knowledge as discovery uses it: the registry holds every type's schema
    // (inferred from its training half); each type learns from all but its own.
    let mut knowledge = Knowledge::new();
    for (t, s) in corpus.iter().zip(&base) {
        knowledge.learn(&t.name, s);
    }
    let knowledge = std::sync::Arc::new(knowledge);
    for (label, opts) in [
        ("schemabus defaults + registry knowledge", d.clone()),
        (
            "schemabus nulls=observed minRequired=4 + registry knowledge",
            DeriveOptions { nulls: NullPolicy::Observed, ..d.clone() },
        ),
    ] {
        let with: Vec<Value> = corpus
            .iter()
            .map(|t| {
                let mut st = InferenceState::new();
                split(&t.samples).0.iter().for_each(|s| st.add(s));
                let registry =
                    Some(RegistryKnowledge { knowledge: knowledge.clone(), exclude: Some(t.name.clone()) });
                derive_schema_with(&st, &Hints::default(), &DeriveOptions { registry, ..opts.clone() })
            })
            .collect();
        print(label, &evaluate(&corpus, &with), verbose);
    }
    match std::env::var("GENSON_PYTHON") {
        Ok(py) => print("GenSON 1.4.0", &evaluate(&corpus, &genson(&py, &corpus)), verbose),
        Err(_) => println!("| GenSON | not run: set GENSON_PYTHON to a python with genson==1.4.0 |"),
    }
}
