//! What `dossier dev bench` measures with: latency samples summarised by percentile, the
//! process's peak resident memory per workload, read from Linux's `/proc/self/status`, and the
//! processor time of the calling thread, from `/proc/thread-self/schedstat`, and the CPU time of
//! the whole process, from `/proc/self/stat`.

use std::time::{Duration, Instant};

use serde::Serialize;

/// Timed runs of one kind of work.
#[derive(Debug, Clone, Default)]
pub(crate) struct Samples {
    micros: Vec<f64>,
}

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.micros.push(d.as_secs_f64() * 1e6);
    }

    /// Runs `f`, and keeps its time when it succeeds.
    pub fn time<T, E>(&mut self, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let started = Instant::now();
        let value = f()?;
        self.push(started.elapsed());
        Ok(value)
    }

    pub fn extend(&mut self, other: &Samples) {
        self.micros.extend_from_slice(&other.micros);
    }

    pub fn len(&self) -> usize {
        self.micros.len()
    }

    pub fn summary(&self) -> Latency {
        let mut sorted = self.micros.clone();
        sorted.sort_by(f64::total_cmp);
        let round = |x: f64| (x * 10.0).round() / 10.0;
        Latency {
            samples: sorted.len(),
            p50_us: round(percentile(&sorted, 50.0)),
            p99_us: round(percentile(&sorted, 99.0)),
            max_us: round(sorted.last().copied().unwrap_or(0.0)),
        }
    }
}

/// The nearest-rank percentile of sorted values (0 when there are none).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A summary of timed runs, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

/// A memory figure of this process from `/proc/self/status`, in MB (`None` off Linux).
fn status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.trim_start_matches(field).trim().trim_end_matches("kB").trim().parse().ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

/// Peak resident memory of this process, in MB, from `VmHWM`.
pub(crate) fn peak_rss_mb() -> Option<f64> {
    status_mb("VmHWM:")
}

/// Resident memory of this process now, in MB, from `VmRSS`.
pub(crate) fn rss_mb() -> Option<f64> {
    status_mb("VmRSS:")
}

/// Processor time the calling thread has run for so far (`None` off Linux). Unlike elapsed
/// time, it does not count the time other processes had the processor, so on a shared machine
/// it compares two pieces of work far more steadily.
pub(crate) fn thread_cpu() -> Option<Duration> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Runs `f` and returns its result with the processor time the calling thread spent in it.
pub(crate) fn with_cpu<T>(f: impl FnOnce() -> T) -> (T, Option<Duration>) {
    let before = thread_cpu();
    let value = f();
    let spent = thread_cpu().zip(before).map(|(after, before)| after.saturating_sub(before));
    (value, spent)
}

/// Resets the peak to the current resident size, so the next [`peak_rss_mb`] is the peak of
/// what runs in between. Returns false where the kernel does not allow it (then peaks add up).
pub(crate) fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// CPU time this process has used so far (every thread, user and system), in seconds, from
/// `/proc/self/stat` (`None` off Linux). Its unit is the kernel's USER_HZ, 100 on Linux.
pub(crate) fn cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut s = Samples::default();
        for us in 1..=200u64 {
            s.push(Duration::from_micros(us));
        }
        let l = s.summary();
        assert_eq!((l.samples, l.p50_us, l.p99_us, l.max_us), (200, 100.0, 198.0, 200.0));
        assert_eq!(Samples::default().summary(), Latency::default());
    }

    #[test]
    fn thread_cpu_counts_work_and_not_sleep() {
        let Some(start) = thread_cpu() else { return };
        let ((), slept) = with_cpu(|| std::thread::sleep(Duration::from_millis(50)));
        let (sum, worked) = with_cpu(|| (0..20_000_000u64).fold(0u64, |a, n| a.wrapping_add(n * n)));
        std::hint::black_box(sum);
        assert!(slept.unwrap() < Duration::from_millis(25), "sleeping is not running: {slept:?}");
        assert!(worked.unwrap() > Duration::ZERO);
        assert!(thread_cpu().unwrap() >= start);
    }
}
