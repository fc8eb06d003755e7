//! The reconnection schedule: exponential backoff with jitter (socket.io-client's
//! `reconnectionDelay`, `reconnectionDelayMax`, `randomizationFactor`) and giving up
//! after `reconnection_attempts`. The loop that follows it is in
//! [`lifecycle`](super::lifecycle).

use std::time::Duration;

use super::options::Reconnection;

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Step {
    /// Wait this long, then make attempt number `attempt` (from 1).
    Wait { attempt: u32, delay: Duration },
    /// Out of attempts: give up after this many.
    GiveUp { attempts: u32 },
}

/// Counts the attempts of one reconnection.
pub(crate) struct Backoff {
    policy: Reconnection,
    attempts: u32,
}

impl Backoff {
    pub(crate) fn new(policy: Reconnection) -> Backoff {
        Backoff {
            policy,
            attempts: 0,
        }
    }

    /// The next step, given a random number in `0..1` for the jitter.
    pub(crate) fn next(&mut self, random: f64) -> Step {
        if self.policy.attempts > 0 && self.attempts >= self.policy.attempts {
            return Step::GiveUp {
                attempts: self.attempts,
            };
        }
        self.attempts += 1;
        Step::Wait {
            attempt: self.attempts,
            delay: self.policy.delay(self.attempts, random),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(attempts: u32) -> Reconnection {
        Reconnection {
            attempts,
            delay: Duration::from_millis(100),
            delay_max: Duration::from_millis(350),
            randomization_factor: 0.0,
            ..Reconnection::default()
        }
    }

    #[test]
    fn delays_double_up_to_the_maximum_then_it_gives_up() {
        let mut backoff = Backoff::new(policy(4));
        let delays: Vec<Step> = (0..5).map(|_| backoff.next(0.5)).collect();
        let wait = |attempt, ms| Step::Wait {
            attempt,
            delay: Duration::from_millis(ms),
        };
        assert_eq!(
            delays,
            [
                wait(1, 100),
                wait(2, 200),
                wait(3, 350),
                wait(4, 350),
                Step::GiveUp { attempts: 4 }
            ]
        );
    }

    #[test]
    fn zero_attempts_means_forever() {
        let mut backoff = Backoff::new(policy(0));
        for attempt in 1..=1000 {
            assert!(matches!(backoff.next(0.0), Step::Wait { attempt: a, .. } if a == attempt));
        }
    }

    #[test]
    fn jitter_stays_within_the_randomization_factor() {
        let policy = Reconnection {
            randomization_factor: 0.5,
            ..policy(0)
        };
        for random in [0.0, 0.25, 0.5, 0.75, 0.999] {
            let Step::Wait { delay, .. } = Backoff::new(policy).next(random) else {
                panic!("gives up")
            };
            assert!((50..=150).contains(&delay.as_millis()), "{delay:?}");
        }
    }
}
