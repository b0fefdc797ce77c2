//! `.../versions/{version}/bindings/{language}`: generated code bindings.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::error::HandlerResult;
use super::extract::{RegistryParam, SchemaParam, VersionParam};
use crate::bindings::BindingsService;
use crate::codegen::Language;
use crate::error::{ApiError, Code, ErrorBody};

/// Query of the bindings endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct BindingsQuery {
    /// `zip` (default): the whole package; `source`: the main source file as text.
    format: Option<String>,
    /// Map string formats (`date-time`, `uuid`, ...) to typed wrappers instead of strings.
    #[serde(default)]
    typed_formats: bool,
}

/// Download code bindings for a schema version.
///
/// `rust`: a crate (Cargo.toml, src/lib.rs) depending only on serde and serde_json.
/// `typescript`: an npm package (package.json, tsconfig.json, src/index.ts) with type
/// guards. Generated once per version and cached. docs/CODEGEN.md has the mapping.
#[utoipa::path(
    tag = "bindings",
    operation_id = "getBindings",
    params(
        ("registry" = String, Path, description = "Registry name"),
        ("schema" = String, Path, description = "Schema name"),
        ("version" = String, Path, description = "Version number, or `latest`"),
        ("language" = String, Path, description = "`rust` or `typescript`"),
        BindingsQuery,
    ),
    responses(
        (status = 200, description = "The package as application/zip, or with format=source the main source file as text/plain.", content(
            (Vec<u8> = "application/zip"),
            (String = "text/plain"),
        )),
        (status = 400, description = "Unknown language or format, invalid name or version.", body = ErrorBody),
        (status = 404, description = "No such registry, schema or version.", body = ErrorBody),
        (status = 422, description = "The schema cannot be rendered (`codegen_failed`).", body = ErrorBody),
    )
)]
#[get("/registries/{registry}/schemas/{schema}/versions/{version}/bindings/{language}")]
pub(crate) async fn get_bindings(
    service: web::Data<BindingsService>,
    RegistryParam(registry): RegistryParam,
    SchemaParam(schema): SchemaParam,
    VersionParam(version): VersionParam,
    language: web::Path<(String, String, String, String)>,
    query: web::Query<BindingsQuery>,
) -> HandlerResult<HttpResponse> {
    let language_text = &language.3;
    let language = match language_text.as_str() {
        "rust" => Language::Rust,
        "typescript" => Language::TypeScript,
        other => {
            return Err(ApiError::new(
                Code::InvalidParameter,
                format!("'{other}' is not a supported language. Hint: use rust or typescript."),
            )
            .with_details(json!({ "parameter": "language" })));
        }
    };
    let source = match query.format.as_deref() {
        None | Some("zip") => false,
        Some("source") => true,
        Some(other) => {
            return Err(ApiError::new(
                Code::InvalidParameter,
                format!("'{other}' is not a format. Hint: use zip or source."),
            )
            .with_details(json!({ "parameter": "format" })));
        }
    };
    let typed = query.typed_formats;
    let service = service.into_inner();
    let bindings = web::block(move || service.bindings(&registry, &schema, version, language, typed))
        .await
        .map_err(|_| ApiError::new(Code::Internal, "Generation did not complete. Hint: retry."))??;
    if source {
        let main = language.main_source_path();
        let text =
            bindings.files.iter().find(|f| f.path == main).map(|f| f.contents.clone()).unwrap_or_default();
        return Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(text));
    }
    let file = format!("{}-{}.zip", bindings.package_name, bindings.version);
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")))
        .body(bindings.zip.clone()))
}
