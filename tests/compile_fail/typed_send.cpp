// Compiled by CTest twice: as is it must compile; with
// -DTANDEM_SEND_UNHANDLED it must fail with tandem's message, because the
// typed handle has no handler for `withdraw`.
#include <tandem/tandem.hpp>

struct deposit {};
struct withdraw {};

int main() {
  tandem::typed_actor<void(deposit)> account;
  (void) tandem::send(account, deposit{});
#ifdef TANDEM_SEND_UNHANDLED
  (void) tandem::send(account, withdraw{});
#endif
}
