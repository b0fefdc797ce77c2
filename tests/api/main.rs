//! End-to-end tests of the HTTP API, over real HTTP on loopback ports with real sled
//! storage in temporary directories.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

mod archives;
mod auth;
mod auth_support;
mod aws;
mod bindings;
mod bus_durability;
mod bus_support;
mod buses;
mod ccompat;
mod ccompat_client;
mod ccompat_contexts;
mod ccompat_fixtures;
mod compatibility;
mod concurrency;
mod discovery;
mod durability;
mod errors;
mod events;
mod helpers;
mod inference;
mod limits;
mod openapi;
mod overload;
mod patterns;
mod permissions;
mod project;
mod python;
mod queues;
mod receiver;
mod registries;
mod rules;
mod schedules;
mod schemas;
mod schemathesis;
mod spec_conformance;
mod traces;
mod transform;
mod validation;
mod webhook_restart;
mod webhooks;
