//! The anonymous satisfaction ratings: one count per star value, nothing else (no time, no
//! member, no screen), so a rating can never be tied to the member who gave it.

use super::{Store, StoreError};

fn key(stars: u8) -> String {
    format!("rating_{}", stars.clamp(1, 5))
}

impl Store {
    /// Counts one rating of `stars` (clamped to 1–5), in one statement.
    pub fn count_rating(&self, stars: u8) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_meta (key, value) VALUES (?1, '1') \
                 ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            )?
            .execute([key(stars)])?;
        Ok(())
    }

    /// How many ratings of 1, 2, 3, 4 and 5 stars were given.
    pub fn ratings(&self) -> Result<[u64; 5], StoreError> {
        let mut out = [0; 5];
        for (i, n) in out.iter_mut().enumerate() {
            *n = self
                .meta(&key(i as u8 + 1))?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_count_per_star_and_clamp() {
        let store = Store::open_in_memory().unwrap();
        for stars in [5, 5, 3, 9, 0] {
            store.count_rating(stars).unwrap();
        }
        assert_eq!(store.ratings().unwrap(), [1, 0, 1, 0, 3]);
    }
}
