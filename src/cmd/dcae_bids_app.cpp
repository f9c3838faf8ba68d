// dcae-bids-app: the BIDS-App entry point (bids_dir output_dir participant|group).
#include "app/commands.h"

int main(int argc, char** argv) {
  return dcae::app::run_main(*dcae::app::make_bids_app_command(), argc, argv);
}
