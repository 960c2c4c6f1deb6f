//! Air density models used by the vertical models.
//!
//! Two models are used on purpose:
//! - [`nasa_density_kg_m3`]: the NASA Glenn "atmosmet" piecewise model that tawhiri's parachute
//!   descent uses (altitude only). P0 uses it so that a standard flight lands where tawhiri's
//!   model lands.
//! - the wind field's own density (`Wind::density_kg_m3`, NWP temperature where the forecast
//!   has it, ISA otherwise) for every other profile.

/// ISA sea-level density, kg/m³ (the `ρ0` of `v = v0·sqrt(ρ0/ρ)`).
pub const RHO0_KG_M3: f64 = 1.225;

/// Standard gravity, m/s².
pub const G0_M_S2: f64 = 9.806_65;

/// Tawhiri's constant in `v = -(1.1045·rate)/sqrt(ρ(h))` (≈ sqrt of its sea-level density).
pub const TAWHIRI_DRAG_K: f64 = 1.1045;

/// Density of the NASA Glenn model that tawhiri's descent uses, kg/m³.
///
/// Piecewise in altitude (m): troposphere below 11 km, isothermal to 25 km, a warming layer
/// above. Pressure in kPa, temperature in °C, as the model is published.
pub fn nasa_density_kg_m3(alt_m: f64) -> f64 {
    let (temp_c, p_kpa) = if alt_m > 25_000.0 {
        let t = -131.21 + 0.00299 * alt_m;
        (t, 2.488 * ((t + 273.1) / 216.6).powf(-11.388))
    } else if alt_m > 11_000.0 {
        (-56.46, 22.65 * (1.73 - 0.000157 * alt_m).exp())
    } else {
        let t = 15.04 - 0.00649 * alt_m;
        (t, 101.29 * ((t + 273.1) / 288.08).powf(5.256))
    };
    p_kpa / (0.2869 * (temp_c + 273.1))
}

/// Tawhiri's parachute descent speed (negative, m/s) for a sea-level rate `rate_m_s`.
pub fn tawhiri_descent_m_s(rate_m_s: f64, alt_m: f64) -> f64 {
    -(TAWHIRI_DRAG_K * rate_m_s) * inv_sqrt_nasa_density(alt_m)
}

/// Spacing of the [`inv_sqrt_nasa_density`] table, metres.
const TABLE_STEP_M: f64 = 10.0;
/// Top of the table, metres; above it the model is evaluated directly.
const TABLE_TOP_M: f64 = 60_000.0;
/// Table cells starting at the model's two breaks (11 km, 25 km).
const BREAK_11KM: usize = 1_100;
const BREAK_25KM: usize = 2_500;

/// `1/sqrt(ρ)` of the NASA model, from a table every 10 m with linear interpolation: a
/// descent evaluates it four times a step, and the model's `powf` and `sqrt` cost more than
/// the rest of the step's vertical motion. The table's relative error is below 1e-7 (the
/// curvature of an exponential with an 8 km scale height over 10 m); a test checks it.
#[inline]
pub fn inv_sqrt_nasa_density(alt_m: f64) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let n = (TABLE_TOP_M / TABLE_STEP_M) as usize + 1;
        (0..n)
            .map(|i| 1.0 / nasa_density_kg_m3(i as f64 * TABLE_STEP_M).sqrt())
            .collect()
    });
    let x = alt_m / TABLE_STEP_M;
    if x >= 0.0 && x < (table.len() - 1) as f64 {
        let i = x as usize;
        // The model jumps at 11 and 25 km: the cells that start there are evaluated exactly.
        if i != BREAK_11KM && i != BREAK_25KM {
            let f = x - i as f64;
            return table[i] + (table[i + 1] - table[i]) * f;
        }
    }
    1.0 / nasa_density_kg_m3(alt_m).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_table_matches_the_model() {
        let mut alt = -300.0;
        while alt < 70_000.0 {
            let exact = 1.0 / nasa_density_kg_m3(alt).sqrt();
            let rel = (inv_sqrt_nasa_density(alt) - exact).abs() / exact;
            assert!(rel < 1e-7, "{alt} m: {rel}");
            alt += 3.7;
        }
    }

    #[test]
    fn tawhiri_descent_rates_match_published_values() {
        // tawhiri.md §1: for descent_rate 5: 4.99 m/s at 0 km, 6.43 at 5 km, 8.58 at 10 km,
        // 18.5 at 20 km, 41.8 at 30 km.
        for (alt, want) in [
            (0.0, 4.99),
            (5e3, 6.43),
            (10e3, 8.58),
            (20e3, 18.5),
            (30e3, 41.8),
        ] {
            let got = -tawhiri_descent_m_s(5.0, alt);
            assert!((got - want).abs() < 0.01 * want, "{alt} m: {got} vs {want}");
        }
    }
}
