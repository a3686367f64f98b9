//! What a machine and a cluster of today do, so an input far beyond it is
//! named (a warning, an error with `--deny-warnings`): most often a whole
//! cluster's figure written as one worker's, or a unit slipped.

/// Bytes a second one worker reads: about a fast NVMe disk, or a 25 Gbps NIC.
pub const BYTES_PER_S: f64 = 2e9;
/// Small events a second one worker parses.
pub const EVENTS_PER_S: f64 = 10e6;
/// Memory one machine has: 2 TB is large (the largest cloud machines have 24 TB).
pub const MEMORY_BYTES: f64 = 2e12;
/// The fastest network link sold today: 800 Gbps.
pub const LINK_BYTES_PER_S: f64 = 100e9;
/// Workers past which a linear speed-up is not something anyone measured.
pub const LINEAR_WORKERS: f64 = 1000.0;

/// The warning for `workers` workers all at the lecture's linear speed-up.
pub fn linear_workers(workers: f64) -> Option<String> {
    (workers > LINEAR_WORKERS).then(|| {
        format!(
            "{} workers at 100% efficiency: no cluster that large speeds up linearly; give the stages a `parallel:` law (`pipecalc validate` fits one from measured runs)",
            crate::units::significant(workers, 6)
        )
    })
}
