//! Velocity models: wind (plus an ensemble member's wind error and a particle's turbulence)
//! for the horizontal, one of a few vertical laws for the vertical. All are pure functions of
//! the state; the random parts are drawn beforehand onto lattices.

use std::f64::consts::PI;

use saebaram_forecast::{OutOfDomain, WindField};

use crate::atmosphere::{G0_M_S2, RHO0_KG_M3, tawhiri_descent_m_s};
use crate::integrate::{Model, Point, rates_from_velocity};
use crate::random::Stream;

/// Cross-section of a sphere of volume `v_m3`, m².
pub fn sphere_area_m2(v_m3: f64) -> f64 {
    PI * (3.0 * v_m3 / (4.0 * PI)).powf(2.0 / 3.0)
}

/// Steady vertical speed (m/s) of a balloon with `lift_kg` net lift (negative: sinking),
/// drag `cd` on `area_m2` in air of density `rho`: `sign(L)·sqrt(2·g·|L| / (ρ·Cd·A))`
/// (the CUSF burst calculator's ascent formula).
pub fn lift_speed_m_s(lift_kg: f64, cd: f64, area_m2: f64, rho: f64) -> f64 {
    let v = (2.0 * G0_M_S2 * lift_kg.abs() / (rho * cd * area_m2)).sqrt();
    if lift_kg >= 0.0 { v } else { -v }
}

/// A balloon's vertical law: gas amount (as the mass of air it displaces at ambient
/// conditions, so that the gas volume at any height is `air_kg/ρ`), leaking exponentially
/// from `t_ref`; vented envelopes hold at most `v_max_m3`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalloonLift {
    /// Displaced-air mass of the gas at `t_ref`, kg.
    pub gas_air_kg: f64,
    /// Time the gas amount refers to, UNIX s.
    pub t_ref: f64,
    /// Leak rate, 1/s.
    pub leak_per_s: f64,
    /// Full volume, m³.
    pub v_max_m3: f64,
    /// Whether the envelope vents at full volume (else it is sealed and bursts).
    pub vented: bool,
    /// Everything that is not gas, kg.
    pub mass_kg: f64,
    /// `1 - M_gas/M_air`.
    pub buoyancy: f64,
    /// Drag coefficient.
    pub cd: f64,
    /// Fixed cross-section, m² (a tube); None: a sphere of the gas volume.
    pub area_m2: Option<f64>,
    /// Day superheat in full sun, K (0: none). See [`BalloonLift::speed_at`].
    pub superheat_k: f64,
}

/// Relative superheat `ΔT/T` of gas `superheat_k` warmer than the air in full sun, at a
/// time and place (the sun's share from [`crate::sun::superheat_share`]), with the air
/// temperature taken from ISA at the altitude: the wind interface gives density, not
/// temperature, and 15 K of error in T moves the result by 6 %.
pub fn relative_superheat(superheat_k: f64, t_unix_s: f64, lat: f64, lon: f64, alt_m: f64) -> f64 {
    if superheat_k == 0.0 {
        return 0.0;
    }
    superheat_k * crate::sun::superheat_share(t_unix_s, lat, lon)
        / saebaram_forecast::isa::temperature_k(alt_m)
}

impl BalloonLift {
    /// Displaced-air mass of the gas at time `t`, before venting.
    pub fn gas_at(&self, t: f64) -> f64 {
        self.gas_air_kg * (-self.leak_per_s * (t - self.t_ref).max(0.0)).exp()
    }

    /// Gas volume at time `t` in air of density `rho` (capped at full volume when vented).
    pub fn volume_m3(&self, t: f64, rho: f64) -> f64 {
        let v = self.gas_at(t) / rho;
        if self.vented { v.min(self.v_max_m3) } else { v }
    }

    /// Vertical speed, m/s.
    pub fn speed_m_s(&self, t: f64, rho: f64) -> f64 {
        let vol = self.volume_m3(t, rho);
        let lift = vol * rho * self.buoyancy - self.mass_kg;
        lift_speed_m_s(
            lift,
            self.cd,
            self.area_m2.unwrap_or_else(|| sphere_area_m2(vol)),
            rho,
        )
    }

    /// Vertical speed, m/s, with the gas `s = ΔT/T` warmer than the air (relative
    /// superheat). The gas `A` (as ambient-air mass) then fills `V = A·(1+s)/ρ`, capped at
    /// full volume when vented, and the lift is `V·ρ·(s + b)/(1 + s) − m` (`b` the gas's
    /// buoyancy): `A·(b + s) − m` below full volume, `V_max·ρ·(1 − (1−b)/(1+s)) − m` at it.
    /// With `s = 0` this is [`BalloonLift::speed_m_s`].
    pub fn speed_superheated_m_s(&self, t: f64, rho: f64, s: f64) -> f64 {
        if s == 0.0 {
            return self.speed_m_s(t, rho);
        }
        let mut vol = self.gas_at(t) * (1.0 + s) / rho;
        if self.vented {
            vol = vol.min(self.v_max_m3);
        }
        let lift = vol * rho * (self.buoyancy + s) / (1.0 + s) - self.mass_kg;
        lift_speed_m_s(
            lift,
            self.cd,
            self.area_m2.unwrap_or_else(|| sphere_area_m2(vol)),
            rho,
        )
    }

    /// Vertical speed at a point, m/s: [`BalloonLift::speed_superheated_m_s`] with the
    /// superheat the sun gives there and then ([`relative_superheat`]).
    #[inline]
    pub fn speed_at(&self, p: &Point, rho: f64) -> f64 {
        if self.superheat_k == 0.0 {
            return self.speed_m_s(p.t_unix_s, rho);
        }
        let s = relative_superheat(self.superheat_k, p.t_unix_s, p.lat, p.lon, p.alt_m);
        self.speed_superheated_m_s(p.t_unix_s, rho, s)
    }

    /// The most gas (as ambient-air mass) a vented envelope holds at density `rho` with
    /// relative superheat `s`: what is left after venting, `V_max·ρ/(1+s)`.
    pub fn vented_gas_cap(&self, rho: f64, s: f64) -> f64 {
        self.v_max_m3 * rho / (1.0 + s)
    }
}

/// Vertical laws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Vertical {
    /// Constant rate, m/s (P0 ascent).
    Constant(f64),
    /// Tawhiri's parachute: `-(1.1045·rate)/sqrt(ρ_NASA(h))`, sea-level rate in m/s.
    TawhiriDrag(f64),
    /// A falling body: `-v0·sqrt(ρ0/ρ)` with the field's density.
    Fall(f64),
    /// A balloon from its lift.
    Balloon(BalloonLift),
}

/// A member's wind error: vector noise on a time × height lattice, correlated in both (a
/// separable AR(1) field), with an RMS that grows with forecast lead time, plus a time-only
/// random walk felt while floating.
///
/// Both are drawn lazily, a row of the lattice (one time, every height) at a time as the
/// flight reaches it, from streams of their own forked off the member's stream when the
/// noise is made: a flight of 3 h does not pay for the 26 h its lattice could span, and what
/// the member draws after making the noise does not depend on how far its flight went.
#[derive(Debug, Clone)]
pub struct WindNoise {
    t0: f64,
    dt_s: f64,
    dh_m: f64,
    /// Rows the lattice may have (the span), and heights per row.
    nt: usize,
    nh: usize,
    walk_dt_s: f64,
    /// Points the walk may have.
    nw: usize,
    lattice: std::cell::RefCell<Lattice>,
    walk: std::cell::RefCell<Walk>,
}

/// The rows of the lattice drawn so far.
#[derive(Debug, Clone)]
struct Lattice {
    rng: Stream,
    /// AR(1) factors in time and height.
    a: f64,
    b: f64,
    /// RMS per row: `sigma(lead)`, from the spec, the first row's time and the run.
    spec: NoiseSpec,
    t0_lead_s: f64,
    dt_s: f64,
    /// The standardised field of the last row, per component.
    z: [Vec<f64>; 2],
    /// Rows drawn, scaled to m/s: `u[i * nh + j]`.
    u: Vec<f32>,
    v: Vec<f32>,
    rows: usize,
}

/// The float walk's points drawn so far.
#[derive(Debug, Clone)]
struct Walk {
    rng: Stream,
    a: f64,
    scale: f64,
    z: (f64, f64),
    u: Vec<f32>,
    v: Vec<f32>,
}

impl Lattice {
    /// Draws rows until there are `rows` (at most `nt`).
    fn grow(&mut self, rows: usize, nh: usize) {
        let (a, b) = (self.a, self.b);
        let cb = (1.0 - b * b).sqrt();
        let ca = (1.0 - a * a).sqrt();
        let cab = ca * cb;
        let mut e = vec![0.0f64; 2 * nh];
        while self.rows < rows {
            for k in 0..nh {
                let (x, y) = self.rng.normal_pair();
                e[2 * k] = x;
                e[2 * k + 1] = y;
            }
            let i = self.rows;
            let sigma = self.spec.sigma_m_s(self.t0_lead_s + i as f64 * self.dt_s);
            for (c, zc) in self.z.iter_mut().enumerate() {
                let e = &e[c * nh..(c + 1) * nh];
                if i == 0 {
                    zc[0] = e[0];
                    for j in 1..nh {
                        zc[j] = b * zc[j - 1] + cb * e[j];
                    }
                } else {
                    // In place: zc[j-1] is already this row's, `prev` keeps the last row's.
                    let mut prev = zc[0];
                    zc[0] = a * zc[0] + ca * e[0];
                    for j in 1..nh {
                        let up = zc[j];
                        zc[j] = a * up + b * zc[j - 1] - a * b * prev + cab * e[j];
                        prev = up;
                    }
                }
                let out = if c == 0 { &mut self.u } else { &mut self.v };
                out.extend(zc.iter().map(|z| (z * sigma) as f32));
            }
            self.rows += 1;
        }
    }
}

impl Walk {
    fn grow(&mut self, points: usize) {
        let b = (1.0 - self.a * self.a).sqrt();
        while self.u.len() < points {
            self.u.push((self.z.0 * self.scale) as f32);
            self.v.push((self.z.1 * self.scale) as f32);
            let (x, y) = self.rng.normal_pair();
            self.z = (self.a * self.z.0 + b * x, self.a * self.z.1 + b * y);
        }
    }
}

/// Settings of [`WindNoise`] (spec defaults in [`NoiseSpec::default`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct NoiseSpec {
    /// RMS of each component at lead 0, m/s (2.5).
    pub base_m_s: f64,
    /// Growth per day of lead, m/s (1.5): σ = sqrt(base² + (growth·lead_days)²).
    pub growth_m_s_per_day: f64,
    /// Decorrelation time, s (6 h).
    pub tau_s: f64,
    /// Decorrelation height, m (1.5 km).
    pub scale_h_m: f64,
    /// Extra random-walk RMS while floating, m/s (1).
    pub float_walk_m_s: f64,
    /// Its decorrelation time, s (1 h).
    pub float_walk_tau_s: f64,
}

impl Default for NoiseSpec {
    fn default() -> Self {
        NoiseSpec {
            base_m_s: 2.5,
            growth_m_s_per_day: 1.5,
            tau_s: 6.0 * 3600.0,
            scale_h_m: 1500.0,
            float_walk_m_s: 1.0,
            float_walk_tau_s: 3600.0,
        }
    }
}

impl NoiseSpec {
    /// The wind error left when each member flies a member of a forecast ensemble: the
    /// sub-grid part only. The members' spread is the forecast's own estimate of the error
    /// that grows with lead time, so the growth term goes (0 m/s per day). What no member
    /// resolves stays: the difference between a grid-box wind and the wind at a point,
    /// taken as 1.5 m/s per component, the middle of the 0.5-2 m/s radiosonde component
    /// errors of balloon-physics.md §2 [47] (an *assumption*, like the deterministic spec),
    /// decorrelating over 3 h and 1 km (shorter than the deterministic error's 6 h and
    /// 1.5 km: smaller scales), and the float's 1 m/s random walk (unresolved gravity waves
    /// [45]) unchanged.
    pub fn sub_grid() -> NoiseSpec {
        NoiseSpec {
            base_m_s: 1.5,
            growth_m_s_per_day: 0.0,
            tau_s: 3.0 * 3600.0,
            scale_h_m: 1000.0,
            ..NoiseSpec::default()
        }
    }

    /// RMS wind error (per component) at a lead time, m/s.
    pub fn sigma_m_s(&self, lead_s: f64) -> f64 {
        let days = lead_s.max(0.0) / 86_400.0;
        (self.base_m_s.powi(2) + (self.growth_m_s_per_day * days).powi(2)).sqrt()
    }
}

fn lerp_series(xs: &[f32], x: f64) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let x = x.max(0.0);
    let i = x.floor() as usize;
    if i + 1 >= xs.len() {
        return xs[xs.len() - 1] as f64;
    }
    let f = x - i as f64;
    xs[i] as f64 * (1.0 - f) + xs[i + 1] as f64 * f
}

impl WindNoise {
    /// Makes a member's wind error over `[t_start, t_start + span_s]`, for a forecast run at
    /// `run_time` (lead = t - run_time), forking its streams off `rng`.
    pub fn draw(
        spec: &NoiseSpec,
        rng: &mut Stream,
        t_start: f64,
        span_s: f64,
        run_time: f64,
    ) -> WindNoise {
        let dt_s = 3600.0;
        let dh_m = 500.0;
        let nt = (span_s / dt_s).ceil() as usize + 2;
        let nh = 33; // 0..16 km
        let walk_dt_s = 600.0;
        let nw = (span_s / walk_dt_s).ceil() as usize + 2;
        let lattice = Lattice {
            rng: rng.fork(),
            a: (-dt_s / spec.tau_s).exp(),
            b: (-dh_m / spec.scale_h_m).exp(),
            spec: *spec,
            t0_lead_s: t_start - run_time,
            dt_s,
            z: [vec![0.0; nh], vec![0.0; nh]],
            u: Vec::with_capacity(8 * nh),
            v: Vec::with_capacity(8 * nh),
            rows: 0,
        };
        let mut walk_rng = rng.fork();
        let z = walk_rng.normal_pair();
        let walk = Walk {
            rng: walk_rng,
            a: (-walk_dt_s / spec.float_walk_tau_s).exp(),
            scale: spec.float_walk_m_s,
            z,
            u: Vec::new(),
            v: Vec::new(),
        };
        WindNoise {
            t0: t_start,
            dt_s,
            dh_m,
            nt,
            nh,
            walk_dt_s,
            nw,
            lattice: std::cell::RefCell::new(lattice),
            walk: std::cell::RefCell::new(walk),
        }
    }

    /// The (u, v) error at a time and height; `floating` adds the float random walk.
    #[inline]
    pub fn at(&self, t: f64, alt_m: f64, floating: bool) -> (f64, f64) {
        let x = ((t - self.t0) / self.dt_s).clamp(0.0, (self.nt - 1) as f64);
        let y = (alt_m / self.dh_m).clamp(0.0, (self.nh - 1) as f64);
        let i = (x as usize).min(self.nt - 2);
        let j = (y as usize).min(self.nh - 2);
        let (fx, fy) = (x - i as f64, y - j as f64);
        let mut lattice = self.lattice.borrow_mut();
        if lattice.rows < i + 2 {
            lattice.grow(i + 2, self.nh);
        }
        let nh = self.nh;
        let bil = |g: &[f32]| {
            let g00 = g[i * nh + j] as f64;
            let g01 = g[i * nh + j + 1] as f64;
            let g10 = g[(i + 1) * nh + j] as f64;
            let g11 = g[(i + 1) * nh + j + 1] as f64;
            (g00 * (1.0 - fy) + g01 * fy) * (1.0 - fx) + (g10 * (1.0 - fy) + g11 * fy) * fx
        };
        let (mut du, mut dv) = (bil(&lattice.u), bil(&lattice.v));
        drop(lattice);
        if floating {
            let w = ((t - self.t0) / self.walk_dt_s).max(0.0);
            let need = ((w as usize) + 2).min(self.nw);
            let mut walk = self.walk.borrow_mut();
            if walk.u.len() < need {
                walk.grow(need);
            }
            du += lerp_series(&walk.u, w);
            dv += lerp_series(&walk.v, w);
        }
        (du, dv)
    }
}

/// A particle's turbulent horizontal velocity: AR(1) in time on a lattice.
#[derive(Debug, Clone, Default)]
pub struct Turbulence {
    t0: f64,
    dt_s: f64,
    u: Vec<f32>,
    v: Vec<f32>,
}

impl Turbulence {
    /// Draws `span_s` seconds of turbulence with RMS `sigma_m_s` and decorrelation `tau_s`,
    /// reusing `self`'s buffers.
    pub fn redraw(&mut self, rng: &mut Stream, t0: f64, span_s: f64, sigma_m_s: f64, tau_s: f64) {
        self.t0 = t0;
        self.dt_s = tau_s;
        let n = (span_s / self.dt_s).ceil() as usize + 2;
        let a = (-1.0f64).exp();
        let b = (1.0 - a * a).sqrt();
        for buf in [&mut self.u, &mut self.v] {
            buf.clear();
            let mut z = rng.normal();
            for _ in 0..n {
                buf.push((z * sigma_m_s) as f32);
                z = a * z + b * rng.normal();
            }
        }
    }

    #[inline]
    fn at(&self, t: f64) -> (f64, f64) {
        let x = (t - self.t0) / self.dt_s;
        (lerp_series(&self.u, x), lerp_series(&self.v, x))
    }
}

/// The model used for every stage: wind (+ errors) horizontally, `vertical` vertically.
pub struct Motion<'a, W: WindField + ?Sized> {
    /// The wind field.
    pub field: &'a W,
    /// The vertical law.
    pub vertical: Vertical,
    /// The member's wind error, if any.
    pub noise: Option<&'a WindNoise>,
    /// The particle's turbulence, if any.
    pub turbulence: Option<&'a Turbulence>,
    /// Whether this stage floats (adds the float random walk of the noise).
    pub floating: bool,
}

impl<W: WindField + ?Sized> Model for Motion<'_, W> {
    #[inline]
    fn rates(&self, p: &Point) -> Result<[f64; 3], OutOfDomain> {
        // Only the falling body and the balloon need the air density: the others ask for
        // the wind alone, which saves a pressure and a density per lookup.
        let (mut u, mut v, rho) = match self.vertical {
            Vertical::Constant(_) | Vertical::TawhiriDrag(_) => {
                let (u, v) = self.field.wind_uv(p.t_unix_s, p.lat, p.lon, p.alt_m)?;
                (u, v, f64::NAN)
            }
            Vertical::Fall(_) | Vertical::Balloon(_) => {
                let w = self.field.wind(p.t_unix_s, p.lat, p.lon, p.alt_m)?;
                (w.u_m_s, w.v_m_s, w.density_kg_m3)
            }
        };
        if let Some(n) = self.noise {
            let (du, dv) = n.at(p.t_unix_s, p.alt_m, self.floating);
            u += du;
            v += dv;
        }
        if let Some(tb) = self.turbulence {
            let (du, dv) = tb.at(p.t_unix_s);
            u += du;
            v += dv;
        }
        let vz = match self.vertical {
            Vertical::Constant(r) => r,
            Vertical::TawhiriDrag(r) => tawhiri_descent_m_s(r, p.alt_m),
            Vertical::Fall(v0) => -v0 * (RHO0_KG_M3 / rho).sqrt(),
            Vertical::Balloon(b) => b.speed_at(p, rho),
        };
        Ok(rates_from_velocity(p, u, v, vz))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CUSF burst calculator (projecthorus/cusf-burst-calc, js/calc.js) as balloon-physics.md
    /// §2 gives it: gross lift = V(ρ_air - ρ_gas), FL = (gross - m_b - m_p)·g,
    /// v = sqrt(FL / (½·Cd·A·ρ_air)), A from the launch volume as a sphere, ρ_air 1.205.
    #[test]
    fn ascent_from_free_lift_matches_the_cusf_formula() {
        let (rho_air, rho_h2, g) = (1.205, 0.0899, 9.80665);
        for (v_launch, m_balloon, m_payload, cd) in [
            (12.0, 3.0, 10.0, 0.8),
            (4.0, 1.2, 2.0, 0.3),
            (2.5, 0.6, 0.5, 0.25),
        ] {
            let gross = v_launch * (rho_air - rho_h2);
            let fl_n = (gross - m_balloon - m_payload) * g;
            let r = (3.0 * v_launch / (4.0 * PI)).powf(1.0 / 3.0);
            let area = PI * r * r;
            let cusf = (fl_n / (0.5 * cd * area * rho_air)).sqrt();
            // Ours, given the same gas (as displaced air: V·ρ_air) and CUSF's buoyancy.
            let b = BalloonLift {
                gas_air_kg: v_launch * rho_air,
                t_ref: 0.0,
                leak_per_s: 0.0,
                v_max_m3: 100.0,
                vented: false,
                mass_kg: m_balloon + m_payload,
                buoyancy: 1.0 - rho_h2 / rho_air,
                cd,
                area_m2: None,
                superheat_k: 0.0,
            };
            let ours = b.speed_m_s(0.0, rho_air);
            assert!((ours - cusf).abs() < 1e-6 * cusf, "{ours} vs {cusf}");
        }
    }

    #[test]
    fn noise_rms_grows_with_lead_time_as_specified() {
        let s = NoiseSpec::default();
        for (days, want) in [(1.0, 2.92), (3.0, 5.15), (5.0, 7.91)] {
            assert!((s.sigma_m_s(days * 86_400.0) - want).abs() < 0.01);
        }
    }

    #[test]
    fn noise_is_correlated_in_height_and_has_the_right_size() {
        let spec = NoiseSpec::default();
        let (mut sum_sq, mut sum_near, mut sum_far, mut n) = (0.0, 0.0, 0.0, 0.0);
        for m in 0..400 {
            let mut rng = Stream::new(3, 0, m);
            let noise = WindNoise::draw(&spec, &mut rng, 0.0, 6.0 * 3600.0, 0.0);
            let (a, _) = noise.at(3600.0, 3000.0, false);
            let (b, _) = noise.at(3600.0, 3500.0, false);
            let (c, _) = noise.at(3600.0, 9000.0, false);
            sum_sq += a * a;
            sum_near += a * b;
            sum_far += a * c;
            n += 1.0;
        }
        let var = sum_sq / n;
        assert!((var.sqrt() - 2.5).abs() < 0.3, "rms {}", var.sqrt());
        let near = sum_near / n / var;
        let far = sum_far / n / var;
        assert!(near > 0.55 && far < 0.3, "corr 500 m {near}, 6 km {far}");
    }
}

#[cfg(test)]
mod superheat_tests {
    use super::*;

    fn tube(gas_air_kg: f64) -> BalloonLift {
        BalloonLift {
            gas_air_kg,
            t_ref: 0.0,
            leak_per_s: 0.0,
            v_max_m3: 20.0,
            vented: true,
            mass_kg: 13.0,
            buoyancy: 0.93,
            cd: 0.8,
            area_m2: Some(2.5),
            superheat_k: 10.0,
        }
    }

    #[test]
    fn superheat_lift_matches_the_closed_forms() {
        // 14 kg of gas fills 18.2 m³ at 0.8 kg/m³ with s = 0.038: not full; 16 kg is.
        let rho = 0.8;
        let s = 10.0 / 260.0;
        // Below full volume: lift A·(b + s) − m (and s = 0 is the plain law, bit for bit).
        let b = tube(14.0);
        let lift = 14.0 * (0.93 + s) - 13.0;
        let want = (2.0 * G0_M_S2 * lift / (rho * 0.8 * 2.5)).sqrt();
        assert!((b.speed_superheated_m_s(0.0, rho, s) - want).abs() < 1e-12);
        assert_eq!(
            b.speed_superheated_m_s(0.0, rho, 0.0).to_bits(),
            b.speed_m_s(0.0, rho).to_bits()
        );
        // Full (it vents): lift V_max·ρ·(1 − (1−b)/(1+s)) − m.
        let b = tube(16.0);
        let lift = 20.0 * rho * (1.0 - 0.07 / (1.0 + s)) - 13.0;
        let want = lift.signum() * (2.0 * G0_M_S2 * lift.abs() / (rho * 0.8 * 2.5)).sqrt();
        assert!((b.speed_superheated_m_s(0.0, rho, s) - want).abs() < 1e-12);
        // What is left after venting, cooled: V_max·ρ/(1+s), a lift deficit of
        // V_max·ρ·s/(1+s) below the full-sun equilibrium.
        let cap = b.vented_gas_cap(rho, s);
        assert!((cap - 20.0 * rho / (1.0 + s)).abs() < 1e-12);
        let day = 20.0 * rho * (0.93 + s) / (1.0 + s);
        let night = cap * 0.93;
        assert!((day - night - 20.0 * rho * s / (1.0 + s)).abs() < 1e-12);
    }

    #[test]
    fn speed_at_takes_the_sun_from_time_and_place() {
        let b = tube(14.0);
        // 2019-06-21 03:30 UTC: noon at Seoul; 15:00 UTC: midnight.
        let noon = Point {
            t_unix_s: 1_561_075_200.0 + 3.5 * 3600.0,
            lat: 37.57,
            lon: 126.98,
            alt_m: 5000.0,
        };
        let night = Point {
            t_unix_s: noon.t_unix_s + 11.5 * 3600.0,
            ..noon
        };
        let s = 10.0 / saebaram_forecast::isa::temperature_k(5000.0);
        assert!(
            (relative_superheat(10.0, noon.t_unix_s, noon.lat, noon.lon, 5000.0) - s).abs() < 1e-15
        );
        assert_eq!(b.speed_at(&noon, 0.7), b.speed_superheated_m_s(0.0, 0.7, s));
        assert_eq!(b.speed_at(&night, 0.7), b.speed_m_s(0.0, 0.7));
    }
}

#[cfg(test)]
mod walk_tests {
    use super::*;

    #[test]
    fn the_float_walk_has_1_m_s_rms_a_1_h_memory_and_only_while_floating() {
        let spec = NoiseSpec::default();
        let (mut sq, mut lag1h, mut lag0, mut n) = (0.0, 0.0, 0.0, 0.0);
        for m in 0..600 {
            let mut rng = Stream::new(5, 1, m);
            let noise = WindNoise::draw(&spec, &mut rng, 0.0, 12.0 * 3600.0, 0.0);
            let walk = |t: f64| {
                let (fu, _) = noise.at(t, 4000.0, true);
                let (gu, _) = noise.at(t, 4000.0, false);
                fu - gu
            };
            // Not floating: no walk at all.
            assert_eq!(
                noise.at(7200.0, 4000.0, false),
                noise.at(7200.0, 4000.0, false)
            );
            let a = walk(3.0 * 3600.0);
            let b = walk(4.0 * 3600.0);
            sq += a * a;
            lag1h += a * b;
            lag0 += a * walk(3.0 * 3600.0 + 600.0);
            n += 1.0;
        }
        let var = sq / n;
        // RMS 1 m/s; correlation e^-1 after τ = 1 h, e^-1/6 after 10 min.
        assert!((var.sqrt() - 1.0).abs() < 0.08, "rms {}", var.sqrt());
        let r1 = lag1h / n / var;
        let r10 = lag0 / n / var;
        assert!((r1 - (-1.0f64).exp()).abs() < 0.1, "1 h: {r1}");
        assert!((r10 - (-1.0f64 / 6.0).exp()).abs() < 0.06, "10 min: {r10}");
    }
}
