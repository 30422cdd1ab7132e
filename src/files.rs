//! Whole-file reads and writes whose errors name the file: one error type for the modules that read a text file,
//! check it or write one (routines, report pages, session files and history).

use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum FileError {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    /// The file was read but its content is not what it should be.
    #[error("{path}: {msg}")]
    Invalid { path: PathBuf, msg: String },
}

impl FileError {
    pub fn read(path: &Path, source: std::io::Error) -> Self {
        FileError::Read { path: path.into(), source }
    }

    pub fn write(path: &Path, source: std::io::Error) -> Self {
        FileError::Write { path: path.into(), source }
    }

    pub fn invalid(path: &Path, msg: impl Into<String>) -> Self {
        FileError::Invalid { path: path.into(), msg: msg.into() }
    }
}

/// The whole of a text file.
pub fn read_file(path: &Path) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|source| FileError::read(path, source))
}

/// Writes `contents` as the whole of `path`.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), FileError> {
    std::fs::write(path, contents).map_err(|source| FileError::write(path, source))
}
