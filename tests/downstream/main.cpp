// A downstream project: compiled against the installed headers and library
// only (find_package(tandem), tandem::tandem and tandem::session). Exits 0
// only if an actor answered a request and an RPC call over an in-process
// session was answered.
#include <tandem/session.hpp>
#include <tandem/tandem.hpp>

#include <atomic>
#include <chrono>
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

  namespace rpc = tandem::session;
  auto svc = std::make_shared<rpc::service>();
  svc->add("add", [](std::vector<int> xs) { return xs.at(0) + xs.at(1); });
  auto [a, b] = rpc::make_in_process_pair();
  auto server = rpc::spawn_session(sys, std::move(a), {.methods = svc});
  auto client = rpc::spawn_session(sys, std::move(b));
  std::atomic<int> sum{0};
  sys.spawn([&sum, client](tandem::actor_base* self) {
    client.call<int>(self, "add", std::vector<int>{40, 2}, std::chrono::seconds(5))
      .then([&sum, client](int s) {
        sum = s;
        client.close();
      });
  });
  sys.await_all_actors_done();
  std::printf("downstream: rpc sum %d\n", sum.load());
  return answer == 42 && sum == 42 ? 0 : 1;
}
