//! What the bench reads besides the samples: the bridge's counters from its metrics endpoint
//! (the memory sampler and the endpoint's reader are `fieldbridge_bench::scrape`), and the CPU
//! of every other process on the machine (what else was running).

use std::collections::HashMap;

use fieldbridge_bench::scrape::{http_get, metric_sum};

/// The bridge's counters the report needs, read from one metrics body.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    pub(crate) samples_in: f64,
    pub(crate) published: f64,
    pub(crate) acked: f64,
    pub(crate) requests: f64,
    pub(crate) reconnects: f64,
    pub(crate) timeouts: f64,
    pub(crate) exceptions: f64,
    pub(crate) decode: f64,
    pub(crate) outbox_pending: f64,
}

impl Counters {
    /// From the endpoint on `port`; `None` when it did not answer.
    pub(crate) fn read(port: u16) -> Option<Counters> {
        let body = http_get(port, "/metrics");
        if body.is_empty() {
            return None;
        }
        let errors = |kind: &str| {
            metric_sum(
                &body,
                "fieldbridge_protocol_errors_total",
                &format!("kind=\"{kind}\""),
            )
        };
        Some(Counters {
            samples_in: metric_sum(&body, "fieldbridge_samples_in_total", ""),
            published: metric_sum(&body, "fieldbridge_samples_published_total", ""),
            acked: metric_sum(&body, "fieldbridge_samples_acked_total", ""),
            requests: metric_sum(&body, "fieldbridge_source_requests_total", ""),
            reconnects: metric_sum(&body, "fieldbridge_source_reconnects_total", ""),
            timeouts: errors("timeout"),
            exceptions: errors("exception"),
            decode: errors("decode"),
            outbox_pending: metric_sum(&body, "fieldbridge_outbox_pending", ""),
        })
    }

    /// `self - earlier`, counter by counter (the outbox's pending count is a gauge: kept).
    pub(crate) fn since(&self, earlier: &Counters) -> Counters {
        Counters {
            samples_in: self.samples_in - earlier.samples_in,
            published: self.published - earlier.published,
            acked: self.acked - earlier.acked,
            requests: self.requests - earlier.requests,
            reconnects: self.reconnects - earlier.reconnects,
            timeouts: self.timeouts - earlier.timeouts,
            exceptions: self.exceptions - earlier.exceptions,
            decode: self.decode - earlier.decode,
            outbox_pending: self.outbox_pending,
        }
    }

    /// Reads that went wrong: timeouts, negative answers and undecodable answers.
    pub(crate) fn errors(&self) -> f64 {
        self.timeouts + self.exceptions + self.decode
    }
}

/// CPU ticks (user + system) of every process, by pid, with its command name.
pub(crate) fn all_processes() -> HashMap<u32, (String, u64)> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((head, rest)) = text.rsplit_once(')') else {
            continue;
        };
        let name = head.split_once('(').map_or("?", |(_, n)| n).to_owned();
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        out.insert(pid, (name, ticks(11) + ticks(12)));
    }
    out
}

/// The processes not in `ours` that used CPU between two [`all_processes`] readings, grouped
/// by command name: (name, % of one core over `secs`), largest first.
pub(crate) fn others(
    before: &HashMap<u32, (String, u64)>,
    after: &HashMap<u32, (String, u64)>,
    ours: &[u32],
    ticks: f64,
    secs: f64,
) -> Vec<(String, f64)> {
    let mut by_name: HashMap<&str, u64> = HashMap::new();
    for (pid, (name, t1)) in after {
        if ours.contains(pid) {
            continue;
        }
        // A process started during the window counts from zero. A kernel worker's name says
        // what it works on at the moment: they are one group.
        let t0 = before.get(pid).map_or(0, |b| b.1);
        let name = if name.starts_with("kworker/") {
            "kworker"
        } else {
            name.as_str()
        };
        *by_name.entry(name).or_default() += t1.saturating_sub(t0);
    }
    let mut out: Vec<(String, f64)> = by_name
        .into_iter()
        .filter(|(_, t)| *t > 0)
        .map(|(n, t)| (n.to_owned(), t as f64 / ticks / secs * 100.0))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_sum_adds_every_labelled_line_of_one_name_only() {
        let body = "# TYPE fieldbridge_protocol_errors_total counter\n\
                    fieldbridge_protocol_errors_total{device=\"a\",kind=\"timeout\"} 2\n\
                    fieldbridge_protocol_errors_total{device=\"b\",kind=\"timeout\"} 3\n\
                    fieldbridge_protocol_errors_total{device=\"b\",kind=\"decode\"} 7\n\
                    fieldbridge_protocol_errors_total_other 100\n";
        assert_eq!(
            metric_sum(
                body,
                "fieldbridge_protocol_errors_total",
                "kind=\"timeout\""
            ),
            5.0
        );
        assert_eq!(
            metric_sum(body, "fieldbridge_protocol_errors_total", ""),
            12.0
        );
    }

    #[test]
    fn others_leave_out_our_processes_and_group_the_rest_by_name() {
        let p = |v: &[(u32, &str, u64)]| {
            v.iter()
                .map(|(pid, n, t)| (*pid, ((*n).to_owned(), *t)))
                .collect::<HashMap<_, _>>()
        };
        let before = p(&[
            (1, "rustc", 100),
            (2, "rustc", 50),
            (3, "fieldbridge", 0),
            (5, "kworker/0:1-events", 1000),
        ]);
        let after = p(&[
            (1, "rustc", 300),
            (2, "rustc", 150),
            (3, "fieldbridge", 900),
            (4, "cc", 10),
            (5, "kworker/0:1-mm_percpu_wq", 1020),
        ]);
        let o = others(&before, &after, &[3], 100.0, 10.0);
        assert_eq!(
            o,
            [
                ("rustc".to_owned(), 30.0),
                ("kworker".to_owned(), 2.0),
                ("cc".to_owned(), 1.0)
            ]
        );
    }
}
