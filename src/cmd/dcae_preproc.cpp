// dcae-preproc: FEAT-equivalent preprocessing of one BOLD run.
#include "app/commands.h"

int main(int argc, char** argv) {
  return dcae::app::run_main(*dcae::app::make_preproc_command(), argc, argv);
}
