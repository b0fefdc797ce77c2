//! PURE: SQS's wire details (docs/AWS-API.md#sqs): queue URLs, error names as SQS answers
//! them in JSON mode (the `__type` shape and the legacy query code of
//! `x-amzn-query-error`, which botocore shows as `Error.Code`), batch-entry rules and the
//! RedrivePolicy document.

use serde_json::Value;

use super::Arns;

/// The URL of `queue`: `<scheme>://<host>/<account>/<queue>` (host of the request).
pub fn queue_url(scheme: &str, host: &str, account: &str, queue: &str) -> String {
    format!("{scheme}://{host}/{account}/{queue}")
}

/// The queue a `QueueUrl` names: any scheme and host (clients may reach the service
/// through another name), path `/<account>/<queue>` with this service's account.
///
/// # Errors
/// A message when the URL has another shape or account.
pub fn queue_of_url<'a>(url: &'a str, account: &str) -> Result<&'a str, String> {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(q), None) if a == account && !q.is_empty() => Ok(q),
        _ => Err(format!(
            "The queue URL '{url}' does not name a queue of this service (http://<host>/{account}/<queue>)."
        )),
    }
}

/// How an error is put on the wire: the `__type` (the SQS model's shape, namespaced, or a
/// common AWS error), the `x-amzn-query-error` code and its fault, Sender or Receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// `__type`.
    pub shape: String,
    /// The query code.
    pub code: &'static str,
    /// `Sender` or `Receiver`.
    pub fault: &'static str,
}

/// Errors of the SQS model with their legacy query codes (what the query protocol, and
/// botocore through `x-amzn-query-error`, call them).
const MODELED: &[(&str, &str)] = &[
    ("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"),
    ("QueueNameExists", "QueueAlreadyExists"),
    ("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently"),
    ("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid"),
    ("MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"),
    ("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest"),
    ("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
    ("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
    ("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId"),
    ("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong"),
    ("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress"),
    ("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation"),
    ("InvalidAttributeName", "InvalidAttributeName"),
    ("InvalidAttributeValue", "InvalidAttributeValue"),
    ("InvalidMessageContents", "InvalidMessageContents"),
    ("InvalidIdFormat", "InvalidIdFormat"),
    ("InvalidAddress", "InvalidAddress"),
    ("InvalidSecurity", "InvalidSecurity"),
    ("OverLimit", "OverLimit"),
    ("RequestThrottled", "RequestThrottled"),
];

/// The common errors (authentication, parameters, throttling) by the names the shared
/// front end gives them, with SQS's query codes.
const COMMON: &[(&str, &str, &str)] = &[
    ("MissingAuthenticationTokenException", "MissingAuthenticationToken", "Sender"),
    ("IncompleteSignatureException", "IncompleteSignature", "Sender"),
    ("UnrecognizedClientException", "InvalidClientTokenId", "Sender"),
    ("InvalidSignatureException", "SignatureDoesNotMatch", "Sender"),
    ("AccessDeniedException", "AccessDenied", "Sender"),
    ("ThrottlingException", "RequestThrottled", "Sender"),
    ("UnknownOperationException", "InvalidAction", "Sender"),
    ("SerializationException", "MalformedQueryString", "Sender"),
    ("InvalidParameterValue", "InvalidParameterValue", "Sender"),
    ("MissingParameter", "MissingParameter", "Sender"),
    ("InternalException", "InternalError", "Receiver"),
];

/// The SQS name of an error the shared front end named for EventBridge (native codes go
/// through `error_name` first): not-found is a queue that does not exist, validation is
/// an invalid parameter, an existing resource is an existing queue.
pub fn rename(kind: &str) -> &str {
    match kind {
        "ResourceNotFoundException" => "QueueDoesNotExist",
        "ResourceAlreadyExistsException" => "QueueNameExists",
        "ValidationException" | "ConcurrentModificationException" | "LimitExceededException" => {
            "InvalidParameterValue"
        }
        other => other,
    }
}

/// How an error named `kind` (after [`rename`]) goes on the wire.
pub fn wire(kind: &str) -> Wire {
    let kind = rename(kind);
    if let Some((shape, code)) = MODELED.iter().find(|(s, _)| *s == kind) {
        return Wire { shape: format!("com.amazonaws.sqs#{shape}"), code, fault: "Sender" };
    }
    match COMMON.iter().find(|(s, ..)| *s == kind) {
        Some((shape, code, fault)) => Wire { shape: (*shape).to_owned(), code, fault },
        None => Wire { shape: kind.to_owned(), code: "InternalError", fault: "Receiver" },
    }
}

/// Most entries of a batch.
pub const MAX_BATCH: usize = 10;

/// Checks a batch's entry ids: `(error name, message)` of the first broken rule.
///
/// # Errors
/// `EmptyBatchRequest`, `TooManyEntriesInBatchRequest`, `InvalidBatchEntryId`,
/// `BatchEntryIdsNotDistinct`.
pub fn check_batch(ids: &[&str]) -> Result<(), (&'static str, String)> {
    if ids.is_empty() {
        return Err(("EmptyBatchRequest", "There should be at least one entry in the request.".into()));
    }
    if ids.len() > MAX_BATCH {
        return Err((
            "TooManyEntriesInBatchRequest",
            format!("Maximum number of entries per request are {MAX_BATCH}. You have sent {}.", ids.len()),
        ));
    }
    if let Some(bad) = ids.iter().find(|id| {
        id.is_empty()
            || id.len() > 80
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) {
        return Err((
            "InvalidBatchEntryId",
            format!(
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long: '{bad}'."
            ),
        ));
    }
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(("BatchEntryIdsNotDistinct", format!("Id {id} repeated.")));
        }
    }
    Ok(())
}

/// A parsed RedrivePolicy: the dead-letter queue's name and the receive count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    /// The dead-letter queue.
    pub queue: String,
    /// Receives before a message moves.
    pub max_receive_count: u32,
}

/// Reads a RedrivePolicy (`{"deadLetterTargetArn": "<queue ARN>", "maxReceiveCount": n}`,
/// the count as a number or a string); `None` for the empty text, which removes it.
///
/// # Errors
/// A message saying what is wrong (for `InvalidAttributeValue`).
pub fn parse_redrive(arns: &Arns, text: &str) -> Result<Option<Redrive>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let v: Value = serde_json::from_str(text).map_err(|e| format!("RedrivePolicy is not JSON: {e}."))?;
    let arn = v
        .get("deadLetterTargetArn")
        .and_then(Value::as_str)
        .ok_or("RedrivePolicy needs deadLetterTargetArn (the dead-letter queue's ARN).")?;
    let queue = match arns.parse(arn)? {
        ("sqs", q) if !q.is_empty() && !q.contains(':') => q.to_owned(),
        _ => return Err(format!("deadLetterTargetArn '{arn}' is not an SQS queue ARN.")),
    };
    let count = match v.get("maxReceiveCount") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let max_receive_count = count
        .filter(|n| (1..=1000).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or("RedrivePolicy needs maxReceiveCount between 1 and 1000.")?;
    Ok(Some(Redrive { queue, max_receive_count }))
}

/// The RedrivePolicy text SQS answers with.
pub fn redrive_text(arns: &Arns, queue: &str, max_receive_count: u32) -> String {
    serde_json::json!({"deadLetterTargetArn": arns.queue(queue), "maxReceiveCount": max_receive_count})
        .to_string()
}

/// Whether a message attribute `name` is asked for by `MessageAttributeNames` entries
/// (`All`, `.*`, `prefix.*` or exact names).
pub fn wanted(names: &[String], name: &str) -> bool {
    names.iter().any(|n| match n.as_str() {
        "All" | ".*" => true,
        n => n.strip_suffix(".*").map_or(n == name, |prefix| name.starts_with(&format!("{prefix}."))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arns() -> Arns {
        Arns { account: "123456789012".into(), region: "us-east-1".into() }
    }

    #[test]
    fn queue_urls_round_trip_from_any_host() {
        let url = queue_url("http", "127.0.0.1:4566", "123456789012", "orders");
        assert_eq!(url, "http://127.0.0.1:4566/123456789012/orders");
        assert_eq!(queue_of_url(&url, "123456789012"), Ok("orders"));
        assert_eq!(queue_of_url("https://sqs.example/123456789012/q", "123456789012"), Ok("q"));
        assert_eq!(queue_of_url("/123456789012/q", "123456789012"), Ok("q"));
        assert!(queue_of_url("http://h/999999999999/q", "123456789012").is_err());
        assert!(queue_of_url("http://h/123456789012/", "123456789012").is_err());
        assert!(queue_of_url("http://h/123456789012/q/x", "123456789012").is_err());
        assert!(queue_of_url("", "123456789012").is_err());
    }

    #[test]
    fn errors_carry_their_query_codes() {
        let w = wire("ResourceNotFoundException");
        assert_eq!(w.shape, "com.amazonaws.sqs#QueueDoesNotExist");
        assert_eq!((w.code, w.fault), ("AWS.SimpleQueueService.NonExistentQueue", "Sender"));
        assert_eq!(wire("InvalidSignatureException").code, "SignatureDoesNotMatch");
        assert_eq!(wire("ValidationException").code, "InvalidParameterValue");
        assert_eq!(wire("InternalException").fault, "Receiver");
        assert_eq!(wire("QueueNameExists").code, "QueueAlreadyExists");
    }

    #[test]
    fn batches_follow_sqs_rules() {
        assert_eq!(check_batch(&[]).map_err(|e| e.0), Err("EmptyBatchRequest"));
        assert_eq!(check_batch(&["a"; 11]).map_err(|e| e.0), Err("TooManyEntriesInBatchRequest"));
        assert_eq!(check_batch(&["a", "a"]).map_err(|e| e.0), Err("BatchEntryIdsNotDistinct"));
        assert_eq!(check_batch(&["a b"]).map_err(|e| e.0), Err("InvalidBatchEntryId"));
        assert_eq!(check_batch(&["a", "b-1", "c_2"]), Ok(()));
    }

    #[test]
    fn redrive_policies_are_read_and_written() {
        let a = arns();
        let text = redrive_text(&a, "dlq", 3);
        let want = Some(Redrive { queue: "dlq".into(), max_receive_count: 3 });
        assert_eq!(parse_redrive(&a, &text), Ok(want.clone()));
        let as_string =
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":"3"}"#;
        assert_eq!(parse_redrive(&a, as_string), Ok(want));
        assert_eq!(parse_redrive(&a, ""), Ok(None));
        assert!(parse_redrive(&a, "{").is_err());
        assert!(
            parse_redrive(
                &a,
                r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":0}"#
            )
            .is_err()
        );
        assert!(
            parse_redrive(
                &a,
                r#"{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:dlq","maxReceiveCount":2}"#
            )
            .is_err()
        );
    }

    #[test]
    fn attribute_names_select() {
        let names = vec!["color".to_owned(), "trace.*".to_owned()];
        assert!(wanted(&names, "color") && wanted(&names, "trace.id") && !wanted(&names, "size"));
        assert!(wanted(&["All".to_owned()], "x") && !wanted(&[], "x"));
    }
}
