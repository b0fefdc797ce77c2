//! Classification rules, one file per concern. Each file adds methods to
//! [`Checker`](super::walk::Checker); every method compares one aspect of a "from" schema
//! with a "to" schema and emits findings.

pub(crate) mod arrays;
pub(crate) mod bounds;
pub(crate) mod combinators;
pub(crate) mod numbers;
pub(crate) mod objects;
pub(crate) mod refs;
pub(crate) mod strings;
pub(crate) mod types;
