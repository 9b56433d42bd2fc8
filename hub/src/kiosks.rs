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
            let in_range =
                |v: Option<f64>, max: f64| v.is_none_or(|x| x.is_finite() && x.abs() <= max);
            if !in_range(k.lat, 90.0)
                || !in_range(k.lon, 180.0)
                || k.lat.is_some() != k.lon.is_some()
            {
                return Err(format!(
                    "kiosk {:?}: give both lat (-90..90) and lon (-180..180), or neither",
                    k.cons_id
                ));
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
