#pragma once
/// \file coordinator.h
/// Hands out data partitions (runs × voxel blocks, for each epoch) as leased tasks, like a
/// scheduler hands out tasks: a worker that stops heart-beating for longer than the lease
/// timeout loses its leases and their partitions go back to the front of the queue. A fast
/// worker asks more often and so takes more partitions than a slow one. The job ends when every
/// partition of every epoch is completed, after an epoch whose mean loss is below the target, or
/// once the steps the workers report add up to max_steps (each worker finishes the partition it
/// holds; the job may take up to one partition's steps per worker more).
/// Also gates the warm-up: one worker trains alone for `warmup_steps` steps.
/// No networking here; time is passed in so that tests control it. Not thread-safe (the server
/// holds a mutex around it).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dcae::ps {

/// Which partitions exist and for how long to train.
struct PartitionPlan {
  std::vector<std::int64_t> run_rows; ///< voxels (rows) of each run
  std::int64_t block_rows = 4096;     ///< voxels per partition (last block of a run shorter)
  std::int64_t epochs = 1;            ///< 0: until the target loss
  double target_loss = 0.0;           ///< 0: none
  std::uint64_t seed = 1;             ///< partition order within each epoch
  std::int64_t warmup_steps = 0;      ///< steps the first worker trains alone
  std::int64_t max_steps = 0;         ///< 0: none; else stop once the workers' steps add up to this
};

/// One partition as handed out.
struct PartitionTask {
  std::int64_t lease_id = 0;
  std::int64_t epoch = 0;
  std::int64_t index = 0; ///< index in the plan
  std::int64_t run = 0;
  std::int64_t first_row = 0;
  std::int64_t rows = 0;
};

/// The answer to a lease request.
struct LeaseAnswer {
  enum class Kind { kPartition, kWait, kDone };
  Kind kind = Kind::kWait;
  PartitionTask task;
};

/// Counters and progress (Status).
struct CoordinatorStatus {
  std::int64_t partitions_per_epoch = 0;
  std::int64_t partitions_completed = 0;
  std::int64_t leases_expired = 0;
  std::int64_t requeued_completed_by_other = 0;
  std::int64_t current_epoch = 0; ///< lowest epoch not yet complete
  bool finished = false;
  std::string stop_reason; ///< epochs, target_loss or max_steps once finished
  std::int64_t steps = 0;  ///< the steps the workers have reported, summed
  bool warmup_done = false;
  std::int64_t workers = 0;
  std::map<std::int64_t, std::pair<double, std::int64_t>>
      epoch_losses; ///< epoch → (mean loss, partitions) of complete epochs
  std::map<std::int64_t, std::int64_t> partitions_by_worker; ///< worker id → completed partitions
};

class Coordinator {
public:
  using Clock = std::chrono::steady_clock;

  /// Throws usage_error for an empty plan (no runs, a run without rows, block_rows < 1) or a
  /// plan without a stop (epochs = 0, no target loss, no max_steps).
  Coordinator(PartitionPlan plan, double lease_timeout_s);

  /// A new worker id (0, 1, ...).
  std::int64_t register_worker(Clock::time_point now);
  /// Records that `worker` is alive and has trained `steps` steps.
  void heartbeat(std::int64_t worker, std::int64_t steps, Clock::time_point now);
  /// The next partition for `worker`, or wait, or done. A worker holds one partition at a time:
  /// a partition it still holds goes back to the front of the queue.
  LeaseAnswer lease(std::int64_t worker, std::int64_t steps, Clock::time_point now);
  /// `worker` finished the partition of lease `lease_id` with mean loss `mean_loss`. Returns
  /// false (and changes nothing) when that lease is no longer held by `worker` (it expired).
  bool complete(std::int64_t worker, std::int64_t lease_id, double mean_loss, std::int64_t steps,
                Clock::time_point now);
  /// Expires the leases of workers silent for longer than the timeout.
  void expire(Clock::time_point now);

  CoordinatorStatus status() const;
  bool finished() const { return finished_; }
  bool warmup_done() const { return warmup_done_; }
  const PartitionPlan& plan() const { return plan_; }
  std::int64_t partitions_per_epoch() const { return static_cast<std::int64_t>(blocks_.size()); }
  double lease_timeout_s() const { return lease_timeout_s_; }

  /// State for the server checkpoint; leases are kept (their holders get a fresh timeout after
  /// a restart, to reconnect and complete them).
  nlohmann::json to_json() const;
  /// Restores a state written by to_json (with the same plan). Throws input_error when it does
  /// not fit.
  void restore(const nlohmann::json& state, Clock::time_point now);

private:
  struct Block {
    std::int64_t run, first_row, rows;
  };
  struct Lease {
    std::int64_t worker = 0;
    std::int64_t epoch = 0;
    std::int64_t index = 0;
    std::int64_t previous_worker = -1; ///< set when the partition had been lost by another worker
  };
  struct Pending {
    std::int64_t epoch = 0;
    std::int64_t index = 0;
    std::int64_t lost_by = -1;
  };
  struct Worker {
    Clock::time_point last_seen;
    std::int64_t steps = 0;
    bool alive = true;
    std::int64_t completed = 0;
  };
  struct Epoch {
    std::vector<char> done;
    std::int64_t completed = 0;
    double loss_sum = 0.0;
  };
  void touch(std::int64_t worker, std::int64_t steps, Clock::time_point now);
  void open_next_epoch();
  void update_warmup();
  void check_step_limit();
  void finish(const char* reason);
  std::int64_t total_steps() const;

  PartitionPlan plan_;
  double lease_timeout_s_;
  std::vector<Block> blocks_;
  std::deque<Pending> queue_;
  std::map<std::int64_t, Lease> leases_;
  std::map<std::int64_t, Worker> workers_;
  std::map<std::int64_t, Epoch> epochs_; ///< opened, not yet complete or kept for losses
  std::map<std::int64_t, double> epoch_losses_;
  std::int64_t next_epoch_ = 0; ///< next epoch to open
  std::int64_t next_lease_ = 1;
  std::int64_t next_worker_ = 0;
  std::int64_t completed_total_ = 0;
  std::int64_t leases_expired_ = 0;
  std::int64_t requeued_by_other_ = 0;
  std::int64_t warmup_worker_ = -1;
  bool warmup_done_ = false;
  bool finished_ = false;
  std::string stop_reason_;
};

} // namespace dcae::ps

namespace dcae::ps {
/// The plan as JSON (server checkpoints) and back; from_json throws input_error on bad fields.
nlohmann::json plan_to_json(const PartitionPlan& plan);
PartitionPlan plan_from_json(const nlohmann::json& j);
} // namespace dcae::ps
