//! TLS for `serve --tls-cert --tls-key`: rustls (ring provider, TLS 1.2 and 1.3) from PEM
//! files. Read once at start-up; a file that cannot be read or parsed stops the start with
//! a message naming it.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The server configuration of a certificate chain and its private key (PEM).
///
/// # Errors
/// A message naming the file and what is wrong with it.
pub fn server_config(cert: &Path, key: &Path) -> Result<ServerConfig, String> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()));
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{} is not a PEM certificate chain: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no PEM certificate", cert.display()));
    }
    let private = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("{} holds no PEM private key (PKCS#8, PKCS#1 or SEC1): {e}", key.display()))?;
    ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            format!("the certificate and key of {} and {} do not fit: {e}", cert.display(), key.display())
        })
}
