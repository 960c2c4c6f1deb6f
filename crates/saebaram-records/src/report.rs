//! Totals by channel and month: the numbers donors ask for.
//!
//! Channels: `balloon` (launches, by launch time) and `shipment` (shipments that left, by
//! date sent; planned ones are not counted). Estimated reach is
//! `leaflets × reach_per_leaflet + devices × reach_per_device`, with both multipliers
//! chosen by the user and printed with the report: it is an estimate, not a measurement.
//! Device batches are reported apart (drives prepared), since a drive written is not a
//! drive sent.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::Records;

/// What to report.
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    /// First day included.
    pub from: NaiveDate,
    /// Last day included.
    pub to: NaiveDate,
    /// People reached per leaflet.
    pub reach_per_leaflet: f64,
    /// People reached per device.
    pub reach_per_device: f64,
}

/// Totals of one channel in one month (or over the whole range, `month = "total"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelRow {
    /// `YYYY-MM`, or `total`.
    pub month: String,
    /// `balloon` or `shipment`.
    pub channel: &'static str,
    /// Launches or shipments.
    pub events: u64,
    /// Leaflets.
    pub leaflets: u64,
    /// USB drives.
    pub usb: u64,
    /// SD cards.
    pub sd: u64,
    /// Other items.
    pub other: u64,
    /// USB + SD + other.
    pub devices: u64,
    /// Estimated people reached.
    pub estimated_reach: f64,
}

/// Drives prepared in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchRow {
    /// `YYYY-MM`, or `total`.
    pub month: String,
    /// Batches.
    pub batches: u64,
    /// Drives written.
    pub written: u64,
    /// Passed verification.
    pub passed: u64,
    /// Rejected as fake capacity.
    pub rejected_fake: u64,
    /// Failed.
    pub failed: u64,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// First day included.
    pub from: NaiveDate,
    /// Last day included.
    pub to: NaiveDate,
    /// Multiplier used.
    pub reach_per_leaflet: f64,
    /// Multiplier used.
    pub reach_per_device: f64,
    /// By month, then channel.
    pub months: Vec<ChannelRow>,
    /// By channel over the whole range.
    pub totals: Vec<ChannelRow>,
    /// Drives prepared by month.
    pub batches: Vec<BatchRow>,
    /// Drives prepared over the whole range.
    pub batch_total: BatchRow,
}

fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Records {
    /// Totals by channel and month over `from..=to`.
    pub fn report(&self, options: &ReportOptions) -> Result<Report> {
        if options.to < options.from {
            return Err(Error::Invalid {
                field: "report range",
                problem: format!("--to {} is before --from {}", options.to, options.from),
            });
        }
        for (name, value) in [
            ("reach per leaflet", options.reach_per_leaflet),
            ("reach per device", options.reach_per_device),
        ] {
            if !value.is_finite() || value < 0.0 {
                return Err(Error::Invalid {
                    field: if name.ends_with("leaflet") {
                        "reach per leaflet"
                    } else {
                        "reach per device"
                    },
                    problem: format!("{value} is not a non-negative number"),
                });
            }
        }
        let from = day(options.from);
        let to_inclusive = day(options.to);
        let to_exclusive = options
            .to
            .checked_add_days(Days::new(1))
            .map(day)
            .unwrap_or_else(|| "9999-99".into());
        let sql_err = |source| Error::Sql {
            path: self.path.clone(),
            source,
        };

        let channel_sql = [
            (
                "balloon",
                "SELECT substr(time, 1, 7) AS month, count(*), sum(leaflets), sum(usb), sum(sd),
                        sum(other)
                 FROM launches WHERE time >= ?1 AND time < ?2 GROUP BY month",
                to_exclusive.clone(),
            ),
            (
                "shipment",
                "SELECT substr(sent, 1, 7) AS month, count(*), 0, sum(usb), sum(sd), sum(other)
                 FROM shipments WHERE sent >= ?1 AND sent <= ?2 AND status != 'planned'
                 GROUP BY month",
                to_inclusive,
            ),
        ];
        let mut months = Vec::new();
        for (channel, sql, end) in channel_sql {
            let mut stmt = self.conn.prepare(sql).map_err(sql_err)?;
            let rows = stmt
                .query_map([&from, &end], |row| {
                    let usb = to_u64(row.get(3)?);
                    let sd = to_u64(row.get(4)?);
                    let other = to_u64(row.get(5)?);
                    let leaflets = to_u64(row.get(2)?);
                    let devices = usb.saturating_add(sd).saturating_add(other);
                    Ok(ChannelRow {
                        month: row.get(0)?,
                        channel,
                        events: to_u64(row.get(1)?),
                        leaflets,
                        usb,
                        sd,
                        other,
                        devices,
                        estimated_reach: leaflets as f64 * options.reach_per_leaflet
                            + devices as f64 * options.reach_per_device,
                    })
                })
                .map_err(sql_err)?;
            for row in rows {
                months.push(row.map_err(sql_err)?);
            }
        }
        months.sort_by(|a, b| (&a.month, a.channel).cmp(&(&b.month, b.channel)));

        let mut totals: Vec<ChannelRow> = Vec::new();
        for channel in ["balloon", "shipment"] {
            let mut total = ChannelRow {
                month: "total".into(),
                channel,
                events: 0,
                leaflets: 0,
                usb: 0,
                sd: 0,
                other: 0,
                devices: 0,
                estimated_reach: 0.0,
            };
            for row in months.iter().filter(|row| row.channel == channel) {
                total.events += row.events;
                total.leaflets += row.leaflets;
                total.usb += row.usb;
                total.sd += row.sd;
                total.other += row.other;
                total.devices += row.devices;
                total.estimated_reach += row.estimated_reach;
            }
            totals.push(total);
        }

        let mut stmt = self
            .conn
            .prepare(
                "SELECT substr(time, 1, 7) AS month, count(*), sum(written), sum(passed),
                        sum(rejected_fake), sum(failed)
                 FROM batches WHERE time >= ?1 AND time < ?2 GROUP BY month ORDER BY month",
            )
            .map_err(sql_err)?;
        let rows = stmt
            .query_map([&from, &to_exclusive], |row| {
                Ok(BatchRow {
                    month: row.get(0)?,
                    batches: to_u64(row.get(1)?),
                    written: to_u64(row.get(2)?),
                    passed: to_u64(row.get(3)?),
                    rejected_fake: to_u64(row.get(4)?),
                    failed: to_u64(row.get(5)?),
                })
            })
            .map_err(sql_err)?;
        let mut batches = Vec::new();
        for row in rows {
            batches.push(row.map_err(sql_err)?);
        }
        let mut batch_total = BatchRow {
            month: "total".into(),
            batches: 0,
            written: 0,
            passed: 0,
            rejected_fake: 0,
            failed: 0,
        };
        for row in &batches {
            batch_total.batches += row.batches;
            batch_total.written += row.written;
            batch_total.passed += row.passed;
            batch_total.rejected_fake += row.rejected_fake;
            batch_total.failed += row.failed;
        }
        Ok(Report {
            from: options.from,
            to: options.to,
            reach_per_leaflet: options.reach_per_leaflet,
            reach_per_device: options.reach_per_device,
            months,
            totals,
            batches,
            batch_total,
        })
    }
}
