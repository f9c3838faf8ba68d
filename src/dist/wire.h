#pragma once
/// \file wire.h
/// Encoding of float values into the `data` bytes of a ParameterChunk (float32 or fp16,
/// little endian) and back, with the checks a server makes on what it receives. Internal to
/// dist (includes the generated protobuf header).

#include <cstdint>
#include <string>

#include "dist/parameter_server.pb.h"

namespace dcae::dist {

/// Appends `n` values as `encoding` to `out` (replacing its content).
void encode_values(const float* values, std::int64_t n, proto::Encoding encoding, std::string* out);

/// Decodes chunk `c` (encoded as `encoding`, given by the stream's first chunk) into
/// `out[c.offset() ...]` of a shard of `length` values. Returns the number of values, or −1
/// with `*error` set when the chunk does not fit the shard, has a ragged byte count, an unknown
/// encoding or a non-finite value.
std::int64_t decode_chunk(const proto::ParameterChunk& c, proto::Encoding encoding, std::int64_t length, float* out,
                          std::string* error);

/// Decodes the accumulator bytes of chunk `c` (same rules as decode_chunk).
std::int64_t decode_accumulator(const proto::ParameterChunk& c, proto::Encoding encoding, std::int64_t length,
                                float* out, std::string* error);

/// Bytes per value of an encoding.
inline std::int64_t bytes_per_value(proto::Encoding e) { return e == proto::FLOAT16 ? 2 : 4; }

}  // namespace dcae::dist
