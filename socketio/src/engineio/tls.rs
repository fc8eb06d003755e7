//! TLS for `https` and `wss`: rustls (aws-lc-rs), the webpki roots by default, extra roots,
//! client certificates (mutual TLS), and the explicit opt-out of verification.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::error::Error;

/// What the user asked of TLS; turned into a rustls configuration once.
#[derive(Clone, Default)]
pub struct TlsSettings {
    extra_roots: Vec<CertificateDer<'static>>,
    client_auth: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    verify: Option<bool>,
    custom: Option<Arc<rustls::ClientConfig>>,
    /// A PEM that did not parse: reported by `connect()`.
    error: Option<String>,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("extra_roots", &self.extra_roots.len())
            .field(
                "client_auth",
                &self.client_auth.as_ref().map(|_| "<redacted>"),
            )
            .field("verify", &self.verify)
            .field("custom", &self.custom.is_some())
            .field("error", &self.error)
            .finish()
    }
}

impl TlsSettings {
    /// Trusts the certificates of a PEM file (besides the webpki roots).
    pub fn add_root_pem(&mut self, pem: &[u8]) {
        match CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>() {
            Ok(certs) if !certs.is_empty() => self.extra_roots.extend(certs),
            Ok(_) => self.error = Some("no certificate in the root PEM".into()),
            Err(e) => self.error = Some(format!("invalid root PEM: {e}")),
        }
    }

    /// Presents a client certificate chain and its private key (mutual TLS).
    pub fn client_auth_pem(&mut self, chain: &[u8], key: &[u8]) {
        let chain = match CertificateDer::pem_slice_iter(chain).collect::<Result<Vec<_>, _>>() {
            Ok(chain) if !chain.is_empty() => chain,
            Ok(_) => {
                self.error = Some("no certificate in the client certificate PEM".into());
                return;
            }
            Err(e) => {
                self.error = Some(format!("invalid client certificate PEM: {e}"));
                return;
            }
        };
        match PrivateKeyDer::from_pem_slice(key) {
            Ok(key) => self.client_auth = Some((chain, Arc::new(key))),
            Err(e) => self.error = Some(format!("invalid client key PEM: {e}")),
        }
    }

    /// Whether server certificates are verified (python's `ssl_verify`).
    pub fn verify(&mut self, verify: bool) {
        self.verify = Some(verify);
    }

    /// A complete rustls configuration of the user's own.
    pub fn custom(&mut self, config: Arc<rustls::ClientConfig>) {
        self.custom = Some(config);
    }

    /// The rustls configuration.
    pub fn build(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        if let Some(error) = &self.error {
            return Err(Error::Tls(error.clone()));
        }
        if let Some(custom) = &self.custom {
            return Ok(custom.clone());
        }
        let is_default =
            self.extra_roots.is_empty() && self.client_auth.is_none() && self.verify != Some(false);
        if is_default {
            // The webpki roots make a configuration of tens of KiB: one for all clients.
            static DEFAULT: std::sync::OnceLock<Arc<rustls::ClientConfig>> =
                std::sync::OnceLock::new();
            return Ok(DEFAULT.get_or_init(default_tls_config).clone());
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?;
        let builder = if self.verify == Some(false) {
            tracing::warn!(target: "engineio", "TLS certificate verification is disabled (ssl_verify(false)): the connection can be intercepted");
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
        } else {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            for cert in &self.extra_roots {
                roots
                    .add(cert.clone())
                    .map_err(|e| Error::Tls(format!("root certificate rejected: {e}")))?;
            }
            builder.with_root_certificates(roots)
        };
        let config = match &self.client_auth {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(|e| Error::Tls(format!("client certificate rejected: {e}")))?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

/// A client's TLS configuration, built the first time a connection needs one (`https`,
/// `wss`, or the polling transport's HTTP client) and then shared by its clones.
///
/// Built lazily because building it is not free: it maps aws-lc-rs and parses the
/// webpki roots, about 1 MB of code and data that a `ws://` client never needs.
#[derive(Clone, Default)]
pub struct TlsConfig(Arc<LazyTls>);

#[derive(Default)]
struct LazyTls {
    settings: TlsSettings,
    built: OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
}

impl TlsConfig {
    /// The configuration `settings` describe, built when first asked for.
    pub fn new(settings: TlsSettings) -> Self {
        TlsConfig(Arc::new(LazyTls {
            settings,
            built: OnceLock::new(),
        }))
    }

    /// What is wrong with the settings that can be told without building them (a PEM
    /// that did not parse): `connect()` reports it whatever the URL's scheme.
    #[inline]
    pub fn check(&self) -> Result<(), Error> {
        match &self.0.settings.error {
            Some(error) => Err(Error::Tls(error.clone())),
            None => Ok(()),
        }
    }

    /// The rustls configuration, built on the first call.
    pub fn get(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        let built = self.0.built.get_or_init(|| {
            self.0.settings.build().map_err(|error| match error {
                Error::Tls(message) => message,
                other => other.to_string(),
            })
        });
        built.clone().map_err(Error::Tls)
    }

    /// Whether the configuration has been built.
    #[cfg(test)]
    fn is_built(&self) -> bool {
        self.0.built.get().is_some()
    }
}

/// rustls with the aws-lc-rs provider (post-quantum key exchange first) and the webpki roots.
fn default_tls_config() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("aws-lc-rs supports the default protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    Arc::new(config)
}

/// Accepts every server certificate: only with an explicit `ssl_verify(false)`.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_is_built_when_first_asked_for_and_shared_by_clones() {
        let config = TlsConfig::new(TlsSettings::default());
        let clone = config.clone();
        assert!(!config.is_built());
        config.check().unwrap();
        assert!(!config.is_built(), "checking does not build");
        let built = clone.get().unwrap();
        assert!(config.is_built());
        assert!(Arc::ptr_eq(&built, &config.get().unwrap()));
    }

    #[test]
    fn a_bad_pem_is_reported_without_building() {
        let mut settings = TlsSettings::default();
        settings.add_root_pem(b"not a pem");
        let config = TlsConfig::new(settings);
        assert!(matches!(config.check(), Err(Error::Tls(_))));
        assert!(!config.is_built());
        assert!(matches!(config.get(), Err(Error::Tls(_))));
    }

    #[test]
    fn a_custom_configuration_is_used_as_given() {
        let custom = default_tls_config();
        let mut settings = TlsSettings::default();
        settings.custom(custom.clone());
        let config = TlsConfig::new(settings);
        assert!(Arc::ptr_eq(&custom, &config.get().unwrap()));
    }
}
