//! The hub's list of kiosks (TOML): one `[[kiosk]]` table each, with `cons_id` and
//! `secret`, and optionally a `name`, a `location` and coordinates (`lat`, `lon`) for the
//! fleet view and its map.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::HubError;

/// One kiosk the hub accepts calls from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KioskEntry {
    pub cons_id: String,
    pub secret: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    /// Where it stands (WGS 84 degrees), for the console's map.
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// The branch office it belongs to (e.g. `KC Bandung`), for figures per branch.
    #[serde(default)]
    pub branch: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KioskFile {
    #[serde(default)]
    kiosk: Vec<KioskEntry>,
}

/// The kiosks by cons-id.
#[derive(Debug, Clone, Default)]
pub struct Kiosks {
    by_id: HashMap<String, KioskEntry>,
}

impl Kiosks {
    /// Reads kiosks.toml; warns when the file, which holds every kiosk's secret, is readable
    /// by group or others.
    pub fn load(path: &Path) -> Result<Self, HubError> {
        anjungan_core::secret::warn_if_readable(path);
        let text = std::fs::read_to_string(path).map_err(|e| HubError::Kiosks {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(&text).map_err(|message| HubError::Kiosks {
            path: path.display().to_string(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let file: KioskFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut by_id = HashMap::new();
        for k in file.kiosk {
            if k.cons_id.trim().is_empty() || k.secret.len() < 8 {
                return Err(format!(
                    "kiosk {:?}: cons_id must be set and secret at least 8 characters",
                    k.cons_id
                ));
            }
            if let Err(e) = check_coordinates(k.lat, k.lon) {
                return Err(format!("kiosk {:?}: {e}", k.cons_id));
            }
            if by_id.insert(k.cons_id.clone(), k).is_some() {
                return Err("a cons_id appears twice".into());
            }
        }
        Ok(Self { by_id })
    }

    /// The secret of a known kiosk.
    pub fn secret(&self, cons_id: &str) -> Option<&str> {
        self.by_id.get(cons_id).map(|k| k.secret.as_str())
    }

    /// Every known cons-id, sorted.
    pub fn cons_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.by_id.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// A known kiosk's entry.
    pub fn entry(&self, cons_id: &str) -> Option<&KioskEntry> {
        self.by_id.get(cons_id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kiosks_parse_and_mistakes_are_refused() {
        let k = Kiosks::parse(
            "[[kiosk]]\ncons_id = \"k1\"\nsecret = \"secret-1!\"\n\
             [[kiosk]]\ncons_id = \"k2\"\nsecret = \"secret-2!\"\nname = \"KC Bandung\"\n",
        )
        .unwrap();
        assert_eq!(k.secret("k2"), Some("secret-2!"));
        assert_eq!(k.secret("k3"), None);
        assert!(Kiosks::parse("[[kiosk]]\ncons_id = \"k1\"\nsecret = \"short\"\n").is_err());
        let placed = Kiosks::parse(
            "[[kiosk]]\ncons_id = \"k1\"\nsecret = \"secret-1!\"\nlat = -6.9\nlon = 107.6\n",
        )
        .unwrap();
        assert_eq!(placed.entry("k1").and_then(|e| e.lat), Some(-6.9));
        for bad in [
            "lat = -6.9",
            "lat = 95.0\nlon = 107.6",
            "lat = -6.9\nlon = 190.0",
        ] {
            let text = format!("[[kiosk]]\ncons_id = \"k1\"\nsecret = \"secret-1!\"\n{bad}\n");
            assert!(Kiosks::parse(&text).is_err(), "{bad}");
        }
        assert!(
            Kiosks::parse(
                "[[kiosk]]\ncons_id = \"k1\"\nsecret = \"secret-1!\"\n\
                 [[kiosk]]\ncons_id = \"k1\"\nsecret = \"secret-2!\"\n"
            )
            .is_err()
        );
    }
}

/// A kiosk registered in the hub's store (the console, `anjungan-hub kiosks`). It wins over
/// the kiosks file's entry of the same cons_id.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KioskRow {
    pub cons_id: String,
    #[serde(skip)]
    pub secret: String,
    pub name: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub revoked: bool,
    pub created_at: String,
    pub updated_at: String,
    /// The branch office it belongs to, for figures per branch.
    pub branch: Option<String>,
}

/// The registered kiosks, kept by both stores (so every replica accepts the same ones).
pub trait KioskStore {
    /// Registers a kiosk; `false` when the cons_id is registered already.
    fn kiosk_add(&self, kiosk: &KioskRow) -> Result<bool, HubError>;
    fn kiosk(&self, cons_id: &str) -> Result<Option<KioskRow>, HubError>;
    /// Every registered kiosk, by cons_id.
    fn kiosks_registered(&self) -> Result<Vec<KioskRow>, HubError>;
    /// Revokes a registered kiosk: its calls are refused from now on. `false`: none such.
    fn kiosk_revoke(&self, cons_id: &str, at: &str) -> Result<bool, HubError>;
    /// Gives a kiosk a new secret (and takes a revocation back), registering it if only the
    /// kiosks file had it. `name` and coordinates are kept when `None`.
    fn kiosk_set_secret(&self, row: &KioskRow) -> Result<(), HubError>;
}

/// Checks a cons_id typed in the console or the CLI: 1-64 letters, digits, `.`, `_`, `-`.
pub fn check_cons_id(id: &str) -> Result<(), &'static str> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err("a kiosk id is 1-64 letters, digits, '.', '_' or '-'")
    }
}

/// Checks optional coordinates: both or neither, in range.
pub fn check_coordinates(lat: Option<f64>, lon: Option<f64>) -> Result<(), &'static str> {
    let in_range = |v: Option<f64>, max: f64| v.is_none_or(|x| x.is_finite() && x.abs() <= max);
    if lat.is_some() != lon.is_some() || !in_range(lat, 90.0) || !in_range(lon, 180.0) {
        Err("give both lat (-90..90) and lon (-180..180), or neither")
    } else {
        Ok(())
    }
}

/// A fresh kiosk secret (256 bits, base64url): shown once, to go into the kiosk's config.
pub fn new_secret() -> String {
    crate::staff::token()
}

/// What registering, re-keying and revoking do, for the console and the CLI alike.
pub mod registry {
    use super::{KioskRow, Kiosks, check_cons_id, check_coordinates, new_secret};
    use crate::HubError;
    use crate::store::HubStore;

    /// A row for `id` with the kiosks file's name and coordinates.
    fn row_from_file(file: &Kiosks, id: &str, secret: String, revoked: bool) -> KioskRow {
        let now = chrono::Utc::now().to_rfc3339();
        let entry = file.entry(id);
        KioskRow {
            cons_id: id.to_owned(),
            secret,
            name: entry.and_then(|e| e.name.clone()),
            lat: entry.and_then(|e| e.lat),
            lon: entry.and_then(|e| e.lon),
            revoked,
            created_at: now.clone(),
            updated_at: now,
            branch: entry.and_then(|e| e.branch.clone()),
        }
    }

    fn invalid(reason: &str) -> HubError {
        HubError::InvalidRequest {
            code: "INVALID_KIOSK",
            reason: reason.into(),
        }
    }

    /// Registers a new kiosk; its secret (shown once), or `None` when the id is taken
    /// (registered, or in the kiosks file).
    pub fn register(
        store: &dyn HubStore,
        file: &Kiosks,
        id: &str,
        name: Option<&str>,
        branch: Option<&str>,
        at: Option<(f64, f64)>,
    ) -> Result<Option<String>, HubError> {
        check_cons_id(id).map_err(invalid)?;
        check_coordinates(at.map(|a| a.0), at.map(|a| a.1)).map_err(invalid)?;
        fn plain<'a>(v: Option<&'a str>, what: &str) -> Result<Option<&'a str>, HubError> {
            let v = v.map(str::trim).filter(|n| !n.is_empty());
            if v.is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control)) {
                Err(invalid(&format!(
                    "a kiosk's {what} is at most 100 plain characters"
                )))
            } else {
                Ok(v)
            }
        }
        let name = plain(name, "name")?;
        let branch = plain(branch, "branch")?;
        if file.secret(id).is_some() {
            return Ok(None);
        }
        let now = chrono::Utc::now().to_rfc3339();
        let secret = new_secret();
        let added = store.kiosk_add(&KioskRow {
            cons_id: id.to_owned(),
            secret: secret.clone(),
            name: name.map(str::to_owned),
            lat: at.map(|a| a.0),
            lon: at.map(|a| a.1),
            revoked: false,
            created_at: now.clone(),
            updated_at: now,
            branch: branch.map(str::to_owned),
        })?;
        Ok(added.then_some(secret))
    }

    /// Gives a known kiosk (registered or in the file) a new secret, shown once; `None`
    /// when no kiosk has this id. A revoked kiosk is accepted again with it.
    pub fn rekey(
        store: &dyn HubStore,
        file: &Kiosks,
        id: &str,
    ) -> Result<Option<String>, HubError> {
        check_cons_id(id).map_err(invalid)?;
        if store.kiosk(id)?.is_none() && file.secret(id).is_none() {
            return Ok(None);
        }
        let secret = new_secret();
        store.kiosk_set_secret(&row_from_file(file, id, secret.clone(), false))?;
        Ok(Some(secret))
    }

    /// Refuses a known kiosk's calls from now on; `false` when no kiosk has this id. A kiosk
    /// of the file gets a revoked row, which wins over the file.
    pub fn revoke(store: &dyn HubStore, file: &Kiosks, id: &str) -> Result<bool, HubError> {
        check_cons_id(id).map_err(invalid)?;
        let now = chrono::Utc::now().to_rfc3339();
        if store.kiosk_revoke(id, &now)? {
            return Ok(true);
        }
        if file.secret(id).is_none() {
            return Ok(false);
        }
        store.kiosk_add(&row_from_file(file, id, String::new(), true))?;
        Ok(true)
    }
}
