//! Highest-density contours of a gridded leaflet density.
//!
//! The ensemble gives a fraction of the leaflets per grid cell. The *p* contour encloses the
//! smallest set of cells that holds at least *p* of the total (cells taken from the densest
//! down). Its outline follows the cell edges exactly: we draw what the ensemble produced,
//! not a smoothed guess between cells.

use std::collections::{BTreeMap, BTreeSet};

/// One grid cell: its south-west corner as integer multiples of the cell size, and its mass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// Row: floor(south edge latitude / cell size).
    pub row: i64,
    /// Column: floor(west edge longitude / cell size).
    pub col: i64,
    /// Mass in the cell (any non-negative unit; only ratios matter).
    pub mass: f64,
}

/// The density smoothed with a 3x3 binomial kernel (weights 1-2-1 in each direction, so
/// mass spreads one cell each way and the total is kept). Contours of the smoothed density
/// enclose the bulk of the landings as a few areas instead of one ring per lone member.
pub fn smooth(cells: &[Cell]) -> Vec<Cell> {
    const W: [f64; 3] = [0.25, 0.5, 0.25];
    let mut grid: BTreeMap<(i64, i64), f64> = BTreeMap::new();
    for c in cells.iter().filter(|c| c.mass.is_finite() && c.mass > 0.0) {
        for (dr, wr) in (-1..=1).zip(W) {
            for (dc, wc) in (-1..=1).zip(W) {
                *grid.entry((c.row + dr, c.col + dc)).or_default() += c.mass * wr * wc;
            }
        }
    }
    grid.into_iter()
        .map(|((row, col), mass)| Cell { row, col, mass })
        .collect()
}

/// The cells of the highest-density region holding at least `level` (0..=1) of the mass.
///
/// Cells are taken from the densest down (ties in input order after sorting by mass, then
/// position, so the result does not depend on the input order). Non-finite or non-positive
/// masses never enter a region.
pub fn region(cells: &[Cell], level: f64) -> BTreeSet<(i64, i64)> {
    let mut sorted: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.mass.is_finite() && c.mass > 0.0)
        .collect();
    let total: f64 = sorted.iter().map(|c| c.mass).sum();
    let mut set = BTreeSet::new();
    if total <= 0.0 {
        return set;
    }
    sorted.sort_by(|a, b| {
        b.mass
            .total_cmp(&a.mass)
            .then(a.row.cmp(&b.row))
            .then(a.col.cmp(&b.col))
    });
    let mut acc = 0.0;
    for c in sorted {
        if acc >= level * total {
            break;
        }
        acc += c.mass;
        set.insert((c.row, c.col));
    }
    set
}

/// The outline of a set of cells as closed rings of grid corners `(row, col)`.
///
/// Each boundary edge is oriented with the region on its left (counter-clockwise around
/// each cell), so every corner has as many outgoing as incoming edges and the edges chain
/// into closed rings. Holes come out as rings of their own.
pub fn outline(set: &BTreeSet<(i64, i64)>) -> Vec<Vec<(i64, i64)>> {
    // Outgoing edges per start corner.
    let mut edges: BTreeMap<(i64, i64), Vec<(i64, i64)>> = BTreeMap::new();
    let mut add = |a: (i64, i64), b: (i64, i64)| edges.entry(a).or_default().push(b);
    for &(r, c) in set {
        // Corners: (row, col) is the south-west corner; row grows north, col grows east.
        if !set.contains(&(r - 1, c)) {
            add((r, c), (r, c + 1)); // south edge, eastwards
        }
        if !set.contains(&(r, c + 1)) {
            add((r, c + 1), (r + 1, c + 1)); // east edge, northwards
        }
        if !set.contains(&(r + 1, c)) {
            add((r + 1, c + 1), (r + 1, c)); // north edge, westwards
        }
        if !set.contains(&(r, c - 1)) {
            add((r + 1, c), (r, c)); // west edge, southwards
        }
    }
    let mut rings = Vec::new();
    while let Some((&start, _)) = edges.iter().next() {
        let mut ring = vec![start];
        let mut at = start;
        while let Some(outs) = edges.get_mut(&at) {
            let Some(next) = outs.pop() else { break };
            if outs.is_empty() {
                edges.remove(&at);
            }
            ring.push(next);
            at = next;
            if at == start {
                // Closed. Where two cells touch diagonally, the corner has a second
                // outgoing edge; it starts a ring of its own on the next turn.
                break;
            }
        }
        rings.push(ring);
    }
    rings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(row: i64, col: i64, mass: f64) -> Cell {
        Cell { row, col, mass }
    }

    #[test]
    fn region_takes_densest_cells_until_level() {
        let cells = [
            cell(0, 0, 0.5),
            cell(0, 1, 0.3),
            cell(0, 2, 0.15),
            cell(5, 5, 0.05),
        ];
        let r50 = region(&cells, 0.5);
        assert_eq!(r50.into_iter().collect::<Vec<_>>(), vec![(0, 0)]);
        let r90 = region(&cells, 0.9);
        assert_eq!(r90.len(), 3);
        assert!(!r90.contains(&(5, 5)));
        assert_eq!(region(&cells, 1.0).len(), 4);
    }

    #[test]
    fn region_ignores_bad_masses_and_input_order() {
        let a = [
            cell(0, 0, f64::NAN),
            cell(0, 1, -1.0),
            cell(1, 1, 2.0),
            cell(2, 2, 2.0),
        ];
        let mut b = a;
        b.reverse();
        assert_eq!(region(&a, 0.5), region(&b, 0.5));
        assert!(region(&a, 1.0).iter().all(|&(r, _)| r >= 1));
        assert!(region(&[], 0.5).is_empty());
    }

    #[test]
    fn smoothing_keeps_mass_and_spreads_one_cell() {
        let s = smooth(&[cell(0, 0, 1.0), cell(10, 10, f64::NAN)]);
        assert_eq!(s.len(), 9);
        let total: f64 = s.iter().map(|c| c.mass).sum();
        assert!((total - 1.0).abs() < 1e-12);
        let centre = s.iter().find(|c| (c.row, c.col) == (0, 0)).unwrap();
        assert!((centre.mass - 0.25).abs() < 1e-12);
    }

    #[test]
    fn outline_of_one_cell_is_its_square() {
        let set: BTreeSet<_> = [(2, 3)].into_iter().collect();
        let rings = outline(&set);
        assert_eq!(rings.len(), 1);
        let ring = &rings[0];
        assert_eq!(ring.first(), ring.last());
        assert_eq!(ring.len(), 5);
        let corners: BTreeSet<_> = ring.iter().copied().collect();
        assert_eq!(
            corners,
            [(2, 3), (2, 4), (3, 4), (3, 3)].into_iter().collect()
        );
    }

    #[test]
    fn outline_of_a_block_skips_inner_edges() {
        let set: BTreeSet<_> = (0..3).flat_map(|r| (0..3).map(move |c| (r, c))).collect();
        let rings = outline(&set);
        assert_eq!(rings.len(), 1);
        // 12 boundary edges, closed ring of 13 corners.
        assert_eq!(rings[0].len(), 13);
        assert!(!rings[0].contains(&(1, 1)));
    }

    #[test]
    fn outline_of_a_ring_of_cells_has_a_hole() {
        let set: BTreeSet<_> = (0..3)
            .flat_map(|r| (0..3).map(move |c| (r, c)))
            .filter(|&p| p != (1, 1))
            .collect();
        let rings = outline(&set);
        assert_eq!(rings.len(), 2);
        let mut lens: Vec<_> = rings.iter().map(Vec::len).collect();
        lens.sort();
        assert_eq!(lens, vec![5, 13]);
    }

    #[test]
    fn outline_of_diagonal_cells_closes_every_ring() {
        let set: BTreeSet<_> = [(0, 0), (1, 1)].into_iter().collect();
        let rings = outline(&set);
        let edges: usize = rings.iter().map(|r| r.len() - 1).sum();
        assert_eq!(edges, 8);
        for r in &rings {
            assert_eq!(r.first(), r.last());
        }
    }
}
