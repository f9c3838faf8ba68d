// dcae-dictlearn: online dictionary learning on raw or feature shards, scored against the task.
#include "app/commands.h"

int main(int argc, char** argv) {
  return dcae::app::run_main(*dcae::app::make_dictlearn_command(), argc, argv);
}
