//! What the reports read from /proc: CPU time of a process and of the machine, and the `kB`
//! lines of a process's status.

use std::process::Command;

/// Clock ticks per second (`getconf CLK_TCK`; 100 when it cannot be read).
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// User + system CPU seconds of a process (all its threads), from /proc/PID/stat; NaN when it
/// cannot be read.
pub fn cpu_secs(pid: u32, ticks: f64) -> f64 {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // The command name may hold spaces: fields are counted after its closing parenthesis;
    // utime and stime are fields 14 and 15 of the line, 11 and 12 after it.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let get = |i: usize| {
        f.get(i)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (get(11) + get(12)) / ticks
}

/// Busy CPU seconds of the whole machine since boot (all cores, kernel and interrupts: everything
/// but idle and iowait), from the first line of /proc/stat; NaN when it cannot be read.
pub fn machine_busy_secs(ticks: f64) -> f64 {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = text.lines().next() else {
        return f64::NAN;
    };
    busy_ticks(line) / ticks
}

/// The busy clock ticks of a /proc/stat `cpu` or `cpuN` line: user, nice, system, irq, softirq
/// and steal (idle and iowait left out; guest time is already in user).
pub fn busy_ticks(cpu_line: &str) -> f64 {
    cpu_line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse::<f64>().ok())
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, x)| x)
        .sum()
}

/// The number of a line of /proc/PID/status (VmRSS, VmHWM, RssAnon, RssFile in kB; Threads).
pub fn status(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
}

/// A `kB` line of /proc/PID/status (VmRSS, VmHWM), in bytes.
pub fn status_bytes(pid: u32, key: &str) -> Option<u64> {
    status(pid, key).map(|kb| kb * 1024)
}
