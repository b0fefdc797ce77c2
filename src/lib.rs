//! schemabus: a self-hosted event contract service.
//!
//! # Layout
//!
//! - [`config`], [`telemetry`], [`startup`]: settings, logs, and the one assembly point
//!   used by `main` and the tests.
//! - [`cli`]: the command line (`serve`, `openapi`).
//! - [`http`]: the REST API (actix-web), thin handlers over the services; the OpenAPI
//!   document is generated from it.
//! - [`registry`]: the registry service (registries, schemas, immutable versions,
//!   validation against them, search).
//! - [`bus`]: the event bus (buses, PutEvents behind the validation gate, rules,
//!   targets, pull queues, metrics).
//! - [`discovery`]: schema discovery on live traffic (sampling in PutEvents, a background
//!   worker registering discovered versions, hints, drift events).
//! - [`catalog`]: the event catalog (types, producers, consumers, traffic counters fed by
//!   PutEvents) and the AsyncAPI 3.0 export of a bus; its builders are pure.
//! - [`storage`]: the only module that talks to sled.
//! - [`json`]: PURE: a JSON document borrowing from its text, and its validation.
//! - [`pattern`], [`compat`], [`infer`], [`codegen`]: pure cores (no I/O): the EventBridge
//!   pattern matcher, the compatibility checker, schema inference, and the code generator (whose only I/O is
//!   reading a user's template directory).
//! - [`bindings`]: code bindings of stored versions (generation cached, zip packaging).
//! - [`model`]: identifiers and records shared by the others; no I/O.
//! - [`cache`]: the bounded map the validator and bindings caches share.
//! - [`error`]: the one table of error codes and the error body.
//! - [`transform`]: PURE: input transformation of targets (`input`, `inputPath`, `inputTransformer`).
//! - [`delivery`]: webhook delivery from a persistent outbox (retries, dead-letter queues,
//!   signatures, address policy) and delivery traces.
//! - [`aws`]: PURE: SigV4 verification, ARNs and AWS error names of the AWS-compatible API
//!   (its front end is `http::aws`).
//! - [`destinations`]: connections (credentials sealed) and API destinations of the AWS API.
//! - [`archive`]: archives of accepted events (replays run in [`bus`]).
//! - [`schedule`]: PURE: `rate(...)` / `cron(...)` expressions of scheduled rules, their
//!   next fire times and which tick is due (the scheduler task is in [`bus`]).
//!
//! Dependency rules (checked by `.ci/run`): `model` and `error` import no other module
//! of ours; only `storage` names sled; only `http` and `startup` name actix-web.

pub mod archive;
pub mod auth;
pub mod aws;
pub mod bindings;
pub mod bus;
pub mod cache;
pub mod catalog;
pub mod ccompat;
pub mod cli;
pub mod codegen;
pub mod compat;
pub mod config;
pub mod delivery;
pub mod destinations;
pub mod discovery;
pub mod error;
pub mod http;
pub mod infer;
pub mod json;
pub mod model;
pub mod pattern;
pub mod percent;
pub mod project;
pub mod registry;
pub mod schedule;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod tls;
pub mod transform;
