//! A point-in-polygon index for a small set of non-overlapping polygons.
//!
//! Two structures, both built once:
//! - a uniform grid over the set's bounding box whose cells that no polygon edge touches
//!   carry their answer directly (most of the sea and the interior of countries: one
//!   memory read per query);
//! - latitude bands, each listing the edges that cross it, for the cells that an edge
//!   touches: there the answer is the crossing-number (even-odd) rule on a ray cast
//!   towards the east, counted per polygon, using only the edges of the point's band.
//!
//! Holes and multi-part polygons need nothing special under the even-odd rule. The
//! rule is half-open (an edge counts when exactly one end lies strictly above the
//! point), so a ray through a vertex is counted once, deterministically.

/// At most this many polygons per set (they are toggled in a `u32` mask).
pub(crate) const MAX_POLYGONS: usize = 32;

const NONE: u8 = 254;
const MIXED: u8 = 255;

/// One edge of a ring, ready for the crossing test.
#[derive(Debug, Clone, Copy)]
struct Edge {
    /// Lower end's latitude and the upper end's latitude (`y0 < y1`).
    y0: f64,
    y1: f64,
    /// Longitude at `y0`.
    x0: f64,
    /// Change of longitude per degree of latitude along the edge.
    dxdy: f64,
    /// Longitude bounds, to skip edges entirely west of the point.
    xmax: f64,
    id: u8,
}

/// A set of polygons (each a list of rings: exteriors and holes, in any order) and
/// the index that answers "which of them contains this point".
#[derive(Debug)]
pub(crate) struct PolygonIndex {
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    cells: Vec<u8>,
    band: f64,
    nb: usize,
    band_start: Vec<u32>,
    edges: Vec<Edge>,
}

impl PolygonIndex {
    /// Builds the index. `polygons[i]` is every ring of polygon `i` as `(lon, lat)`
    /// pairs. `cell` and `band` are the grid's cell size and the bands' height in
    /// degrees.
    pub(crate) fn new(polygons: &[Vec<Vec<(f64, f64)>>], cell: f64, band: f64) -> Self {
        debug_assert!(polygons.len() <= MAX_POLYGONS);
        let mut min_x = f64::INFINITY;
        let mut min_y = f64::INFINITY;
        let mut max_x = f64::NEG_INFINITY;
        let mut max_y = f64::NEG_INFINITY;
        let mut raw = Vec::new();
        for (id, rings) in polygons.iter().enumerate().take(MAX_POLYGONS) {
            for ring in rings {
                for w in ring.windows(2) {
                    let ((ax, ay), (bx, by)) = (w[0], w[1]);
                    min_x = min_x.min(ax).min(bx);
                    max_x = max_x.max(ax).max(bx);
                    min_y = min_y.min(ay).min(by);
                    max_y = max_y.max(ay).max(by);
                    raw.push((ax, ay, bx, by, id as u8));
                }
            }
        }
        if raw.is_empty() {
            return Self {
                min_x: 0.0,
                min_y: 0.0,
                max_x: -1.0,
                max_y: -1.0,
                cell,
                nx: 0,
                ny: 0,
                cells: Vec::new(),
                band,
                nb: 0,
                band_start: vec![0],
                edges: Vec::new(),
            };
        }
        let nx = (((max_x - min_x) / cell).floor() as usize) + 1;
        let ny = (((max_y - min_y) / cell).floor() as usize) + 1;
        let nb = (((max_y - min_y) / band).floor() as usize) + 1;

        // Bands: counting sort of the non-horizontal edges into every band they span.
        let band_of = |y: f64| (((y - min_y) / band).floor().max(0.0) as usize).min(nb - 1);
        let mut counts = vec![0u32; nb + 1];
        let mut edges_once = Vec::with_capacity(raw.len());
        for &(ax, ay, bx, by, id) in &raw {
            if ay == by {
                continue;
            }
            let (x0, y0, x1, y1) = if ay < by {
                (ax, ay, bx, by)
            } else {
                (bx, by, ax, ay)
            };
            let e = Edge {
                y0,
                y1,
                x0,
                dxdy: (x1 - x0) / (y1 - y0),
                xmax: x0.max(x1),
                id,
            };
            for b in band_of(y0)..=band_of(y1) {
                counts[b + 1] += 1;
            }
            edges_once.push(e);
        }
        for b in 0..nb {
            counts[b + 1] += counts[b];
        }
        let band_start = counts.clone();
        let mut fill = counts;
        let mut edges = vec![
            Edge {
                y0: 0.0,
                y1: 0.0,
                x0: 0.0,
                dxdy: 0.0,
                xmax: 0.0,
                id: 0,
            };
            band_start[nb] as usize
        ];
        for e in &edges_once {
            for b in band_of(e.y0)..=band_of(e.y1) {
                edges[fill[b] as usize] = *e;
                fill[b] += 1;
            }
        }

        let mut index = Self {
            min_x,
            min_y,
            max_x,
            max_y,
            cell,
            nx,
            ny,
            cells: vec![NONE; nx * ny],
            band,
            nb,
            band_start,
            edges,
        };

        // Cells touched by an edge's bounding box (padded by a hair) are mixed.
        let pad = 1e-9;
        let cx = |x: f64| (((x - min_x) / cell).floor().max(0.0) as usize).min(nx - 1);
        let cy = |y: f64| (((y - min_y) / cell).floor().max(0.0) as usize).min(ny - 1);
        for &(ax, ay, bx, by, _) in &raw {
            for iy in cy(ay.min(by) - pad)..=cy(ay.max(by) + pad) {
                for ix in cx(ax.min(bx) - pad)..=cx(ax.max(bx) + pad) {
                    index.cells[iy * nx + ix] = MIXED;
                }
            }
        }
        // Every other cell takes the answer at its centre: one sweep per row, from west
        // to east, over that row's crossings sorted by longitude.
        let mut crossings: Vec<(f64, u8)> = Vec::new();
        for iy in 0..ny {
            let y = min_y + (iy as f64 + 0.5) * cell;
            crossings.clear();
            let b = band_of(y);
            let (start, end) = (
                index.band_start[b] as usize,
                index.band_start[b + 1] as usize,
            );
            let mut mask: u32 = 0;
            for e in &index.edges[start..end] {
                if (e.y0 > y) != (e.y1 > y) {
                    let x = e.x0 + (y - e.y0) * e.dxdy;
                    crossings.push((x, e.id));
                    mask ^= 1 << e.id;
                }
            }
            crossings.sort_by(|a, b| a.0.total_cmp(&b.0));
            // `mask` holds the parity of crossings east of the current x.
            let mut next = 0;
            for ix in 0..nx {
                let x = min_x + (ix as f64 + 0.5) * cell;
                while next < crossings.len() && crossings[next].0 <= x {
                    mask ^= 1 << crossings[next].1;
                    next += 1;
                }
                let c = &mut index.cells[iy * nx + ix];
                if *c != MIXED {
                    *c = if mask == 0 {
                        NONE
                    } else {
                        mask.trailing_zeros() as u8
                    };
                }
            }
        }
        index
    }

    /// The polygon containing `(x, y)` = (lon, lat), if any. Non-finite input gives `None`.
    #[inline]
    pub(crate) fn locate(&self, x: f64, y: f64) -> Option<u8> {
        // Written so that NaN fails every comparison and lands in `None`.
        if !(x >= self.min_x && x <= self.max_x && y >= self.min_y && y <= self.max_y) {
            return None;
        }
        let ix = (((x - self.min_x) / self.cell) as usize).min(self.nx - 1);
        let iy = (((y - self.min_y) / self.cell) as usize).min(self.ny - 1);
        match self.cells.get(iy * self.nx + ix).copied() {
            Some(NONE) => None,
            Some(MIXED) | None => self.locate_by_ray(x, y),
            Some(id) => Some(id),
        }
    }

    /// The even-odd rule on a ray towards the east, over the point's band only.
    fn locate_by_ray(&self, x: f64, y: f64) -> Option<u8> {
        if self.nb == 0 {
            return None;
        }
        let b = (((y - self.min_y) / self.band).floor().max(0.0) as usize).min(self.nb - 1);
        let (start, end) = (
            self.band_start.get(b).copied().unwrap_or(0) as usize,
            self.band_start.get(b + 1).copied().unwrap_or(0) as usize,
        );
        let mut inside: u32 = 0;
        for e in self.edges.get(start..end).unwrap_or(&[]) {
            if e.xmax <= x {
                continue;
            }
            if (e.y0 > y) != (e.y1 > y) && e.x0 + (y - e.y0) * e.dxdy > x {
                inside ^= 1 << e.id;
            }
        }
        if inside == 0 {
            None
        } else {
            Some(inside.trailing_zeros() as u8)
        }
    }

    /// Share of grid cells that need the ray test.
    #[cfg(test)]
    pub(crate) fn mixed_fraction(&self) -> f64 {
        if self.cells.is_empty() {
            return 0.0;
        }
        self.cells.iter().filter(|&&c| c == MIXED).count() as f64 / self.cells.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, s: f64) -> Vec<(f64, f64)> {
        vec![
            (x0, y0),
            (x0 + s, y0),
            (x0 + s, y0 + s),
            (x0, y0 + s),
            (x0, y0),
        ]
    }

    #[test]
    fn square_with_hole_and_second_polygon() {
        let polys = vec![
            vec![square(0.0, 0.0, 10.0), square(4.0, 4.0, 2.0)],
            vec![square(20.0, 0.0, 5.0)],
        ];
        let idx = PolygonIndex::new(&polys, 0.5, 0.25);
        assert_eq!(idx.locate(1.0, 1.0), Some(0));
        assert_eq!(idx.locate(5.0, 5.0), None, "inside the hole");
        assert_eq!(idx.locate(3.9, 5.0), Some(0));
        assert_eq!(idx.locate(22.0, 2.0), Some(1));
        assert_eq!(idx.locate(15.0, 2.0), None);
        assert_eq!(idx.locate(-1.0, 2.0), None);
        assert_eq!(idx.locate(f64::NAN, 2.0), None);
        assert_eq!(idx.locate(2.0, f64::INFINITY), None);
    }

    #[test]
    fn empty_set_contains_nothing() {
        let idx = PolygonIndex::new(&[], 0.5, 0.5);
        assert_eq!(idx.locate(0.0, 0.0), None);
        assert_eq!(idx.mixed_fraction(), 0.0);
    }
}
