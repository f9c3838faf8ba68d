#pragma once
/// \file derivatives.h
/// BIDS-Derivatives file naming and dataset_description.json.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dcae::io {

/// Entity keys in the order the BIDS specification fixes for file names.
const std::vector<std::string>& bids_entity_order();

/// Builds a BIDS file name from entities (any order in the map; written in the
/// specification's order), a suffix and an extension: {sub:01, task:motor, desc:preproc},
/// "bold", ".nii.gz" → "sub-01_task-motor_desc-preproc_bold.nii.gz".
/// Throws usage_error on an unknown entity key or a label that is not alphanumeric.
std::string bids_filename(const std::map<std::string, std::string>& entities,
                          const std::string& suffix, const std::string& extension);

/// The name of a run by its entities, without suffix or extension:
/// {sub: 01, task: motor, run: 01} → "sub-01_task-motor_run-01" (entities in BIDS order).
std::string run_name(const std::map<std::string, std::string>& entities);

/// The derivative of a source file: the source's entities, with `add` entities set/replaced
/// (an empty value removes the entity), a new suffix and extension; placed in
/// `<out>/sub-X[/ses-Y]/<datatype>/`.
std::filesystem::path derivative_path(const std::filesystem::path& out_root,
                                      const std::map<std::string, std::string>& source_entities,
                                      const std::map<std::string, std::string>& add,
                                      const std::string& suffix, const std::string& extension,
                                      const std::string& datatype = "func");

/// dataset_description.json for a derivative dataset written by dcae:
/// Name, BIDSVersion, DatasetType "derivative", GeneratedBy [{Name, Version, CodeURL,
/// Container?}]; with a `raw_root`, DatasetLinks {"raw": its absolute path} and SourceDatasets
/// [{"URL": "bids:raw:"}], so that files' Sources can be BIDS URIs (source_uri).
/// `container_image`: "image:tag" (Docker) or "apptainer:<file.sif>" (Apptainer/Singularity);
/// empty when not in a container.
nlohmann::json derivative_description(const std::string& name,
                                      const std::filesystem::path& raw_root = {},
                                      const std::string& container_image = {});

/// Writes `<out_root>/dataset_description.json` (derivative_description("dcae", raw_root)),
/// replacing one that is there so that GeneratedBy names the version that wrote last. The
/// container is read from DCAE_CONTAINER_IMAGE (set in dcae's images). Written atomically.
void write_derivative_description(const std::filesystem::path& out_root,
                                  const std::filesystem::path& raw_root = {});

/// How a derivative's sidecar names a file it was made from: "bids:raw:<path in the dataset>"
/// when `raw_root` (the dataset linked as "raw") holds it, else "file://<absolute path>".
std::string source_uri(const std::filesystem::path& file,
                       const std::filesystem::path& raw_root = {});

/// The BIDS dataset holding `file`: the nearest folder above it with a dataset_description.json
/// (empty when there is none).
std::filesystem::path enclosing_dataset(const std::filesystem::path& file);

/// The BIDS version dcae writes.
inline constexpr const char* kBidsVersion = "1.8.0";

} // namespace dcae::io
