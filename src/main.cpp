#include "cli/app.h"

int main(int argc, char** argv) {
  return gantry::cli::run(argc, argv);
}
