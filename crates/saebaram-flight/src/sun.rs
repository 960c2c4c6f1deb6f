//! The sun's elevation, for the day superheat of floating envelopes.
//!
//! The low-precision solar coordinates of the Astronomical Almanac (section C, "Low
//! precision formulas for the Sun"; good to about 0.01° in declination between 1950 and
//! 2050) and the Greenwich mean sidereal time from the days since J2000. Written out here
//! (ten lines) rather than taken from a crate: superheat needs about a degree, and the bytes
//! an ensemble gives for a seed stay pinned by this crate.

/// UNIX time of J2000.0 (2000-01-01 12:00 UTC), seconds.
const J2000_UNIX_S: f64 = 946_728_000.0;

/// The sun's elevation above the horizon, degrees (no refraction), at UNIX time `t_unix_s`
/// (UTC) seen from `lat`, `lon` (degrees, east positive). Negative at night.
pub fn elevation_deg(t_unix_s: f64, lat: f64, lon: f64) -> f64 {
    let d = (t_unix_s - J2000_UNIX_S) / 86_400.0;
    // Mean longitude and mean anomaly, degrees.
    let l = 280.460 + 0.985_647_4 * d;
    let g = (357.528 + 0.985_600_3 * d).to_radians();
    // Ecliptic longitude and obliquity.
    let lambda = (l + 1.915 * g.sin() + 0.020 * (2.0 * g).sin()).to_radians();
    let eps = (23.439 - 0.000_000_4 * d).to_radians();
    let ra = (eps.cos() * lambda.sin()).atan2(lambda.cos());
    let dec = (eps.sin() * lambda.sin()).asin();
    // Greenwich mean sidereal time, degrees, then the local hour angle.
    let gmst = 280.460_618_37 + 360.985_647_366_29 * d;
    let hour_angle = (gmst + lon).to_radians() - ra;
    let phi = lat.to_radians();
    (phi.sin() * dec.sin() + phi.cos() * dec.cos() * hour_angle.cos())
        .clamp(-1.0, 1.0)
        .asin()
        .to_degrees()
}

/// Sun elevation from which an envelope is taken to be in full sunshine, degrees: below it
/// the light crosses more than about six air masses and the superheat ramps down.
pub const FULL_SUN_ELEVATION_DEG: f64 = 10.0;

/// The share of the day superheat felt at this time and place: 0 while the sun is below the
/// horizon, 1 from [`FULL_SUN_ELEVATION_DEG`] up, `sin(e)/sin(10°)` in between (continuous,
/// so the integrator sees no jump).
pub fn superheat_share(t_unix_s: f64, lat: f64, lon: f64) -> f64 {
    let e = elevation_deg(t_unix_s, lat, lon).to_radians();
    (e.sin() / FULL_SUN_ELEVATION_DEG.to_radians().sin()).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2019-06-21 00:00 UTC.
    const SOLSTICE_2019: f64 = 1_561_075_200.0;
    const SEOUL: (f64, f64) = (37.5665, 126.978);

    #[test]
    fn noon_elevation_is_90_minus_latitude_plus_declination() {
        // The highest sun of the solstice day over Seoul: 90 - 37.57 + 23.44 = 75.87°.
        let top = (0..24 * 60)
            .map(|m| elevation_deg(SOLSTICE_2019 + m as f64 * 60.0, SEOUL.0, SEOUL.1))
            .fold(f64::NEG_INFINITY, f64::max);
        assert!((top - 75.87).abs() < 0.05, "{top}");
        // On the March 2019 equinox (20 March 21:58 UTC) the noon sun on the equator is
        // overhead: near the date line's noon, 90° to within the day's drift.
        let eq = 1_553_119_080.0; // 2019-03-20T21:58Z
        let top = (-180..=180)
            .map(|m| elevation_deg(eq + m as f64 * 60.0, 0.0, 180.0 - 0.5))
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(top > 89.5, "{top}");
    }

    #[test]
    fn sunrise_over_seoul_is_at_the_almanac_time() {
        // KASI almanac: sunrise in Seoul on 2019-06-21 at 05:11 KST (20:11 UTC the day
        // before); sunrise is when the centre is 0.833° below the horizon (refraction and
        // the sun's radius).
        let t = SOLSTICE_2019 - 86_400.0 + (20.0 * 60.0 + 11.0) * 60.0;
        let e = elevation_deg(t, SEOUL.0, SEOUL.1);
        assert!((e + 0.833).abs() < 0.35, "{e}"); // ±2 minutes
        // Local midnight (15:00 UTC): well below.
        assert!(elevation_deg(SOLSTICE_2019 + 15.0 * 3600.0, SEOUL.0, SEOUL.1) < -20.0);
    }

    #[test]
    fn superheat_share_ramps_from_night_to_full_sun() {
        let noon = SOLSTICE_2019 + 3.5 * 3600.0;
        assert_eq!(superheat_share(noon, SEOUL.0, SEOUL.1), 1.0);
        assert_eq!(
            superheat_share(SOLSTICE_2019 + 15.0 * 3600.0, SEOUL.0, SEOUL.1),
            0.0
        );
        // Half an hour after sunrise the sun is ~5° up: sin 5° / sin 10° ≈ 0.5.
        let dawn = SOLSTICE_2019 - 86_400.0 + (20.0 * 60.0 + 41.0) * 60.0;
        let e = elevation_deg(dawn, SEOUL.0, SEOUL.1);
        let share = superheat_share(dawn, SEOUL.0, SEOUL.1);
        assert!(e > 0.0 && e < 10.0, "{e}");
        let want = e.to_radians().sin() / 10f64.to_radians().sin();
        assert!((share - want).abs() < 1e-12 && share > 0.2 && share < 0.9);
    }
}
