//! Connections (Create/Describe/List/Update/Delete/DeauthorizeConnection) and API
//! destinations (Create/Describe/List/Update/DeleteApiDestination) over
//! `crate::destinations`. They are account-wide, as buses are: writing one needs the
//! grant of creating a bus (`bus:manage:*`), reading one that of listing buses.

use super::*;
use crate::destinations::{Credentials, DestinationInput};
use crate::model::{ApiDestinationRecord, ConnectionAuth, ConnectionRecord};

const WRITE: (&str, &str) = ("POST", "/v1/buses");
const READ: (&str, &str) = ("GET", "/v1/buses");

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct BasicIn {
    username: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ApiKeyIn {
    api_key_name: Option<String>,
    api_key_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AuthIn {
    basic_auth_parameters: Option<BasicIn>,
    api_key_auth_parameters: Option<ApiKeyIn>,
    o_auth_parameters: Option<Value>,
    invocation_http_parameters: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ConnectionIn {
    name: Option<String>,
    description: Option<String>,
    authorization_type: Option<String>,
    auth_parameters: Option<AuthIn>,
    invocation_connectivity_parameters: Option<Value>,
    kms_key_identifier: Option<String>,
    name_prefix: Option<String>,
    connection_state: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

fn auth_name(auth: ConnectionAuth) -> &'static str {
    match auth {
        ConnectionAuth::Basic => "BASIC",
        ConnectionAuth::ApiKey => "API_KEY",
    }
}

fn connection_state(c: &ConnectionRecord) -> &'static str {
    if c.sealed_secret.is_some() { "AUTHORIZED" } else { "DEAUTHORIZED" }
}

fn unsupported(what: &str) -> AwsError {
    AwsError::validation(format!("{what} is not supported by schemabus yet (docs/AWS-API.md)."))
}

/// The credentials of `AuthorizationType` + `AuthParameters` (`None`: neither given, on
/// an update).
fn credentials(kind: Option<&str>, auth: Option<AuthIn>) -> AwsResult<Option<Credentials>> {
    let Some(auth) = auth else {
        return match kind {
            None => Ok(None),
            Some(_) => Err(AwsError::validation("AuthParameters is required with AuthorizationType.")),
        };
    };
    if auth.o_auth_parameters.is_some() || kind == Some("OAUTH_CLIENT_CREDENTIALS") {
        return Err(unsupported("OAuth client-credentials authorization"));
    }
    if auth.invocation_http_parameters.is_some() {
        return Err(unsupported("InvocationHttpParameters"));
    }
    let missing = |m: &str| AwsError::validation(format!("AuthParameters.{m} is required."));
    match (kind, auth.basic_auth_parameters, auth.api_key_auth_parameters) {
        (Some("BASIC") | None, Some(b), None) => Ok(Some(Credentials {
            auth: ConnectionAuth::Basic,
            principal: b.username.ok_or_else(|| missing("BasicAuthParameters.Username"))?,
            secret: b.password.ok_or_else(|| missing("BasicAuthParameters.Password"))?,
        })),
        (Some("API_KEY") | None, None, Some(k)) => Ok(Some(Credentials {
            auth: ConnectionAuth::ApiKey,
            principal: k.api_key_name.ok_or_else(|| missing("ApiKeyAuthParameters.ApiKeyName"))?,
            secret: k.api_key_value.ok_or_else(|| missing("ApiKeyAuthParameters.ApiKeyValue"))?,
        })),
        (Some(other), ..) if !matches!(other, "BASIC" | "API_KEY") => Err(AwsError::validation(format!(
            "1 validation error detected: Value '{other}' at 'authorizationType' failed to satisfy constraint: Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]"
        ))),
        _ => Err(AwsError::validation(
            "AuthParameters must hold exactly the parameters of AuthorizationType (BasicAuthParameters for BASIC, ApiKeyAuthParameters for API_KEY).",
        )),
    }
}

fn connection_times(c: &ConnectionRecord) -> Value {
    json!({
        "CreationTime": epoch(&c.created_at),
        "LastModifiedTime": epoch(&c.updated_at),
        "LastAuthorizedTime": epoch(&c.authorized_at),
    })
}

fn connection_answer(ctx: &Ctx<'_>, c: &ConnectionRecord, state: &str) -> Value {
    let mut out = connection_times(c);
    out["ConnectionArn"] = Value::String(ctx.arns.connection(&c.name, &c.id));
    out["ConnectionState"] = Value::String(state.to_owned());
    out
}

fn connection_summary(ctx: &Ctx<'_>, c: &ConnectionRecord) -> Value {
    let mut out = connection_answer(ctx, c, connection_state(c));
    out["Name"] = Value::String(c.name.clone());
    out["AuthorizationType"] = Value::String(auth_name(c.auth).to_owned());
    out
}

fn no_extras(input: &ConnectionIn) -> AwsResult<()> {
    if input.invocation_connectivity_parameters.is_some() {
        return Err(unsupported("InvocationConnectivityParameters (private APIs)"));
    }
    if input.kms_key_identifier.as_deref().is_some_and(|k| !k.is_empty()) {
        return Err(unsupported("KmsKeyIdentifier"));
    }
    Ok(())
}

pub(super) async fn create_connection(ctx: &Ctx<'_>, input: ConnectionIn) -> AwsResult<Value> {
    let name = required(input.name.clone(), "name")?;
    let kind = required(input.authorization_type.clone(), "authorizationType")?;
    ctx.caller.allow(WRITE.0, WRITE.1, None)?;
    no_extras(&input)?;
    let auth = required(input.auth_parameters, "authParameters")?;
    let creds = credentials(Some(&kind), Some(auth))?
        .ok_or_else(|| AwsError::validation("AuthParameters is required."))?;
    let c = ctx.destinations.create_connection(&name, input.description, creds).await?;
    Ok(connection_answer(ctx, &c, connection_state(&c)))
}

pub(super) fn describe_connection(ctx: &Ctx<'_>, input: ConnectionIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    ctx.caller.allow(READ.0, READ.1, None)?;
    let c = ctx.destinations.get_connection(&name)?;
    let mut out = connection_summary(ctx, &c);
    if let Some(d) = &c.description {
        out["Description"] = Value::String(d.clone());
    }
    // The secret itself is never answered, as EventBridge.
    out["AuthParameters"] = match c.auth {
        ConnectionAuth::Basic => json!({"BasicAuthParameters": {"Username": c.principal}}),
        ConnectionAuth::ApiKey => json!({"ApiKeyAuthParameters": {"ApiKeyName": c.principal}}),
    };
    Ok(out)
}

pub(super) fn list_connections(ctx: &Ctx<'_>, input: ConnectionIn) -> AwsResult<Value> {
    ctx.caller.allow(READ.0, READ.1, None)?;
    let n = limit(input.limit)?;
    let prefix = input.name_prefix.unwrap_or_default();
    let mut items = ctx.destinations.list_connections()?;
    items.retain(|c| {
        c.name.starts_with(&prefix)
            && input.connection_state.as_deref().is_none_or(|s| s == connection_state(c))
    });
    let (items, token) = paged(items, |c| &c.name, input.next_token.as_deref(), n)?;
    let list: Vec<Value> = items.iter().map(|c| connection_summary(ctx, c)).collect();
    Ok(with_token(json!({"Connections": list}), token))
}

pub(super) async fn update_connection(ctx: &Ctx<'_>, input: ConnectionIn) -> AwsResult<Value> {
    let name = required(input.name.clone(), "name")?;
    ctx.caller.allow(WRITE.0, WRITE.1, None)?;
    no_extras(&input)?;
    let creds = credentials(input.authorization_type.as_deref(), input.auth_parameters)?;
    let c = ctx.destinations.update_connection(&name, input.description, creds).await?;
    Ok(connection_answer(ctx, &c, connection_state(&c)))
}

pub(super) async fn delete_connection(ctx: &Ctx<'_>, input: ConnectionIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    ctx.caller.allow(WRITE.0, WRITE.1, None)?;
    let c = ctx.destinations.delete_connection(&name).await?;
    drop_tags(ctx, &ctx.arns.connection(&c.name, &c.id)).await?;
    Ok(connection_answer(ctx, &c, "DELETING"))
}

pub(super) async fn deauthorize_connection(ctx: &Ctx<'_>, input: ConnectionIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    ctx.caller.allow(WRITE.0, WRITE.1, None)?;
    let c = ctx.destinations.deauthorize_connection(&name).await?;
    Ok(connection_answer(ctx, &c, "DEAUTHORIZED"))
}

// ---- API destinations ------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DestinationIn {
    name: Option<String>,
    description: Option<String>,
    connection_arn: Option<String>,
    invocation_endpoint: Option<String>,
    http_method: Option<String>,
    invocation_rate_limit_per_second: Option<i64>,
    name_prefix: Option<String>,
    next_token: Option<String>,
    limit: Option<i64>,
}

/// The connection an ARN names (`connection/<name>/<id>`).
fn connection_of(ctx: &Ctx<'_>, arn: &str) -> AwsResult<String> {
    let resource = ctx
        .arns
        .events_resource(arn, "connection")
        .map_err(|m| AwsError::validation(format!("Parameter ConnectionArn is not valid: {m}")))?;
    Ok(resource.split('/').next().unwrap_or(resource).to_owned())
}

fn destination_input(ctx: &Ctx<'_>, input: DestinationIn) -> AwsResult<DestinationInput> {
    let rate = input
        .invocation_rate_limit_per_second
        .map(|r| {
            u32::try_from(r).map_err(|_| {
                AwsError::validation(format!(
                    "1 validation error detected: Value '{r}' at 'invocationRateLimitPerSecond' failed to satisfy constraint: Member must have value greater than or equal to 1"
                ))
            })
        })
        .transpose()?;
    Ok(DestinationInput {
        description: input.description,
        connection: input.connection_arn.as_deref().map(|a| connection_of(ctx, a)).transpose()?,
        endpoint: input.invocation_endpoint,
        method: input.http_method,
        rate_limit_per_second: rate,
    })
}

fn destination_answer(ctx: &Ctx<'_>, d: &ApiDestinationRecord) -> Value {
    json!({
        "ApiDestinationArn": ctx.arns.api_destination(&d.name, &d.id),
        "ApiDestinationState": "ACTIVE",
        "CreationTime": epoch(&d.created_at),
        "LastModifiedTime": epoch(&d.updated_at),
    })
}

fn destination_view(ctx: &Ctx<'_>, d: &ApiDestinationRecord) -> Value {
    let mut out = destination_answer(ctx, d);
    out["Name"] = Value::String(d.name.clone());
    out["ConnectionArn"] = ctx
        .destinations
        .get_connection(&d.connection)
        .map_or(Value::Null, |c| Value::String(ctx.arns.connection(&c.name, &c.id)));
    out["InvocationEndpoint"] = Value::String(d.endpoint.clone());
    out["HttpMethod"] = Value::String(d.method.clone());
    out["InvocationRateLimitPerSecond"] = json!(d.rate_limit_per_second);
    out
}

pub(super) async fn create_api_destination(ctx: &Ctx<'_>, input: DestinationIn) -> AwsResult<Value> {
    let name = required(input.name.clone(), "name")?;
    required(input.connection_arn.as_ref(), "connectionArn")?;
    required(input.invocation_endpoint.as_ref(), "invocationEndpoint")?;
    required(input.http_method.as_ref(), "httpMethod")?;
    ctx.caller.allow(WRITE.0, WRITE.1, None)?;
    let given = destination_input(ctx, input)?;
    let d = ctx.destinations.create_api_destination(&name, given).await?;
    Ok(destination_answer(ctx, &d))
}

pub(super) fn describe_api_destination(ctx: &Ctx<'_>, input: DestinationIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    ctx.caller.allow(READ.0, READ.1, None)?;
    let d = ctx.destinations.get_api_destination(&name)?;
    let mut out = destination_view(ctx, &d);
    if let Some(desc) = &d.description {
        out["Description"] = Value::String(desc.clone());
    }
    Ok(out)
}

pub(super) fn list_api_destinations(ctx: &Ctx<'_>, input: DestinationIn) -> AwsResult<Value> {
    ctx.caller.allow(READ.0, READ.1, None)?;
    let n = limit(input.limit)?;
    let prefix = input.name_prefix.unwrap_or_default();
    let connection = input.connection_arn.as_deref().map(|a| connection_of(ctx, a)).transpose()?;
    let mut items = ctx.destinations.list_api_destinations()?;
    items.retain(|d| d.name.starts_with(&prefix) && connection.as_ref().is_none_or(|c| *c == d.connection));
    let (items, token) = paged(items, |d| &d.name, input.next_token.as_deref(), n)?;
    let list: Vec<Value> = items.iter().map(|d| destination_view(ctx, d)).collect();
    Ok(with_token(json!({"ApiDestinations": list}), token))
}

pub(super) async fn update_api_destination(ctx: &Ctx<'_>, input: DestinationIn) -> AwsResult<Value> {
    let name = required(input.name.clone(), "name")?;
    ctx.caller.allow(WRITE.0, WRITE.1, None)?;
    let given = destination_input(ctx, input)?;
    let d = ctx.destinations.update_api_destination(&name, given).await?;
    Ok(destination_answer(ctx, &d))
}

pub(super) async fn delete_api_destination(ctx: &Ctx<'_>, input: DestinationIn) -> AwsResult<Value> {
    let name = required(input.name, "name")?;
    ctx.caller.allow(WRITE.0, WRITE.1, None)?;
    let d = ctx.destinations.get_api_destination(&name)?;
    ctx.destinations.delete_api_destination(&name).await?;
    drop_tags(ctx, &ctx.arns.api_destination(&d.name, &d.id)).await?;
    Ok(json!({}))
}
