#pragma once
/// \file events.h
/// Task events from BIDS `_events.tsv` files or FSL 3-column EV files (HCP `EVs/*.txt`).

#include <filesystem>
#include <string>
#include <vector>

namespace dcae::io {

/// One stimulus event. Times in seconds from the first volume's acquisition.
struct Event {
  double onset_s = 0.0;
  double duration_s = 0.0;
  double amplitude = 1.0; ///< BIDS: `modulation`/`amplitude` column if present, else 1
  std::string trial_type; ///< condition name
};

/// The events of one run, in file order.
struct Events {
  std::vector<Event> events;
  std::string source; ///< file(s) they were read from

  /// Distinct condition names in order of first appearance.
  std::vector<std::string> conditions() const;
  /// The events of one condition.
  std::vector<Event> of(const std::string& condition) const;
};

/// Condition name given to BIDS events without a `trial_type` column (or with `n/a` there).
inline constexpr const char* kDefaultCondition = "events";

/// Reads a BIDS events.tsv: tab-separated, header with `onset` and `duration` (required),
/// optional `trial_type`, `modulation`/`amplitude`; `n/a` allowed; extra columns ignored.
/// Rows with `n/a` onset are skipped; `n/a` duration reads as 0 (an impulse).
/// Throws input_error naming the file and line on a missing column or a malformed number.
Events read_bids_events(const std::filesystem::path& tsv);

/// Reads an FSL 3-column EV file (onset, duration, amplitude; whitespace separated).
/// `condition` names the events; empty → the file stem ("lf" for "EVs/lf.txt").
/// An empty file gives no events (FSL allows empty EVs).
Events read_fsl_ev(const std::filesystem::path& txt, std::string condition = {});

/// Reads every 3-column EV file in an HCP `EVs/` folder (files whose rows do not all have three
/// numeric columns, such as `Sync.txt` or `Stats.txt`, are skipped), sorted by name.
Events read_fsl_ev_folder(const std::filesystem::path& evs_dir);

/// Writes events as a BIDS events.tsv (onset, duration, trial_type), atomically.
void write_bids_events(const std::filesystem::path& tsv, const Events& events);

} // namespace dcae::io
