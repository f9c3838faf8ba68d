#pragma once
/// \file commands.h
/// Factories of dcae's commands (one per executable).

#include <memory>
#include <vector>

#include "app/command.h"

namespace dcae::app {

std::unique_ptr<Command> make_simulate_command();
std::unique_ptr<Command> make_preproc_command();
std::unique_ptr<Command> make_train_command();
std::unique_ptr<Command> make_encode_command();

/// Every command, for generating descriptors and documentation.
std::vector<std::unique_ptr<Command>> all_commands();

}  // namespace dcae::app
