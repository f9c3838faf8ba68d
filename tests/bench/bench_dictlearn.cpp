// Benchmark program (not a test): dcae's online dictionary learning on the first rows of a
// time-series shard, timed, with the dictionary and codes written as .npy for
// bench_dictlearn.py to score beside scikit-learn's MiniBatchDictionaryLearning.
//
// usage: dcae_bench_dictlearn SHARD.npy ROWS K LAMBDA BATCH PASSES THREADS OUT_PREFIX
// prints one JSON line: {"fit_s", "encode_s", "total_s", "objective", "iterations"}
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/threads.h"
#include "dict/online_dictionary.h"
#include "io/npy.h"
#include "io/shard.h"

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr, "usage: %s SHARD.npy ROWS K LAMBDA BATCH PASSES THREADS OUT_PREFIX\n",
                 argv[0]);
    return 2;
  }
  using clock = std::chrono::steady_clock;
  dcae::io::ShardReader reader(argv[1]);
  const auto t = reader.info().n_timepoints;
  const auto rows = std::min<std::int64_t>(std::atoll(argv[2]), reader.info().n_voxels);
  Eigen::MatrixXf x(t, rows);
  reader.read_rows(0, rows, x.data());
  dcae::dict::centre_and_normalise_columns(x);
  dcae::dict::DictionaryOptions o;
  o.n_atoms = std::atoi(argv[3]);
  o.lambda = std::atof(argv[4]);
  o.batch_size = std::atoi(argv[5]);
  o.passes = std::atof(argv[6]);
  dcae::set_thread_count(std::atoi(argv[7]));
  const std::string out = argv[8];

  const auto t0 = clock::now();
  const auto learned = dcae::dict::learn_dictionary(x, o);
  const auto t1 = clock::now();
  const Eigen::MatrixXf codes = dcae::dict::sparse_encode(learned.atoms, x, o.lambda);
  const auto t2 = clock::now();
  const double objective = dcae::dict::dictionary_objective(x, learned.atoms, codes, o.lambda);
  // Column-major T×K and K×n are row-major [K, T] and [n, K]: numpy reads them transposed.
  dcae::io::write_npy(out + "_atoms.npy", learned.atoms.data(),
                      {static_cast<std::uint64_t>(o.n_atoms), static_cast<std::uint64_t>(t)});
  dcae::io::write_npy(out + "_codes.npy", codes.data(),
                      {static_cast<std::uint64_t>(rows), static_cast<std::uint64_t>(o.n_atoms)});
  const auto seconds = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::printf("{\"fit_s\": %.3f, \"encode_s\": %.3f, \"total_s\": %.3f, \"objective\": %.6f, "
              "\"iterations\": %lld}\n",
              seconds(t0, t1), seconds(t1, t2), seconds(t0, t2), objective,
              static_cast<long long>(learned.iterations));
  return 0;
}
