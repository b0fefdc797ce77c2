//! Compatibility levels (`/config`) and modes (`/mode`) of the Confluent API. The global
//! level and mode are those of the default registry; a subject's are its schema's.

use super::error::{CcError, CcResult};
use super::service::CcompatService;
use crate::compat::{CompatibilityMode, Policy};
use crate::error::Code;
use crate::model::{RegistryName, SchemaName};
use crate::registry::CompatibilityConfig;

/// The modes served.
const MODES: &[&str] = &["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"];

fn level(request: &super::ConfigRequest) -> CcResult<CompatibilityMode> {
    let raw = request.compatibility.as_deref().or(request.compatibility_level.as_deref()).unwrap_or("");
    raw.parse::<CompatibilityMode>().map_err(|_| CcError::invalid_compatibility_level(raw))
}

fn level_body(key: &str, mode: CompatibilityMode) -> serde_json::Value {
    serde_json::json!({ key: mode.as_str() })
}

impl CcompatService {
    fn global_level(&self) -> CcResult<CompatibilityMode> {
        match self.registry.effective_config(&self.default_registry, None) {
            Ok(c) => Ok(c.compatibility),
            Err(e) if e.code == Code::RegistryNotFound => Ok(CompatibilityMode::Backward),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /config` or `GET /config/{s}[?defaultToGlobal=true]`.
    ///
    /// # Errors
    /// 40408 for a subject without its own level (unless `defaultToGlobal`).
    pub fn get_config(&self, raw: Option<&str>, default_to_global: bool) -> CcResult<serde_json::Value> {
        let Some(raw) = raw else { return Ok(level_body("compatibilityLevel", self.global_level()?)) };
        let subject = self.subject(raw)?;
        if let Some(own) = self.registry.own_config(&subject.registry, Some(&subject.schema))? {
            return Ok(level_body("compatibilityLevel", own.compatibility));
        }
        if !default_to_global {
            return Err(CcError::subject_level_compatibility_not_configured(&subject.display()));
        }
        match self.registry.effective_config(&subject.registry, Some(&subject.schema)) {
            Ok(c) => Ok(level_body("compatibilityLevel", c.compatibility)),
            Err(e) if e.code == Code::RegistryNotFound => {
                Ok(level_body("compatibilityLevel", self.global_level()?))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn target(&self, raw: Option<&str>) -> CcResult<(RegistryName, Option<SchemaName>)> {
        match raw {
            None => Ok((self.default_registry.clone(), None)),
            Some(raw) => {
                let s = self.subject(raw)?;
                Ok((s.registry, Some(s.schema)))
            }
        }
    }

    /// `PUT /config[/{s}]`. The policy in force (STRICT unless set natively) is kept.
    ///
    /// # Errors
    /// 42203.
    pub async fn set_config(
        &self,
        raw: Option<&str>,
        request: &super::ConfigRequest,
    ) -> CcResult<serde_json::Value> {
        let mode = level(request)?;
        let (registry, schema) = self.target(raw)?;
        self.ensure_registry(&registry).await?;
        let policy =
            self.registry.own_config(&registry, schema.as_ref())?.map_or(Policy::Strict, |c| c.policy);
        self.registry
            .set_config(&registry, schema.as_ref(), CompatibilityConfig { compatibility: mode, policy })
            .await?;
        Ok(level_body("compatibility", mode))
    }

    /// `DELETE /config[/{s}]`: removes the level, answering the one removed.
    ///
    /// # Errors
    /// 40401 for a subject without its own level.
    pub async fn delete_config(&self, raw: Option<&str>) -> CcResult<serde_json::Value> {
        let (registry, schema) = self.target(raw)?;
        let own = match self.registry.own_config(&registry, schema.as_ref())? {
            Some(c) => c.compatibility,
            None if schema.is_none() => self.global_level()?,
            None => return Err(CcError::subject_not_found(raw.unwrap_or_default())),
        };
        self.registry.remove_own_config(&registry, schema.as_ref()).await?;
        Ok(level_body("compatibilityLevel", own))
    }

    /// The mode in force for a schema (`schema = None`: for its registry).
    pub(super) fn effective_mode(
        &self,
        registry: &RegistryName,
        schema: Option<&SchemaName>,
    ) -> CcResult<String> {
        if let Some(s) = schema
            && let Some(m) = self.registry.mode(registry, Some(s))?
        {
            return Ok(m);
        }
        if let Some(m) = self.registry.mode(registry, None)? {
            return Ok(m);
        }
        if *registry != self.default_registry
            && let Some(m) = self.registry.mode(&self.default_registry, None)?
        {
            return Ok(m);
        }
        Ok("READWRITE".to_owned())
    }

    /// `GET /mode` or `GET /mode/{s}[?defaultToGlobal=true]`.
    ///
    /// # Errors
    /// 40409 for a subject without its own mode (unless `defaultToGlobal`).
    pub fn get_mode(&self, raw: Option<&str>, default_to_global: bool) -> CcResult<serde_json::Value> {
        let (registry, schema) = self.target(raw)?;
        if let Some(s) = &schema
            && self.registry.mode(&registry, Some(s))?.is_none()
            && !default_to_global
        {
            return Err(CcError::subject_level_mode_not_configured(raw.unwrap_or_default()));
        }
        Ok(serde_json::json!({ "mode": self.effective_mode(&registry, schema.as_ref())? }))
    }

    /// `PUT /mode[/{s}][?force=true]`. IMPORT needs an empty registry or subject unless
    /// forced, as in Confluent.
    ///
    /// # Errors
    /// 42204 for an unknown mode, 42205 for IMPORT over existing schemas.
    pub async fn set_mode(&self, raw: Option<&str>, mode: &str, force: bool) -> CcResult<serde_json::Value> {
        let mode = mode.to_ascii_uppercase();
        if !MODES.contains(&mode.as_str()) {
            return Err(CcError::invalid_mode(&mode));
        }
        let (registry, schema) = self.target(raw)?;
        if mode == "IMPORT" && !force {
            let occupied = match &schema {
                Some(s) => self.registry.get_schema(&registry, s).is_ok_and(|r| r.version_count > 0),
                None => {
                    self.registry.get_registry(&registry).is_ok()
                        && !self.list_subjects(raw, true, false)?.is_empty()
                }
            };
            if occupied {
                return Err(CcError::not_permitted(
                    "Cannot import since found existing subjects. Hint: pass force=true to switch to IMPORT anyway.",
                ));
            }
        }
        self.ensure_registry(&registry).await?;
        self.registry.set_mode(&registry, schema.as_ref(), Some(&mode)).await?;
        Ok(serde_json::json!({ "mode": mode }))
    }

    /// `DELETE /mode`: removes the global mode (back to READWRITE), answering the one in
    /// force before, as Confluent does. Subjects' own modes are kept.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn delete_global_mode(&self) -> CcResult<serde_json::Value> {
        let own = self.registry.mode(&self.default_registry, None)?;
        if own.is_some() {
            self.registry.set_mode(&self.default_registry, None, None).await?;
        }
        Ok(serde_json::json!({ "mode": own.as_deref().unwrap_or("READWRITE") }))
    }

    /// `DELETE /mode/{s}`: removes a subject's mode, answering the one removed.
    ///
    /// # Errors
    /// 40409 when the subject has none.
    pub async fn delete_mode(&self, raw: &str) -> CcResult<serde_json::Value> {
        let subject = self.subject(raw)?;
        let Some(own) = self.registry.mode(&subject.registry, Some(&subject.schema))? else {
            return Err(CcError::subject_level_mode_not_configured(raw));
        };
        self.registry.set_mode(&subject.registry, Some(&subject.schema), None).await?;
        Ok(serde_json::json!({ "mode": own }))
    }
}
