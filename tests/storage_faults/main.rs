//! Storage faults against the real binary: a full disk (a small tmpfs the test mounts
//! itself) and damaged journal segments and sled files. docs/RELIABILITY.md#storage-faults.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

#[path = "../common/service.rs"]
mod service;

mod corruption;
mod full_disk;
mod small_fs;
