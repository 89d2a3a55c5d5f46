//! Simulcast layer choice: which quality each subscriber gets of each camera.
//!
//! Two inputs decide: the size of the tile the subscriber shows (no point in sending 720p
//! into a thumbnail) and the subscriber's egress bandwidth estimate (no point in sending
//! more than its link carries). Both are pure functions so they can be tested without any
//! WebRTC machinery.

use str0m::media::Rid;

/// A simulcast quality level, low to high. The contract names the rids `q`, `h` and `f`
/// (quarter, half and full resolution).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Quality {
    Low = 0,
    Medium = 1,
    High = 2,
}

impl Quality {
    const ALL: [Quality; 3] = [Quality::Low, Quality::Medium, Quality::High];

    /// The bitrate the publishing browser is configured to spend on this layer
    /// (docs/signaling.md: maxBitrate 150k / 500k / 1.5M). A link must carry it to get the layer.
    pub(crate) fn bitrate_bps(self) -> u64 {
        match self {
            Quality::Low => 150_000,
            Quality::Medium => 500_000,
            Quality::High => 1_500_000,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn step_up(self) -> Option<Quality> {
        Quality::ALL.get(self.index() + 1).copied()
    }

    /// The quality a rid stands for, by the contract's names; `None` for other names.
    pub(crate) fn of_rid(rid: &str) -> Option<Quality> {
        match rid {
            "q" => Some(Quality::Low),
            "h" => Some(Quality::Medium),
            "f" => Some(Quality::High),
            _ => None,
        }
    }
}

/// The quality a tile of `width` × `height` device pixels deserves.
///
/// Heights follow the contract (≤ 240 → low, ≤ 480 → medium, else high). Width is judged
/// the same way for a 16:9 source (≤ 320, ≤ 640) so that a narrow, tall tile — where the
/// video is letterboxed to the width — does not pull a layer it cannot show. The smaller
/// of the two wins. A zero-sized tile (hidden) gets the lowest layer.
pub(crate) fn quality_for_tile(width: u32, height: u32) -> Quality {
    let by_height = match height {
        0..=240 => Quality::Low,
        241..=480 => Quality::Medium,
        _ => Quality::High,
    };
    let by_width = match width {
        0..=320 => Quality::Low,
        321..=640 => Quality::Medium,
        _ => Quality::High,
    };
    by_height.min(by_width)
}

/// Shares a bandwidth budget between simulcast videos.
///
/// `wants[i]` is the quality the tile of video `i` deserves; the result in `out[i]` never
/// exceeds it. Every video gets at least the lowest layer (a frozen tile is worse than a
/// blurry one, and the lowest layer is what congestion control falls back to); then videos
/// are stepped up one level at a time, round-robin in the given order, while the budget
/// lasts. `None` means no estimate yet: everyone gets what their tile wants.
pub(crate) fn allocate(budget_bps: Option<u64>, wants: &[Quality], out: &mut [Quality]) {
    debug_assert_eq!(wants.len(), out.len());
    let Some(budget) = budget_bps else {
        out.copy_from_slice(wants);
        return;
    };
    let mut spent: u64 = 0;
    for slot in out.iter_mut() {
        *slot = Quality::Low;
        spent = spent.saturating_add(Quality::Low.bitrate_bps());
    }
    loop {
        let mut stepped = false;
        for (slot, want) in out.iter_mut().zip(wants) {
            if *slot >= *want {
                continue;
            }
            let Some(next) = slot.step_up() else { continue };
            let extra = next.bitrate_bps() - slot.bitrate_bps();
            if spent.saturating_add(extra) <= budget {
                spent += extra;
                *slot = next;
                stepped = true;
            }
        }
        if !stepped {
            break;
        }
    }
}

/// What a view takes at the qualities its tiles want: the simulcast videos' `wants` and
/// `fixed` videos without simulcast (a screen share), counted at the high layer's rate.
pub(crate) fn view_bitrate_bps(wants: &[Quality], fixed: usize) -> u64 {
    let simulcast: u64 = wants.iter().map(|q| q.bitrate_bps()).sum();
    simulcast.saturating_add(Quality::High.bitrate_bps().saturating_mul(fixed as u64))
}

/// The rid of `layers` (ordered low → high) that best serves `quality`: the highest layer
/// not above it, else the lowest there is. `None` when the track has no layers.
pub(crate) fn pick_rid(layers: &[Rid], quality: Quality) -> Option<Rid> {
    if layers.is_empty() {
        return None;
    }
    let idx = quality.index().min(layers.len() - 1);
    layers.get(idx).copied()
}

/// Orders a publisher's rids low → high: the contract's names by their quality, other names
/// after them in offer order (the browser's own order is low → high by convention).
pub(crate) fn order_layers(rids: &mut [Rid]) {
    rids.sort_by_key(|rid| Quality::of_rid(rid).map_or(Quality::ALL.len(), Quality::index));
}

#[cfg(test)]
mod tests {
    use super::*;
    use Quality::*;

    #[test]
    fn tile_sizes_map_to_layers() {
        let cases = [
            ((320, 180), Low),
            ((426, 240), Low),
            ((640, 360), Medium),
            ((854, 480), Medium),
            ((1280, 720), High),
            ((1920, 1080), High),
            // Narrow tiles: the width limits what can be seen.
            ((200, 600), Low),
            ((600, 1000), Medium),
            // Hidden tile.
            ((0, 0), Low),
        ];
        for ((w, h), want) in cases {
            assert_eq!(quality_for_tile(w, h), want, "tile {w}x{h}");
        }
    }

    #[test]
    fn allocation_respects_budget_and_wants() {
        let cases: [(Option<u64>, &[Quality], &[Quality]); 7] = [
            (None, &[High, Low], &[High, Low]),
            (Some(10_000_000), &[High, Medium], &[High, Medium]),
            // Step down when the estimate cannot carry the layer.
            (Some(1_000_000), &[High], &[Medium]),
            (Some(400_000), &[High], &[Low]),
            // Never below the lowest layer.
            (Some(0), &[High, High], &[Low, Low]),
            // Round robin: both get medium before anyone gets high.
            (Some(1_100_000), &[High, High], &[Medium, Medium]),
            (Some(2_000_000), &[High, High], &[High, Medium]),
        ];
        for (budget, wants, expected) in cases {
            let mut out = vec![Low; wants.len()];
            allocate(budget, wants, &mut out);
            assert_eq!(out, expected, "budget {budget:?} wants {wants:?}");
        }
    }

    #[test]
    fn a_view_takes_its_wanted_layers_and_fixed_videos_at_the_high_rate() {
        assert_eq!(view_bitrate_bps(&[], 0), 0);
        assert_eq!(view_bitrate_bps(&[Medium; 9], 0), 4_500_000);
        assert_eq!(view_bitrate_bps(&[Low, High], 1), 3_150_000);
    }

    #[test]
    fn rids_are_ordered_and_picked() {
        let mut rids: Vec<Rid> = ["f", "q", "h"].iter().map(|r| Rid::from(*r)).collect();
        order_layers(&mut rids);
        let names: Vec<String> = rids.iter().map(|r| r.to_string()).collect();
        assert_eq!(names, ["q", "h", "f"]);
        assert_eq!(pick_rid(&rids, High), Some(Rid::from("f")));
        assert_eq!(pick_rid(&rids, Low), Some(Rid::from("q")));
        // Only two layers published: high falls back to the best there is.
        assert_eq!(pick_rid(&rids[..2], High), Some(Rid::from("h")));
        assert_eq!(pick_rid(&[], High), None);
    }
}
