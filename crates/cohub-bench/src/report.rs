//! One run's figures, printed as one JSON line for `bench/compare.sh` to collect.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::time::Duration;

/// Latencies of one run, in microseconds, and what went wrong.
pub struct Recorder {
    latencies: Histogram<u64>,
    /// Requests (or batches) that failed.
    pub errors: u64,
    /// The first failure's text, to show what went wrong.
    pub first_error: Option<String>,
}

impl Recorder {
    /// An empty recorder (latencies from 1 µs to 60 s, 3 significant figures).
    pub fn new() -> Recorder {
        Recorder {
            latencies: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
            errors: 0,
            first_error: None,
        }
    }

    /// Records one success that took `took`.
    pub fn ok(&mut self, took: Duration) {
        let micros = (took.as_micros() as u64).clamp(1, 60_000_000);
        self.latencies.record(micros).expect("clamped into bounds");
    }

    /// Records one failure and keeps the first one's text.
    pub fn fail(&mut self, what: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(what());
        }
    }

    /// Adds another recorder's samples and failures to this one.
    pub fn merge(&mut self, other: Recorder) {
        self.latencies.add(&other.latencies).expect("same bounds");
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    /// The figures of a run of `seconds` in which each success stood for `per_success` units
    /// (events for a raw batch, 1 for a request).
    pub fn figures(&self, connections: usize, seconds: f64, per_success: u64) -> Figures {
        let ok = self.latencies.len();
        Figures {
            connections,
            seconds,
            ok: ok * per_success,
            errors: self.errors,
            per_second: (ok * per_success) as f64 / seconds,
            p50_ms: self.latencies.value_at_quantile(0.50) as f64 / 1000.0,
            p99_ms: self.latencies.value_at_quantile(0.99) as f64 / 1000.0,
            p999_ms: self.latencies.value_at_quantile(0.999) as f64 / 1000.0,
            max_ms: self.latencies.max() as f64 / 1000.0,
            first_error: self.first_error.clone(),
        }
    }
}

/// What one run measured.
#[derive(Debug, Serialize)]
pub struct Figures {
    /// Concurrent connections (or, for a raw limit, the batch size).
    pub connections: usize,
    /// How long the measured part ran.
    pub seconds: f64,
    /// Successful requests (or, for a raw limit, events written).
    pub ok: u64,
    /// Failed requests (or batches).
    pub errors: u64,
    /// Successes per second.
    pub per_second: f64,
    /// Median latency of a request (or a batch), in milliseconds.
    pub p50_ms: f64,
    /// 99th-percentile latency, in milliseconds.
    pub p99_ms: f64,
    /// 99.9th-percentile latency, in milliseconds.
    pub p999_ms: f64,
    /// The slowest request (or batch), in milliseconds.
    pub max_ms: f64,
    /// The first failure's text, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

impl Figures {
    /// Prints the figures as one JSON line on standard output.
    pub fn print(&self) -> anyhow::Result<()> {
        println!("{}", serde_json::to_string(self)?);
        Ok(())
    }
}
