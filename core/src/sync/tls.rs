//! TLS between kiosk and hub (docs/security.md): the hub's self-signed certificate, the
//! hub's server configuration, and the kiosk's policy for a hub address.
//!
//! A kiosk trusts exactly the certificate file it is given (`--hub-ca`, `[hub] ca`), never
//! the system's store. It talks plain HTTP only to a loopback hub (one started with
//! `--plain-http`, for development and the demo); any other `http://` address, and every
//! other scheme, is refused before a connection is made.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why a hub address, certificate or key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    #[error("{0:?} is not an http(s):// address")]
    BadUrl(String),
    #[error("{0:?} is plain http:// to a host that is not loopback: https:// is required")]
    Insecure(String),
    #[error("an https:// hub needs its certificate (--hub-ca FILE or [hub] ca)")]
    CaRequired,
    #[error("{path}: {message}")]
    BadFile { path: String, message: String },
}

impl TlsError {
    /// The stable code shown to technicians.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUrl(_) => "HUB_URL_INVALID",
            Self::Insecure(_) => "HUB_URL_INSECURE",
            Self::CaRequired => "HUB_CA_REQUIRED",
            Self::BadFile { .. } => "TLS_FILE_INVALID",
        }
    }

    /// What to do, in Indonesian and English.
    pub fn bilingual(&self) -> (String, String) {
        match self {
            Self::BadUrl(u) => (
                format!("Alamat hub {u:?} tidak valid: gunakan https://HOST:PORT."),
                format!("The hub address {u:?} is not valid: use https://HOST:PORT."),
            ),
            Self::Insecure(u) => (
                format!(
                    "Alamat hub {u:?} memakai http:// tanpa enkripsi: wajib https:// \
                     (http:// hanya untuk hub lokal 127.0.0.1)."
                ),
                format!(
                    "The hub address {u:?} is plain http://: https:// is required \
                     (http:// only for a local hub on 127.0.0.1)."
                ),
            ),
            Self::CaRequired => (
                "Hub https:// memerlukan sertifikatnya: --hub-ca BERKAS atau [hub] ca.".into(),
                "An https:// hub needs its certificate: --hub-ca FILE or [hub] ca.".into(),
            ),
            Self::BadFile { path, message } => (
                format!("Berkas TLS {path} tidak dapat dipakai: {message}"),
                format!("The TLS file {path} cannot be used: {message}"),
            ),
        }
    }
}

fn bad_file(path: &Path, message: impl std::fmt::Display) -> TlsError {
    TlsError::BadFile {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Whether `host` (as a URL spells it) is this machine.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A hub address the kiosk may talk to, and how.
#[derive(Clone)]
pub struct HubEndpoint {
    base: String,
    roots: Option<Arc<rustls::RootCertStore>>,
}

impl std::fmt::Debug for HubEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubEndpoint")
            .field("base", &self.base)
            .field("tls", &self.roots.is_some())
            .finish()
    }
}

/// The hub URLs of a setting that names several (`URL1,URL2`: replicas of one hub, in
/// order of preference). Never empty: a blank setting stays one (invalid) URL, so its
/// error is the usual one.
pub fn hub_urls(setting: &str) -> Vec<&str> {
    let urls: Vec<&str> = setting
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    if urls.is_empty() {
        vec![setting.trim()]
    } else {
        urls
    }
}

impl HubEndpoint {
    /// Checks `url` against the policy and loads the certificate an https:// hub needs.
    pub fn new(url: &str, ca: Option<&Path>) -> Result<Self, TlsError> {
        let parsed = reqwest::Url::parse(url.trim()).map_err(|_| TlsError::BadUrl(url.into()))?;
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| TlsError::BadUrl(url.into()))?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(TlsError::BadUrl(url.into()));
        }
        let roots = match parsed.scheme() {
            "https" => Some(Arc::new(load_roots(ca.ok_or(TlsError::CaRequired)?)?)),
            "http" if is_loopback_host(host) => None,
            "http" => return Err(TlsError::Insecure(url.into())),
            _ => return Err(TlsError::BadUrl(url.into())),
        };
        Ok(Self {
            base: url.trim().trim_end_matches('/').to_owned(),
            roots,
        })
    }

    /// The base URL, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn is_tls(&self) -> bool {
        self.roots.is_some()
    }

    /// An HTTP client for this hub: TLS trusting only the hub's certificate, no redirects
    /// (a redirect could lead elsewhere, or to plain HTTP).
    pub fn client(&self, connect: Duration, read: Duration) -> Result<reqwest::Client, TlsError> {
        let builder = reqwest::Client::builder()
            .connect_timeout(connect)
            .read_timeout(read)
            .redirect(reqwest::redirect::Policy::none());
        let builder = match &self.roots {
            Some(roots) => {
                let config = rustls::ClientConfig::builder_with_provider(provider())
                    .with_safe_default_protocol_versions()
                    .map_err(|e| TlsError::BadUrl(e.to_string()))?
                    .with_root_certificates(Arc::clone(roots))
                    .with_no_client_auth();
                builder.https_only(true).use_preconfigured_tls(config)
            }
            None => builder,
        };
        builder
            .build()
            .map_err(|e| TlsError::BadUrl(format!("{}: {e}", self.base)))
    }
}

/// The certificates in a PEM file, as the only roots to trust.
pub fn load_roots(path: &Path) -> Result<rustls::RootCertStore, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    let certs = read_certs(path)?;
    for cert in certs {
        roots.add(cert).map_err(|e| bad_file(path, e))?;
    }
    Ok(roots)
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = std::fs::read(path).map_err(|e| bad_file(path, e))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_file(path, format!("not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(bad_file(path, "holds no CERTIFICATE"));
    }
    Ok(certs)
}

/// The hub's TLS configuration from its certificate chain and private key (PEM).
pub fn server_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig, TlsError> {
    let certs = read_certs(cert)?;
    let key_bytes = std::fs::read(key).map_err(|e| bad_file(key, e))?;
    let private = PrivateKeyDer::from_pem_slice(&key_bytes)
        .map_err(|e| bad_file(key, format!("no private key: {e}")))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad_file(cert, e))?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| bad_file(cert, e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A self-signed certificate and its key (PEM), naming `localhost`, `127.0.0.1`, `::1` and
/// every one of `names` (host names or IP addresses).
pub fn self_signed(names: &[String]) -> Result<(String, String), TlsError> {
    let mut sans: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    for n in names {
        let n = n.trim();
        if n.is_empty()
            || n.len() > 253
            || n.contains(['/', ':', ' ']) && n.parse::<IpAddr>().is_err()
        {
            return Err(TlsError::BadUrl(n.to_owned()));
        }
        if !sans.iter().any(|s| s.eq_ignore_ascii_case(n)) {
            sans.push(n.to_owned());
        }
    }
    let mut params =
        rcgen::CertificateParams::new(sans).map_err(|e| TlsError::BadUrl(e.to_string()))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Anjungan hub");
    params.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        "Anjungan (self-signed, pinned by kiosks)",
    );
    // Valid from yesterday (a kiosk clock a little behind) for ten years.
    let ymd = |d: chrono::NaiveDate| {
        use chrono::Datelike;
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    let today = chrono::Utc::now().date_naive();
    params.not_before = ymd(today - chrono::Days::new(1));
    params.not_after = ymd(today + chrono::Days::new(3650));
    let key = rcgen::KeyPair::generate().map_err(|e| TlsError::BadUrl(e.to_string()))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| TlsError::BadUrl(e.to_string()))?;
    Ok((cert.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_policy() {
        for ok in [
            "http://127.0.0.1:8787",
            "http://127.9.9.9:1/",
            "http://localhost:8787",
            "http://[::1]:8787",
        ] {
            let e = HubEndpoint::new(ok, None).unwrap();
            assert!(!e.is_tls(), "{ok}");
        }
        assert_eq!(
            HubEndpoint::new("http://10.0.0.5:8787", None).unwrap_err(),
            TlsError::Insecure("http://10.0.0.5:8787".into())
        );
        assert_eq!(
            HubEndpoint::new("http://hub.example:8787", None)
                .unwrap_err()
                .code(),
            "HUB_URL_INSECURE"
        );
        // localhost.example.com is not loopback.
        assert_eq!(
            HubEndpoint::new("http://localhost.evil.example", None)
                .unwrap_err()
                .code(),
            "HUB_URL_INSECURE"
        );
        for bad in [
            "ftp://127.0.0.1/",
            "hub:8787",
            "",
            "https://",
            "file:///etc/x",
        ] {
            assert_eq!(
                HubEndpoint::new(bad, None).unwrap_err().code(),
                "HUB_URL_INVALID",
                "{bad}"
            );
        }
        assert_eq!(
            HubEndpoint::new("https://hub.example", None).unwrap_err(),
            TlsError::CaRequired
        );
        assert_eq!(
            HubEndpoint::new("https://hub.example", Some(Path::new("/nonexistent.pem")))
                .unwrap_err()
                .code(),
            "TLS_FILE_INVALID"
        );
    }

    #[test]
    fn a_made_certificate_loads_on_both_sides() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed(&["hub.cabang.example".into(), "10.1.2.3".into()]).unwrap();
        std::fs::write(dir.path().join("tls.crt"), &cert).unwrap();
        std::fs::write(dir.path().join("tls.key"), &key).unwrap();
        server_config(&dir.path().join("tls.crt"), &dir.path().join("tls.key")).unwrap();
        let e = HubEndpoint::new(
            "https://hub.cabang.example:8787",
            Some(&dir.path().join("tls.crt")),
        )
        .unwrap();
        assert!(e.is_tls());
        e.client(Duration::from_secs(1), Duration::from_secs(1))
            .unwrap();
        // The key is not a certificate.
        assert_eq!(
            load_roots(&dir.path().join("tls.key")).unwrap_err().code(),
            "TLS_FILE_INVALID"
        );
        assert!(self_signed(&["bad/name".into()]).is_err());
    }
}
