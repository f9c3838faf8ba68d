#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "io/bids_layout.h"
#include "io/json.h"
#include "io/nifti.h"
#include "report/figures.h"
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
  double tr_s = 0;            ///< 0 = unknown
  Volume3 mean, mask;         ///< empty when absent
  long long mask_voxels = -1; ///< -1 = unknown
};

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

RunData load_run(const RunFiles& f) {
  RunData r;
  r.files = f;
  if (!f.confounds.empty()) r.confounds = read_confounds(f.confounds);
  if (!f.bold.empty()) {
    log::info("reading ", f.bold.filename().string());
    const io::Image bold = io::Image::read(f.bold);
    r.tr_s = bold.header().tr_s;
    r.mean = mean_over_time(bold);
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
  if (!f.mask.empty()) {
    const io::Image m = io::Image::read(f.mask);
    r.mask = volume_of(m, 0);
    r.mask_voxels =
        std::count_if(r.mask.data.begin(), r.mask.data.end(), [](float x) { return x > 0; });
    if (!r.mean.empty() && r.mean.dim != r.mask.dim) {
      throw input_error(f.mask.string() + ": grid differs from " + f.bold.filename().string());
    }
  }
  return r;
}

std::string tr_text(double tr) {
  return tr > 0 ? format_number(tr, 4) : "n/a";
}

/// The run a file belongs to: its name up to "_desc-" ("sub-01_task-motor_run-01").
std::string run_key(const fs::path& file) {
  const std::string n = file.filename().string();
  return n.substr(0, n.find("_desc-"));
}

/// True when `file`'s name starts with the participant's sub- entity.
bool belongs_to(const fs::path& file, const std::string& label) {
  return starts_with(file.filename().string(), "sub-" + label + "_");
}

/// Mean images by run (run_key), for backgrounds of spatial maps.
using MeanImages = std::map<std::string, Volume3>;

/// Best-atom spatial maps of decompositions sharing a prefix: per decomposition, per condition,
/// one mosaic of each chosen component file. `subject` non-empty: that participant's files;
/// else the first file. The background is the mean image of the file's run when on its grid,
/// else `fallback` when on its grid, else none.
void add_spatial_maps(HtmlPage& page, const std::vector<const Decomposition*>& decs,
                      const MeanImages& means, const Volume3* fallback, const std::string& subject,
                      const ReportOptions& opt) {
  for (const Decomposition* d : decs) {
    if (d->via_decoder) continue; // same maps as the decomposition it comes from
    if (d->scores.empty()) {
      page.note(d->json_path.filename().string() + " has no scores: no best atoms to show.");
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& c : d->components) {
      if (subject.empty() ? files.empty() : belongs_to(c, subject)) files.push_back(c);
    }
    if (files.empty()) {
      page.note("Spatial maps missing: " + d->json_path.filename().string() +
                " lists no maps for sub-" + subject + ".");
      continue;
    }
    for (const fs::path& file : files) {
      if (!fs::exists(file)) {
        page.note("Spatial maps missing: " + file.filename().string() + " not found.");
        continue;
      }
      const io::Image comp = io::Image::read(file);
      const std::array<std::int64_t, 3> grid{comp.nx(), comp.ny(), comp.nz()};
      const Volume3* bg = nullptr;
      if (auto it = means.find(run_key(file)); it != means.end() && it->second.dim == grid)
        bg = &it->second;
      if (bg == nullptr && fallback != nullptr && !fallback->empty() && fallback->dim == grid)
        bg = fallback;
      std::vector<std::string> conditions = d->conditions;
      for (const Score& s : d->scores) {
        if (std::find(conditions.begin(), conditions.end(), s.condition) == conditions.end())
          conditions.push_back(s.condition);
      }
      for (const std::string& cond : conditions) {
        const Score* s = best_score(*d, cond);
        if (s == nullptr) continue;
        if (s->atom >= comp.nt()) {
          throw input_error(file.string() + ": has " + std::to_string(comp.nt()) +
                            " volumes, but " + d->json_path.filename().string() + " scores atom " +
                            std::to_string(s->atom));
        }
        Volume3 map = volume_of(comp, s->atom);
        if (s->r < 0) {
          for (float& x : map.data) x = -x;
        }
        double peak = 0;
        for (float x : map.data) {
          if (std::isfinite(x)) peak = std::max(peak, static_cast<double>(std::fabs(x)));
        }
        if (peak == 0) {
          page.note(d->label + " atom " + std::to_string(s->atom) + " (" + cond +
                    "): the spatial map in " + file.filename().string() + " is empty.");
          continue;
        }
        // Slices through the shown part of the map, widened to map_slices where it is thinner.
        Volume3 shown = map;
        for (float& x : shown.data) x = std::fabs(x) >= opt.map_threshold * peak ? x : 0.0f;
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
        page.figure_png(
            map_mosaic(bg, map, opt.map_threshold * peak, slices, {opt.map_slices, 96, 2}),
            d->label + " (" + d->source + "), " + cond + ": atom " + std::to_string(s->atom) +
                ", r = " + format_number(s->r, 3) + (s->r < 0 ? " (sign flipped)" : "") + "; " +
                file.filename().string() + "; |value| ≥ " +
                format_number(opt.map_threshold * 100, 3) + "% of the peak " +
                format_number(peak, 3) + (bg != nullptr ? ", over the mean image" : "") +
                "; axial slices k = " + join(ks, ", "),
            d->label + " " + cond + " spatial map");
      }
    }
  }
}

/// Temporal atoms against the design, one plot per condition, for decompositions sharing a prefix.
void add_temporal_atoms(HtmlPage& page, const std::vector<const Decomposition*>& decs) {
  std::vector<std::string> conditions;
  for (const Decomposition* d : decs) {
    for (const auto& c : d->conditions) {
      if (std::find(conditions.begin(), conditions.end(), c) == conditions.end())
        conditions.push_back(c);
    }
  }
  if (conditions.empty()) {
    page.note("No task design in the decomposition files: temporal atoms cannot be matched to "
              "conditions.");
    return;
  }
  for (const Decomposition* d : decs) {
    if (d->atoms.empty())
      page.note("Temporal atoms missing: " + d->mixing_path.filename().string() + " not found.");
  }
  for (const std::string& c : conditions) {
    std::string caption;
    const LinePlot p = atom_plot(c, decs, &caption);
    if (p.series.empty()) {
      page.note(c + ": no scored atom to show.");
      continue;
    }
    page.figure_svg(render_svg(p),
                    c +
                        ": HRF-convolved regressor (dashed) and the best-matching atom of each "
                        "decomposition, z-scored. " +
                        caption);
  }
}

/// Decompositions grouped by prefix; within a prefix, raw-signal ones first.
std::map<std::string, std::vector<const Decomposition*>>
by_prefix(const std::vector<Decomposition>& all) {
  std::map<std::string, std::vector<const Decomposition*>> out;
  for (const auto& d : all) out[d.prefix].push_back(&d);
  for (auto& [p, v] : out) {
    std::stable_sort(v.begin(), v.end(), [](const Decomposition* a, const Decomposition* b) {
      return a->raw() != b->raw() ? a->raw() : a->label < b->label;
    });
  }
  return out;
}

/// The score table: rows prefix × condition, per label (raw first) the best atom and r.
Table score_table(const std::map<std::string, std::vector<const Decomposition*>>& groups) {
  std::vector<std::pair<bool, std::string>> labels; // (not raw, label) for ordering
  for (const auto& [p, v] : groups) {
    for (const Decomposition* d : v) {
      const std::pair<bool, std::string> key{!d->raw(), d->label};
      if (std::find(labels.begin(), labels.end(), key) == labels.end()) labels.push_back(key);
    }
  }
  std::sort(labels.begin(), labels.end());
  // With exactly one raw-signal label, each feature label gets a column |r| − |r raw|.
  const bool one_raw =
      !labels.empty() && !labels[0].first && (labels.size() == 1 || labels[1].first);
  const std::size_t n_delta = one_raw ? labels.size() - 1 : 0;
  Table t;
  t.caption = "Best-matching atom per condition and its Pearson r with the HRF-convolved regressor";
  t.header = {"decomposition", "condition"};
  t.numeric = {false, false};
  for (const auto& l : labels) {
    t.header.push_back(l.second + " atom");
    t.header.push_back(l.second + " r");
    t.numeric.push_back(true);
    t.numeric.push_back(true);
  }
  for (std::size_t l = 1; l <= n_delta; ++l) {
    t.header.push_back("|r| " + labels[l].second + " − " + labels[0].second);
    t.numeric.push_back(true);
  }
  for (const auto& [prefix, decs] : groups) {
    std::vector<std::string> conditions;
    for (const Decomposition* d : decs) {
      for (const auto& c : d->conditions) {
        if (std::find(conditions.begin(), conditions.end(), c) == conditions.end())
          conditions.push_back(c);
      }
      for (const auto& s : d->scores) {
        if (std::find(conditions.begin(), conditions.end(), s.condition) == conditions.end())
          conditions.push_back(s.condition);
      }
    }
    std::vector<double> sum(labels.size(), 0.0);
    std::vector<int> count(labels.size(), 0);
    for (const auto& c : conditions) {
      std::vector<std::string> row{prefix, c};
      std::vector<double> r(labels.size(), std::nan(""));
      for (std::size_t l = 0; l < labels.size(); ++l) {
        const Decomposition* d = nullptr;
        for (const Decomposition* x : decs) {
          if (x->label == labels[l].second && x->raw() == !labels[l].first) d = x;
        }
        const Score* s = d != nullptr ? best_score(*d, c) : nullptr;
        row.push_back(s != nullptr ? std::to_string(s->atom) : "—");
        row.push_back(s != nullptr ? format_number(s->r, 3) : "—");
        if (s != nullptr) {
          r[l] = s->r;
          sum[l] += std::fabs(s->r);
          ++count[l];
        }
      }
      for (std::size_t l = 1; l <= n_delta; ++l) {
        row.push_back(std::isfinite(r[0]) && std::isfinite(r[l])
                          ? format_number(std::fabs(r[l]) - std::fabs(r[0]), 3)
                          : "—");
      }
      t.rows.push_back(std::move(row));
    }
    std::vector<std::string> mean_row{prefix, "mean |r|"};
    std::vector<double> means(labels.size(), std::nan(""));
    for (std::size_t l = 0; l < labels.size(); ++l) {
      if (count[l] > 0) means[l] = sum[l] / count[l];
      mean_row.push_back("");
      mean_row.push_back(count[l] > 0 ? format_number(means[l], 3) : "—");
    }
    for (std::size_t l = 1; l <= n_delta; ++l) {
      mean_row.push_back(std::isfinite(means[0]) && std::isfinite(means[l])
                             ? format_number(means[l] - means[0], 3)
                             : "—");
    }
    t.rows.push_back(std::move(mean_row));
  }
  return t;
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
  return d.json_path.filename().string() + ": " + (d.method.empty() ? "method n/a" : d.method) +
         ", source " + d.source + ", K = " + std::to_string(d.k) +
         ", lambda = " + format_number(d.lambda, 3) + ", " +
         std::to_string(d.atoms.empty() ? 0 : d.atoms.front().size()) + " volumes";
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
  std::sort(out.begin(), out.end());
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
  log::info(selected.size(), " participant(s), ", decomps.size(), " decomposition(s) in ",
            root.string());

  std::vector<fs::path> written;
  struct Summary {
    std::string label;
    std::size_t runs = 0, volumes = 0;
    double fd_sum = 0;
    std::size_t fd_n = 0;
    bool page = false;
  };
  std::vector<Summary> summaries;
  Volume3 group_background;
  MeanImages means;

  for (const std::string& label : selected) {
    const auto runs_files = find_runs(root, label);
    std::vector<RunData> runs;
    for (const auto& f : runs_files) runs.push_back(load_run(f));
    Summary sum{label, runs.size()};
    for (const auto& r : runs) {
      if (!r.confounds) continue;
      sum.volumes += r.confounds->volumes();
      for (double v : r.confounds->fd) {
        if (std::isfinite(v)) sum.fd_sum += v, ++sum.fd_n;
      }
    }
    for (const auto& r : runs) {
      if (!r.mean.empty()) means[r.files.name] = r.mean;
    }
    if (group_background.empty()) {
      for (const auto& r : runs) {
        if (!r.mean.empty()) {
          group_background = r.mean;
          break;
        }
      }
    }
    if (!opt.participant_pages) {
      summaries.push_back(sum);
      continue;
    }
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
        t.rows.push_back(
            {r.files.name, r.confounds ? std::to_string(r.confounds->volumes()) : "n/a",
             tr_text(r.tr_s), r.confounds ? format_number(r.confounds->mean_fd(), 4) : "n/a",
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
    page.section("mask", "Brain mask over the mean image");
    for (const auto& r : runs) {
      page.subheading(r.files.name);
      if (r.mean.empty() || r.mask.empty()) {
        page.note(
            std::string("Mask figure missing: ") +
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
                          r.files.bold.filename().string() +
                          "; axial slices k = " + join(ks, ", ") + " (i rightwards, j upwards).",
                      "brain mask over the mean image");
    }
    page.section("decompositions", "Decompositions");
    std::vector<Decomposition> own, shared;
    for (const auto& d : decomps) {
      if (d.subject == label) {
        own.push_back(d);
      } else if (d.subject.empty() &&
                 std::any_of(d.components.begin(), d.components.end(),
                             [&](const fs::path& c) { return belongs_to(c, label); })) {
        shared.push_back(d);
      }
    }
    if (own.empty() && shared.empty()) {
      page.note("No decomposition of sub-" + label +
                " found (a *_decomposition.json with this participant's prefix, "
                "or a group one whose spatial maps include this participant's runs).");
    }
    const Volume3* bg = nullptr;
    for (const auto& r : runs) {
      if (!r.mean.empty()) {
        bg = &r.mean;
        break;
      }
    }
    for (const auto& [prefix, decs] : by_prefix(own)) {
      page.subheading(prefix);
      for (const Decomposition* d : decs) page.paragraph(decomposition_summary(*d));
      page.table(score_table({{prefix, decs}}));
      add_temporal_atoms(page, decs);
      add_spatial_maps(page, decs, means, bg, label, opt);
    }
    for (const auto& [prefix, decs] : by_prefix(shared)) {
      page.subheading(prefix + " (group decomposition): this participant's spatial maps");
      add_spatial_maps(page, decs, means, bg, label, opt);
    }
    const fs::path path = out_dir / ("sub-" + label + ".html");
    write_page(path, page);
    written.push_back(path);
    sum.page = true;
    summaries.push_back(sum);
  }

  if (opt.group_page) {
    HtmlPage page("dcae report: group");
    page.section("participants", "Participants");
    if (summaries.empty()) {
      page.note("No participant folders (sub-*) in " + root.string() + ".");
    } else {
      Table t;
      t.caption = "Participants";
      t.header = {"participant", "runs", "volumes", "mean FD (mm)"};
      t.numeric = {false, true, true, true};
      for (const auto& s : summaries) {
        t.rows.push_back(
            {"sub-" + s.label, std::to_string(s.runs), std::to_string(s.volumes),
             s.fd_n > 0 ? format_number(s.fd_sum / static_cast<double>(s.fd_n), 4) : "n/a"});
      }
      page.table(t);
      for (const auto& s : summaries) {
        if (s.page || fs::exists(out_dir / ("sub-" + s.label + ".html"))) {
          page.link("sub-" + s.label + ".html", "sub-" + s.label + " report");
        }
      }
    }
    page.section("training", "Autoencoder training");
    const fs::path loss = !opt.loss_log.empty() ? opt.loss_log : root / "model" / "loss.tsv";
    if (!opt.loss_log.empty() && !fs::exists(loss))
      throw input_error(loss.string() + ": no such file");
    if (fs::exists(loss)) {
      const LossLog l = read_loss_log(loss);
      if (l.loss.empty()) {
        page.note(loss.filename().string() + " has no steps yet.");
      } else {
        const auto epochs = l.epoch_means();
        page.figure_svg(
            render_svg(loss_plot(l)),
            "Training loss (MSE + sparsity penalty) from " + loss.string() + ": " +
                std::to_string(l.loss.size()) + " steps, " + std::to_string(epochs.size()) +
                " epoch(s); first " + format_number(l.loss.front(), 4) + ", last " +
                format_number(l.loss.back(), 4) +
                (epochs.empty() ? std::string()
                                : ", last epoch mean " + format_number(epochs.back().loss, 4)) +
                ".");
      }
    } else {
      page.note("Training loss missing: " + loss.string() + " not found (give --loss).");
    }
    page.section("scores", "Scores: raw-signal DL vs DCAE-feature DL");
    if (decomps.empty()) {
      page.note("No decomposition found (*_decomposition.json) under " + root.string() + ".");
    } else {
      page.table(score_table(by_prefix(decomps)));
    }
    std::vector<Decomposition> group;
    for (const auto& d : decomps) {
      if (d.subject.empty()) group.push_back(d);
    }
    page.section("atoms", "Temporal atoms against the task design");
    if (group.empty()) {
      page.note("No group-level decomposition (a *_decomposition.json without sub- in its name); "
                "per-participant decompositions are on the participant pages.");
    }
    const auto groups = by_prefix(group);
    for (const auto& [prefix, decs] : groups) {
      page.subheading(prefix);
      for (const Decomposition* d : decs) page.paragraph(decomposition_summary(*d));
      add_temporal_atoms(page, decs);
    }
    page.section("maps", "Spatial maps of the best atoms");
    if (group.empty()) page.note("No group-level decomposition: no group spatial maps.");
    for (const auto& [prefix, decs] : groups) {
      page.subheading(prefix);
      for (const Decomposition* d : decs) {
        if (d->components.size() > 1 && !d->via_decoder) {
          page.paragraph(d->label + ": maps of the first of " +
                         std::to_string(d->components.size()) +
                         " runs; each participant's page shows that participant's maps.");
        }
      }
      add_spatial_maps(page, decs, means, &group_background, "", opt);
    }
    const fs::path path = out_dir / "group.html";
    write_page(path, page);
    written.push_back(path);
  }
  return written;
}

} // namespace dcae::report
