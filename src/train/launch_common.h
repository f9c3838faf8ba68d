#pragma once
/// \file launch_common.h
/// What the launchers share (private to train/): the children's command lines built from the
/// job's settings (the same option declarations as the commands'), the job's token file,
/// stopping on SIGINT/SIGTERM. No LibTorch.

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "train/job.h"

namespace dcae::train::detail {

/// The signal that interrupted the job (0: none), set by the handlers install_interrupt_handlers
/// puts in place.
extern volatile std::sig_atomic_t g_interrupted;
void install_interrupt_handlers();

/// Where dcae-ps and dcae-worker are: job.bin_dir, else beside this executable.
std::filesystem::path bin_dir(const Job& job);

/// The children of a job: servers and Downpour workers, with their command lines.
struct ProcessPlan {
  std::vector<std::string> addresses;                ///< host:port of each server
  std::vector<std::vector<std::string>> server_argv; ///< dcae-ps ...
  std::vector<std::vector<std::string>> worker_argv; ///< dcae-worker ...
};

/// The servers listen on job.host at `ports`; everyone reads the token from `token_file`; the
/// workers read the model's configuration from `model_yaml`.
ProcessPlan process_plan(const Job& job, const std::filesystem::path& model_yaml,
                         const std::filesystem::path& token_file, const std::vector<int>& ports);

/// Writes a fresh token into `path`, readable by this user only; returns it.
std::string new_token_file(const std::filesystem::path& path);

} // namespace dcae::train::detail
