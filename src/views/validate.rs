//! The `validate` report: the calibration, each figure predicted beside
//! measured with its error and verdict, the fitted scaling laws, and where
//! the linear rule misses.

use schemars::JsonSchema;
use serde::Serialize;

use crate::contract::Versions;
use crate::units::{grouped, human_bytes, human_count, human_duration, significant};
use crate::validate::{Figure, FigureKind, StageFit, Tolerances, Validation};

use crate::report::{Document, Section};

fn amount(kind: FigureKind, value: f64) -> String {
    match kind {
        FigureKind::Time => human_duration(value),
        FigureKind::RowsIn | FigureKind::RowsOut => grouped(value.round() as u64),
        FigureKind::BytesIn | FigureKind::BytesOut | FigureKind::PeakMemory => human_bytes(value),
    }
}

fn label(figure: &Figure) -> &'static str {
    figure.name.label()
}

fn signed_percent(value: f64) -> String {
    let text = format!("{}%", significant(value, 3));
    if value > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

/// Your scenario's time for each stage at the target volume, beside this
/// machine's calibrated prediction.
pub struct AgainstScenario {
    pub name: String,
    pub stage_times: Vec<(String, f64)>,
}

pub fn document(validation: &Validation, scenario: Option<&AgainstScenario>) -> Document {
    let options = &validation.options;
    let tolerances = options.tolerances;
    let calibration = &validation.calibration;
    let mut calibrated = Section::new(
        "Calibration (the sample, 1 worker)",
        &[
            "Stage",
            "Rows in",
            "Rows out",
            "Bytes in",
            "Bytes out",
            "Time",
            "Peak memory",
        ],
    );
    for stage in &calibration.report.stages {
        calibrated.row([
            stage.name.clone(),
            human_count(stage.rows_in as f64),
            human_count(stage.rows_out as f64),
            human_bytes(stage.bytes_in as f64),
            human_bytes(stage.bytes_out as f64),
            human_duration(stage.wall_s),
            stage
                .peak_memory_bytes
                .map_or_else(|| "not measured".into(), |b| human_bytes(b as f64)),
        ]);
    }
    calibrated.note(format!(
        "median of {} run(s) on {} events; keys saturate at the catalogue's {} products (the sample alone estimates at least {} by Chao1)",
        options.repeat,
        options.sample,
        calibration.catalogue,
        calibration.chao1.round()
    ));

    let mut figures = Section::new(
        "Predicted and measured",
        &[
            "Figure",
            "Stage",
            "Workers",
            "Predicted",
            "Measured",
            "Error",
            "Verdict",
        ],
    );
    for figure in &validation.figures {
        figures.row([
            label(figure).to_string(),
            figure.stage.clone(),
            figure.workers.to_string(),
            amount(figure.name, figure.predicted),
            amount(figure.name, figure.measured),
            signed_percent(figure.error_pct),
            if figure.within_tolerance { "ok" } else { "OFF" }.to_string(),
        ]);
    }
    let within = validation
        .figures
        .iter()
        .filter(|f| f.within_tolerance)
        .count();
    figures.note(format!(
        "{within} of {} figures within tolerance (rows ±{}%, bytes ±{}%, time ±{}%, memory ±{}%)",
        validation.figures.len(),
        significant(tolerances.rows * 100.0, 3),
        significant(tolerances.bytes * 100.0, 3),
        significant(tolerances.time * 100.0, 3),
        significant(tolerances.memory * 100.0, 3),
    ));
    figures.note(format!(
        "predicted by the models from the calibrated scenario scaled {}× ({} → {} events), before the target ran; measured: median of {} run(s)",
        significant(options.target as f64 / options.sample as f64, 4),
        options.sample,
        options.target,
        options.repeat
    ));

    let mut misses = Section::new("Where the model misses", &[]);
    for figure in validation.figures.iter().filter(|f| f.cause.is_some()) {
        misses.note(format!(
            "{} of {} with {} worker(s), {}: {}",
            label(figure),
            figure.stage,
            figure.workers,
            signed_percent(figure.error_pct),
            figure.cause.as_deref().unwrap_or("")
        ));
    }
    if misses.notes.is_empty() {
        misses.note("nowhere: every figure is within tolerance");
    }

    // Each figure's error against its tolerance: inside the band or not.
    figures.charts.push(crate::report::chart::Chart::Columns {
        title: "Error of each prediction, % (tolerance: rows and bytes ±2%, time ±25%, memory ±50% by default)".into(),
        axis: crate::report::chart::Axis::Plain,
        columns: validation
            .figures
            .iter()
            .map(|f| {
                (
                    format!("{} {} ×{}", label(f), f.stage, f.workers),
                    f.error_pct.abs(),
                )
            })
            .collect(),
    });
    let mut sections = vec![calibrated, figures, misses];
    if !validation.fits.is_empty() {
        let mut fit = Section::new(
            "Speed-ups and fitted laws",
            &[
                "Stage",
                "Workers",
                "Measured",
                "Speed-up",
                "Amdahl s",
                "Amdahl predicts",
                "USL σ, κ",
                "USL predicts",
            ],
        );
        for stage in &validation.fits {
            for (index, n) in stage.workers.iter().enumerate() {
                let first = index == 0;
                fit.row([
                    if first {
                        stage.stage.clone()
                    } else {
                        String::new()
                    },
                    n.to_string(),
                    human_duration(stage.measured_s[index]),
                    format!("{}×", significant(stage.speedup[index], 3)),
                    match (first, stage.amdahl_serial_fraction) {
                        (true, Some(s)) => significant(s, 3),
                        _ => String::new(),
                    },
                    stage
                        .amdahl_predicted_s
                        .get(index)
                        .map_or_else(String::new, |t| human_duration(*t)),
                    match (first, stage.usl_contention, stage.usl_coherency) {
                        (true, Some(s), Some(k)) => {
                            format!("{}, {}", significant(s, 3), significant(k, 3))
                        }
                        (true, _, _) => "needs 3 counts".into(),
                        _ => String::new(),
                    },
                    stage
                        .usl_predicted_s
                        .get(index)
                        .map_or_else(String::new, |t| human_duration(*t)),
                ]);
            }
        }
        fit.note("the lecture's rule says speed-up = N; the fitted laws show what this machine does instead (put them in a scenario as `parallel:`)");
        let series = validation
            .fits
            .iter()
            .map(|stage| crate::report::chart::Series {
                name: stage.stage.clone(),
                points: stage
                    .workers
                    .iter()
                    .zip(&stage.speedup)
                    .map(|(n, s)| (*n as f64, *s))
                    .collect(),
                dashed: false,
            })
            .chain(std::iter::once(crate::report::chart::Series {
                name: "the lecture's rule: N".into(),
                points: validation.fits[0]
                    .workers
                    .iter()
                    .map(|n| (*n as f64, *n as f64))
                    .collect(),
                dashed: true,
            }))
            .collect();
        fit.charts.push(crate::report::chart::Chart::Lines {
            title: "Measured speed-up against workers".into(),
            x: crate::report::chart::Axis::Plain,
            y: crate::report::chart::Axis::Plain,
            x_title: "workers".into(),
            y_title: "speed-up (×)".into(),
            series,
            x_mark: None,
            y_mark: None,
        });
        sections.push(fit);
    }
    if let Some(against) = scenario {
        let mut versus = Section::new(
            format!("Your scenario `{}` against this machine", against.name),
            &[
                "Stage",
                "Scenario at the target volume",
                "Calibrated prediction (1 worker)",
            ],
        );
        let first = validation.options.workers.first().copied().unwrap_or(1);
        for (stage, assumed) in &against.stage_times {
            let predicted = validation
                .figures
                .iter()
                .find(|f| f.name == FigureKind::Time && &f.stage == stage && f.workers == first)
                .map_or(0.0, |f| f.predicted);
            versus.row([
                stage.clone(),
                human_duration(*assumed),
                human_duration(predicted),
            ]);
        }
        sections.push(versus);
    }
    Document {
        title: format!(
            "pipecalc validate: {} events predicted from {}",
            options.target, options.sample
        ),
        intro: Vec::new(),
        sections,
        conventions: Vec::new(),
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FitRecord {
    /// Distinct product ids in the generator's catalogue.
    pub catalogue_keys: u64,
    /// Chao1's estimate of the distinct keys, from the sample.
    pub chao1_keys: f64,
    pub stages: Vec<StageFit>,
}

/// `pipecalc validate --format json`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ValidateDocument {
    #[serde(flatten)]
    pub versions: Versions,
    pub sample_events: u64,
    pub target_events: u64,
    pub workers: Vec<usize>,
    pub repeat: usize,
    pub tolerances: Tolerances,
    pub all_within_tolerance: bool,
    pub figures: Vec<Figure>,
    pub fit: FitRecord,
    /// The scenario calibrated on the sample, as YAML.
    pub calibrated_scenario: String,
}

pub fn json(validation: &Validation) -> ValidateDocument {
    let options = &validation.options;
    ValidateDocument {
        versions: Versions::default(),
        sample_events: options.sample,
        target_events: options.target,
        workers: options.workers.clone(),
        repeat: options.repeat,
        tolerances: options.tolerances,
        all_within_tolerance: validation.all_within_tolerance(),
        figures: validation.figures.clone(),
        fit: FitRecord {
            catalogue_keys: validation.calibration.catalogue,
            chao1_keys: crate::units::clean(validation.calibration.chao1),
            stages: validation.fits.clone(),
        },
        calibrated_scenario: validation.calibration.yaml.clone(),
    }
}
