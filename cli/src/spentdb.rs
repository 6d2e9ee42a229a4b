//! The hashcash double-spend database: a text file in the format of `hashcash -d`
//! (`hashcash.sdb`), so `grind check -d` and `hashcash -c -d` can share one file.
//!
//! ```text
//! last_purged 700101000000
//! 1:20:261121:foo@example.com::Ie+mrYK6kJUVb1S1:009uqH 2419200
//! ```
//!
//! Each line after the header is a spent stamp and its validity period in seconds. The
//! file is held under an exclusive lock while open, so concurrent `grind check -d` runs
//! cannot both accept the same stamp; a stamp is written (and synced) before it is
//! reported as accepted.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Default database file name (hashcash's).
pub const DEFAULT_FILE: &str = "hashcash.sdb";

/// A database error, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("double-spend database {path}: {source}")]
pub struct DbError {
    /// The file.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// An open, locked double-spend database.
#[derive(Debug)]
pub struct SpentDb {
    file: File,
    path: PathBuf,
    spent: HashSet<String>,
}

impl SpentDb {
    /// Opens (creating if needed) and locks the database at `path`. Blocks while another
    /// process holds the lock.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let err = |source| DbError {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(err)?;
        file.lock().map_err(err)?;
        let mut text = String::new();
        file.seek(SeekFrom::Start(0)).map_err(err)?;
        file.read_to_string(&mut text).map_err(err)?;
        if text.is_empty() {
            file.write_all(b"last_purged 700101000000\n").map_err(err)?;
        }
        let spent = text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|s| *s != "last_purged")
            .map(str::to_string)
            .collect();
        Ok(Self {
            file,
            path: path.to_path_buf(),
            spent,
        })
    }

    /// Whether `stamp` is recorded as spent.
    #[cfg(test)]
    pub fn is_spent(&self, stamp: &str) -> bool {
        self.spent.contains(stamp)
    }

    /// Records `stamp` as spent (with its validity period for later purging). Returns
    /// `false`, writing nothing, when it was already spent.
    pub fn spend(&mut self, stamp: &str, validity_secs: u64) -> Result<bool, DbError> {
        if self.spent.contains(stamp) {
            return Ok(false);
        }
        let err = |source| DbError {
            path: self.path.clone(),
            source,
        };
        writeln!(self.file, "{stamp} {validity_secs}").map_err(err)?;
        self.file.sync_data().map_err(err)?;
        self.spent.insert(stamp.to_string());
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_once_and_persists() {
        let dir = std::env::temp_dir().join(format!("grind-sdb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.sdb");
        let _ = std::fs::remove_file(&p);
        {
            let mut db = SpentDb::open(&p).unwrap();
            assert!(!db.is_spent("1:a"));
            assert!(db.spend("1:a", 100).unwrap());
            assert!(!db.spend("1:a", 100).unwrap());
        }
        let db = SpentDb::open(&p).unwrap();
        assert!(db.is_spent("1:a"));
        assert!(!db.is_spent("last_purged"));
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text, "last_purged 700101000000\n1:a 100\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
