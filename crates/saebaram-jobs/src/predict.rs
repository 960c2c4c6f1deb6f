//! `predict`: one deterministic flight from one launch, its landings classified on the
//! map, the ground each stood on; GeoJSON, KML and CSV of the track.

use std::fmt::Write as _;
use std::path::PathBuf;

use saebaram_flight::ensemble::distance_km;
use saebaram_flight::flight::BalloonSetup;
use saebaram_flight::{HeavyWhy, Landing, Outcome, PayloadClass, Point, Prediction, Profile};
use saebaram_geo::{Geo, LaunchPoint, Region};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::files::{rfc3339, round};
use crate::flight_options::FlightOptions;
use crate::forecast::{ForecastSummary, steady_warning};
use crate::ground::{Ground, GroundAt, TerrainReport, dem_dir};
use crate::progress::{Event, Progress, Stage, Unit, check};
use crate::{Env, Error};

/// One flight to predict.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PredictRequest {
    /// Launch site by name (English or Korean) or `LAT,LON`; or give `lat` and `lon`.
    pub site: Option<String>,
    /// Launch latitude, degrees north (with `lon`, instead of `site`).
    pub lat: Option<f64>,
    /// Launch longitude, degrees east.
    pub lon: Option<f64>,
    /// Launch altitude, m (default: the site's elevation, else the ground).
    pub alt_m: Option<f64>,
    /// Launch time, UNIX s (default: the forecast's run time).
    pub time_unix_s: Option<f64>,
    /// The balloon (default preset: `standard`).
    pub flight: FlightOptions,
    /// The forecast by path or cached-run name (default: the embedded sample).
    pub forecast: Option<String>,
    /// SRTM tiles the flight ends on (default: the face's [`Env::terrain_dir`]).
    pub terrain_dir: Option<PathBuf>,
}

/// Where and when the flight starts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaunchReport {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Altitude, m.
    pub alt: f64,
    /// RFC 3339.
    pub time: String,
    /// The site's English name, if launched from one.
    pub site: Option<&'static str>,
}

/// A point of a track (lat/lon to 1e-5°, altitude to 0.1 m).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackPoint {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Altitude, m.
    pub alt: f64,
    /// RFC 3339.
    pub time: String,
}

impl TrackPoint {
    fn of(p: &Point) -> TrackPoint {
        TrackPoint {
            lat: round(p.lat, 5),
            lon: round(p.lon, 5),
            alt: round(p.alt_m, 1),
            time: rfc3339(p.t_unix_s),
        }
    }
}

/// One stage's track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageReport {
    /// `ascent`, `float`, `descent`, ...
    pub name: &'static str,
    /// Its points.
    pub points: Vec<TrackPoint>,
}

/// A burst, float start or release.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventReport {
    /// Where and when.
    #[serde(flatten)]
    pub point: TrackPoint,
    /// `burst`, `float_start`, `release`, `landing`.
    pub kind: &'static str,
    /// Share of the payload released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
}

/// A named place and how far it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceDistance {
    /// English name.
    pub name: String,
    /// Distance, km (0.1).
    pub distance_km: f64,
}

/// A heavy intact fall's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeavyReport {
    /// Why it counts.
    pub why: HeavyWhy,
    /// Mass, kg.
    pub mass_kg: Option<f64>,
    /// Sea-level fall speed, m/s.
    pub fall_m_s: Option<f64>,
}

/// A populated South Korean place a heavy fall lands in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulatedPlace {
    /// GeoNames id.
    pub geonameid: u32,
    /// Name (GeoNames).
    pub name: String,
    /// Korean name, where known.
    pub name_ko: Option<String>,
    /// Inhabitants (`None`: unknown to GeoNames).
    pub population: Option<u64>,
    /// Distance from its centre, km.
    pub distance_km: f64,
    /// Its populated radius, km.
    pub radius_km: f64,
    /// Latitude of its centre.
    pub lat: f64,
    /// Longitude of its centre.
    pub lon: f64,
}

/// One landing of a prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LandingReport {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Altitude, m.
    pub alt: f64,
    /// RFC 3339.
    pub time: String,
    /// How the trajectory ended.
    pub outcome: Outcome,
    /// What came down.
    pub payload: PayloadClass,
    /// Share of the launch payload.
    pub fraction: f64,
    /// Where it is.
    pub region: Region,
    /// `North Korea (P'yŏngyang)`, `sea`, ...
    pub region_label: String,
    /// Distance from the launch, km.
    pub distance_km: f64,
    /// The nearest North Korean town.
    pub nearest_nk_city: Option<PlaceDistance>,
    /// Set for a heavy intact fall.
    pub heavy_intact: Option<HeavyReport>,
    /// A heavy intact fall on South Korean land.
    pub heavy_in_rok: bool,
    /// ... within a populated place.
    pub heavy_over_populated_rok: bool,
    /// That place.
    pub populated_place: Option<PopulatedPlace>,
    /// The ground under it.
    pub ground: GroundAt,
}

/// A prediction: the `predict --json` schema.
#[derive(Debug, Clone, Serialize)]
pub struct PredictReport {
    /// The forecast flown in.
    pub forecast: ForecastSummary,
    /// The launch.
    pub launch: LaunchReport,
    /// The profile flown, with every parameter.
    pub profile: Profile,
    /// Balloon figures (fill, free lift, ceiling), for balloon profiles.
    pub balloon: Option<BalloonSetup>,
    /// Tracks by stage.
    pub stages: Vec<StageReport>,
    /// Bursts, floats, releases.
    pub events: Vec<EventReport>,
    /// The main landing.
    pub landing: Option<LandingReport>,
    /// Every landing (envelope, bundles, leaflets).
    pub landings: Vec<LandingReport>,
    /// The flight crate's notes.
    pub warnings: Vec<String>,
    /// The ground flights ended on.
    pub terrain: TerrainReport,
    /// The flight itself, unrounded (tracks for KML and CSV, the summary's times).
    #[serde(skip)]
    pub flight: Prediction,
}

impl PredictReport {
    /// Whether the main payload came down (ground or sea) inside the forecast.
    pub fn landed(&self) -> bool {
        self.flight
            .landings
            .get(self.flight.primary)
            .is_some_and(|l| l.outcome <= Outcome::Sea)
    }
}

/// Resolves the launch point of a request: site, else lat/lon, else Paju.
pub(crate) fn launch_point(
    site: Option<&str>,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Result<LaunchPoint, Error> {
    Ok(match (site, lat, lon) {
        (Some(s), _, _) => LaunchPoint::parse(s)?,
        (None, Some(lat), Some(lon)) => LaunchPoint::parse(&format!("{lat},{lon}"))?,
        _ => LaunchPoint::parse("paju")?,
    })
}

/// Flies the prediction.
pub fn run(
    req: PredictRequest,
    env: &Env,
    progress: &dyn Progress,
) -> Result<PredictReport, Error> {
    let profile = req.flight.profile("standard")?;
    if req.site.is_none() && req.lat.is_none() {
        return Err(Error::invalid(
            "site",
            "give a launch point: --site NAME|LAT,LON or --lat and --lon",
        ));
    }
    let lp = launch_point(req.site.as_deref(), req.lat, req.lon)?;
    check(progress)?;
    progress.event(Event::StageStarted {
        stage: Stage::OpenForecast,
        total: None,
        unit: Unit::Forecasts,
    });
    let forecast = crate::forecast::open(
        req.forecast.as_deref(),
        saebaram_forecast::Region::KOREA,
        env,
    )?;
    progress.event(Event::StageFinished {
        stage: Stage::OpenForecast,
    });
    let geo = Geo::try_embedded()?;
    let surface = Ground::new(geo, &forecast, dem_dir(req.terrain_dir.as_deref(), env))?;
    let t = req.time_unix_s.unwrap_or(forecast.info().run_unix_s as f64);
    // Without an altitude or a site elevation, the launch stands on the ground.
    let alt = req
        .alt_m
        .or(lp.elevation_m)
        .unwrap_or_else(|| round(surface.lookup(lp.lat, lp.lon).0, 1));
    let launch = Point {
        t_unix_s: t,
        lat: lp.lat,
        lon: lp.lon,
        alt_m: alt,
    };
    if let Some(warning) = steady_warning(&forecast) {
        progress.event(Event::Warning { warning });
    }
    check(progress)?;
    progress.event(Event::StageStarted {
        stage: Stage::Prediction,
        total: Some(1),
        unit: Unit::Flights,
    });
    let pred = saebaram_flight::predict(&forecast, &surface, &profile, launch)?;
    progress.event(Event::Step {
        stage: Stage::Prediction,
        done: 1,
        total: Some(1),
        unit: Unit::Flights,
    });
    progress.event(Event::StageFinished {
        stage: Stage::Prediction,
    });
    let landings: Vec<LandingReport> = pred
        .landings
        .iter()
        .map(|l| landing_report(geo, &surface, launch, l))
        .collect();
    Ok(PredictReport {
        forecast: ForecastSummary::of(&forecast),
        launch: LaunchReport {
            lat: launch.lat,
            lon: launch.lon,
            alt: launch.alt_m,
            time: rfc3339(launch.t_unix_s),
            site: lp.site,
        },
        profile,
        balloon: pred.balloon,
        stages: pred
            .stages
            .iter()
            .map(|s| StageReport {
                name: s.name,
                points: s.points.iter().map(TrackPoint::of).collect(),
            })
            .collect(),
        events: pred
            .events
            .iter()
            .map(|e| EventReport {
                point: TrackPoint::of(&e.point),
                kind: e.kind,
                fraction: e.fraction.map(|f| round(f, 4)),
            })
            .collect(),
        landing: landings.get(pred.primary).cloned(),
        landings,
        warnings: pred.warnings.clone(),
        terrain: surface.report(),
        flight: pred,
    })
}

fn landing_report(geo: &Geo, ground: &Ground<'_>, launch: Point, l: &Landing) -> LandingReport {
    let region = geo.classify(l.point.lat, l.point.lon);
    let nearest = geo.nearest_nk_city(l.point.lat, l.point.lon);
    let landed = l.outcome.on_land();
    let in_rok = landed && region == Region::SouthKorea;
    let place = l
        .heavy
        .filter(|_| landed)
        .and_then(|_| geo.populated_rok_place(l.point.lat, l.point.lon));
    LandingReport {
        lat: round(l.point.lat, 5),
        lon: round(l.point.lon, 5),
        alt: round(l.point.alt_m, 1),
        time: rfc3339(l.point.t_unix_s),
        outcome: l.outcome,
        payload: l.payload,
        fraction: round(l.fraction, 4),
        region_label: region.label(),
        region,
        distance_km: round(
            distance_km(launch.lat, launch.lon, l.point.lat, l.point.lon),
            2,
        ),
        nearest_nk_city: nearest.map(|(c, d)| PlaceDistance {
            name: c.name.clone(),
            distance_km: round(d, 1),
        }),
        heavy_intact: l.heavy.map(|h| HeavyReport {
            why: h.why,
            mass_kg: h.mass_kg.map(|m| round(m, 2)),
            fall_m_s: h.fall_m_s.map(|v| round(v, 1)),
        }),
        heavy_in_rok: l.heavy.is_some() && in_rok,
        heavy_over_populated_rok: place.is_some(),
        populated_place: place.map(|(_, c, d)| PopulatedPlace {
            geonameid: c.geonameid,
            name: c.name.clone(),
            name_ko: c.name_ko.clone(),
            population: c.population,
            distance_km: round(d, 1),
            radius_km: round(c.populated_radius_km(), 1),
            lat: c.lat,
            lon: c.lon,
        }),
        ground: ground.at(l.point.lat, l.point.lon),
    }
}

/// The track, events and landings as a GeoJSON FeatureCollection.
pub fn geojson(report: &PredictReport) -> Value {
    let pred = &report.flight;
    let mut features = Vec::new();
    for st in &pred.stages {
        features.push(json!({
            "type": "Feature",
            "properties": {"stage": st.name},
            "geometry": {"type": "LineString", "coordinates": st.points.iter().map(|p| json!([round(p.lon, 5), round(p.lat, 5), round(p.alt_m, 1)])).collect::<Vec<_>>()},
        }));
    }
    for e in &pred.events {
        features.push(json!({
            "type": "Feature",
            "properties": {"event": e.kind, "time": rfc3339(e.point.t_unix_s), "fraction": e.fraction},
            "geometry": {"type": "Point", "coordinates": [round(e.point.lon, 5), round(e.point.lat, 5), round(e.point.alt_m, 1)]},
        }));
    }
    for (l, r) in pred.landings.iter().zip(&report.landings) {
        features.push(json!({
            "type": "Feature",
            "properties": {
                "landing": l.payload.as_str(), "outcome": l.outcome.as_str(),
                "time": rfc3339(l.point.t_unix_s), "fraction": l.fraction,
                "heavy_intact": l.heavy.is_some(),
                "populated_place": r.populated_place.as_ref().map(|p| p.name.clone()),
            },
            "geometry": {"type": "Point", "coordinates": [round(l.point.lon, 5), round(l.point.lat, 5)]},
        }));
    }
    json!({"type": "FeatureCollection", "features": features})
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The track as KML (Google Earth).
pub fn kml(report: &PredictReport) -> String {
    let pred = &report.flight;
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n",
    );
    let _ = writeln!(
        s,
        "<name>saebaram prediction ({})</name>",
        xml_escape(&report.profile.name)
    );
    for st in &pred.stages {
        let _ = writeln!(
            s,
            "<Placemark><name>{}</name><LineString><altitudeMode>absolute</altitudeMode><coordinates>",
            st.name
        );
        for p in &st.points {
            let _ = write!(s, "{:.5},{:.5},{:.1} ", p.lon, p.lat, p.alt_m);
        }
        s.push_str("</coordinates></LineString></Placemark>\n");
    }
    for e in &pred.events {
        let _ = writeln!(
            s,
            "<Placemark><name>{} {}</name><Point><altitudeMode>absolute</altitudeMode><coordinates>{:.5},{:.5},{:.1}</coordinates></Point></Placemark>",
            e.kind,
            rfc3339(e.point.t_unix_s),
            e.point.lon,
            e.point.lat,
            e.point.alt_m
        );
    }
    for l in &pred.landings {
        let _ = writeln!(
            s,
            "<Placemark><name>{} lands ({})</name><Point><coordinates>{:.5},{:.5},0</coordinates></Point></Placemark>",
            l.payload.as_str(),
            l.outcome.as_str(),
            l.point.lon,
            l.point.lat
        );
    }
    s.push_str("</Document>\n</kml>\n");
    s
}

/// The track as CSV: `stage,time,lat,lon,alt_m`.
pub fn csv(report: &PredictReport) -> String {
    let mut s = String::from("stage,time,lat,lon,alt_m\n");
    for st in &report.flight.stages {
        for p in &st.points {
            let _ = writeln!(
                s,
                "{},{},{:.6},{:.6},{:.1}",
                st.name,
                rfc3339(p.t_unix_s),
                p.lat,
                p.lon,
                p.alt_m
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flight_options::ProfileKind;
    use crate::progress::Silent;

    fn standard_from_paju() -> PredictRequest {
        PredictRequest {
            site: Some("paju".into()),
            flight: FlightOptions {
                profile: Some(ProfileKind::Standard),
                ascent_m_s: Some(5.0),
                burst_alt_m: Some(8_000.0),
                descent_m_s: Some(5.0),
                ..FlightOptions::default()
            },
            ..PredictRequest::default()
        }
    }

    #[test]
    fn a_standard_flight_from_paju_lands_and_reports_its_ground() {
        let events = std::sync::Mutex::new(Vec::new());
        let sink = |e: Event| events.lock().unwrap().push(e);
        let r = run(standard_from_paju(), &Env::fixed(0, 0), &sink).unwrap();
        assert!(r.landed());
        assert_eq!(r.launch.site, Some("Paju"));
        let landing = r.landing.as_ref().unwrap();
        assert_eq!(landing.ground.source, crate::GroundSource::SeaLevel);
        assert!(landing.distance_km > 1.0, "{}", landing.distance_km);
        // ascent, descent; the track starts at the launch.
        assert_eq!(r.stages.len(), 2);
        assert_eq!(r.stages[0].points[0].lat, round(r.launch.lat, 5));
        let events = events.into_inner().unwrap();
        assert!(events.iter().any(|e| matches!(
            e,
            Event::Warning {
                warning: crate::Warning::EmbeddedSampleFlight { .. }
            }
        )));
        assert!(events.contains(&Event::Step {
            stage: Stage::Prediction,
            done: 1,
            total: Some(1),
            unit: Unit::Flights
        }));
    }

    #[test]
    fn the_json_keeps_the_schema_keys() {
        let r = run(standard_from_paju(), &Env::fixed(0, 0), &Silent).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        for key in [
            "forecast", "launch", "profile", "balloon", "stages", "events", "landing", "landings",
            "warnings", "terrain",
        ] {
            assert!(v.get(key).is_some(), "no {key}");
        }
        assert!(
            v.get("flight").is_none(),
            "the raw flight stays out of the JSON"
        );
        assert_eq!(v["landing"]["ground"]["source"], "sea_level");
        assert!(v["landing"]["region"]["class"].is_string());
        let g = geojson(&r);
        assert_eq!(g["type"], "FeatureCollection");
        assert!(kml(&r).contains("<LineString>"));
        assert!(csv(&r).starts_with("stage,time,lat,lon,alt_m\nascent,"));
    }

    #[test]
    fn no_launch_point_is_an_invalid_request() {
        let req = PredictRequest {
            site: None,
            ..standard_from_paju()
        };
        let e = run(req, &Env::fixed(0, 0), &Silent).unwrap_err();
        assert_eq!(e.field(), Some("site"));
    }

    #[test]
    fn a_cancelled_prediction_stops_before_flying() {
        struct Stop;
        impl Progress for Stop {
            fn event(&self, _: Event) {}
            fn cancelled(&self) -> bool {
                true
            }
        }
        let e = run(standard_from_paju(), &Env::fixed(0, 0), &Stop).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Cancelled);
    }

    #[test]
    fn requests_cross_threads_and_json() {
        fn send_static<T: Send + 'static>(_: &T) {}
        let req = standard_from_paju();
        send_static(&req);
        let text = serde_json::to_string(&req).unwrap();
        let back: PredictRequest = serde_json::from_str(&text).unwrap();
        assert_eq!(back, req);
        let handle = std::thread::spawn(move || run(req, &Env::fixed(0, 0), &Silent));
        assert!(handle.join().unwrap().unwrap().landed());
    }
}
