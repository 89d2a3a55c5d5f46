//! CPU time and memory of a process, from `/proc` (Linux).

use std::path::PathBuf;

/// A process to measure: another one by pid, or this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Process {
    Pid(u32),
    Own,
}

impl Process {
    fn path(self, file: &str) -> PathBuf {
        match self {
            Process::Pid(pid) => PathBuf::from(format!("/proc/{pid}/{file}")),
            Process::Own => PathBuf::from(format!("/proc/self/{file}")),
        }
    }

    /// User plus system CPU time of all its threads so far, in µs.
    pub fn cpu_micros(self) -> std::io::Result<u64> {
        let stat = std::fs::read_to_string(self.path("stat"))?;
        parse_cpu_ticks(&stat)
            .map(|ticks| ticks * 1_000_000 / ticks_per_second())
            .ok_or_else(|| invalid(format!("unexpected /proc stat line: {stat}")))
    }

    /// Resident memory (`VmRSS`), in KiB.
    pub fn rss_kib(self) -> std::io::Result<u64> {
        let status = std::fs::read_to_string(self.path("status"))?;
        parse_rss_kib(&status).ok_or_else(|| invalid("no VmRSS in /proc status".into()))
    }
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

fn ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second().max(1)
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name
/// (field 2) is in parentheses and may contain spaces, so fields count from its end.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

fn parse_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_and_status_lines_parse() {
        let stat = "4242 (plenum (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 75 0 0 20 0 9 0";
        assert_eq!(parse_cpu_ticks(stat), Some(225));
        assert_eq!(parse_cpu_ticks("garbage"), None);
        let status = "Name:\tplenum\nVmPeak:\t  9000 kB\nVmRSS:\t   51234 kB\nThreads:\t9\n";
        assert_eq!(parse_rss_kib(status), Some(51234));
        assert_eq!(parse_rss_kib("Name: x\n"), None);
    }

    #[test]
    fn this_process_is_measurable() {
        let before = Process::Own.cpu_micros().unwrap();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(Process::Own.cpu_micros().unwrap() >= before);
        assert!(Process::Own.rss_kib().unwrap() > 0);
    }
}
