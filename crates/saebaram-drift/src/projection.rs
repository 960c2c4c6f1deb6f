//! CF `grid_mapping` variables to a projection (`proj4rs`, a pure-Rust port of PROJ.4), and
//! the rotation of grid-relative vectors (`x_sea_water_velocity`, `x_wind`) to east/north.
//!
//! Supported: `polar_stereographic` and `lambert_conformal_conic` from their CF attributes
//! (CF conventions 1.11, appendix F), `latitude_longitude`, and, for any other mapping, a
//! PROJ.4 string in a `proj4`, `proj4string` or `proj4_string` attribute (MET Norway's files
//! carry one). The earth is the mapping's `earth_radius`, `semi_major_axis` with
//! `inverse_flattening` or `semi_minor_axis`, else WGS 84. Geographic coordinates are taken
//! on the same earth, so no datum shift is ever applied (as PROJ.4 does for equal datums).

use proj4rs::Proj;
use proj4rs::transform::transform;

/// A projected grid's coordinate reference: longitude/latitude (degrees) <-> grid x/y in the
/// grid's own units (metres times `metres_per_unit`).
#[derive(Debug)]
pub struct Projection {
    lonlat: Proj,
    grid: Proj,
    metres_per_unit: f64,
    description: String,
    table: Option<Table>,
}

/// Grid x/y tabulated on a regular longitude/latitude mesh, interpolated bilinearly: a
/// drift looks up every field at every RK4 stage, and an exact `proj4rs` transform costs
/// about 1,000 instructions where this costs about 40. Built only where its largest error,
/// checked against the exact transform, stays under [`TABLE_TOLERANCE_CELLS`] of a grid cell.
#[derive(Debug)]
struct Table {
    lon0: f64,
    lat0: f64,
    inv_dlon: f64,
    inv_dlat: f64,
    nlon: usize,
    nlat: usize,
    // Row-major by latitude; NaN where the exact transform has no answer.
    xy: Vec<(f64, f64)>,
}

/// Largest error a lookup table may make, in grid cells: 1/1000 of a cell (0.8 m on
/// NorKyst-800's grid), far below the interpolation error of the forcing itself.
pub const TABLE_TOLERANCE_CELLS: f64 = 1e-3;

/// Most nodes a lookup table may have (16 bytes each: 64 MB).
const TABLE_MAX_NODES: usize = 4_000_000;

impl Table {
    #[inline]
    fn lookup(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let fx = (lon - self.lon0) * self.inv_dlon;
        let fy = (lat - self.lat0) * self.inv_dlat;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        let (ix, iy) = (fx as i64 as usize, fy as i64 as usize);
        if ix + 1 >= self.nlon || iy + 1 >= self.nlat {
            return None;
        }
        let (wx, wy) = (fx - ix as f64, fy - iy as f64);
        let k = iy * self.nlon + ix;
        let (a, b, c, d) = (
            self.xy[k],
            self.xy[k + 1],
            self.xy[k + self.nlon],
            self.xy[k + self.nlon + 1],
        );
        let x = (a.0 + (b.0 - a.0) * wx) * (1.0 - wy) + (c.0 + (d.0 - c.0) * wx) * wy;
        let y = (a.1 + (b.1 - a.1) * wx) * (1.0 - wy) + (c.1 + (d.1 - c.1) * wx) * wy;
        // A node without an answer makes x or y NaN: the caller asks the exact transform.
        (x.is_finite() && y.is_finite()).then_some((x, y))
    }
}

impl Projection {
    /// Builds a projection from a PROJ.4 definition (`+proj=stere ...`) for coordinates whose
    /// unit is `metres_per_unit` metres. `earth` is the `+R=` / `+ellps=` part repeated for the
    /// geographic side.
    pub fn from_proj4(definition: &str, metres_per_unit: f64) -> Result<Projection, String> {
        let grid = Proj::from_proj_string(definition)
            .map_err(|e| format!("projection `{definition}` is not usable: {e}"))?;
        let earth = earth_part(definition);
        let lonlat_def = format!("+proj=latlong {earth}");
        let lonlat = Proj::from_proj_string(&lonlat_def)
            .map_err(|e| format!("projection `{lonlat_def}` is not usable: {e}"))?;
        if !grid.has_forward() || !grid.has_inverse() {
            return Err(format!(
                "projection `{definition}` has no forward and inverse"
            ));
        }
        Ok(Projection {
            lonlat,
            grid,
            metres_per_unit,
            description: definition.to_string(),
            table: None,
        })
    }

    /// Tabulates the forward transform over a longitude/latitude box for a grid whose
    /// smallest cell is `cell` grid units, at about one node per two grid cells, and keeps the
    /// table only if its largest error at the table cells' centres (checked against the
    /// exact transform, at up to 40,000 cells) is under [`TABLE_TOLERANCE_CELLS`] of a
    /// cell. Returns the largest error found, in grid cells, or `None` when no table is
    /// kept (a box too large or round a pole): [`Projection::forward`] is then exact.
    pub fn tabulate(
        &mut self,
        lon_min: f64,
        lon_max: f64,
        lat_min: f64,
        lat_max: f64,
        cell: f64,
    ) -> Option<f64> {
        use rayon::prelude::*;
        self.table = None;
        let cell_m = cell * self.metres_per_unit;
        if !(cell_m > 0.0
            && lon_max > lon_min
            && lat_max > lat_min
            && lat_max.abs().max(lat_min.abs()) < 89.0)
        {
            return None;
        }
        // A node every two grid cells (the error grows with the square of the spacing: 1e-4
        // of a cell on NorKyst-800's grid); a margin so the box's edge is inside the table.
        let dlat = (2.0 * cell_m / 111_000.0).max(1e-5);
        let cos = lat_max.abs().max(lat_min.abs()).to_radians().cos();
        let dlon = dlat / cos;
        let (lon0, lat0) = (lon_min - dlon, lat_min - dlat);
        let nlon = ((lon_max + dlon - lon0) / dlon).ceil() as usize + 1;
        let nlat = ((lat_max + dlat - lat0) / dlat).ceil() as usize + 1;
        if nlon.checked_mul(nlat).is_none_or(|n| n > TABLE_MAX_NODES) {
            return None;
        }
        let xy: Vec<(f64, f64)> = (0..nlon * nlat)
            .into_par_iter()
            .map(|k| {
                let (ix, iy) = (k % nlon, k / nlon);
                self.forward_exact(lon0 + ix as f64 * dlon, lat0 + iy as f64 * dlat)
                    .unwrap_or((f64::NAN, f64::NAN))
            })
            .collect();
        let table = Table {
            lon0,
            lat0,
            inv_dlon: 1.0 / dlon,
            inv_dlat: 1.0 / dlat,
            nlon,
            nlat,
            xy,
        };
        // Bilinear interpolation errs most at a cell's centre; check a spread of them.
        let cells = (nlon - 1) * (nlat - 1);
        let stride = cells.div_ceil(40_000).max(1);
        let worst = (0..cells)
            .into_par_iter()
            .step_by(stride)
            .map(|c| {
                let (ix, iy) = (c % (nlon - 1), c / (nlon - 1));
                let (lon, lat) = (
                    lon0 + (ix as f64 + 0.5) * dlon,
                    lat0 + (iy as f64 + 0.5) * dlat,
                );
                match (self.forward_exact(lon, lat), table.lookup(lon, lat)) {
                    (Some(a), Some(b)) => (a.0 - b.0).hypot(a.1 - b.1) / cell,
                    // The table gives no answer there: lookups fall back to the exact one.
                    (_, None) => 0.0,
                    (None, Some(_)) => f64::INFINITY,
                }
            })
            .reduce(|| 0.0, f64::max);
        if worst <= TABLE_TOLERANCE_CELLS {
            self.table = Some(table);
            Some(worst)
        } else {
            None
        }
    }

    /// The PROJ.4 definition used.
    pub fn definition(&self) -> &str {
        &self.description
    }

    /// Grid x/y (grid units) of a longitude/latitude in degrees; `None` where the projection
    /// has no answer (the opposite pole of a stereographic grid). From the lookup table
    /// inside the box it was built for ([`Projection::tabulate`]), else exact.
    #[inline]
    pub fn forward(&self, lon_deg: f64, lat_deg: f64) -> Option<(f64, f64)> {
        if let Some(xy) = self.table.as_ref().and_then(|t| t.lookup(lon_deg, lat_deg)) {
            return Some(xy);
        }
        self.forward_exact(lon_deg, lat_deg)
    }

    /// [`Projection::forward`] through `proj4rs` itself, never from the table.
    pub fn forward_exact(&self, lon_deg: f64, lat_deg: f64) -> Option<(f64, f64)> {
        let mut point = (lon_deg.to_radians(), lat_deg.to_radians(), 0.0);
        transform(&self.lonlat, &self.grid, &mut point).ok()?;
        let (x, y) = (
            point.0 / self.metres_per_unit,
            point.1 / self.metres_per_unit,
        );
        (x.is_finite() && y.is_finite()).then_some((x, y))
    }

    /// Longitude/latitude in degrees of grid x/y (grid units).
    pub fn inverse(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let mut point = (x * self.metres_per_unit, y * self.metres_per_unit, 0.0);
        transform(&self.grid, &self.lonlat, &mut point).ok()?;
        let (lon, lat) = (point.0.to_degrees(), point.1.to_degrees());
        (lon.is_finite() && lat.is_finite()).then_some((lon, lat))
    }

    /// The unit vector of true north in grid coordinates at grid point (x, y): the grid's y
    /// axis is followed 50 m either side of the point, and the azimuth of that step is
    /// measured on WGS 84 (the radii of curvature M and N), the earth bottles move on
    /// ([`crate::drift`]), so a current along the grid's y axis carries a bottle from node to
    /// node. The axes are taken as orthogonal (the projections here are conformal). For a
    /// grid projected from a sphere (NorKyst-800's `+R=6371000`) this differs from the
    /// sphere's own convergence angle by `tan az_WGS84 = (N/M)·tan az_sphere` (0.034° off
    /// Norway), as OpenDrift's rotation (a WGS 84 geodesic azimuth) does.
    pub fn north_in_grid(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let half = 50.0 / self.metres_per_unit;
        let (lon1, lat1) = self.inverse(x, y - half)?;
        let (lon2, lat2) = self.inverse(x, y + half)?;
        let lat = 0.5 * (lat1 + lat2);
        let (m, n) = crate::drift::radii_of_curvature(lat);
        let dlon = (lon2 - lon1 + 540.0).rem_euclid(360.0) - 180.0;
        let east = dlon.to_radians() * n * lat.to_radians().cos();
        let north = (lat2 - lat1).to_radians() * m;
        if !(east.is_finite() && north.is_finite()) || east.hypot(north) == 0.0 {
            return None;
        }
        // The y axis points at azimuth `az` (clockwise from north): north is y turned back.
        let az = east.atan2(north);
        Some((-az.sin(), az.cos()))
    }
}

/// Rotates a grid-relative vector (along grid x, along grid y) to (east, north) given the
/// unit vector of north in grid coordinates.
pub fn grid_to_east_north(u_grid: f64, v_grid: f64, north: (f64, f64)) -> (f64, f64) {
    let (nx, ny) = north;
    // East in grid coordinates is north turned 90° clockwise: (ny, -nx).
    (u_grid * ny - v_grid * nx, u_grid * nx + v_grid * ny)
}

fn earth_part(definition: &str) -> String {
    let keep = [
        "+R=", "+a=", "+b=", "+rf=", "+f=", "+ellps=", "+datum=", "+es=", "+e=",
    ];
    let parts: Vec<&str> = definition
        .split_whitespace()
        .filter(|p| keep.iter().any(|k| p.starts_with(k)))
        .collect();
    if parts.is_empty() {
        "+ellps=WGS84".to_string()
    } else {
        parts.join(" ")
    }
}

/// A number-valued attribute getter (`None` when absent or not numeric).
pub(crate) type NumberAttr<'a> = &'a dyn Fn(&str) -> Option<Vec<f64>>;

/// The PROJ.4 definition of a CF grid mapping, from its `grid_mapping_name` and parameters,
/// or `Ok(None)` for `latitude_longitude`.
pub(crate) fn cf_to_proj4(
    mapping_name: &str,
    number: NumberAttr<'_>,
    proj4_attribute: Option<String>,
) -> Result<Option<String>, String> {
    match cf_parameters_to_proj4(mapping_name, number, proj4_attribute.clone()) {
        // MET Norway's NorKyst and AROME files name the mapping but give its parameters
        // only as a `proj4` attribute.
        Err(problem) => match proj4_attribute {
            Some(def) if def.contains("+proj=") => Ok(Some(def)),
            _ => Err(problem),
        },
        ok => ok,
    }
}

fn cf_parameters_to_proj4(
    mapping_name: &str,
    number: NumberAttr<'_>,
    proj4_attribute: Option<String>,
) -> Result<Option<String>, String> {
    let one = |name: &str| number(name).and_then(|v| v.first().copied());
    let earth = if let Some(r) = one("earth_radius") {
        format!("+R={r}")
    } else if let Some(a) = one("semi_major_axis") {
        if let Some(rf) = one("inverse_flattening").filter(|rf| *rf > 0.0) {
            format!("+a={a} +rf={rf}")
        } else if let Some(b) = one("semi_minor_axis") {
            format!("+a={a} +b={b}")
        } else {
            format!("+R={a}")
        }
    } else {
        "+ellps=WGS84".to_string()
    };
    let offsets = format!(
        "+x_0={} +y_0={}",
        one("false_easting").unwrap_or(0.0),
        one("false_northing").unwrap_or(0.0)
    );
    let need = |name: &str| {
        one(name).ok_or_else(|| format!("`{mapping_name}` needs the attribute `{name}`"))
    };
    match mapping_name {
        "latitude_longitude" => Ok(None),
        "polar_stereographic" => {
            let lat_0 = need("latitude_of_projection_origin")?;
            if (lat_0.abs() - 90.0).abs() > 1e-9 {
                return Err(format!(
                    "`polar_stereographic` needs latitude_of_projection_origin ±90 (got {lat_0})"
                ));
            }
            let lon_0 = one("straight_vertical_longitude_from_pole")
                .or_else(|| one("longitude_of_projection_origin"))
                .ok_or("`polar_stereographic` needs `straight_vertical_longitude_from_pole`")?;
            let scale = if let Some(lat_ts) = one("standard_parallel") {
                format!("+lat_ts={lat_ts}")
            } else {
                format!(
                    "+k_0={}",
                    one("scale_factor_at_projection_origin").unwrap_or(1.0)
                )
            };
            Ok(Some(format!(
                "+proj=stere +lat_0={lat_0} +lon_0={lon_0} {scale} {offsets} {earth} +units=m"
            )))
        }
        "lambert_conformal_conic" => {
            let parallels = number("standard_parallel")
                .filter(|v| !v.is_empty())
                .ok_or("`lambert_conformal_conic` needs `standard_parallel`")?;
            let lat_1 = parallels[0];
            let lat_2 = parallels.get(1).copied().unwrap_or(lat_1);
            let lon_0 = need("longitude_of_central_meridian")?;
            let lat_0 = need("latitude_of_projection_origin")?;
            Ok(Some(format!(
                "+proj=lcc +lat_1={lat_1} +lat_2={lat_2} +lat_0={lat_0} +lon_0={lon_0} {offsets} {earth} +units=m"
            )))
        }
        other => match proj4_attribute {
            Some(def) if def.contains("+proj=") => Ok(Some(def)),
            _ => Err(format!(
                "grid mapping `{other}` is not one this reader knows (polar_stereographic, lambert_conformal_conic, latitude_longitude, or a `proj4` attribute)"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // NorKyst-800's grid mapping (MET Norway thredds, `projection_stere`).
    const NORKYST: &str =
        "+proj=stere +ellps=WGS84 +lat_0=90.0 +lat_ts=60.0 +x_0=3192800 +y_0=1784000 +lon_0=70";

    #[test]
    fn polar_stereographic_round_trip() {
        let p = Projection::from_proj4(NORKYST, 1.0).unwrap();
        let (x, y) = p.forward(4.5, 60.5).unwrap();
        let (lon, lat) = p.inverse(x, y).unwrap();
        assert!(
            (lon - 4.5).abs() < 1e-9 && (lat - 60.5).abs() < 1e-9,
            "{lon} {lat}"
        );
    }

    #[test]
    fn the_lookup_table_agrees_with_the_exact_transform() {
        // NorKyst-800's box and 800 m cells: the table is kept, and at points off its nodes
        // it is within its tolerance of proj4rs; outside its box it is proj4rs itself.
        let mut p = Projection::from_proj4(NORKYST, 1.0).unwrap();
        let worst = p.tabulate(2.5, 7.0, 59.3, 61.9, 800.0).expect("a table");
        assert!(worst <= TABLE_TOLERANCE_CELLS, "{worst}");
        for i in 0..500 {
            let (lon, lat) = (
                2.5 + 4.5 * (i as f64 * 0.618_034).fract(),
                59.3 + 2.6 * (i as f64 * 0.414_214).fract(),
            );
            let (a, b) = (
                p.forward(lon, lat).unwrap(),
                p.forward_exact(lon, lat).unwrap(),
            );
            assert!(
                (a.0 - b.0).hypot(a.1 - b.1) <= TABLE_TOLERANCE_CELLS * 800.0,
                "{lon} {lat}"
            );
        }
        assert_eq!(p.forward(20.0, 70.0), p.forward_exact(20.0, 70.0));
        // A box round the pole keeps the exact transform.
        assert_eq!(p.tabulate(-180.0, 180.0, 80.0, 90.0, 800.0), None);
    }

    #[test]
    fn polar_stereographic_known_value() {
        // On a sphere of radius R, polar stereographic with k_0 = 1 at the pole puts latitude
        // φ at ρ = 2R·tan(45° - φ/2) from the pole (Snyder 1987, eq. 21-4 with k_0 = 1).
        let r = 6_371_000.0;
        let p = Projection::from_proj4(
            &format!("+proj=stere +lat_0=90 +lon_0=0 +k_0=1 +R={r}"),
            1.0,
        )
        .unwrap();
        let (x, y) = p.forward(0.0, 60.0).unwrap();
        let rho = 2.0 * r * (15.0f64).to_radians().tan();
        assert!(x.abs() < 1e-6, "{x}");
        assert!((y + rho).abs() < 1e-3, "{y} vs {}", -rho);
        // 90° east of the central meridian the point lies on +x.
        let (x, y) = p.forward(90.0, 60.0).unwrap();
        assert!((x - rho).abs() < 1e-3 && y.abs() < 1e-3, "{x} {y}");
    }

    #[test]
    fn north_vector_in_polar_stereographic() {
        let p = Projection::from_proj4("+proj=stere +lat_0=90 +lon_0=70 +k_0=1 +R=6371000", 1.0)
            .unwrap();
        // On the central meridian north points up the grid.
        let (x, y) = p.forward(70.0, 60.0).unwrap();
        let (nx, ny) = p.north_in_grid(x, y).unwrap();
        assert!(nx.abs() < 1e-6 && (ny - 1.0).abs() < 1e-6, "{nx} {ny}");
        // 90° east of it, north points towards the pole, along -x.
        let (x, y) = p.forward(160.0, 60.0).unwrap();
        let north = p.north_in_grid(x, y).unwrap();
        assert!(
            (north.0 + 1.0).abs() < 1e-6 && north.1.abs() < 1e-6,
            "{north:?}"
        );
        // A vector along grid x there is a current to the south; along grid y, to the east.
        let (e, n) = grid_to_east_north(1.0, 0.0, north);
        assert!(e.abs() < 1e-6 && (n + 1.0).abs() < 1e-6, "{e} {n}");
        let (e, n) = grid_to_east_north(0.0, 1.0, north);
        assert!((e - 1.0).abs() < 1e-6 && n.abs() < 1e-6, "{e} {n}");
    }

    #[test]
    fn lambert_rotation_is_the_convergence_angle() {
        // Lambert conformal: grid north differs from true north by n·(λ - λ0), with the cone
        // constant n = sin(φ1) for a single standard parallel (Snyder 1987, eq. 15-1).
        let def = cf_to_proj4(
            "lambert_conformal_conic",
            &|name| match name {
                "standard_parallel" => Some(vec![63.3]),
                "longitude_of_central_meridian" => Some(vec![15.0]),
                "latitude_of_projection_origin" => Some(vec![63.3]),
                "earth_radius" => Some(vec![6_371_000.0]),
                _ => None,
            },
            None,
        )
        .unwrap()
        .unwrap();
        let p = Projection::from_proj4(&def, 1.0).unwrap();
        let (x, y) = p.forward(25.0, 60.0).unwrap();
        let (nx, ny) = p.north_in_grid(x, y).unwrap();
        let angle = nx.atan2(ny).to_degrees();
        // On the projection's sphere the y axis is turned by the convergence angle; measured
        // on WGS 84 (where bottles move) its tangent grows by N/M at that latitude.
        let sphere = (63.3f64).to_radians().sin() * 10.0;
        let (m, n) = crate::drift::radii_of_curvature(60.0);
        let expected = -(n / m * sphere.to_radians().tan()).atan().to_degrees();
        assert!((angle - expected).abs() < 1e-4, "{angle} vs {expected}");
        assert!(
            (expected + sphere).abs() > 0.01,
            "the two differ measurably"
        );
    }

    #[test]
    fn a_proj4_attribute_stands_in_for_missing_cf_parameters() {
        // MET Norway's AROME files: `lambert_conformal_conic` named, parameters only in `proj4`.
        let proj4 =
            "+proj=lcc +lon_0=15 +lat_0=63 +lat_1=63 +lat_2=63 +R=6.371e+06 +units=m +no_defs";
        let def = cf_to_proj4("lambert_conformal_conic", &|_| None, Some(proj4.into())).unwrap();
        assert_eq!(def.as_deref(), Some(proj4));
        assert!(Projection::from_proj4(proj4, 1.0).is_ok());
    }

    #[test]
    fn unknown_mapping_is_refused_by_name() {
        let err = cf_to_proj4("rotated_latitude_longitude", &|_| None, None).unwrap_err();
        assert!(err.contains("rotated_latitude_longitude"), "{err}");
        let err = cf_to_proj4("polar_stereographic", &|_| None, None).unwrap_err();
        assert!(err.contains("latitude_of_projection_origin"), "{err}");
    }
}
