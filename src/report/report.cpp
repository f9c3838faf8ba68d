#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "dcae/version.h"
#include "io/bids_layout.h"
#include "io/json.h"
#include "io/nifti.h"
#include "report/figures.h"
#include "report/ground_truth.h"
#include "report/html.h"
#include "report/inputs.h"
#include "report/mosaic.h"

namespace fs = std::filesystem;

namespace dcae::report {
namespace {

constexpr const char* kConfoundsTail = "_desc-confounds_timeseries.tsv";

/// A run's images and motion, read once.
struct RunData {
  RunFiles files;
  std::optional<Confounds> confounds;
  double tr_s = 0;                     ///< 0 = unknown
  Volume3 mean, mask;                  ///< empty when absent
  long long mask_voxels = -1;          ///< -1 = unknown
  std::optional<GroundTruthRun> truth; ///< what a simulation planted in this run
  /// Mean series of each planted network's core in the preprocessed run: [network][volume].
  std::vector<std::vector<double>> core_series;
  /// Rows of the carpet plot: in-mask voxel series of the preprocessed run.
  std::vector<std::vector<float>> carpet;
};

/// Up to `max_rows` in-mask voxel series, evenly sampled from the voxels ordered by mean
/// intensity (in EPI: white matter darkest, then grey matter, CSF brightest), for the carpet.
std::vector<std::vector<float>> carpet_rows(const io::Image& bold, const Volume3& mask,
                                            const Volume3& mean, std::size_t max_rows = 400) {
  std::vector<std::size_t> in;
  for (std::size_t i = 0; i < mask.data.size(); ++i)
    if (mask.data[i] > 0 && std::isfinite(mean.data[i])) in.push_back(i);
  std::stable_sort(in.begin(), in.end(),
                   [&](std::size_t a, std::size_t b) { return mean.data[a] < mean.data[b]; });
  std::vector<std::vector<float>> rows;
  const std::size_t n = std::min(max_rows, in.size());
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t v = in[r * in.size() / n];
    std::vector<float> s(static_cast<std::size_t>(bold.nt()));
    for (std::int64_t t = 0; t < bold.nt(); ++t) s[static_cast<std::size_t>(t)] = bold.volume(t)[v];
    rows.push_back(std::move(s));
  }
  return rows;
}

Volume3 mean_over_time(const io::Image& img) {
  Volume3 v;
  v.dim = {img.nx(), img.ny(), img.nz()};
  const auto nvox = static_cast<std::size_t>(img.header().voxels_per_volume());
  std::vector<double> sum(nvox, 0.0);
  std::vector<int> n(nvox, 0);
  for (std::int64_t t = 0; t < img.nt(); ++t) {
    const float* vol = img.volume(t);
    for (std::size_t i = 0; i < nvox; ++i) {
      if (std::isfinite(vol[i])) sum[i] += vol[i], ++n[i];
    }
  }
  v.data.resize(nvox);
  for (std::size_t i = 0; i < nvox; ++i)
    v.data[i] = n[i] > 0 ? static_cast<float>(sum[i] / n[i]) : 0.0f;
  return v;
}

Volume3 volume_of(const io::Image& img, std::int64_t t) {
  Volume3 v;
  v.dim = {img.nx(), img.ny(), img.nz()};
  const float* p = img.volume(t);
  v.data.assign(p, p + img.header().voxels_per_volume());
  return v;
}

/// Entities of a file name without `drop`, as a comparable key.
std::map<std::string, std::string> entities_without(const std::string& filename,
                                                    std::initializer_list<const char*> drop) {
  auto e = io::parse_bids_name(filename).entities;
  for (const char* d : drop) e.erase(d);
  return e;
}

RunData load_run(const RunFiles& f, const std::optional<std::filesystem::path>& truth_root) {
  RunData r;
  r.files = f;
  if (truth_root) r.truth = read_ground_truth(*truth_root, f.name);
  if (!f.confounds.empty()) r.confounds = read_confounds(f.confounds);
  if (!f.mask.empty()) {
    const io::Image m = io::Image::read(f.mask);
    r.mask = volume_of(m, 0);
    r.mask_voxels =
        std::count_if(r.mask.data.begin(), r.mask.data.end(), [](float x) { return x > 0; });
  }
  if (!f.bold.empty()) {
    log::info("reading ", f.bold.filename().string());
    const io::Image bold = io::Image::read(f.bold);
    r.tr_s = bold.header().tr_s;
    r.mean = mean_over_time(bold);
    if (!r.mask.empty() && r.mask.dim == r.mean.dim && bold.nt() >= 2)
      r.carpet = carpet_rows(bold, r.mask, r.mean);
    if (r.truth && !r.mask.empty()) {
      // The planted cores are compared with the task design as the decompositions are: in
      // the series the shards come from (desc-filtered: smoothed, scaled, high-passed).
      std::optional<io::Image> filtered;
      if (!f.filtered.empty()) filtered = io::Image::read(f.filtered);
      const io::Image& src = filtered ? *filtered : bold;
      for (const auto& net : r.truth->networks) {
        std::vector<double> series(static_cast<std::size_t>(src.nt()), 0.0);
        const auto core =
            net.map.dim == r.mask.dim ? core_voxels(net.map, r.mask) : std::vector<std::size_t>{};
        for (std::int64_t t = 0; t < src.nt() && !core.empty(); ++t) {
          const float* vol = src.volume(t);
          double sum = 0;
          for (std::size_t v : core) sum += vol[v];
          series[static_cast<std::size_t>(t)] = sum / static_cast<double>(core.size());
        }
        r.core_series.push_back(core.empty() ? std::vector<double>{} : std::move(series));
      }
    }
    if (r.confounds && static_cast<std::int64_t>(r.confounds->volumes()) != bold.nt()) {
      throw input_error(f.confounds.string() + ": " + std::to_string(r.confounds->volumes()) +
                        " rows but " + f.bold.filename().string() + " has " +
                        std::to_string(bold.nt()) + " volumes");
    }
  }
  if (!(r.tr_s > 0) && !f.bold.empty()) {
    fs::path side = f.bold;
    side.replace_filename(
        f.bold.filename().string().substr(0, f.bold.filename().string().find('.')) + ".json");
    if (fs::exists(side)) {
      const auto j = io::read_json(side);
      if (j.is_object() && j.contains("RepetitionTime") && j["RepetitionTime"].is_number()) {
        r.tr_s = j["RepetitionTime"].get<double>();
      }
    }
  }
  if (!r.mask.empty() && !r.mean.empty() && r.mean.dim != r.mask.dim)
    throw input_error(f.mask.string() + ": grid differs from " + f.bold.filename().string());
  return r;
}

double pearson_r(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= static_cast<double>(std::max<std::size_t>(n, 1));
  mb /= static_cast<double>(std::max<std::size_t>(n, 1));
  double num = 0, da = 0, db = 0;
  for (std::size_t i = 0; i < n; ++i)
    num += (a[i] - ma) * (b[i] - mb), da += (a[i] - ma) * (a[i] - ma),
        db += (b[i] - mb) * (b[i] - mb);
  return da > 0 && db > 0 ? num / std::sqrt(da * db) : 0.0;
}

std::string tr_text(double tr) {
  return tr > 0 ? format_number(tr, 4) : "n/a";
}

/// Mean images by run name, for backgrounds of spatial maps.
using MeanImages = std::map<std::string, Volume3>;
/// The loaded runs by name.
using RunIndex = std::map<std::string, const RunData*>;

/// Decompositions grouped by prefix; within a prefix raw-signal ones first, then features, then
/// the decoder's readouts.
std::map<std::string, std::vector<const Decomposition*>>
by_prefix(const std::vector<Decomposition>& all) {
  std::map<std::string, std::vector<const Decomposition*>> out;
  for (const auto& d : all) out[d.prefix].push_back(&d);
  auto rank = [](const Decomposition* d) { return d->raw() ? 0 : d->via_decoder ? 2 : 1; };
  for (auto& [p, v] : out)
    std::stable_sort(v.begin(), v.end(), [&](const Decomposition* a, const Decomposition* b) {
      return rank(a) != rank(b) ? rank(a) < rank(b) : a->label < b->label;
    });
  return out;
}

/// Every run of the decompositions (of participant `subject` when not empty), in order.
std::vector<std::string> run_names(const std::vector<const Decomposition*>& decs,
                                   const std::string& subject) {
  std::vector<std::string> out;
  for (const Decomposition* d : decs)
    for (const auto& r : d->runs)
      if ((subject.empty() || r.subject == subject) &&
          std::find(out.begin(), out.end(), r.name) == out.end())
        out.push_back(r.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> conditions_of(const std::vector<const Decomposition*>& decs) {
  std::vector<std::string> out;
  for (const Decomposition* d : decs)
    for (const auto& c : d->conditions())
      if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  return out;
}

const DecompositionRun* run_of(const Decomposition& d, const std::string& name) {
  for (const auto& r : d.runs)
    if (r.name == name) return &r;
  return nullptr;
}

std::string number_or_dash(double v, int digits = 3) {
  return std::isfinite(v) ? format_number(v, digits) : "—";
}

/// "0.912 ✓" when above the chance level, "0.412 ✗" when not, the number alone when unknown.
std::string r_with_verdict(const Score& s) {
  if (!std::isfinite(s.null_r95)) return format_number(s.r, 3);
  return format_number(s.r, 3) + (s.above_null() ? " ✓" : " ✗");
}

/// The summary table: rows prefix × condition; per decomposition the assigned atom, the median
/// and smallest r over runs, the median chance level and how many runs beat their own.
Table summary_table(const std::map<std::string, std::vector<const Decomposition*>>& groups) {
  Table t;
  t.caption = "Per condition over runs: the atom assigned one-to-one (in each run against its own "
              "design), the median and smallest Pearson r of its "
              "time course with each run's own design, the median chance level (NullR95) and the "
              "runs whose r "
              "beats their own chance level";
  t.header = {"decomposition", "condition"};
  t.numeric = {false, false};
  std::vector<std::string> labels;
  for (const auto& [p, v] : groups)
    for (const Decomposition* d : v)
      if (std::find(labels.begin(), labels.end(), d->label) == labels.end())
        labels.push_back(d->label);
  for (const auto& l : labels) {
    for (const char* c : {" atom", " median r", " min r", " chance", " runs > chance"}) {
      t.header.push_back(l + c);
      t.numeric.push_back(true);
    }
  }
  for (const auto& [prefix, decs] : groups) {
    for (const auto& c : conditions_of(decs)) {
      std::vector<std::string> row{prefix, c};
      for (const auto& l : labels) {
        const Decomposition* d = nullptr;
        for (const Decomposition* x : decs)
          if (x->label == l) d = x;
        const Score* s = d != nullptr ? d->score(c) : nullptr;
        if (s == nullptr || s->runs == 0) {
          row.insert(row.end(), {"—", "—", "—", "—", "—"});
          continue;
        }
        row.push_back(s->atom >= 0 ? std::to_string(s->atom) : "per run");
        row.push_back(format_number(s->r, 3));
        row.push_back(number_or_dash(s->min_r));
        row.push_back(number_or_dash(s->null_r95));
        row.push_back(std::to_string(s->runs_above_null) + "/" + std::to_string(s->runs));
      }
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

/// The per-run table: rows run × condition; per decomposition the r of the assigned atom in that
/// run (✓ above the run's chance level, ✗ not) and that chance level.
Table run_table(const std::vector<const Decomposition*>& decs, const std::string& subject) {
  Table t;
  t.caption = "Each run scored against its own design: Pearson r of the assigned atom's time "
              "course in that run "
              "(✓ above, ✗ not above the run's chance level) and the chance level: the 95th "
              "percentile of the best "
              "|r| of all K atoms against circularly shifted designs";
  t.header = {"run", "condition"};
  t.numeric = {false, false};
  for (const Decomposition* d : decs) {
    t.header.push_back(d->label + " r");
    t.header.push_back(d->label + " chance");
    t.numeric.push_back(true);
    t.numeric.push_back(true);
  }
  for (const auto& run : run_names(decs, subject)) {
    for (const auto& c : conditions_of(decs)) {
      std::vector<std::string> row{run, c};
      bool any = false;
      for (const Decomposition* d : decs) {
        const DecompositionRun* r = run_of(*d, run);
        const Score* s = r != nullptr ? r->score(c) : nullptr;
        if (s == nullptr || s->atom < 0) {
          row.insert(row.end(), {"—", "—"});
          continue;
        }
        any = true;
        row.push_back(r_with_verdict(*s));
        row.push_back(number_or_dash(s->null_r95));
      }
      if (any) t.rows.push_back(std::move(row));
    }
  }
  return t;
}

/// 1.4826 × the median absolute deviation of a map's non-zero finite values (the voxels in
/// the mask): their SD where most of them are noise, unmoved by the few that are not.
double robust_sd_nonzero(const std::vector<float>& values) {
  std::vector<double> v;
  for (float x : values)
    if (x != 0.0f && std::isfinite(x)) v.push_back(x);
  if (v.size() < 2) return 0.0;
  auto median = [](std::vector<double>& a) {
    const auto mid = a.begin() + static_cast<std::ptrdiff_t>(a.size() / 2);
    std::nth_element(a.begin(), mid, a.end());
    return *mid;
  };
  const double m = median(v);
  for (double& x : v) x = std::fabs(x - m);
  return 1.4826 * median(v);
}

/// Planted networks after preprocessing: the mean series of each task network's core against
/// the run's design (as scored), per run.
Table core_table(const std::vector<const Decomposition*>& decs, const RunIndex& runs,
                 const std::string& subject) {
  Table t;
  t.caption = "Planted networks after preprocessing: Pearson r of the mean series of each task "
              "network's core "
              "(planted map ≥ " +
              format_number(kCoreLevel, 2) +
              ", in the brain mask) with its condition's design, "
              "timed and filtered as the data. No method can find a network whose core does not "
              "follow its task.";
  t.header = {"run"};
  t.numeric = {false};
  const auto conditions = conditions_of(decs);
  for (const auto& c : conditions) {
    t.header.push_back(c);
    t.numeric.push_back(true);
  }
  for (const auto& name : run_names(decs, subject)) {
    const auto it = runs.find(name);
    if (it == runs.end() || !it->second->truth) continue;
    const RunData& rd = *it->second;
    const DecompositionRun* dr = nullptr;
    for (const Decomposition* d : decs)
      if ((dr = run_of(*d, name)) != nullptr) break;
    std::vector<std::string> row{name};
    for (const auto& c : conditions) {
      std::string cell = "—";
      const auto* g = dr != nullptr ? dr->regressor(c) : nullptr;
      for (std::size_t n = 0; n < rd.truth->networks.size() && g != nullptr; ++n) {
        if (rd.truth->networks[n].condition != c || n >= rd.core_series.size()) continue;
        const auto& x = rd.core_series[n];
        if (x.size() == g->size() && !x.empty()) cell = format_number(pearson_r(x, *g), 3);
      }
      row.push_back(cell);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

/// Planted networks against the assigned atoms' spatial maps, per run and condition.
Table planted_table(const std::vector<const Decomposition*>& decs, const RunIndex& runs,
                    const std::string& subject) {
  Table t;
  t.caption = "Spatial maps of the assigned atoms against the planted networks: Pearson r of the "
              "two maps in the "
              "brain mask, Dice of the map's voxels ≥ half its peak with the network's core, and "
              "whether the map's "
              "peak lies inside the network (planted value ≥ " +
              format_number(kInsideLevel, 2) +
              "); for each decomposition its codes (the dictionary's own maps) and its r-maps "
              "(each voxel's r with the atom's time course in the run)";
  t.header = {"run", "condition"};
  t.numeric = {false, false};
  // Each decomposition's maps of both kinds: the codes and the atoms' correlation maps.
  struct Shown {
    const Decomposition* d;
    bool correlation;
  };
  std::vector<Shown> shown;
  for (const Decomposition* d : decs) {
    if (d->via_decoder) continue; // the same maps as the decomposition it reads out
    for (bool correlation : {false, true}) {
      shown.push_back({d, correlation});
      for (const char* c : {" map r", " Dice", " peak inside"}) {
        t.header.push_back(d->label + (correlation ? " r-map" : " codes") + c);
        t.numeric.push_back(true);
      }
    }
  }
  for (const auto& name : run_names(decs, subject)) {
    const auto it = runs.find(name);
    if (it == runs.end() || !it->second->truth) continue;
    const RunData& rd = *it->second;
    std::vector<std::vector<std::string>> cells; // [condition][3 per decomposition]
    const auto conditions = conditions_of(decs);
    cells.assign(conditions.size(), {});
    for (const auto& [d, correlation] : shown) {
      const DecompositionRun* dr = run_of(*d, name);
      std::optional<io::Image> comp;
      const fs::path file = dr == nullptr ? fs::path()
                            : correlation ? dr->correlation_components
                                          : dr->components;
      if (!file.empty() && fs::exists(file)) comp = io::Image::read(file);
      for (std::size_t c = 0; c < conditions.size(); ++c) {
        const PlantedNetwork* net = rd.truth->of_condition(conditions[c]);
        const Score* s = dr != nullptr ? dr->score(conditions[c]) : nullptr;
        if (net == nullptr || s == nullptr || s->atom < 0 || !comp || s->atom >= comp->nt()) {
          cells[c].insert(cells[c].end(), {"—", "—", "—"});
          continue;
        }
        Volume3 map = volume_of(*comp, s->atom);
        if (s->r < 0)
          for (float& x : map.data) x = -x;
        const MapMatch m = compare_map(map, net->map, rd.mask);
        cells[c].push_back(format_number(m.spatial_r, 3));
        cells[c].push_back(format_number(m.dice, 3));
        cells[c].push_back(m.peak_inside() ? "yes"
                                           : "no (" + format_number(m.planted_at_peak, 2) + ")");
      }
    }
    for (std::size_t c = 0; c < conditions.size(); ++c) {
      if (!rd.truth->of_condition(conditions[c])) continue;
      std::vector<std::string> row{name, conditions[c]};
      row.insert(row.end(), cells[c].begin(), cells[c].end());
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

/// Temporal atoms against the design for one run: one plot per condition.
void add_run_atoms(HtmlPage& page, const std::vector<const Decomposition*>& decs,
                   const std::string& run) {
  for (const auto& c : conditions_of(decs)) {
    std::string caption;
    const LinePlot p = atom_plot(c, run, decs, &caption);
    if (p.series.empty()) continue;
    page.figure_svg(render_svg(p),
                    c + " in " + run +
                        ": the design as scored (grey, dashed) and the atom each "
                        "decomposition assigned to it, z-scored. " +
                        caption +
                        ". A found network follows the dashed line closely (r near 1) and beats "
                        "its chance level.");
  }
}

/// Spatial maps of the assigned atoms in one run, with the planted network's core outlined
/// when the run has ground truth.
void add_run_maps(HtmlPage& page, const std::vector<const Decomposition*>& decs,
                  const std::string& run, const MeanImages& means, const Volume3* fallback,
                  const RunIndex& runs, const ReportOptions& opt) {
  const RunData* rd = nullptr;
  if (const auto it = runs.find(run); it != runs.end()) rd = it->second;
  for (const Decomposition* d : decs) {
    if (d->via_decoder) continue; // same maps as the decomposition it comes from
    const DecompositionRun* r = run_of(*d, run);
    if (r == nullptr) continue;
    for (const bool correlation : {false, true}) {
      const fs::path& file = correlation ? r->correlation_components : r->components;
      if (correlation && file.empty()) continue; // written before dcae-dictlearn made r-maps
      if (file.empty() || !fs::exists(file)) {
        page.note("Spatial maps missing: " +
                  (file.empty() ? d->json_path.filename().string() + " names none for " + run
                                : file.filename().string() + " not found") +
                  ".");
        continue;
      }
      const io::Image comp = io::Image::read(file);
      const std::array<std::int64_t, 3> grid{comp.nx(), comp.ny(), comp.nz()};
      const Volume3* bg = nullptr;
      if (auto it = means.find(run); it != means.end() && it->second.dim == grid) bg = &it->second;
      if (bg == nullptr && fallback != nullptr && !fallback->empty() && fallback->dim == grid)
        bg = fallback;
      for (const Score& s : r->scores) {
        if (s.atom < 0) continue;
        if (s.atom >= comp.nt())
          throw input_error(file.string() + ": has " + std::to_string(comp.nt()) +
                            " volumes, but " + d->json_path.filename().string() + " scores atom " +
                            std::to_string(s.atom));
        Volume3 map = volume_of(comp, s.atom);
        if (s.r < 0)
          for (float& x : map.data) x = -x;
        double peak = 0;
        for (float x : map.data)
          if (std::isfinite(x)) peak = std::max(peak, static_cast<double>(std::fabs(x)));
        if (peak == 0) {
          page.note(d->label + " atom " + std::to_string(s.atom) + " (" + s.condition +
                    "): the spatial map in " + file.filename().string() + " is empty.");
          continue;
        }
        Volume3 outline;
        const PlantedNetwork* net =
            rd != nullptr && rd->truth ? rd->truth->of_condition(s.condition) : nullptr;
        if (net != nullptr && net->map.dim == grid) {
          outline = net->map;
          for (float& x : outline.data) x = x >= kCoreLevel ? 1.0f : 0.0f;
        }
        // Slices through the shown part of the map, widened to map_slices where it is thinner.
        Volume3 shown = map;
        // r-maps are dense (every voxel has an r): above the noise too, i.e. 3.09 robust SDs
        // (median absolute deviation) of the brain's values, which noise alone passes in about
        // 1 voxel of 1000 (MELODIC thresholds its maps against their own null the same way).
        const double noise = correlation ? robust_sd_nonzero(map.data) : 0.0;
        const double threshold = std::max(opt.map_threshold * peak, 3.09 * noise);
        for (float& x : shown.data) x = std::fabs(x) >= threshold ? x : 0.0f;
        auto range = *occupied_slices(shown);
        while (range.second - range.first + 1 < opt.map_slices &&
               (range.first > 0 || range.second + 1 < map.dim[2])) {
          if (range.first > 0) --range.first;
          if (range.second - range.first + 1 < opt.map_slices && range.second + 1 < map.dim[2])
            ++range.second;
        }
        const auto slices = pick_slices(range.first, range.second, opt.map_slices);
        std::vector<std::string> ks;
        for (auto k : slices) ks.push_back(std::to_string(k));
        std::string truth_text;
        if (!outline.empty()) {
          const MapMatch m = compare_map(map, net->map, rd->mask);
          truth_text = "; green: the planted " + net->name + " network's core (map r " +
                       format_number(m.spatial_r, 2) + ", Dice " + format_number(m.dice, 2) +
                       ", peak " + (m.peak_inside() ? "inside" : "outside") + ")";
        }
        const std::string kind =
            correlation ? "r-map (each voxel's r with the atom's time course in this run)"
                        : "codes (the dictionary's own map)";
        page.figure_png(
            map_mosaic(bg, map, threshold, slices, {opt.map_slices, 96, 2},
                       outline.empty() ? nullptr : &outline),
            d->label + " (" + d->source + ") " + kind + ", " + s.condition + " in " + run +
                ": atom " + std::to_string(s.atom) + ", r = " + format_number(s.r, 3) + "; " +
                (correlation ? "|r| ≥ " + format_number(threshold, 3) + " (the larger of " +
                                   format_number(opt.map_threshold * 100, 3) + "% of the peak " +
                                   format_number(peak, 3) + " and 3.09 robust SDs of the map, " +
                                   format_number(3.09 * noise, 3) + ")"
                             : "|code| ≥ " + format_number(opt.map_threshold * 100, 3) +
                                   "% of the peak " + format_number(peak, 3)) +
                (bg != nullptr ? ", over the mean image" : "") + truth_text +
                "; axial slices k = " + join(ks, ", ") +
                ". A network shows as one compact blob (or the pair a bilateral network "
                "has) in grey matter; rings at the brain's edge are head motion, "
                "scattered speckle is noise.",
            d->label + " " + s.condition + (correlation ? " r-map" : " spatial map"));
      }
    }
  }
}

void write_page(const fs::path& path, const HtmlPage& page) {
  const std::string html = page.render();
  AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    if (!f) throw runtime_error("cannot write '" + path.string() + "'");
    f.write(html.data(), static_cast<std::streamsize>(html.size()));
    f.flush();
    if (!f) throw runtime_error("error writing '" + path.string() + "' (disk full?)");
  }
  out.commit();
  log::info("wrote ", path.string(), " (", html.size() / 1024, " KiB)");
}

std::string decomposition_summary(const Decomposition& d) {
  std::string volumes = "n/a";
  for (const auto& r : d.runs)
    if (!r.atoms.empty()) {
      volumes = std::to_string(r.atoms.front().size());
      break;
    }
  return d.json_path.filename().string() + ": " + (d.method.empty() ? "method n/a" : d.method) +
         ", source " + d.source + ", K = " + std::to_string(d.k) +
         ", lambda = " + format_number(d.lambda, 3) + ", " + std::to_string(d.runs.size()) +
         " run(s) of " + volumes + " volumes";
}

/// What the network-discovery tables mean, and the training split.
void discovery_notes(HtmlPage& page, const fs::path& root,
                     const std::vector<Decomposition>& decomps) {
  page.paragraph(
      "Each decomposition learns one dictionary over its runs; each run's atom time courses are "
      "read out "
      "on that run's own voxels and correlated with that run's own task design (HRF-convolved, "
      "sampled "
      "when the volumes were acquired, high-pass filtered as the data were). Atoms are assigned to "
      "conditions one-to-one. A good result: every condition's r near 1 and above its chance level "
      "in "
      "every run. With K atoms, noise alone reaches the chance level, so an r below it finds "
      "nothing.");
  const fs::path split = root / "model" / "split.json";
  if (fs::exists(split)) {
    const auto j = io::read_json(split);
    if (j.is_object() && j.contains("Description") && j["Description"].is_string())
      page.paragraph("Model: " + j["Description"].get<std::string>() + ".");
  }
  for (const auto& d : decomps) {
    if (!d.via_decoder || d.scores.empty()) continue;
    const bool all_above = std::all_of(d.scores.begin(), d.scores.end(),
                                       [](const Score& s) { return s.runs_above_null == s.runs; });
    if (!all_above)
      page.note(d.label + " (" + d.prefix +
                "): the decoder's readout does not beat its chance level for every condition "
                "in every run; its atoms are shown for inspection, not as a result.");
  }
}

/// The stages of dcae-bids-app that failed, as it records them (logs/errors/*.json): those
/// of one participant, or all of them (`label` empty). Sorted by file name.
std::vector<nlohmann::json> recorded_errors(const fs::path& root, const std::string& label) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root / "logs" / "errors", ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<nlohmann::json> out;
  for (const auto& f : files) {
    nlohmann::json j;
    try {
      j = io::read_json(f);
    } catch (const Error& e) {
      log::warn(e.what());
      continue;
    }
    if (!j.is_object()) continue;
    if (!label.empty() && j.value("Participant", std::string()) != label) continue;
    out.push_back(std::move(j));
  }
  return out;
}

/// fMRIPrep's Errors section: every failed stage with its one-line error, or a clear "none".
void errors_section(HtmlPage& page, const fs::path& root, const std::string& label) {
  page.section("errors", "Errors");
  const auto errors = recorded_errors(root, label);
  if (errors.empty()) {
    page.paragraph("No errors to report.");
    return;
  }
  Table t;
  t.caption = std::to_string(errors.size()) + " failed step(s) (from " +
              (root / "logs" / "errors").string() + "; each is removed when its step succeeds)";
  t.header = {"step", "exit status", "error", "when", "log"};
  t.numeric = {false, true, false, false, false};
  for (const auto& e : errors) {
    const auto text = [&](const char* key) {
      const auto it = e.find(key);
      if (it == e.end()) return std::string("n/a");
      return it->is_string() ? it->get<std::string>() : it->dump();
    };
    t.rows.push_back({text("Step"), text("ExitStatus"), text("Error"), text("Time"),
                      fs::path(text("Log")).filename().string()});
  }
  page.table(t);
}

/// fMRIPrep's About section: the version that wrote the derivatives, the command of the last
/// BIDS-App job (logs/*_config.json) and when the page was made.
void about_section(HtmlPage& page, const fs::path& root) {
  page.section("about", "About");
  std::string version = kVersion;
  try {
    const auto dd = io::read_json(root / "dataset_description.json");
    if (dd.contains("GeneratedBy") && dd["GeneratedBy"].is_array() && !dd["GeneratedBy"].empty())
      version = dd["GeneratedBy"][0].value("Version", version);
  } catch (const Error&) {
  }
  page.paragraph("Derivatives written by dcae " + version + "; this page by dcae " + kVersion +
                 ".");
  fs::path latest;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root / "logs", ec)) {
    const std::string n = e.path().filename().string();
    if (!ends_with(n, "_config.json")) continue;
    if (latest.empty() || fs::last_write_time(e.path(), ec) > fs::last_write_time(latest, ec))
      latest = e.path();
  }
  if (!latest.empty()) {
    try {
      const auto c = io::read_json(latest);
      page.paragraph("Last BIDS-App job: " + latest.filename().string() + " (arguments: " +
                     c.value("Arguments", nlohmann::json::object()).dump() + ").");
    } catch (const Error& e) {
      log::warn(e.what());
    }
  }
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  page.paragraph(std::string("Report made ") + when + ".");
}

/// A participant's page: runs, motion, mask, and the decompositions of their runs.
fs::path participant_page(const std::string& label, const std::vector<RunData>& runs,
                          const std::vector<Decomposition>& decomps, const MeanImages& means,
                          const RunIndex& index, const fs::path& root, const fs::path& out_dir,
                          const ReportOptions& opt) {
  HtmlPage page("dcae report: sub-" + label);
  page.section("summary", "Summary");
  if (runs.empty()) {
    page.note("No preprocessed runs found under sub-" + label + " (no *" + kConfoundsTail +
              " or *_desc-preproc_bold.nii.gz).");
  } else {
    Table t;
    t.caption = "Runs";
    t.header = {"run", "volumes", "TR (s)", "mean FD (mm)", "max FD (mm)", "mask voxels"};
    t.numeric = {false, true, true, true, true, true};
    for (const auto& r : runs) {
      t.rows.push_back({r.files.name, r.confounds ? std::to_string(r.confounds->volumes()) : "n/a",
                        tr_text(r.tr_s),
                        r.confounds ? format_number(r.confounds->mean_fd(), 4) : "n/a",
                        r.confounds ? format_number(r.confounds->max_fd(), 4) : "n/a",
                        r.mask_voxels >= 0 ? std::to_string(r.mask_voxels) : "n/a"});
    }
    page.table(t);
  }
  page.section("motion", "Head motion");
  for (const auto& r : runs) {
    page.subheading(r.files.name);
    if (!r.confounds) {
      page.note("Motion missing: no " + r.files.name + kConfoundsTail + ".");
      continue;
    }
    const auto plots = motion_plots(*r.confounds, r.tr_s);
    page.figure_svg(
        render_svg(plots[0]),
        "Translations trans_x, trans_y, trans_z (mm) relative to the reference volume.");
    page.figure_svg(render_svg(plots[1]),
                    "Rotations rot_x, rot_y, rot_z (degrees) relative to the reference volume.");
    page.figure_svg(
        render_svg(plots[2]),
        "Framewise displacement (mm; Power et al. 2012, rotations on a 50 mm sphere); mean " +
            format_number(r.confounds->mean_fd(), 4) + " mm, max " +
            format_number(r.confounds->max_fd(), 4) + " mm.");
  }
  page.section("carpet", "Signals and carpet plot");
  for (const auto& r : runs) {
    page.subheading(r.files.name);
    if (r.confounds)
      for (const auto& plot : signal_plots(*r.confounds, r.tr_s))
        page.figure_svg(render_svg(plot), plot.title == "DVARS"
                                              ? "DVARS: RMS over the brain mask of the "
                                                "volume-to-volume change (motion-corrected data)."
                                              : "Global signal: the mean over the brain mask.");
    if (r.carpet.empty()) {
      page.note("No carpet plot: the run's *_desc-preproc_bold and *_desc-brain_mask are needed.");
      continue;
    }
    page.figure_png(carpet_raster(r.carpet),
                    "Carpet plot of the motion-corrected series (desc-preproc): " +
                        std::to_string(r.carpet.size()) +
                        " brain voxels ordered by mean intensity (white matter at the top, CSF at "
                        "the bottom), each detrended and scaled to unit SD, −2 black to +2 white; "
                        "time runs left to right.",
                    "carpet plot of " + r.files.name);
  }
  page.section("mask", "Brain mask over the mean image");
  for (const auto& r : runs) {
    page.subheading(r.files.name);
    if (r.mean.empty() || r.mask.empty()) {
      page.note(std::string("Mask figure missing: ") +
                (r.mean.empty() ? "no *_desc-preproc_bold.nii.gz" : "no *_desc-brain_mask.nii.gz") +
                " for this run.");
      continue;
    }
    const auto range = occupied_slices(r.mask);
    if (!range) {
      page.note("The brain mask " + r.files.mask.filename().string() + " is empty.");
      continue;
    }
    const auto slices = pick_slices(range->first, range->second, opt.mask_slices);
    std::vector<std::string> ks;
    for (auto k : slices) ks.push_back(std::to_string(k));
    page.figure_png(mask_outline_mosaic(r.mean, r.mask, slices, {6, 120, 2}),
                    "Mask outline (red) over the temporal mean of " +
                        r.files.bold.filename().string() + "; axial slices k = " + join(ks, ", ") +
                        " (i rightwards, j upwards).",
                    "brain mask over the mean image");
  }
  page.section("decompositions", "Decompositions of this participant's runs");
  std::vector<Decomposition> mine;
  for (const auto& d : decomps)
    if (d.subject == label ||
        std::any_of(d.runs.begin(), d.runs.end(),
                    [&](const DecompositionRun& r) { return r.subject == label; }))
      mine.push_back(d);
  if (mine.empty())
    page.note("No decomposition of sub-" + label +
              "'s runs found (a *_decomposition.json listing one of its runs).");
  const Volume3* bg = nullptr;
  for (const auto& r : runs)
    if (!r.mean.empty()) {
      bg = &r.mean;
      break;
    }
  for (const auto& [prefix, decs] : by_prefix(mine)) {
    page.subheading(prefix);
    for (const Decomposition* d : decs) page.paragraph(decomposition_summary(*d));
    page.table(run_table(decs, label));
    for (const auto& run : run_names(decs, label)) {
      add_run_atoms(page, decs, run);
      add_run_maps(page, decs, run, means, bg, index, opt);
    }
  }
  errors_section(page, root, label);
  about_section(page, root);
  const fs::path path = out_dir / ("sub-" + label + ".html");
  write_page(path, page);
  return path;
}

struct ParticipantSummary {
  std::string label;
  std::size_t runs = 0, volumes = 0;
  double fd_sum = 0;
  std::size_t fd_n = 0;
};

/// The group page: network discovery first (scores, chance levels, planted networks), then
/// participants, training, and every run's atoms and maps.
fs::path group_page(const fs::path& root, const std::vector<ParticipantSummary>& summaries,
                    const std::vector<Decomposition>& decomps, const MeanImages& means,
                    const Volume3& background, const RunIndex& index, bool have_truth,
                    const fs::path& out_dir, const ReportOptions& opt) {
  HtmlPage page("dcae report: group");
  const auto groups = by_prefix(decomps);
  page.section("scores", "Network discovery: raw-signal DL vs DCAE-feature DL");
  if (decomps.empty()) {
    page.note("No decomposition found (*_decomposition.json) under " + root.string() + ".");
  } else {
    discovery_notes(page, root, decomps);
    page.table(summary_table(groups));
    for (const auto& [prefix, decs] : groups) page.table(run_table(decs, ""));
  }
  if (have_truth) {
    page.section("truth", "Planted networks (simulation ground truth)");
    for (const auto& [prefix, decs] : groups) {
      page.subheading(prefix);
      page.table(core_table(decs, index, ""));
      page.table(planted_table(decs, index, ""));
    }
  }
  page.section("participants", "Participants");
  if (summaries.empty()) {
    page.note("No participant folders (sub-*) in " + root.string() + ".");
  } else {
    Table t;
    t.caption = "Participants";
    t.header = {"participant", "runs", "volumes", "mean FD (mm)"};
    t.numeric = {false, true, true, true};
    for (const auto& s : summaries)
      t.rows.push_back(
          {"sub-" + s.label, std::to_string(s.runs), std::to_string(s.volumes),
           s.fd_n > 0 ? format_number(s.fd_sum / static_cast<double>(s.fd_n), 4) : "n/a"});
    page.table(t);
    for (const auto& s : summaries)
      if (fs::exists(out_dir / ("sub-" + s.label + ".html")))
        page.link("sub-" + s.label + ".html", "sub-" + s.label + " report");
  }
  page.section("training", "Autoencoder training");
  const fs::path loss = !opt.loss_log.empty() ? opt.loss_log : root / "model" / "loss.tsv";
  if (!opt.loss_log.empty() && !fs::exists(loss))
    throw input_error(loss.string() + ": no such file");
  if (fs::exists(loss)) {
    const LossLog l = read_loss_log(loss);
    const fs::path vpath = loss.parent_path() / "validation.tsv",
                   tpath = loss.parent_path() / "training.json";
    std::optional<ValidationLog> v;
    if (fs::exists(vpath)) v = read_validation_log(vpath);
    std::string stop;
    if (fs::exists(tpath)) {
      const auto j = io::read_json(tpath);
      if (j.is_object() && j.contains("StopReason") && j["StopReason"].is_string()) {
        const std::string why = j["StopReason"].get<std::string>();
        stop =
            why == "plateau"
                ? " Training stopped because the validation loss had stopped improving (a plateau)."
            : why == "epochs"
                ? " Training stopped at its epoch limit (the validation loss was still improving)."
            : why == "max_steps"   ? " Training stopped at its step limit."
            : why == "target_loss" ? " Training stopped on reaching its target loss."
                                   : " Training stopped: " + why + ".";
      }
    }
    if (l.loss.empty()) {
      page.note(loss.filename().string() + " has no steps yet.");
    } else {
      const auto epochs = l.epoch_means();
      page.figure_svg(
          render_svg(loss_plot(l, v ? &*v : nullptr)),
          "Training loss (reconstruction MSE + sparsity and consistency terms) from " +
              loss.string() + ": " + std::to_string(l.loss.size()) + " steps, " +
              std::to_string(epochs.size()) + " epoch(s); first " +
              format_number(l.loss.front(), 4) + ", last " + format_number(l.loss.back(), 4) +
              (epochs.empty() ? std::string()
                              : ", last epoch mean " + format_number(epochs.back().loss, 4)) +
              (v && !v->loss.empty()
                   ? "; validation loss on held-out voxels " + format_number(v->loss.back(), 4)
                   : std::string()) +
              "." + stop + " A trained model's curves have flattened out.");
    }
  } else {
    page.note("Training loss missing: " + loss.string() + " not found (give --loss).");
  }
  page.section("atoms", "Temporal atoms against each run's design");
  for (const auto& [prefix, decs] : groups) {
    page.subheading(prefix);
    for (const Decomposition* d : decs) page.paragraph(decomposition_summary(*d));
    for (const auto& run : run_names(decs, "")) add_run_atoms(page, decs, run);
  }
  page.section("maps", "Spatial maps of the assigned atoms, every run");
  if (decomps.empty()) page.note("No decomposition: no spatial maps.");
  for (const auto& [prefix, decs] : groups) {
    page.subheading(prefix);
    for (const auto& run : run_names(decs, ""))
      add_run_maps(page, decs, run, means, &background, index, opt);
  }
  errors_section(page, root, "");
  about_section(page, root);
  const fs::path path = out_dir / "group.html";
  write_page(path, page);
  return path;
}

} // namespace

std::vector<std::string> find_participants(const fs::path& derivatives_dir) {
  const fs::path& root = derivatives_dir;
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_directory() && starts_with(name, "sub-") && name.size() > 4)
      out.push_back(name.substr(4));
  }
  // A participant whose every run failed has no folder, but a page listing its errors.
  for (const auto& e : recorded_errors(root, ""))
    if (const std::string l = e.value("Participant", std::string()); !l.empty()) out.push_back(l);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<RunFiles> find_runs(const fs::path& derivatives_dir, const std::string& label) {
  const fs::path& root = derivatives_dir;
  const fs::path dir = root / ("sub-" + label);
  std::vector<fs::path> confounds, bolds, masks;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (starts_with(name, ".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    if (ends_with(name, kConfoundsTail)) confounds.push_back(it->path());
    if (ends_with(name, "_desc-preproc_bold.nii.gz") || ends_with(name, "_desc-preproc_bold.nii"))
      bolds.push_back(it->path());
    if (ends_with(name, "_desc-brain_mask.nii.gz") || ends_with(name, "_desc-brain_mask.nii"))
      masks.push_back(it->path());
  }
  std::map<std::map<std::string, std::string>, RunFiles> runs;
  for (const auto& c : confounds) {
    const std::string n = c.filename().string();
    RunFiles& r = runs[entities_without(n, {"desc"})];
    r.name = n.substr(0, n.size() - std::string(kConfoundsTail).size());
    r.confounds = c;
  }
  // Native space first: a bold without space- is taken over one with it.
  std::sort(bolds.begin(), bolds.end(), [](const fs::path& a, const fs::path& b) {
    const bool sa = a.filename().string().find("_space-") != std::string::npos;
    const bool sb = b.filename().string().find("_space-") != std::string::npos;
    return sa != sb ? sb : a < b;
  });
  for (const auto& b : bolds) {
    const std::string n = b.filename().string();
    RunFiles& r = runs[entities_without(n, {"desc", "space"})];
    if (!r.bold.empty()) continue;
    r.bold = b;
    if (r.name.empty()) r.name = n.substr(0, n.find("_desc-preproc_bold"));
    const fs::path filtered =
        b.parent_path() / (n.substr(0, n.find("_desc-preproc_bold")) + "_desc-filtered_bold" +
                           n.substr(n.find("_desc-preproc_bold") + 18));
    if (fs::exists(filtered)) r.filtered = filtered;
    const auto want = entities_without(n, {"desc"});
    for (const auto& m : masks) {
      if (m.parent_path() == b.parent_path() &&
          entities_without(m.filename().string(), {"desc"}) == want)
        r.mask = m;
    }
  }
  std::vector<RunFiles> out;
  for (auto& [k, r] : runs) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(),
            [](const RunFiles& a, const RunFiles& b) { return a.name < b.name; });
  return out;
}

std::vector<fs::path> write_reports(const ReportOptions& opt) {
  const fs::path root = opt.derivatives_dir;
  if (!fs::is_directory(root)) throw input_error(root.string() + ": not a folder");
  const fs::path out_dir = opt.output_dir.empty() ? root : opt.output_dir;
  fs::create_directories(out_dir);

  const std::vector<std::string> all = find_participants(root);
  std::vector<std::string> selected;
  for (const auto& p : opt.participants) {
    const std::string l = io::strip_prefix(p, "sub-");
    if (std::find(all.begin(), all.end(), l) == all.end()) {
      throw usage_error("participant '" + l + "' not found in " + root.string() +
                        " (found: " + (all.empty() ? std::string("none") : join(all, ", ")) + ")");
    }
    if (std::find(selected.begin(), selected.end(), l) == selected.end()) selected.push_back(l);
  }
  if (opt.participants.empty()) selected = all;

  std::vector<Decomposition> decomps;
  for (const auto& p : find_decompositions(root)) {
    decomps.push_back(read_decomposition(p));
    if (auto v = decomps.back().decoder_view()) decomps.push_back(std::move(*v));
  }
  const auto truth = find_ground_truth(root, opt.ground_truth);
  log::info(selected.size(), " participant(s), ", decomps.size(), " decomposition(s) in ",
            root.string(), truth ? "; ground truth in " + truth->string() : "");

  // Every selected participant's runs, loaded once.
  std::map<std::string, std::vector<RunData>> runs_of;
  MeanImages means;
  RunIndex index;
  Volume3 background;
  std::vector<ParticipantSummary> summaries;
  for (const std::string& label : selected) {
    auto& runs = runs_of[label];
    for (const auto& f : find_runs(root, label)) runs.push_back(load_run(f, truth));
    ParticipantSummary sum{label, runs.size()};
    for (const auto& r : runs) {
      if (!r.mean.empty()) means[r.files.name] = r.mean;
      if (background.empty() && !r.mean.empty()) background = r.mean;
      if (!r.confounds) continue;
      sum.volumes += r.confounds->volumes();
      for (double v : r.confounds->fd)
        if (std::isfinite(v)) sum.fd_sum += v, ++sum.fd_n;
    }
    summaries.push_back(sum);
  }
  for (const auto& [label, runs] : runs_of)
    for (const auto& r : runs) index[r.files.name] = &r;

  std::vector<fs::path> written;
  if (opt.participant_pages)
    for (const std::string& label : selected)
      written.push_back(
          participant_page(label, runs_of[label], decomps, means, index, root, out_dir, opt));
  if (opt.group_page)
    written.push_back(group_page(root, summaries, decomps, means, background, index,
                                 truth.has_value(), out_dir, opt));
  return written;
}

} // namespace dcae::report
