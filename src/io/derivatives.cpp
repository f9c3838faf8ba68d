#include "io/derivatives.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/error.h"
#include "dcae/version.h"
#include "io/json.h"

namespace dcae::io {

const std::vector<std::string>& bids_entity_order() {
  static const std::vector<std::string> kOrder = {
      "sub",       "ses",   "sample", "task", "tracksys", "acq",   "nuc",   "voi",
      "ce",        "trc",   "stain",  "rec",  "dir",      "run",   "mod",   "echo",
      "flip",      "inv",   "mt",     "part", "proc",     "hemi",  "space", "split",
      "recording", "chunk", "seg",    "res",  "den",      "label", "desc"};
  return kOrder;
}

std::string bids_filename(const std::map<std::string, std::string>& entities,
                          const std::string& suffix, const std::string& extension) {
  const auto& order = bids_entity_order();
  for (const auto& kv : entities) {
    if (std::find(order.begin(), order.end(), kv.first) == order.end()) {
      throw usage_error("unknown BIDS entity '" + kv.first + "'");
    }
  }
  auto alnum = [](const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
  };
  std::string name;
  for (const auto& key : order) {
    auto it = entities.find(key);
    if (it == entities.end() || it->second.empty()) continue;
    if (!alnum(it->second)) {
      throw usage_error("BIDS label for '" + key + "' must be alphanumeric, got '" + it->second +
                        "'");
    }
    if (!name.empty()) name += '_';
    name += key + '-' + it->second;
  }
  if (!alnum(suffix)) throw usage_error("BIDS suffix must be alphanumeric, got '" + suffix + "'");
  if (!name.empty()) name += '_';
  return name + suffix + extension;
}

std::string run_name(const std::map<std::string, std::string>& entities) {
  std::string name = bids_filename(entities, "x", "");
  name.resize(name.size() - 2); // "_x"
  return name;
}

std::filesystem::path derivative_path(const std::filesystem::path& out_root,
                                      const std::map<std::string, std::string>& source_entities,
                                      const std::map<std::string, std::string>& add,
                                      const std::string& suffix, const std::string& extension,
                                      const std::string& datatype) {
  std::map<std::string, std::string> e = source_entities;
  for (const auto& kv : add) {
    if (kv.second.empty()) {
      e.erase(kv.first);
    } else {
      e[kv.first] = kv.second;
    }
  }
  auto sub = e.find("sub");
  if (sub == e.end()) throw usage_error("a derivative needs a 'sub' entity");
  std::filesystem::path dir = out_root / ("sub-" + sub->second);
  if (auto ses = e.find("ses"); ses != e.end()) dir /= "ses-" + ses->second;
  if (!datatype.empty()) dir /= datatype;
  return dir / bids_filename(e, suffix, extension);
}

nlohmann::json derivative_description(const std::string& name,
                                      const std::filesystem::path& raw_root,
                                      const std::string& container_image) {
  nlohmann::json gen = {{"Name", kProjectName}, {"Version", kVersion}, {"CodeURL", kCodeUrl}};
  if (!container_image.empty()) { // "image:tag" (docker) or "apptainer:<image.sif>"
    const std::string apptainer = "apptainer:";
    if (container_image.rfind(apptainer, 0) == 0)
      gen["Container"] = {{"Type", "singularity"},
                          {"Tag", container_image.substr(apptainer.size())}};
    else
      gen["Container"] = {{"Type", "docker"}, {"Tag", container_image}};
  }
  nlohmann::json d = {{"Name", name},
                      {"BIDSVersion", kBidsVersion},
                      {"DatasetType", "derivative"},
                      {"GeneratedBy", nlohmann::json::array({gen})}};
  if (!raw_root.empty()) {
    auto raw = std::filesystem::absolute(raw_root).lexically_normal();
    if (!raw.has_filename()) raw = raw.parent_path(); // "/data/bids/" → "/data/bids"
    d["DatasetLinks"] = {{"raw", raw.generic_string()}};
    d["SourceDatasets"] = nlohmann::json::array({{{"URL", "bids:raw:"}}});
  }
  return d;
}

void write_derivative_description(const std::filesystem::path& out_root,
                                  const std::filesystem::path& raw_root) {
  const char* container = std::getenv("DCAE_CONTAINER_IMAGE");
  write_json(out_root / "dataset_description.json",
             derivative_description("dcae", raw_root, container ? container : ""));
}

std::string source_uri(const std::filesystem::path& file, const std::filesystem::path& raw_root) {
  const auto f = std::filesystem::absolute(file).lexically_normal();
  if (!raw_root.empty()) {
    const auto rel = f.lexically_relative(std::filesystem::absolute(raw_root).lexically_normal());
    if (!rel.empty() && *rel.begin() != "..") return "bids:raw:" + rel.generic_string();
  }
  return "file://" + f.generic_string();
}

std::filesystem::path enclosing_dataset(const std::filesystem::path& file) {
  const std::filesystem::path start = std::filesystem::absolute(file).lexically_normal();
  for (std::filesystem::path dir = start.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "dataset_description.json")) return dir;
    if (dir == dir.root_path()) break;
  }
  return {};
}

} // namespace dcae::io
