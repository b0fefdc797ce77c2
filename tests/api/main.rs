//! End-to-end tests of the HTTP API, over real HTTP on loopback ports with real storage
//! in temporary directories: sled, or with `SCHEMABUS_TEST_BACKEND=postgres` the registry
//! on a real PostgreSQL (`backend.rs`). `cluster/` runs several instances on one database.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

mod archives;
mod auth;
mod auth_support;
mod aws;
mod aws_js;
mod aws_schemas;
mod aws_sqs;
mod aws_tour;
mod backend;
mod bindings;
mod bus_durability;
mod bus_support;
mod buses;
mod catalog;
mod ccompat;
mod ccompat_client;
mod ccompat_contexts;
mod ccompat_fixtures;
mod cluster;
mod compatibility;
mod concurrency;
mod discovery;
mod durability;
mod errors;
mod eventbridge_layout;
mod events;
mod export;
mod helpers;
mod inference;
mod limits;
mod openapi;
mod overload;
mod patterns;
mod permissions;
#[path = "../common/postgres.rs"]
mod postgres;
mod project;
mod python;
mod queues;
mod receiver;
mod registries;
mod rules;
mod schedules;
mod schemas;
mod schemathesis;
#[path = "../common/service.rs"]
mod service;
mod spec_conformance;
mod tail;
mod traces;
mod transform;
mod validation;
mod webhook_restart;
mod webhooks;
