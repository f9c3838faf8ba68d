#pragma once
/// \file dist_commands.h
/// Factories of the two roles of distributed training, each its own executable: dcae-ps (a
/// parameter server: one shard or several) and dcae-worker (a model replica).

#include <memory>

#include "app/command.h"

namespace dcae::app {

std::unique_ptr<Command> make_ps_command();
std::unique_ptr<Command> make_worker_command();

}  // namespace dcae::app
