//! Subjects, versions, ids and compatibility checks of the Confluent API.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::{CcError, CcResult};
use super::subject::{Subject, display};
use super::views::*;
use crate::error::Code;
use crate::model::{RegistryName, SchemaName, VersionRecord};
use crate::registry::content;
use crate::registry::refs::{parse_version_uri, version_uri};
use crate::registry::{
    CompatibilityCheckRequest, CreateRegistryRequest, ListQuery, RegisterOptions, RegisterVersionRequest,
    RegistryService, WriteOrigin,
};

/// The Confluent API over a [`RegistryService`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CcompatService {
    pub(super) registry: RegistryService,
    pub(super) default_registry: RegistryName,
}

/// A version selector as Confluent writes it: a number, `latest` or `-1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Selector {
    Latest,
    Number(u32),
}

pub(super) fn parse_selector(raw: &str) -> CcResult<Selector> {
    match raw {
        "latest" | "-1" => Ok(Selector::Latest),
        _ => match raw.parse::<u32>() {
            Ok(n) if n >= 1 && n <= i32::MAX as u32 => Ok(Selector::Number(n)),
            _ => Err(CcError::invalid_version(raw)),
        },
    }
}

/// Confluent's `offset` and `limit` query parameters over a listing: skip `offset`
/// items (default 0), then keep at most `limit` (default, or any value below 1: all).
///
/// # Errors
/// 422 for a value that is not an integer, or a negative offset.
pub fn page<T>(items: Vec<T>, offset: Option<&str>, limit: Option<&str>) -> CcResult<Vec<T>> {
    let number = |name: &str, raw: Option<&str>| -> CcResult<i64> {
        raw.map_or(Ok(0), |r| {
            r.trim().parse::<i64>().map_err(|_| {
                CcError::unprocessable(format!("Query parameter {name} '{r}' is not an integer. Hint: send {name}=0 or another whole number."))
            })
        })
    };
    let offset = number("offset", offset)?;
    let limit = number("limit", limit)?;
    let Ok(skip) = usize::try_from(offset) else {
        return Err(CcError::unprocessable(format!(
            "Query parameter offset {offset} is negative. Hint: send offset=0 or more."
        )));
    };
    let take = usize::try_from(limit).ok().filter(|l| *l >= 1).unwrap_or(usize::MAX);
    Ok(items.into_iter().skip(skip).take(take).collect())
}

impl CcompatService {
    /// The service, mapping unqualified subjects onto `default_registry`.
    pub fn new(registry: RegistryService, default_registry: RegistryName) -> Self {
        Self { registry, default_registry }
    }

    /// The default registry.
    pub fn default_registry(&self) -> &RegistryName {
        &self.default_registry
    }

    /// Parses a subject.
    ///
    /// # Errors
    /// 42208 for names schemabus cannot store.
    pub fn subject(&self, raw: &str) -> CcResult<Subject> {
        Subject::parse(raw, &self.default_registry)
    }

    /// Creates the registry a context maps to, on the first write into it.
    pub(super) async fn ensure_registry(&self, registry: &RegistryName) -> CcResult<()> {
        match self.registry.get_registry(registry) {
            Ok(_) => Ok(()),
            Err(e) if e.code == Code::RegistryNotFound => {
                let request = CreateRegistryRequest {
                    name: registry.to_string(),
                    description: Some("Created by the Confluent-compatible API (/ccompat).".to_owned()),
                    tags: None,
                };
                match self.registry.create_registry(request).await {
                    Ok(_) => Ok(()),
                    Err(e) if e.code == Code::RegistryExists => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored version of a subject, or 40401 when it has none.
    fn stored_versions(&self, subject: &Subject) -> CcResult<Vec<VersionRecord>> {
        match self.registry.versions_of(&subject.registry, &subject.schema) {
            Ok(v) if !v.is_empty() => Ok(v),
            Ok(_) => Err(CcError::subject_not_found(&subject.display())),
            Err(e) if matches!(e.code, Code::RegistryNotFound | Code::SchemaNotFound) => {
                Err(CcError::subject_not_found(&subject.display()))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn view(&self, registry: &RegistryName, subject: String, v: &VersionRecord) -> SchemaView {
        SchemaView {
            subject,
            version: v.version,
            id: v.id.unwrap_or(0),
            schema_type: "JSON",
            references: self.references_of(registry, v),
            schema: v.content.to_string(),
        }
    }

    /// The Confluent references of a version, from its reference names.
    fn references_of(&self, registry: &RegistryName, v: &VersionRecord) -> Vec<Reference> {
        v.ref_names
            .iter()
            .filter_map(|(name, uri)| {
                let (r, s, n) = parse_version_uri(uri)?;
                let qualified = r != registry.as_str();
                let target = RegistryName::parse(&r).ok()?;
                Some(Reference {
                    name: name.clone(),
                    subject: display(&target, &s, qualified),
                    version: i64::from(n),
                })
            })
            .collect()
    }

    /// Every registry, as contexts: the default one first, then the others by name.
    fn context_registries(&self) -> CcResult<Vec<RegistryName>> {
        let mut out = vec![self.default_registry.clone()];
        let mut cursor = None;
        loop {
            let query = ListQuery { prefix: None, limit: Some(1000), cursor };
            let page = self.registry.list_registries(&query)?;
            out.extend(
                page.items
                    .iter()
                    .filter_map(|r| RegistryName::parse(&r.name).ok())
                    .filter(|r| *r != self.default_registry),
            );
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(out)
    }

    /// `GET /contexts`: `.` (the default registry) first, then `.{registry}` for every
    /// other registry by name.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_contexts(&self) -> CcResult<Vec<String>> {
        Ok(self
            .context_registries()?
            .into_iter()
            .map(|r| if r == self.default_registry { ".".to_owned() } else { format!(".{r}") })
            .collect())
    }

    /// `GET /subjects`: the subjects of the default context (plain names), of the context
    /// `subjectPrefix` names (`:.ctx:` or `:.ctx:prefix`; qualified names), or of every
    /// context (`:*:` or `:*:prefix`; the default context first, plain).
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_subjects(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        deleted_only: bool,
    ) -> CcResult<Vec<String>> {
        let (context, rest) = super::subject::split_context(prefix.unwrap_or(""));
        let registries = match context {
            Some(super::subject::WILDCARD) => self.context_registries()?,
            Some(ctx) if !ctx.is_empty() => match RegistryName::parse(ctx) {
                Ok(r) => vec![r],
                Err(_) => return Ok(Vec::new()),
            },
            _ => vec![self.default_registry.clone()],
        };
        let mut names = Vec::new();
        for registry in registries {
            self.subjects_in(&registry, rest, deleted, deleted_only, &mut names)?;
        }
        Ok(names)
    }

    fn subjects_in(
        &self,
        registry: &RegistryName,
        prefix: &str,
        deleted: bool,
        deleted_only: bool,
        names: &mut Vec<String>,
    ) -> CcResult<()> {
        let qualified = *registry != self.default_registry;
        let mut cursor = None;
        loop {
            let query = ListQuery { prefix: Some(prefix.to_owned()), limit: Some(1000), cursor };
            let page = match self.registry.list_schemas(registry, &query) {
                Ok(p) => p,
                Err(e) if e.code == Code::RegistryNotFound => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            for s in page.items {
                let live = s.latest_version.is_some();
                let shown = if deleted_only {
                    !live && s.version_count > 0
                } else {
                    live || (deleted && s.version_count > 0)
                };
                if shown {
                    names.push(display(registry, &s.name, qualified));
                }
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(()),
            }
        }
    }

    /// `GET /subjects/{s}/versions`.
    ///
    /// # Errors
    /// 40401.
    pub fn list_versions(&self, raw: &str, deleted: bool, deleted_only: bool) -> CcResult<Vec<u32>> {
        let subject = self.subject(raw)?;
        let versions = self.stored_versions(&subject)?;
        let live = versions.iter().any(|v| !v.deleted);
        if !live && !deleted && !deleted_only {
            return Err(CcError::subject_not_found(&subject.display()));
        }
        Ok(versions
            .iter()
            .filter(|v| if deleted_only { v.deleted } else { deleted || !v.deleted })
            .map(|v| v.version)
            .collect())
    }

    /// The version a selector names (soft-deleted ones only with `deleted`).
    fn select(&self, subject: &Subject, raw_version: &str, deleted: bool) -> CcResult<VersionRecord> {
        let selector = parse_selector(raw_version)?;
        let versions = self.stored_versions(subject)?;
        let found = match selector {
            Selector::Latest => versions.iter().rev().find(|v| deleted || !v.deleted),
            Selector::Number(n) => versions.iter().find(|v| v.version == n && (deleted || !v.deleted)),
        };
        match found {
            Some(v) => Ok(v.clone()),
            None if !deleted && !versions.iter().any(|v| !v.deleted) => {
                Err(CcError::subject_not_found(&subject.display()))
            }
            None => Err(CcError::version_not_found(&subject.display(), raw_version)),
        }
    }

    /// `GET /subjects/{s}/versions/{v}`.
    ///
    /// # Errors
    /// 40401, 40402, 42202.
    pub fn get_version(&self, raw: &str, version: &str, deleted: bool) -> CcResult<SchemaView> {
        let subject = self.subject(raw)?;
        let v = self.select(&subject, version, deleted)?;
        Ok(self.view(&subject.registry, subject.display(), &v))
    }

    /// `GET /subjects/{s}/versions/{v}/referencedby`: ids of the versions referencing it.
    ///
    /// # Errors
    /// 40401, 40402, 42202.
    pub fn referenced_by(&self, raw: &str, version: &str) -> CcResult<Vec<u32>> {
        let subject = self.subject(raw)?;
        let v = self.select(&subject, version, true)?;
        let mut ids = Vec::new();
        for (r, s, n) in self.registry.referrers_of(&subject.registry, &subject.schema, v.version)? {
            if let (Ok(r), Ok(s)) = (RegistryName::parse(&r), SchemaName::parse(&s))
                && let Ok(record) =
                    self.registry.get_version(&r, &s, crate::model::VersionSelector::Number(n))
                && let Some(id) = record.id
            {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Refuses types other than JSON and returns the parsed schema.
    fn parse_schema(request: &SchemaRequest) -> CcResult<Value> {
        match request.schema_type.as_deref() {
            Some("JSON") => {}
            Some(t @ ("AVRO" | "PROTOBUF")) => {
                return Err(CcError::invalid_schema(format!(
                    "schemaType {t} is not served: schemabus serves JSON Schema only. Hint: send schemaType JSON with a JSON Schema."
                )));
            }
            None => {
                return Err(CcError::invalid_schema(
                    "schemaType is absent, which Confluent reads as AVRO: schemabus serves JSON Schema only. Hint: send schemaType JSON.",
                ));
            }
            Some(other) => {
                return Err(CcError::invalid_schema(format!(
                    "Unknown schemaType '{other}'. Hint: schemabus serves JSON Schema only: send schemaType JSON."
                )));
            }
        }
        let Some(text) = request.schema.as_deref() else {
            return Err(CcError::invalid_schema(
                "The request has no schema. Hint: send {\"schemaType\": \"JSON\", \"schema\": \"...\"}.",
            ));
        };
        serde_json::from_str(text).map_err(|e| {
            CcError::invalid_schema(format!("Invalid schema: the schema string is not JSON: {e}."))
        })
    }

    /// The reference names of a request, resolved to stored version URIs.
    fn resolve_references(
        &self,
        subject: &Subject,
        request: &SchemaRequest,
    ) -> CcResult<BTreeMap<String, String>> {
        let mut names = BTreeMap::new();
        for reference in request.references.iter().flatten() {
            let target = Subject::parse(&reference.subject, &subject.registry)
                .map(|mut t| {
                    // An unqualified reference subject is in the referrer's context.
                    if super::subject::split_context(&reference.subject).0.is_none() {
                        t.registry = subject.registry.clone();
                    }
                    t
                })
                .map_err(|e| {
                    CcError::invalid_schema(format!("Invalid reference '{}': {}", reference.name, e.message))
                })?;
            let raw_version = reference.version.to_string();
            let version = self.select(&target, &raw_version, false).map_err(|e| {
                CcError::invalid_schema(format!(
                    "Invalid schema: reference '{}' names subject '{}' version {}, which does not exist ({}).",
                    reference.name, reference.subject, reference.version, e.message
                ))
            })?;
            names.insert(
                reference.name.clone(),
                version_uri(target.registry.as_str(), target.schema.as_str(), version.version),
            );
        }
        Ok(names)
    }

    /// The stored version of a subject holding exactly this schema (same canonical
    /// content, draft and references).
    fn find_same(
        &self,
        subject: &Subject,
        value: &Value,
        names: &BTreeMap<String, String>,
        deleted: bool,
    ) -> CcResult<Option<VersionRecord>> {
        let Ok(versions) = self.stored_versions(subject) else { return Ok(None) };
        let checked = content::check_with(
            value.clone(),
            content::SchemaLimits { max_schema_bytes: usize::MAX, max_depth: usize::MAX },
            true,
        )
        .map_err(CcError::from)?;
        Ok(versions.into_iter().rev().find(|v| {
            (deleted || !v.deleted)
                && v.fingerprint == checked.fingerprint
                && v.draft == checked.draft_name
                && &v.ref_names == names
        }))
    }

    /// `POST /subjects/{s}/versions`.
    ///
    /// # Errors
    /// 42201 (invalid schema, not JSON Schema), 409 (incompatible), 42205 (mode),
    /// 42207 (imported id conflicts).
    pub async fn register(&self, raw: &str, request: SchemaRequest) -> CcResult<RegisteredView> {
        let subject = self.subject(raw)?;
        let value = Self::parse_schema(&request)?;
        let mode = self.effective_mode(&subject.registry, Some(&subject.schema))?;
        let importing = mode == "IMPORT";
        if mode.starts_with("READONLY") {
            return Err(CcError::not_permitted(format!(
                "Subject '{}' is in read-only mode. Hint: PUT /mode/{} {{\"mode\": \"READWRITE\"}}.",
                subject.display(),
                subject.display()
            )));
        }
        if (request.id.is_some() || request.version.is_some()) && !importing {
            return Err(CcError::not_permitted(
                "An explicit id or version is only accepted in IMPORT mode. Hint: PUT /mode {\"mode\": \"IMPORT\"} for a migration.",
            ));
        }
        let import_id = request
            .id
            .map(|id| {
                u32::try_from(id)
                    .ok()
                    .filter(|id| *id >= 1)
                    .ok_or_else(|| CcError::unprocessable(format!("Id {id} is not a valid schema id.")))
            })
            .transpose()?;
        let import_version = match request.version {
            Some(v) => match parse_selector(&v.to_string())? {
                Selector::Number(n) => Some(n),
                Selector::Latest => None,
            },
            None => None,
        };
        let names = self.resolve_references(&subject, &request)?;
        if import_version.is_none()
            && let Some(same) = self.find_same(&subject, &value, &names, false)?
            && import_id.is_none_or(|id| same.id == Some(id))
        {
            return Ok(RegisteredView { id: same.id.unwrap_or(0), version: same.version });
        }
        self.ensure_registry(&subject.registry).await?;
        let options = RegisterOptions {
            draft_07_by_default: true,
            ref_names: names,
            import_id,
            import_version,
            skip_compatibility: importing,
        };
        let (_, created) = self
            .registry
            .register_version_with(
                &subject.registry,
                &subject.schema,
                RegisterVersionRequest { content: value, description: None, format: Default::default() },
                WriteOrigin::User,
                options,
            )
            .await?;
        Ok(RegisteredView { id: created.id.unwrap_or(0), version: created.version })
    }

    /// `POST /subjects/{s}`: the version of the subject holding this schema.
    ///
    /// # Errors
    /// 40401, 40403, 42201.
    pub fn lookup(&self, raw: &str, request: &SchemaRequest, deleted: bool) -> CcResult<SchemaView> {
        let subject = self.subject(raw)?;
        let value = Self::parse_schema(request)?;
        self.stored_versions(&subject)?;
        let names = self.resolve_references(&subject, request)?;
        match self.find_same(&subject, &value, &names, deleted)? {
            Some(v) => Ok(self.view(&subject.registry, subject.display(), &v)),
            None => Err(CcError::schema_not_found(format!(
                "Schema not found under subject '{}'.",
                subject.display()
            ))),
        }
    }

    fn refuse_if_read_only(&self, subject: &Subject) -> CcResult<()> {
        if self.effective_mode(&subject.registry, Some(&subject.schema))?.starts_with("READONLY") {
            return Err(CcError::not_permitted(format!(
                "Subject '{}' is in read-only mode.",
                subject.display()
            )));
        }
        Ok(())
    }

    /// `DELETE /subjects/{s}[?permanent=true]`: the versions deleted.
    ///
    /// # Errors
    /// 40401, 40404 (already soft-deleted), 40405 (permanent before soft), 42206.
    pub async fn delete_subject(&self, raw: &str, permanent: bool) -> CcResult<Vec<u32>> {
        let subject = self.subject(raw)?;
        self.refuse_if_read_only(&subject)?;
        let versions = self.stored_versions(&subject)?;
        let live: Vec<u32> = versions.iter().filter(|v| !v.deleted).map(|v| v.version).collect();
        if permanent {
            if !live.is_empty() {
                return Err(CcError::subject_not_soft_deleted(&subject.display()));
            }
            self.registry.delete_schema(&subject.registry, &subject.schema).await?;
            return Ok(versions.iter().map(|v| v.version).collect());
        }
        if live.is_empty() {
            return Err(CcError::subject_soft_deleted(&subject.display()));
        }
        self.registry.soft_delete_versions(&subject.registry, &subject.schema, &live).await?;
        Ok(live)
    }

    /// `DELETE /subjects/{s}/versions/{v}[?permanent=true]`: the version deleted.
    ///
    /// # Errors
    /// 40401, 40402, 40406, 40407, 42202, 42206.
    pub async fn delete_version(&self, raw: &str, version: &str, permanent: bool) -> CcResult<u32> {
        let subject = self.subject(raw)?;
        self.refuse_if_read_only(&subject)?;
        // A number names soft-deleted versions too (to answer 40406); `latest` never does.
        let by_number = parse_selector(version)? != Selector::Latest;
        let v = self.select(&subject, version, permanent || by_number)?;
        if permanent {
            if !v.deleted {
                return Err(CcError::version_not_soft_deleted(&subject.display(), v.version));
            }
            self.registry
                .delete_version(
                    &subject.registry,
                    &subject.schema,
                    crate::model::VersionSelector::Number(v.version),
                )
                .await?;
            return Ok(v.version);
        }
        if v.deleted {
            return Err(CcError::version_soft_deleted(&subject.display(), v.version));
        }
        self.registry.soft_delete_versions(&subject.registry, &subject.schema, &[v.version]).await?;
        Ok(v.version)
    }

    /// The versions holding an id within the registry the `subject` query names (the
    /// default one without it; every registry for the wildcard context `:*:`, the default
    /// one first): ids are global, but a key reads only what its grants cover, and the
    /// access check is on that registry. `(registry, subject as shown, version)`.
    fn id_holders(
        &self,
        id: u32,
        subject: Option<&str>,
    ) -> CcResult<Vec<(RegistryName, String, VersionRecord)>> {
        let not_found = || CcError::schema_not_found(format!("Schema {id} not found."));
        let wanted = match super::subject::registry_for(subject, self.default_registry.as_str()) {
            Some(name) => Some(RegistryName::parse(&name).map_err(|_| not_found())?),
            None => None,
        };
        let mut found = Vec::new();
        for (r, s, n) in self.registry.versions_with_id(id)? {
            let Ok(registry) = RegistryName::parse(&r) else { continue };
            if wanted.as_ref().is_some_and(|w| *w != registry) {
                continue;
            }
            let Ok(schema) = SchemaName::parse(&s) else { continue };
            if let Ok(record) =
                self.registry.get_version(&registry, &schema, crate::model::VersionSelector::Number(n))
            {
                let qualified = registry != self.default_registry;
                let shown = display(&registry, &s, qualified);
                found.push((registry, shown, record));
            }
        }
        // The default context first, then the others by name (a stable sort keeps the
        // storage order within each).
        found.sort_by_key(|(r, _, _)| (*r != self.default_registry, r.to_string()));
        if found.is_empty() {
            return Err(not_found());
        }
        Ok(found)
    }

    /// `GET /schemas/ids/{id}`.
    ///
    /// # Errors
    /// 40403.
    pub fn schema_by_id(&self, id: u32, subject: Option<&str>) -> CcResult<IdView> {
        let found = self.id_holders(id, subject)?;
        let (registry, _, v) = &found[0];
        Ok(IdView {
            schema_type: "JSON",
            schema: v.content.to_string(),
            references: self.references_of(registry, v),
        })
    }

    /// `GET /schemas/ids/{id}/versions`.
    ///
    /// # Errors
    /// 40403.
    pub fn versions_of_id(
        &self,
        id: u32,
        subject: Option<&str>,
        deleted: bool,
    ) -> CcResult<Vec<SubjectVersion>> {
        Ok(self
            .id_holders(id, subject)?
            .into_iter()
            .filter(|(_, _, v)| deleted || !v.deleted)
            .map(|(_, subject, v)| SubjectVersion { subject, version: v.version })
            .collect())
    }

    /// `GET /schemas/ids/{id}/subjects`.
    ///
    /// # Errors
    /// 40403.
    pub fn subjects_of_id(&self, id: u32, subject: Option<&str>, deleted: bool) -> CcResult<Vec<String>> {
        let mut subjects: Vec<String> =
            self.versions_of_id(id, subject, deleted)?.into_iter().map(|sv| sv.subject).collect();
        subjects.dedup();
        Ok(subjects)
    }

    /// `GET /schemas`: versions of the subjects starting with a prefix.
    ///
    /// # Errors
    /// Storage failures.
    pub fn list_schemas(
        &self,
        prefix: Option<&str>,
        deleted: bool,
        latest_only: bool,
    ) -> CcResult<Vec<SchemaView>> {
        let mut out = Vec::new();
        for name in self.list_subjects(prefix, deleted, false)? {
            let subject = self.subject(&name)?;
            let versions: Vec<VersionRecord> =
                self.stored_versions(&subject)?.into_iter().filter(|v| deleted || !v.deleted).collect();
            let chosen: Vec<&VersionRecord> =
                if latest_only { versions.last().into_iter().collect() } else { versions.iter().collect() };
            for v in chosen {
                out.push(self.view(&subject.registry, name.clone(), v));
            }
        }
        Ok(out)
    }

    /// `POST /compatibility/subjects/{s}/versions[/{v}]`.
    ///
    /// # Errors
    /// 40401, 40402, 42201, 42202.
    pub fn check_compatibility(
        &self,
        raw: &str,
        version: Option<&str>,
        request: &SchemaRequest,
        verbose: bool,
    ) -> CcResult<CompatibilityView> {
        let subject = self.subject(raw)?;
        let value = Self::parse_schema(request)?;
        let against = match version {
            Some(v) => Some(self.select(&subject, v, false)?.version),
            None => None,
        };
        if against.is_none() && self.stored_versions(&subject).is_err() {
            // Nothing to be incompatible with, as Confluent answers.
            return Ok(CompatibilityView { is_compatible: true, messages: verbose.then(Vec::new) });
        }
        let names = self.resolve_references(&subject, request)?;
        let options =
            RegisterOptions { draft_07_by_default: true, ref_names: names, ..RegisterOptions::default() };
        let report = self.registry.check_compatibility_with(
            &subject.registry,
            &subject.schema,
            CompatibilityCheckRequest { content: value, compatibility: None, policy: None },
            &options,
            against,
        )?;
        let messages = verbose.then(|| {
            report
                .findings
                .iter()
                .filter(|f| !f.compatible)
                .map(|f| {
                    let version = f.version.map(|v| format!(" (against version {v})")).unwrap_or_default();
                    format!("{} at {}: {}{version}", f.kind, f.path, f.message)
                })
                .collect()
        });
        Ok(CompatibilityView { is_compatible: report.compatible, messages })
    }
}
