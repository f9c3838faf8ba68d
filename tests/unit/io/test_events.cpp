#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/events.h"
#include "test_data.h"

namespace fs = std::filesystem;
using dcae::Error;
using dcae::ExitCode;
using dcae::io::Event;
using dcae::io::Events;
using dcae::io::kDefaultCondition;
using dcae::test::expect_error;
using dcae::test::put;
using dcae::test::shared_data;
using dcae::test::TempDir;

namespace {

fs::path bids_examples() {
  return shared_data() / "bids-examples";
}
fs::path hcp_data() {
  return shared_data() / "hcp";
}

} // namespace

// ---------------------------------------------------------------- BIDS events.tsv, fixtures

TEST(EventsBids, ReadsColumnsNaAndExtraColumns) {
  TempDir dir;
  const fs::path tsv = dir / "sub-01_task-x_events.tsv";
  put(tsv, "onset\tduration\ttrial_type\tresponse_time\tstim_file\n"
           "1.5\t2\tleft\t0.3\ta.png\n"
           "3\tn/a\tright\tn/a\tn/a\n"
           "n/a\t1\tleft\t1\tb.png\n"
           "5.25\t1\tn/a\t1\tc.png\n");
  const Events ev = dcae::io::read_bids_events(tsv);
  ASSERT_EQ(ev.events.size(), 3u); // the n/a onset row is skipped
  EXPECT_DOUBLE_EQ(ev.events[0].onset_s, 1.5);
  EXPECT_DOUBLE_EQ(ev.events[0].duration_s, 2.0);
  EXPECT_DOUBLE_EQ(ev.events[0].amplitude, 1.0);
  EXPECT_EQ(ev.events[0].trial_type, "left");
  EXPECT_DOUBLE_EQ(ev.events[1].duration_s, 0.0);        // n/a duration: an impulse
  EXPECT_EQ(ev.events[2].trial_type, kDefaultCondition); // n/a trial_type
  EXPECT_DOUBLE_EQ(ev.events[2].onset_s, 5.25);
  EXPECT_EQ(ev.conditions(), (std::vector<std::string>{"left", "right", kDefaultCondition}));
  EXPECT_EQ(ev.of("left").size(), 1u);
  EXPECT_TRUE(ev.of("absent").empty());
  EXPECT_EQ(ev.source, tsv.string());
}

TEST(EventsBids, MissingTrialTypeGivesDefaultCondition) {
  TempDir dir;
  const fs::path tsv = dir / "events.tsv";
  put(tsv, "onset\tduration\n0\t1\n10\t1\n");
  const Events ev = dcae::io::read_bids_events(tsv);
  ASSERT_EQ(ev.events.size(), 2u);
  EXPECT_EQ(ev.conditions(), std::vector<std::string>{kDefaultCondition});
  EXPECT_STREQ(kDefaultCondition, "events");
}

TEST(EventsBids, ColumnOrderDoesNotMatter) {
  TempDir dir;
  const fs::path tsv = dir / "events.tsv";
  put(tsv, "trial_type\tduration\tonset\nA\t4\t12\n");
  const Events ev = dcae::io::read_bids_events(tsv);
  ASSERT_EQ(ev.events.size(), 1u);
  EXPECT_DOUBLE_EQ(ev.events[0].onset_s, 12.0);
  EXPECT_DOUBLE_EQ(ev.events[0].duration_s, 4.0);
  EXPECT_EQ(ev.events[0].trial_type, "A");
}

TEST(EventsBids, ModulationAndAmplitudeColumns) {
  TempDir dir;
  put(dir / "m.tsv", "onset\tduration\ttrial_type\tmodulation\n0\t1\tA\t0.5\n2\t1\tA\tn/a\n");
  put(dir / "a.tsv", "onset\tduration\tamplitude\n0\t1\t-2\n");
  put(dir / "w.tsv", "onset\tduration\tweight\n0\t1\t3\n"); // other columns are ignored
  const Events m = dcae::io::read_bids_events(dir / "m.tsv");
  ASSERT_EQ(m.events.size(), 2u);
  EXPECT_DOUBLE_EQ(m.events[0].amplitude, 0.5);
  EXPECT_DOUBLE_EQ(m.events[1].amplitude, 1.0);
  EXPECT_DOUBLE_EQ(dcae::io::read_bids_events(dir / "a.tsv").events.at(0).amplitude, -2.0);
  EXPECT_DOUBLE_EQ(dcae::io::read_bids_events(dir / "w.tsv").events.at(0).amplitude, 1.0);
}

TEST(EventsBids, CrlfByteOrderMarkBlankLinesAndHeaderOnly) {
  TempDir dir;
  put(dir / "crlf.tsv", "\xEF\xBB\xBFonset\tduration\ttrial_type\r\n1\t.5\tA\r\n\r\n2\t.5\tB\r\n");
  const Events ev = dcae::io::read_bids_events(dir / "crlf.tsv");
  ASSERT_EQ(ev.events.size(), 2u);
  EXPECT_DOUBLE_EQ(ev.events[0].duration_s, 0.5);
  EXPECT_EQ(ev.events[1].trial_type, "B"); // no trailing \r

  put(dir / "header_only.tsv", "onset\tduration\t\n\n");
  EXPECT_TRUE(dcae::io::read_bids_events(dir / "header_only.tsv").events.empty());
}

// ---------------------------------------------------------------- BIDS events.tsv, bad input

TEST(EventsBids, MissingOnsetColumnNamesFileAndLine) {
  TempDir dir;
  const fs::path tsv = dir / "sub-01_task-x_events.tsv";
  put(tsv, "start\tduration\ttrial_type\n1\t2\tA\n");
  expect_error([&] { dcae::io::read_bids_events(tsv); }, ExitCode::kBadInput,
               {tsv.string() + ":1", "onset"});
}

TEST(EventsBids, MissingDurationColumn) {
  TempDir dir;
  const fs::path tsv = dir / "events.tsv";
  put(tsv, "onset\ttrial_type\n1\tA\n");
  expect_error([&] { dcae::io::read_bids_events(tsv); }, ExitCode::kBadInput,
               {tsv.string() + ":1", "duration"});
}

TEST(EventsBids, NonNumericOnsetNamesFileAndLine) {
  TempDir dir;
  const fs::path tsv = dir / "events.tsv";
  put(tsv, "onset\tduration\n1\t2\nsoon\t2\n");
  expect_error([&] { dcae::io::read_bids_events(tsv); }, ExitCode::kBadInput,
               {tsv.string() + ":3", "onset", "soon"});
}

TEST(EventsBids, NonNumericDurationAndModulation) {
  TempDir dir;
  put(dir / "d.tsv", "onset\tduration\n1\tlong\n");
  expect_error([&] { dcae::io::read_bids_events(dir / "d.tsv"); }, ExitCode::kBadInput,
               {(dir / "d.tsv").string() + ":2", "duration"});
  put(dir / "m.tsv", "onset\tduration\tmodulation\n1\t1\n1\t1\thigh\n");
  expect_error([&] { dcae::io::read_bids_events(dir / "m.tsv"); }, ExitCode::kBadInput,
               {(dir / "m.tsv").string() + ":3", "modulation"});
}

TEST(EventsBids, NegativeDurationIsBadInput) {
  TempDir dir;
  put(dir / "e.tsv", "onset\tduration\n1\t-2\n");
  expect_error([&] { dcae::io::read_bids_events(dir / "e.tsv"); }, ExitCode::kBadInput,
               {(dir / "e.tsv").string() + ":2", "duration"});
}

TEST(EventsBids, ShortRowNamesLine) {
  TempDir dir;
  const fs::path tsv = dir / "events.tsv";
  put(tsv, "trial_type\tonset\tduration\nA\t1\t1\nB\t2\n");
  expect_error([&] { dcae::io::read_bids_events(tsv); }, ExitCode::kBadInput,
               {tsv.string() + ":3", "columns"});
}

TEST(EventsBids, MissingAndEmptyFiles) {
  TempDir dir;
  const fs::path missing = dir / "no_such_events.tsv";
  expect_error([&] { dcae::io::read_bids_events(missing); }, ExitCode::kBadInput,
               {missing.string()});
  put(dir / "empty.tsv", "");
  expect_error([&] { dcae::io::read_bids_events(dir / "empty.tsv"); }, ExitCode::kBadInput,
               {(dir / "empty.tsv").string(), "empty"});
}

// ---------------------------------------------------------------- BIDS events.tsv, real files

TEST(EventsBidsExamples, Ds001TrialTypesAndExtraColumns) {
  const fs::path tsv =
      bids_examples() / "ds001/sub-01/func/sub-01_task-balloonanalogrisktask_run-01_events.tsv";
  DCAE_REQUIRE_DATA(tsv);
  const Events ev = dcae::io::read_bids_events(tsv);
  EXPECT_EQ(ev.events.size(), 158u);
  EXPECT_EQ(ev.conditions(), (std::vector<std::string>{"pumps_demean", "explode_demean",
                                                       "cash_demean", "control_pumps_demean"}));
  EXPECT_DOUBLE_EQ(ev.events[0].onset_s, 0.061);
  EXPECT_DOUBLE_EQ(ev.events[0].duration_s, 0.772);
}

TEST(EventsBidsExamples, Ds000117CrlfWithoutTrialType) {
  const fs::path tsv =
      bids_examples() /
      "ds000117/sub-01/ses-mri/func/sub-01_ses-mri_task-facerecognition_run-01_events.tsv";
  DCAE_REQUIRE_DATA(tsv);
  const Events ev = dcae::io::read_bids_events(tsv);
  EXPECT_EQ(ev.events.size(), 99u);
  EXPECT_EQ(ev.conditions(), std::vector<std::string>{kDefaultCondition});
  EXPECT_DOUBLE_EQ(ev.events[0].onset_s, 0.0);
  EXPECT_DOUBLE_EQ(ev.events[0].duration_s, 0.908); // written ".908"
  EXPECT_DOUBLE_EQ(ev.events[1].onset_s, 3.273);
}

TEST(EventsBidsExamples, Ds000117BehaviouralFileSkipsNaOnsets) {
  const fs::path tsv = bids_examples() /
                       "ds000117/sub-01/ses-meg/beh/sub-01_ses-meg_task-facerecognition_events.tsv";
  DCAE_REQUIRE_DATA(tsv);
  // Every row of this behavioural log has onset n/a.
  EXPECT_TRUE(dcae::io::read_bids_events(tsv).events.empty());
}

TEST(EventsBidsExamples, EyetrackingHeaderOnlyFile) {
  const fs::path tsv = bids_examples() / "eyetracking_fmri/task-rest_events.tsv";
  DCAE_REQUIRE_DATA(tsv);
  const Events ev = dcae::io::read_bids_events(tsv);
  EXPECT_TRUE(ev.events.empty());
  EXPECT_TRUE(ev.conditions().empty());
}

TEST(EventsBidsExamples, SyntheticWeightColumnIsNotAnAmplitude) {
  const fs::path tsv = bids_examples() / "synthetic/task-nback_events.tsv";
  DCAE_REQUIRE_DATA(tsv);
  const Events ev = dcae::io::read_bids_events(tsv);
  EXPECT_EQ(ev.events.size(), 42u);
  EXPECT_EQ(ev.conditions().size(), 6u);
  EXPECT_EQ(ev.events[0].trial_type, "scene_nontarget_nbackparam");
  EXPECT_DOUBLE_EQ(ev.events[1].onset_s, 4.0169999999999995);
  EXPECT_DOUBLE_EQ(ev.events[0].amplitude, 1.0);
}

// ---------------------------------------------------------------- FSL 3-column EV files

TEST(EventsFsl, ReadsThreeColumnsAndNamesConditionByStem) {
  TempDir dir;
  const fs::path txt = dir / "EVs" / "lf.txt";
  put(txt, "26.136\t12.155\t1\n116.766 12.155  0.5\n\n");
  const Events ev = dcae::io::read_fsl_ev(txt);
  ASSERT_EQ(ev.events.size(), 2u);
  EXPECT_EQ(ev.events[0].trial_type, "lf");
  EXPECT_DOUBLE_EQ(ev.events[0].onset_s, 26.136);
  EXPECT_DOUBLE_EQ(ev.events[0].duration_s, 12.155);
  EXPECT_DOUBLE_EQ(ev.events[1].amplitude, 0.5);
  EXPECT_EQ(ev.source, txt.string());
  EXPECT_EQ(dcae::io::read_fsl_ev(txt, "left_foot").conditions(),
            std::vector<std::string>{"left_foot"});
}

TEST(EventsFsl, EmptyFileGivesNoEvents) {
  TempDir dir;
  put(dir / "empty.txt", "");
  EXPECT_TRUE(dcae::io::read_fsl_ev(dir / "empty.txt").events.empty());
}

TEST(EventsFsl, WrongColumnCountNamesFileAndLine) {
  TempDir dir;
  const fs::path txt = dir / "bad.txt";
  put(txt, "1 2 1\n3 4\n");
  expect_error([&] { dcae::io::read_fsl_ev(txt); }, ExitCode::kBadInput,
               {txt.string() + ":2", "3 columns"});
  put(txt, "1 2 1 9\n");
  expect_error([&] { dcae::io::read_fsl_ev(txt); }, ExitCode::kBadInput,
               {txt.string() + ":1", "found 4"});
}

TEST(EventsFsl, NonNumericOnsetNamesFileAndLine) {
  TempDir dir;
  const fs::path txt = dir / "bad.txt";
  put(txt, "1 2 1\n\nx 4 1\n");
  expect_error([&] { dcae::io::read_fsl_ev(txt); }, ExitCode::kBadInput,
               {txt.string() + ":3", "onset"});
}

TEST(EventsFsl, MissingFileNamesIt) {
  TempDir dir;
  const fs::path txt = dir / "EVs" / "missing.txt";
  expect_error([&] { dcae::io::read_fsl_ev(txt); }, ExitCode::kBadInput, {txt.string()});
}

TEST(EventsFsl, FolderSkipsNonEvFilesAndSortsByName) {
  TempDir dir;
  const fs::path evs = dir / "EVs";
  put(evs / "rh.txt", "11 12 1\n131 12 1\n");
  put(evs / "cue.txt", "8 3 1\n");
  put(evs / "Stats.txt", "Face Accuracy: 1.0\nMedian Face RT: 610.8\n");
  put(evs / "Sync.txt", "21.789");
  put(evs / "notes.md", "1 2 3\n");
  fs::create_directories(evs / "sub.txt");
  const Events ev = dcae::io::read_fsl_ev_folder(evs);
  EXPECT_EQ(ev.conditions(), (std::vector<std::string>{"cue", "rh"}));
  ASSERT_EQ(ev.events.size(), 3u);
  EXPECT_DOUBLE_EQ(ev.events[0].onset_s, 8.0);
  EXPECT_NE(ev.source.find("cue.txt"), std::string::npos);
  EXPECT_EQ(ev.source.find("Stats.txt"), std::string::npos);
}

TEST(EventsFsl, EmptyOrMissingFolderIsBadInput) {
  TempDir dir;
  fs::create_directories(dir / "EVs");
  expect_error([&] { dcae::io::read_fsl_ev_folder(dir / "EVs"); }, ExitCode::kBadInput,
               {(dir / "EVs").string()});
  put(dir / "only_stats" / "Stats.txt", "Face Accuracy: 1.0\n");
  expect_error([&] { dcae::io::read_fsl_ev_folder(dir / "only_stats"); }, ExitCode::kBadInput,
               {(dir / "only_stats").string()});
  expect_error([&] { dcae::io::read_fsl_ev_folder(dir / "absent"); }, ExitCode::kBadInput,
               {(dir / "absent").string()});
}

TEST(EventsFslHcp, EmotionFolderSkipsStatsAndSync) {
  const fs::path evs = hcp_data() / "792564/MNINonLinear/Results/tfMRI_EMOTION_LR/EVs";
  DCAE_REQUIRE_DATA(evs);
  const Events ev = dcae::io::read_fsl_ev_folder(evs);
  EXPECT_EQ(ev.conditions(), (std::vector<std::string>{"fear", "neut"}));
  ASSERT_EQ(ev.events.size(), 6u);
  EXPECT_DOUBLE_EQ(ev.events[0].onset_s, 32.067);
  EXPECT_DOUBLE_EQ(ev.events[0].duration_s, 18.0);
  EXPECT_DOUBLE_EQ(ev.events[0].amplitude, 1.0);
  EXPECT_DOUBLE_EQ(ev.of("neut").at(2).onset_s, 95.281);
}

TEST(EventsFslHcp, SyncAndStatsAreNotThreeColumnFiles) {
  const fs::path evs = hcp_data() / "792564/MNINonLinear/Results/tfMRI_EMOTION_LR/EVs";
  DCAE_REQUIRE_DATA(evs);
  expect_error([&] { dcae::io::read_fsl_ev(evs / "Sync.txt"); }, ExitCode::kBadInput,
               {(evs / "Sync.txt").string() + ":1", "found 1"});
  expect_error([&] { dcae::io::read_fsl_ev(evs / "Stats.txt"); }, ExitCode::kBadInput,
               {(evs / "Stats.txt").string() + ":1"});
}

TEST(EventsFslHcp, MotorEvsOfSubject100307) {
  const fs::path results = hcp_data() / "100307-motor-evs/MNINonLinear/Results";
  DCAE_REQUIRE_DATA(results);
  const Events lr = dcae::io::read_fsl_ev_folder(results / "tfMRI_MOTOR_LR/EVs");
  EXPECT_EQ(lr.conditions(), (std::vector<std::string>{"cue", "lf", "lh", "rf", "rh", "t"}));
  EXPECT_EQ(lr.events.size(), 20u);
  EXPECT_EQ(lr.of("cue").size(), 10u);
  ASSERT_EQ(lr.of("lf").size(), 2u);
  EXPECT_DOUBLE_EQ(lr.of("lf")[0].onset_s, 26.136);
  EXPECT_DOUBLE_EQ(lr.of("lf")[0].duration_s, 12.155);
  const Events rl = dcae::io::read_fsl_ev_folder(results / "tfMRI_MOTOR_RL/EVs");
  EXPECT_EQ(rl.events.size(), 20u);
  EXPECT_DOUBLE_EQ(rl.of("lf").at(1).duration_s, 12.156);
}

// ---------------------------------------------------------------- writing

TEST(EventsWrite, RoundTripsThroughBidsReader) {
  TempDir dir;
  Events ev;
  ev.events = {Event{0.1, 12.155, 1.0, "lf"}, Event{4.0169999999999995, 0.0, 1.0, "cue"},
               Event{1e-3, 2.5, 1.0, ""}};
  const fs::path tsv = dir / "out" / "sub-01_task-motor_events.tsv";
  dcae::io::write_bids_events(tsv, ev);
  const std::string text = dcae::read_file(tsv);
  EXPECT_EQ(text.substr(0, text.find('\n')), "onset\tduration\ttrial_type");
  const Events back = dcae::io::read_bids_events(tsv);
  ASSERT_EQ(back.events.size(), 3u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.events[i].onset_s, ev.events[i].onset_s); // exact: shortest round-trip text
    EXPECT_EQ(back.events[i].duration_s, ev.events[i].duration_s);
    EXPECT_EQ(back.events[i].trial_type, ev.events[i].trial_type);
  }
  EXPECT_EQ(back.events[2].trial_type, kDefaultCondition); // an empty name is written n/a
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    EXPECT_EQ(entry.path().filename(), tsv.filename()) << "temporary file left behind";
  }
}

TEST(EventsWrite, RejectsTabInConditionName) {
  TempDir dir;
  Events ev;
  ev.events = {Event{0, 1, 1, "a\tb"}};
  expect_error([&] { dcae::io::write_bids_events(dir / "e.tsv", ev); }, ExitCode::kBadInput,
               {"e.tsv"});
  EXPECT_FALSE(fs::exists(dir / "e.tsv"));
}
