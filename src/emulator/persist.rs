//! The state file. Every acknowledged change is on disk before the answer
//! leaves: the store is serialized under the lock together with a
//! generation number, then written to a temporary file in the same
//! directory, fsynced, renamed over the state file, and the directory is
//! fsynced so the rename itself survives a crash. Writers queue on one
//! mutex and skip snapshots older than what is already on disk, so
//! concurrent answers never roll the file back.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::store::Store;

const FORMAT: u32 = 1;

#[derive(Serialize)]
struct FileRef<'a> {
    format: u32,
    store: &'a Store,
}

#[derive(Deserialize)]
struct FileOwned {
    format: u32,
    store: Store,
}

/// Serializes `store` in the state-file format.
pub fn encode(store: &Store) -> Vec<u8> {
    serde_json::to_vec(&FileRef {
        format: FORMAT,
        store,
    })
    .expect("the store always serializes")
}

/// Reads a state file; `Ok(None)` when it does not exist.
///
/// # Errors
/// Unreadable file or wrong content, with the reason.
pub fn load(path: &Path) -> Result<Option<Store>, String> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let file: FileOwned =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a state file: {e}"))?;
    if file.format != FORMAT {
        return Err(format!(
            "state file format {} is not the supported {FORMAT}",
            file.format
        ));
    }
    Ok(Some(file.store))
}

/// Write, fsync, rename, fsync the directory.
///
/// # Errors
/// Any I/O failure on the way.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    File::open(&dir)?.sync_all()
}

/// Serialized, ordered writes of one state file.
pub struct Persister {
    path: PathBuf,
    written: tokio::sync::Mutex<u64>,
}

impl Persister {
    pub fn new(path: PathBuf) -> Self {
        Persister {
            path,
            written: tokio::sync::Mutex::new(0),
        }
    }

    /// Puts snapshot `generation` on disk unless a newer one is there.
    ///
    /// # Errors
    /// The I/O error; the caller must not acknowledge the change.
    pub async fn write(&self, generation: u64, bytes: Vec<u8>) -> io::Result<()> {
        let mut written = self.written.lock().await;
        if generation <= *written {
            return Ok(());
        }
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_atomic(&path, &bytes))
            .await
            .map_err(io::Error::other)??;
        *written = generation;
        Ok(())
    }
}
