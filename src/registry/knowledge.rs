//! Registry knowledge for inference: what the registered schemas show about named
//! structures (`infer::Knowledge`, rule in docs/INFERENCE.md, "Registry knowledge").

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::RegistryService;
use crate::error::ApiResult;
use crate::infer::Knowledge;
use crate::model::RegistryName;

/// Knowledge built per registry (`None`: every registry) at a registry generation. A
/// build reads the latest version of every schema, so it is kept until the registry
/// changes; bounded by the number of registries.
#[derive(Default)]
pub(crate) struct KnowledgeCache {
    built: Mutex<HashMap<Option<String>, Built>>,
}

/// Knowledge and the registry generation it was built at.
type Built = (u64, Arc<Knowledge>);

impl RegistryService {
    /// Knowledge from the latest version of every schema of `only`, or of every registry,
    /// rebuilt only when the registry changed since the last build. Sources are named
    /// `registry/schema`. Reads storage on a miss: call it off the async executor.
    ///
    /// # Errors
    /// `registry_not_found` for `only`, storage failures.
    pub fn knowledge(&self, only: Option<&RegistryName>) -> ApiResult<Arc<Knowledge>> {
        if let Some(r) = only {
            self.get_registry(r)?;
        }
        let key = only.map(|r| r.as_str().to_owned());
        // Read before building: a change during the build leaves the entry one generation
        // behind, so the next call rebuilds instead of keeping a stale view.
        let generation = self.generation();
        let lock = || self.knowledge.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, k)) = lock().get(&key)
            && *at == generation
        {
            return Ok(k.clone());
        }
        let mut knowledge = Knowledge::new();
        for schema in self.store().all_schemas(only.map(RegistryName::as_str))? {
            let Some(latest) = schema.latest_version else { continue };
            if let Some(version) = self.store().get_version(&schema.registry, &schema.name, latest)? {
                knowledge.learn(&format!("{}/{}", schema.registry, schema.name), &version.content);
            }
        }
        let knowledge = Arc::new(knowledge);
        lock().insert(key, (generation, knowledge.clone()));
        Ok(knowledge)
    }
}
