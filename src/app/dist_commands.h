#pragma once
/// \file dist_commands.h
/// Factories of the two roles of distributed training, each its own executable: dcae-ps (a
/// parameter server: one shard or several) and dcae-worker (a model replica).

#include <memory>

#include "app/command.h"

namespace dcae::app {

std::unique_ptr<Command> make_ps_command();
std::unique_ptr<Command> make_worker_command();

/// --token-file, shared by both roles: the job's token comes from a file or the
/// DCAE_PS_TOKEN environment variable, never from the command line.
inline void add_token_options(Usage& u) {
  add_argument(u, "token-file", ArgKind::kInputFile,
               "file whose first line is the job's token (default: the DCAE_PS_TOKEN environment variable; "
               "never given on the command line)", "Security")
      .value_name = "FILE";
}

}  // namespace dcae::app
