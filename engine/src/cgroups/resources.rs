//! The limits a container runs under, as the user states them (`ferry run -m 500m --cpus 0.5 ...`),
//! independent of the cgroup version that will enforce them.

use super::devices::DeviceRule;
use super::error::InvalidLimit;

/// The smallest memory limit Docker accepts: below it a container cannot even start its init.
pub const MIN_MEMORY: u64 = 6 * 1024 * 1024;

/// The CFS period ferry uses for `--cpus`, as Docker and runc do (100 ms).
pub const DEFAULT_CPU_PERIOD_US: u64 = 100_000;

// ANCHOR: resources
/// Resource limits for one container. `None` leaves the kernel's default (no limit).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    /// `-m`: the most memory (bytes) the container's processes may use before the OOM killer acts.
    pub memory: Option<u64>,
    /// `--memory-swap`: memory *plus* swap in bytes, as in Docker; `-1` means unlimited swap.
    /// Unset with `memory` set means twice `memory` (see [`Resources::memory_swap_total`]).
    pub memory_swap: Option<i64>,
    /// `--cpus` (or `--cpu-quota`/`--cpu-period`): CPU time per scheduling period.
    pub cpu_quota: Option<CpuQuota>,
    /// `--cpu-shares`: the relative weight against other containers when CPUs are contended.
    pub cpu_shares: Option<u64>,
    /// `--pids-limit`: the most processes and threads; zero or negative means unlimited.
    pub pids_limit: Option<i64>,
    /// The device allow-list, applied in order (see [`super::default_rules`]); `None` leaves
    /// the device controller alone, and the container may then use every device the host has.
    pub devices: Option<Vec<DeviceRule>>,
}
// ANCHOR_END: resources

/// A CFS bandwidth limit: at most `quota_us` of CPU time every `period_us`.
///
/// A quota larger than the period spans several CPUs (`--cpus 1.5` = 150000 per 100000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuQuota {
    /// CPU time allowed per period, in microseconds.
    pub quota_us: u64,
    /// The length of the period, in microseconds.
    pub period_us: u64,
}

impl CpuQuota {
    /// The quota `--cpus` stands for: `cpus` CPUs' worth of each 100 ms period.
    pub fn from_cpus(cpus: f64) -> CpuQuota {
        let period_us = DEFAULT_CPU_PERIOD_US;
        CpuQuota {
            quota_us: (cpus * period_us as f64).round() as u64,
            period_us,
        }
    }
}

impl Resources {
    /// Refuses combinations Docker refuses, before any cgroup is touched.
    pub fn validate(&self) -> Result<(), InvalidLimit> {
        if self.memory.is_some_and(|m| m < MIN_MEMORY) {
            return Err(InvalidLimit::MemoryTooSmall);
        }
        match (self.memory, self.memory_swap) {
            (_, None | Some(-1)) => {}
            (None, Some(_)) => return Err(InvalidLimit::SwapWithoutMemory),
            (Some(memory), Some(total)) if total < 0 || (total as u64) < memory => {
                return Err(InvalidLimit::SwapBelowMemory)
            }
            (Some(_), Some(_)) => {}
        }
        if let Some(cpu) = self.cpu_quota {
            if !(1_000..=1_000_000).contains(&cpu.period_us) {
                return Err(InvalidLimit::CpuPeriod);
            }
            if cpu.quota_us < 1_000 {
                return Err(InvalidLimit::CpuQuota);
            }
        }
        for rule in self.devices.iter().flatten() {
            rule.validate()?;
        }
        Ok(())
    }

    /// The memory+swap total to enforce: the one given, or Docker's default of twice `memory`
    /// (the container may swap out as much as it may hold), or `None` without a memory limit.
    pub fn memory_swap_total(&self) -> Option<i64> {
        match (self.memory, self.memory_swap) {
            (_, Some(total)) => Some(total),
            (Some(memory), None) => Some(memory.saturating_mul(2).min(i64::MAX as u64) as i64),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    fn memory(memory: u64, swap: Option<i64>) -> Resources {
        Resources {
            memory: Some(memory),
            memory_swap: swap,
            ..Resources::default()
        }
    }

    #[test]
    fn no_limits_are_valid() {
        assert_eq!(Resources::default().validate(), Ok(()));
    }

    #[test]
    fn memory_below_six_mib_is_refused_with_dockers_message() {
        let err = memory(6 * MIB - 1, None).validate().unwrap_err();
        assert_eq!(err.to_string(), "Minimum memory limit allowed is 6MB");
        assert_eq!(memory(6 * MIB, None).validate(), Ok(()));
    }

    #[test]
    fn memory_swap_must_be_at_least_memory_or_minus_one() {
        assert_eq!(
            memory(64 * MIB, Some(32 << 20)).validate(),
            Err(InvalidLimit::SwapBelowMemory)
        );
        assert_eq!(
            memory(64 * MIB, Some(-2)).validate(),
            Err(InvalidLimit::SwapBelowMemory)
        );
        assert_eq!(memory(64 * MIB, Some(64 << 20)).validate(), Ok(()));
        assert_eq!(memory(64 * MIB, Some(-1)).validate(), Ok(()));
    }

    #[test]
    fn memory_swap_without_memory_is_refused() {
        let r = Resources {
            memory_swap: Some(64 << 20),
            ..Resources::default()
        };
        assert_eq!(r.validate(), Err(InvalidLimit::SwapWithoutMemory));
    }

    #[test]
    fn swap_total_defaults_to_twice_memory_like_docker() {
        assert_eq!(memory(64 * MIB, None).memory_swap_total(), Some(128 << 20));
        assert_eq!(memory(64 * MIB, Some(-1)).memory_swap_total(), Some(-1));
        assert_eq!(
            memory(64 * MIB, Some(100 << 20)).memory_swap_total(),
            Some(100 << 20)
        );
        assert_eq!(Resources::default().memory_swap_total(), None);
    }

    #[test]
    fn cpus_become_a_quota_per_100ms_period() {
        assert_eq!(
            CpuQuota::from_cpus(0.5),
            CpuQuota {
                quota_us: 50_000,
                period_us: 100_000
            }
        );
        assert_eq!(
            CpuQuota::from_cpus(1.5),
            CpuQuota {
                quota_us: 150_000,
                period_us: 100_000
            }
        );
        assert_eq!(CpuQuota::from_cpus(0.01).quota_us, 1_000);
    }

    #[test]
    fn cpu_periods_and_quotas_the_kernel_refuses_are_refused() {
        let with = |quota_us, period_us| Resources {
            cpu_quota: Some(CpuQuota {
                quota_us,
                period_us,
            }),
            ..Resources::default()
        };
        assert_eq!(with(50_000, 999).validate(), Err(InvalidLimit::CpuPeriod));
        assert_eq!(
            with(50_000, 1_000_001).validate(),
            Err(InvalidLimit::CpuPeriod)
        );
        assert_eq!(with(999, 100_000).validate(), Err(InvalidLimit::CpuQuota));
        assert_eq!(with(1_000, 100_000).validate(), Ok(()));
    }

    #[test]
    fn device_rules_the_kernel_would_misread_are_refused() {
        let mut rule = crate::cgroups::DeviceRule::parse("c 1:3 rwm").unwrap();
        rule.access = "rx".into();
        let r = Resources {
            devices: Some(vec![rule]),
            ..Resources::default()
        };
        assert_eq!(
            r.validate(),
            Err(InvalidLimit::DeviceRule("c 1:3 rx".into()))
        );
        let defaults = Resources {
            devices: Some(crate::cgroups::default_rules()),
            ..Resources::default()
        };
        assert_eq!(defaults.validate(), Ok(()));
    }
}
