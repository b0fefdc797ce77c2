//! Unit-level checks of the code generator's public API: naming, errors, template loading,
//! determinism and the shape of the output for individual features.

use std::collections::BTreeMap;

use schemabus::codegen::model::{Additional, IntWidth, Type, TypeKind};
use schemabus::codegen::{CodegenError, Generator, Language, Options, lower};
use serde_json::{Value, json};

fn rust(schema: &Value) -> String {
    source(schema, Language::Rust, false)
}

fn ts(schema: &Value) -> String {
    source(schema, Language::TypeScript, false)
}

fn source(schema: &Value, language: Language, typed_formats: bool) -> String {
    let generator = Generator::embedded().expect("embedded templates");
    let mut options = Options::new(language, "unit-test");
    options.typed_formats = typed_formats;
    let files = generator.generate(schema, &BTreeMap::new(), &options).expect("generate");
    files.into_iter().find(|f| f.path == language.main_source_path()).expect("main source").contents
}

#[test]
fn packages_have_the_expected_files() {
    let generator = Generator::embedded().expect("embedded");
    let schema = json!({"type": "object"});
    let paths = |language| {
        generator
            .generate(&schema, &BTreeMap::new(), &Options::new(language, "pkg"))
            .expect("generate")
            .into_iter()
            .map(|f| f.path)
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(Language::Rust), ["Cargo.toml", "README.md", "src/lib.rs"]);
    assert_eq!(paths(Language::TypeScript), ["README.md", "package.json", "src/index.ts", "tsconfig.json"]);
}

#[test]
fn output_is_deterministic_and_fingerprint_is_stable() {
    let schema = json!({"title": "T", "type": "object", "properties": {
        "b": {"type": "string"}, "a": {"enum": ["x", "y"]}, "c": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}});
    assert_eq!(rust(&schema), rust(&schema));
    assert_eq!(ts(&schema), ts(&schema));
    let a = Generator::embedded().expect("embedded");
    let b = Generator::embedded().expect("embedded");
    assert_eq!(a.templates_fingerprint(), b.templates_fingerprint());
    assert_eq!(a.templates_fingerprint().len(), 64);
}

#[test]
fn cargo_toml_depends_only_on_serde() {
    let generator = Generator::embedded().expect("embedded");
    let files = generator
        .generate(&json!({}), &BTreeMap::new(), &Options::new(Language::Rust, "only-serde"))
        .expect("generate");
    let cargo = &files.iter().find(|f| f.path == "Cargo.toml").expect("Cargo.toml").contents;
    let deps: Vec<&str> = cargo
        .split("[dependencies]")
        .nth(1)
        .expect("deps section")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(deps.len(), 2, "{cargo}");
    assert!(deps[0].starts_with("serde =") && deps[1].starts_with("serde_json ="));
    assert!(cargo.contains("name = \"only-serde\""));
}

#[test]
fn root_is_exported_as_detail() {
    let schema = json!({"title": "Order Placed", "type": "object", "properties": {"id": {"type": "string"}}});
    assert!(rust(&schema).contains("pub type Detail = OrderPlaced;"));
    let ts = ts(&schema);
    assert!(ts.contains("export type Detail = OrderPlaced;"));
    assert!(ts.contains("export function isDetail(value: unknown): value is Detail"));
    assert!(ts.contains("export function isOrderPlaced(value: unknown): value is OrderPlaced"));
}

#[test]
fn tri_state_fields_map_to_distinct_rust_types() {
    let schema = json!({"type": "object", "required": ["a", "b"], "properties": {
        "a": {"type": "string"}, "b": {"type": ["string", "null"]},
        "c": {"type": "string"}, "d": {"type": ["string", "null"]}}});
    let code = rust(&schema);
    assert!(code.contains("pub a: String,"));
    assert!(code.contains("pub b: Option<String>,"));
    assert!(code.contains("pub c: Option<String>,"));
    assert!(code.contains("pub d: Option<Option<String>>,"));
    let ts = ts(&schema);
    assert!(ts.contains("  a: string;") && ts.contains("  b: string | null;"));
    assert!(ts.contains("  c?: string;") && ts.contains("  d?: string | null;"));
}

#[test]
fn colliding_and_keyword_names_are_resolved() {
    let schema = json!({"type": "object", "properties": {
        "fooBar": {"type": "string"}, "foo_bar": {"type": "string"}, "type": {"type": "string"},
        "1st": {"type": "string"}, "a": {"title": "Same", "type": "object", "properties": {"y": {"type": "string"}}},
        "b": {"title": "Same", "type": "object", "properties": {"x": {"type": "string"}}}}});
    let code = rust(&schema);
    assert!(code.contains("pub foo_bar: Option<String>"));
    assert!(code.contains("pub foo_bar_2: Option<String>"));
    assert!(code.contains("pub type_: Option<String>"));
    assert!(code.contains("pub x1st: Option<String>"));
    assert!(code.contains("pub struct Same2"));
    let ts = ts(&schema);
    assert!(ts.contains("  \"1st\"?: string;"));
}

#[test]
fn integer_widths_follow_bounds() {
    let schema = json!({"type": "object", "properties": {
        "a": {"type": "integer", "minimum": 0, "maximum": 255},
        "b": {"type": "integer", "minimum": -5, "maximum": 5000},
        "c": {"type": "integer", "minimum": 0},
        "d": {"type": "integer"}}});
    let model = lower(&schema, &BTreeMap::new(), &Options::new(Language::Rust, "w")).expect("lower");
    let TypeKind::Struct(s) = &model.types[0].kind else {
        panic!("root is a struct");
    };
    let widths: Vec<&Type> = s.fields.iter().map(|f| &f.ty).collect();
    assert_eq!(
        widths,
        [
            &Type::Integer(IntWidth::U8),
            &Type::Integer(IntWidth::I16),
            &Type::Integer(IntWidth::U64),
            &Type::Integer(IntWidth::I64)
        ]
    );
    assert!(matches!(s.rest.additional, Additional::Any));
}

#[test]
fn unions_are_tagged_only_with_a_shared_const_discriminator() {
    let tagged = json!({"oneOf": [
        {"type": "object", "required": ["t"], "properties": {"t": {"const": "a"}}},
        {"type": "object", "required": ["t"], "properties": {"t": {"const": "b"}}}]});
    assert!(rust(&tagged).contains("#[serde(tag = \"t\")]"));
    let untagged = json!({"oneOf": [
        {"type": "object", "required": ["t"], "properties": {"t": {"const": "a"}}},
        {"type": "object", "properties": {"t": {"const": "b"}}}]});
    assert!(rust(&untagged).contains("#[serde(untagged)]"));
    let ordered = rust(&json!({"anyOf": [{"type": "number"}, {}, {"type": "integer"}]}));
    let integer = ordered.find("Integer(i64)").expect("integer variant");
    let number = ordered.find("Number(serde_json::Number)").expect("number variant");
    let any = ordered.find("Any(serde_json::Value)").expect("any variant");
    assert!(integer < number && number < any, "{ordered}");
}

#[test]
fn typed_formats_are_opt_in() {
    let schema = json!({"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}});
    assert!(source(&schema, Language::Rust, false).contains("pub at: Option<String>"));
    let typed = source(&schema, Language::Rust, true);
    assert!(typed.contains("pub at: Option<DateTimeString>"));
    assert!(typed.contains("pub struct DateTimeString(String);"));
    assert!(source(&schema, Language::TypeScript, true).contains("isDateTimeString(value[\"at\"])"));
}

#[test]
fn unresolvable_references_are_typed_errors() {
    let generator = Generator::embedded().expect("embedded");
    let options = Options::new(Language::Rust, "refs");
    let external = "https://schemabus.invalid/registries/r/schemas/s/versions/1";
    for (schema, needle) in [
        (json!({"$ref": external}), external.to_string()),
        (json!({"$ref": "#/$defs/Missing"}), "#/$defs/Missing".to_string()),
        (json!({"$ref": "#nope"}), "#nope".to_string()),
    ] {
        match generator.generate(&schema, &BTreeMap::new(), &options) {
            Err(CodegenError::UnresolvedRef { reference, .. }) => {
                assert!(reference.contains(&needle), "{reference}")
            }
            other => panic!("expected UnresolvedRef, got {other:?}"),
        }
    }
    let mut map = BTreeMap::new();
    map.insert(external.to_string(), json!({"type": "object", "title": "Money"}));
    let files = generator
        .generate(&json!({"$ref": format!("{external}#")}), &map, &options)
        .expect("resolves with the map");
    let lib = files.iter().find(|f| f.path == "src/lib.rs").expect("lib.rs");
    assert!(lib.contents.contains("pub type Detail = Money;"));
}

#[test]
fn bad_inputs_are_rejected() {
    let generator = Generator::embedded().expect("embedded");
    for name in ["", "Upper", "1abc", "with space", "a/b"] {
        let result = generator.generate(&json!({}), &BTreeMap::new(), &Options::new(Language::Rust, name));
        assert!(matches!(result, Err(CodegenError::InvalidPackageName { .. })), "{name}");
    }
    let result = generator.generate(&json!(42), &BTreeMap::new(), &Options::new(Language::Rust, "x"));
    assert!(matches!(result, Err(CodegenError::InvalidSchema { .. })));
    let cyclic = json!({"$defs": {"A": {"allOf": [{"$ref": "#/$defs/B"}]}, "B": {"allOf": [{"$ref": "#/$defs/A"}]}}, "$ref": "#/$defs/A", "type": "object"});
    let result = generator.generate(&cyclic, &BTreeMap::new(), &Options::new(Language::Rust, "x"));
    assert!(matches!(result, Err(CodegenError::InvalidSchema { .. })), "{result:?}");
}

#[test]
fn templates_load_from_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rust = dir.path().join("rust");
    std::fs::create_dir_all(rust.join("src")).expect("mkdir");
    std::fs::create_dir_all(rust.join("partials")).expect("mkdir");
    std::fs::write(
        rust.join("src/lib.rs.hbs"),
        "// {{package_name}}\npub type Detail = {{detail_type}};\n{{> note}}\n",
    )
    .expect("write");
    std::fs::write(rust.join("partials/note.hbs"), "// custom").expect("write");
    std::fs::write(rust.join("README.md.hbs"), "# {{package_name}}").expect("write");
    let generator = Generator::from_dir(dir.path()).expect("load");
    assert!(generator.supports(Language::Rust));
    assert!(!generator.supports(Language::TypeScript));
    assert_ne!(
        generator.templates_fingerprint(),
        Generator::embedded().expect("embedded").templates_fingerprint()
    );
    let files = generator
        .generate(&json!({"type": "string"}), &BTreeMap::new(), &Options::new(Language::Rust, "mine"))
        .expect("generate");
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["README.md", "src/lib.rs"]);
    assert_eq!(files[1].contents, "// mine\npub type Detail = String;\n// custom");
    assert!(matches!(
        generator.generate(&json!({}), &BTreeMap::new(), &Options::new(Language::TypeScript, "x")),
        Err(CodegenError::Template { .. })
    ));

    // Strict mode: an unknown variable is an error, not an empty string.
    std::fs::write(rust.join("src/lib.rs.hbs"), "{{no_such_variable}}").expect("write");
    let strict = Generator::from_dir(dir.path()).expect("load");
    assert!(matches!(
        strict.generate(&json!({}), &BTreeMap::new(), &Options::new(Language::Rust, "x")),
        Err(CodegenError::Render { .. })
    ));
    // Syntax errors and a missing main template are reported at load time.
    std::fs::write(rust.join("src/lib.rs.hbs"), "{{#if}").expect("write");
    assert!(matches!(Generator::from_dir(dir.path()), Err(CodegenError::Template { .. })));
    std::fs::remove_file(rust.join("src/lib.rs.hbs")).expect("rm");
    assert!(matches!(Generator::from_dir(dir.path()), Err(CodegenError::Template { .. })));
    assert!(matches!(Generator::from_dir(&dir.path().join("nowhere")), Err(CodegenError::Template { .. })));
}

#[test]
fn builtin_templates_match_the_directory_on_disk() {
    // The embedded set and codegen-templates/ must be the same files.
    let root = std::path::Path::new(file!())
        .parent()
        .and_then(|p| p.parent())
        .expect("repo root")
        .join("codegen-templates");
    let from_disk = Generator::from_dir(&root).expect("load codegen-templates");
    assert_eq!(
        from_disk.templates_fingerprint(),
        Generator::embedded().expect("embedded").templates_fingerprint()
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    fn nested(depth: usize) -> Value {
        (0..depth).fold(
            json!({"type": "string"}),
            |inner, _| json!({"type": "object", "properties": {"next": inner}}),
        )
    }
    let generator = Generator::embedded().expect("embedded");
    let options = Options::new(Language::Rust, "deep");
    // Run on a thread with the small stack web::block / spawn_blocking threads get.
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let ok = generator.generate(&nested(60), &BTreeMap::new(), &options).is_ok();
            let too_deep = generator.generate(&nested(300), &BTreeMap::new(), &options);
            (ok, matches!(too_deep, Err(CodegenError::InvalidSchema { .. })))
        })
        .expect("spawn");
    assert_eq!(handle.join().expect("no stack overflow"), (true, true));
}

#[test]
fn long_reference_chains_do_not_recurse() {
    // 2000 definitions each referencing the next: lowered from a queue, not recursively.
    let mut defs = serde_json::Map::new();
    for i in 0..2000 {
        defs.insert(
            format!("D{i}"),
            json!({"type": "object", "properties": {"next": {"$ref": format!("#/$defs/D{}", (i + 1) % 2000)}}}),
        );
    }
    let schema = json!({"$ref": "#/$defs/D0", "$defs": defs});
    let model = lower(&schema, &BTreeMap::new(), &Options::new(Language::Rust, "chain")).expect("lower");
    assert_eq!(model.types.iter().filter(|t| matches!(t.kind, TypeKind::Struct(_))).count(), 2000);
}

#[test]
fn generator_can_be_shared_between_threads() {
    // The service keeps one Generator in web::Data and uses it from blocking threads.
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Generator>();
    assert_send_sync::<CodegenError>();
}
