//! Readiness: named probes the binary supplies (store reachable, projections caught up, ...),
//! run by `GET /readyz` with a time limit each.

use cohub_store::EventStore;
use futures::future::BoxFuture;
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// One readiness check: `Ok(detail)` when ready, `Err(reason)` when not.
pub trait ReadinessProbe: Send + Sync + 'static {
    /// Runs the check.
    fn check(&self) -> BoxFuture<'_, Result<String, String>>;
}

impl<F, Fut> ReadinessProbe for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<String, String>> + Send + 'static,
{
    fn check(&self) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(self())
    }
}

/// Ready when the event store answers (reads its head position).
pub struct StoreProbe(pub Arc<dyn EventStore>);

impl ReadinessProbe for StoreProbe {
    fn check(&self) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(async move {
            self.0
                .head_position()
                .await
                .map(|p| format!("log head at position {p}"))
                .map_err(|e| e.to_string())
        })
    }
}

/// The outcome of one probe, as `/readyz` reports it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckReport {
    /// The probe's name.
    pub name: String,
    /// Whether it passed.
    pub ready: bool,
    /// What it found, or why it is not ready.
    pub detail: String,
}

/// The outcome of all probes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReadinessReport {
    /// True when every probe passed.
    pub ready: bool,
    /// Each probe's outcome, in the order they were added.
    pub checks: Vec<CheckReport>,
}

/// The probes `/readyz` runs. With none, the server is ready as soon as it listens.
#[derive(Clone, Default)]
pub struct Readiness {
    probes: Vec<(String, Arc<dyn ReadinessProbe>)>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.probes.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Readiness").field("probes", &names).finish()
    }
}

/// How long one probe may take before it counts as not ready.
const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

impl Readiness {
    /// No probes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a named probe.
    pub fn with(mut self, name: impl Into<String>, probe: impl ReadinessProbe) -> Self {
        self.probes.push((name.into(), Arc::new(probe)));
        self
    }

    /// Runs every probe concurrently, each within its time limit.
    pub async fn report(&self) -> ReadinessReport {
        let limit = self.timeout.unwrap_or(DEFAULT_PROBE_TIMEOUT);
        let checks =
            futures::future::join_all(self.probes.iter().map(|(name, probe)| async move {
                let (ready, detail) = match tokio::time::timeout(limit, probe.check()).await {
                    Ok(Ok(detail)) => (true, detail),
                    Ok(Err(reason)) => (false, reason),
                    Err(_) => (false, format!("no answer within {} ms", limit.as_millis())),
                };
                CheckReport {
                    name: name.clone(),
                    ready,
                    detail,
                }
            }))
            .await;
        ReadinessReport {
            ready: checks.iter().all(|c| c.ready),
            checks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn all_must_pass_and_slow_ones_fail() {
        let r = Readiness {
            timeout: Some(Duration::from_millis(50)),
            ..Readiness::new()
        }
        .with("ok", || async { Ok::<_, String>("fine".to_string()) })
        .with("slow", || async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, String>("late".to_string())
        });
        let report = r.report().await;
        assert!(!report.ready);
        assert!(report.checks[0].ready);
        assert!(!report.checks[1].ready);
        assert!(Readiness::new().report().await.ready);
    }
}
