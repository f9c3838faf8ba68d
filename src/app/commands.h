#pragma once
/// \file commands.h
/// Factories of dcae's commands (one per executable). Each lives in its own library
/// (dcae_app_simulate, dcae_app_preproc, dcae_app_train) so executables link only their own.

#include <memory>
#include <vector>

#include "app/command.h"

namespace dcae::app {

std::unique_ptr<Command> make_simulate_command();
std::unique_ptr<Command> make_preproc_command();
std::unique_ptr<Command> make_train_command();
std::unique_ptr<Command> make_encode_command();
std::unique_ptr<Command> make_report_command();
std::unique_ptr<Command> make_dictlearn_command();
std::unique_ptr<Command> make_bids_app_command();

} // namespace dcae::app
