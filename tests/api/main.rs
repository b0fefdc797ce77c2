//! End-to-end tests of the HTTP API, over real HTTP on loopback ports with real sled
//! storage in temporary directories.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

mod bindings;
mod compatibility;
mod concurrency;
mod durability;
mod errors;
mod helpers;
mod inference;
mod openapi;
mod patterns;
mod registries;
mod schemas;
mod validation;
