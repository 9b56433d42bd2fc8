//! Opening the store for the lookup path on a disk that may refuse writes.
//!
//! A kiosk whose database sits on a read-only file system (a remounted disk after an I/O
//! error, a read-only image, a file without write permission) must keep answering members.
//! This file only decides how to open; it writes nothing and owns no SQL.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{Store, StoreError};

impl Store {
    /// Opens the database for a process that mostly reads (the kiosk UI, `diag`): for
    /// writing when the file and its file system allow it, otherwise read-only, so lookups
    /// keep answering while every write fails with SQLITE_READONLY
    /// ([`StoreError::is_read_only`]). See [`Store::is_read_only`].
    pub fn open_for_lookups(path: &Path) -> Result<Self, StoreError> {
        let fall_back = || {
            tracing::warn!(
                db = %path.display(),
                "the database cannot be written; opened read-only: lookups answer, writes fail"
            );
            Self::open_read_only_any(path)
        };
        if path.is_file() && !writable(path) {
            return fall_back();
        }
        match Self::open(path) {
            Err(StoreError::Sqlite(e))
                if path.is_file()
                    && matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::CannotOpen)) =>
            {
                fall_back()
            }
            Err(e) if e.is_read_only() && path.is_file() => fall_back(),
            other => other,
        }
    }

    /// Whether this connection cannot write (opened read-only, or SQLite fell back to it).
    pub fn is_read_only(&self) -> bool {
        self.conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false)
    }

    /// Opens an existing database read-only on any disk: first the ordinary way (which
    /// needs the `-shm` file to exist or be creatable), then, only when that fails because
    /// nothing may be created or written there, as an immutable file, which a WAL database
    /// on a read-only file system needs.
    pub fn open_read_only_any(path: &Path) -> Result<Self, StoreError> {
        let ordinary = Self::open_read_only(path).and_then(|store| {
            store
                .conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                    r.get::<_, i64>(0)
                })?;
            Ok(store)
        });
        match ordinary {
            Err(StoreError::Sqlite(e))
                if matches!(
                    e.sqlite_error_code(),
                    Some(
                        rusqlite::ErrorCode::CannotOpen
                            | rusqlite::ErrorCode::ReadOnly
                            | rusqlite::ErrorCode::PermissionDenied
                    )
                ) =>
            {
                Self::open_immutable(path)
            }
            other => other,
        }
    }

    /// `immutable=1` skips locking and the WAL index; data still in a `-wal` file that was
    /// never checkpointed is not seen (docs/diagnostics.md).
    fn open_immutable(path: &Path) -> Result<Self, StoreError> {
        let key = super::crypt::DbKey::resolve(path, super::crypt::DbRole::Kiosk)?;
        let uri = format!("file:{}?immutable=1", uri_path(path));
        let conn = Connection::open_with_flags(
            uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        super::crypt::apply_key(&conn, &key, path)?;
        let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > super::migrations::SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found: version,
                supported: super::migrations::SCHEMA_VERSION,
            });
        }
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Self { conn })
    }
}

impl StoreError {
    /// The database or its file system refuses writes (SQLITE_READONLY, EROFS, EACCES).
    pub fn is_read_only(&self) -> bool {
        match self {
            StoreError::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::PermissionDenied)
            ),
            StoreError::Io { source, .. } => matches!(
                source.raw_os_error(),
                Some(e) if e == nix::libc::EROFS || e == nix::libc::EACCES
            ),
            _ => false,
        }
    }

    /// The disk is full, or refused a write (ENOSPC, EFBIG, EIO).
    pub fn is_disk_fault(&self) -> bool {
        match self {
            StoreError::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure)
            ),
            StoreError::Io { source, .. } => matches!(
                source.raw_os_error(),
                Some(e) if e == nix::libc::ENOSPC || e == nix::libc::EFBIG || e == nix::libc::EIO
            ),
            _ => false,
        }
    }
}

/// Whether this process may write the file and create files beside it (the `-wal` and
/// `-shm` files SQLite needs in WAL mode).
fn writable(path: &Path) -> bool {
    use nix::unistd::{AccessFlags, access};
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    access(path, AccessFlags::W_OK).is_ok() && access(dir, AccessFlags::W_OK).is_ok()
}

/// A path as the path part of an SQLite URI: `%`, `?` and `#` escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}
