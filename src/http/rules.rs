//! `/v1/buses/{bus}/rules`: create or replace, read, list and delete rules.

use actix_web::{HttpResponse, delete, get, put, web};

use super::error::HandlerResult;
use super::extract::ApiJson;
use crate::bus::BusService;
use crate::bus::requests::{PutRuleRequest, RuleList};
use crate::error::ErrorBody;
use crate::model::RuleRecord;

/// Create or replace a rule.
///
/// `pattern` is an EventBridge event pattern (docs/PATTERNS.md); on the `default` bus a
/// rule may have a `schedule` (`rate(5 minutes)`, `cron(0 12 * * ? *)`, UTC) instead or
/// as well, and answers then show its `nextFireTimes` (docs/DELIVERY.md#scheduled-rules);
/// `targets` are queues
/// (`{"type":"queue","id":..,"queue":..}`), other buses (`{"type":"bus","id":..,"bus":..}`)
/// or webhooks (`{"type":"webhook","id":..,"url":..}`, docs/DELIVERY.md). Queue and webhook
/// targets take one of `input`, `inputPath`, `inputTransformer`. Webhook secrets and
/// credentials are write-only: answers show `<redacted>`. The rule applies to the next event.
#[utoipa::path(
    tag = "rules",
    operation_id = "putRule",
    params(("bus" = String, Path, description = "Bus name"), ("rule" = String, Path, description = "Rule name")),
    request_body = PutRuleRequest,
    responses(
        (status = 200, description = "The rule as stored.", body = RuleRecord, links(
            ("GetRule" = (operation_id = "getRule", parameters(("bus" = "$response.body#/bus"), ("rule" = "$response.body#/name")))),
            ("DeleteRule" = (operation_id = "deleteRule", parameters(("bus" = "$response.body#/bus"), ("rule" = "$response.body#/name")))),
        )),
        (status = 400, description = "Malformed body, invalid name, too many targets, invalid pattern (`invalid_pattern`), invalid schedule or a schedule off the default bus (`invalid_schedule`), invalid input transformation (`invalid_transformer`), or a webhook address the policy refuses (`webhook_address_refused`).", body = ErrorBody),
        (status = 404, description = "No such bus, or a target names a missing queue, bus or dead-letter queue.", body = ErrorBody),
    )
)]
#[put("/buses/{bus}/rules/{rule}")]
pub(crate) async fn put_rule(
    service: web::Data<BusService>,
    path: web::Path<(String, String)>,
    ApiJson(request): ApiJson<PutRuleRequest>,
) -> HandlerResult<web::Json<RuleRecord>> {
    let (bus, rule) = path.into_inner();
    Ok(web::Json(service.put_rule(&bus, &rule, request).await?))
}

/// List a bus's rules.
///
/// Every rule of the bus in name order.
#[utoipa::path(
    tag = "rules",
    operation_id = "listRules",
    params(("bus" = String, Path, description = "Bus name")),
    responses(
        (status = 200, description = "The rules.", body = RuleList),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus.", body = ErrorBody),
    )
)]
#[get("/buses/{bus}/rules")]
pub(crate) async fn list_rules(
    service: web::Data<BusService>,
    path: web::Path<String>,
) -> HandlerResult<web::Json<RuleList>> {
    Ok(web::Json(service.list_rules(&path)?))
}

/// Get a rule.
///
/// The rule with its pattern, state and targets.
#[utoipa::path(
    tag = "rules",
    operation_id = "getRule",
    params(("bus" = String, Path, description = "Bus name"), ("rule" = String, Path, description = "Rule name")),
    responses(
        (status = 200, description = "The rule.", body = RuleRecord),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus or rule.", body = ErrorBody),
    )
)]
#[get("/buses/{bus}/rules/{rule}")]
pub(crate) async fn get_rule(
    service: web::Data<BusService>,
    path: web::Path<(String, String)>,
) -> HandlerResult<web::Json<RuleRecord>> {
    let (bus, rule) = path.into_inner();
    Ok(web::Json(service.get_rule(&bus, &rule)?))
}

/// Delete a rule.
///
/// The rule stops matching at once.
#[utoipa::path(
    tag = "rules",
    operation_id = "deleteRule",
    params(("bus" = String, Path, description = "Bus name"), ("rule" = String, Path, description = "Rule name")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "Invalid name.", body = ErrorBody),
        (status = 404, description = "No such bus or rule.", body = ErrorBody),
    )
)]
#[delete("/buses/{bus}/rules/{rule}")]
pub(crate) async fn delete_rule(
    service: web::Data<BusService>,
    path: web::Path<(String, String)>,
) -> HandlerResult<HttpResponse> {
    let (bus, rule) = path.into_inner();
    service.delete_rule(&bus, &rule).await?;
    Ok(HttpResponse::NoContent().finish())
}
