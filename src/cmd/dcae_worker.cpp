// dcae-worker: a worker of distributed training.
#include "app/train_options.h"

int main(int argc, char** argv) {
  return dcae::app::run_main(*dcae::app::make_worker_command(), argc, argv);
}
