#include <gtest/gtest.h>

#include "core/error.h"
#include "io/derivatives.h"

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
  const auto d = derivative_description("dcae", {"bids::/data"}, "bids/dcae:0.1.0");
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
  EXPECT_EQ(d["SourceDatasets"][0]["URL"], "bids::/data");
  EXPECT_EQ(d["BIDSVersion"], kBidsVersion);
}

} // namespace dcae::io
