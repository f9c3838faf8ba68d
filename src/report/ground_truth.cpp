#include "report/ground_truth.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "io/json.h"
#include "io/nifti.h"

namespace fs = std::filesystem;

namespace dcae::report {

const PlantedNetwork* GroundTruthRun::of_condition(const std::string& condition) const {
  for (const auto& n : networks)
    if (!condition.empty() && n.condition == condition) return &n;
  return nullptr;
}

std::optional<fs::path> find_ground_truth(const fs::path& derivatives_dir, const fs::path& given) {
  if (!given.empty()) {
    if (!fs::is_directory(given))
      throw input_error(given.string() + ": no such ground-truth folder");
    return given;
  }
  const fs::path dd = derivatives_dir / "dataset_description.json";
  if (!fs::exists(dd)) return std::nullopt;
  const nlohmann::json j = io::read_json(dd);
  if (!j.is_object()) return std::nullopt;
  // The raw dataset: a DatasetLinks entry (what dcae writes: "raw"), or a file:// URL among
  // SourceDatasets (older dcae and other tools).
  std::vector<fs::path> raws;
  if (j.contains("DatasetLinks") && j["DatasetLinks"].is_object())
    for (const auto& [name, link] : j["DatasetLinks"].items()) {
      if (!link.is_string()) continue;
      std::string l = link.get<std::string>();
      if (starts_with(l, "file://")) l = l.substr(7);
      if (!l.empty() && l.find("://") == std::string::npos)
        raws.push_back(fs::path(l).is_absolute() ? fs::path(l) : derivatives_dir / l);
    }
  if (j.contains("SourceDatasets") && j["SourceDatasets"].is_array())
    for (const auto& s : j["SourceDatasets"]) {
      if (!s.is_object() || !s.contains("URL") || !s["URL"].is_string()) continue;
      const std::string url = s["URL"].get<std::string>();
      if (starts_with(url, "file://")) raws.emplace_back(url.substr(7));
    }
  for (const auto& raw : raws) {
    const fs::path gt = raw / "derivatives" / "groundtruth";
    if (fs::is_directory(gt)) return gt;
  }
  return std::nullopt;
}

std::optional<GroundTruthRun> read_ground_truth(const fs::path& root, const std::string& run) {
  fs::path dir = root;
  for (const std::string& part : split(run, '_')) {
    if (starts_with(part, "sub-")) dir /= part;
    if (starts_with(part, "ses-")) dir /= part;
  }
  dir /= "func";
  const fs::path maps = dir / (run + "_desc-groundtruth_components.nii.gz");
  const fs::path side = dir / (run + "_desc-groundtruth_components.json");
  if (!fs::exists(maps) || !fs::exists(side)) return std::nullopt;
  const nlohmann::json j = io::read_json(side);
  if (!j.is_object() || !j.contains("Networks") || !j["Networks"].is_array())
    throw input_error(side.string() + ": expected \"Networks\" (a list)");
  const io::Image img = io::Image::read(maps);
  if (static_cast<std::size_t>(img.nt()) != j["Networks"].size())
    throw input_error(maps.string() + ": " + std::to_string(img.nt()) + " maps but " +
                      side.filename().string() + " lists " + std::to_string(j["Networks"].size()) +
                      " networks");
  GroundTruthRun g;
  g.components = maps;
  for (std::size_t k = 0; k < j["Networks"].size(); ++k) {
    const auto& n = j["Networks"][k];
    if (!n.is_object() || !n.contains("Name") || !n["Name"].is_string())
      throw input_error(side.string() + ": each network needs a \"Name\"");
    PlantedNetwork p;
    p.name = n["Name"].get<std::string>();
    if (n.contains("Condition") && n["Condition"].is_string())
      p.condition = n["Condition"].get<std::string>();
    p.map.dim = {img.nx(), img.ny(), img.nz()};
    const float* v = img.volume(static_cast<std::int64_t>(k));
    p.map.data.assign(v, v + img.header().voxels_per_volume());
    g.networks.push_back(std::move(p));
  }
  return g;
}

bool MapMatch::peak_inside() const {
  return planted_at_peak >= kInsideLevel;
}

MapMatch compare_map(const Volume3& map, const Volume3& planted, const Volume3& mask) {
  if (map.dim != planted.dim || (!mask.empty() && mask.dim != map.dim))
    throw input_error("ground truth: the planted network's grid differs from the spatial map's");
  MapMatch m;
  const std::size_t n = map.data.size();
  auto in = [&](std::size_t v) {
    return (mask.empty() || mask.data[v] > 0) && std::isfinite(map.data[v]);
  };
  double sa = 0, sb = 0, cnt = 0, peak = -1;
  std::size_t at = 0;
  for (std::size_t v = 0; v < n; ++v) {
    if (!in(v)) continue;
    sa += map.data[v];
    sb += planted.data[v];
    ++cnt;
    if (map.data[v] > peak) peak = map.data[v], at = v;
  }
  if (cnt < 2) return m;
  const double ma = sa / cnt, mb = sb / cnt;
  double num = 0, da = 0, db = 0;
  std::size_t both = 0, in_map = 0, in_planted = 0;
  for (std::size_t v = 0; v < n; ++v) {
    if (!in(v)) continue;
    const double a = map.data[v] - ma, b = planted.data[v] - mb;
    num += a * b, da += a * a, db += b * b;
    const bool x = peak > 0 && map.data[v] >= 0.5 * peak, y = planted.data[v] >= kCoreLevel;
    in_map += x, in_planted += y, both += x && y;
  }
  m.spatial_r = da > 0 && db > 0 ? num / std::sqrt(da * db) : 0.0;
  m.dice = in_map + in_planted > 0
               ? 2.0 * static_cast<double>(both) / static_cast<double>(in_map + in_planted)
               : 0.0;
  m.planted_at_peak = peak > 0 ? planted.data[at] : 0.0;
  return m;
}

std::vector<std::size_t> core_voxels(const Volume3& planted, const Volume3& mask) {
  std::vector<std::size_t> out;
  for (std::size_t v = 0; v < planted.data.size(); ++v)
    if (planted.data[v] >= kCoreLevel &&
        (mask.empty() || (mask.dim == planted.dim && mask.data[v] > 0)))
      out.push_back(v);
  return out;
}

} // namespace dcae::report
