//! PURE: the Schemas operation a method and path are (the model's `requestUri`s). Path
//! segments are decoded first (`crate::percent`): botocore percent-encodes `/` and `:`
//! inside a label, so an ARN in `/tags/{resource-arn}` is one segment.

/// The operation at `method` and the path's segments.
pub(super) fn route(method: &str, segments: &[String]) -> Option<&'static str> {
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    Some(match (method, s.as_slice()) {
        ("GET", ["v1", "registries"]) => "ListRegistries",
        (m, ["v1", "registries", "name", _]) => match m {
            "POST" => "CreateRegistry",
            "GET" => "DescribeRegistry",
            "PUT" => "UpdateRegistry",
            "DELETE" => "DeleteRegistry",
            _ => return None,
        },
        ("GET", ["v1", "registries", "name", _, "schemas"]) => "ListSchemas",
        ("GET", ["v1", "registries", "name", _, "schemas", "search"]) => "SearchSchemas",
        (m, ["v1", "registries", "name", _, "schemas", "name", _]) => match m {
            "POST" => "CreateSchema",
            "GET" => "DescribeSchema",
            "PUT" => "UpdateSchema",
            "DELETE" => "DeleteSchema",
            _ => return None,
        },
        ("GET", ["v1", "registries", "name", _, "schemas", "name", _, "versions"]) => "ListSchemaVersions",
        ("DELETE", ["v1", "registries", "name", _, "schemas", "name", _, "version", _]) => {
            "DeleteSchemaVersion"
        }
        ("GET", ["v1", "registries", "name", _, "schemas", "name", _, "export"]) => "ExportSchema",
        (m, ["v1", "registries", "name", _, "schemas", "name", _, "language", _]) => match m {
            "POST" => "PutCodeBinding",
            "GET" => "DescribeCodeBinding",
            _ => return None,
        },
        ("GET", ["v1", "registries", "name", _, "schemas", "name", _, "language", _, "source"]) => {
            "GetCodeBindingSource"
        }
        ("POST", ["v1", "discoverers"]) => "CreateDiscoverer",
        ("GET", ["v1", "discoverers"]) => "ListDiscoverers",
        (m, ["v1", "discoverers", "id", _]) => match m {
            "GET" => "DescribeDiscoverer",
            "PUT" => "UpdateDiscoverer",
            "DELETE" => "DeleteDiscoverer",
            _ => return None,
        },
        ("POST", ["v1", "discoverers", "id", _, "start"]) => "StartDiscoverer",
        ("POST", ["v1", "discoverers", "id", _, "stop"]) => "StopDiscoverer",
        ("POST", ["v1", "discover"]) => "GetDiscoveredSchema",
        (m, ["v1", "policy"]) => match m {
            "PUT" => "PutResourcePolicy",
            "GET" => "GetResourcePolicy",
            "DELETE" => "DeleteResourcePolicy",
            _ => return None,
        },
        (m, ["tags", _]) => match m {
            "POST" => "TagResource",
            "GET" => "ListTagsForResource",
            "DELETE" => "UntagResource",
            _ => return None,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::percent::decode_strict as percent_decode;

    fn segs(path: &str) -> Vec<String> {
        path.trim_start_matches('/').split('/').map(|s| percent_decode(s).unwrap()).collect()
    }

    #[test]
    fn every_model_route_reaches_its_operation() {
        let cases = [
            ("GET", "/v1/registries", "ListRegistries"),
            ("POST", "/v1/registries/name/r", "CreateRegistry"),
            ("GET", "/v1/registries/name/r/schemas/search", "SearchSchemas"),
            ("PUT", "/v1/registries/name/r/schemas/name/s", "UpdateSchema"),
            ("DELETE", "/v1/registries/name/r/schemas/name/s/version/1", "DeleteSchemaVersion"),
            ("GET", "/v1/registries/name/r/schemas/name/s/language/Rust/source", "GetCodeBindingSource"),
            ("POST", "/v1/discoverers/id/d/start", "StartDiscoverer"),
            ("POST", "/v1/discover", "GetDiscoveredSchema"),
            ("DELETE", "/v1/policy", "DeleteResourcePolicy"),
            ("GET", "/tags/arn%3Aaws%3Aschemas%3Aus-east-1%3A1%3Aregistry%2Fr", "ListTagsForResource"),
        ];
        for (method, path, op) in cases {
            assert_eq!(route(method, &segs(path)), Some(op), "{method} {path}");
        }
        assert_eq!(route("PATCH", &segs("/v1/registries/name/r")), None);
        assert_eq!(route("GET", &segs("/v1/nope")), None);
        assert_eq!(segs("/tags/a%2Fb")[1], "a/b");
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
    }
}
