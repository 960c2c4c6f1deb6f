//! What is recorded. There is no field for a person's name, by design.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

fn parse_hex16(field: &'static str, text: &str) -> Result<[u8; 16]> {
    let mut out = [0u8; 16];
    hex::decode_to_slice(text, &mut out).map_err(|_| Error::Invalid {
        field,
        problem: format!("`{text}` is not 32 hexadecimal digits"),
    })?;
    Ok(out)
}

macro_rules! hex_id {
    ($name:ident, $field:literal, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub [u8; 16]);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(text: &str) -> Result<Self> {
                parse_hex16($field, text).map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_id!(
    RecordId,
    "record id",
    "A record's stable id: 128 random bits, shown as 32 hex digits."
);
hex_id!(
    CellId,
    "cell id",
    "A database's (a cell's) id: 128 random bits, shown as 32 hex digits."
);

/// The version of a record: who edited it last, when, and what edits it includes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// Lamport time of the last edit.
    pub lamport: u64,
    /// Cell that made the last edit.
    pub cell: CellId,
    /// Wall-clock time of the last edit (RFC 3339, informative only).
    pub updated_at: DateTime<Utc>,
    /// Version vector: for each cell, the Lamport time of its latest edit included.
    pub vv: BTreeMap<CellId, u64>,
}

/// A record with its id and version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored<T> {
    /// Stable id.
    pub id: RecordId,
    /// Version for merges.
    pub version: Version,
    /// The facts.
    #[serde(flatten)]
    pub data: T,
}

/// What a balloon launch carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// Leaflets.
    pub leaflets: u64,
    /// USB drives.
    pub usb: u64,
    /// SD cards.
    pub sd: u64,
    /// Other items (radios, dollar bills, ...).
    pub other: u64,
}

impl Payload {
    /// Devices (USB + SD + other).
    pub fn devices(&self) -> u64 {
        self.usb.saturating_add(self.sd).saturating_add(self.other)
    }
}

/// The planner's prediction for the launch window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Probability of reaching the target, 0..=1.
    pub p_target: f64,
    /// Median landing point (lat, lon), if any member landed.
    pub median_landing: Option<(f64, f64)>,
}

/// An outcome noted after the fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Free text.
    pub note: String,
    /// When it was noted.
    pub noted_at: DateTime<Utc>,
}

/// A balloon launch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    /// Launch time.
    pub time: DateTime<Utc>,
    /// Site name or `LAT,LON`.
    pub site: String,
    /// Balloon preset or profile name.
    pub preset: String,
    /// Profile parameters (JSON object).
    pub parameters: serde_json::Value,
    /// What it carried.
    pub payload: Payload,
    /// The planner's prediction, if recorded by `plan --record`.
    pub prediction: Option<Prediction>,
    /// The outcome, noted later.
    pub outcome: Option<Outcome>,
}

/// A batch of drives written by `flash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// When it was written.
    pub time: DateTime<Utc>,
    /// BLAKE3 of the image manifest (hex).
    pub manifest_blake3: String,
    /// Content version label.
    pub content_version: Option<String>,
    /// Drives written.
    pub written: u64,
    /// Drives that passed verification.
    pub passed: u64,
    /// Drives rejected as fake capacity.
    pub rejected_fake: u64,
    /// Drives that failed.
    pub failed: u64,
}

/// Devices in a shipment, by type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCounts {
    /// USB drives.
    pub usb: u64,
    /// SD cards.
    pub sd: u64,
    /// Other devices (players, phones, radios).
    pub other: u64,
}

impl DeviceCounts {
    /// All devices.
    pub fn total(&self) -> u64 {
        self.usb.saturating_add(self.sd).saturating_add(self.other)
    }
}

/// Where a shipment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShipmentStatus {
    /// Not left yet (not counted as sent in reports).
    Planned,
    /// Left, not confirmed.
    InTransit,
    /// Confirmed delivered.
    Delivered,
    /// Lost or seized.
    Lost,
}

impl ShipmentStatus {
    /// All statuses.
    pub const ALL: [ShipmentStatus; 4] = [
        ShipmentStatus::Planned,
        ShipmentStatus::InTransit,
        ShipmentStatus::Delivered,
        ShipmentStatus::Lost,
    ];

    /// Its name in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ShipmentStatus::Planned => "planned",
            ShipmentStatus::InTransit => "in-transit",
            ShipmentStatus::Delivered => "delivered",
            ShipmentStatus::Lost => "lost",
        }
    }

    /// Whether the shipment left (counted as sent).
    pub fn is_sent(self) -> bool {
        !matches!(self, ShipmentStatus::Planned)
    }
}

impl FromStr for ShipmentStatus {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        ShipmentStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| Error::Invalid {
                field: "shipment status",
                problem: format!("`{text}` is not one of planned, in-transit, delivered, lost"),
            })
    }
}

impl fmt::Display for ShipmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A shipment of devices over a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// The route's code name (never a real place or person).
    pub route: String,
    /// Devices by type.
    pub devices: DeviceCounts,
    /// Date it left (or is planned to leave).
    pub sent: NaiveDate,
    /// Date it arrived, if known.
    pub arrived: Option<NaiveDate>,
    /// Status.
    pub status: ShipmentStatus,
}

pub(crate) fn check_year(field: &'static str, year: i32) -> Result<()> {
    if (1970..=9999).contains(&year) {
        Ok(())
    } else {
        Err(Error::Invalid {
            field,
            problem: format!("year {year} is outside 1970..=9999"),
        })
    }
}

pub(crate) fn check_text(field: &'static str, text: &str, allow_empty: bool) -> Result<()> {
    if !allow_empty && text.trim().is_empty() {
        return Err(Error::Invalid {
            field,
            problem: "is empty".into(),
        });
    }
    if text.len() > 4096 {
        return Err(Error::Invalid {
            field,
            problem: "is longer than 4096 bytes".into(),
        });
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::Invalid {
            field,
            problem: "contains control characters".into(),
        });
    }
    Ok(())
}

impl Launch {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        check_year("launch time", chrono::Datelike::year(&self.time))?;
        check_text("site", &self.site, false)?;
        check_text("preset", &self.preset, false)?;
        if !self.parameters.is_object() && !self.parameters.is_null() {
            return Err(Error::Invalid {
                field: "parameters",
                problem: "must be a JSON object".into(),
            });
        }
        if let Some(prediction) = &self.prediction {
            if !(0.0..=1.0).contains(&prediction.p_target) {
                return Err(Error::Invalid {
                    field: "p_target",
                    problem: format!("{} is outside 0..=1", prediction.p_target),
                });
            }
            if let Some((lat, lon)) = prediction.median_landing
                && !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
            {
                return Err(Error::Invalid {
                    field: "median landing",
                    problem: format!("({lat}, {lon}) is not a latitude/longitude"),
                });
            }
        }
        if let Some(outcome) = &self.outcome {
            check_text("outcome note", &outcome.note, false)?;
        }
        Ok(())
    }

    /// The free-text fields, for the forbidden-strings check.
    pub fn free_text(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![
            ("site", self.site.as_str()),
            ("preset", self.preset.as_str()),
        ];
        if let Some(outcome) = &self.outcome {
            out.push(("outcome note", outcome.note.as_str()));
        }
        out
    }
}

impl Batch {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        check_year("batch time", chrono::Datelike::year(&self.time))?;
        check_text("manifest hash", &self.manifest_blake3, false)?;
        if let Some(version) = &self.content_version {
            check_text("content version", version, false)?;
        }
        // Drives rejected as fake may never have been written: only `passed` is bounded.
        if self.passed > self.written {
            return Err(Error::Invalid {
                field: "batch counts",
                problem: format!(
                    "passed = {} exceeds written = {}",
                    self.passed, self.written
                ),
            });
        }
        Ok(())
    }

    /// The free-text fields.
    pub fn free_text(&self) -> Vec<(&'static str, &str)> {
        self.content_version
            .iter()
            .map(|v| ("content version", v.as_str()))
            .collect()
    }
}

impl Shipment {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        check_year("sending date", chrono::Datelike::year(&self.sent))?;
        check_text("route code name", &self.route, false)?;
        if let Some(arrived) = self.arrived
            && arrived < self.sent
        {
            return Err(Error::Invalid {
                field: "arrival date",
                problem: format!("{arrived} is before the sending date {}", self.sent),
            });
        }
        Ok(())
    }

    /// The free-text fields.
    pub fn free_text(&self) -> Vec<(&'static str, &str)> {
        vec![("route code name", self.route.as_str())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_json() {
        let id = RecordId([0x5a; 16]);
        assert_eq!(id.to_string().parse::<RecordId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<RecordId>(&json).unwrap(), id);
        assert!("xyz".parse::<RecordId>().is_err());
        assert!("zz".repeat(16).parse::<CellId>().is_err());
    }

    #[test]
    fn batch_counts_must_add_up() {
        let batch = Batch {
            time: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            manifest_blake3: "ab".into(),
            content_version: None,
            written: 3,
            passed: 4,
            rejected_fake: 1,
            failed: 1,
        };
        assert!(
            batch
                .validate()
                .unwrap_err()
                .to_string()
                .contains("exceeds written")
        );
    }

    #[test]
    fn shipment_status_parses() {
        for status in ShipmentStatus::ALL {
            assert_eq!(status.as_str().parse::<ShipmentStatus>().unwrap(), status);
        }
        assert!("gone".parse::<ShipmentStatus>().is_err());
    }
}
