//! Flight profiles (balloon-physics.md §6): what carries the payload, how it is released and
//! how the payload falls. Defaults and ranges are the spec's; values outside a range are
//! refused with the parameter's name.

use serde::Serialize;

use crate::FlightError;

/// Lifting gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gas {
    /// Hydrogen (what the groups use; the default).
    Hydrogen,
    /// Helium.
    Helium,
}

impl Gas {
    /// `1 - M_gas/M_air`: the share of displaced air mass that is lift (H2 0.930, He 0.862).
    pub fn buoyancy(self) -> f64 {
        const M_AIR: f64 = 28.9647;
        match self {
            Gas::Hydrogen => 1.0 - 2.01588 / M_AIR,
            Gas::Helium => 1.0 - 4.002602 / M_AIR,
        }
    }
}

/// How the envelope behaves at full volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Envelope {
    /// Tied mouth (P1): bursts just above the ceiling where the gas fills the envelope.
    Sealed,
    /// Open or slack bottom (P2): vents at full volume and floats, then sinks as it leaks.
    Vented,
}

/// How much the balloon lifts at launch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lift {
    /// Free lift, kg (spec default 1.5, range 0.5-3).
    FreeLiftKg(f64),
    /// Ascent rate at launch, m/s (range 1.5-6): the fill is solved for it.
    AscentMS(f64),
    /// Gas volume at launch, m³: free lift follows (and may be negative: an error).
    FillM3(f64),
}

/// P0: tawhiri's standard profile (constant ascent, burst altitude, parachute descent).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Standard {
    /// Ascent rate, m/s.
    pub ascent_m_s: f64,
    /// Burst altitude, m above mean sea level.
    pub burst_alt_m: f64,
    /// Sea-level descent rate, m/s (scaled with 1.1045/sqrt(ρ) as tawhiri does).
    pub descent_m_s: f64,
}

impl Default for Standard {
    fn default() -> Self {
        Standard {
            ascent_m_s: 5.0,
            burst_alt_m: 30_000.0,
            descent_m_s: 5.0,
        }
    }
}

/// P1/P2: a plastic or latex balloon from gas, volume, masses and drag.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Balloon {
    /// Lifting gas.
    pub gas: Gas,
    /// Sealed (P1) or vented (P2).
    pub envelope: Envelope,
    /// Full volume of the envelope, m³ (20; 8-40).
    pub v_max_m3: f64,
    /// Envelope mass, kg (3; 1-7).
    pub envelope_kg: f64,
    /// Payload mass, kg (10; 3-12).
    pub payload_kg: f64,
    /// Lift at launch.
    pub lift: Lift,
    /// Drag coefficient on the bubble's cross-section (0.8; 0.4-1.2).
    pub cd: f64,
    /// Cross-section the drag acts on, m²: a tube's is fixed (2.5, calibrated so that 1.5 kg
    /// of free lift gives the spec's 3.5 m/s); None for a round balloon (a sphere of the gas).
    pub area_m2: Option<f64>,
    /// Climb above the ceiling before a sealed envelope bursts, m (150; 0-500).
    pub overshoot_m: f64,
    /// Gas leak, percent per hour (0.5; 0.05-5).
    pub leak_pct_h: f64,
    /// Sea-level fall speed of the burst envelope with its payload, m/s (None: from the mass
    /// with Cd·A = 1 m²).
    pub fall_m_s: Option<f64>,
    /// Day superheat of a floating vented envelope in full sun, K (spec: 0, plausible 0-10,
    /// an assumption; accepted 0-20). The gas is this much warmer than the air while the sun
    /// is 10° or more up, less at dawn and dusk, not at night: it lifts the float and vents
    /// gas, and the balloon sinks when the sun sets.
    #[serde(skip_serializing_if = "is_zero")]
    pub superheat_k: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Highest day superheat accepted, K.
pub const MAX_SUPERHEAT_K: f64 = 20.0;

impl Default for Balloon {
    fn default() -> Self {
        Balloon {
            gas: Gas::Hydrogen,
            envelope: Envelope::Sealed,
            v_max_m3: 20.0,
            envelope_kg: 3.0,
            payload_kg: 10.0,
            lift: Lift::FreeLiftKg(1.5),
            cd: 0.8,
            area_m2: Some(2.5),
            overshoot_m: 150.0,
            leak_pct_h: 0.5,
            fall_m_s: None,
            superheat_k: 0.0,
        }
    }
}

/// What carries the payload up.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Carrier {
    /// P0.
    Standard(Standard),
    /// P1 or P2.
    Balloon(Balloon),
}

/// One stage of a timer: after `after_h` hours, drop `fraction` of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimerStage {
    /// Hours after launch (0.5-8).
    pub after_h: f64,
    /// Fraction of the launch payload dropped (0-1].
    pub fraction: f64,
}

/// How the payload leaves the balloon.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Release {
    /// Never: the payload comes down with the envelope.
    None,
    /// P3: timer stages.
    Timer {
        /// The stages, in time order.
        stages: Vec<TimerStage>,
        /// 1-σ relative error of the timer (0.01 electronic, 0.1 mechanical).
        jitter: f64,
        /// Probability that a timer stage fails to fire (0.1; 0-0.3).
        p_fail: f64,
    },
    /// P5: a dispenser dropping `per_drop` leaflets every `interval_s` while aloft.
    Dispenser {
        /// Seconds between drops (300; 6-1800).
        interval_s: f64,
        /// Leaflets per drop (25).
        per_drop: u32,
        /// Leaflets carried (1500).
        capacity: u32,
        /// First drop this many hours after launch.
        start_h: f64,
    },
}

/// How the payload falls once released.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    /// P4: leaflets scatter as particles.
    Leaflets {
        /// Median sea-level fall speed, m/s (vinyl 0.6; 0.4-0.9; paper 0.76; 1.4 non-autorotating).
        v0_m_s: f64,
        /// Log-sd of the fall speed across leaflets (0.3).
        sigma_ln: f64,
        /// Particles simulated per ensemble member.
        particles: u32,
        /// Turbulent horizontal velocity σ, m/s (1).
        turbulence_m_s: f64,
        /// Turbulence decorrelation time, s (600).
        turbulence_tau_s: f64,
    },
    /// P6: an intact bundle or packets.
    Bundle {
        /// Sea-level fall speed, m/s (sack 10-25, packet 5-10, parachute 3-6).
        v0_m_s: f64,
    },
}

impl Payload {
    /// Vinyl leaflets with the spec's defaults.
    pub fn vinyl_leaflets() -> Payload {
        Payload::Leaflets {
            v0_m_s: 0.6,
            sigma_ln: 0.3,
            particles: 500,
            turbulence_m_s: 1.0,
            turbulence_tau_s: 600.0,
        }
    }
}

/// A whole flight description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Preset or profile name.
    pub name: String,
    /// What carries the payload.
    pub carrier: Carrier,
    /// How the payload is released.
    pub release: Release,
    /// How the payload falls.
    pub payload: Payload,
    /// Maximum flight time, hours (24).
    pub max_flight_h: f64,
    /// RK4 step for the balloon, seconds (60).
    pub step_s: f64,
    /// RK4 step for leaflet particles, seconds (300).
    pub particle_step_s: f64,
}

/// The named presets: (name, one-line description).
pub const PRESETS: &[(&str, &str)] = &[
    (
        "standard",
        "P0 weather balloon as in tawhiri: 5 m/s up, burst 30 km, 5 m/s down",
    ),
    (
        "ffnk-tube",
        "P1 sealed 12 m PE tube (20 m³, H2), 10 kg vinyl leaflets, 3 h timer: bursts near its ceiling (~4.5 km); a timer set later than the burst never fires",
    ),
    (
        "slack-tube",
        "P2 vented/slack PE tube (20 m³, H2) floating near 5.5 km, leaking 0.5 %/h, 3 h timer, 10 kg vinyl leaflets (plan default)",
    ),
    (
        "ffnk-3stage",
        "P2 vented tube with a 3-stage timer (1.5/2.5/3.5 h, a third each), vinyl leaflets",
    ),
    (
        "crok-dispenser",
        "P2 vented balloon with a dispenser: 25 leaflets every 5 min from 1 h, 1,500 carried",
    ),
    (
        "usb-packets",
        "P2 vented tube, 3 h timer, 50 g USB/SD packets falling at 7 m/s",
    ),
    (
        "sack",
        "P1 sealed tube whose 10 kg sack falls whole at 12 m/s when the timer fires or the tube bursts",
    ),
];

fn timer_3h() -> Release {
    Release::Timer {
        stages: vec![TimerStage {
            after_h: 3.0,
            fraction: 1.0,
        }],
        jitter: 0.1,
        p_fail: 0.1,
    }
}

impl Profile {
    /// A named preset (see [`PRESETS`]).
    pub fn preset(name: &str) -> Result<Profile, FlightError> {
        let base = |carrier, release, payload| Profile {
            name: name.to_string(),
            carrier,
            release,
            payload,
            max_flight_h: 24.0,
            step_s: 60.0,
            particle_step_s: 300.0,
        };
        let sealed = Balloon::default();
        let vented = Balloon {
            envelope: Envelope::Vented,
            ..Balloon::default()
        };
        Ok(match name {
            "standard" => base(
                Carrier::Standard(Standard::default()),
                Release::None,
                Payload::Bundle { v0_m_s: 5.0 },
            ),
            "ffnk-tube" => base(
                Carrier::Balloon(sealed),
                timer_3h(),
                Payload::vinyl_leaflets(),
            ),
            "slack-tube" => base(
                Carrier::Balloon(vented),
                timer_3h(),
                Payload::vinyl_leaflets(),
            ),
            "ffnk-3stage" => base(
                Carrier::Balloon(vented),
                Release::Timer {
                    stages: vec![
                        TimerStage {
                            after_h: 1.5,
                            fraction: 1.0 / 3.0,
                        },
                        TimerStage {
                            after_h: 2.5,
                            fraction: 1.0 / 3.0,
                        },
                        TimerStage {
                            after_h: 3.5,
                            fraction: 1.0 / 3.0,
                        },
                    ],
                    jitter: 0.1,
                    p_fail: 0.1,
                },
                Payload::vinyl_leaflets(),
            ),
            "crok-dispenser" => base(
                Carrier::Balloon(Balloon {
                    payload_kg: 7.4,
                    ..vented
                }),
                Release::Dispenser {
                    interval_s: 300.0,
                    per_drop: 25,
                    capacity: 1500,
                    start_h: 1.0,
                },
                Payload::vinyl_leaflets(),
            ),
            "usb-packets" => base(
                Carrier::Balloon(vented),
                timer_3h(),
                Payload::Bundle { v0_m_s: 7.0 },
            ),
            "sack" => base(
                Carrier::Balloon(sealed),
                timer_3h(),
                Payload::Bundle { v0_m_s: 12.0 },
            ),
            other => {
                return Err(FlightError::UnknownPreset {
                    name: other.to_string(),
                    known: PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", "),
                });
            }
        })
    }

    /// Checks every parameter against its physical range.
    pub fn validate(&self) -> Result<(), FlightError> {
        fn range(name: &'static str, value: f64, lo: f64, hi: f64) -> Result<(), FlightError> {
            if value.is_finite() && value >= lo && value <= hi {
                Ok(())
            } else {
                Err(FlightError::OutOfRange {
                    name,
                    value,
                    lo,
                    hi,
                })
            }
        }
        range("max flight time (h)", self.max_flight_h, 0.1, 240.0)?;
        range("step (s)", self.step_s, 0.1, 3600.0)?;
        range("particle step (s)", self.particle_step_s, 0.1, 3600.0)?;
        match &self.carrier {
            Carrier::Standard(s) => {
                range("ascent rate (m/s)", s.ascent_m_s, 0.1, 50.0)?;
                range("burst altitude (m)", s.burst_alt_m, 1.0, 60_000.0)?;
                range("descent rate (m/s)", s.descent_m_s, 0.1, 100.0)?;
                if self.release != Release::None {
                    return Err(FlightError::Incompatible(
                        "the standard profile has no timer or dispenser: use a balloon profile (--profile sealed|vented)".into(),
                    ));
                }
            }
            Carrier::Balloon(b) => {
                range("envelope volume (m³)", b.v_max_m3, 0.5, 10_000.0)?;
                range("envelope mass (kg)", b.envelope_kg, 0.0, 1_000.0)?;
                range("payload mass (kg)", b.payload_kg, 0.0, 1_000.0)?;
                range("drag coefficient", b.cd, 0.05, 3.0)?;
                if let Some(a) = b.area_m2 {
                    range("cross-section (m²)", a, 0.01, 1_000.0)?;
                }
                range("burst overshoot (m)", b.overshoot_m, 0.0, 5_000.0)?;
                range("leak (%/h)", b.leak_pct_h, 0.0, 50.0)?;
                match b.lift {
                    Lift::FreeLiftKg(kg) => {
                        if !kg.is_finite() || kg <= 0.0 {
                            return Err(FlightError::WillNotRise { free_lift_kg: kg });
                        }
                    }
                    Lift::AscentMS(v) => range("ascent rate (m/s)", v, 0.1, 30.0)?,
                    Lift::FillM3(v) => range("fill volume (m³)", v, 0.01, 10_000.0)?,
                }
                if let Some(v) = b.fall_m_s {
                    range("fall speed (m/s)", v, 0.1, 100.0)?;
                }
                range("superheat (K)", b.superheat_k, 0.0, MAX_SUPERHEAT_K)?;
                if b.superheat_k > 0.0 && b.envelope == Envelope::Sealed {
                    return Err(FlightError::Incompatible(
                        "day superheat is modelled for vented envelopes that float (--profile vented or a vented preset); a sealed envelope bursts at its ceiling".into(),
                    ));
                }
            }
        }
        match &self.release {
            Release::None => {}
            Release::Timer {
                stages,
                jitter,
                p_fail,
            } => {
                if stages.is_empty() {
                    return Err(FlightError::Incompatible(
                        "a timer needs at least one stage".into(),
                    ));
                }
                range("timer jitter", *jitter, 0.0, 0.5)?;
                range("timer failure probability", *p_fail, 0.0, 1.0)?;
                let mut total = 0.0;
                let mut last = 0.0;
                for s in stages {
                    range("timer (h)", s.after_h, 0.01, 240.0)?;
                    range("timer fraction", s.fraction, 1e-6, 1.0)?;
                    if s.after_h < last {
                        return Err(FlightError::Incompatible(
                            "timer stages must be in time order".into(),
                        ));
                    }
                    if s.after_h >= self.max_flight_h {
                        return Err(FlightError::TimerAfterFlight {
                            timer_h: s.after_h,
                            max_h: self.max_flight_h,
                        });
                    }
                    last = s.after_h;
                    total += s.fraction;
                }
                if total > 1.0 + 1e-9 {
                    return Err(FlightError::Incompatible(format!(
                        "timer stages drop {:.0} % of the payload: at most 100 %",
                        total * 100.0
                    )));
                }
            }
            Release::Dispenser {
                interval_s,
                per_drop,
                capacity,
                start_h,
            } => {
                range("dispenser interval (s)", *interval_s, 6.0, 7200.0)?;
                range("dispenser start (h)", *start_h, 0.0, self.max_flight_h)?;
                if *per_drop == 0 || *capacity == 0 {
                    return Err(FlightError::Incompatible(
                        "a dispenser needs at least one leaflet per drop and a capacity".into(),
                    ));
                }
            }
        }
        match self.payload {
            Payload::Leaflets {
                v0_m_s,
                sigma_ln,
                particles,
                turbulence_m_s,
                turbulence_tau_s,
            } => {
                range("leaflet fall speed (m/s)", v0_m_s, 0.05, 20.0)?;
                range("leaflet fall-speed spread (σ ln)", sigma_ln, 0.0, 2.0)?;
                range("leaflet particles", particles as f64, 1.0, 100_000.0)?;
                range("turbulence σ (m/s)", turbulence_m_s, 0.0, 20.0)?;
                range("turbulence τ (s)", turbulence_tau_s, 1.0, 86_400.0)?;
            }
            Payload::Bundle { v0_m_s } => range("bundle fall speed (m/s)", v0_m_s, 0.1, 100.0)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid() {
        for (name, _) in PRESETS {
            Profile::preset(name)
                .and_then(|p| p.validate())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn unknown_preset_lists_the_known_ones() {
        let err = Profile::preset("zeppelin").unwrap_err().to_string();
        assert!(
            err.contains("zeppelin") && err.contains("ffnk-tube"),
            "{err}"
        );
    }

    #[test]
    fn negative_rates_and_late_timers_are_refused() {
        let mut p = Profile::preset("standard").unwrap();
        p.carrier = Carrier::Standard(Standard {
            ascent_m_s: -5.0,
            ..Standard::default()
        });
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("ascent rate")
        );
        let mut p = Profile::preset("slack-tube").unwrap();
        p.release = Release::Timer {
            stages: vec![TimerStage {
                after_h: 30.0,
                fraction: 1.0,
            }],
            jitter: 0.0,
            p_fail: 0.0,
        };
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("after the flight")
        );
    }

    #[test]
    fn superheat_is_range_checked_and_only_for_vented_envelopes() {
        let mut p = Profile::preset("slack-tube").unwrap();
        for (k, ok) in [
            (0.0, true),
            (10.0, true),
            (20.0, true),
            (-1.0, false),
            (20.5, false),
            (f64::NAN, false),
        ] {
            if let Carrier::Balloon(b) = &mut p.carrier {
                b.superheat_k = k;
            }
            let r = p.validate();
            assert_eq!(r.is_ok(), ok, "{k}: {r:?}");
            if !ok {
                assert!(
                    r.unwrap_err()
                        .to_string()
                        .contains("superheat (K) must be between 0 and 20")
                );
            }
        }
        let mut p = Profile::preset("ffnk-tube").unwrap();
        if let Carrier::Balloon(b) = &mut p.carrier {
            b.superheat_k = 5.0;
        }
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("vented envelopes")
        );
    }

    #[test]
    fn hydrogen_and_helium_buoyancy_match_the_spec() {
        assert!((Gas::Hydrogen.buoyancy() - 0.930).abs() < 0.001);
        assert!((Gas::Helium.buoyancy() - 0.862).abs() < 0.001);
    }
}
