//! Finding the ONNX Runtime shared library and the model files, and checking the models' checksums.
//!
//! Search order for the runtime library: `$ORT_DYLIB_PATH`, `runtime/libonnxruntime.so` next to the executable or in
//! the repository (or current directory), then `/opt/onnxruntime-*/libonnxruntime.so*`. Models: `--models DIR`,
//! `$ROLLCOACH_MODELS`, `models/` next to the executable, in the repository, or in the current directory.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use thiserror::Error;

/// The command that installs everything (runtime library included) from a checkout.
pub const SETUP_HINT: &str = "run `bash scripts/setup.sh` as root from the rollcoach checkout (or set ORT_DYLIB_PATH to libonnxruntime.so >= 1.31)";

/// Name of the file that lists model checksums (sha256sum format).
pub const CHECKSUMS_FILE: &str = "SHA256SUMS";

#[derive(Debug, Error)]
pub enum RuntimeError {
    #[error("ONNX Runtime library not found (looked at: {looked}); {SETUP_HINT}")]
    OrtNotFound { looked: String },
    #[error("ONNX Runtime library {path} could not be loaded: {msg}; {SETUP_HINT}")]
    OrtLoad { path: PathBuf, msg: String },
    #[error("models folder not found (looked at: {looked}); pass --models DIR or set ROLLCOACH_MODELS, or restore it with `git checkout -- models`")]
    ModelsNotFound { looked: String },
    #[error("{path}: model file missing; restore it with `git checkout -- models` in the rollcoach checkout")]
    ModelMissing { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: checksum mismatch (sha256 {actual}, expected {expected}): the file is corrupt or not the model rollcoach ships; restore it with `git checkout -- models`")]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: no checksum listed for {name} in {CHECKSUMS_FILE}")]
    NoChecksum { path: PathBuf, name: String },
}

fn exe_dir() -> Option<PathBuf> {
    std::env::current_exe()
        .ok()?
        .parent()
        .map(Path::to_path_buf)
}

/// Candidate roots: the executable's folder and its ancestors (covers target/{debug,release}/ inside a checkout),
/// then the build-time repository and the current directory.
fn roots() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(d) = exe_dir() {
        v.extend(d.ancestors().take(4).map(Path::to_path_buf));
    }
    v.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    if let Ok(cwd) = std::env::current_dir() {
        v.push(cwd);
    }
    v.dedup();
    v
}

/// ONNX Runtime intra-op threads per model when `--threads` is not given: [`DEFAULT_THREADS`], or fewer on a
/// machine with fewer cores.
pub fn default_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(DEFAULT_THREADS)
}

/// Two intra-op threads per model. Measured on the 2-core machine (issue 13; 3 interleaved pairs of `live --unpaced
/// --repeat 2` over the sample clip, whole process): at load average 10-12 one thread took x1.72 the wall time of two
/// (median; x1.00-1.97) for the same CPU time (x0.99); at load average 4.4-4.6 one thread took x0.96 the wall time
/// (x0.91-1.02) and x0.97 the CPU time. ONNX Runtime does not spin (`with_intra_op_spinning(false)`), so the second
/// thread costs little, and on a busy machine two runnable threads get more of the CPU. (The hypothesis of one
/// thread on few cores was not borne out on the loaded machine the live loop has to survive.)
pub const DEFAULT_THREADS: usize = 2;

/// `--threads` if given, else [`default_threads`].
pub fn threads_or_default(threads: Option<u16>) -> usize {
    threads.map_or_else(default_threads, usize::from)
}

/// Locates libonnxruntime.
pub fn find_ort_library() -> Result<PathBuf, RuntimeError> {
    let mut looked = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        let p = PathBuf::from(p);
        // an explicit override that points nowhere is a mistake to report, not to route around
        if p.is_file() {
            return Ok(p);
        }
        return Err(RuntimeError::OrtNotFound { looked: format!("ORT_DYLIB_PATH={} (no such file)", p.display()) });
    }
    for r in roots() {
        let p = r.join("runtime").join("libonnxruntime.so");
        if p.is_file() {
            return Ok(p);
        }
        looked.push(p.display().to_string());
    }
    if let Ok(rd) = std::fs::read_dir("/opt") {
        let mut dirs: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("onnxruntime-"))
            })
            .collect();
        dirs.sort();
        for d in dirs.iter().rev() {
            let p = d.join("libonnxruntime.so");
            if p.is_file() {
                return Ok(p);
            }
        }
        looked.push("/opt/onnxruntime-*/libonnxruntime.so".into());
    }
    Err(RuntimeError::OrtNotFound {
        looked: looked.join(", "),
    })
}

/// Checks that `path` is a whole 64-bit little-endian ELF shared object before it is loaded: `dlopen` maps the file,
/// and touching a page past the end of a truncated file kills the process with SIGBUS, with no message. Every part
/// the loader maps (program segments) and the section table must lie inside the file.
pub fn check_shared_library(path: &Path) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    let mut eh = [0u8; 64];
    f.read_exact(&mut eh).map_err(|_| format!("file is {len} bytes, too short to be a shared library"))?;
    if &eh[..4] != b"\x7fELF" {
        return Err("not an ELF shared library (bad magic number)".into());
    }
    if eh[4] != 2 || eh[5] != 1 {
        return Err("not a 64-bit little-endian ELF library".into());
    }
    let u16_at = |b: &[u8], o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as u64;
    let u64_at = |b: &[u8], o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    let (phoff, shoff) = (u64_at(&eh, 32), u64_at(&eh, 40));
    let (phentsize, phnum, shentsize, shnum) = (u16_at(&eh, 54), u16_at(&eh, 56), u16_at(&eh, 58), u16_at(&eh, 60));
    let truncated = |what: &str, end: u64| format!("truncated: {what} ends at byte {end} but the file has {len}");
    let ph_end = phoff.saturating_add(phentsize * phnum);
    if ph_end > len || phentsize < 56 {
        return Err(truncated("the program header table", ph_end));
    }
    let sh_end = shoff.saturating_add(shentsize * shnum);
    if sh_end > len {
        return Err(truncated("the section header table", sh_end));
    }
    let mut ph = vec![0u8; (phentsize * phnum) as usize];
    f.seek(SeekFrom::Start(phoff)).and_then(|_| f.read_exact(&mut ph)).map_err(|e| e.to_string())?;
    for seg in ph.chunks_exact(phentsize as usize) {
        let end = u64_at(seg, 8).saturating_add(u64_at(seg, 32)); // p_offset + p_filesz
        if end > len {
            return Err(truncated("a loadable segment", end));
        }
    }
    Ok(())
}

static ORT_ENV: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

/// Loads ONNX Runtime once per process and returns its environment.
pub fn ort_environment() -> Result<&'static ort::environment::Environment, RuntimeError> {
    let path = find_ort_library()?;
    let res = ORT_ENV.get_or_init(|| {
        check_shared_library(&path)?;
        let b = ort::init_from(&path).map_err(|e| e.to_string())?;
        b.with_name("rollcoach").build().map_err(|e| e.to_string())
    });
    res.as_ref().map_err(|msg| RuntimeError::OrtLoad {
        path,
        msg: msg.clone(),
    })
}

/// Locates the models folder (a folder holding `SHA256SUMS`).
pub fn find_models_dir(explicit: Option<&Path>) -> Result<PathBuf, RuntimeError> {
    let mut looked = Vec::new();
    let mut cands: Vec<PathBuf> = Vec::new();
    if let Some(p) = explicit {
        cands.push(p.to_path_buf());
    } else {
        if let Some(p) = std::env::var_os("ROLLCOACH_MODELS") {
            cands.push(PathBuf::from(p));
        }
        cands.extend(roots().into_iter().map(|r| r.join("models")));
    }
    for c in cands {
        if c.join(CHECKSUMS_FILE).is_file() {
            return Ok(c);
        }
        looked.push(c.display().to_string());
    }
    Err(RuntimeError::ModelsNotFound {
        looked: looked.join(", "),
    })
}

/// Returns `dir/name` after checking its SHA-256 against `dir/SHA256SUMS`.
pub fn verified_model(dir: &Path, name: &str) -> Result<PathBuf, RuntimeError> {
    let path = dir.join(name);
    if !path.is_file() {
        return Err(RuntimeError::ModelMissing { path });
    }
    let sums_path = dir.join(CHECKSUMS_FILE);
    let sums = std::fs::read_to_string(&sums_path).map_err(|source| RuntimeError::Read {
        path: sums_path.clone(),
        source,
    })?;
    let expected = sums
        .lines()
        .filter_map(|l| l.split_once(char::is_whitespace))
        .find(|(_, n)| n.trim().trim_start_matches('*') == name)
        .map(|(h, _)| h.to_ascii_lowercase())
        .ok_or_else(|| RuntimeError::NoChecksum {
            path: sums_path.clone(),
            name: name.into(),
        })?;
    let actual = sha256_file(&path)?;
    if actual != expected {
        return Err(RuntimeError::Checksum {
            path,
            expected,
            actual,
        });
    }
    Ok(path)
}

fn sha256_file(path: &Path) -> Result<String, RuntimeError> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|source| RuntimeError::Read {
        path: path.into(),
        source,
    })?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|source| RuntimeError::Read {
            path: path.into(),
            source,
        })?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_or_foreign_libraries_are_refused_before_loading() {
        let lib = find_ort_library().expect("bash scripts/setup.sh installs the runtime library");
        let bytes = std::fs::read(&lib).unwrap();
        assert_eq!(check_shared_library(&lib), Ok(()));
        let dir = tempfile::tempdir().unwrap();
        let cut = dir.path().join("libonnxruntime.so");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let e = check_shared_library(&cut).unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        std::fs::write(&cut, b"not a library at all, just some text, long enough for a header check ....").unwrap();
        assert!(check_shared_library(&cut).unwrap_err().contains("ELF"));
    }

    #[test]
    fn checksum_mismatch_names_file() {
        let dir = std::env::temp_dir().join(format!("rc-models-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.onnx"), b"hello").unwrap();
        // sha256("hello")
        let good = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        std::fs::write(dir.join(CHECKSUMS_FILE), format!("{good}  m.onnx\n")).unwrap();
        assert_eq!(verified_model(&dir, "m.onnx").unwrap(), dir.join("m.onnx"));
        std::fs::write(dir.join("m.onnx"), b"hellO").unwrap();
        let e = verified_model(&dir, "m.onnx").unwrap_err().to_string();
        assert!(
            e.contains("m.onnx") && e.contains("checksum mismatch"),
            "{e}"
        );
        let e = verified_model(&dir, "other.onnx").unwrap_err().to_string();
        assert!(e.contains("other.onnx") && e.contains("missing"), "{e}");
    }
}
