#pragma once
/// \file wire.h
/// Encoding of float values into the `data` bytes of a ParameterChunk (float32 or fp16,
/// little endian) and back, with the checks a server makes on what it receives. Internal to
/// dist (includes the generated protobuf header).

#include <cstdint>
#include <string>

#include <grpc/grpc.h>

#include "ps/internal/parameter_server.pb.h"

namespace dcae::ps {

/// Appends `n` values as `encoding` to `out` (replacing its content).
void encode_values(const float* values, std::int64_t n, proto::Encoding encoding, std::string* out);

/// Decodes chunk `c` (encoded as `encoding`, given by the stream's first chunk) into
/// `out[c.offset() ...]` of a shard of `length` values. Returns the number of values, or −1
/// with `*error` set when the chunk does not fit the shard, has a ragged byte count, an unknown
/// encoding or a non-finite value.
std::int64_t decode_chunk(const proto::ParameterChunk& c, proto::Encoding encoding,
                          std::int64_t length, float* out, std::string* error);

/// Decodes the accumulator bytes of chunk `c` (same rules as decode_chunk).
std::int64_t decode_accumulator(const proto::ParameterChunk& c, proto::Encoding encoding,
                                std::int64_t length, float* out, std::string* error);

/// Sets the HTTP/2 transport's settings for bulk transfer (both ends): large flow-control
/// windows and frames, so that a multi-megabyte stream of chunks is not throttled to gRPC's
/// 64 kB default window. `set(key, value)` sets one channel argument.
template <typename Set> void set_transport_arguments(Set&& set) {
  set(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16 << 20); // initial stream window
  set(GRPC_ARG_HTTP2_MAX_FRAME_SIZE, 1 << 20);          // frames of up to 1 MB instead of 16 kB
  set(GRPC_ARG_HTTP2_WRITE_BUFFER_SIZE, 8 << 20);
  set(GRPC_ARG_HTTP2_BDP_PROBE, 1);
}

/// Most values in one chunk: 1 MB of float32, 2 MB with the accumulator beside them, well under
/// gRPC's 4 MB message limit.
inline constexpr std::int64_t kMaxChunkValues = 262144;

/// Bytes per value of an encoding.
inline std::int64_t bytes_per_value(proto::Encoding e) {
  return e == proto::FLOAT16 ? 2 : 4;
}

} // namespace dcae::ps
