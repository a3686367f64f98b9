//! Interruption: Ctrl-C and SIGTERM during a command that makes scratch
//! folders (calibrate, validate). Each scratch folder removes itself when
//! dropped, when the process is interrupted, and, for a process killed
//! outright, at the next command that makes one; a run killed by the same
//! signal is the interrupt's doing, not an error of its own.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// A scratch folder that removes itself: when dropped, when the process
/// is interrupted (Ctrl-C, SIGTERM), and, for a process killed outright,
/// at the next `validate` or `calibrate`.
pub(crate) struct Scratch(pub(crate) PathBuf);

/// The scratch folders alive in this process, for the interrupt handler.
static SCRATCH: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Set the moment an interrupt arrives, before the scratch is removed: a
/// run that fails because its folder went, or because its process got the
/// same Ctrl-C, is the interrupt's doing, not an error of its own.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process was interrupted while it held scratch folders.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// If an interrupt is being handled, waits for its handler to finish
/// removing the scratch and exit 130, so that the failure the interrupt
/// caused is not reported (and exited 1) first.
pub fn yield_to_interrupt() {
    if interrupted() {
        loop {
            std::thread::park();
        }
    }
}

/// Removes the scratch folders, and exits as an interrupted process does
/// (130). Installed once; `ctrlc` runs it on a thread of its own, where
/// removing files is safe, and the runs it started got the same signal.
fn remove_scratch_on_interrupt() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
            let folders = SCRATCH.lock().map(|f| f.clone()).unwrap_or_default();
            for folder in &folders {
                // A run that was writing into it may take a moment to die.
                for _ in 0..20 {
                    if std::fs::remove_dir_all(folder).is_ok() || !folder.exists() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
            eprintln!("interrupted: removed {} scratch folder(s)", folders.len());
            std::process::exit(130);
        });
    });
}

/// The purposes a scratch folder is made for.
const SCRATCH_PURPOSES: [&str; 2] = ["calibrate", "validate"];

/// Removes scratch folders left by processes that no longer run (killed
/// outright, where no handler runs).
fn remove_stale_scratch() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = SCRATCH_PURPOSES
            .iter()
            .find_map(|purpose| name.strip_prefix(&format!("pipecalc-{purpose}-")))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() as i32 && !crate::reference::storage::process_alive(pid as u32)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl Scratch {
    pub(crate) fn new(purpose: &str) -> Result<Self> {
        debug_assert!(SCRATCH_PURPOSES.contains(&purpose));
        remove_scratch_on_interrupt();
        remove_stale_scratch();
        let dir = std::env::temp_dir().join(format!(
            "pipecalc-{purpose}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        if let Ok(mut folders) = SCRATCH.lock() {
            folders.push(dir.clone());
        }
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        if let Ok(mut folders) = SCRATCH.lock() {
            folders.retain(|f| f != &self.0);
        }
    }
}

/// A run killed by a signal may have had the Ctrl-C this process is about
/// to handle: give the handler a moment to take over before the run's
/// death is reported as an error.
pub(crate) fn killed_by_the_same_interrupt(status: &std::process::ExitStatus) {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if status.signal().is_some() {
            for _ in 0..40 {
                yield_to_interrupt();
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = status;
}
