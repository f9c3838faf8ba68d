#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/bids_layout.h"
#include "io/events.h"
#include "test_data.h"

namespace fs = std::filesystem;
using dcae::Error;
using dcae::ExitCode;
using dcae::io::BidsLayout;
using dcae::io::BoldRun;
using dcae::io::RunFilter;
using dcae::test::expect_error;
using dcae::test::put;
using dcae::test::shared_data;
using dcae::test::TempDir;
using Labels = std::vector<std::string>;

namespace {

fs::path bids_examples() {
  return shared_data() / "bids-examples";
}

/// The run whose stem is `stem`; fails the test if there is none.
const BoldRun& run_named(const BidsLayout& layout, const std::string& stem) {
  const auto& runs = layout.runs();
  const auto it =
      std::find_if(runs.begin(), runs.end(), [&](const BoldRun& r) { return r.stem() == stem; });
  if (it == runs.end()) {
    ADD_FAILURE() << "no run " << stem << " in " << layout.root();
    static const BoldRun none;
    return none;
  }
  return *it;
}

std::size_t count_runs(const std::vector<BoldRun>& runs, bool (*pred)(const BoldRun&)) {
  return static_cast<std::size_t>(std::count_if(runs.begin(), runs.end(), pred));
}

/// A raw dataset with sidecars and events at every level of the inheritance principle.
///
///   dataset_description.json
///   task-motor_bold.json            RepetitionTime 2, SliceTiming[4], EchoTime, Level root
///   task-motor_acq-fast_bold.json   RepetitionTime 0.5 (acq-fast runs only)
///   task-rest_bold.json             RepetitionTime 3
///   task-motor_events.tsv           2 events "A"
///   sub-01/sub-01_task-motor_bold.json                 Level subject, FromSubject
///   sub-01/ses-1/sub-01_ses-1_task-motor_bold.json     Level session
///   sub-01/ses-1/func/sub-01_ses-1_task-motor_run-01_bold.nii.gz (+ .json RepetitionTime 1.5,
///                                                         Level run; + _events.tsv 3 events "B")
///   sub-01/ses-1/func/sub-01_ses-1_task-motor_run-02_bold.nii.gz
///   sub-01/ses-2/sub-01_ses-2_task-motor_events.tsv    1 event "C"
///   sub-01/ses-2/func/sub-01_ses-2_task-motor_run-01_bold.nii
///   sub-01/ses-2/func/sub-01_ses-2_task-rest_bold.nii.gz
///   sub-02/sub-01_task-motor_bold.json                 (another subject's: never applies)
///   sub-02/func/sub-02_task-motor_acq-fast_bold.nii.gz (+ _sbref.nii.gz, not a run)
///   sub-03/anat/sub-03_T1w.nii.gz                      (a subject without runs)
///   sub-04.html, derivatives/, sourcedata/             (not subjects, not indexed)
void make_inheritance_dataset(const fs::path& root) {
  put(root / "dataset_description.json", R"({"Name": "fixture", "BIDSVersion": "1.8.0"})");
  put(root / "task-motor_bold.json",
      R"({"RepetitionTime": 2, "SliceTiming": [0, 0.5, 1, 1.5], "EchoTime": 0.03, "Level": "root"})");
  put(root / "task-motor_acq-fast_bold.json", R"({"RepetitionTime": 0.5})");
  put(root / "task-rest_bold.json", R"({"RepetitionTime": 3})");
  put(root / "task-motor_events.tsv", "onset\tduration\ttrial_type\n0\t10\tA\n20\t10\tA\n");
  put(root / "sub-01/sub-01_task-motor_bold.json", R"({"Level": "subject", "FromSubject": true})");
  put(root / "sub-01/ses-1/sub-01_ses-1_task-motor_bold.json", R"({"Level": "session"})");
  const fs::path f1 = root / "sub-01/ses-1/func";
  put(f1 / "sub-01_ses-1_task-motor_run-01_bold.nii.gz");
  put(f1 / "sub-01_ses-1_task-motor_run-01_bold.json",
      R"({"RepetitionTime": 1.5, "Level": "run"})");
  put(f1 / "sub-01_ses-1_task-motor_run-01_events.tsv",
      "onset\tduration\ttrial_type\n1\t1\tB\n2\t1\tB\n3\t1\tB\n");
  put(f1 / "sub-01_ses-1_task-motor_run-02_bold.nii.gz");
  put(root / "sub-01/ses-2/sub-01_ses-2_task-motor_events.tsv",
      "onset\tduration\ttrial_type\n5\t1\tC\n");
  put(root / "sub-01/ses-2/func/sub-01_ses-2_task-motor_run-01_bold.nii");
  put(root / "sub-01/ses-2/func/sub-01_ses-2_task-rest_bold.nii.gz");
  put(root / "sub-02/sub-01_task-motor_bold.json", R"({"Level": "wrong subject"})");
  put(root / "sub-02/func/sub-02_task-motor_acq-fast_bold.nii.gz");
  put(root / "sub-02/func/sub-02_task-motor_acq-fast_sbref.nii.gz");
  put(root / "sub-03/anat/sub-03_T1w.nii.gz");
  put(root / "sub-04.html", "<html></html>");
  put(root / "derivatives/sub-01/func/sub-01_task-motor_bold.nii.gz");
  put(root / "sourcedata/sub-09/func/sub-09_task-motor_bold.nii.gz");
}

} // namespace

// ---------------------------------------------------------------- names

TEST(BidsNames, ParsesEntitiesSuffixAndExtension) {
  const auto p = dcae::io::parse_bids_name("sub-01_ses-1_task-x_acq-fast_run-2_bold.nii.gz");
  EXPECT_EQ(p.entities.at("sub"), "01");
  EXPECT_EQ(p.entities.at("ses"), "1");
  EXPECT_EQ(p.entities.at("task"), "x");
  EXPECT_EQ(p.entities.at("acq"), "fast");
  EXPECT_EQ(p.entities.at("run"), "2");
  EXPECT_EQ(p.entity_order, (Labels{"sub", "ses", "task", "acq", "run"}));
  EXPECT_EQ(p.suffix, "bold");
  EXPECT_EQ(p.extension, ".nii.gz");

  const auto top = dcae::io::parse_bids_name("task-rest_events.tsv");
  EXPECT_EQ(top.entities.size(), 1u);
  EXPECT_EQ(top.suffix, "events");
  EXPECT_EQ(top.extension, ".tsv");

  const auto plain = dcae::io::parse_bids_name("dataset_description.json");
  EXPECT_TRUE(plain.entities.empty());
  EXPECT_EQ(plain.suffix, "description");

  const auto no_suffix = dcae::io::parse_bids_name("sub-01_task-x");
  EXPECT_EQ(no_suffix.suffix, "");
  EXPECT_EQ(no_suffix.extension, "");
  EXPECT_EQ(no_suffix.entities.size(), 2u);
}

TEST(BidsNames, StripPrefix) {
  EXPECT_EQ(dcae::io::strip_prefix("sub-01", "sub-"), "01");
  EXPECT_EQ(dcae::io::strip_prefix("01", "sub-"), "01");
  EXPECT_EQ(dcae::io::strip_prefix("ses-sub-x", "sub-"), "ses-sub-x");
}

// ---------------------------------------------------------------- fixture datasets

TEST(BidsLayoutFixture, ListsSubjectsTasksAndRuns) {
  TempDir dir;
  make_inheritance_dataset(dir.path());
  const BidsLayout layout = BidsLayout::open(dir.path());
  EXPECT_EQ(layout.root(), dir.path());
  EXPECT_EQ(layout.subjects(), (Labels{"01", "02", "03"}));
  EXPECT_EQ(layout.tasks(), (Labels{"motor", "rest"}));
  const auto& runs = layout.runs();
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs[0].stem(), "sub-01_ses-1_task-motor_run-01");
  EXPECT_EQ(runs[1].stem(), "sub-01_ses-1_task-motor_run-02");
  EXPECT_EQ(runs[2].stem(), "sub-01_ses-2_task-motor_run-01");
  EXPECT_EQ(runs[2].bold.extension(), ".nii");
  EXPECT_EQ(runs[3].stem(), "sub-01_ses-2_task-rest");
  EXPECT_EQ(runs[4].stem(), "sub-02_task-motor_acq-fast");

  EXPECT_EQ(runs[0].subject, "01");
  EXPECT_EQ(runs[0].session, "1");
  EXPECT_EQ(runs[0].task, "motor");
  EXPECT_EQ(runs[0].run, "01");
  EXPECT_EQ(runs[0].entities.at("ses"), "1");
  EXPECT_EQ(runs[3].run, "");
  EXPECT_EQ(runs[4].session, "");
  EXPECT_EQ(runs[4].entities.at("acq"), "fast");
  EXPECT_EQ(runs[0].bold, dir / "sub-01/ses-1/func/sub-01_ses-1_task-motor_run-01_bold.nii.gz");
}

TEST(BidsLayoutFixture, SidecarsMergeRootToLeaf) {
  TempDir dir;
  make_inheritance_dataset(dir.path());
  const BidsLayout layout = BidsLayout::open(dir.path());
  const auto& runs = layout.runs();
  ASSERT_EQ(runs.size(), 5u);

  const BoldRun& leaf = runs[0];
  EXPECT_EQ(leaf.sidecars,
            (std::vector<fs::path>{
                dir / "task-motor_bold.json", dir / "sub-01/sub-01_task-motor_bold.json",
                dir / "sub-01/ses-1/sub-01_ses-1_task-motor_bold.json",
                dir / "sub-01/ses-1/func/sub-01_ses-1_task-motor_run-01_bold.json"}));
  EXPECT_EQ(leaf.metadata.at("Level"), "run"); // leaf wins
  EXPECT_EQ(leaf.metadata.at("FromSubject"), true);
  EXPECT_DOUBLE_EQ(leaf.metadata.at("EchoTime").get<double>(), 0.03);
  ASSERT_TRUE(leaf.repetition_time_s.has_value());
  EXPECT_DOUBLE_EQ(*leaf.repetition_time_s, 1.5);
  EXPECT_EQ(leaf.slice_timing_s, (std::vector<double>{0, 0.5, 1, 1.5}));

  const BoldRun& session = runs[1]; // no sidecar of its own
  EXPECT_EQ(session.sidecars.size(), 3u);
  EXPECT_EQ(session.metadata.at("Level"), "session");
  EXPECT_DOUBLE_EQ(session.repetition_time_s.value(), 2.0);

  const BoldRun& other_session = runs[2]; // ses-1's sidecar does not apply to ses-2
  EXPECT_EQ(other_session.sidecars.size(), 2u);
  EXPECT_EQ(other_session.metadata.at("Level"), "subject");

  const BoldRun& rest = runs[3];
  EXPECT_EQ(rest.sidecars, std::vector<fs::path>{dir / "task-rest_bold.json"});
  EXPECT_DOUBLE_EQ(rest.repetition_time_s.value(), 3.0);
  EXPECT_TRUE(rest.slice_timing_s.empty());
  EXPECT_FALSE(rest.metadata.contains("Level"));

  const BoldRun& fast = runs[4]; // two root sidecars: the more specific one wins
  EXPECT_EQ(fast.sidecars, (std::vector<fs::path>{dir / "task-motor_bold.json",
                                                  dir / "task-motor_acq-fast_bold.json"}));
  EXPECT_DOUBLE_EQ(fast.repetition_time_s.value(), 0.5);
  EXPECT_EQ(fast.metadata.at("Level"), "root"); // sub-02/sub-01_*.json is another subject's
}

TEST(BidsLayoutFixture, EventsNearestApplicableFile) {
  TempDir dir;
  make_inheritance_dataset(dir.path());
  const BidsLayout layout = BidsLayout::open(dir.path());
  const auto& runs = layout.runs();
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_EQ(runs[0].events, dir / "sub-01/ses-1/func/sub-01_ses-1_task-motor_run-01_events.tsv");
  EXPECT_EQ(runs[1].events, dir / "task-motor_events.tsv"); // inherited from the top level
  EXPECT_EQ(runs[2].events, dir / "sub-01/ses-2/sub-01_ses-2_task-motor_events.tsv");
  EXPECT_FALSE(runs[3].events.has_value());
  EXPECT_EQ(runs[4].events, dir / "task-motor_events.tsv");
  EXPECT_EQ(dcae::io::read_bids_events(*runs[0].events).conditions(), Labels{"B"});
  EXPECT_EQ(dcae::io::read_bids_events(*runs[2].events).events.size(), 1u);
}

TEST(BidsLayoutFixture, ListingDoesNotOpenImages) {
  TempDir dir;
  put(dir / "dataset_description.json", "{}");
  fs::create_directories(dir / "sub-01/func");
  // A dangling link (as in a datalad clone without content) and an empty file are both listed.
  fs::create_symlink(dir / "annex/missing", dir / "sub-01/func/sub-01_task-x_run-1_bold.nii.gz");
  put(dir / "sub-01/func/sub-01_task-x_run-2_bold.nii.gz");
  put(dir / "sub-01/func/._sub-01_task-x_run-3_bold.nii.gz", "AppleDouble"); // hidden: ignored
  const BidsLayout layout = BidsLayout::open(dir.path());
  ASSERT_EQ(layout.runs().size(), 2u);
  EXPECT_EQ(layout.runs()[0].run, "1");
  EXPECT_FALSE(layout.runs()[0].repetition_time_s.has_value());
  EXPECT_TRUE(layout.runs()[0].sidecars.empty());
  EXPECT_TRUE(layout.runs()[0].metadata.is_object());
}

TEST(BidsLayoutFixture, SelectStripsPrefixes) {
  TempDir dir;
  make_inheritance_dataset(dir.path());
  const BidsLayout layout = BidsLayout::open(dir.path());
  EXPECT_EQ(layout.select({}).size(), 5u);
  EXPECT_EQ(layout.select({{"sub-01"}, {}, {}}).size(), 4u);
  EXPECT_EQ(layout.select({{"01"}, {}, {}}).size(), 4u);
  EXPECT_EQ(layout.select({{"01", "sub-02"}, {}, {}}).size(), 5u);
  EXPECT_EQ(layout.select({{}, {"ses-2"}, {}}).size(), 2u);
  EXPECT_EQ(layout.select({{}, {"1"}, {"task-motor"}}).size(), 2u);
  const auto rest = layout.select({{}, {}, {"rest"}});
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].stem(), "sub-01_ses-2_task-rest");
}

TEST(BidsLayoutFixture, SelectUnknownLabelsIsUsageError) {
  TempDir dir;
  make_inheritance_dataset(dir.path());
  const BidsLayout layout = BidsLayout::open(dir.path());
  expect_error(
      [&] {
        layout.select({{"sub-99"}, {}, {}});
      },
      ExitCode::kBadUsage, {"sub-99", "not found", "01, 02"});
  expect_error(
      [&] {
        layout.select({{"03"}, {}, {}});
      },
      ExitCode::kBadUsage, {"'03'", "no bold run", "01, 02"});
  expect_error([&] { layout.select({{}, {"ses-3"}, {}}); }, ExitCode::kBadUsage, {"ses-3", "1, 2"});
  expect_error(
      [&] {
        layout.select({{}, {}, {"nback"}});
      },
      ExitCode::kBadUsage, {"nback", "motor, rest"});
  // Each label exists, but no run has both.
  expect_error(
      [&] {
        layout.select({{"02"}, {}, {"rest"}});
      },
      ExitCode::kBadUsage, {"no bold run matches"});
}

TEST(BidsLayoutFixture, SubjectsWithoutSessionsOrRuns) {
  TempDir dir;
  put(dir / "dataset_description.json", "{}");
  fs::create_directories(dir / "sub-b/anat");
  fs::create_directories(dir / "sub-a");
  const BidsLayout layout = BidsLayout::open(dir.path());
  EXPECT_EQ(layout.subjects(), (Labels{"a", "b"}));
  EXPECT_TRUE(layout.runs().empty());
  EXPECT_TRUE(layout.tasks().empty());
  EXPECT_TRUE(layout.select({}).empty());
  expect_error(
      [&] {
        layout.select({{"a"}, {}, {}});
      },
      ExitCode::kBadUsage, {"no bold run", "none"});
}

// ---------------------------------------------------------------- bad datasets

TEST(BidsLayoutErrors, MissingFolderOrNotAFolder) {
  TempDir dir;
  expect_error([&] { BidsLayout::open(dir / "absent"); }, ExitCode::kBadInput,
               {(dir / "absent").string()});
  put(dir / "file");
  expect_error([&] { BidsLayout::open(dir / "file"); }, ExitCode::kBadInput,
               {(dir / "file").string(), "folder"});
}

TEST(BidsLayoutErrors, EmptyFolderHasNoDatasetDescription) {
  TempDir dir;
  expect_error([&] { BidsLayout::open(dir.path()); }, ExitCode::kBadInput,
               {dir.path().string(), "dataset_description.json"});
}

TEST(BidsLayoutErrors, DatasetWithoutDescription) {
  TempDir dir;
  put(dir / "sub-01/func/sub-01_task-x_bold.nii.gz");
  put(dir / "task-x_bold.json", R"({"RepetitionTime": 2})");
  expect_error([&] { BidsLayout::open(dir.path()); }, ExitCode::kBadInput,
               {dir.path().string(), "dataset_description.json"});
}

TEST(BidsLayoutErrors, MalformedJsonNamesTheFile) {
  TempDir dir;
  put(dir / "dataset_description.json", "{\"Name\": ");
  expect_error([&] { BidsLayout::open(dir.path()); }, ExitCode::kBadInput,
               {(dir / "dataset_description.json").string()});

  put(dir / "dataset_description.json", "{}");
  put(dir / "sub-01/func/sub-01_task-x_bold.nii.gz");
  put(dir / "sub-01/func/sub-01_task-x_bold.json", "{\"RepetitionTime\": 2,, }");
  expect_error([&] { BidsLayout::open(dir.path()); }, ExitCode::kBadInput,
               {(dir / "sub-01/func/sub-01_task-x_bold.json").string()});
}

TEST(BidsLayoutErrors, BadRepetitionTimeOrSliceTimingNamesTheSidecar) {
  TempDir dir;
  put(dir / "dataset_description.json", "{}");
  put(dir / "sub-01/func/sub-01_task-x_bold.nii.gz");
  put(dir / "task-x_bold.json", R"({"RepetitionTime": "2s"})");
  expect_error(
      [&] { BidsLayout::open(dir.path()); }, ExitCode::kBadInput,
      {(dir / "task-x_bold.json").string(), "RepetitionTime", "sub-01_task-x_bold.nii.gz"});
  put(dir / "task-x_bold.json", R"({"RepetitionTime": -1})");
  expect_error([&] { BidsLayout::open(dir.path()); }, ExitCode::kBadInput, {"RepetitionTime"});
  put(dir / "task-x_bold.json", R"({"RepetitionTime": 2, "SliceTiming": 0.5})");
  put(dir / "sub-01/func/sub-01_task-x_bold.json", R"({"EchoTime": 0.03})");
  expect_error([&] { BidsLayout::open(dir.path()); }, ExitCode::kBadInput,
               {(dir / "task-x_bold.json").string(), "SliceTiming"});
  put(dir / "task-x_bold.json", "[1, 2]");
  expect_error([&] { BidsLayout::open(dir.path()); }, ExitCode::kBadInput,
               {(dir / "task-x_bold.json").string()});
}

// ---------------------------------------------------------------- bids-examples: the table

namespace {

/// What each bids-examples dataset holds, found by listing its folders and reading its JSON and
/// TSV files (not by running this code).
struct ExampleCase {
  const char* dataset;
  std::size_t n_subjects;     ///< sub-* folders
  Labels some_subjects;       ///< a few of them
  Labels tasks;               ///< tasks with bold runs
  std::size_t n_runs;         ///< *_bold.nii[.gz] under sub-*/[ses-*/]func
  Labels sessions;            ///< sessions of the bold runs
  const char* run;            ///< stem of a named run
  std::optional<double> tr_s; ///< its RepetitionTime
  std::size_t n_slice_timing; ///< its SliceTiming length (0: absent)
  std::size_t n_sidecars;     ///< applicable _bold.json files
  const char* events;         ///< its events.tsv relative to the dataset, or nullptr
  std::size_t n_events;       ///< events in that file
  Labels conditions;          ///< their conditions in order of appearance
};

/// Names a case by its dataset in GoogleTest's messages.
void PrintTo(const ExampleCase& c, std::ostream* os) {
  *os << c.dataset;
}

const std::vector<ExampleCase>& example_cases() {
  // clang-format off
  static const std::vector<ExampleCase> cases = {
      // dataset, subjects, some of them, tasks, runs, sessions,
      //   named run, its TR, SliceTiming length, sidecars,
      //   its events file, events, conditions
      {"7t_trt", 22, {"01", "11", "22"}, {"rest"}, 132, {"1", "2"},
       "sub-01_ses-1_task-rest_acq-fullbrain_run-1", 3.0, 70, 1,
       nullptr, 0, {}},
      {"ds000001-fmriprep", 4, {"10", "11", "13", "16"}, {"balloonanalogrisktask"}, 24, {},
       "sub-10_task-balloonanalogrisktask_run-1_space-MNI152NLin2009cAsym_res-2_desc-preproc", 2.0, 0, 1,
       nullptr, 0, {}},
      {"ds000117", 17, {"01", "16", "emptyroom"}, {"facerecognition"}, 144, {"mri"},
       "sub-01_ses-mri_task-facerecognition_run-01", 2.0, 33, 1,
       "sub-01/ses-mri/func/sub-01_ses-mri_task-facerecognition_run-01_events.tsv", 99,
       {dcae::io::kDefaultCondition}},
      {"ds001", 16, {"01", "16"}, {"balloonanalogrisktask"}, 48, {},
       "sub-01_task-balloonanalogrisktask_run-01", 2.0, 0, 1,
       "sub-01/func/sub-01_task-balloonanalogrisktask_run-01_events.tsv", 158,
       {"pumps_demean", "explode_demean", "cash_demean", "control_pumps_demean"}},
      {"ds003", 13, {"01", "13"}, {"rhymejudgment"}, 13, {},
       "sub-01_task-rhymejudgment", 2.0, 0, 1,
       "sub-01/func/sub-01_task-rhymejudgment_events.tsv", 64, {"word", "pseudoword"}},
      {"ds005", 16, {"01", "16"}, {"mixedgamblestask"}, 48, {},
       "sub-01_task-mixedgamblestask_run-01", 2.0, 0, 1,
       "sub-01/func/sub-01_task-mixedgamblestask_run-01_events.tsv", 86, {"parametric gain"}},
      {"ds105", 6, {"1", "6"}, {"objectviewing"}, 71, {},
       "sub-1_task-objectviewing_run-01", 2.5, 0, 1,
       "sub-1/func/sub-1_task-objectviewing_run-01_events.tsv", 96,
       {"scissors", "face", "cat", "shoe", "house", "scrambledpix", "bottle", "chair"}},
      {"ds114", 10, {"01", "10"},
       {"covertverbgeneration", "fingerfootlips", "linebisection", "overtverbgeneration", "overtwordrepetition"},
       100, {"retest", "test"},
       "sub-01_ses-test_task-fingerfootlips", 2.5, 30, 1,
       "task-fingerfootlips_events.tsv", 15, {"Finger", "Foot", "Lips"}},
      {"ds210", 15, {"01", "15"}, {"cuedSGT", "rest"}, 225, {},
       "sub-01_task-cuedSGT_run-01_echo-1", 2.0, 33, 1,
       nullptr, 0, {}},
      {"eyetracking_fmri", 1, {"01"}, {"rest"}, 2, {"01"},
       "sub-01_ses-01_task-rest_run-01", 0.8, 60, 1,
       "task-rest_events.tsv", 0, {}},
      {"genetics_ukbb", 14, {"01", "14"}, {"FaceShapeEmotion", "rest"}, 28, {},
       "sub-01_task-FaceShapeEmotion", 0.735, 64, 1,
       "sub-01/func/sub-01_task-FaceShapeEmotion_events.tsv", 4, {dcae::io::kDefaultCondition}},
      {"synthetic", 5, {"01", "05"}, {"nback", "rest"}, 30, {"01", "02"},
       "sub-01_ses-01_task-nback_run-01", 2.5, 0, 1,
       "task-nback_events.tsv", 42,
       {"scene_nontarget_nbackparam", "scene_target_nbackparam", "scene_dist_rtparam", "faces_nontarget_rtparam",
        "faces_dist_nbackparam", "faces_target_rtparam"}},
      {"volume_timing", 1, {"01"}, {"rest"}, 6, {},
       "sub-01_task-rest_acq-constantST", 2.0, 10, 2,
       nullptr, 0, {}},
  };
  // clang-format on
  return cases;
}

/// Opens a bids-examples dataset once per process (each is indexed by several tests).
const BidsLayout& example(const std::string& name) {
  static std::map<std::string, BidsLayout> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, BidsLayout::open(bids_examples() / name)).first;
  return it->second;
}

class BidsExampleTable : public ::testing::TestWithParam<ExampleCase> {};

std::string case_name(const ::testing::TestParamInfo<ExampleCase>& info) {
  std::string name = info.param.dataset;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

} // namespace

TEST_P(BidsExampleTable, MatchesTheTable) {
  const ExampleCase& c = GetParam();
  DCAE_REQUIRE_DATA(bids_examples() / c.dataset);
  const BidsLayout& layout = example(c.dataset);

  const Labels subjects = layout.subjects();
  EXPECT_EQ(subjects.size(), c.n_subjects);
  for (const std::string& s : c.some_subjects) {
    EXPECT_NE(std::find(subjects.begin(), subjects.end(), s), subjects.end()) << "subject " << s;
  }
  EXPECT_EQ(layout.tasks(), c.tasks);
  EXPECT_EQ(layout.runs().size(), c.n_runs);
  Labels sessions;
  for (const BoldRun& r : layout.runs()) {
    if (!r.session.empty() &&
        std::find(sessions.begin(), sessions.end(), r.session) == sessions.end()) {
      sessions.push_back(r.session);
    }
  }
  std::sort(sessions.begin(), sessions.end());
  EXPECT_EQ(sessions, c.sessions);
  EXPECT_TRUE(std::is_sorted(layout.runs().begin(), layout.runs().end(),
                             [](const BoldRun& a, const BoldRun& b) { return a.bold < b.bold; }));

  const BoldRun& run = run_named(layout, c.run);
  EXPECT_EQ(run.repetition_time_s, c.tr_s);
  EXPECT_EQ(run.slice_timing_s.size(), c.n_slice_timing);
  EXPECT_EQ(run.sidecars.size(), c.n_sidecars);
  if (c.events == nullptr) {
    EXPECT_FALSE(run.events.has_value()) << *run.events;
  } else {
    ASSERT_TRUE(run.events.has_value());
    EXPECT_EQ(*run.events, layout.root() / c.events);
    const auto events = dcae::io::read_bids_events(*run.events);
    EXPECT_EQ(events.events.size(), c.n_events);
    EXPECT_EQ(events.conditions(), c.conditions);
  }
}

INSTANTIATE_TEST_SUITE_P(BidsExamples, BidsExampleTable, ::testing::ValuesIn(example_cases()),
                         case_name);

// ---------------------------------------------------------------- bids-examples: quirks

TEST(BidsExamplesQuirks, Ds000001FmriprepIsADerivativeDataset) {
  DCAE_REQUIRE_DATA(bids_examples() / "ds000001-fmriprep");
  const BidsLayout& layout = example("ds000001-fmriprep");
  // Two bold files per run (two output spaces); only the res-2 preproc ones have a sidecar.
  const BoldRun& aroma = run_named(
      layout,
      "sub-10_task-balloonanalogrisktask_run-1_space-MNI152NLin6Asym_desc-smoothAROMAnonaggr");
  EXPECT_EQ(aroma.entities.at("space"), "MNI152NLin6Asym");
  EXPECT_EQ(aroma.entities.at("desc"), "smoothAROMAnonaggr");
  EXPECT_EQ(aroma.run, "1");
  EXPECT_TRUE(aroma.sidecars.empty());
  EXPECT_FALSE(aroma.repetition_time_s.has_value());
  EXPECT_EQ(
      count_runs(layout.runs(), [](const BoldRun& r) { return r.repetition_time_s.has_value(); }),
      12u);
  EXPECT_EQ(count_runs(layout.runs(), [](const BoldRun& r) { return r.events.has_value(); }), 0u);
  // sub-10.html and the figures/ folder are not subjects or runs.
  EXPECT_EQ(layout.subjects(), (Labels{"10", "11", "13", "16"}));
}

TEST(BidsExamplesQuirks, Ds000117EmptyroomSubjectHasNoRun) {
  DCAE_REQUIRE_DATA(bids_examples() / "ds000117");
  const BidsLayout& layout = example("ds000117");
  EXPECT_EQ(layout.subjects().back(), "emptyroom");
  expect_error(
      [&] {
        layout.select({{"sub-emptyroom"}, {}, {}});
      },
      ExitCode::kBadUsage, {"sub-emptyroom", "no bold run", "01, 02"});
  EXPECT_EQ(layout.select({{"sub-01"}, {"mri"}, {}}).size(), 9u);
  expect_error([&] { layout.select({{}, {"meg"}, {}}); }, ExitCode::kBadUsage, {"meg", "mri"});
  // Every run has its own events.tsv in func/; the MEG and beh events never apply.
  for (const BoldRun& r : layout.runs()) {
    ASSERT_TRUE(r.events.has_value()) << r.bold;
    EXPECT_EQ(r.events->parent_path(), r.bold.parent_path());
  }
}

TEST(BidsExamplesQuirks, Ds114EventsFromTopLevelAndFromLeaf) {
  DCAE_REQUIRE_DATA(bids_examples() / "ds114");
  const BidsLayout& layout = example("ds114");
  EXPECT_EQ(count_runs(layout.runs(), [](const BoldRun& r) { return r.events.has_value(); }), 100u);
  const BoldRun& line = run_named(layout, "sub-01_ses-test_task-linebisection");
  EXPECT_EQ(*line.events,
            layout.root() / "sub-01/ses-test/func/sub-01_ses-test_task-linebisection_events.tsv");
  const auto line_events = dcae::io::read_bids_events(*line.events);
  EXPECT_EQ(line_events.events.size(), 160u);
  EXPECT_EQ(line_events.conditions(), (Labels{"Incorrect_Task", "Correct_Task", "No_Response_Task",
                                              "Response_Control", "No_Response_Control"}));
  const BoldRun& overt = run_named(layout, "sub-10_ses-retest_task-overtverbgeneration");
  EXPECT_DOUBLE_EQ(overt.repetition_time_s.value(), 5.0);
  EXPECT_EQ(*overt.events, layout.root() / "task-overtverbgeneration_events.tsv");
  EXPECT_EQ(dcae::io::read_bids_events(*overt.events).events.size(), 7u);
  EXPECT_EQ(layout.select({{}, {"ses-test"}, {"task-fingerfootlips"}}).size(), 10u);
  EXPECT_EQ(layout.select({{"sub-01"}, {}, {}}).size(), 10u);
}

TEST(BidsExamplesQuirks, Ds210EchoSpecificSidecars) {
  DCAE_REQUIRE_DATA(bids_examples() / "ds210");
  const BidsLayout& layout = example("ds210");
  const BoldRun& echo2 = run_named(layout, "sub-01_task-cuedSGT_run-01_echo-2");
  EXPECT_EQ(echo2.sidecars, std::vector<fs::path>{layout.root() / "task-cuedSGT_echo-2_bold.json"});
  EXPECT_DOUBLE_EQ(echo2.metadata.at("EchoTime").get<double>(), 0.027);
  const BoldRun& rest = run_named(layout, "sub-15_task-rest_run-01_echo-1");
  EXPECT_DOUBLE_EQ(rest.repetition_time_s.value(), 3.0);
  EXPECT_EQ(rest.slice_timing_s.size(), 46u);
  EXPECT_EQ(layout.select({{}, {}, {"rest"}}).size(), 45u);        // 15 subjects x 1 run x 3 echoes
  EXPECT_EQ(layout.select({{"01"}, {}, {"cuedSGT"}}).size(), 12u); // 4 runs x 3 echoes
}

TEST(BidsExamplesQuirks, VolumeTimingWithoutRepetitionTime) {
  DCAE_REQUIRE_DATA(bids_examples() / "volume_timing");
  const BidsLayout& layout = example("volume_timing");
  for (const char* stem : {"sub-01_task-rest_acq-clusteredTA", "sub-01_task-rest_acq-clusteredST",
                           "sub-01_task-rest_acq-deprecated"}) {
    const BoldRun& r = run_named(layout, stem);
    EXPECT_FALSE(r.repetition_time_s.has_value()) << stem;
    EXPECT_EQ(r.metadata.at("VolumeTiming").size(), 9u) << stem;
  }
  EXPECT_EQ(run_named(layout, "sub-01_task-rest_acq-clusteredST").slice_timing_s.size(), 10u);
  EXPECT_DOUBLE_EQ(run_named(layout, "sub-01_task-rest_acq-dense").repetition_time_s.value(), 1.0);
  EXPECT_DOUBLE_EQ(
      run_named(layout, "sub-01_task-rest_acq-constantDelay").repetition_time_s.value(), 2.0);
  for (const BoldRun& r : layout.runs()) { // the top-level sidecar applies to every run
    EXPECT_DOUBLE_EQ(r.metadata.at("EchoTime").get<double>(), 0.03) << r.bold;
    EXPECT_EQ(r.sidecars.front(), layout.root() / "task-rest_bold.json");
  }
}

TEST(BidsExamplesQuirks, SevenTeslaAcquisitionSpecificSidecars) {
  DCAE_REQUIRE_DATA(bids_examples() / "7t_trt");
  const BidsLayout& layout = example("7t_trt");
  const BoldRun& pf = run_named(layout, "sub-22_ses-2_task-rest_acq-prefrontal");
  EXPECT_DOUBLE_EQ(pf.repetition_time_s.value(), 4.0);
  EXPECT_EQ(pf.slice_timing_s.size(), 40u);
  EXPECT_DOUBLE_EQ(pf.slice_timing_s.front(), 3.915);
  EXPECT_EQ(pf.run, "");
  EXPECT_EQ(pf.session, "2");
  const BoldRun& fb = run_named(layout, "sub-01_ses-1_task-rest_acq-fullbrain_run-1");
  EXPECT_DOUBLE_EQ(fb.slice_timing_s.at(0), 1.508);
  EXPECT_EQ(layout.select({{"sub-01", "02"}, {"ses-1"}, {}}).size(), 6u);
}

TEST(BidsExamplesQuirks, SyntheticUncompressedNiftiAndDerivativesIgnored) {
  DCAE_REQUIRE_DATA(bids_examples() / "synthetic");
  const BidsLayout& layout = example("synthetic");
  for (const BoldRun& r : layout.runs()) {
    EXPECT_EQ(r.bold.extension(), ".nii") << r.bold;
    EXPECT_EQ(r.bold.string().find("derivatives"), std::string::npos);
    EXPECT_EQ(r.events.has_value(), r.task == "nback") << r.bold;
  }
  EXPECT_EQ(layout.select({{"05"}, {"02"}, {"nback"}}).size(), 2u);
}

TEST(BidsExamplesQuirks, EyetrackingSidecarOnlyAtLeafAndHeaderOnlyEvents) {
  DCAE_REQUIRE_DATA(bids_examples() / "eyetracking_fmri");
  const BidsLayout& layout = example("eyetracking_fmri");
  for (const BoldRun& r : layout.runs()) {
    ASSERT_EQ(r.sidecars.size(), 1u); // the physio sidecars beside it are not bold sidecars
    EXPECT_EQ(r.sidecars[0].parent_path(), r.bold.parent_path());
    EXPECT_EQ(*r.events, layout.root() / "task-rest_events.tsv");
  }
}

TEST(BidsExamplesQuirks, GeneticsRestRunsHaveNoEvents) {
  DCAE_REQUIRE_DATA(bids_examples() / "genetics_ukbb");
  const BidsLayout& layout = example("genetics_ukbb");
  for (const BoldRun& r : layout.runs()) {
    EXPECT_EQ(r.events.has_value(), r.task == "FaceShapeEmotion") << r.bold;
    EXPECT_DOUBLE_EQ(r.repetition_time_s.value(), 0.735);
  }
}

TEST(BidsExamplesQuirks, Ds105UnpaddedLabelsAndAMissingRun) {
  DCAE_REQUIRE_DATA(bids_examples() / "ds105");
  const BidsLayout& layout = example("ds105");
  EXPECT_EQ(layout.subjects(), (Labels{"1", "2", "3", "4", "5", "6"}));
  EXPECT_EQ(layout.select({{"sub-5"}, {}, {}}).size(), 11u);
  EXPECT_EQ(layout.select({{"6"}, {}, {}}).size(), 12u);
  EXPECT_EQ(count_runs(layout.runs(), [](const BoldRun& r) { return r.events.has_value(); }), 71u);
}

TEST(BidsExamplesQuirks, SingleRunDatasetsHaveEmptyRunLabel) {
  DCAE_REQUIRE_DATA(bids_examples() / "ds003");
  const BidsLayout& layout = example("ds003");
  for (const BoldRun& r : layout.runs()) EXPECT_EQ(r.run, "") << r.bold;
  EXPECT_EQ(
      count_runs(example("ds003").runs(), [](const BoldRun& r) { return r.events.has_value(); }),
      13u);
}
