// Compiled against the installed headers and library only.
#include <tandem/tandem.hpp>

int main() {
  return 0;
}
