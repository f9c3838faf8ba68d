#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/hcp_layout.h"
#include "test_data.h"

namespace fs = std::filesystem;
using dcae::Error;
using dcae::ExitCode;
using dcae::io::HcpRun;
using dcae::test::expect_error;
using dcae::test::put;
using dcae::test::shared_data;
using dcae::test::TempDir;

namespace {

fs::path hcp_root() {
  return shared_data() / "hcp";
}

/// A run folder `<root>/<subject>/MNINonLinear/Results/<name>` with optional parts.
fs::path make_run(const fs::path& root, const std::string& subject, const std::string& name,
                  bool bold, bool evs, bool movement) {
  const fs::path folder = root / subject / "MNINonLinear" / "Results" / name;
  fs::create_directories(folder);
  if (bold) put(folder / (name + ".nii.gz"), "");
  if (evs) put(folder / "EVs" / "lf.txt", "1 2 1\n");
  if (movement) put(folder / "Movement_Regressors.txt", "0 0 0 0 0 0 0 0 0 0 0 0\n");
  return folder;
}

} // namespace

// ---------------------------------------------------------------- fixtures

TEST(HcpLayout, ListsRunsSortedAndSkipsOtherFolders) {
  TempDir dir;
  make_run(dir.path(), "200", "tfMRI_MOTOR_RL", true, true, true);
  make_run(dir.path(), "100", "tfMRI_WM_LR", false, false, false);
  make_run(dir.path(), "100", "tfMRI_MOTOR_RL", false, true, false);
  make_run(dir.path(), "100", "tfMRI_MOTOR_LR", true, true, true);
  make_run(dir.path(), "100", "tfMRI_MOTOR", false, false, false);    // level-2 folder
  make_run(dir.path(), "100", "rfMRI_REST1_LR", true, false, false);  // resting state
  make_run(dir.path(), "100", "tfMRI_MOTOR_AP", false, false, false); // not LR/RL
  fs::create_directories(dir / "fsf_templates");
  put(dir / "LICENSE.md", "x");

  const std::vector<HcpRun> runs = dcae::io::list_hcp_runs(dir.path());
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].subject, "100");
  EXPECT_EQ(runs[0].task, "MOTOR");
  EXPECT_EQ(runs[0].phase_encoding, "LR");
  EXPECT_EQ(runs[1].phase_encoding, "RL");
  EXPECT_EQ(runs[2].task, "WM");
  EXPECT_EQ(runs[3].subject, "200");

  const HcpRun& lr = runs[0];
  EXPECT_EQ(lr.folder, dir / "100/MNINonLinear/Results/tfMRI_MOTOR_LR");
  EXPECT_EQ(lr.bold, lr.folder / "tfMRI_MOTOR_LR.nii.gz");
  EXPECT_TRUE(lr.bold_exists);
  ASSERT_TRUE(lr.evs_dir.has_value());
  EXPECT_EQ(*lr.evs_dir, lr.folder / "EVs");
  ASSERT_TRUE(lr.movement_regressors.has_value());

  const HcpRun& rl = runs[1];
  EXPECT_FALSE(rl.bold_exists);
  EXPECT_EQ(rl.bold, rl.folder / "tfMRI_MOTOR_RL.nii.gz");
  EXPECT_TRUE(rl.evs_dir.has_value());
  EXPECT_FALSE(rl.movement_regressors.has_value());
  EXPECT_FALSE(runs[2].evs_dir.has_value());
}

TEST(HcpLayout, OneSubjectFolderAsRoot) {
  TempDir dir;
  make_run(dir.path(), "100307", "tfMRI_MOTOR_LR", false, true, false);
  const auto runs = dcae::io::list_hcp_runs(dir / "100307");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].subject, "100307");
  // A trailing separator names the same subject.
  EXPECT_EQ(dcae::io::list_hcp_runs((dir / "100307").string() + "/").at(0).subject, "100307");
}

TEST(HcpLayout, FiltersBySubjectAndTaskCaseInsensitively) {
  TempDir dir;
  make_run(dir.path(), "100", "tfMRI_MOTOR_LR", false, true, false);
  make_run(dir.path(), "100", "tfMRI_WM_LR", false, true, false);
  make_run(dir.path(), "200", "tfMRI_MOTOR_LR", false, true, false);
  EXPECT_EQ(dcae::io::list_hcp_runs(dir.path(), {"200"}).size(), 1u);
  const auto motor = dcae::io::list_hcp_runs(dir.path(), {}, {"motor"});
  ASSERT_EQ(motor.size(), 2u);
  EXPECT_EQ(motor[0].task, "MOTOR");
  EXPECT_EQ(dcae::io::list_hcp_runs(dir.path(), {"100"}, {"Wm", "MOTOR"}).size(), 2u);
}

TEST(HcpLayout, UnknownSubjectOrTaskIsUsageError) {
  TempDir dir;
  make_run(dir.path(), "100", "tfMRI_MOTOR_LR", false, true, false);
  expect_error([&] { dcae::io::list_hcp_runs(dir.path(), {"999"}); }, ExitCode::kBadUsage,
               {"999", "100"});
  expect_error([&] { dcae::io::list_hcp_runs(dir.path(), {}, {"GAMBLING"}); }, ExitCode::kBadUsage,
               {"GAMBLING", "MOTOR"});
}

TEST(HcpLayout, EmptyOrMissingFolderIsBadInput) {
  TempDir dir;
  fs::create_directories(dir / "empty");
  expect_error([&] { dcae::io::list_hcp_runs(dir / "empty"); }, ExitCode::kBadInput,
               {(dir / "empty").string()});
  expect_error([&] { dcae::io::list_hcp_runs(dir / "absent"); }, ExitCode::kBadInput,
               {(dir / "absent").string()});
  put(dir / "file", "x");
  expect_error([&] { dcae::io::list_hcp_runs(dir / "file"); }, ExitCode::kBadInput,
               {(dir / "file").string()});
  EXPECT_FALSE(dcae::io::is_hcp_layout(dir / "empty"));
  EXPECT_FALSE(dcae::io::is_hcp_layout(dir / "absent"));
  EXPECT_FALSE(dcae::io::is_hcp_layout(dir / "file"));
}

TEST(HcpLayout, IsHcpLayout) {
  TempDir dir;
  make_run(dir.path(), "100", "tfMRI_MOTOR_LR", false, false, false);
  EXPECT_TRUE(dcae::io::is_hcp_layout(dir.path()));
  EXPECT_TRUE(dcae::io::is_hcp_layout(dir / "100"));
  EXPECT_FALSE(dcae::io::is_hcp_layout(dir / "100" / "MNINonLinear"));
  TempDir bids;
  put(bids / "dataset_description.json", "{}");
  fs::create_directories(bids / "sub-01" / "func");
  EXPECT_FALSE(dcae::io::is_hcp_layout(bids.path()));
}

TEST(HcpMovement, ReadsFirstSixColumnsOfTwelveOrSix) {
  TempDir dir;
  const fs::path f = dir / "Movement_Regressors.txt";
  put(f, " -0.01 0.17 0.15 0.02 0.0 0.03 1 2 3 4 5 6 \n\n1 2 3 4 5 6\n");
  const auto rows = dcae::io::read_movement_regressors(f);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[0][0], -0.01);
  EXPECT_DOUBLE_EQ(rows[0][5], 0.03);
  EXPECT_DOUBLE_EQ(rows[1][3], 4.0);
}

TEST(HcpMovement, BadRowsNameFileAndLine) {
  TempDir dir;
  const fs::path f = dir / "Movement_Regressors.txt";
  put(f, "1 2 3 4 5 6\n1 2 3 4 5 6 7\n");
  expect_error([&] { dcae::io::read_movement_regressors(f); }, ExitCode::kBadInput,
               {f.string() + ":2", "found 7"});
  put(f, "1 2 3 4 5 6\n1 2 x 4 5 6\n");
  expect_error([&] { dcae::io::read_movement_regressors(f); }, ExitCode::kBadInput,
               {f.string() + ":2", "'x'"});
  put(f, "1 2 3 4 5 6 7 8 9 10 11 nan\n");
  expect_error([&] { dcae::io::read_movement_regressors(f); }, ExitCode::kBadInput,
               {f.string() + ":1"});
  put(f, "");
  expect_error([&] { dcae::io::read_movement_regressors(f); }, ExitCode::kBadInput, {f.string()});
  expect_error([&] { dcae::io::read_movement_regressors(dir / "absent.txt"); }, ExitCode::kBadInput,
               {(dir / "absent.txt").string()});
}

// ---------------------------------------------------------------- real HCP data

TEST(HcpLayoutShared, Subject792564Emotion) {
  const fs::path subject = hcp_root() / "792564";
  DCAE_REQUIRE_DATA(subject);
  const auto runs = dcae::io::list_hcp_runs(subject);
  ASSERT_EQ(runs.size(), 2u); // tfMRI_EMOTION (level 2) is not a run
  for (const HcpRun& r : runs) {
    EXPECT_EQ(r.subject, "792564");
    EXPECT_EQ(r.task, "EMOTION");
    EXPECT_FALSE(r.bold_exists) << "the 4D bold is not part of the test data";
    EXPECT_TRUE(r.evs_dir.has_value());
    EXPECT_TRUE(r.movement_regressors.has_value());
  }
  EXPECT_EQ(runs[0].phase_encoding, "LR");
  EXPECT_EQ(runs[1].phase_encoding, "RL");
  EXPECT_EQ(runs[0].bold.filename(), "tfMRI_EMOTION_LR.nii.gz");
  EXPECT_TRUE(dcae::io::is_hcp_layout(subject));
}

TEST(HcpLayoutShared, WholeFolderHoldsTwoSubjects) {
  DCAE_REQUIRE_DATA(hcp_root() / "792564");
  DCAE_REQUIRE_DATA(hcp_root() / "100307-motor-evs");
  // fsf_templates/ and LICENSE.md are not subjects; the subject label is the folder name.
  const auto runs = dcae::io::list_hcp_runs(hcp_root());
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].subject, "100307-motor-evs");
  EXPECT_EQ(runs[0].task, "MOTOR");
  EXPECT_EQ(runs[0].phase_encoding, "LR");
  EXPECT_FALSE(runs[0].bold_exists);
  EXPECT_TRUE(runs[0].evs_dir.has_value());
  EXPECT_FALSE(runs[0].movement_regressors.has_value());
  EXPECT_EQ(runs[1].phase_encoding, "RL");
  EXPECT_EQ(runs[2].subject, "792564");
  EXPECT_EQ(runs[3].task, "EMOTION");
  EXPECT_TRUE(dcae::io::is_hcp_layout(hcp_root()));

  const auto emotion = dcae::io::list_hcp_runs(hcp_root(), {}, {"emotion"});
  ASSERT_EQ(emotion.size(), 2u);
  EXPECT_EQ(emotion[0].subject, "792564");
  EXPECT_EQ(dcae::io::list_hcp_runs(hcp_root(), {"100307-motor-evs"}).size(), 2u);
}

TEST(HcpLayoutShared, MovementRegressorsOfEmotionLr) {
  const fs::path f =
      hcp_root() / "792564/MNINonLinear/Results/tfMRI_EMOTION_LR/Movement_Regressors.txt";
  DCAE_REQUIRE_DATA(f);
  const auto rows = dcae::io::read_movement_regressors(f);
  ASSERT_EQ(rows.size(), 176u);
  EXPECT_DOUBLE_EQ(rows[0][0], -0.012791);
  EXPECT_DOUBLE_EQ(rows[0][1], 0.178396);
  EXPECT_DOUBLE_EQ(rows[0][5], 0.033232);
  EXPECT_DOUBLE_EQ(rows[175][0], -0.644090);
}

TEST(HcpLayoutShared, TemplatesFolderIsNotHcpSubject) {
  const fs::path templates = hcp_root() / "fsf_templates";
  DCAE_REQUIRE_DATA(templates);
  EXPECT_FALSE(dcae::io::is_hcp_layout(templates));
  expect_error([&] { dcae::io::list_hcp_runs(templates); }, ExitCode::kBadInput,
               {templates.string()});
}
