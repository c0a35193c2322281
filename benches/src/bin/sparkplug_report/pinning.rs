//! `--pin`: the publisher side (this process and its bare publisher, the bridge, the simulator)
//! on [`PUBLISHER_CPU`], the broker side (mosquitto and the subscriber process) on [`BROKER_CPU`],
//! with util-linux `taskset` (no `unsafe` `sched_setaffinity` here). And what the report reads
//! back: each process's allowed CPUs and each CPU's busy time.

use std::path::Path;
use std::process::Command;

use fieldbridge_bench::procfs::busy_ticks;

/// The publisher side's core.
pub(crate) const PUBLISHER_CPU: u32 = 0;
/// The broker side's core.
pub(crate) const BROKER_CPU: u32 = 1;

/// A command running `program`, under `taskset -c CPU` when `cpu` is given (taskset execs the
/// program: the child's pid is the program's).
pub(crate) fn command_on(cpu: Option<u32>, program: &Path) -> Command {
    match cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string()]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// Moves every thread of process `pid` to `cpu` (`taskset -a -p -c`); threads it starts later
/// inherit the affinity of the thread that starts them.
///
/// # Panics
/// When taskset is missing or fails.
pub(crate) fn pin_pid(pid: u32, cpu: u32) {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", &cpu.to_string(), &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("--pin needs taskset (util-linux): {e}"));
    assert!(status.success(), "taskset -a -p -c {cpu} {pid} failed");
}

/// The CPUs a process's threads may run on (`Cpus_allowed_list` of /proc/PID/task/*/status,
/// distinct lists joined by `+`); `?` when unreadable.
pub(crate) fn allowed_cpus(pid: u32) -> String {
    let mut lists: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| {
            let status = std::fs::read_to_string(task.path().join("status")).ok()?;
            status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|v| v.trim().to_owned())
        })
        .collect();
    lists.sort();
    lists.dedup();
    if lists.is_empty() {
        "?".to_owned()
    } else {
        lists.join("+")
    }
}

/// Busy seconds of each CPU since boot (the `cpuN` lines of /proc/stat: all but idle and iowait,
/// kernel and interrupts included), in CPU order.
pub(crate) fn cpu_busy_secs(ticks: f64) -> Vec<f64> {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    busy_of(&text, ticks)
}

fn busy_of(stat: &str, ticks: f64) -> Vec<f64> {
    stat.lines()
        .filter(|l| {
            l.strip_prefix("cpu")
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
        .map(|line| busy_ticks(line) / ticks)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_cpu_busy_time_leaves_out_idle_and_iowait_and_the_total_line() {
        let stat = "cpu  10 0 10 100 5 0 0 0 0 0\n\
                    cpu0 4 1 2 50 3 1 1 1 9 9\n\
                    cpu1 6 0 8 50 2 0 0 0 0 0\n\
                    intr 12345\n";
        assert_eq!(busy_of(stat, 100.0), vec![0.10, 0.14]);
    }

    #[test]
    fn a_pinned_command_runs_its_program_under_taskset() {
        let c = command_on(Some(1), Path::new("/bin/true"));
        assert_eq!(c.get_program(), "taskset");
        let args: Vec<_> = c.get_args().collect();
        assert_eq!(args, ["-c", "1", "/bin/true"]);
        assert_eq!(
            command_on(None, Path::new("/bin/true")).get_program(),
            "/bin/true"
        );
    }
}
