//! The signed sync payload: framing, hashing and signing (hub) and verification (kiosk).
//!
//! A payload is gzip-compressed UTF-8 text, one JSON value per line (docs/sync-protocol.md):
//! a header object, change arrays `["u"|"d", table, [values]]`, an end object with row
//! counts, then a signature object. The SHA-256 covers every byte before the signature line;
//! the Ed25519 signature covers `ANJUNGAN-SYNC-1\n` followed by that hash in lowercase hex.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};

use ed25519_dalek::{SigningKey, VerifyingKey};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::keys;
use super::tables::{self, Op};

/// The payload format this build speaks.
pub const PROTOCOL: u32 = 2;
/// What the signature's message starts with, so a signature cannot be reused elsewhere.
pub const SIGNING_CONTEXT: &str = "ANJUNGAN-SYNC-1\n";
/// The longest line accepted; a longer one is an attack or damage.
const MAX_LINE: u64 = 8 << 20;

/// What a payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Every row of every synced table: the kiosk replaces its data.
    Snapshot,
    /// The changes from version `from` to `version`.
    Delta,
    /// Nothing changed since `from`; still signed, with the hub's version and time.
    None,
    /// One family's rows (members, bills), looked up for one member's session: held in
    /// memory for that session, never applied to the database.
    Lookup,
}

/// The first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub frame: String,
    pub protocol: u32,
    pub kind: Kind,
    /// Identifies the hub's version history; versions from another epoch are meaningless.
    pub epoch: String,
    /// The kiosk's version the changes apply to (0 for a snapshot).
    pub from: i64,
    /// The hub's current version: the kiosk's version once applied.
    pub version: i64,
    /// The hub's clock, Unix seconds.
    pub hub_time: i64,
    /// Echo of the kiosk's nonce, so an old answer cannot be replayed.
    pub nonce: String,
    pub cons_id: String,
    /// The wire columns of every synced table.
    pub columns: BTreeMap<String, Vec<String>>,
    /// The regions (kab/kota buckets) whose members this answer carries; absent: all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
    /// The software update the hub offers this kiosk now (its channel's bundle, when the
    /// rollout reaches it and is not paused); absent: none. Signed with the rest, so the
    /// bundle's hash is the hub's word (docs/updates.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<crate::update::Offer>,
}

impl Header {
    pub fn new(
        kind: Kind,
        epoch: &str,
        from: i64,
        version: i64,
        hub_time: i64,
        nonce: &str,
        cons_id: &str,
    ) -> Self {
        Self {
            frame: "header".into(),
            protocol: PROTOCOL,
            kind,
            epoch: epoch.into(),
            from,
            version,
            hub_time,
            nonce: nonce.into(),
            cons_id: cons_id.into(),
            columns: wire_columns(),
            regions: None,
            update: None,
        }
    }

    /// The same header, for an answer that carries only `regions`' members.
    pub fn for_regions(mut self, regions: Option<&[String]>) -> Self {
        self.regions = regions.map(<[String]>::to_vec);
        self
    }

    /// The same header, offering `update`.
    pub fn offering(mut self, update: Option<crate::update::Offer>) -> Self {
        self.update = update;
        self
    }
}

fn wire_columns() -> BTreeMap<String, Vec<String>> {
    tables::TABLES
        .iter()
        .map(|t| {
            (
                t.name.to_owned(),
                t.columns.iter().map(|c| (*c).to_owned()).collect(),
            )
        })
        .collect()
}

/// Upserts and deletes of one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub upsert: u64,
    pub delete: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct End {
    frame: String,
    counts: BTreeMap<String, Count>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SignatureLine {
    frame: String,
    sha256: String,
    signature: String,
}

/// Writes a payload: hashes what it writes and signs it at the end.
pub struct PayloadWriter<W: Write> {
    gz: GzEncoder<W>,
    hasher: Sha256,
    counts: BTreeMap<String, Count>,
    buf: Vec<u8>,
}

impl<W: Write> PayloadWriter<W> {
    /// Starts a payload with its header line.
    pub fn new(out: W, header: &Header) -> std::io::Result<Self> {
        let mut w = Self {
            gz: GzEncoder::new(out, Compression::fast()),
            hasher: Sha256::new(),
            counts: BTreeMap::new(),
            buf: Vec::with_capacity(512),
        };
        serde_json::to_writer(&mut w.buf, header)?;
        w.flush_line()?;
        Ok(w)
    }

    fn flush_line(&mut self) -> std::io::Result<()> {
        self.buf.push(b'\n');
        self.hasher.update(&self.buf);
        self.gz.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    fn count(&mut self, table: &str, op: Op) {
        let c = self.counts.entry(table.to_owned()).or_default();
        match op {
            Op::Upsert => c.upsert += 1,
            Op::Delete => c.delete += 1,
        }
    }

    /// One change with its values.
    pub fn change(&mut self, table: &str, op: Op, values: &[Value]) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.buf, &(op.code(), table, values))?;
        self.count(table, op);
        self.flush_line()
    }

    /// One change whose values are already a JSON array text (the hub's change log).
    pub fn change_raw(&mut self, table: &str, op: Op, values_json: &str) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.buf, &(op.code(), table))?;
        // `["u","t"]` → `["u","t",VALUES]`
        self.buf.pop();
        self.buf.push(b',');
        self.buf.extend_from_slice(values_json.as_bytes());
        self.buf.push(b']');
        self.count(table, op);
        self.flush_line()
    }

    /// Writes the end and signature lines and finishes compression.
    pub fn finish(mut self, key: &SigningKey) -> std::io::Result<W> {
        let end = End {
            frame: "end".into(),
            counts: std::mem::take(&mut self.counts),
        };
        serde_json::to_writer(&mut self.buf, &end)?;
        self.flush_line()?;
        let digest = hex(&self.hasher.finalize_reset());
        let signature = keys::sign_b64(key, signing_message(&digest).as_bytes());
        let line = SignatureLine {
            frame: "signature".into(),
            sha256: digest,
            signature,
        };
        serde_json::to_writer(&mut self.buf, &line)?;
        self.buf.push(b'\n');
        self.gz.write_all(&self.buf)?;
        self.gz.finish()
    }

    /// The compressed sink, e.g. to flush a chunk to the network.
    pub fn sink(&mut self) -> &mut W {
        self.gz.get_mut()
    }
}

/// The bytes the Ed25519 signature covers.
pub fn signing_message(sha256_hex: &str) -> String {
    format!("{SIGNING_CONTEXT}{sha256_hex}")
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a payload was refused. Nothing was applied in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the answer is cut short or its compression is damaged: {0}")]
    Damaged(String),
    #[error("the answer is not a well-formed payload: {0}")]
    Malformed(String),
    #[error("the answer is not signed")]
    Unsigned,
    #[error("the answer's SHA-256 does not match its content")]
    HashMismatch,
    #[error("the answer's signature is not the pinned hub key's")]
    BadSignature,
    #[error("the answer's row counts do not match its rows")]
    CountMismatch,
    #[error("the answer does not echo this request's nonce (replayed or misdirected)")]
    NonceMismatch,
    #[error("the hub's signed time is {skew} s from this kiosk's clock")]
    ClockSkew { skew: i64 },
    #[error("payload protocol {0} is not supported (this build speaks {PROTOCOL})")]
    Protocol(u32),
    #[error("the hub's table columns differ from this build's")]
    Columns,
}

impl PayloadError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Damaged(_) => "PAYLOAD_DAMAGED",
            Self::Malformed(_) => "PAYLOAD_MALFORMED",
            Self::Unsigned => "PAYLOAD_UNSIGNED",
            Self::HashMismatch => "PAYLOAD_HASH_MISMATCH",
            Self::BadSignature => "PAYLOAD_BAD_SIGNATURE",
            Self::CountMismatch => "PAYLOAD_COUNT_MISMATCH",
            Self::NonceMismatch => "PAYLOAD_NONCE_MISMATCH",
            Self::ClockSkew { .. } => "PAYLOAD_CLOCK_SKEW",
            Self::Protocol(_) => "PAYLOAD_PROTOCOL",
            Self::Columns => "PAYLOAD_COLUMNS",
        }
    }
}

/// What the kiosk expects of an answer to its request.
pub struct Expect<'a> {
    pub key: &'a VerifyingKey,
    pub nonce: &'a str,
    /// The kiosk's clock, Unix seconds.
    pub now: i64,
    /// The largest accepted distance between `hub_time` and `now`.
    pub max_skew: i64,
}

/// A verified payload's header and counts.
#[derive(Debug, Clone)]
pub struct Verified {
    pub header: Header,
    pub counts: BTreeMap<String, Count>,
    pub sha256: String,
}

/// Reads lines of a compressed payload with a length limit.
pub struct Lines<R: Read> {
    reader: BufReader<GzDecoder<R>>,
    pub line: Vec<u8>,
}

impl<R: Read> Lines<R> {
    pub fn new(r: R) -> Self {
        Self {
            reader: BufReader::with_capacity(1 << 16, GzDecoder::new(r)),
            line: Vec::with_capacity(1024),
        }
    }

    /// The next line, newline included; `false` at the end of the stream.
    pub fn advance(&mut self) -> Result<bool, PayloadError> {
        self.line.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| PayloadError::Damaged(e.to_string()))?;
        if n == 0 {
            return Ok(false);
        }
        if self.line.last() != Some(&b'\n') {
            return Err(PayloadError::Damaged(
                "a line is cut short or too long".into(),
            ));
        }
        Ok(true)
    }
}

fn malformed(what: &str) -> PayloadError {
    PayloadError::Malformed(what.into())
}

/// A change line: op, table and the raw values.
pub fn parse_change(line: &[u8]) -> Result<(Op, String, Vec<Value>), PayloadError> {
    let (op, table, values): (String, String, Vec<Value>) =
        serde_json::from_slice(line).map_err(|_| malformed("a change line does not parse"))?;
    let op = Op::parse(&op).ok_or_else(|| malformed("unknown change op"))?;
    Ok((op, table, values))
}

/// Checks a whole payload (hash, signature, counts, nonce, clock) without applying it.
pub fn verify<R: Read>(r: R, expect: &Expect<'_>) -> Result<Verified, PayloadError> {
    let mut lines = Lines::new(r);
    let mut hasher = Sha256::new();
    if !lines.advance()? {
        return Err(PayloadError::Damaged("empty answer".into()));
    }
    hasher.update(&lines.line);
    let header: Header =
        serde_json::from_slice(&lines.line).map_err(|_| malformed("the header does not parse"))?;
    if header.frame != "header" {
        return Err(malformed("the first line is not a header"));
    }
    let mut seen: BTreeMap<String, Count> = BTreeMap::new();
    let end: End = loop {
        if !lines.advance()? {
            return Err(PayloadError::Damaged(
                "the answer ends before its end line".into(),
            ));
        }
        hasher.update(&lines.line);
        if lines.line.first() == Some(&b'[') {
            #[derive(Deserialize)]
            struct Peek<'a>(&'a str, String, serde::de::IgnoredAny);
            let Peek(op, table, _) = serde_json::from_slice(&lines.line)
                .map_err(|_| malformed("a change line does not parse"))?;
            let c = seen.entry(table).or_default();
            match Op::parse(op) {
                Some(Op::Upsert) => c.upsert += 1,
                Some(Op::Delete) => c.delete += 1,
                None => return Err(malformed("unknown change op")),
            }
        } else {
            break serde_json::from_slice(&lines.line)
                .map_err(|_| malformed("the end line does not parse"))?;
        }
    };
    if end.frame != "end" {
        return Err(malformed("expected the end line"));
    }
    let digest = hex(&hasher.finalize());
    if !lines.advance()? {
        return Err(PayloadError::Unsigned);
    }
    let sig: SignatureLine =
        serde_json::from_slice(&lines.line).map_err(|_| PayloadError::Unsigned)?;
    if sig.frame != "signature" {
        return Err(PayloadError::Unsigned);
    }
    // Reading to the end also checks gzip's own trailer (CRC and length).
    if lines.advance()? {
        return Err(malformed("data after the signature line"));
    }
    if sig.sha256 != digest {
        return Err(PayloadError::HashMismatch);
    }
    if !keys::verify_b64(
        expect.key,
        signing_message(&digest).as_bytes(),
        &sig.signature,
    ) {
        return Err(PayloadError::BadSignature);
    }
    // Signed from here on: check the header's promises.
    if header.protocol != PROTOCOL {
        return Err(PayloadError::Protocol(header.protocol));
    }
    if header.nonce != expect.nonce {
        return Err(PayloadError::NonceMismatch);
    }
    let skew = header.hub_time - expect.now;
    if skew.abs() > expect.max_skew {
        return Err(PayloadError::ClockSkew { skew });
    }
    if header.columns != wire_columns() {
        return Err(PayloadError::Columns);
    }
    let nonzero = |m: &BTreeMap<String, Count>| -> BTreeMap<String, Count> {
        m.iter()
            .filter(|(_, c)| **c != Count::default())
            .map(|(k, c)| (k.clone(), *c))
            .collect()
    };
    if nonzero(&seen) != nonzero(&end.counts) {
        return Err(PayloadError::CountMismatch);
    }
    if header.kind == Kind::None && !seen.is_empty() {
        return Err(malformed("a no-change answer carries changes"));
    }
    Ok(Verified {
        header,
        counts: end.counts,
        sha256: digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(key: &SigningKey) -> Vec<u8> {
        let header = Header::new(Kind::Delta, "e1", 3, 4, 1_000, "n1", "k1");
        let mut w = PayloadWriter::new(Vec::new(), &header).unwrap();
        w.change(
            "bills",
            Op::Upsert,
            &[
                json!("3201010101010001"),
                json!("2026-11"),
                json!(35000),
                json!(null),
            ],
        )
        .unwrap();
        w.change_raw("bills", Op::Delete, r#"["3201010101010001","2026-10"]"#)
            .unwrap();
        w.finish(key).unwrap()
    }

    fn expect(key: &VerifyingKey) -> Expect<'_> {
        Expect {
            key,
            nonce: "n1",
            now: 1_010,
            max_skew: 300,
        }
    }

    #[test]
    fn a_signed_payload_verifies_and_each_fault_is_refused() {
        let key = keys::generate();
        let public = key.verifying_key();
        let bytes = sample(&key);
        let v = verify(&bytes[..], &expect(&public)).unwrap();
        assert_eq!(v.header.version, 4);
        assert_eq!(
            v.counts["bills"],
            Count {
                upsert: 1,
                delete: 1
            }
        );

        // Cut short anywhere: refused.
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                verify(&bytes[..cut], &expect(&public)).is_err(),
                "cut {cut}"
            );
        }
        // Any flipped byte past gzip's 10-byte header (whose mtime/OS bytes carry no
        // content) is refused, unless it changed no content at all: the padding bits of
        // deflate's last byte decode to the same stream, and then the same hash and
        // signature verify. What is accepted is always exactly what was signed.
        for at in (10..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            b[at] ^= 0x01;
            if let Ok(same) = verify(&b[..], &expect(&public)) {
                assert_eq!(same.sha256, v.sha256, "flip at {at} changed the content");
                assert_eq!(same.header.version, v.header.version);
            }
        }
        // Another key's signature.
        let other = keys::generate();
        assert!(matches!(
            verify(&sample(&other)[..], &expect(&public)),
            Err(PayloadError::BadSignature)
        ));
        // A replayed answer to another request.
        let mut e = expect(&public);
        e.nonce = "n2";
        assert!(matches!(
            verify(&bytes[..], &e),
            Err(PayloadError::NonceMismatch)
        ));
        // A frozen clock.
        let mut e = expect(&public);
        e.now = 5_000;
        assert!(matches!(
            verify(&bytes[..], &e),
            Err(PayloadError::ClockSkew { .. })
        ));
    }

    #[test]
    fn an_unsigned_or_recounted_payload_is_refused() {
        let key = keys::generate();
        let public = key.verifying_key();
        // Re-compress the text without its signature line.
        let mut text = String::new();
        GzDecoder::new(&sample(&key)[..])
            .read_to_string(&mut text)
            .unwrap();
        let without: String = text
            .lines()
            .filter(|l| !l.contains("\"signature\""))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(without.as_bytes()).unwrap();
        assert!(matches!(
            verify(&gz.finish().unwrap()[..], &expect(&public)),
            Err(PayloadError::Unsigned)
        ));
    }
}
