//! `saebaram sites`: the built-in launch sites.

use crate::output::Status;
use anyhow::Context;
use saebaram_geo::{Geo, LaunchPoint, sites};

/// Arguments of `saebaram sites`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram sites                 the table, with the nearest North Korean town
  saebaram sites --json          the same for scripts
  saebaram sites imjingak        one site: where it is and the nearest North Korean town
  saebaram sites 39.02,125.75    where any point is (North Korea, province, DMZ, sea...)
  saebaram plan --site paju      use a site by name (English or Korean, any case)
  saebaram plan --site 37.889,126.740   or any LAT,LON in decimal degrees

Coordinates are the named landmark or township office (about 100 m); groups launch
anywhere within a few km. Geography: Made with Natural Earth.")]
pub struct SitesArgs {
    /// Show only this site (English or Korean name, any case) or classify this LAT,LON
    /// (decimal degrees, e.g. 39.02,125.75).
    #[arg(value_name = "SITE|LAT,LON", allow_hyphen_values = true)]
    pub place: Option<String>,

    /// Print JSON instead of text: an array of sites, or one object for SITE|LAT,LON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `saebaram sites`.
pub fn run(args: SitesArgs) -> anyhow::Result<Status> {
    let geo = Geo::try_embedded()?;
    if let Some(place) = &args.place {
        return show_point(geo, place, args.json);
    }
    if args.json {
        let rows: Vec<serde_json::Value> = sites()
            .iter()
            .map(|s| {
                let nearest = geo.nearest_nk_city(s.lat, s.lon);
                serde_json::json!({
                    "name": s.name,
                    "name_ko": s.name_ko,
                    "lat": s.lat,
                    "lon": s.lon,
                    "elevation_m": s.elevation_m,
                    "note": s.note,
                    "aliases": s.aliases,
                    "region": geo.classify(s.lat, s.lon),
                    "nearest_nk_city": nearest.map(|(c, d)| serde_json::json!({
                        "name": c.name,
                        "name_ko": c.name_ko,
                        "distance_km": (d * 10.0).round() / 10.0,
                    })),
                })
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&rows)?;
        text.push('\n');
        return emit(&text);
    }
    let mut out = format!(
        "{:<12} 한국어  {:>9} {:>10} {:>6}  {:<22} note\n",
        "site", "lat", "lon", "elev", "nearest NK town"
    );
    for s in sites() {
        let nearest = match geo.nearest_nk_city(s.lat, s.lon) {
            Some((c, d)) => format!("{} {:.0} km", c.name, d),
            None => "-".to_string(),
        };
        // Hangul is two columns wide in a terminal: pad by display width.
        let ko_pad = 7usize.saturating_sub(2 * s.name_ko.chars().count());
        out.push_str(&format!(
            "{:<12} {}{} {:>8.3}N {:>9.3}E {:>5.0}m  {:<22} {}\n",
            s.name,
            s.name_ko,
            " ".repeat(ko_pad),
            s.lat,
            s.lon,
            s.elevation_m,
            nearest,
            s.note
        ));
    }
    out.push_str(
        "\nUse a name (English or Korean) or any LAT,LON with --site. Made with Natural Earth.\n",
    );
    emit(&out)
}

/// One site or coordinate: where it is, and the nearest North Korean town.
fn show_point(geo: &Geo, place: &str, json: bool) -> anyhow::Result<Status> {
    let point = LaunchPoint::parse(place).with_context(|| format!("cannot read {place:?}"))?;
    let region = geo.classify(point.lat, point.lon);
    let province = geo.province_at(point.lat, point.lon);
    let nearest = geo.nearest_nk_city(point.lat, point.lon);
    let site = point
        .site
        .and_then(|name| sites().iter().find(|s| s.name == name));
    if json {
        let value = serde_json::json!({
            "site": site,
            "lat": point.lat,
            "lon": point.lon,
            "region": region,
            "label": region.label(),
            "is_land": geo.is_land(point.lat, point.lon),
            "country": geo.country_code(point.lat, point.lon),
            "nearest_nk_city": nearest.map(|(c, d)| serde_json::json!({
                "name": c.name,
                "name_ko": c.name_ko,
                "lat": c.lat,
                "lon": c.lon,
                "distance_km": (d * 10.0).round() / 10.0,
            })),
        });
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        return emit(&text);
    }
    let mut out = format!("{}\n", point.label());
    if let Some(s) = site {
        out.push_str(&format!("  {} {}: {}\n", s.name, s.name_ko, s.note));
    }
    out.push_str(&format!("  where: {}\n", region.label()));
    // Inside the DMZ, say which side of the Military Demarcation Line.
    if region == saebaram_geo::Region::Dmz {
        let side = match (geo.country_code(point.lat, point.lon), province) {
            (Some("PRK"), Some(p)) => format!("north of the MDL, in {}", p.name),
            (Some("PRK"), None) => "north of the MDL".to_string(),
            (Some("KOR"), _) => "south of the MDL".to_string(),
            _ => "side unknown".to_string(),
        };
        out.push_str(&format!("  ({side})\n"));
    }
    if let Some((c, d)) = nearest {
        let ko = c.name_ko.map(|k| format!(" {k}")).unwrap_or_default();
        out.push_str(&format!(
            "  nearest North Korean town: {}{ko}, {d:.1} km\n",
            c.name
        ));
    }
    emit(&out)
}

/// Writes to stdout; a closed pipe (`saebaram sites | head`) is not an error.
fn emit(text: &str) -> anyhow::Result<Status> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(Status::Done),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Status::Done),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}
