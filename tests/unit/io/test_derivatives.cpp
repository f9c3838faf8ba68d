#include <gtest/gtest.h>
#include <unistd.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "dcae/version.h"
#include "io/derivatives.h"
#include "io/json.h"

namespace dcae::io {

TEST(Derivatives, EntitiesInSpecificationOrder) {
  EXPECT_EQ(bids_filename({{"desc", "preproc"},
                           {"task", "motor"},
                           {"run", "01"},
                           {"sub", "01"},
                           {"space", "MNI152NLin6Asym"},
                           {"ses", "a"}},
                          "bold", ".nii.gz"),
            "sub-01_ses-a_task-motor_run-01_space-MNI152NLin6Asym_desc-preproc_bold.nii.gz");
  EXPECT_EQ(
      bids_filename({{"sub", "01"}, {"acq", "mb4"}, {"echo", "1"}, {"dir", "LR"}}, "bold", ".json"),
      "sub-01_acq-mb4_dir-LR_echo-1_bold.json");
}

TEST(Derivatives, RejectsUnknownEntitiesAndBadLabels) {
  EXPECT_THROW(bids_filename({{"sub", "01"}, {"foo", "x"}}, "bold", ".nii"), Error);
  EXPECT_THROW(bids_filename({{"sub", "0_1"}}, "bold", ".nii"), Error);
  EXPECT_THROW(bids_filename({{"sub", "01"}}, "bo-ld", ".nii"), Error);
}

TEST(Derivatives, PathFromSourceEntities) {
  const auto p =
      derivative_path("/out", {{"sub", "01"}, {"ses", "2"}, {"task", "motor"}, {"run", "1"}},
                      {{"desc", "brain"}, {"run", ""}}, "mask", ".nii.gz");
  EXPECT_EQ(p.string(), "/out/sub-01/ses-2/func/sub-01_ses-2_task-motor_desc-brain_mask.nii.gz");
}

TEST(Derivatives, DatasetDescription) {
  const auto d = derivative_description("dcae", "/data/bids/", "bids/dcae:0.1.0");
  EXPECT_EQ(d["DatasetType"], "derivative");
  EXPECT_EQ(d["GeneratedBy"][0]["Name"], "dcae");
  EXPECT_FALSE(d["GeneratedBy"][0]["Version"].get<std::string>().empty());
  EXPECT_TRUE(d["GeneratedBy"][0].contains("CodeURL"));
  EXPECT_EQ(d["GeneratedBy"][0]["Container"]["Tag"], "bids/dcae:0.1.0");
  EXPECT_EQ(d["GeneratedBy"][0]["Container"]["Type"], "docker");
  const auto s = derivative_description("dcae", {}, "apptainer:dcae-0.1.0.sif");
  EXPECT_EQ(s["GeneratedBy"][0]["Container"]["Type"], "singularity");
  EXPECT_EQ(s["GeneratedBy"][0]["Container"]["Tag"], "dcae-0.1.0.sif");
  EXPECT_FALSE(derivative_description("dcae")["GeneratedBy"][0].contains("Container"));
  // The raw dataset is linked by name, so that Sources can be BIDS URIs.
  EXPECT_EQ(d["SourceDatasets"][0]["URL"], "bids:raw:");
  EXPECT_EQ(d["DatasetLinks"]["raw"], "/data/bids");
  EXPECT_FALSE(s.contains("DatasetLinks"));
  EXPECT_FALSE(s.contains("SourceDatasets"));
  EXPECT_EQ(d["BIDSVersion"], kBidsVersion);
}

TEST(Derivatives, SourcesAreBidsUrisInsideTheLinkedDataset) {
  EXPECT_EQ(source_uri("/data/bids/sub-01/func/sub-01_task-x_bold.nii.gz", "/data/bids"),
            "bids:raw:sub-01/func/sub-01_task-x_bold.nii.gz");
  EXPECT_EQ(source_uri("/data/bids/./sub-01/../sub-02/a.nii", "/data/bids/"),
            "bids:raw:sub-02/a.nii");
  EXPECT_EQ(source_uri("/elsewhere/a.nii", "/data/bids"), "file:///elsewhere/a.nii");
  EXPECT_EQ(source_uri("/data/bidsx/a.nii", "/data/bids"), "file:///data/bidsx/a.nii");
  EXPECT_EQ(source_uri("/data/a.nii"), "file:///data/a.nii");
}

TEST(Derivatives, TheDescriptionIsRewrittenByEveryRun) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("dcae-dd-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  write_file_atomic(dir / "dataset_description.json",
                    R"({"Name": "old", "GeneratedBy": [{"Name": "dcae", "Version": "0.0.1"}]})");
  write_derivative_description(dir, "/data/bids");
  const auto d = read_json(dir / "dataset_description.json");
  EXPECT_EQ(d["GeneratedBy"][0]["Version"], kVersion);
  EXPECT_EQ(d["DatasetLinks"]["raw"], "/data/bids");
  std::filesystem::remove_all(dir);
}

} // namespace dcae::io

namespace dcae::io {

// Found by tests/fuzz (fuzz_json): a number too large for a double escaped as nlohmann's
// out_of_range (a "runtime failure", exit 3) instead of bad input naming the file.
TEST(Json, MalformedFilesAreBadInputNamingTheFile) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("dcae-json-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* text : {R"({"RepetitionTime": 0.095e18099535639069})", R"({"a": )", "[1, 2"}) {
    write_file_atomic(dir / "x.json", text);
    try {
      read_json(dir / "x.json");
      ADD_FAILURE() << text << " was read";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kBadInput) << text;
      EXPECT_NE(std::string(e.what()).find((dir / "x.json").string() + ": invalid JSON"),
                std::string::npos)
          << e.what();
    }
  }
  std::filesystem::remove_all(dir);
}

} // namespace dcae::io
