// dcae-encode: high-level features of time-series shards with a trained model.
#include "app/commands.h"

int main(int argc, char** argv) {
  return dcae::app::run_main(*dcae::app::make_encode_command(), argc, argv);
}
