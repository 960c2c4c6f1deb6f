//! `saebaram sites`: the built-in launch sites.

use crate::output::Status;

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
    if let Some(place) = &args.place {
        return show_point(place, args.json);
    }
    let rows = saebaram_jobs::sites::sites()?;
    if args.json {
        // Through a `Value`: its keys print sorted, as they always have.
        let value = serde_json::to_value(&rows)?;
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        return emit(&text);
    }
    let mut out = format!(
        "{:<12} 한국어  {:>9} {:>10} {:>6}  {:<22} note\n",
        "site", "lat", "lon", "elev", "nearest NK town"
    );
    for s in &rows {
        let nearest = match &s.nearest_nk_city {
            Some(c) => format!("{} {:.0} km", c.name, c.distance_exact_km),
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
fn show_point(place: &str, json: bool) -> anyhow::Result<Status> {
    let p = saebaram_jobs::sites::place(place)?;
    if json {
        let value = serde_json::to_value(&p)?;
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        return emit(&text);
    }
    let mut out = format!("{}\n", p.point_label);
    if let Some(s) = p.site {
        out.push_str(&format!("  {} {}: {}\n", s.name, s.name_ko, s.note));
    }
    out.push_str(&format!("  where: {}\n", p.label));
    if let Some(side) = &p.dmz_side {
        out.push_str(&format!("  ({side})\n"));
    }
    if let Some(c) = &p.nearest_nk_city {
        let ko = c.name_ko.map(|k| format!(" {k}")).unwrap_or_default();
        out.push_str(&format!(
            "  nearest North Korean town: {}{ko}, {:.1} km\n",
            c.name, c.distance_exact_km
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
