// dcae-train: trains the autoencoder on time-series shards.
#include "app/commands.h"

int main(int argc, char** argv) {
  return dcae::app::run_main(*dcae::app::make_train_command(), argc, argv);
}
