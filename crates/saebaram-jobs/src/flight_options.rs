//! The balloon a person describes (a preset and overrides) turned into a flight
//! [`Profile`]: shared by `predict` and `plan`, and by every face.

use saebaram_flight::{
    Balloon, Carrier, Envelope, Gas, Lift, Payload, Profile, Release, Standard, TimerStage,
};
use serde::{Deserialize, Serialize};

use crate::Error;

/// Which profile to build when no preset is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// P0: tawhiri's constant ascent, burst altitude, parachute descent.
    Standard,
    /// P1: a sealed envelope that bursts near its ceiling.
    Sealed,
    /// P2: a vented envelope that floats and leaks.
    Vented,
}

/// Lifting gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GasOption {
    /// Hydrogen.
    H2,
    /// Helium.
    He,
}

/// The cross-section drag acts on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaOption {
    /// A round balloon: the area follows the volume.
    Sphere,
    /// A fixed area, m² (a tube: 2.5).
    M2(f64),
}

/// Timer stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerOption {
    /// No timer.
    None,
    /// (hours after launch, share of the payload) per stage.
    Stages(Vec<(f64, f64)>),
}

/// A balloon: a preset (or profile kind) and the values that override it. Every field is
/// one flag of `saebaram predict`/`plan`; `None` keeps the preset's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FlightOptions {
    /// A named preset (`saebaram_flight::PRESETS`).
    pub preset: Option<String>,
    /// The profile when no preset is given, or the envelope of a balloon preset.
    pub profile: Option<ProfileKind>,
    /// Ascent rate, m/s (standard: constant; balloons: at launch, the fill is solved).
    pub ascent_m_s: Option<f64>,
    /// Burst altitude, m (standard).
    pub burst_alt_m: Option<f64>,
    /// Sea-level descent rate, m/s (standard).
    pub descent_m_s: Option<f64>,
    /// Lifting gas.
    pub gas: Option<GasOption>,
    /// Envelope volume when full, m³.
    pub volume_m3: Option<f64>,
    /// Envelope mass, kg.
    pub envelope_mass_kg: Option<f64>,
    /// Payload mass, kg.
    pub payload_kg: Option<f64>,
    /// Free lift at launch, kg.
    pub free_lift_kg: Option<f64>,
    /// Gas volume at launch, m³.
    pub fill_m3: Option<f64>,
    /// Drag coefficient.
    pub cd: Option<f64>,
    /// Drag area.
    pub area: Option<AreaOption>,
    /// Climb above the ceiling before a sealed envelope bursts, m.
    pub overshoot_m: Option<f64>,
    /// Gas leak, %/h.
    pub leak_pct_h: Option<f64>,
    /// Day superheat of a floating vented envelope, K.
    pub superheat_k: Option<f64>,
    /// Timer stages.
    pub timer: Option<TimerOption>,
    /// Timer error, 1-σ relative.
    pub timer_jitter: Option<f64>,
    /// Probability that a timer stage fails.
    pub timer_fail: Option<f64>,
    /// Payload: leaflets with this median sea-level fall speed, m/s.
    pub leaflets_m_s: Option<f64>,
    /// Payload: an intact bundle with this sea-level fall speed, m/s.
    pub bundle_m_s: Option<f64>,
    /// Maximum flight time, hours.
    pub max_hours: Option<f64>,
    /// Integration step, s.
    pub step_s: Option<f64>,
}

/// `--area`: a number of m² or `sphere`.
pub fn parse_area(text: &str) -> Result<AreaOption, Error> {
    if text.eq_ignore_ascii_case("sphere") {
        return Ok(AreaOption::Sphere);
    }
    text.parse().map(AreaOption::M2).map_err(|_| {
        Error::invalid(
            "area",
            format!("--area: `{text}` is not a number of m² or `sphere`"),
        )
    })
}

impl FlightOptions {
    /// Builds the profile: the preset (or `default_preset`, or the profile kind), then the
    /// overrides, then the flight crate's range checks.
    pub fn profile(&self, default_preset: &str) -> Result<Profile, Error> {
        let mut p = match (&self.preset, self.profile) {
            (Some(name), _) => Profile::preset(name)?,
            (None, Some(ProfileKind::Standard)) => Profile::preset("standard")?,
            (None, Some(ProfileKind::Sealed)) => {
                let mut p = Profile::preset("ffnk-tube")?;
                p.name = "sealed".into();
                p
            }
            (None, Some(ProfileKind::Vented)) => {
                let mut p = Profile::preset("slack-tube")?;
                p.name = "vented".into();
                p
            }
            (None, None) => Profile::preset(default_preset)?,
        };
        if let (Some(kind), Some(_)) = (self.profile, &self.preset) {
            match (&mut p.carrier, kind) {
                (Carrier::Balloon(b), ProfileKind::Sealed) => b.envelope = Envelope::Sealed,
                (Carrier::Balloon(b), ProfileKind::Vented) => b.envelope = Envelope::Vented,
                (Carrier::Standard(_), ProfileKind::Standard) => {}
                _ => {
                    return Err(Error::invalid(
                        "profile",
                        format!("--profile {kind:?} does not fit preset `{}`", p.name),
                    ));
                }
            }
        }
        match &mut p.carrier {
            Carrier::Standard(s) => {
                let balloon_only = [
                    ("gas", "--gas", self.gas.is_some()),
                    ("volume_m3", "--volume", self.volume_m3.is_some()),
                    (
                        "envelope_mass_kg",
                        "--envelope-mass",
                        self.envelope_mass_kg.is_some(),
                    ),
                    ("payload_kg", "--payload", self.payload_kg.is_some()),
                    ("free_lift_kg", "--free-lift", self.free_lift_kg.is_some()),
                    ("fill_m3", "--fill", self.fill_m3.is_some()),
                    ("cd", "--cd", self.cd.is_some()),
                    ("area", "--area", self.area.is_some()),
                    ("overshoot_m", "--overshoot", self.overshoot_m.is_some()),
                    ("leak_pct_h", "--leak", self.leak_pct_h.is_some()),
                    ("superheat_k", "--superheat", self.superheat_k.is_some()),
                    ("timer", "--timer", self.timer.is_some()),
                    ("leaflets_m_s", "--leaflets", self.leaflets_m_s.is_some()),
                ];
                if let Some((field, flag, _)) = balloon_only.iter().find(|f| f.2) {
                    return Err(Error::invalid(
                        field,
                        format!(
                            "{flag} is for balloon profiles (--profile sealed|vented or a balloon preset), not the standard profile"
                        ),
                    ));
                }
                *s = Standard {
                    ascent_m_s: self.ascent_m_s.unwrap_or(s.ascent_m_s),
                    burst_alt_m: self.burst_alt_m.unwrap_or(s.burst_alt_m),
                    descent_m_s: self.descent_m_s.unwrap_or(s.descent_m_s),
                };
                if let Some(v) = self.bundle_m_s {
                    p.payload = Payload::Bundle { v0_m_s: v };
                }
            }
            Carrier::Balloon(b) => {
                if self.burst_alt_m.is_some() || self.descent_m_s.is_some() {
                    return Err(Error::invalid(
                        if self.burst_alt_m.is_some() {
                            "burst_alt_m"
                        } else {
                            "descent_m_s"
                        },
                        "--burst and --descent are for the standard profile; a balloon bursts at its ceiling (see --volume, --overshoot)",
                    ));
                }
                self.apply_balloon(b)?;
            }
        }
        if let Some(t) = &self.timer {
            let (jitter, p_fail) = match &p.release {
                Release::Timer { jitter, p_fail, .. } => (*jitter, *p_fail),
                _ => (0.1, 0.1),
            };
            p.release = match t {
                TimerOption::None => Release::None,
                TimerOption::Stages(stages) => Release::Timer {
                    stages: stages
                        .iter()
                        .map(|&(after_h, fraction)| TimerStage { after_h, fraction })
                        .collect(),
                    jitter,
                    p_fail,
                },
            };
        }
        if let Release::Timer { jitter, p_fail, .. } = &mut p.release {
            *jitter = self.timer_jitter.unwrap_or(*jitter);
            *p_fail = self.timer_fail.unwrap_or(*p_fail);
        } else if self.timer_jitter.is_some() || self.timer_fail.is_some() {
            return Err(Error::invalid(
                if self.timer_jitter.is_some() {
                    "timer_jitter"
                } else {
                    "timer_fail"
                },
                "--timer-jitter and --timer-fail need a timer (--timer)",
            ));
        }
        if let Some(v) = self.leaflets_m_s {
            let template = match p.payload {
                leaflets @ Payload::Leaflets { .. } => leaflets,
                Payload::Bundle { .. } => Payload::vinyl_leaflets(),
            };
            p.payload = match template {
                Payload::Leaflets {
                    sigma_ln,
                    particles,
                    turbulence_m_s,
                    turbulence_tau_s,
                    ..
                } => Payload::Leaflets {
                    v0_m_s: v,
                    sigma_ln,
                    particles,
                    turbulence_m_s,
                    turbulence_tau_s,
                },
                other => other,
            };
        }
        if let (Some(v), Carrier::Balloon(_)) = (self.bundle_m_s, &p.carrier) {
            p.payload = Payload::Bundle { v0_m_s: v };
        }
        p.max_flight_h = self.max_hours.unwrap_or(p.max_flight_h);
        p.step_s = self.step_s.unwrap_or(p.step_s);
        p.validate()?;
        Ok(p)
    }

    fn apply_balloon(&self, b: &mut Balloon) -> Result<(), Error> {
        if let Some(g) = self.gas {
            b.gas = match g {
                GasOption::H2 => Gas::Hydrogen,
                GasOption::He => Gas::Helium,
            };
        }
        b.v_max_m3 = self.volume_m3.unwrap_or(b.v_max_m3);
        b.envelope_kg = self.envelope_mass_kg.unwrap_or(b.envelope_kg);
        b.payload_kg = self.payload_kg.unwrap_or(b.payload_kg);
        b.cd = self.cd.unwrap_or(b.cd);
        b.overshoot_m = self.overshoot_m.unwrap_or(b.overshoot_m);
        b.leak_pct_h = self.leak_pct_h.unwrap_or(b.leak_pct_h);
        b.superheat_k = self.superheat_k.unwrap_or(b.superheat_k);
        match self.area {
            Some(AreaOption::Sphere) => b.area_m2 = None,
            Some(AreaOption::M2(a)) => b.area_m2 = Some(a),
            None => {}
        }
        match (self.free_lift_kg, self.fill_m3, self.ascent_m_s) {
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "ascent_m_s",
                    "give one of --free-lift, --fill and --ascent: each fixes the gas at launch",
                ));
            }
            (Some(fl), None, None) => {
                if fl <= 0.0 {
                    return Err(Error::invalid(
                        "free_lift_kg",
                        format!(
                            "free lift is {fl:.1} kg: this balloon will not rise (--free-lift must be positive)"
                        ),
                    ));
                }
                b.lift = Lift::FreeLiftKg(fl);
            }
            (None, Some(v), None) => b.lift = Lift::FillM3(v),
            (None, None, Some(v)) => b.lift = Lift::AscentMS(v),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_preset_then_overrides() {
        let p = FlightOptions::default().profile("slack-tube").unwrap();
        assert_eq!(p.name, "slack-tube");
        let o = FlightOptions {
            profile: Some(ProfileKind::Standard),
            ascent_m_s: Some(4.0),
            burst_alt_m: Some(9000.0),
            ..FlightOptions::default()
        };
        match o.profile("slack-tube").unwrap().carrier {
            Carrier::Standard(s) => {
                assert_eq!((s.ascent_m_s, s.burst_alt_m), (4.0, 9000.0));
            }
            Carrier::Balloon(_) => panic!("a standard profile was asked for"),
        }
    }

    #[test]
    fn balloon_flags_on_the_standard_profile_name_their_field() {
        let o = FlightOptions {
            profile: Some(ProfileKind::Standard),
            leak_pct_h: Some(1.0),
            ..FlightOptions::default()
        };
        let e = o.profile("standard").unwrap_err();
        assert_eq!(e.field(), Some("leak_pct_h"));
        assert!(e.to_string().starts_with("--leak is for balloon profiles"));
    }

    #[test]
    fn one_way_to_fix_the_gas() {
        let o = FlightOptions {
            free_lift_kg: Some(1.0),
            ascent_m_s: Some(3.0),
            ..FlightOptions::default()
        };
        assert_eq!(
            o.profile("slack-tube").unwrap_err().field(),
            Some("ascent_m_s")
        );
        let o = FlightOptions {
            free_lift_kg: Some(-1.0),
            ..FlightOptions::default()
        };
        assert!(
            o.profile("slack-tube")
                .unwrap_err()
                .to_string()
                .contains("will not rise")
        );
    }

    #[test]
    fn timer_none_removes_the_timer_and_jitter_then_needs_one() {
        let o = FlightOptions {
            preset: Some("slack-tube".into()),
            timer: Some(TimerOption::None),
            timer_jitter: Some(0.2),
            ..FlightOptions::default()
        };
        assert_eq!(
            o.profile("standard").unwrap_err().field(),
            Some("timer_jitter")
        );
    }

    #[test]
    fn area_reads_sphere_or_square_metres() {
        assert_eq!(parse_area("SPHERE").unwrap(), AreaOption::Sphere);
        assert_eq!(parse_area("2.5").unwrap(), AreaOption::M2(2.5));
        assert_eq!(parse_area("big").unwrap_err().field(), Some("area"));
    }
}
