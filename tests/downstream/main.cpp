// A downstream project: compiled against the installed headers and library
// only (find_package(tandem), tandem::tandem). Exits 0 only if an actor
// answered a request.
#include <tandem/tandem.hpp>

#include <atomic>
#include <cstdio>

int main() {
  tandem::actor_system sys;
  std::atomic<int> answer{0};
  auto doubler = sys.spawn([](tandem::actor_base* self) {
    return tandem::behavior{[self](int x) {
      self->quit();
      return 2 * x;
    }};
  });
  sys.spawn([&answer, doubler](tandem::actor_base* self) {
    self->request(doubler, 21).then([&answer, self](int x) {
      answer = x;
      self->quit();
    });
    return tandem::behavior{[](int) {}};
  });
  sys.await_all_actors_done();
  std::printf("downstream: answer %d\n", answer.load());
  return answer == 42 ? 0 : 1;
}
