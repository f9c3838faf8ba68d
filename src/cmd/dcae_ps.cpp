// dcae-ps: a parameter server of distributed training.
#include "app/train_options.h"

int main(int argc, char** argv) {
  return dcae::app::run_main(*dcae::app::make_ps_command(), argc, argv);
}
