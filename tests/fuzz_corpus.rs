//! Replays every committed fuzz input (`fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/`) through the fuzz targets' own bodies
//! (`fuzz/src/lib.rs`), on stable: CI runs no fuzzer, but every input a fuzzer kept
//! or a crash it found is checked by `cargo test`. See docs/RELIABILITY.md,
//! "Coverage-guided fuzzing".

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code: a failure should stop the test")]

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code, reason = "shared with the fuzz crate")]
mod targets;

use std::path::Path;

/// Runs `target` on every file of its corpus and regressions; returns how many.
fn replay(name: &str, target: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in [root.join("corpus").join(name), root.join("regressions").join(name)] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut paths: Vec<_> = entries.map(|e| e.expect("dir entry").path()).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).expect("read input");
            eprintln!("{}", path.display());
            target(&data);
            count += 1;
        }
    }
    count
}

macro_rules! corpus_test {
    ($name:ident) => {
        #[test]
        fn $name() {
            let n = replay(stringify!($name), targets::$name);
            assert!(n > 0, "fuzz/corpus/{} is empty", stringify!($name));
        }
    };
}

corpus_test!(pattern);
corpus_test!(json_doc);
corpus_test!(compat);
corpus_test!(infer);
corpus_test!(codegen);
corpus_test!(transform);
corpus_test!(journal);
corpus_test!(ccompat);
corpus_test!(sigv4);
corpus_test!(aws_wire);
