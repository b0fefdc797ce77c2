//! Resource policies (the AWS Schemas API's PutResourcePolicy and friends): IAM policy
//! documents stored per registry, or for the account, with a `RevisionId` for optimistic
//! concurrency. Stored and returned, **not enforced**: schemabus grants govern access.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::RegistryService;
use crate::error::{ApiError, ApiResult, Code};
use crate::model::{RegistryName, now_rfc3339};
use crate::storage::AwsKind;

/// Largest policy document accepted, in bytes (IAM's resource-policy size).
const MAX_POLICY_BYTES: usize = 20 * 1024;

/// A stored policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePolicy {
    /// The policy document, as given.
    pub policy: String,
    /// Changes at every write.
    pub revision_id: String,
    /// RFC 3339 time of the write.
    pub updated_at: String,
}

fn key(registry: Option<&RegistryName>) -> &str {
    registry.map_or("", RegistryName::as_str)
}

fn not_found(registry: Option<&RegistryName>) -> ApiError {
    let whose = registry.map_or_else(|| "the account".to_owned(), |r| format!("registry '{r}'"));
    ApiError::new(
        Code::PolicyNotFound,
        format!("No resource policy is stored for {whose}. Hint: put one first."),
    )
}

/// Whether a write that names `given` may replace `stored`: it names no revision, or the
/// stored one.
pub fn revision_matches(stored: Option<&ResourcePolicy>, given: Option<&str>) -> bool {
    match (given, stored) {
        (None, _) => true,
        (Some(g), Some(s)) => g == s.revision_id,
        (Some(_), None) => false,
    }
}

impl RegistryService {
    fn check_policy_owner(&self, registry: Option<&RegistryName>) -> ApiResult<()> {
        if let Some(r) = registry {
            self.get_registry(r)?;
        }
        Ok(())
    }

    /// The policy of a registry (or of the account, `None`).
    ///
    /// # Errors
    /// `registry_not_found`, `policy_not_found`.
    pub fn resource_policy(&self, registry: Option<&RegistryName>) -> ApiResult<ResourcePolicy> {
        self.check_policy_owner(registry)?;
        self.control().get_aws(AwsKind::Policy, key(registry))?.ok_or_else(|| not_found(registry))
    }

    /// Stores a policy; with `revision`, only if it is the stored policy's.
    ///
    /// # Errors
    /// `registry_not_found`, `invalid_request` (not a JSON object, too large),
    /// `revision_mismatch`.
    pub async fn put_resource_policy(
        &self,
        registry: Option<&RegistryName>,
        policy: String,
        revision: Option<&str>,
    ) -> ApiResult<ResourcePolicy> {
        self.check_policy_owner(registry)?;
        if policy.len() > MAX_POLICY_BYTES
            || !matches!(serde_json::from_str::<Value>(&policy), Ok(Value::Object(_)))
        {
            return Err(ApiError::new(
                Code::InvalidRequest,
                format!(
                    "The policy is not a JSON object of at most {MAX_POLICY_BYTES} bytes. Hint: send an IAM policy document."
                ),
            ));
        }
        let stored: Option<ResourcePolicy> = self.control().get_aws(AwsKind::Policy, key(registry))?;
        let mismatch = || {
            ApiError::new(
                Code::RevisionMismatch,
                "The RevisionId is not the stored policy's. Hint: get the policy again and retry with its RevisionId.",
            )
        };
        if !revision_matches(stored.as_ref(), revision) {
            return Err(mismatch());
        }
        let record = ResourcePolicy {
            policy,
            revision_id: uuid::Uuid::new_v4().to_string(),
            updated_at: now_rfc3339(),
        };
        // The check above holds only if nobody replaced the policy since it was read, on
        // any instance: the store decides.
        if revision.is_none() {
            self.control().put_aws(AwsKind::Policy, key(registry), &record).await?;
        } else if !self
            .control()
            .replace_aws(AwsKind::Policy, key(registry), stored.as_ref(), &record)
            .await?
        {
            return Err(mismatch());
        }
        Ok(record)
    }

    /// Deletes a policy.
    ///
    /// # Errors
    /// `registry_not_found`, `policy_not_found`.
    pub async fn delete_resource_policy(&self, registry: Option<&RegistryName>) -> ApiResult<()> {
        self.check_policy_owner(registry)?;
        if !self.control().delete_aws(AwsKind::Policy, key(registry)).await? {
            return Err(not_found(registry));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn policies_are_kept_per_registry_and_account_with_revisions() {
        let dir = tempfile::tempdir().expect("dir");
        let store =
            crate::storage::Store::open(dir.path(), &crate::storage::StoreOptions::default()).expect("store");
        let service = RegistryService::new(
            std::sync::Arc::new(store.clone()),
            store.clone(),
            crate::storage::Control::new(std::sync::Arc::new(store)),
            crate::registry::RegistryConfig::default(),
        )
        .await
        .expect("service");
        let shop = RegistryName::parse("shop").expect("name");
        let missing = service.resource_policy(Some(&shop)).expect_err("no registry");
        assert_eq!(missing.code, Code::RegistryNotFound);
        service
            .create_registry(crate::registry::CreateRegistryRequest {
                name: "shop".into(),
                description: None,
                tags: None,
            })
            .await
            .expect("registry");
        assert_eq!(service.resource_policy(Some(&shop)).expect_err("none yet").code, Code::PolicyNotFound);
        let doc = r#"{"Version": "2012-10-17", "Statement": []}"#;
        let first = service.put_resource_policy(Some(&shop), doc.into(), None).await.expect("put");
        assert_eq!(service.resource_policy(Some(&shop)).expect("get"), first);
        let stale = service.put_resource_policy(Some(&shop), doc.into(), Some("stale")).await;
        assert_eq!(stale.expect_err("stale").code, Code::RevisionMismatch);
        let second = service
            .put_resource_policy(Some(&shop), doc.into(), Some(&first.revision_id))
            .await
            .expect("put");
        assert_ne!(second.revision_id, first.revision_id);
        let bad = service.put_resource_policy(None, "[1]".into(), None).await;
        assert_eq!(bad.expect_err("not an object").code, Code::InvalidRequest);
        assert_eq!(service.resource_policy(None).expect_err("account: none").code, Code::PolicyNotFound);
        service.put_resource_policy(None, doc.into(), None).await.expect("account policy");
        service.delete_resource_policy(Some(&shop)).await.expect("delete");
        assert_eq!(
            service.delete_resource_policy(Some(&shop)).await.expect_err("gone").code,
            Code::PolicyNotFound
        );
        assert!(service.resource_policy(None).is_ok(), "the account's policy is its own");
    }

    #[test]
    fn only_the_stored_revision_or_none_may_replace_a_policy() {
        let stored =
            ResourcePolicy { policy: "{}".into(), revision_id: "r1".into(), updated_at: String::new() };
        assert!(revision_matches(Some(&stored), None));
        assert!(revision_matches(None, None));
        assert!(revision_matches(Some(&stored), Some("r1")));
        assert!(!revision_matches(Some(&stored), Some("r0")));
        assert!(!revision_matches(None, Some("r1")));
    }
}
