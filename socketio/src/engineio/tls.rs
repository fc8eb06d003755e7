//! TLS for `https` and `wss`: rustls (aws-lc-rs), the webpki roots by default, extra roots,
//! client certificates (mutual TLS), and the explicit opt-out of verification.

use std::sync::Arc;

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

/// rustls with the aws-lc-rs provider (post-quantum key exchange first) and the webpki roots.
pub fn default_tls_config() -> Arc<rustls::ClientConfig> {
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
