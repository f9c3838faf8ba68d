// dcae-simulate: writes a simulated task-fMRI dataset with ground truth.
#include "app/commands.h"

int main(int argc, char** argv) {
  return dcae::app::run_main(*dcae::app::make_simulate_command(), argc, argv);
}
