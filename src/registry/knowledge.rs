//! Registry knowledge for inference: what the registered schemas show about named
//! structures (`infer::Knowledge`, rule in docs/INFERENCE.md, "Registry knowledge").

use super::RegistryService;
use crate::error::ApiResult;
use crate::infer::Knowledge;
use crate::model::RegistryName;

impl RegistryService {
    /// Learns from the latest version of every schema of `only`, or of every registry.
    /// Sources are named `registry/schema`.
    ///
    /// # Errors
    /// `registry_not_found` for `only`, storage failures.
    pub fn knowledge(&self, only: Option<&RegistryName>) -> ApiResult<Knowledge> {
        if let Some(r) = only {
            self.get_registry(r)?;
        }
        let mut knowledge = Knowledge::new();
        for schema in self.store().all_schemas(only.map(RegistryName::as_str))? {
            let Some(latest) = schema.latest_version else { continue };
            if let Some(version) = self.store().get_version(&schema.registry, &schema.name, latest)? {
                knowledge.learn(&format!("{}/{}", schema.registry, schema.name), &version.content);
            }
        }
        Ok(knowledge)
    }
}
