//! What a cluster-mode instance does not serve yet (docs/CLUSTER.md#what-runs-where).
//!
//! Cluster mode shares the registry through PostgreSQL. The bus and what hangs off it
//! (rules, queues, archives, replays, discovery, the catalog) still keep their state in
//! each instance's own data directory, so behind a load balancer a bus created through
//! one instance would be missing on the next: rather than answer from one machine's
//! partial view, those endpoints answer `503 bus_backend_required` until the event data
//! has its cluster backend (NATS JetStream, the next part).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use crate::error::{ApiError, Code};

/// Path prefixes of the native API that need the bus.
pub const BUS_PATHS: &[&str] =
    &["/v1/buses", "/v1/queues", "/v1/replays", "/v1/archives", "/v1/catalog", "/v1/discovery"];

/// Whether this instance runs in cluster mode (app data).
#[derive(Debug, Clone, Copy)]
pub struct ClusterMode(pub bool);

fn needs_bus(path: &str) -> bool {
    BUS_PATHS
        .iter()
        .any(|prefix| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

/// Refuses the bus's endpoints on a cluster-mode instance.
pub(crate) async fn refuse_bus<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if req.app_data::<web::Data<ClusterMode>>().is_some_and(|mode| mode.0) && needs_bus(req.path()) {
        let e = ApiError::new(
            Code::BusBackendRequired,
            "This instance runs in cluster mode, where the bus is not served yet. Hint: use a single-node instance for buses, rules and queues (docs/CLUSTER.md).",
        );
        return Ok(req.into_response(e.error_response()).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::needs_bus;

    #[test]
    fn only_the_bus_paths_are_refused() {
        assert!(needs_bus("/v1/buses"));
        assert!(needs_bus("/v1/buses/default/events"));
        assert!(needs_bus("/v1/queues/q/messages"));
        assert!(!needs_bus("/v1/busesx"));
        assert!(!needs_bus("/v1/registries/shop/schemas"));
        assert!(!needs_bus("/ccompat/subjects"));
    }
}
