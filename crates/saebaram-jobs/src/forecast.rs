//! Forecasts as a person names them: a file or directory, a cached run by name or
//! `latest`, or nothing (the embedded 2019 sample).

use std::path::{Path, PathBuf};

use saebaram_forecast::time::format_rfc3339;
use saebaram_forecast::{Forecast, OpenOptions, Region, cache};
use serde::Serialize;

use crate::{Env, Error};

/// Opens the forecast a person named: an existing path (GRIB2 file or directory, cache
/// file, tawhiri dataset; GRIB2 cropped to `region`), else a run in the cache by its name
/// (`gfs-2026112900`, `2026112900`) or `latest`; `None` is the embedded sample.
pub fn open(name: Option<&str>, region: Region, env: &Env) -> Result<Forecast, Error> {
    let Some(name) = name else {
        return Forecast::embedded().map_err(|source| Error::Forecast {
            context: "cannot decode the built-in forecast sample".into(),
            source,
        });
    };
    let path = Path::new(name);
    if path.exists() {
        return Forecast::open_with(path, &OpenOptions { region }).map_err(|source| {
            Error::Forecast {
                context: format!("cannot use forecast {name}"),
                source,
            }
        });
    }
    let dir = env.forecast_cache(None)?;
    let p = find_cached(&dir, name)?;
    Forecast::open(&p).map_err(|source| Error::Forecast {
        context: format!("cannot use cached forecast {}", p.display()),
        source,
    })
}

/// The cache file of a run named `name` (or `latest`) in `dir`.
fn find_cached(dir: &Path, name: &str) -> Result<PathBuf, Error> {
    let entries = cache::list(dir).map_err(|source| Error::Forecast {
        context: format!("cannot list the cache {}", dir.display()),
        source,
    })?;
    let stem = |p: &Path| {
        p.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string()
    };
    let found = if name == "latest" {
        entries
            .iter()
            .filter_map(|e| e.header.as_ref().ok().map(|h| (h.run_unix_s, &e.path)))
            .max_by_key(|(run, _)| *run)
            .map(|(_, p)| p.clone())
    } else {
        let matching: Vec<&PathBuf> = entries
            .iter()
            .map(|e| &e.path)
            .filter(|p| stem(p) == name || stem(p).ends_with(&format!("-{name}")))
            .collect();
        if matching.len() > 1 {
            return Err(Error::ForecastAmbiguous {
                name: name.to_string(),
                dir: dir.to_path_buf(),
                candidates: matching.iter().map(|p| stem(p)).collect(),
            });
        }
        matching.first().map(|p| (*p).clone())
    };
    found.ok_or_else(|| Error::ForecastNotFound {
        name: name.to_string(),
        dir: dir.to_path_buf(),
        runs: entries.len(),
    })
}

/// The `forecast` object of a plan or a prediction: which forecast the flights flew in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastSummary {
    /// Its source (`GFS`, `JMA (centre 34, rjtd)`).
    pub source: String,
    /// The credit line to show with any result.
    pub credit: String,
    /// The file, directory or dataset it came from.
    pub origin: String,
    /// Run time, RFC 3339.
    pub run_time: String,
    /// True for the embedded sample or any one-time forecast held steady.
    pub steady_sample: bool,
    /// First valid time.
    pub valid_from: Option<String>,
    /// Last valid time.
    pub valid_to: Option<String>,
}

impl ForecastSummary {
    /// The summary of `f`.
    pub fn of(f: &Forecast) -> ForecastSummary {
        let info = f.info();
        ForecastSummary {
            source: info.source.clone(),
            credit: info.credit.clone(),
            origin: info.origin.clone(),
            run_time: format_rfc3339(info.run_unix_s),
            steady_sample: info.is_embedded_sample() || info.is_steady(),
            valid_from: info.valid_unix_s.first().map(|t| format_rfc3339(*t)),
            valid_to: info.valid_unix_s.last().map(|t| format_rfc3339(*t)),
        }
    }
}

/// The note flights in `f` deserve: the embedded 2019 sample, or one time held steady.
pub(crate) fn steady_warning(f: &Forecast) -> Option<crate::Warning> {
    let info = f.info();
    if info.is_embedded_sample() {
        Some(crate::Warning::EmbeddedSampleFlight {
            source: info.source.clone(),
            run_time: format_rfc3339(info.run_unix_s),
        })
    } else if info.is_steady() {
        Some(crate::Warning::SteadyForecast)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_name_is_the_embedded_sample_and_says_so() {
        let env = Env::fixed(0, 0);
        let f = open(None, Region::KOREA, &env).unwrap();
        let s = ForecastSummary::of(&f);
        assert!(s.steady_sample);
        assert!(
            s.credit.contains("Japan Meteorological Agency"),
            "{}",
            s.credit
        );
        assert!(matches!(
            steady_warning(&f),
            Some(crate::Warning::EmbeddedSampleFlight { .. })
        ));
    }

    #[test]
    fn an_unknown_name_searches_the_cache_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Env::fixed(0, 0);
        env.forecast_cache_dir = Some(dir.path().to_path_buf());
        let e = open(Some("gfs-2026112900"), Region::KOREA, &env).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::ForecastNotFound);
        assert!(e.to_string().contains("0 run(s) there"), "{e}");
        let no_cache = Env::fixed(0, 0);
        assert_eq!(
            open(Some("latest"), Region::KOREA, &no_cache)
                .unwrap_err()
                .kind(),
            crate::ErrorKind::NoCacheDir
        );
    }
}
