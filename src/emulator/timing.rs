//! How long a transition (Pending, Stopping, Starting) takes.
//!
//! By default every transition takes `--transition`, exactly, so tests can
//! reason about time. With `--transition-spread S` (0 < S < 1) transitions
//! differ as they do on a real cloud: by instance family (a factor per
//! family, [`FAMILY_FACTORS`], each overridable with `--transition-factor
//! FAMILY=F`) and from one transition to the next (uniformly within ±S of
//! that). `--transition-seed N` makes the draws reproducible. The benchmark
//! uses this to measure how close the provider's plan-time estimates come.
//!
//! The factors are a model, not measurements of ECS: they only need to make
//! types differ, so an estimate drawn from another family would be wrong.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Built-in factors by family, applied when a spread is set: compute
/// types a little quicker, memory-heavy and bare-metal ones slower.
pub const FAMILY_FACTORS: [(&str, f64); 6] = [
    ("ecs.c6", 0.8),
    ("ecs.g6", 1.0),
    ("ecs.g7", 0.9),
    ("ecs.g8y", 1.1),
    ("ecs.r6", 1.4),
    ("ecs.ebmg6", 2.0),
];

/// The transition clock of one emulator.
#[derive(Debug)]
pub struct Timing {
    spread: f64,
    factors: BTreeMap<String, f64>,
    rng: StdRng,
}

impl Default for Timing {
    fn default() -> Self {
        Timing::new(0.0, &BTreeMap::new(), None)
    }
}

/// `ecs.g6.large` → `ecs.g6`.
fn family_of(instance_type: &str) -> &str {
    instance_type
        .rsplit_once('.')
        .map_or(instance_type, |(family, _)| family)
}

impl Timing {
    /// `spread` in [0, 1); `overrides` by family (`ecs.g6`); `seed` for
    /// reproducible draws (else from the OS).
    pub fn new(spread: f64, overrides: &BTreeMap<String, f64>, seed: Option<u64>) -> Self {
        let mut factors: BTreeMap<String, f64> = if spread > 0.0 {
            FAMILY_FACTORS
                .iter()
                .map(|(f, x)| ((*f).to_string(), *x))
                .collect()
        } else {
            BTreeMap::new()
        };
        factors.extend(overrides.iter().map(|(k, v)| (k.clone(), *v)));
        Timing {
            spread,
            factors,
            rng: seed.map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64),
        }
    }

    /// The factor of a type's family (1 when none applies).
    pub fn factor(&self, instance_type: &str) -> f64 {
        self.factors
            .get(family_of(instance_type))
            .copied()
            .unwrap_or(1.0)
    }

    /// How long the next transition of an instance of `instance_type` takes.
    pub fn draw(&mut self, base: Duration, instance_type: &str) -> Duration {
        let mut f = self.factor(instance_type);
        if self.spread > 0.0 {
            f *= 1.0 + self.rng.random_range(-self.spread..=self.spread);
        }
        if (f - 1.0).abs() < f64::EPSILON {
            base
        } else {
            base.mul_f64(f.max(0.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(1000);

    #[test]
    fn without_a_spread_every_transition_takes_the_base_time() {
        let mut t = Timing::default();
        for ty in ["ecs.g6.large", "ecs.r6.large", "ecs.c6.xlarge"] {
            assert_eq!(t.draw(BASE, ty), BASE);
        }
    }

    #[test]
    fn a_spread_varies_by_family_and_from_one_transition_to_the_next() {
        let mut t = Timing::new(0.3, &BTreeMap::new(), Some(7));
        let draws: Vec<Duration> = (0..200).map(|_| t.draw(BASE, "ecs.g6.large")).collect();
        assert!(draws.iter().all(|d| (700..=1300).contains(&d.as_millis())));
        let distinct: std::collections::BTreeSet<_> = draws.iter().collect();
        assert!(distinct.len() > 150, "{}", distinct.len());
        let mean = |ty: &str, t: &mut Timing| {
            (0..400)
                .map(|_| t.draw(BASE, ty).as_secs_f64())
                .sum::<f64>()
                / 400.0
        };
        let (c6, r6) = (mean("ecs.c6.large", &mut t), mean("ecs.r6.large", &mut t));
        assert!(
            (c6 - 0.8).abs() < 0.05 && (r6 - 1.4).abs() < 0.07,
            "{c6} {r6}"
        );
    }

    #[test]
    fn a_seed_repeats_the_draws_and_overrides_replace_a_family_factor() {
        let overrides = BTreeMap::from([("ecs.g6".to_string(), 2.0)]);
        let mut a = Timing::new(0.3, &overrides, Some(42));
        let mut b = Timing::new(0.3, &overrides, Some(42));
        let da: Vec<_> = (0..20).map(|_| a.draw(BASE, "ecs.g6.large")).collect();
        let db: Vec<_> = (0..20).map(|_| b.draw(BASE, "ecs.g6.large")).collect();
        assert_eq!(da, db);
        assert!(da.iter().all(|d| d.as_millis() >= 1400), "{da:?}");
        // An override alone (no spread) scales exactly.
        let mut t = Timing::new(0.0, &overrides, None);
        assert_eq!(t.draw(BASE, "ecs.g6.xlarge"), Duration::from_secs(2));
        assert_eq!(t.draw(BASE, "ecs.c6.large"), BASE);
    }
}
