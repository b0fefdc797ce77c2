//! The order event both PutEvents benches use (`bus_load`, `detail`): a detail of about
//! 0.9 KB and a contract with patterns, enums, a format and nested arrays.

#![allow(dead_code, reason = "each bench uses part of this module")]

use serde_json::{Value, json};

/// Rules `bus_load` puts on its bus; event `n` has region `r{n % RULES}`.
pub const RULES: usize = 100;

/// The `detail` of order `n`.
pub fn detail(n: usize) -> Value {
    json!({
        "orderId": format!("ord-{n:08}"),
        "region": format!("r{}", n % RULES),
        "total": 1234.5,
        "currency": "EUR",
        "customer": {"id": "C-10427", "tier": "gold", "email": "someone@example.com", "since": 2019,
                      "name": "Jane Example", "phone": "+33 1 23 45 67 89"},
        "shipping": {"street": "12 rue de l'Exemple", "city": "Paris", "zip": "75001", "country": "FR"},
        "lines": (0..4).map(|i| json!({"sku": format!("SKU-{i:05}"), "qty": i + 1, "price": 19.99, "name": "A product with a longish name"})).collect::<Vec<_>>(),
        "notes": "x".repeat(200),
    })
}

/// The contract every order is checked against.
pub fn contract() -> Value {
    json!({
        "type": "object",
        "required": ["orderId", "region", "total", "currency", "customer", "lines"],
        "properties": {
            "orderId": {"type": "string", "pattern": "^ord-[0-9]{8}$"},
            "region": {"type": "string"},
            "total": {"type": "number", "minimum": 0},
            "currency": {"enum": ["EUR", "USD", "GBP"]},
            "customer": {"type": "object", "required": ["id", "email"], "properties": {
                "id": {"type": "string"}, "tier": {"enum": ["gold", "silver", "bronze"]},
                "email": {"type": "string", "format": "email"}, "since": {"type": "integer"}}},
            "shipping": {"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}}},
            "lines": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["sku", "qty", "price"],
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}, "price": {"type": "number"}}}},
            "notes": {"type": "string", "maxLength": 1000}
        }
    })
}
