// hello_actors: a tiny bank. Accounts are actors with state; a teller runs
// transfers with request/then, keeps an auditor (bounded mailbox) informed,
// and watches an account being closed through a monitor. The same source
// runs natively on CAF's work-stealing pool and in WebAssembly on the
// cooperative loop, and prints the same lines on both.

#include <tandem/tandem.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {

// -- messages ----------------------------------------------------------------

struct deposit {
  int amount;
};
struct withdraw {
  int amount;
};
struct balance {};
struct close_account {};

struct transfer {
  std::string from;
  std::string to;
  int amount;
};
struct audit_record {
  std::string line;
};
struct audit_count {};

// -- an account: a class-based actor with a typed interface -----------------

using account_handle =
  tandem::typed_actor<void(deposit), int(withdraw), int(balance), void(close_account)>;

class account : public tandem::actor_base {
public:
  using interface = account_handle;

  account(tandem::actor_config& cfg, int opening) : actor_base(cfg), balance_(opening) {}

  tandem::behavior make_behavior() override {
    return {
      [this](deposit d) { balance_ += d.amount; },
      [this](withdraw w) -> tandem::expected<int> {
        if (w.amount > balance_)
          return tandem::error{-1, "insufficient funds in " + name()};
        balance_ -= w.amount;
        return balance_;
      },
      [this](balance) { return balance_; },
      [this](close_account) { quit(); },
    };
  }

private:
  int balance_;
};

// -- the teller: runs transfers one after another ----------------------------

struct teller_state {
  std::vector<std::pair<std::string, account_handle>> accounts;
  std::vector<transfer> queue;
  tandem::actor auditor;
  std::size_t next = 0;

  account_handle find(const std::string& who) const {
    for (auto& [name, handle] : accounts)
      if (name == who)
        return handle;
    return {};
  }
};

struct run_next {};

tandem::behavior teller(tandem::stateful_actor<teller_state>* self, teller_state init) {
  self->state = std::move(init);
  auto audit = [self](std::string line) {
    // A bounded mailbox refuses instead of growing: the error says so.
    if (auto err = self->send(self->state.auditor, audit_record{std::move(line)}))
      std::printf("audit record refused: %s\n", tandem::to_string(err).c_str());
  };
  return {
    [self, audit](run_next) {
      auto& st = self->state;
      if (st.next == st.queue.size()) {
        // All transfers done: collect the balances (answers arrive in any
        // order), print them in account order, then close carol's account.
        auto balances = std::make_shared<std::vector<int>>(st.accounts.size(), 0);
        auto remaining = std::make_shared<std::size_t>(st.accounts.size());
        for (std::size_t i = 0; i < st.accounts.size(); ++i)
          self->request(st.accounts[i].second, balance{}).then([self, i, balances, remaining](int b) {
            (*balances)[i] = b;
            if (--*remaining > 0)
              return;
            for (std::size_t j = 0; j < balances->size(); ++j)
              std::printf("balance %-5s %4d\n", self->state.accounts[j].first.c_str(), (*balances)[j]);
            auto carol = self->state.find("carol");
            self->monitor(carol);
            self->send(carol, close_account{});
          });
        return;
      }
      auto t = st.queue[st.next++];
      self->request(st.find(t.from), withdraw{t.amount})
        .then(
          [self, t, audit](int) {
            self->send(self->state.find(t.to), deposit{t.amount});
            std::printf("transfer %-5s -> %-5s %4d ok\n", t.from.c_str(), t.to.c_str(), t.amount);
            audit(t.from + "->" + t.to);
            self->send(self->this_actor(), run_next{});
          },
          [self, t](tandem::error e) {
            std::printf("transfer %-5s -> %-5s %4d refused: %s\n", t.from.c_str(), t.to.c_str(),
                        t.amount, e.message().c_str());
            self->send(self->this_actor(), run_next{});
          });
    },
    [self](const tandem::down_msg& down) {
      std::printf("account %s closed\n", down.source.name().c_str());
      self->request(self->state.auditor, audit_count{}).then([self](int n) {
        std::printf("auditor recorded %d transfers\n", n);
        for (auto& [name, handle] : self->state.accounts)
          self->send(handle, close_account{});
        self->send(self->state.auditor, close_account{});
        self->quit();
      });
    },
  };
}

tandem::behavior auditor(tandem::stateful_actor<int>* self) {
  return {
    [self](const audit_record&) { ++self->state; },
    [self](audit_count) { return self->state; },
    [self](close_account) { self->quit(); },
  };
}

} // namespace

int main() {
  // The platform's default backend: CAF's work-stealing pool natively, the
  // cooperative loop in WebAssembly. Nothing below depends on which.
  tandem::actor_system sys;

  auto make_account = [&](std::string name, int opening) {
    return sys.spawn<account>(tandem::spawn_options{.name = name}, opening);
  };
  auto audit = sys.spawn(tandem::spawn_options{.name = "auditor", .mailbox = tandem::bounded(16)},
                         auditor);

  teller_state st;
  for (auto [name, opening] : {std::pair{"alice", 100}, {"bob", 50}, {"carol", 10}})
    st.accounts.emplace_back(name, make_account(name, opening));
  st.queue = {{"alice", "bob", 30}, {"bob", "carol", 70}, {"carol", "alice", 500}, {"carol", "bob", 5}};
  st.auditor = audit;
  std::printf("hello from tandem: %zu accounts, %zu transfers\n", st.accounts.size(), st.queue.size());

  auto t = sys.spawn(teller, std::move(st));
  tandem::send(t, run_next{});
  sys.await_all_actors_done();
  std::printf("all actors done\n");
}
