//! Damaged files under the data directory of the real binary: a torn end of the last
//! journal segment is truncated (what a crash leaves); damage anywhere else in the
//! journal, or a sled file that lost acknowledged writes, refuses to start with a
//! message naming the file (and the offset, for the journal), changing nothing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::service::{Launch, Service, started};

fn launch(dir: &Path, name: &str) -> Launch {
    Launch {
        prefix: Vec::new(),
        data_dir: dir.join("data"),
        flags: vec!["--journal-segment-mb".into(), "1".into()],
        log: dir.join(format!("{name}.log")),
    }
}

/// Puts `requests` PutEvents of 10 events of about `pad` bytes into queue `q`, kills the
/// service and returns the acknowledged ids per request.
fn load(launch: &Launch, requests: usize, pad: usize) -> Vec<Vec<String>> {
    let service = started(launch);
    service.expect(200, "PUT", "/v1/queues/q", Some(&json!({"visibilityTimeoutSeconds": 600})));
    let rule = json!({"pattern": {"source": ["c"]}, "targets": [{"id": "q", "type": "queue", "queue": "q"}]});
    service.expect(200, "PUT", "/v1/buses/default/rules/to-q", Some(&rule));
    for i in 0..20 {
        service.expect(201, "POST", "/v1/registries", Some(&json!({"name": format!("r{i}")})));
    }
    let acked = (0..requests)
        .map(|r| {
            let entries: Vec<Value> =
                (0..10).map(|i| json!({"source": "c", "detailType": "T", "detail": {"r": r, "i": i, "pad": "p".repeat(pad)}})).collect();
            let body = service.expect(200, "POST", "/v1/buses/default/events", Some(&json!({"entries": entries})));
            body["entries"].as_array().unwrap().iter().map(|e| e["eventId"].as_str().unwrap().to_owned()).collect()
        })
        .collect();
    service.kill_9();
    acked
}

fn segments(launch: &Launch) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(launch.data_dir.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    files.sort();
    files
}

/// Bytes of the segment before its preallocated zeros.
fn written(segment: &Path) -> usize {
    let bytes = std::fs::read(segment).unwrap();
    bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1)
}

fn refused(launch: &Launch, names: &[&str]) -> String {
    let Err(error) = Service::start(launch) else { panic!("the service started on a damaged directory") };
    for name in names {
        assert!(error.contains(name), "the refusal does not name {name}: {error}");
    }
    error
}

fn drain(service: &Service) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let body = service.expect(200, "POST", "/v1/queues/q/receive", Some(&json!({"maxMessages": 100})));
        let messages = body["messages"].as_array().unwrap();
        if messages.is_empty() {
            return ids;
        }
        ids.extend(messages.iter().map(|m| m["body"]["id"].as_str().unwrap().to_owned()));
    }
}

#[test]
fn bytes_flipped_in_the_middle_of_the_last_segment_refuse_start_naming_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let launch = launch(dir.path(), "flip");
    load(&launch, 10, 100);
    let segment = segments(&launch).pop().unwrap();
    let mut bytes = std::fs::read(&segment).unwrap();
    let middle = written(&segment) / 2;
    for b in &mut bytes[middle..middle + 4] {
        *b ^= 0x5A;
    }
    std::fs::write(&segment, &bytes).unwrap();
    let error =
        refused(&launch, &[&segment.display().to_string(), "damaged at byte", "whole records follow"]);
    assert_eq!(std::fs::read(&segment).unwrap(), bytes, "the segment was changed");
    eprintln!("refused: {error}");
}

#[test]
fn a_last_segment_cut_mid_record_is_a_torn_tail_and_every_earlier_request_survives() {
    let dir = tempfile::tempdir().unwrap();
    let launch = launch(dir.path(), "torn");
    let acked = load(&launch, 10, 100);
    let segment = segments(&launch).pop().unwrap();
    let end = written(&segment);
    std::fs::OpenOptions::new().write(true).open(&segment).unwrap().set_len(end as u64 - 7).unwrap();
    let service = started(&launch);
    let got = drain(&service);
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "a message came twice");
    for (r, ids) in acked[..acked.len() - 1].iter().enumerate() {
        assert!(ids.iter().all(|id| unique.contains(id)), "request {r}, before the torn one, lost events");
    }
    assert!(got.iter().all(|id| acked.iter().flatten().any(|a| a == id)), "an event that was never put");
    let registries = service.expect(200, "GET", "/v1/registries?limit=100", None);
    assert_eq!(registries.to_string().matches("\"r1").count(), 11, "{registries}");
    // Appends go on after the cut, and the directory opens again.
    let entry = json!({"entries": [{"source": "c", "detailType": "T", "detail": {}}]});
    service.expect(200, "POST", "/v1/buses/default/events", Some(&entry));
    service.kill_9();
    drop(started(&launch));
}

#[test]
fn an_earlier_segment_cut_mid_record_refuses_start_naming_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let launch = launch(dir.path(), "cut");
    load(&launch, 30, 8000); // about 2.4 MB: three 1 MiB segments
    let all = segments(&launch);
    assert!(all.len() >= 2, "{all:?}");
    let first = &all[0];
    let length = std::fs::metadata(first).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(first).unwrap().set_len(length / 2).unwrap();
    refused(&launch, &[&first.display().to_string(), "damaged at byte", "not the last segment"]);
    assert_eq!(std::fs::metadata(first).unwrap().len(), length / 2, "the segment was changed");
}

#[test]
fn a_sled_file_damaged_in_the_middle_refuses_start_instead_of_opening_without_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let launch = launch(dir.path(), "sled");
    load(&launch, 1, 10);
    let db = launch.data_dir.join("sled").join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 4] {
        *b ^= 0xFF;
    }
    std::fs::write(&db, &bytes).unwrap();
    let error =
        refused(&launch, &[&db.display().to_string(), "lost writes it had acknowledged", "sled.seal"]);
    eprintln!("refused: {error}");
}
