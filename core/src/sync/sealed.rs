//! The sync download's temporary file, encrypted: what lands on disk is useless without this
//! process's memory.
//!
//! A [`SealedFile`] holds a random ChaCha20 key and nonce for one download, in memory only.
//! [`SealedFile::create`] gives the writer the HTTP client streams into (mode 0600);
//! [`SealedFile::open`] gives a reader of the clear bytes, as many times as needed (verify,
//! then apply). Dropping the `SealedFile` deletes the file, on success and failure alike.
//! Integrity is not this module's job: the payload carries its own hash and signature.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use tokio::io::AsyncWrite;

use crate::private;

/// One encrypted temporary file and the key that reads it. Deleted when dropped.
pub struct SealedFile {
    path: PathBuf,
    key: [u8; 32],
    nonce: [u8; 12],
}

impl SealedFile {
    /// A new sealed file at `path` with a fresh key. A file left there by an earlier process
    /// (whose key died with it) is removed now.
    pub fn new(path: &Path) -> Self {
        remove_stale(path);
        Self {
            path: path.to_owned(),
            key: rand::random(),
            nonce: rand::random(),
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates (truncating) the file, mode 0600, and returns the encrypting writer.
    pub async fn create(&self) -> io::Result<SealedWriter> {
        let file = private::create(&self.path)?;
        Ok(SealedWriter {
            file: tokio::fs::File::from_std(file),
            cipher: self.cipher(),
            pending: Vec::new(),
            written: 0,
        })
    }

    /// Opens the file for reading its clear content from the start.
    pub fn open(&self) -> io::Result<SealedReader> {
        Ok(SealedReader {
            file: std::fs::File::open(&self.path)?,
            cipher: self.cipher(),
        })
    }

    fn cipher(&self) -> ChaCha20 {
        ChaCha20::new(&self.key.into(), &self.nonce.into())
    }
}

impl Drop for SealedFile {
    fn drop(&mut self) {
        remove_stale(&self.path);
        self.key = [0; 32];
        self.nonce = [0; 12];
    }
}

/// Removes a sealed file left by a process that died before deleting it; it cannot be read.
pub fn remove_stale(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => tracing::debug!(file = %path.display(), "removed a sync download file"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot remove a sync download file")
        }
    }
}

/// Encrypts what is written to it: a `tokio::io::AsyncWrite`, so it stands in for the
/// `tokio::fs::File` it replaces (`write_all`, `flush` through `AsyncWriteExt`).
pub struct SealedWriter {
    file: tokio::fs::File,
    cipher: ChaCha20,
    /// Encrypted bytes accepted but not yet handed to the file.
    pending: Vec<u8>,
    written: usize,
}

impl SealedWriter {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.file).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for SealedWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        // Each byte goes through the keystream exactly once: all of `data` is taken now.
        this.pending.extend_from_slice(data);
        this.cipher.apply_keystream(&mut this.pending);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.file).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.file).poll_shutdown(cx)
    }
}

/// Decrypts the file as it is read.
pub struct SealedReader {
    file: std::fs::File,
    cipher: ChaCha20,
}

impl Read for SealedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(out)?;
        self.cipher.apply_keystream(&mut out[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    #[tokio::test]
    async fn what_lands_on_disk_is_not_the_clear_bytes_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.db.sync-download");
        let clear = b"[\"u\",\"members\",[\"3273011205800001\",\"SITI AMINAH\"]]\n".repeat(100);
        let sealed = SealedFile::new(&path);
        let mut w = sealed.create().await.unwrap();
        for chunk in clear.chunks(37) {
            w.write_all(chunk).await.unwrap();
        }
        w.flush().await.unwrap();
        drop(w);
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(on_disk.len(), clear.len());
        assert!(!on_disk.windows(16).any(|w| w == b"3273011205800001"));
        for _ in 0..2 {
            let mut back = Vec::new();
            sealed.open().unwrap().read_to_end(&mut back).unwrap();
            assert_eq!(back, clear);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        drop(sealed);
        assert!(!path.exists(), "dropped means deleted");
    }

    #[test]
    fn a_stale_file_is_removed_when_a_new_one_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d");
        std::fs::write(&path, b"left by a dead process").unwrap();
        let sealed = SealedFile::new(&path);
        assert!(!path.exists());
        assert!(sealed.open().is_err());
    }
}
