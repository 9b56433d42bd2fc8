//! Files only the kiosk's (or hub's) own user may read: mode 0600 whatever the umask.
//!
//! Owns how such files are created and how existing ones are narrowed. It does not decide
//! which files are private: every file holding member data or a key is (docs/security.md).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Owner read and write, nothing for group or others.
pub const PRIVATE_MODE: u32 = 0o600;

/// Creates (or truncates) `path` with mode 0600. An existing file is narrowed to 0600 too:
/// `OpenOptions::mode` only applies when the file is new.
pub fn create(path: &Path) -> io::Result<File> {
    let file = options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    narrow_file(&file)?;
    Ok(file)
}

/// Creates `path` with mode 0600 only if it does not exist yet (fails if it does).
pub fn create_new(path: &Path) -> io::Result<File> {
    options().write(true).create_new(true).open(path)
}

/// Writes `bytes` to `path` (mode 0600) and syncs it to disk.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Makes sure `path` exists with mode 0600 without touching its content, so that SQLite,
/// which gives its -wal and -shm files the database's own mode, makes those 0600 as well.
pub fn touch(path: &Path) -> io::Result<()> {
    let f = options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    narrow_file(&f)
}

/// Narrows an existing file to 0600; a file that is not there is fine.
pub fn narrow(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) => set_mode(path, &meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Syncs a directory, so that a rename or a new file in it survives a power cut.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)?.sync_all()
}

#[cfg(unix)]
fn options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut o = OpenOptions::new();
    o.mode(PRIVATE_MODE);
    o
}

#[cfg(not(unix))]
fn options() -> OpenOptions {
    OpenOptions::new()
}

#[cfg(unix)]
fn narrow_file(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = file.metadata()?;
    if meta.permissions().mode() & 0o777 != PRIVATE_MODE {
        file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_MODE))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn narrow_file(_file: &File) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, meta: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    if meta.permissions().mode() & 0o777 != PRIVATE_MODE {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(PRIVATE_MODE))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _meta: &std::fs::Metadata) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn existing_wide_files_are_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"x").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        touch(&p).unwrap();
        assert_eq!(mode(&p), 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"x", "touch keeps the content");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
        write(&p, b"y").unwrap();
        assert_eq!(mode(&p), 0o600);
        narrow(&dir.path().join("absent")).unwrap();
    }
}
