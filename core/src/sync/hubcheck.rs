//! One look at the hub: does it answer, and how far apart are the clocks. The sync agent
//! takes one before each heartbeat; diagnostics show it.

use std::path::Path;
use std::time::Duration;

use super::tls::HubEndpoint;

/// What one look at the hub found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubCheck {
    /// The hub answered HTTP (any status).
    pub reachable: bool,
    /// Kiosk clock minus the hub's `Date` header, in seconds.
    pub skew_secs: Option<i64>,
    pub error: Option<String>,
}

/// Asks the hub for anything: an answer proves it is up (over TLS: with the certificate
/// this kiosk trusts), and its `Date` header gives the clock check.
pub async fn check_hub(endpoint: &HubEndpoint) -> HubCheck {
    let unreachable = |error: String| HubCheck {
        reachable: false,
        skew_secs: None,
        error: Some(error),
    };
    let client = match endpoint.client(Duration::from_secs(4), Duration::from_secs(4)) {
        Ok(c) => c,
        Err(e) => return unreachable(format!("{}: {e}", e.code())),
    };
    let sent = chrono::Utc::now();
    match client
        .get(format!("{}/v1/time", endpoint.base()))
        .timeout(Duration::from_secs(4))
        .send()
        .await
    {
        Ok(resp) => {
            let received = chrono::Utc::now();
            let midpoint = sent + (received - sent) / 2;
            let skew_secs = resp
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
                .map(|hub| (midpoint - hub.to_utc()).num_seconds());
            HubCheck {
                reachable: true,
                skew_secs,
                error: None,
            }
        }
        Err(e) => unreachable(e.to_string()),
    }
}

/// [`check_hub`] for an address as configured; an address the policy refuses (plain
/// http:// to another host, ftp://, an https:// hub without its certificate) is reported
/// unreachable with the reason, without a connection.
///
/// With several URLs (`URL1,URL2`), the first that answers is reported; when none does,
/// the last one's failure.
pub fn check_hub_blocking(url: &str, ca: Option<&Path>) -> HubCheck {
    let mut last = None;
    for one in super::tls::hub_urls(url) {
        let check = check_one_blocking(one, ca);
        if check.reachable {
            return check;
        }
        last = Some(check);
    }
    last.unwrap_or_else(|| check_one_blocking(url, ca))
}

fn check_one_blocking(url: &str, ca: Option<&Path>) -> HubCheck {
    let endpoint = match HubEndpoint::new(url, ca) {
        Ok(e) => e,
        Err(e) => {
            return HubCheck {
                reachable: false,
                skew_secs: None,
                error: Some(format!("{}: {e}", e.code())),
            };
        }
    };
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(check_hub(&endpoint)),
        Err(e) => HubCheck {
            reachable: false,
            skew_secs: None,
            error: Some(e.to_string()),
        },
    }
}
