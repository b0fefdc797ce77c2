//! Inference speed, and the same files through GenSON (Python) for comparison.
//!
//! - `infer/1000_docs_25KB`: build a state from 1,000 parsed pull-request-shaped documents
//!   (~25 KB each) and derive the schema. Target: < 0.5 s on one core.
//! - `infer/cli_run_1000_files`: the same documents read from 1,000 files by
//!   `cli::infer::run` (parse included), the fair comparison with the GenSON CLI.
//! - `infer/add_one_1KB`: add one ~1 KB sample to a state that has seen 1,000. Target: < 50 µs.
//!
//! GenSON: the documents are written to a temp dir; `python3 -m genson` runs on them from a
//! venv under the target dir (created with `pip install genson==1.4.0` on first use). Both its CLI
//! wall time and its in-process time (files pre-loaded, `SchemaBuilder.add_object` only) are
//! printed. If Python or the package index is unavailable the comparison is skipped with a
//! message; the Rust benchmarks still run.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use schemabus::infer::{Hints, InferenceState, derive_schema};
use serde_json::{Map, Value, json};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn word(&mut self) -> String {
        let len = 3 + self.below(9);
        (0..len).map(|_| (b'a' + self.below(26) as u8) as char).collect()
    }
    fn text(&mut self, words: u64) -> String {
        (0..words).map(|_| self.word()).collect::<Vec<_>>().join(" ")
    }
    fn time(&mut self) -> String {
        format!(
            "2026-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            1 + self.below(12),
            1 + self.below(28),
            self.below(24),
            self.below(60),
            self.below(60)
        )
    }
    fn sha(&mut self) -> String {
        format!("{:016x}{:016x}{:08x}", self.next(), self.next(), self.below(1 << 32))
    }
}

fn user(r: &mut Rng) -> Value {
    let login = r.word();
    let id = r.below(10_000_000);
    let mut u = Map::new();
    u.insert("login".into(), json!(login));
    u.insert("id".into(), json!(id));
    u.insert("node_id".into(), json!(format!("MDQ6VXNlcj{id}")));
    u.insert("avatar_url".into(), json!(format!("https://avatars.example.com/u/{id}?v=4")));
    for k in [
        "url",
        "html_url",
        "followers_url",
        "following_url",
        "gists_url",
        "starred_url",
        "subscriptions_url",
        "organizations_url",
        "repos_url",
        "events_url",
        "received_events_url",
    ] {
        u.insert(k.into(), json!(format!("https://api.example.com/users/{login}/{k}")));
    }
    u.insert("gravatar_id".into(), json!(""));
    u.insert("type".into(), json!(if r.below(10) == 0 { "Organization" } else { "User" }));
    u.insert("site_admin".into(), json!(false));
    Value::Object(u)
}

fn repo(r: &mut Rng) -> Value {
    let name = r.word();
    let owner = user(r);
    let mut m = Map::new();
    m.insert("id".into(), json!(r.below(900_000_000)));
    m.insert("name".into(), json!(name));
    m.insert("full_name".into(), json!(format!("{}/{name}", owner["login"].as_str().unwrap_or("x"))));
    m.insert("owner".into(), owner);
    m.insert("private".into(), json!(r.below(2) == 0));
    m.insert("description".into(), if r.below(4) == 0 { Value::Null } else { json!(r.text(12)) });
    m.insert("fork".into(), json!(false));
    for k in [
        "url",
        "html_url",
        "archive_url",
        "assignees_url",
        "blobs_url",
        "branches_url",
        "collaborators_url",
        "comments_url",
        "commits_url",
        "compare_url",
        "contents_url",
        "contributors_url",
        "deployments_url",
        "downloads_url",
        "events_url",
        "forks_url",
        "git_commits_url",
        "git_refs_url",
        "git_tags_url",
        "hooks_url",
        "issue_comment_url",
        "issue_events_url",
        "issues_url",
        "keys_url",
        "labels_url",
        "languages_url",
        "merges_url",
        "milestones_url",
        "notifications_url",
        "pulls_url",
        "releases_url",
        "stargazers_url",
        "statuses_url",
        "subscribers_url",
        "subscription_url",
        "tags_url",
        "teams_url",
        "trees_url",
        "mirror_url",
        "homepage",
    ] {
        m.insert(k.into(), json!(format!("https://api.example.com/repos/{name}/{k}")));
    }
    for k in ["created_at", "updated_at", "pushed_at"] {
        m.insert(k.into(), json!(r.time()));
    }
    for k in [
        "size",
        "stargazers_count",
        "watchers_count",
        "forks_count",
        "open_issues_count",
        "forks",
        "open_issues",
        "watchers",
    ] {
        m.insert(k.into(), json!(r.below(100_000)));
    }
    m.insert("language".into(), json!(["Rust", "Go", "Python", "TypeScript"][r.below(4) as usize]));
    for k in [
        "has_issues",
        "has_projects",
        "has_downloads",
        "has_wiki",
        "has_pages",
        "archived",
        "disabled",
        "allow_squash_merge",
        "allow_merge_commit",
        "allow_rebase_merge",
    ] {
        m.insert(k.into(), json!(r.below(2) == 0));
    }
    m.insert("license".into(), if r.below(3) == 0 { Value::Null } else { json!({"key": "mit", "name": "MIT License", "spdx_id": "MIT", "url": "https://api.example.com/licenses/mit", "node_id": "MDc6TGljZW5zZTEz"}) });
    m.insert("topics".into(), json!((0..r.below(6)).map(|_| r.word()).collect::<Vec<_>>()));
    m.insert("default_branch".into(), json!("main"));
    Value::Object(m)
}

/// A pull_request webhook-like payload of roughly 25 KB.
fn pull_request(r: &mut Rng) -> Value {
    let number = r.below(50_000);
    let labels: Vec<Value> = (0..r.below(5)).map(|_| json!({"id": r.below(1 << 30), "name": r.word(), "color": format!("{:06x}", r.below(1 << 24)), "default": false, "description": r.text(5)})).collect();
    let head = json!({"label": r.word(), "ref": r.word(), "sha": r.sha(), "user": user(r), "repo": repo(r)});
    let base = json!({"label": r.word(), "ref": "main", "sha": r.sha(), "user": user(r), "repo": repo(r)});
    let action = ["opened", "closed", "synchronize", "edited"][r.below(4) as usize];
    json!({
        "action": action,
        "number": number,
        "pull_request": {
            "url": format!("https://api.example.com/pulls/{number}"), "id": r.below(1 << 40), "number": number,
            "state": "open", "locked": false, "title": r.text(8), "user": user(r), "body": r.text(720),
            "created_at": r.time(), "updated_at": r.time(), "closed_at": Value::Null, "merged_at": Value::Null,
            "merge_commit_sha": r.sha(), "assignee": Value::Null, "assignees": [user(r)],
            "requested_reviewers": (0..r.below(3)).map(|_| user(r)).collect::<Vec<_>>(), "labels": labels,
            "milestone": Value::Null, "draft": r.below(5) == 0, "head": head, "base": base,
            "_links": {"self": {"href": "https://api.example.com/x"}, "html": {"href": "https://example.com/x"}},
            "author_association": "MEMBER", "merged": false, "mergeable": Value::Null, "comments": r.below(40),
            "review_comments": r.below(40), "commits": 1 + r.below(30), "additions": r.below(5000), "deletions": r.below(5000), "changed_files": r.below(100)
        },
        "repository": repo(r),
        "sender": user(r)
    })
}

/// A ~1 KB order event.
fn small(r: &mut Rng) -> Value {
    json!({"orderId": r.sha(), "customer": {"id": r.below(1 << 20), "email": format!("{}@example.com", r.word()), "name": r.text(2)},
        "lines": (0..1 + r.below(4)).map(|_| json!({"sku": r.word(), "qty": 1 + r.below(3), "price": r.below(10_000) as f64 / 100.0})).collect::<Vec<_>>(),
        "placedAt": r.time(), "coupon": Value::Null, "note": r.text(95), "channel": "web"})
}

fn genson(dir: &Path, files: &[PathBuf]) {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("genson-venv");
    let py = venv.join("bin/python");
    if !py.exists() {
        let made =
            Command::new("python3").arg("-m").arg("venv").arg(&venv).status().is_ok_and(|s| s.success())
                && Command::new(&py)
                    .args(["-m", "pip", "install", "-q", "genson==1.4.0"])
                    .status()
                    .is_ok_and(|s| s.success());
        if !made {
            eprintln!("genson: python3 venv or `pip install genson` failed; comparison skipped");
            return;
        }
    }
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let out = Command::new(&py).args(["-m", "genson"]).args(files).output();
        let took = start.elapsed();
        match out {
            Ok(o) if o.status.success() => best = best.min(took),
            Ok(o) => {
                eprintln!("genson failed: {}", String::from_utf8_lossy(&o.stderr));
                return;
            }
            Err(e) => {
                eprintln!("genson could not run: {e}");
                return;
            }
        }
    }
    let script = "import json,sys,time,glob\nfrom genson import SchemaBuilder\ndocs=[json.load(open(f)) for f in sorted(glob.glob(sys.argv[1]+'/*.json'))]\nbest=1e9\nfor _ in range(3):\n  t=time.perf_counter(); b=SchemaBuilder()\n  for d in docs: b.add_object(d)\n  b.to_schema(); best=min(best,time.perf_counter()-t)\nprint(best)\n";
    let inproc = Command::new(&py).arg("-c").arg(script).arg(dir).output();
    let inproc = inproc.ok().and_then(|o| String::from_utf8(o.stdout).ok()).unwrap_or_default();
    println!(
        "genson CLI (python3 -m genson, 1000 files, process start included): {:.3} s (best of 3)",
        best.as_secs_f64()
    );
    println!(
        "genson in-process (SchemaBuilder.add_object x1000, files pre-loaded): {} s (best of 3)",
        inproc.trim()
    );
}

fn benches(c: &mut Criterion) {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let docs: Vec<Value> = (0..1000).map(|_| pull_request(&mut r)).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    let mut bytes = 0;
    for (i, d) in docs.iter().enumerate() {
        let text = serde_json::to_string(d).expect("serialise");
        bytes += text.len();
        let p = dir.path().join(format!("{i:04}.json"));
        std::fs::write(&p, text).expect("write sample");
        files.push(p);
    }
    println!(
        "corpus: {} documents, {:.1} KB average, {:.1} MB total",
        docs.len(),
        bytes as f64 / 1024.0 / docs.len() as f64,
        bytes as f64 / 1e6
    );

    let mut full = InferenceState::new();
    for d in &docs {
        full.add(d);
    }
    let stored = serde_json::to_vec(&full).map_or(0, |v| v.len());
    let schema = serde_json::to_vec(&derive_schema(&full, &Hints::default())).map_or(0, |v| v.len());
    println!(
        "state after 1000 documents: {:.1} KB as JSON; schema {:.1} KB",
        stored as f64 / 1024.0,
        schema as f64 / 1024.0
    );

    let mut g = c.benchmark_group("infer");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("1000_docs_25KB", |b| {
        b.iter(|| {
            let mut st = InferenceState::new();
            for d in &docs {
                st.add(d);
            }
            black_box(derive_schema(&st, &Hints::default()))
        })
    });
    g.bench_function("cli_run_1000_files", |b| {
        b.iter(|| {
            black_box(
                schemabus::cli::infer::run(&files, false, false, &schemabus::infer::DeriveOptions::default())
                    .expect("run"),
            )
        })
    });
    g.finish();

    let smalls: Vec<Value> = (0..1001).map(|_| small(&mut r)).collect();
    println!("small sample: {} bytes", serde_json::to_string(&smalls[1000]).map_or(0, |s| s.len()));
    let mut st = InferenceState::new();
    for d in &smalls[..1000] {
        st.add(d);
    }
    c.bench_function("infer/add_one_1KB", |b| b.iter(|| st.add(black_box(&smalls[1000]))));

    genson(dir.path(), &files);
}

criterion_group!(infer_benches, benches);
criterion_main!(infer_benches);
