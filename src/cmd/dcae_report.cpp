// dcae-report: writes the HTML reports of a dcae derivatives folder.
#include "app/commands.h"

int main(int argc, char** argv) {
  return dcae::app::run_main(*dcae::app::make_report_command(), argc, argv);
}
