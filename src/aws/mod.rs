//! PURE: the AWS-compatible API's translation helpers (docs/AWS-API.md): SigV4
//! verification ([`sigv4`]), ARNs, paging tokens, and the mapping of native error codes
//! to AWS error names. No I/O; the HTTP front end is `http::aws`.

pub mod sigv4;
pub mod sqs;
pub mod sqs_md5;

use base64::Engine as _;

use crate::error::{Code, ErrorKind};

/// Account and region ARNs are built with (`--account`, `--region`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arns {
    /// Account id.
    pub account: String,
    /// Region.
    pub region: String,
}

impl Arns {
    /// `arn:aws:events:<region>:<account>:event-bus/<bus>`.
    pub fn bus(&self, bus: &str) -> String {
        format!("arn:aws:events:{}:{}:event-bus/{bus}", self.region, self.account)
    }

    /// `…:rule/<rule>` on `default`, `…:rule/<bus>/<rule>` elsewhere (as EventBridge).
    pub fn rule(&self, bus: &str, rule: &str) -> String {
        if bus == "default" {
            format!("arn:aws:events:{}:{}:rule/{rule}", self.region, self.account)
        } else {
            format!("arn:aws:events:{}:{}:rule/{bus}/{rule}", self.region, self.account)
        }
    }

    /// `arn:aws:events:<region>:<account>:archive/<archive>`.
    pub fn archive(&self, archive: &str) -> String {
        format!("arn:aws:events:{}:{}:archive/{archive}", self.region, self.account)
    }

    /// `arn:aws:events:<region>:<account>:replay/<replay>`.
    pub fn replay(&self, replay: &str) -> String {
        format!("arn:aws:events:{}:{}:replay/{replay}", self.region, self.account)
    }

    /// `arn:aws:events:<region>:<account>:connection/<name>/<id>`.
    pub fn connection(&self, name: &str, id: &str) -> String {
        format!("arn:aws:events:{}:{}:connection/{name}/{id}", self.region, self.account)
    }

    /// `arn:aws:events:<region>:<account>:api-destination/<name>/<id>`.
    pub fn api_destination(&self, name: &str, id: &str) -> String {
        format!("arn:aws:events:{}:{}:api-destination/{name}/{id}", self.region, self.account)
    }

    /// The `events` resource of an ARN of this account and region that starts with
    /// `kind/` (`archive/`, `rule/`, …): what follows it.
    ///
    /// # Errors
    /// A message when it is not such an ARN.
    pub fn events_resource<'a>(&self, arn: &'a str, kind: &str) -> Result<&'a str, String> {
        match self.parse(arn)? {
            ("events", resource) => resource
                .strip_prefix(kind)
                .and_then(|r| r.strip_prefix('/'))
                .filter(|r| !r.is_empty())
                .ok_or_else(|| format!("'{arn}' is not an EventBridge {kind} ARN.")),
            _ => Err(format!("'{arn}' is not an EventBridge {kind} ARN.")),
        }
    }

    /// `arn:aws:sqs:<region>:<account>:<queue>`.
    pub fn queue(&self, queue: &str) -> String {
        format!("arn:aws:sqs:{}:{}:{queue}", self.region, self.account)
    }

    /// `arn:aws:schemas:<region>:<account>:registry/<registry>`.
    pub fn registry(&self, registry: &str) -> String {
        format!("arn:aws:schemas:{}:{}:registry/{registry}", self.region, self.account)
    }

    /// `arn:aws:schemas:<region>:<account>:schema/<registry>/<schema>`.
    pub fn schema(&self, registry: &str, schema: &str) -> String {
        format!("arn:aws:schemas:{}:{}:schema/{registry}/{schema}", self.region, self.account)
    }

    /// `arn:aws:schemas:<region>:<account>:discoverer/<id>`.
    pub fn discoverer(&self, id: &str) -> String {
        format!("arn:aws:schemas:{}:{}:discoverer/{id}", self.region, self.account)
    }

    /// The Schemas resource an ARN names (tags are kept on these three kinds).
    ///
    /// # Errors
    /// A message when it is not a registry, schema or discoverer ARN of this account.
    pub fn schemas_resource(&self, arn: &str) -> Result<SchemasResource, String> {
        let not_one =
            || format!("'{arn}' is not a registry, schema or discoverer ARN of the Schemas service.");
        let ("schemas", resource) = self.parse(arn)? else { return Err(not_one()) };
        let (kind, rest) = resource.split_once('/').ok_or_else(not_one)?;
        match (kind, rest.split_once('/')) {
            ("registry", None) if !rest.is_empty() => Ok(SchemasResource::Registry(rest.to_owned())),
            ("schema", Some((registry, schema))) if !registry.is_empty() && !schema.is_empty() => {
                Ok(SchemasResource::Schema(registry.to_owned(), schema.to_owned()))
            }
            ("discoverer", None) if !rest.is_empty() => Ok(SchemasResource::Discoverer(rest.to_owned())),
            _ => Err(not_one()),
        }
    }

    /// The `(service, resource)` of an ARN of this account and region, or why not.
    ///
    /// # Errors
    /// A message saying what is wrong with it.
    pub fn parse<'a>(&self, arn: &'a str) -> Result<(&'a str, &'a str), String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(format!("'{arn}' is not an ARN (arn:aws:<service>:<region>:<account>:<resource>)."));
        };
        if *prefix != "arn" || !partition.starts_with("aws") {
            return Err(format!("'{arn}' is not an ARN (arn:aws:<service>:<region>:<account>:<resource>)."));
        }
        if *region != self.region || *account != self.account {
            return Err(format!(
                "'{arn}' names region '{region}' and account '{account}'; this service is region '{}', account '{}'.",
                self.region, self.account
            ));
        }
        Ok((service, resource))
    }

    /// The bus a name-or-ARN member names.
    ///
    /// # Errors
    /// A message when it is an ARN of something else.
    pub fn bus_name<'a>(&self, name_or_arn: &'a str) -> Result<&'a str, String> {
        if !name_or_arn.starts_with("arn:") {
            return Ok(name_or_arn);
        }
        match self.parse(name_or_arn)? {
            ("events", resource) => resource
                .strip_prefix("event-bus/")
                .ok_or_else(|| format!("'{name_or_arn}' is not an event bus ARN.")),
            _ => Err(format!("'{name_or_arn}' is not an event bus ARN.")),
        }
    }
}

/// What a Schemas ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemasResource {
    /// A registry.
    Registry(String),
    /// A schema: registry and schema names.
    Schema(String, String),
    /// A discoverer, by id.
    Discoverer(String),
}

/// An opaque `NextToken`: the last name of the page, base64url.
pub fn next_token(last: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last.as_bytes())
}

/// The name a `NextToken` resumes after.
pub fn after_token(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(bytes).ok()
}

/// One page of `items` (sorted by name) after `token`, at most `limit` long, and the
/// token of the next page.
///
/// # Errors
/// A message when the token is not one we returned.
pub fn page<T>(
    items: Vec<T>,
    name: impl Fn(&T) -> &str,
    token: Option<&str>,
    limit: usize,
) -> Result<(Vec<T>, Option<String>), String> {
    let after = match token {
        Some(t) => {
            Some(after_token(t).ok_or_else(|| "The NextToken is not one this service returned.".to_owned())?)
        }
        None => None,
    };
    let mut rest: Vec<T> =
        items.into_iter().filter(|i| after.as_deref().is_none_or(|a| name(i) > a)).collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    let token = if more { rest.last().map(|l| next_token(name(l))) } else { None };
    Ok((rest, token))
}

/// The AWS error name (`__type`) a native code is answered with, and its status.
pub fn error_name(code: Code) -> (&'static str, u16) {
    let name = match code {
        Code::BusNotFound
        | Code::RuleNotFound
        | Code::QueueNotFound
        | Code::KeyNotFound
        | Code::ArchiveNotFound
        | Code::ReplayNotFound
        | Code::RegistryNotFound
        | Code::SchemaNotFound
        | Code::VersionNotFound => "ResourceNotFoundException",
        Code::BusExists
        | Code::RegistryExists
        | Code::ReplayExists
        | Code::KeyExists
        | Code::ConnectionExists
        | Code::ApiDestinationExists => "ResourceAlreadyExistsException",
        Code::InvalidPattern => "InvalidEventPatternException",
        Code::InvalidSchedule => "ValidationException",
        Code::ReplayNotCancellable => "IllegalStatusException",
        Code::TooManyRules => "LimitExceededException",
        Code::Unauthorized => "UnrecognizedClientException",
        Code::Forbidden => "AccessDeniedException",
        Code::RateLimited | Code::Overloaded => "ThrottlingException",
        Code::MalformedJson => "SerializationException",
        Code::Internal | Code::StorageFull | Code::StorageUnavailable => "InternalException",
        other => match other.kind() {
            ErrorKind::NotFound => "ResourceNotFoundException",
            ErrorKind::Conflict => "ConcurrentModificationException",
            ErrorKind::Internal => "InternalException",
            ErrorKind::Throttled => "ThrottlingException",
            ErrorKind::Denied => "AccessDeniedException",
            ErrorKind::InvalidRequest => "ValidationException",
        },
    };
    (name, if name == "InternalException" { 500 } else { 400 })
}

/// The Schemas (REST-JSON) error shape a native code is answered with, and its status:
/// the model's error shapes, each with the status the model gives it.
pub fn schemas_error_name(code: Code) -> (&'static str, u16) {
    match code {
        Code::Unauthorized => ("UnauthorizedException", 401),
        Code::Forbidden | Code::RegistryReadOnly => ("ForbiddenException", 403),
        Code::RevisionMismatch => ("PreconditionFailedException", 412),
        Code::Overloaded | Code::StorageUnavailable | Code::StorageFull => {
            ("ServiceUnavailableException", 503)
        }
        other => match other.kind() {
            ErrorKind::NotFound => ("NotFoundException", 404),
            ErrorKind::Conflict => ("ConflictException", 409),
            ErrorKind::Internal => ("InternalServerErrorException", 500),
            ErrorKind::Throttled => ("TooManyRequestsException", 429),
            ErrorKind::Denied => ("ForbiddenException", 403),
            ErrorKind::InvalidRequest => ("BadRequestException", 400),
        },
    }
}

/// The Schemas shape and status of an error the shared front end raised under its
/// EventBridge name (request reading, grants, rate limits); `None` for a name that is
/// already a Schemas shape. SigV4 failures keep their names (the ones every SDK knows)
/// with status 403, as AWS REST services answer them.
pub fn schemas_kind_of(kind: &str) -> Option<(&str, u16)> {
    Some(match kind {
        "ValidationException" | "SerializationException" => ("BadRequestException", 400),
        "AccessDeniedException" => ("ForbiddenException", 403),
        "ThrottlingException" => ("TooManyRequestsException", 429),
        "InternalException" => ("InternalServerErrorException", 500),
        "UnknownOperationException" => ("UnknownOperationException", 404),
        "MissingAuthenticationTokenException"
        | "IncompleteSignatureException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException" => (kind, 403),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arns() -> Arns {
        Arns { account: "123456789012".into(), region: "us-east-1".into() }
    }

    #[test]
    fn arns_are_built_and_read_back() {
        let a = arns();
        assert_eq!(a.bus("orders"), "arn:aws:events:us-east-1:123456789012:event-bus/orders");
        assert_eq!(a.rule("default", "r"), "arn:aws:events:us-east-1:123456789012:rule/r");
        assert_eq!(a.rule("orders", "r"), "arn:aws:events:us-east-1:123456789012:rule/orders/r");
        assert_eq!(a.bus_name(&a.bus("orders")), Ok("orders"));
        assert_eq!(a.bus_name("orders"), Ok("orders"));
        assert!(a.bus_name("arn:aws:events:eu-west-1:123456789012:event-bus/orders").is_err());
        assert!(a.bus_name(&a.queue("q")).is_err());
        assert_eq!(a.parse(&a.queue("q")), Ok(("sqs", "q")));
        assert!(a.parse("arn:nope").is_err());
    }

    #[test]
    fn schemas_arns_name_registries_schemas_and_discoverers() {
        let a = arns();
        assert_eq!(a.schemas_resource(&a.registry("r")), Ok(SchemasResource::Registry("r".into())));
        assert_eq!(
            a.schemas_resource(&a.schema("r", "s@T")),
            Ok(SchemasResource::Schema("r".into(), "s@T".into()))
        );
        assert_eq!(a.schemas_resource(&a.discoverer("d")), Ok(SchemasResource::Discoverer("d".into())));
        assert!(a.schemas_resource(&a.bus("b")).is_err());
        assert!(a.schemas_resource("arn:aws:schemas:us-east-1:123456789012:registry/").is_err());
        assert!(a.schemas_resource("arn:aws:schemas:us-east-1:123456789012:schema/r").is_err());
    }

    #[test]
    fn schemas_errors_use_the_model_shapes_and_statuses() {
        assert_eq!(schemas_error_name(Code::SchemaNotFound), ("NotFoundException", 404));
        assert_eq!(schemas_error_name(Code::RegistryExists), ("ConflictException", 409));
        assert_eq!(schemas_error_name(Code::InvalidSchema), ("BadRequestException", 400));
        assert_eq!(schemas_error_name(Code::RevisionMismatch), ("PreconditionFailedException", 412));
        assert_eq!(schemas_error_name(Code::Internal), ("InternalServerErrorException", 500));
        assert_eq!(schemas_kind_of("AccessDeniedException"), Some(("ForbiddenException", 403)));
        assert_eq!(schemas_kind_of("InvalidSignatureException"), Some(("InvalidSignatureException", 403)));
        assert_eq!(schemas_kind_of("ConflictException"), None);
    }

    #[test]
    fn pages_resume_after_their_token() {
        let names: Vec<String> = (0..5).map(|i| format!("n{i}")).collect();
        let (first, token) = page(names.clone(), |s| s, None, 2).expect("page");
        assert_eq!(first, ["n0", "n1"]);
        let (second, token) = page(names.clone(), |s| s, token.as_deref(), 2).expect("page");
        assert_eq!(second, ["n2", "n3"]);
        let (third, token) = page(names.clone(), |s| s, token.as_deref(), 2).expect("page");
        assert_eq!((third, token), (vec!["n4".to_owned()], None));
        assert!(page(names, |s| s, Some("!!"), 2).is_err());
    }

    #[test]
    fn every_native_code_has_an_aws_name() {
        for code in Code::ALL {
            let (name, status) = error_name(*code);
            assert!(name.ends_with("Exception"));
            assert!(status == 400 || status == 500);
        }
        assert_eq!(error_name(Code::BusNotFound), ("ResourceNotFoundException", 400));
        assert_eq!(error_name(Code::Internal), ("InternalException", 500));
    }
}
