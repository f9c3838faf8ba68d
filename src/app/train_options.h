#pragma once
/// \file train_options.h
/// The option groups of distributed training that several commands share (dcae-train,
/// dcae-worker, dcae-ps), declared once in train/job.h and turned into each command's usage
/// here; the job's token options; the factories of the two roles' commands.

#include <memory>
#include <string>
#include <vector>

#include "app/command.h"
#include "train/job.h"

namespace dcae::app {

std::unique_ptr<Command> make_ps_command();
std::unique_ptr<Command> make_worker_command();

/// Declares the options of `specs` in `usage` under `group`, with the defaults of `defaults`.
template <typename Settings>
void add_option_group(Usage& usage, const std::vector<train::OptionSpec<Settings>>& specs,
                      const std::string& group, const Settings& defaults = {}) {
  using Kind = typename train::OptionSpec<Settings>::Kind;
  for (const auto& o : specs) {
    const ArgKind kind = o.kind == Kind::kFlag  ? ArgKind::kFlag
                         : o.kind == Kind::kInt ? ArgKind::kInt
                                                : ArgKind::kFloat;
    auto& a = add_argument(usage, o.name, kind, o.help, group);
    if (o.kind != Kind::kFlag) a.default_value = o.get(defaults);
    a.min = o.min;
  }
}

/// The values of the options of `specs` from the parsed command line.
template <typename Settings>
Settings read_option_group(const ParsedArgs& args,
                           const std::vector<train::OptionSpec<Settings>>& specs) {
  using Kind = typename train::OptionSpec<Settings>::Kind;
  Settings s;
  for (const auto& o : specs) {
    if (!args.has(o.name)) continue;
    o.set(s, o.kind == Kind::kFlag  ? std::string(args.flag(o.name) ? "1" : "0")
             : o.kind == Kind::kInt ? std::to_string(args.integer(o.name))
                                    : std::to_string(args.number(o.name)));
  }
  return s;
}

/// --token-file, shared by the roles: the job's token comes from a file or the DCAE_PS_TOKEN
/// environment variable, never from the command line.
inline void add_token_options(Usage& u) {
  add_argument(
      u, "token-file", ArgKind::kInputFile,
      "file whose first line is the job's token (default: the DCAE_PS_TOKEN environment variable; "
      "never given on the command line)",
      "Security")
      .value_name = "FILE";
}

/// The TLS options of the roles: a server's certificate and key (--tls-cert, --tls-key), a
/// client's root certificate and the name to check (--tls-ca, --tls-name). dcae-train declares
/// both sides for the processes it launches.
inline void add_tls_options(Usage& u, bool server, bool client) {
  if (server) {
    add_argument(u, "tls-cert", ArgKind::kInputFile,
                 "the servers' TLS certificate chain (PEM); with --tls-key", "Security")
        .value_name = "PEM";
    add_argument(u, "tls-key", ArgKind::kInputFile,
                 "the servers' TLS private key (PEM); with "
                 "--tls-cert",
                 "Security")
        .value_name = "PEM";
  }
  if (client) {
    add_argument(u, "tls-ca", ArgKind::kInputFile,
                 "root certificate of the servers' TLS certificates (PEM): use TLS", "Security")
        .value_name = "PEM";
    add_argument(u, "tls-name", ArgKind::kString,
                 "name the servers' certificates must carry (default: the host)", "Security");
  }
}

/// The TLS options read back (the ones not given stay empty).
inline train::TlsSettings read_tls_options(const ParsedArgs& a) {
  train::TlsSettings t;
  if (a.has("tls-cert")) t.files.cert = a.string("tls-cert");
  if (a.has("tls-key")) t.files.key = a.string("tls-key");
  if (a.has("tls-ca")) t.files.ca = a.string("tls-ca");
  if (a.has("tls-name")) t.name = a.string("tls-name");
  return t;
}

} // namespace dcae::app
