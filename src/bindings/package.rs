//! Packaging generated files.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

use crate::codegen::GeneratedFile;

/// A package name (`a-z0-9-_`, starting with a letter, at most 64 characters) derived
/// from a schema name: `orders.service@OrderPlaced` → `orders-service-order-placed`.
pub fn package_name_for(schema: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in schema.chars() {
        if c.is_ascii_uppercase() {
            if previous_lower {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('-') {
                out.push('-');
            }
            previous_lower = false;
        }
    }
    let mut name: String = out.trim_matches('-').to_owned();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "schema-");
    }
    name.truncate(64);
    name.trim_end_matches('-').to_owned()
}

/// Zips files under a top-level folder named after the package. Entries are sorted and
/// carry a fixed timestamp, so equal inputs give equal bytes.
///
/// # Errors
/// Errors of the zip writer (only on internal failures: everything is in memory).
pub fn zip_files(package: &str, files: &[GeneratedFile]) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut sorted: Vec<&GeneratedFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for file in sorted {
        writer.start_file(format!("{package}/{}", file.path), options)?;
        writer.write_all(file.contents.as_bytes())?;
    }
    Ok(writer.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_readable_and_valid() {
        assert_eq!(package_name_for("orders.service@OrderPlaced"), "orders-service-order-placed");
        assert_eq!(
            package_name_for("aws.ec2@EC2InstanceStateChangeNotification"),
            "aws-ec2-ec2-instance-state-change-notification"
        );
        assert_eq!(package_name_for("123"), "schema-123");
        assert!(package_name_for(&"x".repeat(300)).len() <= 64);
    }

    #[test]
    fn zips_are_deterministic() {
        let files = vec![
            GeneratedFile { path: "src/lib.rs".into(), contents: "pub struct A;".into() },
            GeneratedFile { path: "Cargo.toml".into(), contents: "[package]".into() },
        ];
        let a = zip_files("p", &files).unwrap();
        let reversed: Vec<GeneratedFile> = files.into_iter().rev().collect();
        assert_eq!(a, zip_files("p", &reversed).unwrap());
    }
}
