//! Output files written under temporary names in their final folder and renamed into place only when every one of
//! them is complete. A failed, interrupted (SIGINT/SIGTERM) or panicking run removes its partial files, so an output
//! folder never holds a half-written video or report under a final name, or a mix of two runs.

use std::path::{Path, PathBuf};

use thiserror::Error;

#[derive(Debug, Error)]
pub enum OutputError {
    // (the I/O error is part of the message, not a `source`, so that it is not printed twice)
    #[error("{path}: cannot write in the output folder: {}", describe_io(io))]
    NotWritable { path: PathBuf, io: std::io::Error },
    #[error("{path}: cannot finish writing: {}", describe_io(io))]
    Finish { path: PathBuf, io: std::io::Error },
    #[error("{path}: no space left on the device (the output was removed)")]
    NoSpace { path: PathBuf },
}

/// The OS message plus what to do about the common causes.
pub fn describe_io(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => format!("{e}: free some space or choose another --out folder"),
        Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EROFS) => {
            format!("{e}: choose a folder you can write to with --out")
        }
        _ => e.to_string(),
    }
}

/// Free bytes for an unprivileged user on the file system holding `path`, if the OS says.
pub fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a valid out-pointer.
    (unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0).then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

/// Below this many free bytes a writer that failed without an OS error is taken to have run out of space (one
/// compressed 640x480 frame is 5-50 kB).
pub const LOW_SPACE_BYTES: u64 = 256 * 1024;

/// A set of outputs being written. Dropped without [`StagedOutputs::commit`], it removes what it staged.
#[derive(Debug, Default)]
pub struct StagedOutputs {
    /// (temporary path, final path)
    files: Vec<(PathBuf, PathBuf)>,
}

impl StagedOutputs {
    /// Checks that `dir` takes new files (a read-only or full folder is reported before any work).
    pub fn check_dir(dir: &Path) -> Result<(), OutputError> {
        let probe = dir.join(format!(".rollcoach-probe-{}", std::process::id()));
        let res = std::fs::write(&probe, b"probe");
        let _ = std::fs::remove_file(&probe);
        res.map_err(|io| OutputError::NotWritable { path: dir.into(), io })
    }

    /// Registers `final_path` and returns the temporary path to write it under: `.NAME.partial-PID.EXT` in the same
    /// folder (same file system, so the rename is atomic; the extension kept, since encoders choose by it).
    pub fn stage(&mut self, final_path: &Path) -> PathBuf {
        let dir = final_path.parent().unwrap_or(Path::new("."));
        let stem = final_path.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
        let ext = final_path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
        let tmp = dir.join(format!(".{stem}.partial-{}{ext}", std::process::id()));
        self.files.push((tmp.clone(), final_path.into()));
        tmp
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Flushes every staged file to disk, then renames them all into place.
    pub fn commit(mut self) -> Result<(), OutputError> {
        for (tmp, _) in &self.files {
            let synced = std::fs::File::open(tmp).and_then(|f| f.sync_all());
            synced.map_err(|source| finish_error(tmp, source))?;
        }
        for (tmp, fin) in std::mem::take(&mut self.files) {
            std::fs::rename(&tmp, &fin).map_err(|source| finish_error(&fin, source))?;
        }
        Ok(())
    }
}

fn finish_error(path: &Path, io: std::io::Error) -> OutputError {
    match io.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => OutputError::NoSpace { path: path.into() },
        _ => OutputError::Finish { path: path.into(), io },
    }
}

impl Drop for StagedOutputs {
    fn drop(&mut self) {
        for (tmp, _) in &self.files {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_outputs_are_removed_and_committed_ones_renamed() {
        let dir = tempfile::tempdir().unwrap();
        let fin = dir.path().join("a.report.json");
        let mut s = StagedOutputs::default();
        let tmp = s.stage(&fin);
        assert_eq!(tmp.extension().unwrap(), "json");
        std::fs::write(&tmp, b"{}").unwrap();
        drop(s);
        assert!(!tmp.exists() && !fin.exists());
        let mut s = StagedOutputs::default();
        let tmp = s.stage(&fin);
        std::fs::write(&tmp, b"{}").unwrap();
        s.commit().unwrap();
        assert!(!tmp.exists() && fin.exists());
    }
}
