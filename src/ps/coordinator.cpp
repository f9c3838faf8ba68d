#include "ps/coordinator.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/log.h"

namespace dcae::ps {
namespace {
constexpr std::int64_t kIdSkip = 1 << 20;
} // namespace

Coordinator::Coordinator(PartitionPlan plan, double lease_timeout_s)
    : plan_(std::move(plan)), lease_timeout_s_(lease_timeout_s) {
  if (plan_.run_rows.empty()) throw usage_error("partition plan: no runs to train on");
  if (plan_.block_rows < 1) throw usage_error("partition plan: block_rows must be ≥ 1");
  if (plan_.epochs < 0) throw usage_error("partition plan: epochs must be ≥ 0");
  if (plan_.max_steps < 0) throw usage_error("partition plan: max_steps must be ≥ 0");
  if (plan_.epochs == 0 && plan_.target_loss <= 0 && plan_.max_steps == 0) {
    throw usage_error("partition plan: needs a stop (epochs > 0, a target loss or max_steps)");
  }
  if (lease_timeout_s_ <= 0) throw usage_error("partition plan: the lease timeout must be > 0 s");
  for (std::size_t r = 0; r < plan_.run_rows.size(); ++r) {
    const std::int64_t rows = plan_.run_rows[r];
    if (rows < 1) throw usage_error("partition plan: run " + std::to_string(r) + " has no voxels");
    for (std::int64_t first = 0; first < rows; first += plan_.block_rows) {
      blocks_.push_back(
          {static_cast<std::int64_t>(r), first, std::min(plan_.block_rows, rows - first)});
    }
  }
  warmup_done_ = plan_.warmup_steps <= 0;
}

std::int64_t Coordinator::register_worker(Clock::time_point now) {
  const std::int64_t id = next_worker_++;
  workers_[id] = Worker{now, 0, true, 0};
  return id;
}

void Coordinator::touch(std::int64_t worker, std::int64_t steps, Clock::time_point now) {
  auto& w = workers_[worker]; // a worker known before a coordinator restart is re-created
  w.last_seen = now;
  w.steps = std::max(w.steps, steps);
  w.alive = true;
  if (worker >= next_worker_) next_worker_ = worker + 1;
}

void Coordinator::update_warmup() {
  if (warmup_done_) return;
  if (warmup_worker_ >= 0) {
    const auto it = workers_.find(warmup_worker_);
    if (it != workers_.end() && it->second.steps >= plan_.warmup_steps) {
      warmup_done_ = true;
      log::info("warm-up done: worker ", warmup_worker_, " trained ", it->second.steps,
                " steps alone");
    }
  }
}

std::int64_t Coordinator::total_steps() const {
  std::int64_t n = 0;
  for (const auto& [id, w] : workers_) n += w.steps;
  return n;
}

void Coordinator::finish(const char* reason) {
  if (finished_) return;
  finished_ = true;
  stop_reason_ = reason;
}

void Coordinator::check_step_limit() {
  if (finished_ || plan_.max_steps <= 0) return;
  const std::int64_t n = total_steps();
  if (n < plan_.max_steps) return;
  finish("max_steps");
  log::info("step limit ", plan_.max_steps, " reached (", n,
            " steps over all workers): no more partitions are handed out");
}

void Coordinator::heartbeat(std::int64_t worker, std::int64_t steps, Clock::time_point now) {
  expire(now);
  touch(worker, steps, now);
  update_warmup();
  check_step_limit();
}

void Coordinator::expire(Clock::time_point now) {
  const auto timeout = std::chrono::duration<double>(lease_timeout_s_);
  for (auto& [id, w] : workers_) {
    if (!w.alive || now - w.last_seen <= timeout) continue;
    w.alive = false;
    std::vector<std::int64_t> lost;
    for (const auto& [lid, l] : leases_) {
      if (l.worker == id) lost.push_back(lid);
    }
    // Back to the front of the queue, in their original order.
    for (auto it = lost.rbegin(); it != lost.rend(); ++it) {
      const Lease& l = leases_.at(*it);
      queue_.push_front({l.epoch, l.index, id});
      leases_.erase(*it);
      ++leases_expired_;
    }
    if (!lost.empty()) {
      log::warn("worker ", id, " stopped heart-beating: ", lost.size(),
                " partition(s) back in the queue");
    }
    if (id == warmup_worker_ && !warmup_done_) warmup_worker_ = -1;
  }
}

void Coordinator::open_next_epoch() {
  if (finished_ || (plan_.epochs > 0 && next_epoch_ >= plan_.epochs)) return;
  std::vector<std::int64_t> order(blocks_.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(plan_.seed * 1000003ULL + static_cast<std::uint64_t>(next_epoch_));
  std::shuffle(order.begin(), order.end(), rng);
  for (const std::int64_t i : order) queue_.push_back({next_epoch_, i, -1});
  epochs_[next_epoch_] = Epoch{std::vector<char>(blocks_.size(), 0), 0, 0.0};
  ++next_epoch_;
}

LeaseAnswer Coordinator::lease(std::int64_t worker, std::int64_t steps, Clock::time_point now) {
  expire(now);
  touch(worker, steps, now);
  update_warmup();
  check_step_limit();
  LeaseAnswer a;
  if (finished_) {
    a.kind = LeaseAnswer::Kind::kDone;
    return a;
  }
  if (!warmup_done_) {
    if (warmup_worker_ < 0) {
      warmup_worker_ = worker;
      log::info("worker ", worker, " trains alone for the warm-up (", plan_.warmup_steps,
                " steps)");
    }
    if (worker != warmup_worker_) return a; // wait
  }
  // A worker trains one partition at a time: one it still holds when it asks for the next was
  // never completed (e.g. its lease came back with a restarted coordinator after the worker
  // had finished it): it goes back to the queue.
  std::vector<std::int64_t> held;
  for (const auto& [lid, l] : leases_) {
    if (l.worker == worker) held.push_back(lid);
  }
  for (auto it = held.rbegin(); it != held.rend(); ++it) {
    const Lease& l = leases_.at(*it);
    queue_.push_front({l.epoch, l.index, l.previous_worker});
    leases_.erase(*it);
  }
  if (queue_.empty()) open_next_epoch();
  if (queue_.empty()) return a; // every remaining partition is leased: wait
  const Pending p = queue_.front();
  queue_.pop_front();
  const std::int64_t id = next_lease_++;
  leases_[id] = Lease{worker, p.epoch, p.index, p.lost_by};
  const Block& b = blocks_[static_cast<std::size_t>(p.index)];
  a.kind = LeaseAnswer::Kind::kPartition;
  a.task = PartitionTask{id, p.epoch, p.index, b.run, b.first_row, b.rows};
  return a;
}

bool Coordinator::complete(std::int64_t worker, std::int64_t lease_id, double mean_loss,
                           std::int64_t steps, Clock::time_point now) {
  expire(now);
  touch(worker, steps, now);
  update_warmup();
  const auto it = leases_.find(lease_id);
  if (it == leases_.end() || it->second.worker != worker) return false;
  const Lease l = it->second;
  leases_.erase(it);
  Epoch& e = epochs_[l.epoch];
  if (e.done.empty()) e.done.assign(blocks_.size(), 0);
  if (e.done[static_cast<std::size_t>(l.index)]) return true;
  e.done[static_cast<std::size_t>(l.index)] = 1;
  ++e.completed;
  e.loss_sum += mean_loss;
  ++completed_total_;
  ++workers_[worker].completed;
  if (l.previous_worker >= 0 && l.previous_worker != worker) ++requeued_by_other_;
  if (e.completed == static_cast<std::int64_t>(blocks_.size())) {
    const double mean = e.loss_sum / static_cast<double>(e.completed);
    epoch_losses_[l.epoch] = mean;
    log::info("epoch ", l.epoch, " complete: mean loss ", mean);
    if (plan_.target_loss > 0 && mean < plan_.target_loss && !finished_) {
      finish("target_loss");
      log::info("target loss ", plan_.target_loss, " reached");
    }
  }
  if (plan_.epochs > 0 &&
      completed_total_ == plan_.epochs * static_cast<std::int64_t>(blocks_.size())) {
    finish("epochs");
  }
  check_step_limit();
  return true;
}

CoordinatorStatus Coordinator::status() const {
  CoordinatorStatus s;
  s.partitions_per_epoch = static_cast<std::int64_t>(blocks_.size());
  s.partitions_completed = completed_total_;
  s.leases_expired = leases_expired_;
  s.requeued_completed_by_other = requeued_by_other_;
  s.current_epoch = next_epoch_;
  for (const auto& [e, st] : epochs_) {
    if (st.completed < static_cast<std::int64_t>(blocks_.size())) {
      s.current_epoch = e;
      break;
    }
  }
  s.finished = finished_;
  s.stop_reason = stop_reason_;
  s.steps = total_steps();
  s.warmup_done = warmup_done_;
  s.workers = static_cast<std::int64_t>(workers_.size());
  for (const auto& [e, m] : epoch_losses_)
    s.epoch_losses[e] = {m, static_cast<std::int64_t>(blocks_.size())};
  for (const auto& [id, w] : workers_) s.partitions_by_worker[id] = w.completed;
  return s;
}

nlohmann::json plan_to_json(const PartitionPlan& p) {
  return {{"run_rows", p.run_rows},  {"block_rows", p.block_rows},
          {"epochs", p.epochs},      {"target_loss", p.target_loss},
          {"seed", p.seed},          {"warmup_steps", p.warmup_steps},
          {"max_steps", p.max_steps}};
}

PartitionPlan plan_from_json(const nlohmann::json& j) {
  try {
    PartitionPlan p;
    p.run_rows = j.at("run_rows").get<std::vector<std::int64_t>>();
    p.block_rows = j.at("block_rows").get<std::int64_t>();
    p.epochs = j.at("epochs").get<std::int64_t>();
    p.target_loss = j.at("target_loss").get<double>();
    p.seed = j.at("seed").get<std::uint64_t>();
    p.warmup_steps = j.at("warmup_steps").get<std::int64_t>();
    p.max_steps = j.value("max_steps", std::int64_t{0}); // absent in older checkpoints
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw input_error(std::string("partition plan: ") + e.what());
  }
}

nlohmann::json Coordinator::to_json() const {
  nlohmann::json j;
  j["plan"] = plan_to_json(plan_);
  nlohmann::json queue = nlohmann::json::array();
  for (const auto& p : queue_) queue.push_back({p.epoch, p.index, p.lost_by});
  j["queue"] = queue;
  nlohmann::json leases = nlohmann::json::array();
  for (const auto& [id, l] : leases_)
    leases.push_back({id, l.worker, l.epoch, l.index, l.previous_worker});
  j["leases"] = leases;
  nlohmann::json workers = nlohmann::json::array();
  for (const auto& [id, w] : workers_) workers.push_back({id, w.steps, w.completed});
  j["workers"] = workers;
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& [e, st] : epochs_) {
    std::string done(st.done.begin(), st.done.end());
    for (auto& c : done) c = c ? '1' : '0';
    epochs.push_back({e, done, st.completed, st.loss_sum});
  }
  j["epochs"] = epochs;
  nlohmann::json losses = nlohmann::json::array();
  for (const auto& [e, m] : epoch_losses_) losses.push_back({e, m});
  j["epoch_losses"] = losses;
  j["next_epoch"] = next_epoch_;
  j["next_lease"] = next_lease_;
  j["next_worker"] = next_worker_;
  j["completed"] = completed_total_;
  j["leases_expired"] = leases_expired_;
  j["requeued_by_other"] = requeued_by_other_;
  j["warmup_worker"] = warmup_worker_;
  j["warmup_done"] = warmup_done_;
  j["finished"] = finished_;
  j["stop_reason"] = stop_reason_;
  return j;
}

void Coordinator::restore(const nlohmann::json& j, Clock::time_point now) {
  try {
    queue_.clear();
    for (const auto& p : j.at("queue"))
      queue_.push_back(
          {p[0].get<std::int64_t>(), p[1].get<std::int64_t>(), p[2].get<std::int64_t>()});
    leases_.clear();
    for (const auto& l : j.at("leases")) {
      leases_[l[0].get<std::int64_t>()] = Lease{l[1].get<std::int64_t>(), l[2].get<std::int64_t>(),
                                                l[3].get<std::int64_t>(), l[4].get<std::int64_t>()};
    }
    workers_.clear();
    for (const auto& w : j.at("workers")) {
      // Every known worker gets a fresh timeout to reconnect and keep its leases.
      workers_[w[0].get<std::int64_t>()] =
          Worker{now, w[1].get<std::int64_t>(), true, w[2].get<std::int64_t>()};
    }
    epochs_.clear();
    for (const auto& e : j.at("epochs")) {
      Epoch st;
      for (const char c : e[1].get<std::string>()) st.done.push_back(c == '1' ? 1 : 0);
      if (st.done.size() != blocks_.size())
        throw input_error("coordinator state: partition count differs from the plan");
      st.completed = e[2].get<std::int64_t>();
      st.loss_sum = e[3].get<double>();
      epochs_[e[0].get<std::int64_t>()] = st;
    }
    epoch_losses_.clear();
    for (const auto& e : j.at("epoch_losses"))
      epoch_losses_[e[0].get<std::int64_t>()] = e[1].get<double>();
    next_epoch_ = j.at("next_epoch").get<std::int64_t>();
    // Leases handed out after the checkpoint are unknown here: skip ahead so that their ids
    // are never handed out again.
    next_lease_ = j.at("next_lease").get<std::int64_t>() + kIdSkip;
    next_worker_ = j.at("next_worker").get<std::int64_t>();
    completed_total_ = j.at("completed").get<std::int64_t>();
    leases_expired_ = j.at("leases_expired").get<std::int64_t>();
    requeued_by_other_ = j.at("requeued_by_other").get<std::int64_t>();
    warmup_worker_ = j.at("warmup_worker").get<std::int64_t>();
    warmup_done_ = j.at("warmup_done").get<bool>();
    finished_ = j.at("finished").get<bool>();
    stop_reason_ = j.value("stop_reason", std::string(finished_ ? "epochs" : ""));
  } catch (const nlohmann::json::exception& e) {
    throw input_error(std::string("coordinator state: ") + e.what());
  }
}

} // namespace dcae::ps
